/*
 * Unit tests for app/httpd/http.c: request heads (good, pipelined, incomplete and every kind
 * of bad), path normalization, ranges, entity tags, dates and content types.
 */
#include <check.h>
#include "test/unit/suites.h"
#include "app/httpd/http.h"

/* Parse `text` (a C string) and return the result; the request and status go to the caller. */
static int parse(const char *text, struct http_request *request, int *status)
{
	*status = -1;
	return http_parse_request(text, strlen(text), request, status);
}

/* A request that must fail with `expected`. */
static void expect_status(const char *text, int expected)
{
	struct http_request request;
	int status;

	ck_assert_int_lt(parse(text, &request, &status), 0);
	ck_assert_int_eq(status, expected);
}

START_TEST(test_simple_get)
{
	const char *text = "GET /index.html HTTP/1.1\r\nHost: example.org\r\n\r\n";
	struct http_request request;
	int status;

	ck_assert_int_eq(parse(text, &request, &status), (int)strlen(text));
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(request.method, HTTP_GET);
	ck_assert_uint_eq(request.minor_version, 1);
	ck_assert_str_eq(request.path, "/index.html");
	ck_assert(request.keep_alive);
	ck_assert(!request.range.present);
	ck_assert_str_eq(request.if_none_match, "");
}
END_TEST

START_TEST(test_head_and_versions)
{
	struct http_request request;
	int status;

	/* HTTP/1.0 needs no Host and closes unless asked to keep alive. */
	ck_assert_int_gt(parse("HEAD / HTTP/1.0\r\n\r\n", &request, &status), 0);
	ck_assert_int_eq(request.method, HTTP_HEAD);
	ck_assert(!request.keep_alive);
	ck_assert_int_gt(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &request, &status), 0);
	ck_assert(request.keep_alive);
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", &request, &status), 0);
	ck_assert(!request.keep_alive);
	/* Bare LF line ends are accepted. */
	ck_assert_int_gt(parse("GET /x HTTP/1.1\nHost: a\n\n", &request, &status), 0);
	ck_assert_str_eq(request.path, "/x");
	expect_status("GET / HTTP/2.0\r\n\r\n", 505);
	expect_status("GET / HTTP/1.1x\r\n\r\n", 400);
	expect_status("GET / http/1.1\r\n\r\n", 400);
}
END_TEST

START_TEST(test_incomplete_and_pipelined)
{
	const char *two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
	struct http_request request;
	int status, first, second;

	/* Every proper prefix of a head is "need more". */
	for (size_t length = 0; length < 28; length++) {
		status = -1;
		ck_assert_int_eq(http_parse_request(two, length, &request, &status), 0);
	}
	first = http_parse_request(two, strlen(two), &request, &status);
	ck_assert_int_eq(first, 28);
	ck_assert_str_eq(request.path, "/a");
	second = http_parse_request(two + first, strlen(two) - (size_t)first, &request, &status);
	ck_assert_int_eq(second, 28);
	ck_assert_str_eq(request.path, "/b");
	/* Empty lines before a request are skipped and counted. */
	ck_assert_int_eq(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", &request, &status), 4 + 27);
}
END_TEST

START_TEST(test_methods_and_syntax)
{
	expect_status("POST / HTTP/1.1\r\nHost: h\r\n\r\n", 405);
	expect_status("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n", 405);
	expect_status("get / HTTP/1.1\r\nHost: h\r\n\r\n", 405);
	expect_status("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	expect_status("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	expect_status("GET /\r\n\r\n", 400);
	expect_status("GET\r\n\r\n", 400);
	expect_status("GET x HTTP/1.1\r\nHost: h\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\n\r\n", 400);				/* no Host */
	expect_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);	/* two */
	expect_status("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400);		/* space before colon */
	expect_status("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400);	/* obs-fold */
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n", 400);		/* control character */
	expect_status("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400);		/* bare CR */
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 501);
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", 400);
	expect_status("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n", 413);
}
END_TEST

START_TEST(test_limits)
{
	static char text[HTTP_HEAD_MAX * 2];
	struct http_request request;
	int status;
	size_t length;

	/* A request line that never ends within the limit: 414. */
	memset(text, 'a', sizeof(text));
	memcpy(text, "GET /", 5);
	ck_assert_int_lt(http_parse_request(text, HTTP_HEAD_MAX, &request, &status), 0);
	ck_assert_int_eq(status, 414);
	/* A complete but too long target: 414. */
	length = (size_t)snprintf(text, sizeof(text), "GET /%0*d HTTP/1.1\r\nHost: h\r\n\r\n",
				  HTTP_TARGET_MAX, 0);
	ck_assert_int_lt(http_parse_request(text, length, &request, &status), 0);
	ck_assert_int_eq(status, 414);
	/* Headers that never end within the limit: 431. */
	length = (size_t)snprintf(text, sizeof(text), "GET / HTTP/1.1\r\nHost: h\r\nX: ");
	memset(text + length, 'b', sizeof(text) - length);
	ck_assert_int_lt(http_parse_request(text, sizeof(text), &request, &status), 0);
	ck_assert_int_eq(status, 431);
	/* Too many fields: 431. */
	length = (size_t)snprintf(text, sizeof(text), "GET / HTTP/1.1\r\nHost: h\r\n");
	for (int i = 0; i < HTTP_FIELDS_MAX; i++)
		length += (size_t)snprintf(text + length, sizeof(text) - length, "X-%d: y\r\n", i);
	length += (size_t)snprintf(text + length, sizeof(text) - length, "\r\n");
	ck_assert_int_lt(http_parse_request(text, length, &request, &status), 0);
	ck_assert_int_eq(status, 431);
}
END_TEST

/* The path a target normalizes to, or NULL if it is refused with 400. */
static void expect_path(const char *target, const char *path)
{
	char text[512];
	struct http_request request;
	int status, rc;

	snprintf(text, sizeof(text), "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", target);
	rc = http_parse_request(text, strlen(text), &request, &status);
	if (path == NULL) {
		ck_assert_msg(rc < 0 && status == 400, "%s: want 400, got rc %d status %d", target, rc, status);
		return;
	}
	ck_assert_msg(rc > 0, "%s: refused with %d", target, status);
	ck_assert_str_eq(request.path, path);
}

START_TEST(test_paths)
{
	expect_path("/", "/");
	expect_path("/a/b.html?x=1#frag", "/a/b.html");
	expect_path("/a//b", "/a/b");
	expect_path("/a/./b", "/a/b");
	expect_path("/a/b/../c", "/a/c");
	expect_path("/a/b/..", "/a/");
	expect_path("/dir/", "/dir/");
	expect_path("/%41%62c", "/Abc");
	expect_path("/with%20space", "/with space");
	expect_path("http://example.org/x/y", "/x/y");
	expect_path("http://example.org", "/");
	expect_path("/..", NULL);
	expect_path("/a/../../etc/passwd", NULL);
	expect_path("/%2e%2e/x", NULL);		/* decoded "..": above the root */
	expect_path("/a%2fb", NULL);		/* an encoded slash */
	expect_path("/a%00b", NULL);
	expect_path("/a%zz", NULL);
	expect_path("/a%4", NULL);
}
END_TEST

START_TEST(test_ranges)
{
	struct http_request request;
	uint64_t first, last;
	int status;

	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=10-19\r\n\r\n", &request, &status), 0);
	ck_assert(request.range.present);
	ck_assert(http_range_resolve(&request.range, 100, &first, &last));
	ck_assert_uint_eq(first, 10);
	ck_assert_uint_eq(last, 19);
	ck_assert(http_range_resolve(&request.range, 15, &first, &last));
	ck_assert_uint_eq(last, 14);
	ck_assert(!http_range_resolve(&request.range, 10, &first, &last));

	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=-30\r\n\r\n", &request, &status), 0);
	ck_assert(http_range_resolve(&request.range, 100, &first, &last));
	ck_assert_uint_eq(first, 70);
	ck_assert_uint_eq(last, 99);
	ck_assert(http_range_resolve(&request.range, 10, &first, &last));
	ck_assert_uint_eq(first, 0);

	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=50-\r\n\r\n", &request, &status), 0);
	ck_assert(http_range_resolve(&request.range, 100, &first, &last));
	ck_assert_uint_eq(first, 50);
	ck_assert_uint_eq(last, 99);
	ck_assert(!http_range_resolve(&request.range, 0, &first, &last));

	/* Several ranges, other units and nonsense are ignored: the whole file is sent. */
	const char *ignored[] = { "bytes=0-1,5-6", "items=0-1", "bytes=5-1", "bytes=x-1", "bytes=" };
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text), "GET / HTTP/1.1\r\nHost: h\r\nRange: %s\r\n\r\n", ignored[i]);
		ck_assert_int_gt(parse(text, &request, &status), 0);
		ck_assert_msg(!request.range.present, "%s was not ignored", ignored[i]);
	}
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=-0\r\n\r\n", &request, &status), 0);
	ck_assert(!http_range_resolve(&request.range, 100, &first, &last));
}
END_TEST

START_TEST(test_etags)
{
	ck_assert(http_etag_matches("\"abc\"", "\"abc\""));
	ck_assert(http_etag_matches("*", "\"abc\""));
	ck_assert(http_etag_matches("\"x\", W/\"abc\"", "\"abc\""));
	ck_assert(http_etag_matches("  \"x\" ,\"abc\"  ", "\"abc\""));
	ck_assert(!http_etag_matches("\"abcd\"", "\"abc\""));
	ck_assert(!http_etag_matches("", "\"abc\""));
	ck_assert(!http_etag_matches("abc", "\"abc\""));
}
END_TEST

START_TEST(test_dates)
{
	char text[32];
	uint64_t seconds;

	http_format_date(text, sizeof(text), 784111777);
	ck_assert_str_eq(text, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_format_date(text, sizeof(text), 0);
	ck_assert_str_eq(text, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_format_date(text, sizeof(text), 951782400);	/* a leap day */
	ck_assert_str_eq(text, "Tue, 29 Feb 2000 00:00:00 GMT");
	ck_assert(http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", 29, &seconds));
	ck_assert_uint_eq(seconds, 784111777);
	/* Every day of a few years survives the round trip. */
	for (uint64_t t = 1500000000; t < 1500000000 + 4 * 366 * 86400ULL; t += 86400 + 3599) {
		http_format_date(text, sizeof(text), t);
		ck_assert(http_parse_date(text, strlen(text), &seconds));
		ck_assert_uint_eq(seconds, t);
	}
	ck_assert(!http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30, &seconds));
	ck_assert(!http_parse_date("Sun, 06 Foo 1994 08:49:37 GMT", 29, &seconds));
	ck_assert(!http_parse_date("Sun, 06 Nov 1994 25:49:37 GMT", 29, &seconds));
}
END_TEST

START_TEST(test_content_types)
{
	ck_assert_str_eq(http_content_type("/index.html"), "text/html; charset=utf-8");
	ck_assert_str_eq(http_content_type("/a/b.CSS"), "text/css; charset=utf-8");
	ck_assert_str_eq(http_content_type("/img/logo.png"), "image/png");
	ck_assert_str_eq(http_content_type("/noext"), "application/octet-stream");
	ck_assert_str_eq(http_content_type("/dir.d/noext"), "application/octet-stream");
}
END_TEST

Suite *http_suite(void)
{
	Suite *suite = suite_create("http");
	TCase *tcase = tcase_create("parse");

	tcase_add_test(tcase, test_simple_get);
	tcase_add_test(tcase, test_head_and_versions);
	tcase_add_test(tcase, test_incomplete_and_pipelined);
	tcase_add_test(tcase, test_methods_and_syntax);
	tcase_add_test(tcase, test_limits);
	tcase_add_test(tcase, test_paths);
	tcase_add_test(tcase, test_ranges);
	tcase_add_test(tcase, test_etags);
	tcase_add_test(tcase, test_dates);
	tcase_add_test(tcase, test_content_types);
	suite_add_tcase(suite, tcase);
	return suite;
}
