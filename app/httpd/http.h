/*
 * HTTP/1.1 messages for httpd: parsing a request head, and the small pieces a response needs
 * (status texts, dates, content types, byte ranges). RFC 9110 (semantics) and RFC 9112
 * (HTTP/1.1 message syntax).
 *
 * Everything here is pure computation on buffers: no network, no disk, no allocation. That is
 * what lets the parser run on the host under unit tests and a fuzzer, and it is the parser
 * that meets hostile input first.
 */
#ifndef APP_HTTPD_HTTP_H
#define APP_HTTPD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest request head (request line and headers) we accept: 431 beyond it. */
#define HTTP_HEAD_MAX 8192
/* The longest request target: 414 beyond it. */
#define HTTP_TARGET_MAX 2048
/* The longest decoded path kept. */
#define HTTP_PATH_MAX 1024
/* More header fields than this is 431. */
#define HTTP_FIELDS_MAX 64
/* The largest request body we read and discard: 413 beyond it. */
#define HTTP_BODY_MAX (64 * 1024)

enum http_method { HTTP_GET, HTTP_HEAD };

struct http_range {
	bool present;           /* a single, well-formed "bytes=" range was asked for */
	bool suffix;            /* "bytes=-N": the last N bytes (first = N) */
	bool open_end;          /* "bytes=N-": from N to the end */
	uint64_t first, last;
};

struct http_request {
	enum http_method method;
	unsigned int minor_version;     /* HTTP/1.<minor> */
	char path[HTTP_PATH_MAX];       /* percent-decoded, "." and ".." resolved, starts with '/' */
	bool keep_alive;                /* the connection may carry another request */
	uint64_t content_length;        /* body bytes that follow the head */
	struct http_range range;
	char if_none_match[256];        /* the raw field value; "" if absent */
	bool has_if_modified_since;
	uint64_t if_modified_since;     /* seconds since 1970 */
};

/*
 * Parse the request head at the start of `buffer`. Returns the length of the head (the body,
 * if any, and any pipelined request follow it), 0 if the head is not complete yet, or a
 * negative number on a bad request, with *status set to the HTTP status to answer: 400 (bad
 * syntax), 405 (a method other than GET and HEAD), 413 (body too large), 414 (target too
 * long), 431 (head too large or too many fields), 501 (transfer codings), 505 (not HTTP/1.x).
 * An incomplete head that already fills HTTP_HEAD_MAX bytes is a 431 (or 414 while still in
 * the request line).
 */
int http_parse_request(const char *buffer, size_t length, struct http_request *request,
		       int *status);

/*
 * Resolve `range` against a resource of `size` bytes. Returns true and the first and last
 * byte (inclusive) if it is satisfiable; false means 416 Range Not Satisfiable.
 */
bool http_range_resolve(const struct http_range *range, uint64_t size, uint64_t *first,
			uint64_t *last);

/* Whether `etag` (with its quotes) matches an If-None-Match value: "*" or a list. */
bool http_etag_matches(const char *if_none_match, const char *etag);

/* The reason phrase for a status code ("Not Found"). */
const char *http_status_text(int status);

/* An IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", for `seconds` since 1970. Needs 30 bytes. */
void http_format_date(char *buffer, size_t size, uint64_t seconds);

/* Parse an IMF-fixdate; false if `text` is not one. */
bool http_parse_date(const char *text, size_t length, uint64_t *seconds);

/* The Content-Type for a path, from its extension. */
const char *http_content_type(const char *path);

#endif
