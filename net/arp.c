/*
 * net/arp.c: ARP for IPv4 over Ethernet, RFC 826, with the cache rules of RFC 1122 section
 * 2.3.2 (see net/arp.h).
 *
 * An ARP packet for IPv4 over Ethernet is 28 bytes:
 *
 *     0   hardware type (1 = Ethernet)     2   protocol type (0x0800 = IPv4)
 *     4   hardware length (6)              5   protocol length (4)
 *     6   operation (1 request, 2 reply)
 *     8   sender MAC       14  sender IPv4
 *     18  target MAC       24  target IPv4
 */
#include "net/arp.h"
#include "net/byteorder.h"
#include "net/eth.h"
#include "net/stack.h"
#include "xen/time.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/util.h"

#define ARP_PACKET_LEN 28
#define ARP_REQUEST    1
#define ARP_REPLY      2

void arp_init(struct arp_cache *cache)
{
	for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++) {
		cache->entries[i].state = ARP_FREE;
		list_init(&cache->entries[i].queue);
		cache->entries[i].queued = 0;
	}
}

/* Drop an entry's waiting packets and free it; returns how many packets were dropped. */
static unsigned int entry_release(struct arp_entry *entry)
{
	unsigned int dropped = entry->queued;
	struct list_node *node;

	while ((node = list_pop_head(&entry->queue)) != NULL)
		netbuf_free(container_of(node, struct netbuf, link));
	entry->queued = 0;
	entry->state = ARP_FREE;
	return dropped;
}

void arp_flush(struct arp_cache *cache)
{
	for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++)
		entry_release(&cache->entries[i]);
}

/* An entry whose MAC address may be used: resolved, or being refreshed. */
static bool usable(const struct arp_entry *entry)
{
	return entry->state == ARP_RESOLVED || entry->state == ARP_REFRESHING;
}

static struct arp_entry *find_entry(struct arp_cache *cache, uint32_t address)
{
	for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *entry = &cache->entries[i];

		if (entry->state != ARP_FREE && entry->address == address)
			return entry;
	}
	return NULL;
}

/*
 * A free entry, or else the one that matters least: the resolved entry closest to expiry,
 * and only if every entry is resolving, the one that has waited longest.
 */
static struct arp_entry *take_entry(struct net_iface *iface)
{
	struct arp_entry *victim = NULL;

	for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *entry = &iface->arp.entries[i];

		if (entry->state == ARP_FREE)
			return entry;
		if (victim == NULL || (usable(entry) && !usable(victim)) ||
		    (usable(entry) == usable(victim) && entry->deadline < victim->deadline))
			victim = entry;
	}
	iface->net->stats.arp_unresolved_dropped += entry_release(victim);
	return victim;
}

int arp_lookup(const struct arp_cache *cache, uint32_t address, uint8_t mac[ETH_ADDRESS_LEN])
{
	for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++) {
		const struct arp_entry *entry = &cache->entries[i];

		if (usable(entry) && entry->address == address) {
			memcpy(mac, entry->mac, ETH_ADDRESS_LEN);
			return 0;
		}
	}
	return -ENOENT;
}

/* Build and send one ARP packet to `target_mac`: a reply to its asker, a request to the
 * broadcast address, or to the known address when refreshing an entry. */
static void send_arp(struct net_iface *iface, uint16_t operation,
		     const uint8_t target_mac[ETH_ADDRESS_LEN], uint32_t target_address)
{
	struct netbuf *packet = netbuf_alloc(NETBUF_HEADROOM);
	uint8_t *arp;

	if (packet == NULL)
		return;
	arp = netbuf_put(packet, ARP_PACKET_LEN);
	put_be16(arp + 0, 1);
	put_be16(arp + 2, ETH_TYPE_IPV4);
	arp[4] = ETH_ADDRESS_LEN;
	arp[5] = 4;
	put_be16(arp + 6, operation);
	memcpy(arp + 8, iface->netif->mac, ETH_ADDRESS_LEN);
	put_be32(arp + 14, iface->address);
	/* In a request the target MAC is what we ask for: RFC 826 leaves it unspecified; 0. */
	if (operation == ARP_REQUEST)
		memset(arp + 18, 0, ETH_ADDRESS_LEN);
	else
		memcpy(arp + 18, target_mac, ETH_ADDRESS_LEN);
	put_be32(arp + 24, target_address);
	eth_output(iface, packet, target_mac, ETH_TYPE_ARP);
	if (operation == ARP_REQUEST)
		iface->net->stats.arp_requests_sent++;
	else
		iface->net->stats.arp_replies_sent++;
}

void arp_announce(struct net_iface *iface)
{
	/* A request for our own address, from our own address: everyone updates their cache. */
	if (iface->address != 0)
		send_arp(iface, ARP_REQUEST, eth_broadcast, iface->address);
}

/* The neighbour's MAC address is known now: send everything that waited for it. */
static void entry_resolved(struct net_iface *iface, struct arp_entry *entry,
			   const uint8_t mac[ETH_ADDRESS_LEN])
{
	struct list_node *node;

	memcpy(entry->mac, mac, ETH_ADDRESS_LEN);
	entry->state = ARP_RESOLVED;
	entry->deadline = time_now() + ARP_LIFETIME_NS;
	while ((node = list_pop_head(&entry->queue)) != NULL)
		eth_output(iface, container_of(node, struct netbuf, link), entry->mac,
			   ETH_TYPE_IPV4);
	entry->queued = 0;
	net_timer_arm(iface->net, entry->deadline);
}

void arp_input(struct net_iface *iface, struct netbuf *packet)
{
	struct net *net = iface->net;
	const uint8_t *arp = packet->data;
	const uint8_t *sender_mac;
	uint32_t sender, target;
	uint16_t operation;
	struct arp_entry *entry;

	if (packet->length < ARP_PACKET_LEN || get_be16(arp) != 1 ||
	    get_be16(arp + 2) != ETH_TYPE_IPV4 || arp[4] != ETH_ADDRESS_LEN || arp[5] != 4)
		goto bad;
	operation = get_be16(arp + 6);
	sender_mac = arp + 8;
	sender = get_be32(arp + 14);
	target = get_be32(arp + 24);
	if (operation != ARP_REQUEST && operation != ARP_REPLY)
		goto bad;
	/*
	 * Never learn a broadcast or multicast MAC (bit 0 of the first byte), nor an address
	 * of 0 (an RFC 5227 probe from a host that has no address yet), nor our own address
	 * (someone else claims it: a conflict we count but do not act on).
	 */
	if ((sender_mac[0] & 1) || sender == 0 || sender == IPV4_BROADCAST)
		goto ignore;
	if (iface->address != 0 && sender == iface->address)
		goto bad;

	/*
	 * RFC 826's merge: update the sender's entry if we have one; add it only if the packet
	 * is meant for us, so that a stranger's broadcast cannot fill the cache.
	 */
	entry = find_entry(&iface->arp, sender);
	if (entry != NULL) {
		entry_resolved(iface, entry, sender_mac);
	} else if (iface->address != 0 && target == iface->address) {
		entry = take_entry(iface);
		entry->address = sender;
		entry_resolved(iface, entry, sender_mac);
	}
	if (operation == ARP_REQUEST && iface->address != 0 && target == iface->address)
		send_arp(iface, ARP_REPLY, sender_mac, sender);
	netbuf_free(packet);
	return;
bad:
	net->stats.arp_rx_bad++;
ignore:
	netbuf_free(packet);
}

int arp_output(struct net_iface *iface, uint32_t next_hop, struct netbuf *packet)
{
	struct net *net = iface->net;
	struct arp_entry *entry = find_entry(&iface->arp, next_hop);

	if (entry != NULL && usable(entry))
		return eth_output(iface, packet, entry->mac, ETH_TYPE_IPV4);
	if (entry == NULL) {
		entry = take_entry(iface);
		entry->state = ARP_RESOLVING;
		entry->address = next_hop;
		entry->requests_sent = 1;
		entry->deadline = time_now() + ARP_RETRY_NS;
		net_timer_arm(net, entry->deadline);
		send_arp(iface, ARP_REQUEST, eth_broadcast, next_hop);
	}
	/* The queue is bounded: the oldest packet makes room for the newest. */
	if (entry->queued >= ARP_QUEUE_LIMIT) {
		struct list_node *oldest = list_pop_head(&entry->queue);

		netbuf_free(container_of(oldest, struct netbuf, link));
		entry->queued--;
		net->stats.arp_queue_dropped++;
	}
	list_add_tail(&entry->queue, &packet->link);
	entry->queued++;
	return 0;
}

uint64_t arp_timer(struct net_iface *iface, uint64_t now)
{
	uint64_t next = TIME_NEVER;

	for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *entry = &iface->arp.entries[i];

		if (entry->state == ARP_FREE)
			continue;
		if (now >= entry->deadline) {
			if (entry->state == ARP_RESOLVED) {
				/* Lifetime over: keep using it, and ask the neighbour directly. */
				entry->state = ARP_REFRESHING;
				entry->requests_sent = 1;
				entry->deadline = now + ARP_RETRY_NS;
				send_arp(iface, ARP_REQUEST, entry->mac, entry->address);
				next = MIN(next, entry->deadline);
				continue;
			}
			if (entry->requests_sent >= ARP_RETRIES) {
				/* Nobody answers: the waiting packets cannot be delivered, and a
				 * refreshed entry is gone (its neighbour moved or left). */
				iface->net->stats.arp_unresolved_dropped += entry_release(entry);
				continue;
			}
			entry->requests_sent++;
			entry->deadline = now + ARP_RETRY_NS;
			/* A refresh that got no unicast answer asks everyone, as a new lookup does. */
			send_arp(iface, ARP_REQUEST, eth_broadcast, entry->address);
		}
		next = MIN(next, entry->deadline);
	}
	return next;
}
