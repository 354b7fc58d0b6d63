/*
 * Threads and waiting. Mote runs cooperative threads on its one vCPU: a thread runs until it
 * waits, yields or exits, never preempted, so threads need no locks among themselves. Event
 * handlers are the only code that can interrupt a thread, and they only set flags.
 *
 * A thread waits for a condition with a deadline. When no thread can run, the vCPU blocks in
 * Xen (SCHEDOP_block) until an event or the earliest deadline, so an idle Mote uses no CPU.
 */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdnoreturn.h>

struct thread;

#define THREAD_STACK_SIZE (16 * 1024)

/* Make the boot context the thread "main". */
void sched_init(void);

/* Start a thread that runs entry(arg); it ends when entry returns. NULL if out of memory. */
struct thread *thread_create(const char *name, void (*entry)(void *arg), void *arg);

/* End the calling thread. */
noreturn void thread_exit(void);

struct thread *thread_current(void);
const char *thread_name(const struct thread *thread);

/*
 * Return 0 once condition(arg) is true, or -ETIMEDOUT once system time reaches `deadline`
 * (TIME_NEVER for none). Other threads run meanwhile. The condition is checked with upcalls
 * blocked, so an event that makes it true can never slip in between the check and the block.
 * The condition must be cheap and must not block: the scheduler evaluates it often.
 */
int sched_wait(bool (*condition)(void *arg), void *arg, uint64_t deadline);

/* Sleep for at least `nanoseconds`. */
void sched_sleep(uint64_t nanoseconds);

/* Let every other runnable thread run once. */
void sched_yield(void);

struct sched_stats {
	uint64_t switches;      /* context switches */
	uint64_t blocks;        /* times the vCPU blocked in Xen */
	unsigned int threads;   /* live threads */
};
void sched_stats(struct sched_stats *out);

/* Print every thread: state, what it waits for, and a backtrace. */
void sched_dump(void);

#endif
