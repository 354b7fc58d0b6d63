/*
 * net/net.c: the stack as a whole (net/net.h): configuration, interfaces, the net thread,
 * timers, and net_poll.
 *
 * Threading. The stack's own work runs on one thread, "net":
 *
 *     for (;;) {
 *             run the timers that are due (ARP retries and expiry, TCP retransmission,
 *                     persist, delayed ACK, TIME_WAIT), learning the next deadline;
 *             sched_wait(until: an interface asked to be polled, or a timer was armed
 *                     earlier than the one we sleep for, or that deadline passed);
 *             poll every interface that asked: its frames go up through the stack;
 *     }
 *
 * App threads call into the stack directly (tcp_write builds and sends segments itself),
 * and wait in sched_wait for conditions that the net thread makes true (data arrived, an
 * ACK made room). The DHCP client, when used, is one more thread per interface. Mote's
 * threads are cooperative, so all of them share the stack's state without locks.
 */
#include "net/net.h"
#include "net/dhcp.h"
#include "net/eth.h"
#include "net/stack.h"
#include "net/tcp.h"
#include "net/udp.h"
#include "kernel/sched.h"
#include "xen/console.h"
#include "xen/time.h"
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "lib/util.h"
#include "lib/page_alloc.h"

#define POLL_BUDGET 64          /* frames per interface before other threads get a turn */

/* ---------------------------------------------------------------------------------------
 * Addresses and configuration
 */

/*
 * Strictly four decimal numbers of at most three digits, each up to 255, with dots between:
 * inet_aton's other forms ("10.1", octal, hex) are more surprising than useful.
 */
int ipv4_parse(const char *text, uint32_t *address)
{
	uint32_t result = 0;

	for (int part = 0; part < 4; part++) {
		unsigned int value = 0, digits = 0;

		while (*text >= '0' && *text <= '9' && digits < 4) {
			value = value * 10 + (unsigned int)(*text++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || value > 255)
			return -EINVAL;
		result = result << 8 | value;
		if (part < 3 && *text++ != '.')
			return -EINVAL;
	}
	if (*text != '\0')
		return -EINVAL;
	*address = result;
	return 0;
}

char *ipv4_format(uint32_t address, char *buffer)
{
	snprintf(buffer, IPV4_TEXT_MAX, "%u.%u.%u.%u", address >> 24, (address >> 16) & 0xff,
		 (address >> 8) & 0xff, address & 0xff);
	return buffer;
}

/*
 * The limits follow the memory the guest has: TCP buffers may take a quarter of what is free
 * when the stack starts (at least 1 MiB, at most 64 MiB), and there may be one connection for
 * every 8 KiB of that (64 to 1024), since a connection only holds buffers while it moves data
 * and TIME_WAIT holds none. A 4 MiB guest gets 1 MiB and 128 connections.
 */
void net_config_defaults(struct net_config *config)
{
	struct page_alloc_stats pages;
	size_t memory;

	page_alloc_stats(&pages);
	memory = MIN(MAX(pages.free_pages * PAGE_SIZE / 4, (size_t)1 << 20), (size_t)64 << 20);
	*config = (struct net_config){
		.prefix_length = 24,
		.dhcp = true,
		.tcp_max_connections = (unsigned int)MIN(MAX(memory / 8192, (size_t)64), (size_t)1024),
		.tcp_receive_buffer = 16 * 1024,
		/* Sending is what servers do: 16 KiB in flight per round trip held a 1 MiB
		 * response to a fraction of the link (make bench). Only a connection with
		 * unacknowledged data holds its send buffer. */
		.tcp_send_buffer = 64 * 1024,
		.tcp_memory_limit = memory,
		.tcp_time_wait = 30 * NSEC_PER_SEC,
		.udp_queue_limit = 16,
	};
}

/* A size with an optional k or m suffix; 0 or -EINVAL. */
static int parse_size(const char *text, size_t minimum, size_t maximum, size_t *out)
{
	char *end;
	unsigned long value = strtoul(text, &end, 10);

	if (end == text)
		return -EINVAL;
	if (*end == 'k' || *end == 'K') {
		value *= 1024;
		end++;
	} else if (*end == 'm' || *end == 'M') {
		value *= 1024 * 1024;
		end++;
	}
	if (*end != '\0' || value < minimum || value > maximum)
		return -EINVAL;
	*out = value;
	return 0;
}

int net_config_parse_argument(struct net_config *config, const char *argument)
{
	const char *value = strchr(argument, '=');
	size_t key_length, number;
	int rc = 0;

	if (value == NULL)
		return 1;
	key_length = (size_t)(value - argument);
	value++;
#define KEY(name) (key_length == sizeof(name) - 1 && strncmp(argument, name, key_length) == 0)
	if (KEY("ip")) {
		char address[IPV4_TEXT_MAX];
		const char *slash = strchr(value, '/');
		size_t length = slash != NULL ? (size_t)(slash - value) : strlen(value);

		if (length >= sizeof(address))
			return -EINVAL;
		memcpy(address, value, length);
		address[length] = '\0';
		rc = ipv4_parse(address, &config->address);
		if (rc == 0 && slash != NULL) {
			rc = parse_size(slash + 1, 1, 32, &number);
			config->prefix_length = (unsigned int)number;
		}
	} else if (KEY("gw")) {
		rc = ipv4_parse(value, &config->gateway);
	} else if (KEY("dhcp")) {
		if (strcmp(value, "on") == 0)
			config->dhcp = true;
		else if (strcmp(value, "off") == 0)
			config->dhcp = false;
		else
			rc = -EINVAL;
	} else if (KEY("tcp_conns")) {
		rc = parse_size(value, 1, 65535, &number);
		config->tcp_max_connections = (unsigned int)number;
	} else if (KEY("tcp_rcvbuf")) {
		rc = parse_size(value, 1024, 16 * 1024 * 1024, &config->tcp_receive_buffer);
	} else if (KEY("tcp_sndbuf")) {
		rc = parse_size(value, 1024, 16 * 1024 * 1024, &config->tcp_send_buffer);
	} else if (KEY("tcp_mem")) {
		rc = parse_size(value, 4096, (size_t)1 << 30, &config->tcp_memory_limit);
	} else if (KEY("tcp_timewait")) {
		rc = parse_size(value, 0, 600000, &number);
		config->tcp_time_wait = number * NSEC_PER_MSEC;
	} else if (KEY("udp_queue")) {
		rc = parse_size(value, 1, 4096, &number);
		config->udp_queue_limit = (unsigned int)number;
	} else {
		return 1;
	}
#undef KEY
	return rc < 0 ? -EINVAL : 0;
}

static uint32_t prefix_to_netmask(unsigned int prefix_length)
{
	return prefix_length == 0 ? 0 : 0xffffffffu << (32 - prefix_length);
}

/* ---------------------------------------------------------------------------------------
 * The stack and its interfaces
 */

uint32_t net_random(struct net *net)
{
	/* xorshift64* (Vigna): a full-period generator with well-mixed high bits. */
	uint64_t x = net->random_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	net->random_state = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dULL) >> 32);
}

int net_create(const struct net_config *config, struct net **out)
{
	struct net *net = calloc(1, sizeof(*net));

	if (net == NULL)
		return -ENOMEM;
	net->config = *config;
	net->next_timer = TIME_NEVER;
	list_init(&net->udp_sockets);
	list_init(&net->tcp_conns);
	/* The seed: the clock, mixed with where the heap put us. Must not be 0. */
	net->random_state = time_now() ^ ((uint64_t)(uintptr_t)net << 16) ^ 0x853c49e6748fea9bULL;
	if (net->random_state == 0)
		net->random_state = 1;
	net->ipv4_next_id = (uint16_t)net_random(net);
	*out = net;
	return 0;
}

/*
 * The driver reconnected its device, maybe with a new MAC (netif_link_changed). Neighbours
 * may have cached our old MAC, or the switch our old port: flush what we learned and
 * announce our address, so that both learn the new path at once.
 */
static void iface_link_changed(struct netif *netif)
{
	struct net_iface *iface = netif->stack;

	arp_flush(&iface->arp);
	if (iface->address != 0)
		arp_announce(iface);
	net_readiness_changed(iface->net);
}

/*
 * Attaching is three pointers: the driver will call netif->input (eth_input) for every
 * frame and netif->link_changed after a reconnection, and the stack finds its
 * per-interface state again through netif->stack.
 */
int net_add_netif(struct net *net, struct netif *netif)
{
	struct net_iface *iface;

	if (net->iface_count == NET_MAX_IFACES)
		return -ENOSPC;
	if (netif->mtu < 576 || netif->mtu > 9000)    /* RFC 791: every host takes 576 */
		return -EINVAL;
	iface = &net->ifaces[net->iface_count++];
	memset(iface, 0, sizeof(*iface));
	iface->net = net;
	iface->netif = netif;
	arp_init(&iface->arp);
	netif->stack = iface;
	netif->input = eth_input;
	netif->link_changed = iface_link_changed;
	return 0;
}

void net_iface_configure(struct net_iface *iface, uint32_t address, uint32_t netmask,
			 uint32_t gateway)
{
	if (iface->address == address && iface->netmask == netmask && iface->gateway == gateway)
		return;
	/* Cached neighbours may belong to the old subnet: forget them. */
	arp_flush(&iface->arp);
	iface->address = address;
	iface->netmask = netmask;
	iface->gateway = gateway;
	arp_announce(iface);
	net_readiness_changed(iface->net);
}

uint32_t net_address(const struct net *net)
{
	for (unsigned int i = 0; i < net->iface_count; i++) {
		if (net->ifaces[i].address != 0)
			return net->ifaces[i].address;
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------
 * Timers and the net thread
 */

void net_timer_arm(struct net *net, uint64_t deadline)
{
	if (deadline < net->next_timer) {
		net->next_timer = deadline;
		net->timers_changed = true;
	}
}

/*
 * Each module scans its own deadlines. With at most a few dozen connections a scan costs
 * less than keeping a sorted timer queue correct through every re-arm and cancel.
 */
uint64_t net_run_timers(struct net *net, uint64_t now)
{
	uint64_t next = tcp_timers(net, now);

	for (unsigned int i = 0; i < net->iface_count; i++)
		next = MIN(next, arp_timer(&net->ifaces[i], now));
	return next;
}

/* The net thread's wait condition: cheap, since the scheduler evaluates it often. */
static bool net_has_work(void *arg)
{
	struct net *net = arg;

	if (net->timers_changed || time_now() >= net->next_timer)
		return true;
	for (unsigned int i = 0; i < net->iface_count; i++) {
		if (net->ifaces[i].netif->poll_requested)
			return true;
	}
	return false;
}

static void net_thread(void *arg)
{
	struct net *net = arg;

	for (;;) {
		/* Run what is due and learn the earliest deadline still armed. */
		net->next_timer = net_run_timers(net, time_now());
		net->timers_changed = false;

		sched_wait(net_has_work, net, net->next_timer);

		for (unsigned int i = 0; i < net->iface_count; i++) {
			struct netif *netif = net->ifaces[i].netif;

			if (!netif->poll_requested)
				continue;
			/* Clear first: an event during the poll sets it again and is not lost. */
			netif->poll_requested = false;
			if (netif->ops->poll(netif, POLL_BUDGET) >= POLL_BUDGET)
				netif->poll_requested = true;
		}
	}
}

int net_start(struct net *net)
{
	const struct net_config *config = &net->config;

	net->thread = thread_create("net", net_thread, net);
	if (net->thread == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < net->iface_count; i++) {
		struct net_iface *iface = &net->ifaces[i];
		char text[IPV4_TEXT_MAX];
		uint32_t address = 0;
		const char *how = NULL;

		/* Static configuration applies to the first interface; then the platform's hint. */
		if (i == 0 && config->address != 0) {
			address = config->address;
			how = "static";
		} else if (iface->netif->address_hint != 0) {
			address = iface->netif->address_hint;
			how = "interface hint";
		}
		if (address != 0) {
			net_iface_configure(iface, address, prefix_to_netmask(config->prefix_length),
					    i == 0 ? config->gateway : 0);
			printf("net: %s: %s/%u (%s)\n", iface->netif->name,
			       ipv4_format(address, text), config->prefix_length, how);
		} else if (config->dhcp) {
			int rc = dhcp_start(iface);

			if (rc < 0)
				return rc;
			printf("net: %s: asking DHCP for an address\n", iface->netif->name);
		}
	}
	return 0;
}

static bool any_configured(void *arg)
{
	return net_address(arg) != 0;
}

int net_wait_configured(struct net *net, uint64_t deadline)
{
	return sched_wait(any_configured, net, deadline);
}

int net_open(int argc, char **argv, uint64_t deadline, struct net **out)
{
	struct netif *interfaces[NET_MAX_IFACES];
	struct net_config config;
	struct net *net;
	int count, rc;

	net_config_defaults(&config);
	for (int i = 1; i < argc; i++) {
		if (net_config_parse_argument(&config, argv[i]) < 0) {
			printf("net: bad argument '%s'\n", argv[i]);
			return -EINVAL;
		}
	}
	count = netif_platform_open(interfaces, NET_MAX_IFACES);
	if (count < 0)
		return count;
	if (count == 0)
		return -ENODEV;
	rc = net_create(&config, &net);
	if (rc < 0)
		return rc;
	for (int i = 0; i < count; i++) {
		rc = net_add_netif(net, interfaces[i]);
		if (rc < 0)
			return rc;
	}
	rc = net_start(net);
	if (rc < 0)
		return rc;
	rc = net_wait_configured(net, deadline);
	if (rc < 0)
		return rc;
	*out = net;
	return 0;
}

/* ---------------------------------------------------------------------------------------
 * net_poll
 */

struct poll_wait {
	struct net *net;
	struct net_poll_entry *entries;
	unsigned int count;
	uint64_t seen_generation;
	unsigned int ready;
};

/* Fill in every entry's revents; the number of entries with any. */
static unsigned int poll_scan(struct net_poll_entry *entries, unsigned int count)
{
	unsigned int ready = 0;

	for (unsigned int i = 0; i < count; i++) {
		struct net_poll_entry *entry = &entries[i];
		unsigned int events = 0;

		if (entry->tcp != NULL)
			events = tcp_poll_events(entry->tcp);
		else if (entry->udp != NULL)
			events = udp_readable(entry->udp) ? NET_POLL_IN : 0;
		entry->revents = events & (entry->events | NET_POLL_ERR | NET_POLL_HUP);
		if (entry->revents != 0)
			ready++;
	}
	return ready;
}

/*
 * The condition: rescan only when the stack says some socket changed since the last scan.
 * Between changes this costs one comparison, however many connections are polled.
 */
static bool poll_ready(void *arg)
{
	struct poll_wait *wait = arg;

	if (wait->net->readiness_generation == wait->seen_generation)
		return false;
	wait->seen_generation = wait->net->readiness_generation;
	wait->ready = poll_scan(wait->entries, wait->count);
	return wait->ready > 0;
}

int net_poll(struct net *net, struct net_poll_entry *entries, unsigned int count,
	     uint64_t deadline)
{
	struct poll_wait wait = { net, entries, count, net->readiness_generation, 0 };

	wait.ready = poll_scan(entries, count);
	if (wait.ready > 0)
		return (int)wait.ready;
	if (sched_wait(poll_ready, &wait, deadline) < 0)
		return -ETIMEDOUT;
	return (int)wait.ready;
}

/* ---------------------------------------------------------------------------------------
 * Statistics
 */

static void print_counter(const char *name, uint64_t value)
{
	if (value != 0)
		printf(" %s=%lu", name, (unsigned long)value);
}

void net_print_stats(const struct net *net)
{
	const struct net_stats *s = &net->stats;

	for (unsigned int i = 0; i < net->iface_count; i++) {
		const struct netif *netif = net->ifaces[i].netif;
		const struct netif_stats *n = &netif->stats;

		printf("%s: rx %lu packets %lu bytes, %lu dropped, %lu errors; "
		       "tx %lu packets %lu bytes, %lu dropped, %lu errors\n", netif->name,
		       (unsigned long)n->rx_packets, (unsigned long)n->rx_bytes,
		       (unsigned long)n->rx_dropped, (unsigned long)n->rx_errors,
		       (unsigned long)n->tx_packets, (unsigned long)n->tx_bytes,
		       (unsigned long)n->tx_dropped, (unsigned long)n->tx_errors);
		if (netif->ops->print_stats != NULL)
			netif->ops->print_stats(net->ifaces[i].netif);
	}
	printf("stack:");
	print_counter("eth_rx_short", s->eth_rx_short);
	print_counter("eth_rx_not_for_us", s->eth_rx_not_for_us);
	print_counter("eth_rx_unknown_type", s->eth_rx_unknown_type);
	print_counter("arp_rx_bad", s->arp_rx_bad);
	print_counter("arp_requests_sent", s->arp_requests_sent);
	print_counter("arp_replies_sent", s->arp_replies_sent);
	print_counter("arp_queue_dropped", s->arp_queue_dropped);
	print_counter("arp_unresolved_dropped", s->arp_unresolved_dropped);
	print_counter("ipv4_rx_bad_header", s->ipv4_rx_bad_header);
	print_counter("ipv4_rx_bad_checksum", s->ipv4_rx_bad_checksum);
	print_counter("ipv4_rx_not_for_us", s->ipv4_rx_not_for_us);
	print_counter("ipv4_rx_fragments_dropped", s->ipv4_rx_fragments_dropped);
	print_counter("ipv4_rx_unknown_protocol", s->ipv4_rx_unknown_protocol);
	print_counter("ipv4_tx_no_route", s->ipv4_tx_no_route);
	print_counter("ipv4_tx_no_memory", s->ipv4_tx_no_memory);
	print_counter("icmp_rx_bad", s->icmp_rx_bad);
	print_counter("icmp_echo_replies", s->icmp_echo_replies);
	print_counter("icmp_unreachables_sent", s->icmp_unreachables_sent);
	print_counter("udp_rx_bad", s->udp_rx_bad);
	print_counter("udp_rx_bad_checksum", s->udp_rx_bad_checksum);
	print_counter("udp_rx_no_port", s->udp_rx_no_port);
	print_counter("udp_rx_queue_full", s->udp_rx_queue_full);
	print_counter("tcp_rx_bad", s->tcp_rx_bad);
	print_counter("tcp_rx_bad_checksum", s->tcp_rx_bad_checksum);
	print_counter("tcp_rx_no_connection", s->tcp_rx_no_connection);
	print_counter("tcp_resets_sent", s->tcp_resets_sent);
	print_counter("tcp_rx_out_of_window", s->tcp_rx_out_of_window);
	print_counter("tcp_rx_out_of_order", s->tcp_rx_out_of_order);
	print_counter("tcp_retransmits", s->tcp_retransmits);
	print_counter("tcp_fast_retransmits", s->tcp_fast_retransmits);
	print_counter("tcp_timeouts", s->tcp_timeouts);
	print_counter("tcp_refused_limit", s->tcp_refused_limit);
	print_counter("tcp_tx_no_memory", s->tcp_tx_no_memory);
	print_counter("tcp_tso_segments", s->tcp_tso_segments);
	printf("\n");
}

void net_close(struct net *net)
{
	for (unsigned int i = 0; i < net->iface_count; i++) {
		struct netif *netif = net->ifaces[i].netif;

		if (netif->ops->close != NULL)
			netif->ops->close(netif);
	}
}
