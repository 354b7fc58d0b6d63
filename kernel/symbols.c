/*
 * Looks up addresses in the symbol table that scripts/gensyms.sh generates from the first link
 * of the image and the Makefile links into the second (section .mote_syms, see kernel.ld).
 */
#include <stdint.h>
#include <stddef.h>
#include "kernel/symbols.h"

struct symbol_entry {
	uint32_t text_offset;   /* address - text_start */
	uint32_t name_offset;   /* into the names after the entries */
};

struct symbol_table {
	uint64_t text_start;
	uint64_t text_end;
	uint64_t count;
	struct symbol_entry entries[];
	/* followed by the names */
};

extern const struct symbol_table mote_symbol_table;

const char *symbol_lookup(uint64_t address, uint64_t *offset)
{
	const struct symbol_table *table = &mote_symbol_table;
	const char *names = (const char *)&table->entries[table->count];
	size_t low = 0, high = table->count;

	if (table->count == 0 || address < table->text_start || address >= table->text_end)
		return NULL;
	/* Binary search for the last entry at or below the address. */
	while (high - low > 1) {
		size_t middle = low + (high - low) / 2;

		if (table->text_start + table->entries[middle].text_offset <= address)
			low = middle;
		else
			high = middle;
	}
	if (table->text_start + table->entries[low].text_offset > address)
		return NULL;
	*offset = address - (table->text_start + table->entries[low].text_offset);
	return names + table->entries[low].name_offset;
}
