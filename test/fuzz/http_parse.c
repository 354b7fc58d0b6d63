/*
 * test/fuzz/http_parse.c: libFuzzer target for httpd's request parser (app/httpd/http.c), the
 * first code that meets what a client sends. The input is copied to a heap block of exactly
 * its size, so AddressSanitizer sees any read past the end. Besides not crashing, a result
 * must keep the promises that main.c relies on:
 *   - a head length is within the input, and a complete head parses the same when it is
 *     followed by anything else (pipelining);
 *   - a parsed path is absolute and has no "." or ".." segment left, so no request names a
 *     file outside the site;
 *   - an error comes with one of the statuses that the parser documents;
 *   - a range that parsed resolves, against any size, to first <= last < size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "app/httpd/http.h"

#undef malloc
#undef free

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const char *path)
{
	if (path[0] != '/')
		abort();
	for (const char *segment = path; segment != NULL; segment = strchr(segment + 1, '/')) {
		if (strncmp(segment, "/./", 3) == 0 || strncmp(segment, "/../", 4) == 0 ||
		    strcmp(segment, "/.") == 0 || strcmp(segment, "/..") == 0)
			abort();
	}
}

static void check_range(const struct http_range *range)
{
	static const uint64_t sizes[] = { 0, 1, 100, 4096, 1ull << 40 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t first, last;

		if (http_range_resolve(range, sizes[i], &first, &last) && (first > last || last >= sizes[i]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size > 0 ? size : 1), *longer;
	struct http_request request, again;
	int status = 0, status_again = 0, head;

	memcpy(copy, data, size);
	head = http_parse_request(copy, size, &request, &status);
	if (head > 0) {
		if ((size_t)head > size || status != 0)
			abort();
		check_path(request.path);
		if (request.range.present)
			check_range(&request.range);
		(void)http_content_type(request.path);
		(void)http_etag_matches(request.if_none_match, "\"5f5e100-400\"");
		/* The same head with more bytes after it: the same request. */
		longer = malloc(size + 7);
		memcpy(longer, copy, size);
		memcpy(longer + size, "GET / H", 7);
		if (http_parse_request(longer, size + 7, &again, &status_again) != head ||
		    strcmp(again.path, request.path) != 0 || again.keep_alive != request.keep_alive)
			abort();
		free(longer);
	} else if (head < 0) {
		switch (status) {
		case 400: case 405: case 413: case 414: case 431: case 501: case 505:
			break;
		default:
			abort();
		}
	}
	free(copy);
	return 0;
}
