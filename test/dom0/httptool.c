/*
 * test/dom0/httptool.c: the HTTP client that httpd's boot tests run in dom0 against a guest
 * on bridge xenbr0. It prints one line per fact, for a test's check() to grep, and checks
 * what a general-purpose client would not: that every byte of every body arrived.
 *
 * It computes nothing on the bodies: in the nested dom0, a process's vector registers are
 * sometimes not what it left in them while netback is busy (see test/dom0/nettool.c), so a
 * SHA-256 is taken by sha256sum afterwards, from the files, when the guest is gone.
 *
 *   httptool get HOST PORT PATH FILE [HEADER]...
 *       one GET (HEADER is "Name: value"); the body goes into FILE; prints "status N", each
 *       header as "header Name: value", then "body BYTES"
 *   httptool load HOST PORT PATH CONNECTIONS REQUESTS
 *       REQUESTS GETs of PATH over CONNECTIONS kept-alive connections at once; every answer
 *       must be a 200 whose body is as long as its Content-Length. Prints "requests N errors
 *       E seconds S rps R" and latency percentiles in ms: "latency p50 A p90 B p99 C max D"
 *   httptool idle HOST PORT CONNECTIONS SECONDS
 *       open CONNECTIONS connections and send one byte of a request head on each every
 *       second (a slowloris client), for SECONDS; prints how many the server closed
 *
 * Exit status 0 when everything was as expected, 1 when not, 2 for a usage or network
 * error. Every wait gives up after 30 s.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 30000
#define RESPONSE_MAX (64 * 1024)

static double now_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int connect_to(const char *host, int port)
{
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0 || inet_pton(AF_INET, host, &address.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Wait until fd is readable; false after TIMEOUT_MS. */
static bool wait_readable(int fd)
{
	struct pollfd entry = { .fd = fd, .events = POLLIN };

	return poll(&entry, 1, TIMEOUT_MS) == 1;
}

static bool send_all(int fd, const char *data, size_t length)
{
	while (length > 0) {
		ssize_t sent = send(fd, data, length, MSG_NOSIGNAL);

		if (sent <= 0)
			return false;
		data += sent;
		length -= (size_t)sent;
	}
	return true;
}

/*
 * One response on a kept-alive connection: the head into `head`, then exactly
 * Content-Length bytes of body, hashed as they come. Returns the status, or -1.
 */
struct response {
	int status;
	char head[RESPONSE_MAX];
	uint64_t body_length;
};

/* The body goes to `body_fd` if it is not -1. */
static int read_response(int fd, struct response *response, bool head_only, int body_fd)
{
	static char buffer[RESPONSE_MAX];
	static size_t buffered;
	size_t head_length = 0;
	uint64_t content_length = 0, received = 0;
	char *end = NULL, *field;

	/* Read until the blank line that ends the head. */
	while ((end = memmem(buffer, buffered, "\r\n\r\n", 4)) == NULL) {
		ssize_t got;

		if (buffered == sizeof(buffer) || !wait_readable(fd))
			return -1;
		got = recv(fd, buffer + buffered, sizeof(buffer) - buffered, 0);
		if (got <= 0)
			return -1;
		buffered += (size_t)got;
	}
	head_length = (size_t)(end - buffer) + 4;
	memcpy(response->head, buffer, head_length);
	response->head[head_length] = '\0';
	if (sscanf(response->head, "HTTP/1.%*d %d", &response->status) != 1)
		return -1;
	field = strcasestr(response->head, "\r\nContent-Length:");
	if (field != NULL)
		content_length = strtoull(field + 17, NULL, 10);
	if (head_only || response->status == 304)
		content_length = 0;
	memmove(buffer, buffer + head_length, buffered - head_length);
	buffered -= head_length;

	/* The body: what is buffered, then from the socket. */
	while (received < content_length) {
		size_t take = buffered < content_length - received ? buffered : (size_t)(content_length - received);

		if (take > 0) {
			if (body_fd >= 0 && write(body_fd, buffer, take) != (ssize_t)take)
				return -1;
			received += take;
			memmove(buffer, buffer + take, buffered - take);
			buffered -= take;
			continue;
		}
		if (!wait_readable(fd))
			return -1;
		ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
		if (got <= 0)
			return -1;
		buffered = (size_t)got;
	}
	response->body_length = received;
	return response->status;
}

static int get(const char *host, int port, const char *path, const char *file,
	       int header_count, char **headers)
{
	static struct response response;
	char request[4096];
	int length, fd = connect_to(host, port), body_fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (body_fd < 0) {
		printf("error cannot create %s: %s\n", file, strerror(errno));
		return 2;
	}
	if (fd < 0) {
		printf("error connect %s:%d: %s\n", host, port, strerror(errno));
		return 2;
	}
	length = snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\n", path, host);
	for (int i = 0; i < header_count; i++)
		length += snprintf(request + length, sizeof(request) - (size_t)length, "%s\r\n", headers[i]);
	length += snprintf(request + length, sizeof(request) - (size_t)length, "Connection: close\r\n\r\n");
	if (!send_all(fd, request, (size_t)length) || read_response(fd, &response, false, body_fd) < 0) {
		printf("error no complete response\n");
		close(fd);
		return 2;
	}
	close(fd);
	close(body_fd);
	printf("status %d\n", response.status);
	for (char *line = strstr(response.head, "\r\n") + 2; *line != '\r'; line = strstr(line, "\r\n") + 2)
		printf("header %.*s\n", (int)(strstr(line, "\r\n") - line), line);
	printf("body %lu\n", (unsigned long)response.body_length);
	return 0;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Many connections at once, each sending its next request when the previous answer is in:
 * the way a browser or wrk loads a server. Simple on purpose: one request per connection in
 * flight, so a latency is the time from sending a request to its last byte.
 */
static int load(const char *host, int port, const char *path, int connections, long requests)
{
	struct client {
		int fd;
		double sent_at;
		long done;
	} *clients = calloc((size_t)connections, sizeof(*clients));
	double *latencies = calloc((size_t)requests, sizeof(double)), started, took;
	static struct response response;
	char request[512];
	long sent = 0, completed = 0, errors = 0;
	int length = snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host);
	struct pollfd *entries = calloc((size_t)connections, sizeof(*entries));

	if (clients == NULL || latencies == NULL || entries == NULL)
		return 2;
	started = now_seconds();
	for (int i = 0; i < connections && sent < requests; i++, sent++) {
		clients[i].fd = connect_to(host, port);
		if (clients[i].fd < 0 || !send_all(clients[i].fd, request, (size_t)length)) {
			printf("error connect %s:%d: %s\n", host, port, strerror(errno));
			return 2;
		}
		clients[i].sent_at = now_seconds();
	}
	while (completed + errors < requests) {
		for (int i = 0; i < connections; i++)
			entries[i] = (struct pollfd){ .fd = clients[i].fd, .events = POLLIN };
		if (poll(entries, (nfds_t)connections, TIMEOUT_MS) <= 0) {
			printf("error no progress for %d s with %ld of %ld requests answered\n",
			       TIMEOUT_MS / 1000, completed, requests);
			errors += requests - completed - errors;
			break;
		}
		for (int i = 0; i < connections; i++) {
			struct client *client = &clients[i];

			if (client->fd < 0 || !(entries[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			/* read_response keeps leftovers in one buffer: fine, one answer at a time. */
			if (read_response(client->fd, &response, false, -1) == 200) {
				char *field = strcasestr(response.head, "\r\nContent-Length:");

				if (field == NULL || strtoull(field + 17, NULL, 10) != response.body_length)
					errors++;
				else
					latencies[completed++] = now_seconds() - client->sent_at;
			} else {
				errors++;
				close(client->fd);
				client->fd = connect_to(host, port);
			}
			if (sent < requests && client->fd >= 0) {
				if (!send_all(client->fd, request, (size_t)length)) {
					errors++;
					continue;
				}
				client->sent_at = now_seconds();
				sent++;
			} else if (client->fd >= 0) {
				close(client->fd);
				client->fd = -1;
			}
		}
	}
	took = now_seconds() - started;
	qsort(latencies, (size_t)completed, sizeof(double), compare_doubles);
	printf("requests %ld errors %ld seconds %.2f rps %.0f\n", completed, errors, took,
	       (double)completed / took);
	if (completed > 0)
		printf("latency p50 %.2f p90 %.2f p99 %.2f max %.2f\n",
		       latencies[completed / 2] * 1000, latencies[completed * 9 / 10] * 1000,
		       latencies[completed * 99 / 100] * 1000, latencies[completed - 1] * 1000);
	return errors == 0 ? 0 : 1;
}

/* Slowloris: many connections, each creeping through a request head a byte a second. */
static int idle(const char *host, int port, int connections, int seconds)
{
	static const char head[] = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
	int *fds = calloc((size_t)connections, sizeof(int)), closed = 0;

	for (int i = 0; i < connections; i++)
		fds[i] = connect_to(host, port);
	for (int second = 0; second < seconds; second++) {
		for (int i = 0; i < connections; i++) {
			char byte = head[second % (sizeof(head) - 1)];

			if (fds[i] >= 0 && send(fds[i], &byte, 1, MSG_NOSIGNAL) != 1) {
				close(fds[i]);
				fds[i] = -1;
				closed++;
			}
		}
		sleep(1);
	}
	printf("idle connections %d closed-by-server %d\n", connections, closed);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 6 && strcmp(argv[1], "get") == 0)
		return get(argv[2], atoi(argv[3]), argv[4], argv[5], argc - 6, argv + 6);
	if (argc == 7 && strcmp(argv[1], "load") == 0)
		return load(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]), atol(argv[6]));
	if (argc == 6 && strcmp(argv[1], "idle") == 0)
		return idle(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	fprintf(stderr, "usage: httptool get HOST PORT PATH FILE [HEADER]... | load HOST PORT PATH "
		"CONNECTIONS REQUESTS | idle HOST PORT CONNECTIONS SECONDS\n");
	return 2;
}
