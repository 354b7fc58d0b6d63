/*
 * HTTP/1.1 request heads and response helpers for httpd (app/httpd/http.h).
 *
 * The request head is the request line and the header fields, up to an empty line
 * (RFC 9112, section 2.1):
 *
 *     GET /index.html HTTP/1.1\r\n
 *     Host: example.org\r\n
 *     Range: bytes=0-99\r\n
 *     \r\n
 *
 * The parser never trusts a length or a character: every read is bounded by the head's end,
 * every field is checked against the grammar before it is used, and anything outside what a
 * static file server needs is answered with the status the RFCs prescribe rather than guessed
 * at. A bare LF is accepted as a line end (RFC 9112 section 2.2 allows it); a bare CR is not.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "app/httpd/http.h"
#include "lib/ctype.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/util.h"

/* A field or line, as a slice of the input: never NUL-terminated. */
struct slice {
	const char *start;
	size_t length;
};

/* tchar, the characters of a token (RFC 9110 section 5.6.2). */
static bool is_token_char(char c)
{
	return isalnum((unsigned char)c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_token(struct slice text)
{
	if (text.length == 0)
		return false;
	for (size_t i = 0; i < text.length; i++)
		if (!is_token_char(text.start[i]))
			return false;
	return true;
}

static bool slice_equals(struct slice text, const char *literal)
{
	return text.length == strlen(literal) && memcmp(text.start, literal, text.length) == 0;
}

static bool slice_equals_nocase(struct slice text, const char *literal)
{
	return text.length == strlen(literal) && strncasecmp(text.start, literal, text.length) == 0;
}

/* Drop optional whitespace (SP and HTAB) at both ends. */
static struct slice trim(struct slice text)
{
	while (text.length > 0 && (text.start[0] == ' ' || text.start[0] == '\t')) {
		text.start++;
		text.length--;
	}
	while (text.length > 0 && (text.start[text.length - 1] == ' ' || text.start[text.length - 1] == '\t'))
		text.length--;
	return text;
}

/*
 * A decimal number of at most 19 digits (so it cannot overflow 64 bits). Returns false for
 * anything else, including an empty string and signs.
 */
static bool parse_decimal(struct slice text, uint64_t *value)
{
	uint64_t result = 0;

	if (text.length == 0 || text.length > 19)
		return false;
	for (size_t i = 0; i < text.length; i++) {
		if (!isdigit((unsigned char)text.start[i]))
			return false;
		result = result * 10 + (uint64_t)(text.start[i] - '0');
	}
	*value = result;
	return true;
}

/* ---- Finding the head ---------------------------------------------------------------------- */

/*
 * The length of the head including its empty last line, or 0 if it is not all there yet.
 * Lines end in LF (optionally preceded by CR), so the head ends at LF, optional CR, LF.
 */
static size_t head_length(const char *buffer, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		if (buffer[i] != '\n')
			continue;
		if (i + 1 < length && buffer[i + 1] == '\n')
			return i + 2;
		if (i + 2 < length && buffer[i + 1] == '\r' && buffer[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* The next line of the head, without its line end; false if a stray CR is in it. */
static bool next_line(const char **cursor, const char *end, struct slice *line)
{
	const char *start = *cursor, *newline = memchr(start, '\n', (size_t)(end - start));

	if (newline == NULL)
		newline = end;
	*cursor = newline < end ? newline + 1 : end;
	line->start = start;
	line->length = (size_t)(newline - start);
	if (line->length > 0 && start[line->length - 1] == '\r')
		line->length--;
	return memchr(line->start, '\r', line->length) == NULL;
}

/* ---- The request line ----------------------------------------------------------------------- */

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Turn the target's path into a clean file path: percent-decode it (a decoded NUL, or a
 * decoded '/' that would change what the segments are, is refused), then resolve "." and
 * ".." segments, so that no request can name anything outside the site (RFC 3986,
 * section 5.2.4). Returns 0 or the status to answer.
 */
static int decode_path(struct slice target, char *path, size_t size)
{
	size_t out = 0;

	/* Only the path: the query and fragment do not name a file. */
	for (size_t i = 0; i < target.length; i++) {
		if (target.start[i] == '?' || target.start[i] == '#') {
			target.length = i;
			break;
		}
	}
	for (size_t i = 0; i < target.length; ) {
		char c = target.start[i];
		size_t segment_start;

		/* At each '/', start a segment and see whether it is "." or "..". */
		if (c != '/')
			return 400;
		while (i < target.length && target.start[i] == '/')
			i++;	/* "//" is one separator */
		segment_start = out;
		if (out + 1 >= size)
			return 414;
		path[out++] = '/';
		while (i < target.length && target.start[i] != '/') {
			c = target.start[i++];
			if (c == '%') {
				int high, low;

				if (i + 2 > target.length)
					return 400;
				high = hex_value(target.start[i]);
				low = hex_value(target.start[i + 1]);
				if (high < 0 || low < 0)
					return 400;
				c = (char)(high * 16 + low);
				i += 2;
				if (c == '\0' || c == '/' || c == '\\')
					return 400;
			} else if ((unsigned char)c <= ' ' || c == 0x7f) {
				return 400;
			}
			if (out + 1 >= size)
				return 414;
			path[out++] = c;
		}
		/* path[segment_start] is the '/'; the segment is what follows. */
		size_t segment_length = out - segment_start - 1;

		if (segment_length == 1 && path[segment_start + 1] == '.') {
			out = segment_start;
		} else if (segment_length == 2 && path[segment_start + 1] == '.' &&
			   path[segment_start + 2] == '.') {
			/* Drop this segment and the one before it; never above the root. */
			if (segment_start == 0)
				return 400;
			out = segment_start;
			while (out > 0 && path[out - 1] != '/')
				out--;
			out = out > 0 ? out - 1 : 0;
		}
	}
	/* A trailing "/." or "/.." leaves a directory: keep its slash. */
	if (out == 0 || (target.length > 0 && target.start[target.length - 1] == '/') ||
	    (target.length >= 2 && memcmp(target.start + target.length - 2, "/.", 2) == 0) ||
	    (target.length >= 3 && memcmp(target.start + target.length - 3, "/..", 3) == 0)) {
		if (out == 0 || path[out - 1] != '/') {
			if (out + 1 >= size)
				return 414;
			path[out++] = '/';
		}
	}
	path[out] = '\0';
	return 0;
}

/* "HTTP/1.1" -> minor version 1. */
static int parse_version(struct slice version, unsigned int *minor)
{
	if (version.length != 8 || memcmp(version.start, "HTTP/", 5) != 0 ||
	    !isdigit((unsigned char)version.start[5]) || version.start[6] != '.' ||
	    !isdigit((unsigned char)version.start[7]))
		return 400;
	if (version.start[5] != '1')
		return 505;
	*minor = (unsigned int)(version.start[7] - '0');
	return 0;
}

static int parse_request_line(struct slice line, struct http_request *request)
{
	const char *first_space = memchr(line.start, ' ', line.length), *second_space;
	struct slice method, target, version;
	int status;

	if (first_space == NULL)
		return 400;
	second_space = memchr(first_space + 1, ' ', (size_t)(line.start + line.length - first_space - 1));
	if (second_space == NULL)
		return 400;
	method = (struct slice){ line.start, (size_t)(first_space - line.start) };
	target = (struct slice){ first_space + 1, (size_t)(second_space - first_space - 1) };
	version = (struct slice){ second_space + 1, (size_t)(line.start + line.length - second_space - 1) };

	if (!is_token(method) || target.length == 0)
		return 400;
	status = parse_version(version, &request->minor_version);
	if (status != 0)
		return status;
	if (target.length > HTTP_TARGET_MAX)
		return 414;
	/* Methods are case-sensitive (RFC 9110 section 9.1). */
	if (slice_equals(method, "GET"))
		request->method = HTTP_GET;
	else if (slice_equals(method, "HEAD"))
		request->method = HTTP_HEAD;
	else
		return 405;
	/* absolute-form ("http://host/path") is for proxies, but servers must accept it. */
	if (target.length > 7 && strncasecmp(target.start, "http://", 7) == 0) {
		const char *path = memchr(target.start + 7, '/', target.length - 7);

		if (path == NULL)
			target = (struct slice){ "/", 1 };
		else
			target = (struct slice){ path, (size_t)(target.start + target.length - path) };
	}
	if (target.start[0] != '/')
		return 400;
	return decode_path(target, request->path, sizeof(request->path));
}

/* ---- Header fields -------------------------------------------------------------------------- */

/*
 * Range: bytes=first-last | bytes=first- | bytes=-suffix (RFC 9110 section 14.1.2). Several
 * ranges, other units, or anything malformed: the field is ignored and the whole resource
 * sent, which the RFC allows.
 */
static void parse_range(struct slice value, struct http_range *range)
{
	struct slice first, last;
	const char *dash;

	/* A later Range field replaces an earlier one whole, flags included. */
	*range = (struct http_range){ .present = false };
	if (value.length < 7 || strncasecmp(value.start, "bytes=", 6) != 0)
		return;
	value = trim((struct slice){ value.start + 6, value.length - 6 });
	if (memchr(value.start, ',', value.length) != NULL)
		return;
	dash = memchr(value.start, '-', value.length);
	if (dash == NULL)
		return;
	first = trim((struct slice){ value.start, (size_t)(dash - value.start) });
	last = trim((struct slice){ dash + 1, (size_t)(value.start + value.length - dash - 1) });
	if (first.length == 0) {
		if (!parse_decimal(last, &range->first))
			return;
		range->suffix = true;
	} else if (last.length == 0) {
		if (!parse_decimal(first, &range->first))
			return;
		range->open_end = true;
	} else {
		if (!parse_decimal(first, &range->first) || !parse_decimal(last, &range->last) ||
		    range->last < range->first)
			return;
	}
	range->present = true;
}

/* Connection: a comma-separated list of options; only "close" and "keep-alive" matter. */
static void parse_connection(struct slice value, struct http_request *request)
{
	while (value.length > 0) {
		const char *comma = memchr(value.start, ',', value.length);
		size_t length = comma != NULL ? (size_t)(comma - value.start) : value.length;
		struct slice option = trim((struct slice){ value.start, length });

		if (slice_equals_nocase(option, "close"))
			request->keep_alive = false;
		else if (slice_equals_nocase(option, "keep-alive"))
			request->keep_alive = true;
		value.start += length;
		value.length -= length;
		if (value.length > 0) {
			value.start++;
			value.length--;
		}
	}
}

struct field_state {
	unsigned int hosts;
	bool content_length_seen;
};

static int parse_field(struct slice line, struct http_request *request, struct field_state *state)
{
	const char *colon = memchr(line.start, ':', line.length);
	struct slice name, value;

	/* No whitespace before the colon, and no obsolete line folding (RFC 9112 5.1, 5.2). */
	if (colon == NULL || line.start[0] == ' ' || line.start[0] == '\t')
		return 400;
	name = (struct slice){ line.start, (size_t)(colon - line.start) };
	if (!is_token(name))
		return 400;
	value = trim((struct slice){ colon + 1, (size_t)(line.start + line.length - colon - 1) });
	for (size_t i = 0; i < value.length; i++) {
		unsigned char c = (unsigned char)value.start[i];

		if ((c < ' ' && c != '\t') || c == 0x7f)
			return 400;
	}

	if (slice_equals_nocase(name, "Host")) {
		state->hosts++;
	} else if (slice_equals_nocase(name, "Connection")) {
		parse_connection(value, request);
	} else if (slice_equals_nocase(name, "Content-Length")) {
		uint64_t length;

		/* Two different lengths mean the message cannot be framed (RFC 9112 6.3). */
		if (!parse_decimal(value, &length) ||
		    (state->content_length_seen && length != request->content_length))
			return 400;
		state->content_length_seen = true;
		request->content_length = length;
		if (length > HTTP_BODY_MAX)
			return 413;
	} else if (slice_equals_nocase(name, "Transfer-Encoding")) {
		/* A static file server has no use for request bodies, let alone chunked ones. */
		return 501;
	} else if (slice_equals_nocase(name, "Range")) {
		parse_range(value, &request->range);
	} else if (slice_equals_nocase(name, "If-None-Match")) {
		size_t length = MIN(value.length, sizeof(request->if_none_match) - 1);

		memcpy(request->if_none_match, value.start, length);
		request->if_none_match[length] = '\0';
	} else if (slice_equals_nocase(name, "If-Modified-Since")) {
		request->has_if_modified_since =
			http_parse_date(value.start, value.length, &request->if_modified_since);
	}
	return 0;
}

int http_parse_request(const char *buffer, size_t length, struct http_request *request,
		       int *status)
{
	struct field_state state = { 0 };
	const char *cursor = buffer, *end;
	size_t skipped = 0, head;
	struct slice line;
	unsigned int fields = 0;

	/* Empty lines before a request are ignored (RFC 9112 2.2), e.g. after a body's CRLF. */
	while (skipped < length && (buffer[skipped] == '\r' || buffer[skipped] == '\n'))
		skipped++;
	head = head_length(buffer + skipped, MIN(length - skipped, (size_t)HTTP_HEAD_MAX));
	if (head == 0) {
		if (length - skipped < HTTP_HEAD_MAX)
			return 0;
		/* Full, and still no end: blame the request line if it never ended. */
		*status = memchr(buffer + skipped, '\n', HTTP_HEAD_MAX) == NULL ? 414 : 431;
		return -1;
	}

	memset(request, 0, sizeof(*request));
	cursor = buffer + skipped;
	end = cursor + head;
	if (!next_line(&cursor, end, &line) || (*status = parse_request_line(line, request)) != 0) {
		if (*status == 0)
			*status = 400;
		return -1;
	}
	/* HTTP/1.1 keeps connections open unless told otherwise; 1.0 only when asked. */
	request->keep_alive = request->minor_version >= 1;
	while (next_line(&cursor, end, &line)) {
		if (line.length == 0)
			break;
		if (++fields > HTTP_FIELDS_MAX) {
			*status = 431;
			return -1;
		}
		*status = parse_field(line, request, &state);
		if (*status != 0)
			return -1;
	}
	if (line.length != 0 || memchr(line.start, '\r', line.length) != NULL) {
		*status = 400;
		return -1;
	}
	/* HTTP/1.1 requires exactly one Host (RFC 9112 3.2). */
	if ((request->minor_version >= 1 && state.hosts != 1) || state.hosts > 1) {
		*status = 400;
		return -1;
	}
	*status = 0;
	return (int)(skipped + head);
}

/* ---- Responses ------------------------------------------------------------------------------ */

bool http_range_resolve(const struct http_range *range, uint64_t size, uint64_t *first,
			uint64_t *last)
{
	if (range->suffix) {
		if (range->first == 0 || size == 0)
			return false;
		*first = size > range->first ? size - range->first : 0;
		*last = size - 1;
		return true;
	}
	if (range->first >= size)
		return false;
	*first = range->first;
	*last = range->open_end ? size - 1 : MIN(range->last, size - 1);
	return true;
}

/*
 * If-None-Match: "*", or a list of entity tags. It uses the weak comparison (RFC 9110
 * 13.1.2): a W/ prefix is ignored, and the quoted opaque tags must be equal.
 */
bool http_etag_matches(const char *if_none_match, const char *etag)
{
	struct slice list = trim((struct slice){ if_none_match, strlen(if_none_match) });
	size_t etag_length = strlen(etag);

	if (slice_equals(list, "*"))
		return true;
	while (list.length > 0) {
		const char *comma = memchr(list.start, ',', list.length);
		size_t length = comma != NULL ? (size_t)(comma - list.start) : list.length;
		struct slice tag = trim((struct slice){ list.start, length });

		if (tag.length >= 2 && tag.start[0] == 'W' && tag.start[1] == '/') {
			tag.start += 2;
			tag.length -= 2;
		}
		if (tag.length == etag_length && memcmp(tag.start, etag, etag_length) == 0)
			return true;
		list.start += length;
		list.length -= length;
		if (list.length > 0) {
			list.start++;
			list.length--;
		}
	}
	return false;
}

const char *http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* ---- Dates ---------------------------------------------------------------------------------- */

static const char day_names[7][4] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
static const char month_names[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/*
 * Days since 1970-01-01 for a date of the proleptic Gregorian calendar. Counting years from
 * March puts February, with its leap day, last; then every month's start is a linear
 * function of its number, and a 400-year era has a fixed 146097 days.
 */
static int64_t days_from_date(int64_t year, unsigned int month, unsigned int day)
{
	int64_t era, year_of_era, day_of_year, day_of_era;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	year_of_era = year - era * 400;
	day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
	return era * 146097 + day_of_era - 719468;
}

/* The inverse of days_from_date. */
static void date_from_days(int64_t days, int64_t *year, unsigned int *month, unsigned int *day)
{
	int64_t era, day_of_era, year_of_era, day_of_year, month_index;

	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	day_of_era = days - era * 146097;
	year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
	day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	month_index = (5 * day_of_year + 2) / 153;
	*day = (unsigned int)(day_of_year - (153 * month_index + 2) / 5 + 1);
	*month = (unsigned int)(month_index < 10 ? month_index + 3 : month_index - 9);
	*year = year_of_era + era * 400 + (*month <= 2);
}

void http_format_date(char *buffer, size_t size, uint64_t seconds)
{
	int64_t days = (int64_t)(seconds / 86400), year;
	unsigned int second_of_day = (unsigned int)(seconds % 86400), month, day;

	date_from_days(days, &year, &month, &day);
	snprintf(buffer, size, "%s, %02u %s %04ld %02u:%02u:%02u GMT", day_names[days % 7], day,
		 month_names[month - 1], (long)year, second_of_day / 3600, second_of_day / 60 % 60,
		 second_of_day % 60);
}

/* Two digits at text[0..1]; -1 if they are not digits. */
static int two_digits(const char *text)
{
	if (!isdigit((unsigned char)text[0]) || !isdigit((unsigned char)text[1]))
		return -1;
	return (text[0] - '0') * 10 + (text[1] - '0');
}

/* "Sun, 06 Nov 1994 08:49:37 GMT": the only date format a server must accept from clients
 * that send what it sent (RFC 9110 5.6.7); the obsolete formats are just not matched. */
bool http_parse_date(const char *text, size_t length, uint64_t *seconds)
{
	int day, year_high, year_low, hour, minute, second;
	unsigned int month;

	if (length != 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' ||
	    text[16] != ' ' || text[19] != ':' || text[22] != ':' || memcmp(text + 25, " GMT", 4) != 0)
		return false;
	for (month = 0; month < 12; month++)
		if (memcmp(text + 8, month_names[month], 3) == 0)
			break;
	day = two_digits(text + 5);
	year_high = two_digits(text + 12);
	year_low = two_digits(text + 14);
	hour = two_digits(text + 17);
	minute = two_digits(text + 20);
	second = two_digits(text + 23);
	if (month == 12 || day < 1 || day > 31 || year_high < 0 || year_low < 0 || hour < 0 ||
	    hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60)
		return false;
	int64_t days = days_from_date(year_high * 100 + year_low, month + 1, (unsigned int)day);

	if (days < 0)
		return false;
	*seconds = (uint64_t)days * 86400 + (uint64_t)(hour * 3600 + minute * 60 + second);
	return true;
}

/* ---- Content types -------------------------------------------------------------------------- */

const char *http_content_type(const char *path)
{
	static const struct {
		const char *extension;
		const char *type;
	} types[] = {
		{ "html", "text/html; charset=utf-8" },
		{ "htm", "text/html; charset=utf-8" },
		{ "css", "text/css; charset=utf-8" },
		{ "js", "text/javascript; charset=utf-8" },
		{ "mjs", "text/javascript; charset=utf-8" },
		{ "json", "application/json" },
		{ "txt", "text/plain; charset=utf-8" },
		{ "md", "text/markdown; charset=utf-8" },
		{ "xml", "application/xml" },
		{ "svg", "image/svg+xml" },
		{ "png", "image/png" },
		{ "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" },
		{ "gif", "image/gif" },
		{ "webp", "image/webp" },
		{ "ico", "image/vnd.microsoft.icon" },
		{ "woff", "font/woff" },
		{ "woff2", "font/woff2" },
		{ "pdf", "application/pdf" },
		{ "wasm", "application/wasm" },
		{ "mp4", "video/mp4" },
		{ "webm", "video/webm" },
	};
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash != NULL ? slash : path, '.');

	if (dot != NULL) {
		for (size_t i = 0; i < ARRAY_SIZE(types); i++)
			if (strcasecmp(dot + 1, types[i].extension) == 0)
				return types[i].type;
	}
	return "application/octet-stream";
}
