#!/bin/sh
# Turn a linked image's text symbols into the table that crash reports use (kernel/symbols.c).
#
#   gensyms.sh NM IMAGE   print assembly for the table of IMAGE's functions
#   gensyms.sh --empty    print an empty table (for the first link)
#
# Layout (all little-endian, see kernel/symbols.c):
#   u64 text_start, u64 text_end, u64 count,
#   count x { u32 offset_from_text_start, u32 offset_of_name }, then the NUL-terminated names.
set -eu

emit_header() {
	printf '\t.section .mote_syms, "a"\n\t.balign 8\n\t.globl mote_symbol_table\nmote_symbol_table:\n'
}

if [ "$1" = "--empty" ]; then
	emit_header
	printf '\t.quad 0, 0, 0\n'
	exit 0
fi

nm_tool=$1
image=$2

# Functions only (t/T/w/W), sorted by address; of several names at one address keep the
# first one that is not a linker-script marker such as _text.
symbols=$("$nm_tool" -n --defined-only "$image")
text_start=$(printf '%s\n' "$symbols" | awk '$3 == "_text" { print $1 }')
text_end=$(printf '%s\n' "$symbols" | awk '$3 == "_etext" { print $1 }')
[ -n "$text_start" ] && [ -n "$text_end" ] || { echo "gensyms: $image has no _text/_etext" >&2; exit 1; }

# Offsets use only the low 32 bits of each address: awk (mawk) has no 64-bit integers, and
# text is far smaller than 4 GiB. nm prints fixed-width hex, so string comparison orders it.
printf '%s\n' "$symbols" | awk -v text_start="$text_start" -v text_end="$text_end" '
	function low32(hex,    value, i) {
		hex = substr(hex, length(hex) - 7)
		value = 0
		for (i = 1; i <= 8; i++)
			value = value * 16 + index("0123456789abcdef", substr(hex, i, 1)) - 1
		return value
	}
	BEGIN { n = 0 }
	$2 ~ /^[tTwW]$/ && $3 !~ /^_(text|etext)$/ && $1 >= text_start && $1 < text_end {
		if ($1 == last) next
		last = $1
		address[n] = $1; name[n] = $3; n++
	}
	END {
		emit_header = "\t.section .mote_syms, \"a\"\n\t.balign 8\n\t.globl mote_symbol_table\nmote_symbol_table:"
		print emit_header
		printf "\t.quad 0x%s, 0x%s, %d\n", text_start, text_end, n
		start = low32(text_start)
		offset = 0
		for (i = 0; i < n; i++) {
			# %.0f, not %d: mawk clamps %d to 31 bits.
			printf "\t.long %.0f, %.0f\n", (low32(address[i]) - start + 4294967296) % 4294967296, offset
			offset += length(name[i]) + 1
		}
		for (i = 0; i < n; i++)
			printf "\t.asciz \"%s\"\n", name[i]
	}'
