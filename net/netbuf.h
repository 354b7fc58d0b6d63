/*
 * net/netbuf.h: the packet buffer that carries a frame between a driver and the stack.
 *
 * A netbuf is a small descriptor that points into one page of storage. The descriptor lives
 * apart from the page on purpose: netfront grants whole pages to the backend, and a page the
 * other domain can write must never hold our own pointers.
 *
 *     page                data                 data + length        page + capacity
 *     |<-- headroom ----->|<----- packet ----->|<----- tailroom ---->|
 *
 * The stack builds an outgoing packet from the inside out: the transport payload first, then
 * netbuf_push() prepends the TCP/UDP, IPv4 and Ethernet headers into the headroom, so no
 * header is ever copied twice. A received frame is consumed the other way: each layer
 * netbuf_pull()s its header off the front before handing the rest up.
 *
 * A frame may be a chain of netbufs linked by `next` (scatter-gather): netfront's receive
 * path delivers a large frame in several slots, and its transmit path can send a header
 * fragment followed by data fragments. The stack itself parses only single-fragment frames:
 * netif_input() linearizes a chain before the stack sees it (net/netif.h).
 *
 * Who frees what: a netbuf has exactly one owner at a time. Passing it to a function that
 * "takes" it (netif_transmit, netif_input, eth_output...) passes ownership. netbuf_free()
 * gives the storage back through `release` when the allocator was a driver (netfront
 * recycles its granted pages this way), or to page_free() otherwise.
 */
#ifndef NET_NETBUF_H
#define NET_NETBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/list.h"

/*
 * Headroom for the headers the stack prepends: Ethernet (14) + IPv4 without options (20) +
 * TCP with the largest option block we send (20 + 20), rounded up generously.
 */
#define NETBUF_HEADROOM 128

/* Checksum hints, in netbuf.flags. */
/*
 * Transmit: the transport checksum is left for the device. The checksum field holds the
 * folded, uncomplemented sum of the pseudo-header; the device sums from csum_start to the
 * end of the frame and stores the complement at csum_start + csum_offset. TAP passes the
 * two offsets on (VIRTIO_NET_HDR_F_NEEDS_CSUM); netfront passes only the flags
 * NETTXF_csum_blank | NETTXF_data_validated (public/io/netif.h), and netback finds the
 * transport header itself. A driver without NETIF_F_TX_CSUM never sees this flag:
 * netif_transmit computes the checksum first.
 */
#define NETBUF_CSUM_PARTIAL  (1u << 0)
/*
 * Receive: the device says the transport checksum is good (netfront: NETRXF_data_validated,
 * or NETRXF_csum_blank for a frame from another domain on the same host whose checksum was
 * never filled in -- netback sends those unless the frontend writes feature-no-csum-offload;
 * TAP: VIRTIO_NET_HDR_F_DATA_VALID or F_NEEDS_CSUM). The stack skips its own check, and must
 * not trust the checksum field's value. The IPv4 header checksum is always checked.
 */
#define NETBUF_CSUM_VERIFIED (1u << 1)

struct netbuf {
	struct netbuf *next;            /* the next fragment of the same frame, or NULL */
	struct list_node link;          /* for the current owner's queues; free otherwise */
	uint8_t *data;                  /* the first byte of the packet */
	size_t length;                  /* bytes of packet at data */
	uint8_t *page;                  /* the start of the storage */
	size_t capacity;                /* bytes of storage at page */
	unsigned int flags;             /* NETBUF_CSUM_* */
	uint16_t csum_start;            /* NETBUF_CSUM_PARTIAL: offset from data where summing starts */
	uint16_t csum_offset;           /* ... and offset from there of the checksum field */
	/*
	 * Transmit: a TCP segment longer than the MTU, for the device to cut into segments of
	 * this many payload bytes (TCP segmentation offload); 0 for an ordinary frame. Only a
	 * driver with NETIF_F_TX_TSO is given one, always with NETBUF_CSUM_PARTIAL.
	 */
	uint16_t gso_size;
	/*
	 * Gives descriptor and storage back; NULL means netbuf_alloc() made them (free() and
	 * page_free()). `owner` is for release's use.
	 */
	void (*release)(struct netbuf *netbuf);
	void *owner;
};

/*
 * A one-page netbuf with `headroom` bytes reserved in front of an empty packet
 * (headroom <= PAGE_SIZE). NULL when out of memory.
 */
struct netbuf *netbuf_alloc(size_t headroom);

/*
 * Set up a descriptor that a driver allocated itself around storage it owns (a granted
 * page), with an empty packet at `headroom`. netbuf_free() will call `release`.
 */
void netbuf_init_external(struct netbuf *netbuf, void *storage, size_t capacity,
			  size_t headroom, void (*release)(struct netbuf *), void *owner);

/*
 * Forget the freed netbufs kept for reuse, without freeing them: for tests that reset the
 * page allocator and heap under the stack (page_alloc_init).
 */
void netbuf_cache_forget(void);

/* Free every fragment of a chain; NULL is allowed. */
void netbuf_free(struct netbuf *chain);

/* Prepend `count` bytes into the headroom; returns the new data pointer, NULL if no room. */
void *netbuf_push(struct netbuf *netbuf, size_t count);

/* Drop `count` bytes from the front; false (and nothing changes) if the packet is shorter. */
bool netbuf_pull(struct netbuf *netbuf, size_t count);

/* Append `count` bytes at the end; returns where they go, NULL if the tailroom is short. */
void *netbuf_put(struct netbuf *netbuf, size_t count);

/* Shorten the packet to `length` bytes (no-op if it is already that short). */
void netbuf_trim(struct netbuf *netbuf, size_t length);

size_t netbuf_headroom(const struct netbuf *netbuf);
size_t netbuf_tailroom(const struct netbuf *netbuf);

/* The bytes in all fragments of a chain. */
size_t netbuf_chain_length(const struct netbuf *chain);

/*
 * Copy up to `length` bytes starting `offset` bytes into the chain; returns the count
 * copied (less than length if the chain ends first).
 */
size_t netbuf_copy_out(const struct netbuf *chain, size_t offset, void *destination,
		       size_t length);

/*
 * Make a chain a single fragment: a chain of one is returned as it is; a longer one is
 * copied into a fresh netbuf (keeping the first fragment's flags) and freed. Returns NULL,
 * with the chain freed, if the frame does not fit a page or memory is short.
 */
struct netbuf *netbuf_linearize(struct netbuf *chain);

#endif
