/*
 * lib/util.h: small helpers that every part of Mote uses: array and alignment arithmetic,
 * branch hints, attribute shorthands and the compiler-level memory access helpers.
 * Header-only; nothing here generates code unless it is used.
 */
#ifndef MOTE_LIB_UTIL_H
#define MOTE_LIB_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Number of elements of a real array (not a pointer: that would divide the pointer size). */
#define ARRAY_SIZE(array) (sizeof(array) / sizeof((array)[0]))

/* Plain comparisons, so they also work in constant expressions. Arguments are evaluated twice. */
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/*
 * Alignment helpers for integers; `alignment` must be a power of two. The mask is cast to the
 * type of `value` before it is inverted, so that aligning a 64-bit value by a 32-bit unsigned
 * constant does not silently clear the upper 32 bits.
 */
#define ALIGN_UP(value, alignment) \
	(((value) + ((alignment) - 1)) & ~((__typeof__(value))((alignment) - 1)))
#define ALIGN_DOWN(value, alignment) ((value) & ~((__typeof__(value))((alignment) - 1)))
#define IS_ALIGNED(value, alignment) (((value) & ((__typeof__(value))((alignment) - 1))) == 0)
#define DIV_ROUND_UP(numerator, denominator) (((numerator) + (denominator) - 1) / (denominator))

/* From a pointer to `member` inside a `type`, get back the pointer to the whole `type`. */
#define container_of(pointer, type, member) \
	((type *)((char *)(pointer) - offsetof(type, member)))

/* Branch hints: only for paths that are truly rare, such as error handling. */
#define likely(condition) __builtin_expect(!!(condition), 1)
#define unlikely(condition) __builtin_expect(!!(condition), 0)

#define __packed __attribute__((packed))
#define __unused __attribute__((unused))

/*
 * A compiler barrier: the compiler may not move memory accesses across it, nor keep memory
 * values cached in registers. It emits no instruction and orders nothing for the CPU.
 */
#define barrier() __asm__ __volatile__("" ::: "memory")

/*
 * Exactly one access, neither merged, torn, repeated nor omitted by the compiler: for memory
 * shared with the hypervisor, another domain or an interrupt handler.
 */
#define READ_ONCE(location) (*(const volatile __typeof__(location) *)&(location))
#define WRITE_ONCE(location, value) \
	do { \
		*(volatile __typeof__(location) *)&(location) = (value); \
	} while (0)

#endif
