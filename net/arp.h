/*
 * net/arp.h: the Address Resolution Protocol for IPv4 over Ethernet (RFC 826), and the
 * neighbour cache it fills: which MAC address answers for which IPv4 address on the link.
 *
 * IPv4 hands every outgoing packet to arp_output() with the next hop's address. A known
 * neighbour gets the packet at once. An unknown one gets a broadcast request, and the packet
 * waits in a short queue on the cache entry until the reply comes (RFC 1122 section 2.3.2.2
 * asks to keep at least one). Requests are repeated a few times, then the entry fails and
 * its queue is dropped. Resolved entries expire, so a neighbour that changed its MAC
 * address is asked again.
 */
#ifndef NET_ARP_H
#define NET_ARP_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/list.h"
#include "net/netbuf.h"
#include "net/netif.h"

struct net_iface;

#define ARP_CACHE_SIZE    16
#define ARP_QUEUE_LIMIT   4                     /* packets waiting per unresolved neighbour */
#define ARP_RETRIES       3                     /* requests before giving up */
#define ARP_RETRY_NS      (1000ULL * 1000 * 1000)
#define ARP_LIFETIME_NS   (60ULL * 1000 * 1000 * 1000)

/*
 * A resolved entry that reaches the end of its lifetime is not dropped at once: it becomes
 * REFRESHING, stays in use, and is asked again by unicast (RFC 1122 2.3.2.1). Dropping it
 * would hold up every packet to that neighbour until a reply came, and a busy TCP sender
 * would lose what overflows the queue meanwhile.
 */
enum arp_entry_state { ARP_FREE, ARP_RESOLVING, ARP_RESOLVED, ARP_REFRESHING };

struct arp_entry {
	enum arp_entry_state state;
	uint32_t address;
	uint8_t mac[ETH_ADDRESS_LEN];
	uint64_t deadline;              /* RESOLVING, REFRESHING: next request; RESOLVED: expiry */
	unsigned int requests_sent;
	struct list_node queue;         /* RESOLVING: packets waiting (netbuf.link) */
	unsigned int queued;
};

struct arp_cache {
	struct arp_entry entries[ARP_CACHE_SIZE];
};

void arp_init(struct arp_cache *cache);

/* Forget every entry and drop every waiting packet (the interface's address changed). */
void arp_flush(struct arp_cache *cache);

/* A received ARP packet (the Ethernet header already pulled); takes the netbuf. */
void arp_input(struct net_iface *iface, struct netbuf *packet);

/*
 * Send an IPv4 packet (IPv4 header at data) to `next_hop` on this interface; takes the
 * packet. Returns 0 if it was sent or queued, -errno if it was dropped.
 */
int arp_output(struct net_iface *iface, uint32_t next_hop, struct netbuf *packet);

/* Broadcast a gratuitous ARP for our own address (RFC 5227 section 3: an announcement). */
void arp_announce(struct net_iface *iface);

/* Retries and expiry; returns the next deadline of this cache (TIME_NEVER if none). */
uint64_t arp_timer(struct net_iface *iface, uint64_t now);

/* The MAC address of a resolved neighbour: 0, or -ENOENT. */
int arp_lookup(const struct arp_cache *cache, uint32_t address, uint8_t mac[ETH_ADDRESS_LEN]);

#endif
