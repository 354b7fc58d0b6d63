/*
 * test/dom0/nettool.c: the peer that the network boot tests and `make bench` run in dom0
 * against a guest on bridge xenbr0. busybox's nc cannot do what they need (check a long
 * echo, hold a hundred connections at once, time a transfer), so this small static
 * program does, and prints one line per result for the test's check() to grep.
 *
 *   nettool echo HOST PORT BYTES       TCP: send BYTES of pseudo-random data while reading
 *                                      the echo back; SHA-256 of both streams
 *   nettool conns HOST PORT N [ROUNDS] N TCP connections open at once, each echoing ROUNDS
 *                                      (default 3) lines of its own
 *   nettool udp HOST PORT COUNT SIZE   UDP: COUNT datagrams of SIZE bytes, one at a time,
 *                                      each waiting (1 s) for its echo
 *   nettool udp-recv PORT COUNT        UDP: receive COUNT datagrams on PORT and check each
 *                                      payload: a 32-bit sequence number, then bytes
 *                                      (seq * 7 + i) & 0xff (test/guest/netfront_sg.c)
 *   nettool send HOST PORT BYTES       TCP: send BYTES and time it until the peer has
 *                                      acknowledged the last byte (throughput to HOST)
 *   nettool recv HOST PORT             TCP: read until the peer closes; time it
 *                                      (throughput from HOST)
 *   nettool serve SINK SOURCE BYTES    the other end of send and recv, for a Linux guest:
 *                                      on port SINK read until the client closes, on port
 *                                      SOURCE send BYTES and close; forever, one client at
 *                                      a time (test/bench/net-tcp.test)
 *
 * Exit status 0 when the result is right (identical echo, every connection served, no
 * datagram lost), 1 when it is not, 2 for a usage or network error. Everything gives up
 * after NETTOOL_TIMEOUT seconds (environment; default 120) without progress.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int timeout_ms = 120000;

/*
 * The code that computes on the data -- the stream, SHA-256, the comparison -- uses no
 * vector registers and no library memcpy (which picks SSE/AVX versions). In the nested
 * dom0 (QEMU's emulation, Xen, a PV kernel), while netback is busy, a user process's
 * vector registers are sometimes not what it left in them: the SHA-256 of a stream came
 * out different from run to run although every byte of the stream compared equal. With
 * general registers only, the sums are stable. (The byte-by-byte check below stays, so a
 * wrong byte from the network is still named by its offset.)
 */
#define NO_SIMD __attribute__((target("general-regs-only")))

static NO_SIMD void copy_bytes(uint8_t *destination, const uint8_t *source, size_t length)
{
	for (size_t i = 0; i < length; i++)
		((volatile uint8_t *)destination)[i] = source[i];
}

static void die(const char *format, ...)
{
	va_list args;

	fprintf(stderr, "nettool: ");
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fprintf(stderr, "\n");
	exit(2);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------------------- */

struct sha256 {
	uint32_t state[8];
	uint64_t length;        /* bytes hashed */
	uint8_t block[64];
	size_t used;            /* bytes in block */
};

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static NO_SIMD uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static NO_SIMD void sha256_init(struct sha256 *h)
{
	static const uint32_t initial[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
					     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	for (int i = 0; i < 8; i++)
		h->state[i] = initial[i];
	h->length = 0;
	h->used = 0;
}

static NO_SIMD void sha256_block(struct sha256 *h, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h->state[0], b = h->state[1], c = h->state[2], d = h->state[3];
	e = h->state[4], f = h->state[5], g = h->state[6], k = h->state[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
			      sha256_k[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

		k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h->state[0] += a, h->state[1] += b, h->state[2] += c, h->state[3] += d;
	h->state[4] += e, h->state[5] += f, h->state[6] += g, h->state[7] += k;
}

static NO_SIMD void sha256_update(struct sha256 *h, const void *data, size_t length)
{
	const uint8_t *p = data;

	h->length += length;
	while (length > 0) {
		size_t take = 64 - h->used < length ? 64 - h->used : length;

		copy_bytes(h->block + h->used, p, take);
		h->used += take;
		p += take;
		length -= take;
		if (h->used == 64) {
			sha256_block(h, h->block);
			h->used = 0;
		}
	}
}

/* The digest as 64 hex digits. */
static NO_SIMD void sha256_hex(struct sha256 *h, char out[65])
{
	uint64_t bits = h->length * 8;
	uint8_t pad = 0x80, length[8];

	sha256_update(h, &pad, 1);
	pad = 0;
	while (h->used != 56)
		sha256_update(h, &pad, 1);
	for (int i = 0; i < 8; i++)
		length[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(h, length, 8);
	for (int i = 0; i < 64; i++)
		out[i] = "0123456789abcdef"[(h->state[i / 8] >> (28 - 4 * (i % 8))) & 0xf];
	out[64] = '\0';
}

/* ---- Sockets ----------------------------------------------------------------------------- */

static struct sockaddr_in address_of(const char *host, const char *port)
{
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };

	if (inet_pton(AF_INET, host, &address.sin_addr) != 1)
		die("bad address %s", host);
	return address;
}

static void set_nonblocking(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* A connected TCP socket, blocking, or death. */
static int tcp_connect(const struct sockaddr_in *address)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval limit = { .tv_sec = timeout_ms / 1000 };

	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
	if (connect(fd, (const struct sockaddr *)address, sizeof(*address)) < 0)
		die("connect: %s", strerror(errno));
	return fd;
}

/* A reproducible byte stream: xorshift64, eight bytes at a time. */
static NO_SIMD void fill_random(uint64_t *state, uint8_t *buffer, size_t length)
{
	for (size_t i = 0; i < length; i++) {
		if (i % 8 == 0) {
			*state ^= *state << 13;
			*state ^= *state >> 7;
			*state ^= *state << 17;
		}
		buffer[i] = (uint8_t)(*state >> (8 * (i % 8)));
	}
}

/* ---- The commands -------------------------------------------------------------------- */

/* The echo, byte by byte against the stream regenerated in the same chunks it was sent in. */
struct comparison {
	uint64_t random;
	size_t total, position;         /* stream length; bytes compared so far */
	uint8_t expected[65536];
	size_t expected_length, expected_offset;
	size_t first_bad, last_bad, bad_bytes;
};

static NO_SIMD void compare(struct comparison *c, const uint8_t *data, size_t length)
{
	for (size_t i = 0; i < length; i++, c->position++) {
		if (c->expected_offset == c->expected_length) {
			c->expected_length = c->total - c->position < sizeof(c->expected)
					     ? c->total - c->position : sizeof(c->expected);
			fill_random(&c->random, c->expected, c->expected_length);
			c->expected_offset = 0;
		}
		if (data[i] != c->expected[c->expected_offset++]) {
			if (c->first_bad == SIZE_MAX)
				c->first_bad = c->position;
			c->last_bad = c->position;
			c->bad_bytes++;
		}
	}
}

static int command_echo(const struct sockaddr_in *address, size_t total)
{
	static uint8_t out[65536], in[65536];
	struct sha256 sent_hash, received_hash;
	char sent_hex[65], received_hex[65];
	size_t sent = 0, received = 0, out_length = 0, out_offset = 0;
	uint64_t random = 0x9e3779b97f4a7c15ull;
	struct comparison check = { .random = random, .total = total, .first_bad = SIZE_MAX };
	bool write_closed = false;
	double start = now(), elapsed;
	int fd = tcp_connect(address);

	set_nonblocking(fd);
	sha256_init(&sent_hash);
	sha256_init(&received_hash);
	/* Write and read at once: the echo comes back while we send, and a peer with small
	 * buffers would stop reading if we only wrote. */
	while (received < total) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (!write_closed)
			p.events |= POLLOUT;
		if (poll(&p, 1, timeout_ms) <= 0)
			die("echo: no progress for %d ms (sent %zu, received %zu)", timeout_ms, sent,
			    received);
		if (p.revents & POLLOUT) {
			if (out_offset == out_length) {
				out_length = total - sent < sizeof(out) ? total - sent : sizeof(out);
				fill_random(&random, out, out_length);
				sha256_update(&sent_hash, out, out_length);
				out_offset = 0;
			}
			n = write(fd, out + out_offset, out_length - out_offset);
			if (n < 0 && errno != EAGAIN)
				die("echo: write: %s", strerror(errno));
			if (n > 0) {
				out_offset += (size_t)n;
				sent += (size_t)n;
			}
			if (sent == total && out_offset == out_length) {
				shutdown(fd, SHUT_WR);
				write_closed = true;
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, in, sizeof(in));
			if (n < 0 && errno != EAGAIN)
				die("echo: read: %s", strerror(errno));
			if (n == 0)
				break;
			if (n > 0) {
				sha256_update(&received_hash, in, (size_t)n);
				compare(&check, in, (size_t)n);
				received += (size_t)n;
			}
		}
	}
	elapsed = now() - start;
	close(fd);
	sha256_hex(&sent_hash, sent_hex);
	sha256_hex(&received_hash, received_hex);
	printf("nettool: echo: sent %zu bytes sha256 %s\n", sent, sent_hex);
	printf("nettool: echo: received %zu bytes sha256 %s\n", received, received_hex);
	if (check.first_bad != SIZE_MAX)
		printf("nettool: echo: %zu bytes differ, from offset %zu to %zu\n", check.bad_bytes,
		       check.first_bad, check.last_bad);
	printf("nettool: echo: %s in %.2f s (%.2f MiB/s each way)\n",
	       received == sent && strcmp(sent_hex, received_hex) == 0 ? "identical" : "DIFFERENT",
	       elapsed, (double)received / 1048576.0 / elapsed);
	return received == sent && strcmp(sent_hex, received_hex) == 0 ? 0 : 1;
}

/*
 * Open all N connections before any data flows, so that the guest really holds N at once,
 * then let each echo its lines. Connections are non-blocking and served by one poll loop.
 */
static int command_conns(const struct sockaddr_in *address, int count, int rounds)
{
	struct conn {
		int fd;
		bool connected;
		int round;              /* lines echoed */
		char line[64];
		size_t line_length, sent, received;
		char reply[64];
	} *conns = calloc((size_t)count, sizeof(*conns));
	struct pollfd *polls = calloc((size_t)count, sizeof(*polls));
	int connected = 0, done = 0, wrong = 0;
	double start = now();

	if (conns == NULL || polls == NULL)
		die("out of memory");
	for (int i = 0; i < count; i++) {
		conns[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		if (conns[i].fd < 0)
			die("socket: %s", strerror(errno));
		set_nonblocking(conns[i].fd);
		if (connect(conns[i].fd, (const struct sockaddr *)address, sizeof(*address)) < 0 &&
		    errno != EINPROGRESS)
			die("connect: %s", strerror(errno));
	}
	/* Phase 1: every connection established. */
	while (connected < count) {
		for (int i = 0; i < count; i++)
			polls[i] = (struct pollfd){ .fd = conns[i].connected ? -1 : conns[i].fd,
						    .events = POLLOUT };
		if (poll(polls, (nfds_t)count, timeout_ms) <= 0)
			die("conns: only %d of %d connected after %d ms", connected, count, timeout_ms);
		for (int i = 0; i < count; i++) {
			int error = 0;
			socklen_t length = sizeof(error);

			if (conns[i].connected || !(polls[i].revents & (POLLOUT | POLLERR | POLLHUP)))
				continue;
			getsockopt(conns[i].fd, SOL_SOCKET, SO_ERROR, &error, &length);
			if (error != 0)
				die("conns: connection %d: %s", i, strerror(error));
			conns[i].connected = true;
			connected++;
		}
	}
	printf("nettool: conns: %d connections open at once after %.2f s\n", count, now() - start);
	/* Phase 2: each sends a line, reads it back, ROUNDS times. */
	for (int i = 0; i < count; i++)
		conns[i].line_length = (size_t)snprintf(conns[i].line, sizeof(conns[i].line),
							"connection %d round %d\n", i, 0);
	while (done < count) {
		for (int i = 0; i < count; i++) {
			struct conn *c = &conns[i];

			polls[i] = (struct pollfd){ .fd = c->round == rounds ? -1 : c->fd,
						    .events = c->sent < c->line_length ? POLLOUT : POLLIN };
		}
		if (poll(polls, (nfds_t)count, timeout_ms) <= 0)
			die("conns: %d of %d done after %d ms of silence", done, count, timeout_ms);
		for (int i = 0; i < count; i++) {
			struct conn *c = &conns[i];
			ssize_t n;

			if (c->round == rounds || polls[i].revents == 0)
				continue;
			if (c->sent < c->line_length) {
				n = write(c->fd, c->line + c->sent, c->line_length - c->sent);
				if (n > 0)
					c->sent += (size_t)n;
				continue;
			}
			n = read(c->fd, c->reply + c->received, c->line_length - c->received);
			if (n <= 0)
				die("conns: connection %d: %s", i, n == 0 ? "closed early" : strerror(errno));
			c->received += (size_t)n;
			if (c->received < c->line_length)
				continue;
			if (memcmp(c->reply, c->line, c->line_length) != 0)
				wrong++;
			if (++c->round == rounds) {
				done++;
				continue;
			}
			c->line_length = (size_t)snprintf(c->line, sizeof(c->line),
							  "connection %d round %d\n", i, c->round);
			c->sent = c->received = 0;
		}
	}
	for (int i = 0; i < count; i++)
		close(conns[i].fd);
	printf("nettool: conns: %d connections echoed %d lines each, %d wrong, in %.2f s\n", count,
	       rounds, wrong, now() - start);
	return wrong == 0 ? 0 : 1;
}

static int command_udp(const struct sockaddr_in *address, int count, size_t size)
{
	static uint8_t out[65536], in[65536];
	uint64_t random = 0x0123456789abcdefull;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), lost = 0, wrong = 0;
	double start = now();

	if (fd < 0 || size > sizeof(out))
		die("udp: socket or size");
	if (connect(fd, (const struct sockaddr *)address, sizeof(*address)) < 0)
		die("udp: connect: %s", strerror(errno));
	for (int i = 0; i < count; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		fill_random(&random, out, size);
		if (send(fd, out, size, 0) != (ssize_t)size)
			die("udp: send: %s", strerror(errno));
		if (poll(&p, 1, 1000) <= 0) {
			lost++;
			continue;
		}
		n = recv(fd, in, sizeof(in), 0);
		if (n != (ssize_t)size || memcmp(in, out, size) != 0)
			wrong++;
	}
	close(fd);
	printf("nettool: udp: %d datagrams of %zu bytes: %d echoed, %d lost, %d wrong, in %.2f s\n",
	       count, size, count - lost - wrong, lost, wrong, now() - start);
	return lost == 0 && wrong == 0 ? 0 : 1;
}

static int command_udp_recv(const char *port, int count)
{
	static uint8_t in[65536];
	struct sockaddr_in address = address_of("0.0.0.0", port);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), received = 0, intact = 0;
	size_t smallest = SIZE_MAX, largest = 0;

	if (fd < 0 || bind(fd, (const struct sockaddr *)&address, sizeof(address)) < 0)
		die("udp-recv: bind: %s", strerror(errno));
	while (received < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;
		bool good;

		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		n = recv(fd, in, sizeof(in), 0);
		if (n < 4)
			continue;
		received++;
		good = true;
		for (ssize_t i = 4; i < n && good; i++)
			good = in[i] == (uint8_t)(((uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
						    (uint32_t)in[2] << 8 | in[3]) * 7 + (uint32_t)i);
		intact += good;
		smallest = (size_t)n < smallest ? (size_t)n : smallest;
		largest = (size_t)n > largest ? (size_t)n : largest;
	}
	close(fd);
	printf("nettool: udp-recv: %d datagrams, %d intact, %d wrong (%zu to %zu bytes)\n", received,
	       intact, received - intact, received > 0 ? smallest : 0, largest);
	return received == count && intact == count ? 0 : 1;
}

static int command_send(const struct sockaddr_in *address, size_t total)
{
	static uint8_t buffer[65536];
	size_t sent = 0;
	int fd = tcp_connect(address), unacknowledged = 1;
	double start = now(), elapsed;

	fill_random(&(uint64_t){ 42 }, buffer, sizeof(buffer));
	while (sent < total) {
		size_t chunk = total - sent < sizeof(buffer) ? total - sent : sizeof(buffer);
		ssize_t n = write(fd, buffer, chunk);

		if (n <= 0)
			die("send: write: %s", n == 0 ? "nothing written" : strerror(errno));
		sent += (size_t)n;
	}
	/* The transfer is over when the peer has acknowledged every byte (SIOCOUTQ: bytes not
	 * yet acknowledged), whatever its application does afterwards. */
	for (int waited = 0; waited < timeout_ms; waited++) {
		if (ioctl(fd, SIOCOUTQ, &unacknowledged) < 0 || unacknowledged == 0)
			break;
		usleep(1000);
	}
	elapsed = now() - start;
	close(fd);
	if (unacknowledged != 0)
		die("send: %d bytes never acknowledged", unacknowledged);
	printf("nettool: send: %zu bytes in %.3f s: %.2f MiB/s\n", sent, elapsed,
	       (double)sent / 1048576.0 / elapsed);
	return 0;
}

static int command_recv(const struct sockaddr_in *address)
{
	static uint8_t buffer[65536];
	size_t received = 0;
	int fd = tcp_connect(address);
	double start = now(), elapsed;

	for (;;) {
		ssize_t n = read(fd, buffer, sizeof(buffer));

		if (n < 0)
			die("recv: read: %s", strerror(errno));
		if (n == 0)
			break;
		received += (size_t)n;
	}
	elapsed = now() - start;
	close(fd);
	printf("nettool: recv: %zu bytes in %.3f s: %.2f MiB/s\n", received, elapsed,
	       (double)received / 1048576.0 / elapsed);
	return received > 0 ? 0 : 1;
}

static int listen_on(int port)
{
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)&address, sizeof(address)) < 0 || listen(fd, 4) < 0)
		die("serve: port %d: %s", port, strerror(errno));
	return fd;
}

static int command_serve(int sink_port, int source_port, size_t total)
{
	static uint8_t buffer[65536];
	struct pollfd listeners[2] = { { .fd = listen_on(sink_port), .events = POLLIN },
				       { .fd = listen_on(source_port), .events = POLLIN } };

	for (;;) {
		if (poll(listeners, 2, -1) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			int fd;

			if (!(listeners[i].revents & POLLIN))
				continue;
			fd = accept(listeners[i].fd, NULL, NULL);
			if (fd < 0)
				continue;
			if (i == 0) {
				while (read(fd, buffer, sizeof(buffer)) > 0)
					;
			} else {
				for (size_t sent = 0; sent < total;) {
					size_t chunk = total - sent < sizeof(buffer) ? total - sent : sizeof(buffer);
					ssize_t n = write(fd, buffer, chunk);

					if (n <= 0)
						break;
					sent += (size_t)n;
				}
			}
			close(fd);
		}
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: nettool echo|conns|udp|send|recv HOST PORT [ARGS], udp-recv PORT COUNT,\n"
			"       nettool serve SINK-PORT SOURCE-PORT BYTES (see the source)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in address;
	const char *limit = getenv("NETTOOL_TIMEOUT");

	if (limit != NULL)
		timeout_ms = atoi(limit) * 1000;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "serve") == 0)
		return command_serve(atoi(argv[2]), atoi(argv[3]), strtoull(argv[4], NULL, 0));
	if (argc == 4 && strcmp(argv[1], "udp-recv") == 0)
		return command_udp_recv(argv[2], atoi(argv[3]));
	if (argc < 4)
		usage();
	address = address_of(argv[2], argv[3]);
	if (strcmp(argv[1], "echo") == 0 && argc == 5)
		return command_echo(&address, strtoull(argv[4], NULL, 0));
	if (strcmp(argv[1], "conns") == 0 && (argc == 5 || argc == 6))
		return command_conns(&address, atoi(argv[4]), argc == 6 ? atoi(argv[5]) : 3);
	if (strcmp(argv[1], "udp") == 0 && argc == 6)
		return command_udp(&address, atoi(argv[4]), strtoull(argv[5], NULL, 0));
	if (strcmp(argv[1], "send") == 0 && argc == 5)
		return command_send(&address, strtoull(argv[4], NULL, 0));
	if (strcmp(argv[1], "recv") == 0 && argc == 4)
		return command_recv(&address);
	usage();
	return 2;
}
