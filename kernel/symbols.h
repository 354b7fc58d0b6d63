/*
 * The image's own symbol table, so that crash reports name functions (scripts/gensyms.sh
 * builds it at link time).
 */
#ifndef KERNEL_SYMBOLS_H
#define KERNEL_SYMBOLS_H

#include <stdint.h>

/* The name of the function that contains `address`, and the offset into it; NULL if none. */
const char *symbol_lookup(uint64_t address, uint64_t *offset);

#endif
