/*
 * net/netbuf.c: packet buffers (net/netbuf.h). Each netbuf costs one page for the storage
 * and a small heap block for the descriptor; a few freed ones are cached for reuse.
 */
#include "net/netbuf.h"
#include "lib/assert.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/string.h"
#include "lib/util.h"

/*
 * Every field starts from a known state: a reused descriptor must not carry the last
 * packet's checksum hints or chain into the next one.
 */
static void init_descriptor(struct netbuf *netbuf, void *storage, size_t capacity,
			    size_t headroom)
{
	assert(headroom <= capacity);
	memset(netbuf, 0, sizeof(*netbuf));
	list_init(&netbuf->link);
	netbuf->page = storage;
	netbuf->capacity = capacity;
	netbuf->data = netbuf->page + headroom;
	netbuf->length = 0;
}

/*
 * A few freed netbufs are kept for the next netbuf_alloc. Every frame received and every
 * segment sent needs one, and taking descriptor and page from the heap and the page
 * allocator each time costs more than much of the rest of the packet's journey. The cache
 * is small, so that an idle stack holds little memory in it.
 */
#define NETBUF_CACHE_MAX 8

static struct {
	struct netbuf *free[NETBUF_CACHE_MAX];
	unsigned int count;
} cache;

void netbuf_cache_forget(void)
{
	cache.count = 0;
}

struct netbuf *netbuf_alloc(size_t headroom)
{
	struct netbuf *netbuf;
	void *page;

	if (cache.count > 0) {
		netbuf = cache.free[--cache.count];
		init_descriptor(netbuf, netbuf->page, PAGE_SIZE, headroom);
		return netbuf;
	}
	netbuf = malloc(sizeof(*netbuf));
	if (netbuf == NULL)
		return NULL;
	page = page_alloc(1);
	if (page == NULL) {
		free(netbuf);
		return NULL;
	}
	init_descriptor(netbuf, page, PAGE_SIZE, headroom);
	return netbuf;
}

void netbuf_init_external(struct netbuf *netbuf, void *storage, size_t capacity,
			  size_t headroom, void (*release)(struct netbuf *), void *owner)
{
	init_descriptor(netbuf, storage, capacity, headroom);
	netbuf->release = release;
	netbuf->owner = owner;
}

void netbuf_free(struct netbuf *chain)
{
	while (chain != NULL) {
		struct netbuf *next = chain->next;

		chain->next = NULL;
		if (chain->release != NULL) {
			chain->release(chain);
		} else if (cache.count < NETBUF_CACHE_MAX) {
			cache.free[cache.count++] = chain;
		} else {
			page_free(chain->page, 1);
			free(chain);
		}
		chain = next;
	}
}

size_t netbuf_headroom(const struct netbuf *netbuf)
{
	return (size_t)(netbuf->data - netbuf->page);
}

size_t netbuf_tailroom(const struct netbuf *netbuf)
{
	return netbuf->capacity - netbuf_headroom(netbuf) - netbuf->length;
}

/*
 * push, pull, put and trim only move the edges of the packet inside its storage; no byte is
 * copied. Each checks its bound first, so a caller's arithmetic mistake fails cleanly
 * instead of writing outside the page.
 */
void *netbuf_push(struct netbuf *netbuf, size_t count)
{
	if (count > netbuf_headroom(netbuf))
		return NULL;
	netbuf->data -= count;
	netbuf->length += count;
	/* The checksum position is measured from data, which just moved. */
	if (netbuf->flags & NETBUF_CSUM_PARTIAL)
		netbuf->csum_start += count;
	return netbuf->data;
}

bool netbuf_pull(struct netbuf *netbuf, size_t count)
{
	if (count > netbuf->length)
		return false;
	netbuf->data += count;
	netbuf->length -= count;
	return true;
}

void *netbuf_put(struct netbuf *netbuf, size_t count)
{
	uint8_t *tail = netbuf->data + netbuf->length;

	if (count > netbuf_tailroom(netbuf))
		return NULL;
	netbuf->length += count;
	return tail;
}

void netbuf_trim(struct netbuf *netbuf, size_t length)
{
	if (length < netbuf->length)
		netbuf->length = length;
}

size_t netbuf_chain_length(const struct netbuf *chain)
{
	size_t total = 0;

	for (; chain != NULL; chain = chain->next)
		total += chain->length;
	return total;
}

/* Walk the chain, skipping whole fragments until `offset` falls inside one. */
size_t netbuf_copy_out(const struct netbuf *chain, size_t offset, void *destination,
		       size_t length)
{
	uint8_t *out = destination;
	size_t copied = 0;

	for (; chain != NULL && copied < length; chain = chain->next) {
		size_t take;

		if (offset >= chain->length) {
			offset -= chain->length;
			continue;
		}
		take = MIN(chain->length - offset, length - copied);
		memcpy(out + copied, chain->data + offset, take);
		copied += take;
		offset = 0;
	}
	return copied;
}

struct netbuf *netbuf_linearize(struct netbuf *chain)
{
	struct netbuf *flat;
	size_t total;

	if (chain == NULL || chain->next == NULL)
		return chain;
	/*
	 * The copy keeps the usual headroom, so that code which answers a received packet in
	 * place could push headers in front of it like any other netbuf.
	 */
	total = netbuf_chain_length(chain);
	flat = total <= PAGE_SIZE - NETBUF_HEADROOM ? netbuf_alloc(NETBUF_HEADROOM) : NULL;
	if (flat == NULL) {
		netbuf_free(chain);
		return NULL;
	}
	netbuf_copy_out(chain, 0, netbuf_put(flat, total), total);
	flat->flags = chain->flags;
	flat->csum_start = chain->csum_start;
	flat->csum_offset = chain->csum_offset;
	netbuf_free(chain);
	return flat;
}
