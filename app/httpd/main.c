/*
 * httpd: a static web server. It serves the files of the tar archive on the guest's first disk
 * over HTTP/1.1 (RFC 9110, RFC 9112): GET and HEAD, keep-alive and pipelining, byte ranges,
 * ETag/If-None-Match and Last-Modified/If-Modified-Since, index.html for directories.
 *
 *     mote-httpd [port=80] [log=on|off] [connections=N] [workers=4] [head_timeout=10]
 *                [idle_timeout=15] [ip=... gw=... (net/net.h)]
 *
 * How the work is split, and why (docs/httpd.md follows one request through all of it):
 *
 *   - The main thread, the *poller*, owns every connection that is waiting for a request. It
 *     accepts, reads whatever has arrived without waiting, and times out the slow. An idle
 *     connection costs only its TCP state and no thread, so many idle clients (a slowloris
 *     attack) cost little, and when the table is full the client idle longest makes room.
 *   - A few *worker* threads serve complete requests: they may wait on the disk and on slow
 *     readers without holding anybody else up. Large files are streamed a chunk at a time,
 *     never loaded whole.
 *   - A connection is in exactly one place at a time: the poller's table (waiting), the
 *     queue, or one worker. Threads are cooperative, so handing it over needs no lock.
 */
#include <stdint.h>
#include <stdbool.h>
#include "kernel/kernel.h"
#include "kernel/sched.h"
#include "net/net.h"
#include "net/tcp.h"
#include "blk/blkfront.h"
#include "blk/tarfs.h"
#include "blk/ustar.h"
#include "xen/console.h"
#include "xen/control.h"
#include "xen/time.h"
#include "app/httpd/http.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/list.h"
#include "lib/page_alloc.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/util.h"

/* Defaults of head_timeout= (how long a client may take to send a whole request head, once
 * it has started one: then 408) and idle_timeout= (how long a kept-alive connection may sit
 * between requests before it is closed), in seconds. */
#define HEAD_TIMEOUT      10
#define IDLE_TIMEOUT      15
/* How long a write may wait for a client to read: a client that stops reading is dropped. */
#define SEND_TIMEOUT      (30 * NSEC_PER_SEC)
/* Files are read from the disk and sent in pieces of this size. */
#define CHUNK_SIZE        (16 * 1024)

enum connection_state {
	CONNECTION_FREE,
	CONNECTION_WAITING,     /* the poller's: reading a request */
	CONNECTION_QUEUED,      /* a request (or a bad one) is ready for a worker */
	CONNECTION_SERVING,     /* a worker's */
};

struct connection {
	enum connection_state state;
	struct tcp_conn *conn;
	struct net_endpoint remote;
	char *buffer;                   /* HTTP_HEAD_MAX bytes while a request is arriving */
	size_t used;                    /* bytes in buffer */
	uint64_t deadline;              /* WAITING: when to give up on the client */
	uint64_t last_active;           /* for choosing whom to drop when the table is full */
	int status;                     /* QUEUED: 0 for a request, else the error status */
	struct list_node queue_link;
};

static struct {
	struct net *net;
	struct tarfs *fs;
	struct ustar *site;
	struct tcp_conn *listener;
	uint16_t port;
	bool log;
	unsigned int max_connections;
	unsigned int workers;
	uint64_t head_timeout;          /* ns */
	uint64_t idle_timeout;          /* ns */
	struct connection *connections;
	struct list_node queue;         /* connections with a request for the workers */
	volatile bool returned;         /* a worker gave a connection back to the poller */
	uint64_t requests, errors, dropped;
} httpd;

/* ---- Connections --------------------------------------------------------------------------- */

static void connection_close(struct connection *connection, bool reset)
{
	if (reset)
		tcp_abort(connection->conn);
	else
		tcp_close(connection->conn);
	free(connection->buffer);
	*connection = (struct connection){ .state = CONNECTION_FREE };
}

/* Hand a connection whose buffer holds a complete head (or a bad one) to the workers. */
static void connection_queue(struct connection *connection, int status)
{
	connection->state = CONNECTION_QUEUED;
	connection->status = status;
	list_add_tail(&httpd.queue, &connection->queue_link);
}

/* The poller takes a connection back between requests. */
static void connection_wait(struct connection *connection)
{
	uint64_t now = time_now();

	connection->state = CONNECTION_WAITING;
	connection->last_active = now;
	connection->deadline = now + (connection->used > 0 ? httpd.head_timeout : httpd.idle_timeout);
	/* An idle connection keeps no buffer: that is what makes thousands of them cheap. */
	if (connection->used == 0) {
		free(connection->buffer);
		connection->buffer = NULL;
	}
}

/* ---- Responses ----------------------------------------------------------------------------- */

/* Send all of `data`, or fail: a client that does not read for SEND_TIMEOUT is given up. */
static int send_all(struct connection *connection, const void *data, size_t length)
{
	int rc = tcp_write(connection->conn, data, length, time_now() + SEND_TIMEOUT);

	if (rc >= 0 && (size_t)rc < length)
		return -ETIMEDOUT;
	return rc < 0 ? rc : 0;
}

struct response {
	int status;
	const char *content_type;
	uint64_t length;                /* of the body */
	bool keep_alive;
	const char *extra;              /* further header lines, each ending in CRLF, or "" */
};

static int send_head(struct connection *connection, const struct response *response)
{
	char head[768], date[32];
	struct wall_time now;
	int length;

	time_wall_clock(&now);
	http_format_date(date, sizeof(date), now.seconds);
	length = snprintf(head, sizeof(head),
			  "HTTP/1.1 %d %s\r\n"
			  "Server: Mote\r\n"
			  "Date: %s\r\n"
			  "Content-Type: %s\r\n"
			  "Content-Length: %lu\r\n"
			  "%s"
			  "Connection: %s\r\n"
			  "\r\n",
			  response->status, http_status_text(response->status), date,
			  response->content_type, (unsigned long)response->length, response->extra,
			  response->keep_alive ? "keep-alive" : "close");
	if (length < 0 || (size_t)length >= sizeof(head))
		return -E2BIG;
	return send_all(connection, head, (size_t)length);
}

/* A short HTML page for an error status; the connection closes afterwards unless kept. */
static int send_error(struct connection *connection, int status, bool keep_alive,
		      bool with_body, const char *extra)
{
	char body[160];
	int length = snprintf(body, sizeof(body), "<!DOCTYPE html>\n<title>%d %s</title>\n<h1>%d %s</h1>\n",
			      status, http_status_text(status), status, http_status_text(status));
	struct response response = {
		.status = status,
		.content_type = "text/html; charset=utf-8",
		.length = (uint64_t)length,
		.keep_alive = keep_alive,
		.extra = extra != NULL ? extra : "",
	};
	int rc = send_head(connection, &response);

	if (rc == 0 && with_body)
		rc = send_all(connection, body, (size_t)length);
	return rc;
}

/*
 * Stream bytes [first, last] of a file: a chunk from the disk, then to the client, so a file
 * of any size needs only CHUNK_SIZE bytes of memory.
 */
static int send_file(struct connection *connection, struct ustar_file *file, uint64_t first,
		     uint64_t last, uint8_t *chunk)
{
	for (uint64_t offset = first; offset <= last; ) {
		size_t want = (size_t)MIN((uint64_t)CHUNK_SIZE, last - offset + 1);
		long got = ustar_read(file, offset, chunk, want);
		int rc;

		if (got <= 0) {
			/* The headers promised a length we can no longer send: all we can do is cut
			 * the connection, so the client sees the response is incomplete. */
			printf("httpd: disk read at %lu failed: %s\n", (unsigned long)offset,
			       got < 0 ? strerror((int)got) : "end of file");
			return got < 0 ? (int)got : -EIO;
		}
		rc = send_all(connection, chunk, (size_t)got);
		if (rc < 0)
			return rc;
		offset += (uint64_t)got;
	}
	return 0;
}

/*
 * Which file a path names: a directory is served by its index.html, and a directory asked
 * for without its trailing slash is redirected to it, so relative links in the page work.
 */
static int resolve(const char *path, char *file_path, size_t size, struct ustar_stat *stat)
{
	int rc = ustar_stat(httpd.site, path, stat);

	if (rc < 0)
		return 404;
	if (stat->type == USTAR_DIRECTORY) {
		if (path[strlen(path) - 1] != '/')
			return 301;
		snprintf(file_path, size, "%sindex.html", path);
		if (ustar_stat(httpd.site, file_path, stat) < 0 || stat->type != USTAR_FILE)
			return 404;
		return 0;
	}
	if (stat->type != USTAR_FILE || stat->damaged)
		return 404;
	strlcpy(file_path, path, size);
	return 0;
}

/* Answer one request; returns the status sent and the body bytes through *sent. */
static int respond(struct connection *connection, const struct http_request *request,
		   uint8_t *chunk, uint64_t *sent, int *error)
{
	char file_path[HTTP_PATH_MAX + 16], etag[48], modified[32], extra[256];
	struct ustar_stat stat;
	struct ustar_file *file;
	struct response response = { .keep_alive = request->keep_alive, .extra = extra };
	bool head_only = request->method == HTTP_HEAD;
	uint64_t first = 0, last = 0;
	int status;

	*sent = 0;
	status = resolve(request->path, file_path, sizeof(file_path), &stat);
	if (status == 301) {
		snprintf(extra, sizeof(extra), "Location: %s/\r\n", request->path);
		*error = send_error(connection, 301, request->keep_alive, !head_only, extra);
		return 301;
	}
	if (status != 0) {
		*error = send_error(connection, status, request->keep_alive, !head_only, NULL);
		return status;
	}

	/* Validators: the ETag changes whenever the file's size or time does. */
	snprintf(etag, sizeof(etag), "\"%lx-%lx\"", (unsigned long)stat.mtime, (unsigned long)stat.size);
	http_format_date(modified, sizeof(modified), (uint64_t)MAX(stat.mtime, 0));
	if ((request->if_none_match[0] != '\0' && http_etag_matches(request->if_none_match, etag)) ||
	    (request->if_none_match[0] == '\0' && request->has_if_modified_since &&
	     (uint64_t)MAX(stat.mtime, 0) <= request->if_modified_since)) {
		snprintf(extra, sizeof(extra), "ETag: %s\r\nLast-Modified: %s\r\n", etag, modified);
		response.status = 304;
		response.content_type = http_content_type(file_path);
		/* A 304 has no body; its Content-Length would describe the 200 it stands for. */
		response.length = stat.size;
		*error = send_head(connection, &response);
		return 304;
	}

	response.status = 200;
	response.length = stat.size;
	if (stat.size > 0)
		last = stat.size - 1;
	if (request->range.present) {
		if (!http_range_resolve(&request->range, stat.size, &first, &last)) {
			snprintf(extra, sizeof(extra), "Content-Range: bytes */%lu\r\n",
				 (unsigned long)stat.size);
			*error = send_error(connection, 416, request->keep_alive, !head_only, extra);
			return 416;
		}
		response.status = 206;
		response.length = last - first + 1;
	}
	snprintf(extra, sizeof(extra), "ETag: %s\r\nLast-Modified: %s\r\nAccept-Ranges: bytes\r\n",
		 etag, modified);
	if (response.status == 206)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
			 "Content-Range: bytes %lu-%lu/%lu\r\n", (unsigned long)first,
			 (unsigned long)last, (unsigned long)stat.size);
	response.content_type = http_content_type(file_path);

	*error = ustar_open(httpd.site, file_path, &file);
	if (*error < 0) {
		*error = send_error(connection, 500, false, !head_only, NULL);
		return 500;
	}
	*error = send_head(connection, &response);
	if (*error == 0 && !head_only && response.length > 0) {
		*error = send_file(connection, file, first, last, chunk);
		if (*error == 0)
			*sent = response.length;
	}
	ustar_close(file);
	return response.status;
}

static void access_log(const struct connection *connection, const struct http_request *request,
		       int status, uint64_t bytes, uint64_t started)
{
	char address[IPV4_TEXT_MAX];
	uint64_t took = time_now() - started;

	if (!httpd.log)
		return;
	printf("httpd: %s:%u \"%s %s HTTP/1.%u\" %d %lu %lu.%03lu ms\n",
	       ipv4_format(connection->remote.address, address), connection->remote.port,
	       request != NULL ? (request->method == HTTP_HEAD ? "HEAD" : "GET") : "-",
	       request != NULL ? request->path : "-", request != NULL ? request->minor_version : 1,
	       status, (unsigned long)bytes, (unsigned long)(took / NSEC_PER_MSEC),
	       (unsigned long)(took % NSEC_PER_MSEC / NSEC_PER_USEC));
}

/* A request may carry a body (GET should not, but may); read it and throw it away. */
static int discard_body(struct connection *connection, uint64_t length)
{
	uint64_t in_buffer = MIN(length, (uint64_t)connection->used);
	char scratch[512];

	memmove(connection->buffer, connection->buffer + in_buffer, connection->used - in_buffer);
	connection->used -= in_buffer;
	length -= in_buffer;
	while (length > 0) {
		int rc = tcp_read(connection->conn, scratch, (size_t)MIN(length, sizeof(scratch)),
				  time_now() + httpd.head_timeout);

		if (rc <= 0)
			return rc == 0 ? -ECONNRESET : rc;
		length -= (uint64_t)rc;
	}
	return 0;
}

/*
 * Serve the requests in a connection's buffer: the one the poller found complete, then any
 * that were pipelined behind it. Returns true to give the connection back to the poller,
 * false when it was closed.
 */
static bool serve_connection(struct connection *connection, uint8_t *chunk)
{
	for (;;) {
		struct http_request request;
		uint64_t started = time_now(), sent = 0;
		int status = connection->status, error = 0, head;

		if (status == 408) {
			send_error(connection, 408, false, true, NULL);
			access_log(connection, NULL, 408, 0, started);
			connection_close(connection, false);
			return false;
		}
		head = http_parse_request(connection->buffer, connection->used, &request, &status);
		if (head < 0) {
			/* A bad request ends the connection: we cannot tell where the next one starts. */
			send_error(connection, status, false, true,
				   status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
			httpd.errors++;
			access_log(connection, NULL, status, 0, started);
			connection_close(connection, false);
			return false;
		}
		memmove(connection->buffer, connection->buffer + head, connection->used - (size_t)head);
		connection->used -= (size_t)head;
		if (request.content_length > 0 && discard_body(connection, request.content_length) < 0) {
			connection_close(connection, true);
			return false;
		}
		status = respond(connection, &request, chunk, &sent, &error);
		httpd.requests++;
		access_log(connection, &request, status, sent, started);
		if (error < 0) {
			/* The client went away or stopped reading, or the disk failed mid-file. */
			connection_close(connection, true);
			return false;
		}
		if (!request.keep_alive) {
			connection_close(connection, false);
			return false;
		}
		/* Pipelining: the client may have sent the next request already. */
		connection->status = 0;
		status = 0;
		if (connection->used == 0 ||
		    http_parse_request(connection->buffer, connection->used, &request, &status) == 0)
			return true;
	}
}

static bool queue_not_empty(void *arg)
{
	(void)arg;
	return !list_empty(&httpd.queue);
}

static void worker(void *arg)
{
	uint8_t *chunk = malloc(CHUNK_SIZE);

	(void)arg;
	if (chunk == NULL) {
		printf("httpd: no memory for a worker's buffer\n");
		return;
	}
	for (;;) {
		struct connection *connection;

		sched_wait(queue_not_empty, NULL, TIME_NEVER);
		connection = container_of(list_pop_head(&httpd.queue), struct connection, queue_link);
		connection->state = CONNECTION_SERVING;
		if (serve_connection(connection, chunk)) {
			connection_wait(connection);
			httpd.returned = true;
		}
	}
}

/* ---- The poller ---------------------------------------------------------------------------- */

/* Read what has arrived, without waiting, and see whether a whole request head is there. */
static void poll_connection(struct connection *connection)
{
	struct http_request request;
	int rc, status;

	if (connection->buffer == NULL) {
		connection->buffer = malloc(HTTP_HEAD_MAX);
		if (connection->buffer == NULL) {
			connection_close(connection, true);
			return;
		}
	}
	rc = tcp_read(connection->conn, connection->buffer + connection->used,
		      HTTP_HEAD_MAX - connection->used, 0);
	if (rc == -ETIMEDOUT)
		return;
	if (rc <= 0) {
		/* The client closed (0) or the connection failed: nothing more will come. */
		connection_close(connection, rc < 0);
		return;
	}
	if (connection->used == 0)
		connection->deadline = time_now() + httpd.head_timeout;
	connection->used += (size_t)rc;
	connection->last_active = time_now();
	rc = http_parse_request(connection->buffer, connection->used, &request, &status);
	if (rc != 0)
		connection_queue(connection, rc > 0 ? 0 : status);
}

static struct connection *free_slot(void)
{
	struct connection *oldest = NULL;

	for (unsigned int i = 0; i < httpd.max_connections; i++) {
		struct connection *connection = &httpd.connections[i];

		if (connection->state == CONNECTION_FREE)
			return connection;
		if (connection->state == CONNECTION_WAITING &&
		    (oldest == NULL || connection->last_active < oldest->last_active))
			oldest = connection;
	}
	/*
	 * Full. Refusing the newcomer would let a few clients that connect and say nothing
	 * (slowloris) lock everyone out, so the one that has been quiet longest makes room.
	 */
	if (oldest != NULL) {
		httpd.dropped++;
		connection_close(oldest, true);
	}
	return oldest;
}

static void accept_connections(void)
{
	struct tcp_conn *conn;

	while (tcp_accept(httpd.listener, &conn, 0) == 0) {
		struct connection *connection = free_slot();

		if (connection == NULL) {
			/* Every connection is in a worker's hands: nobody to drop. Say so and close. */
			struct connection refused = { .conn = conn };

			tcp_endpoints(conn, NULL, &refused.remote);
			send_error(&refused, 503, false, true, "Retry-After: 1\r\n");
			access_log(&refused, NULL, 503, 0, time_now());
			tcp_close(conn);
			continue;
		}
		connection->conn = conn;
		tcp_endpoints(conn, NULL, &connection->remote);
		connection_wait(connection);
	}
}

/* The poller's wait condition: something to accept or read, a connection handed back, or
 * the toolstack asking us to stop. */
static bool poller_has_work(void *arg)
{
	(void)arg;
	if (httpd.returned || control_request() != CONTROL_NONE ||
	    (tcp_poll_events(httpd.listener) & NET_POLL_IN))
		return true;
	for (unsigned int i = 0; i < httpd.max_connections; i++) {
		const struct connection *connection = &httpd.connections[i];

		if (connection->state == CONNECTION_WAITING && tcp_poll_events(connection->conn) != 0)
			return true;
	}
	return false;
}

static void poller(void)
{
	for (;;) {
		uint64_t deadline = TIME_NEVER, now;

		for (unsigned int i = 0; i < httpd.max_connections; i++) {
			if (httpd.connections[i].state == CONNECTION_WAITING)
				deadline = MIN(deadline, httpd.connections[i].deadline);
		}
		httpd.returned = false;
		sched_wait(poller_has_work, NULL, deadline);
		if (control_request() != CONTROL_NONE)
			return;
		accept_connections();
		now = time_now();
		for (unsigned int i = 0; i < httpd.max_connections; i++) {
			struct connection *connection = &httpd.connections[i];

			if (connection->state != CONNECTION_WAITING)
				continue;
			if (tcp_poll_events(connection->conn) != 0)
				poll_connection(connection);
			if (connection->state != CONNECTION_WAITING || now < connection->deadline)
				continue;
			/* Too slow: half a request gets 408 from a worker; an idle one just closes. */
			if (connection->used > 0)
				connection_queue(connection, 408);
			else
				connection_close(connection, false);
		}
	}
}

/* ---- Start-up ------------------------------------------------------------------------------ */

/* The site is the tar archive on the first disk. */
static int open_site(void)
{
	struct blkfront *disk;
	struct tarfs *fs;
	struct ustar_info info;
	char ids[64];
	int rc;

	rc = blkfront_list(ids, sizeof(ids));
	if (rc <= 0) {
		printf("httpd: no disk; give the guest a tar archive of the site as its first disk\n");
		return rc < 0 ? rc : -ENODEV;
	}
	rc = blkfront_open(ids, NULL, &disk);
	if (rc < 0) {
		printf("httpd: cannot open disk %s: %s\n", ids, strerror(rc));
		return rc;
	}
	rc = tarfs_mount(disk, &fs);
	if (rc < 0) {
		printf("httpd: disk %s holds no tar archive I can read: %s\n", ids, strerror(rc));
		blkfront_close(disk);
		return rc;
	}
	httpd.fs = fs;
	httpd.site = tarfs_archive(fs);
	ustar_info(httpd.site, &info);
	printf("httpd: site: %lu files on disk %s\n", (unsigned long)info.files, ids);
	return 0;
}

/*
 * As many connections as the TCP buffer memory (net/net.h: a quarter of the free memory,
 * 1 to 64 MiB) holds twice over at 16 KiB each: room for every connection's receive buffer
 * and for the send buffers of those being served. Above that, the stack would refuse SYNs
 * before httpd could make room by dropping an idle client.
 */
static unsigned int default_connections(void)
{
	struct page_alloc_stats pages;
	size_t memory;

	page_alloc_stats(&pages);
	memory = MIN(MAX(pages.free_pages * PAGE_SIZE / 4, (size_t)1 << 20), (size_t)64 << 20);
	return (unsigned int)MIN(MAX(memory / (32 * 1024), (size_t)8), (size_t)512);
}

static bool parse_arguments(int argc, char **argv)
{
	httpd.port = 80;
	httpd.log = true;
	httpd.max_connections = default_connections();
	httpd.workers = 4;
	httpd.head_timeout = HEAD_TIMEOUT * NSEC_PER_SEC;
	httpd.idle_timeout = IDLE_TIMEOUT * NSEC_PER_SEC;
	for (int i = 1; i < argc; i++) {
		const char *value = strchr(argv[i], '=');
		unsigned long number = value != NULL ? strtoul(value + 1, NULL, 10) : 0;

		if (strncmp(argv[i], "port=", 5) == 0 && number > 0 && number < 65536)
			httpd.port = (uint16_t)number;
		else if (strcmp(argv[i], "log=off") == 0)
			httpd.log = false;
		else if (strncmp(argv[i], "connections=", 12) == 0 && number > 0 && number <= 1024)
			httpd.max_connections = (unsigned int)number;
		else if (strncmp(argv[i], "workers=", 8) == 0 && number > 0 && number <= 64)
			httpd.workers = (unsigned int)number;
		else if (strncmp(argv[i], "head_timeout=", 13) == 0 && number > 0 && number <= 3600)
			httpd.head_timeout = number * NSEC_PER_SEC;
		else if (strncmp(argv[i], "idle_timeout=", 13) == 0 && number > 0 && number <= 3600)
			httpd.idle_timeout = number * NSEC_PER_SEC;
		else if (strncmp(argv[i], "port=", 5) == 0 || strncmp(argv[i], "connections=", 12) == 0 ||
			 strncmp(argv[i], "workers=", 8) == 0 || strncmp(argv[i], "head_timeout=", 13) == 0 ||
			 strncmp(argv[i], "idle_timeout=", 13) == 0) {
			printf("httpd: bad argument %s\n", argv[i]);
			return false;
		}
	}
	return true;
}

int app_main(int argc, char **argv)
{
	char address[IPV4_TEXT_MAX];
	uint64_t ready;
	int rc;

	if (!parse_arguments(argc, argv))
		return 1;
	list_init(&httpd.queue);
	httpd.connections = calloc(httpd.max_connections, sizeof(*httpd.connections));
	if (httpd.connections == NULL)
		return 1;
	if (open_site() < 0)
		return 1;
	rc = net_open(argc, argv, time_now() + 60 * NSEC_PER_SEC, &httpd.net);
	if (rc < 0) {
		printf("httpd: no network: %s\n", strerror(rc));
		return 1;
	}
	rc = tcp_listen(httpd.net, httpd.port, 64, &httpd.listener);
	if (rc < 0) {
		printf("httpd: cannot listen on port %u: %s\n", httpd.port, strerror(rc));
		return 1;
	}
	for (unsigned int i = 0; i < httpd.workers; i++) {
		if (thread_create("httpd-worker", worker, NULL) == NULL) {
			printf("httpd: cannot start worker %u\n", i);
			return 1;
		}
	}
	ready = kernel_uptime();
	/* Both times from the first instruction: the kernel's part, and the whole, which also
	 * waited for the disk's and the vif's backends and for an address. */
	printf("httpd: serving http://%s:%u/ (%u connections, %u workers, log %s), ready %lu.%03lu ms "
	       "after the first instruction (kernel %lu.%03lu ms)\n",
	       ipv4_format(net_address(httpd.net), address), httpd.port, httpd.max_connections,
	       httpd.workers, httpd.log ? "on" : "off",
	       (unsigned long)(ready / NSEC_PER_MSEC), (unsigned long)(ready % NSEC_PER_MSEC / NSEC_PER_USEC),
	       (unsigned long)(kernel_boot_duration() / NSEC_PER_MSEC),
	       (unsigned long)(kernel_boot_duration() % NSEC_PER_MSEC / NSEC_PER_USEC));
	poller();
	printf("httpd: %s requested; %lu requests served, %lu bad, %lu idle connections dropped\n",
	       control_request_name(control_request()), (unsigned long)httpd.requests,
	       (unsigned long)httpd.errors, (unsigned long)httpd.dropped);
	net_print_stats(httpd.net);
	tarfs_print_stats(httpd.fs);
	return 0;
}
