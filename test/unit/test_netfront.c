/*
 * test/unit/test_netfront.c: xen/netfront.c against a fake netback (netfront_fakes.h).
 *
 * The fake backend does what Linux's netback does, in the test's own time: it reads the
 * keys of the handshake, finds the rings through the grants, consumes requests and writes
 * responses into the shared pages, and raises an "event" (calls netfront's handler) only
 * when rsp_event says so. The tests check the protocol -- what netfront writes into the
 * rings and xenstore, its notification rules -- and, above all, that nothing a hostile
 * backend writes makes it misbehave: bad ids, sizes outside the page, unknown statuses,
 * endless chains, impossible ring indices, grants it does not give back.
 *
 * netfront's thread (detach and re-attach) runs here as a coroutine that is "blocked" the
 * moment it would wait for something that is not true yet: the fake sched_wait jumps back
 * out of it, and the next run starts it over, which its loop tolerates.
 */
#include <check.h>
#include <setjmp.h>
#include <stdarg.h>
#include "test/unit/netfront_fakes.h"
#include "test/unit/kernel_fakes.h"
#include "test/unit/suites.h"
#include "xen/netfront.h"
#include "xen/xenbus.h"
#include "xen/xenstore.h"
#include "xen/gnttab.h"
#include "xen/evtchn.h"
#include "kernel/sched.h"
#include "net/netbuf.h"
#include "net/netif.h"
#include <xen/io/netif.h>
#include "lib/errno.h"
#include "lib/heap.h"
#include "lib/page_alloc.h"
#include "lib/string.h"

#define RING_ENTRIES 256u
#define REGION_PAGES 2048
#define MAX_GRANTS 2048
#define FIRST_REF 8
#define PORT 7

static uint8_t region[REGION_PAGES * 4096] __attribute__((aligned(4096)));

/* ---- The fake backend's state ----------------------------------------------------------- */

static struct {
	/* xenbus and xenstore */
	struct xenbus_device *device;
	XenbusState frontend_state;
	XenbusState backend_state;
	char keys[16][2][64];               /* what netfront wrote into its directory */
	unsigned int key_count;
	const char *mac, *backend_ip, *mtu;
	uint64_t rx_copy, sg;
	char vifs[32];                      /* device/vif's children, NUL-separated */
	size_t vifs_length;
	uint64_t new_vif_state;             /* device/vif/<id>/state of a vif to claim */

	/* grants */
	struct grant {
		void *page;
		bool readonly, active, held;
	} grants[MAX_GRANTS];
	unsigned int grants_active, end_refused;

	/* the event channel */
	evtchn_handler_t handler;
	void *handler_arg;
	unsigned int notifications;

	/* the rings, once connected, and the backend's private indices */
	netif_tx_sring_t *tx;
	netif_rx_sring_t *rx;
	RING_IDX tx_req_cons, tx_rsp_prod, rx_req_cons, rx_rsp_prod;
	unsigned int events;

	/* the thread */
	void (*thread_entry)(void *arg);
	void *thread_arg;
	bool in_thread;
	jmp_buf thread_blocked;
} be;

/* Frames netfront handed to the stack (copies), and the netfront under test. */
static struct {
	uint8_t data[8][8192];
	size_t length[8];
	unsigned int flags[8];
	unsigned int count;
} seen;

static struct netfront *nf;
static struct netif *netif;

/* ---- Fakes: xenbus, xenstore ------------------------------------------------------------ */

int xenbus_list_devices(const char *type, char *ids, size_t size)
{
	int count = 0;

	ck_assert_str_eq(type, "vif");
	ck_assert_uint_le(be.vifs_length, size);
	memcpy(ids, be.vifs, be.vifs_length);
	for (size_t i = 0; i < be.vifs_length; i++)
		count += be.vifs[i] == '\0';
	return count;
}

static void set_vifs(const char *first, const char *second)
{
	be.vifs_length = 0;
	if (first != NULL) {
		strcpy(be.vifs, first);
		be.vifs_length = strlen(first) + 1;
	}
	if (second != NULL) {
		strcpy(be.vifs + be.vifs_length, second);
		be.vifs_length += strlen(second) + 1;
	}
}

int xenbus_device_open(struct xenbus_device *device, const char *type, const char *id,
		       uint64_t timeout)
{
	(void)timeout;
	memset(device, 0, sizeof(*device));
	snprintf(device->nodename, sizeof(device->nodename), "device/%s/%s", type, id);
	snprintf(device->backend, sizeof(device->backend), "/local/domain/0/backend/vif/1/%s", id);
	device->backend_id = 0;
	be.backend_state = XenbusStateInitWait;
	device->backend_state = be.backend_state;
	be.device = device;
	be.key_count = 0;
	return 0;
}

void xenbus_device_close(struct xenbus_device *device)
{
	ck_assert_ptr_eq(device, be.device);
	be.device = NULL;
}

static void backend_state_is(XenbusState state)
{
	be.backend_state = state;
	if (be.device != NULL)
		be.device->backend_state = state;
}

static const char *key(const char *name);

/*
 * netback's reaction to the frontend's state: Connected maps the rings (here: looks up the
 * grants of tx-ring-ref and rx-ring-ref) and connects; Closing and Closed disconnect.
 */
int xenbus_switch_state(struct xenbus_device *device, XenbusState state)
{
	ck_assert_ptr_eq(device, be.device);
	be.frontend_state = state;
	if (state == XenbusStateConnected) {
		unsigned long tx = strtoul(key("tx-ring-ref"), NULL, 10);
		unsigned long rx = strtoul(key("rx-ring-ref"), NULL, 10);

		ck_assert(be.grants[tx].active && !be.grants[tx].readonly);
		ck_assert(be.grants[rx].active && !be.grants[rx].readonly);
		be.tx = be.grants[tx].page;
		be.rx = be.grants[rx].page;
		be.tx_req_cons = be.tx_rsp_prod = be.rx_req_cons = be.rx_rsp_prod = 0;
		ck_assert_uint_eq(strtoul(key("event-channel"), NULL, 10), PORT);
	} else if (state == XenbusStateClosing) {
		backend_state_is(XenbusStateClosing);
	} else if (state == XenbusStateClosed) {
		backend_state_is(XenbusStateClosed);
		be.tx = NULL;
		be.rx = NULL;
	}
	return 0;
}

int xenbus_wait_backend_state(struct xenbus_device *device, XenbusState wanted, uint64_t timeout)
{
	(void)timeout;
	ck_assert_ptr_eq(device, be.device);
	backend_state_is(wanted);
	return 0;
}

bool xenbus_backend_closing(const struct xenbus_device *device)
{
	return device->backend_state == XenbusStateClosing ||
	       device->backend_state == XenbusStateClosed;
}

int xenbus_read(const struct xenbus_device *device, const char *name, char *buffer, size_t size)
{
	const char *value = strcmp(name, "mac") == 0 ? be.mac : strcmp(name, "mtu") == 0 ? be.mtu
											  : NULL;

	(void)device;
	if (value == NULL)
		return -ENOENT;
	strlcpy(buffer, value, size);
	return (int)strlen(value);
}

int xenbus_read_backend(const struct xenbus_device *device, const char *name, char *buffer,
			size_t size)
{
	(void)device;
	if (strcmp(name, "ip") != 0 || be.backend_ip == NULL)
		return -ENOENT;
	strlcpy(buffer, be.backend_ip, size);
	return (int)strlen(be.backend_ip);
}

int xenbus_read_backend_u64(const struct xenbus_device *device, const char *name, uint64_t *out)
{
	(void)device;
	if (strcmp(name, "feature-rx-copy") == 0)
		*out = be.rx_copy;
	else if (strcmp(name, "feature-sg") == 0)
		*out = be.sg;
	else
		return -ENOENT;
	return 0;
}

int xenbus_printf(const struct xenbus_device *device, xs_transaction_t transaction,
		  const char *name, const char *format, ...)
{
	va_list args;
	unsigned int i;

	(void)device;
	ck_assert_uint_ne(transaction, XS_NO_TRANSACTION);  /* all keys in one transaction */
	for (i = 0; i < be.key_count && strcmp(be.keys[i][0], name) != 0; i++)
		;
	ck_assert_uint_lt(i, 16);
	if (i == be.key_count)
		be.key_count++;
	strlcpy(be.keys[i][0], name, sizeof(be.keys[i][0]));
	va_start(args, format);
	vsnprintf(be.keys[i][1], sizeof(be.keys[i][1]), format, args);
	va_end(args);
	return 0;
}

static const char *key(const char *name)
{
	for (unsigned int i = 0; i < be.key_count; i++) {
		if (strcmp(be.keys[i][0], name) == 0)
			return be.keys[i][1];
	}
	ck_abort_msg("netfront did not write %s", name);
	return NULL;
}

const char *xenbus_state_name(XenbusState state)
{
	(void)state;
	return "(state)";
}

int xs_transaction_run(int (*body)(xs_transaction_t transaction, void *arg), void *arg,
		       unsigned int attempts)
{
	(void)attempts;
	return body(1, arg);
}

int xs_read_u64(xs_transaction_t transaction, const char *path, uint64_t *out)
{
	(void)transaction;
	(void)path;
	*out = be.new_vif_state;
	return 0;
}

struct xs_watch *xs_watch_add(const char *path, xs_watch_callback_t callback, void *arg,
			      int *error)
{
	(void)path;
	(void)callback;
	(void)arg;
	(void)error;
	return (struct xs_watch *)&be;      /* any non-NULL handle */
}

/* ---- Fakes: grants and the event channel ------------------------------------------------ */

int gnttab_grant_page(domid_t domid, const void *page, bool readonly, grant_ref_t *ref)
{
	ck_assert_uint_eq(domid, 0);
	ck_assert(((uintptr_t)page & (PAGE_SIZE - 1)) == 0);
	for (grant_ref_t r = FIRST_REF; r < MAX_GRANTS; r++) {
		if (!be.grants[r].active) {
			be.grants[r] = (struct grant){ (void *)page, readonly, true, false };
			be.grants_active++;
			*ref = r;
			return 0;
		}
	}
	return -ENOSPC;
}

int gnttab_end_access(grant_ref_t ref)
{
	ck_assert_uint_lt(ref, MAX_GRANTS);
	ck_assert_msg(be.grants[ref].active, "ending ref %u, which is not granted", ref);
	if (be.grants[ref].held) {
		be.end_refused++;
		return -EBUSY;
	}
	be.grants[ref].active = false;
	be.grants_active--;
	return 0;
}

void gnttab_stats(struct gnttab_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->in_use = be.grants_active;
}

int evtchn_alloc_unbound(domid_t remote, evtchn_handler_t handler, void *arg, evtchn_port_t *port)
{
	ck_assert_uint_eq(remote, 0);
	be.handler = handler;
	be.handler_arg = arg;
	*port = PORT;
	return 0;
}

void evtchn_unbind(evtchn_port_t port)
{
	ck_assert_uint_eq(port, PORT);
	be.handler = NULL;
}

int evtchn_notify(evtchn_port_t port)
{
	ck_assert_uint_eq(port, PORT);
	be.notifications++;
	return 0;
}

/* ---- Fakes: the thread ------------------------------------------------------------------ */

struct thread *thread_create(const char *name, void (*entry)(void *arg), void *arg)
{
	(void)name;
	be.thread_entry = entry;
	be.thread_arg = arg;
	return (struct thread *)&be;
}

/* Run netfront's thread until it ends or waits for something that is not true yet. */
static void run_thread(void)
{
	if (be.thread_entry == NULL || be.in_thread)
		return;
	be.in_thread = true;
	if (setjmp(be.thread_blocked) == 0) {
		be.thread_entry(be.thread_arg);
		be.thread_entry = NULL;         /* it returned: the thread is over */
	}
	be.in_thread = false;
}

int sched_wait(bool (*condition)(void *arg), void *arg, uint64_t deadline)
{
	(void)deadline;
	if (condition(arg))
		return 0;
	if (be.in_thread)
		longjmp(be.thread_blocked, 1);  /* the thread blocks here */
	run_thread();                           /* the others run meanwhile */
	return condition(arg) ? 0 : -ETIMEDOUT;
}

/* ---- The backend's side of the rings ---------------------------------------------------- */

/* Publish responses and raise the event if netfront asked for it (rsp_event). */
static void push_responses(RING_IDX *shared_prod, const RING_IDX *shared_event, RING_IDX *prod,
			   RING_IDX new)
{
	RING_IDX old = *prod;

	*prod = new;
	*shared_prod = new;
	if ((RING_IDX)(new - *shared_event) < (RING_IDX)(new - old) && be.handler != NULL) {
		be.events++;
		be.handler(PORT, be.handler_arg);
	}
}

static unsigned int rx_requests_available(void)
{
	return be.rx->req_prod - be.rx_req_cons;
}

/* The request at the backend's next rx position; the grant must let us write its page. */
static netif_rx_request_t rx_request(RING_IDX index)
{
	netif_rx_request_t request = be.rx->ring[index & (RING_ENTRIES - 1)].req;

	ck_assert(be.grants[request.gref].active && !be.grants[request.gref].readonly);
	return request;
}

/* Write one rx response at the next position (consuming its request), not yet published. */
static void rx_respond_raw(struct netif_rx_response response)
{
	ck_assert_uint_gt(rx_requests_available(), 0);
	be.rx->ring[be.rx_req_cons++ & (RING_ENTRIES - 1)].rsp = response;
}

/* Copy a frame into the pages of the next requests, `slot_size` bytes per slot at most. */
static void rx_deliver(const uint8_t *frame, size_t length, size_t slot_size, uint16_t flags)
{
	size_t offset = 0;
	bool first = true;

	while (offset < length) {
		size_t chunk = length - offset < slot_size ? length - offset : slot_size;
		netif_rx_request_t request = rx_request(be.rx_req_cons);
		uint16_t slot_flags = first ? flags : 0;

		memcpy(be.grants[request.gref].page, frame + offset, chunk);
		offset += chunk;
		if (offset < length)
			slot_flags |= NETRXF_more_data;
		rx_respond_raw((struct netif_rx_response){ .id = request.id, .offset = 0,
							   .flags = slot_flags,
							   .status = (int16_t)chunk });
		first = false;
	}
}

static void rx_push(void)
{
	push_responses(&be.rx->rsp_prod, &be.rx->rsp_event, &be.rx_rsp_prod, be.rx_req_cons);
}

static unsigned int tx_requests_available(void)
{
	return be.tx->req_prod - be.tx_req_cons;
}

static netif_tx_request_t tx_request(void)
{
	ck_assert_uint_gt(tx_requests_available(), 0);
	return be.tx->ring[be.tx_req_cons++ & (RING_ENTRIES - 1)].req;
}

/* Answer one tx request (position order) with `id` and `status`. */
static void tx_respond(uint16_t id, int16_t status)
{
	be.tx->ring[be.tx_rsp_prod & (RING_ENTRIES - 1)].rsp =
		(struct netif_tx_response){ .id = id, .status = status };
	push_responses(&be.tx->rsp_prod, &be.tx->rsp_event, &be.tx_rsp_prod, be.tx_rsp_prod + 1);
}

/* What a tx request points at: the bytes in its granted page. */
static const uint8_t *tx_data(const netif_tx_request_t *request)
{
	ck_assert(be.grants[request->gref].active);
	ck_assert_msg(be.grants[request->gref].readonly, "tx pages must be granted read-only");
	ck_assert_uint_le(request->offset, PAGE_SIZE);
	return (const uint8_t *)be.grants[request->gref].page + request->offset;
}

/* ---- The stack's side -------------------------------------------------------------------- */

static void capture(struct netif *unused, struct netbuf *frame)
{
	(void)unused;
	ck_assert_uint_lt(seen.count, 8);
	ck_assert_ptr_null(frame->next);            /* netif_input linearized it */
	seen.length[seen.count] = netbuf_copy_out(frame, 0, seen.data[seen.count],
						  sizeof(seen.data[0]));
	seen.flags[seen.count] = frame->flags;
	seen.count++;
	netbuf_free(frame);
}

static int poll(void)
{
	return netif->ops->poll(netif, 64);
}

static void pattern(uint8_t *data, size_t length, unsigned int seed)
{
	for (size_t i = 0; i < length; i++)
		data[i] = (uint8_t)(seed + i * 13);
}

static struct netbuf *frame_of(size_t length, unsigned int seed)
{
	struct netbuf *frame = netbuf_alloc(NETBUF_HEADROOM);

	pattern(netbuf_put(frame, length), length, seed);
	return frame;
}

static struct netfront_stats stats(void)
{
	struct netfront_stats s;

	netfront_stats(nf, &s);
	return s;
}

static void setup(void)
{
	ck_assert_int_eq(page_alloc_init(region, REGION_PAGES), 0);
	heap_init();
	netbuf_cache_forget();
	memset(&be, 0, sizeof(be));
	memset(&seen, 0, sizeof(seen));
	be.mac = "00:16:3e:01:02:03";
	be.rx_copy = 1;
	be.sg = 1;
	set_vifs("0", NULL);
	ck_assert_int_eq(netfront_create("0", &nf), 0);
	netif = netfront_netif(nf);
	netif->input = capture;
}

static void teardown(void)
{
}

/* ---- The handshake ---------------------------------------------------------------------- */

START_TEST(test_handshake)
{
	static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x01, 0x02, 0x03 };

	ck_assert_uint_eq(be.frontend_state, XenbusStateConnected);
	ck_assert_str_eq(key("request-rx-copy"), "1");
	ck_assert_str_eq(key("feature-rx-notify"), "1");
	ck_assert_str_eq(key("feature-sg"), "1");
	ck_assert_str_eq(key("feature-no-csum-offload"), "0");
	ck_assert_mem_eq(netif->mac, mac, 6);
	ck_assert_uint_eq(netif->mtu, 1500);
	ck_assert_uint_eq(netif->features, NETIF_F_TX_CSUM | NETIF_F_TX_SG);
	ck_assert_uint_eq(netif->address_hint, 0);
	/* A full rx ring of writable grants with distinct ids, and the two ring pages. */
	ck_assert_uint_eq(rx_requests_available(), RING_ENTRIES);
	ck_assert_uint_eq(be.grants_active, RING_ENTRIES + 2);
	for (RING_IDX i = 0; i < RING_ENTRIES; i++) {
		for (RING_IDX j = 0; j < i; j++)
			ck_assert_uint_ne(be.rx->ring[i].req.id, be.rx->ring[j].req.id);
		rx_request(i);
	}
	/* netfront kicked the backend once, and asked to poll its own rings once. */
	ck_assert_uint_eq(be.notifications, 1);
	ck_assert(netif->poll_requested);
	ck_assert_int_eq(poll(), 0);
	netfront_destroy(nf);
	ck_assert_uint_eq(be.grants_active, 0);
	ck_assert_uint_eq(be.frontend_state, XenbusStateClosed);
}
END_TEST

START_TEST(test_handshake_refusals)
{
	struct netfront *other;

	netfront_destroy(nf);
	/* A MAC that is not a unicast address, or not one at all. */
	be.mac = "01:00:5e:00:00:01";
	ck_assert_int_eq(netfront_create("0", &other), -EINVAL);
	be.mac = "00:16:3e:01:02";
	ck_assert_int_eq(netfront_create("0", &other), -EINVAL);
	/* A backend that cannot copy into our pages. */
	be.mac = "00:16:3e:01:02:03";
	be.rx_copy = 0;
	ck_assert_int_eq(netfront_create("0", &other), -EOPNOTSUPP);
	ck_assert_uint_eq(be.grants_active, 0);
	/* The address hint and the MTU, from xenstore; no feature-sg: no chains. */
	be.rx_copy = 1;
	be.sg = 0;
	be.backend_ip = "10.0.0.42 10.0.0.43";
	be.mtu = "9000";
	ck_assert_int_eq(netfront_create("0", &other), 0);
	ck_assert_uint_eq(netfront_netif(other)->address_hint, 0x0a00002a);
	ck_assert_uint_eq(netfront_netif(other)->features, NETIF_F_TX_CSUM);
	ck_assert_uint_lt(netfront_netif(other)->mtu, PAGE_SIZE - NETBUF_HEADROOM);
	netfront_destroy(other);
	ck_assert_uint_eq(be.grants_active, 0);
}
END_TEST

/* ---- Receive ------------------------------------------------------------------------------ */

START_TEST(test_rx_frames)
{
	uint8_t frame[3000];
	unsigned int grants = be.grants_active;

	ck_assert_int_eq(poll(), 0);
	ck_assert_uint_eq(be.rx->rsp_event, 1);
	pattern(frame, 60, 1);
	rx_deliver(frame, 60, PAGE_SIZE, NETRXF_data_validated);
	/* A frame in two slots (the backend may split anywhere). */
	pattern(frame, sizeof(frame), 2);
	rx_deliver(frame, sizeof(frame), 2000, NETRXF_csum_blank | NETRXF_data_validated);
	netif->poll_requested = false;
	rx_push();
	ck_assert_uint_eq(be.events, 1);            /* rsp_event was 1: one event */
	ck_assert(netif->poll_requested);
	ck_assert_int_eq(poll(), 2);
	ck_assert_uint_eq(seen.count, 2);
	ck_assert_uint_eq(seen.length[0], 60);
	ck_assert_uint_eq(seen.length[1], sizeof(frame));
	ck_assert_mem_eq(seen.data[1], frame, sizeof(frame));
	ck_assert(seen.flags[0] & NETBUF_CSUM_VERIFIED);
	ck_assert_uint_eq(stats().rx_multislot, 1);
	/* The ring is full again, with fresh grants; the used ones ended; events re-armed. */
	ck_assert_uint_eq(rx_requests_available(), RING_ENTRIES);
	ck_assert_uint_eq(be.grants_active, grants);
	ck_assert_uint_eq(be.rx->rsp_event, be.rx_rsp_prod + 1);
	ck_assert_uint_eq(netif->stats.rx_packets, 2);
	ck_assert_uint_eq(stats().bad_responses, 0);
}
END_TEST

START_TEST(test_rx_frame_across_polls)
{
	uint8_t frame[2500];

	pattern(frame, sizeof(frame), 3);
	/* Only the first slot is published... */
	rx_deliver(frame, sizeof(frame), 1500, 0);
	push_responses(&be.rx->rsp_prod, &be.rx->rsp_event, &be.rx_rsp_prod, be.rx_rsp_prod + 1);
	ck_assert_int_eq(poll(), 0);
	ck_assert_uint_eq(seen.count, 0);
	/* ...then the second. */
	rx_push();
	ck_assert_int_eq(poll(), 1);
	ck_assert_uint_eq(seen.length[0], sizeof(frame));
	ck_assert_mem_eq(seen.data[0], frame, sizeof(frame));
}
END_TEST

START_TEST(test_rx_jumbo_and_extras)
{
	uint8_t frame[6000];
	netif_rx_request_t request;
	struct netif_extra_info extra = { .type = XEN_NETIF_EXTRA_TYPE_GSO };

	/* Larger than a page: netfront chains it, the stack cannot take it (rx_dropped). */
	pattern(frame, sizeof(frame), 4);
	rx_deliver(frame, sizeof(frame), PAGE_SIZE, 0);
	/* A frame with one extra-info slot after its first slot: skipped. */
	request = rx_request(be.rx_req_cons);
	pattern(be.grants[request.gref].page, 100, 5);
	rx_respond_raw((struct netif_rx_response){ .id = request.id, .flags = NETRXF_extra_info,
						   .status = 100 });
	rx_request(be.rx_req_cons);
	memcpy(&be.rx->ring[be.rx_req_cons++ & (RING_ENTRIES - 1)].rsp, &extra, sizeof(extra));
	rx_push();
	ck_assert_int_eq(poll(), 2);
	ck_assert_uint_eq(netif->stats.rx_dropped, 1);
	ck_assert_uint_eq(stats().rx_multislot, 1);
	ck_assert_uint_eq(stats().rx_extras, 1);
	ck_assert_uint_eq(seen.count, 1);
	ck_assert_uint_eq(seen.length[0], 100);
	ck_assert_uint_eq(stats().bad_responses, 0);
	ck_assert_uint_eq(rx_requests_available(), RING_ENTRIES);
}
END_TEST

/* Each kind of bad rx response: counted, dropped, its buffer back on the ring. */
START_TEST(test_rx_hostile)
{
	netif_rx_request_t request;
	unsigned int grants = be.grants_active;

	/* An id that is not the one posted at this position. */
	request = rx_request(be.rx_req_cons);
	rx_respond_raw((struct netif_rx_response){ .id = (uint16_t)(request.id + 1), .status = 60 });
	/* Offset and size beyond the page. */
	request = rx_request(be.rx_req_cons);
	rx_respond_raw((struct netif_rx_response){ .id = request.id, .offset = 4000, .status = 200 });
	request = rx_request(be.rx_req_cons);
	rx_respond_raw((struct netif_rx_response){ .id = request.id, .offset = 5000, .status = 0 });
	/* A status netif.h does not define. */
	request = rx_request(be.rx_req_cons);
	rx_respond_raw((struct netif_rx_response){ .id = request.id, .status = -7 });
	/* A backend error is not a bad response, but the frame is lost. */
	request = rx_request(be.rx_req_cons);
	rx_respond_raw((struct netif_rx_response){ .id = request.id, .status = NETIF_RSP_ERROR });
	/* A chain longer than any frame may be: 20 slots, all but the last with more_data. */
	for (int i = 0; i < 20; i++) {
		request = rx_request(be.rx_req_cons);
		rx_respond_raw((struct netif_rx_response){ .id = request.id, .status = 10,
							   .flags = i < 19 ? NETRXF_more_data : 0 });
	}
	/* Then one good frame. */
	request = rx_request(be.rx_req_cons);
	pattern(be.grants[request.gref].page, 64, 6);
	rx_respond_raw((struct netif_rx_response){ .id = request.id, .status = 64 });
	rx_push();
	while (poll() > 0)
		;
	ck_assert_uint_eq(seen.count, 1);
	ck_assert_uint_eq(seen.length[0], 64);
	ck_assert_uint_eq(stats().bad_responses, 5);
	ck_assert_uint_ge(netif->stats.rx_errors, 6);
	/* Nothing was lost: the ring is full again and every used grant ended. */
	ck_assert_uint_eq(rx_requests_available(), RING_ENTRIES);
	ck_assert_uint_eq(be.grants_active, grants);
}
END_TEST

START_TEST(test_rx_backend_keeps_page)
{
	netif_rx_request_t request = rx_request(be.rx_req_cons);
	unsigned int grants = be.grants_active;

	/* The backend answers but still maps the page: it must never be read nor reused. */
	be.grants[request.gref].held = true;
	rx_respond_raw((struct netif_rx_response){ .id = request.id, .status = 60 });
	rx_push();
	ck_assert_int_eq(poll(), 1);
	ck_assert_uint_eq(seen.count, 0);
	ck_assert_uint_eq(stats().grants_leaked, 1);
	ck_assert(be.grants[request.gref].active);
	ck_assert_uint_eq(be.grants_active, grants + 1);
	for (RING_IDX i = be.rx_req_cons; i != be.rx->req_prod; i++)
		ck_assert_ptr_ne(be.grants[rx_request(i).gref].page, be.grants[request.gref].page);
}
END_TEST

START_TEST(test_rx_impossible_index)
{
	/* rsp_prod beyond every request posted: nothing the backend writes is believed. */
	be.rx->rsp_prod = be.rx->req_prod + 1;
	ck_assert_int_eq(poll(), 0);
	ck_assert_uint_eq(seen.count, 0);
	ck_assert_uint_eq(stats().bad_responses, 1);
	/* Broken: transmit refuses, poll does nothing; Mote goes on. */
	ck_assert_int_eq(netif_transmit(netif, frame_of(60, 0)), -ENETDOWN);
	ck_assert_int_eq(poll(), 0);
	/* Closing still ends every grant the backend gave back. */
	netfront_destroy(nf);
	ck_assert_uint_eq(be.grants_active, 0);
}
END_TEST

START_TEST(test_broken_after_many)
{
	for (int i = 0; i < 20; i++) {
		netif_rx_request_t request = rx_request(be.rx_req_cons);

		rx_respond_raw((struct netif_rx_response){ .id = request.id, .offset = 4095,
							   .status = 2 });
	}
	rx_push();
	poll();
	ck_assert_uint_eq(stats().bad_responses, 16);
	ck_assert_int_eq(netif_transmit(netif, frame_of(60, 0)), -ENETDOWN);
}
END_TEST

/* ---- Transmit ----------------------------------------------------------------------------- */

static void release_counting(struct netbuf *netbuf)
{
	(*(unsigned int *)netbuf->owner)++;
	free(netbuf);
}

START_TEST(test_tx_frame)
{
	struct netbuf *frame = frame_of(100, 7);
	netif_tx_request_t request;
	uint8_t expected[100];

	pattern(expected, sizeof(expected), 7);
	frame->flags |= NETBUF_CSUM_PARTIAL;
	frame->csum_start = 34;
	frame->csum_offset = 16;
	be.tx->req_event = 1;                       /* the backend waits for the first request */
	ck_assert_int_eq(netif_transmit(netif, frame), 0);
	ck_assert_uint_eq(be.notifications, 2);     /* connect's kick, and this one */
	request = tx_request();
	ck_assert_uint_eq(request.size, 100);
	ck_assert_uint_eq(request.flags, NETTXF_csum_blank | NETTXF_data_validated);
	ck_assert_mem_eq(tx_data(&request), expected, 100);
	/* A backend still busy (req_event behind): no notification for the next ones. */
	be.tx->req_event = 1;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(netif_transmit(netif, frame_of(60, 8)), 0);
	ck_assert_uint_eq(be.notifications, 2);
	ck_assert_uint_eq(stats().tx_suppressed, 3);
	/* A lone completion raises no event (rsp_event is TX_EVENT_BATCH ahead)... */
	tx_respond(request.id, NETIF_RSP_OKAY);
	ck_assert_uint_eq(be.events, 0);
	/* ...and is reaped by the next poll: the grant ends. */
	poll();
	ck_assert(!be.grants[request.gref].active);
	ck_assert_uint_eq(stats().tx_in_flight, 3);
}
END_TEST

START_TEST(test_tx_chain)
{
	uint8_t *pages = page_alloc(2), expected[2000], got[2000];
	struct netbuf *head = frame_of(34, 9), *middle = frame_of(300, 10), *tail;
	netif_tx_request_t requests[4];
	unsigned int released = 0;
	size_t copied = 0;

	tail = malloc(sizeof(*tail));
	netbuf_init_external(tail, pages, 2 * PAGE_SIZE, PAGE_SIZE - 700, release_counting,
			     &released);
	pattern(netbuf_put(tail, 1666), 1666, 11);
	head->next = middle;
	middle->next = tail;
	netbuf_copy_out(head, 0, expected, sizeof(expected));
	ck_assert_int_eq(netif_transmit(netif, head), 0);
	/* Four slots: the tail crosses a page. First size = the whole frame. */
	ck_assert_uint_eq(tx_requests_available(), 4);
	for (int i = 0; i < 4; i++) {
		requests[i] = tx_request();
		ck_assert_uint_eq(!!(requests[i].flags & NETTXF_more_data), i < 3);
	}
	ck_assert_uint_eq(requests[0].size, 2000);
	ck_assert_uint_eq(requests[1].size, 300);
	ck_assert_uint_eq(requests[2].size, 700);
	ck_assert_uint_eq(requests[3].size, 966);
	ck_assert_uint_eq(requests[3].offset, 0);
	memcpy(got, tx_data(&requests[0]), 34);
	copied = 34;
	for (int i = 1; i < 4; i++) {
		memcpy(got + copied, tx_data(&requests[i]), requests[i].size);
		copied += requests[i].size;
	}
	ck_assert_mem_eq(got, expected, sizeof(expected));
	ck_assert_uint_eq(stats().tx_multislot, 1);
	/* Answered out of order; the frame is freed only after the last answer. */
	tx_respond(requests[3].id, NETIF_RSP_OKAY);
	tx_respond(requests[0].id, NETIF_RSP_OKAY);
	tx_respond(requests[2].id, NETIF_RSP_OKAY);
	poll();
	ck_assert_uint_eq(released, 0);
	tx_respond(requests[1].id, NETIF_RSP_OKAY);
	poll();
	ck_assert_uint_eq(released, 1);
	ck_assert_uint_eq(stats().tx_in_flight, 0);
	ck_assert_uint_eq(be.grants_active, RING_ENTRIES + 2);
	page_free(pages, 2);
}
END_TEST

START_TEST(test_tx_hostile)
{
	netif_tx_request_t request;
	unsigned int released = 0;
	struct netbuf *frame = malloc(sizeof(*frame));
	uint8_t *page = page_alloc(1);

	netbuf_init_external(frame, page, PAGE_SIZE, 64, release_counting, &released);
	memset(netbuf_put(frame, 60), 0, 60);
	ck_assert_int_eq(netif_transmit(netif, frame), 0);
	request = tx_request();
	/* Five more in flight, so that five bogus answers fit the ring's positions. */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(netif_transmit(netif, frame_of(60, i)), 0);
	tx_respond(200, NETIF_RSP_OKAY);                            /* never issued */
	tx_respond(999, NETIF_RSP_OKAY);                            /* outside the ring */
	tx_respond(request.id, NETIF_RSP_NULL);                     /* we sent no extra info */
	tx_respond(request.id, 5);                                  /* unknown status */
	poll();
	ck_assert_uint_eq(stats().bad_responses, 4);
	/* The unknown status still answered the request: freed, counted as an error. */
	ck_assert_uint_eq(released, 1);
	ck_assert_uint_eq(netif->stats.tx_errors, 1);
	/* An answer to an answered request. */
	tx_respond(request.id, NETIF_RSP_OKAY);
	poll();
	ck_assert_uint_eq(stats().bad_responses, 5);
	ck_assert_uint_eq(released, 1);
	/* rsp_prod beyond the requests: broken. */
	be.tx->rsp_prod += 100;
	poll();
	ck_assert_int_eq(netif_transmit(netif, frame_of(60, 0)), -ENETDOWN);
	page_free(page, 1);
}
END_TEST

START_TEST(test_tx_ring_full)
{
	netif_tx_request_t request;

	/* A full ring, then as many frames that wait for room, then refusals. */
	for (unsigned int i = 0; i < 2 * RING_ENTRIES; i++)
		ck_assert_int_eq(netif_transmit(netif, frame_of(60, i)), 0);
	ck_assert_uint_eq(tx_requests_available(), RING_ENTRIES);
	ck_assert_uint_eq(stats().tx_backlogged, RING_ENTRIES);
	ck_assert_int_eq(netif_transmit(netif, frame_of(60, 0)), -ENOBUFS);
	ck_assert_uint_eq(stats().tx_ring_full, 1);
	ck_assert_uint_eq(netif->stats.tx_dropped, 1);
	/* With frames waiting, the event comes after a quarter of the ring is answered... */
	for (unsigned int i = 0; i < RING_ENTRIES / 4; i++) {
		request = tx_request();
		tx_respond(request.id, NETIF_RSP_OKAY);
	}
	ck_assert_uint_eq(be.events, 1);
	/* ...and the poll it causes puts the first waiting frames on the ring, in order. */
	ck_assert(netif->poll_requested);
	poll();
	ck_assert_uint_eq(tx_requests_available(), RING_ENTRIES);
	request = be.tx->ring[(be.tx_req_cons + RING_ENTRIES * 3 / 4) & (RING_ENTRIES - 1)].req;
	ck_assert_uint_eq(tx_data(&request)[0], (uint8_t)RING_ENTRIES);
	/* Closing drops the rest, counted. */
	netif->ops->close(netif);
	ck_assert_uint_eq(netif->stats.tx_dropped, 1 + RING_ENTRIES - RING_ENTRIES / 4);
	ck_assert_uint_eq(be.grants_active, 0);
}
END_TEST

/* ---- Detach and attach -------------------------------------------------------------------- */

START_TEST(test_detach_attach)
{
	netif_rx_request_t kept = rx_request(be.rx_req_cons + 5);
	netif_tx_request_t request;

	ck_assert_int_eq(netif_transmit(netif, frame_of(60, 1)), 0);
	request = tx_request();
	(void)request;
	/* xl network-detach: the backend goes to Closing. It keeps one rx page mapped. */
	be.grants[kept.gref].held = true;
	backend_state_is(XenbusStateClosing);
	set_vifs(NULL, NULL);
	run_thread();
	ck_assert_uint_eq(be.frontend_state, XenbusStateClosed);
	ck_assert_int_eq(netif_transmit(netif, frame_of(60, 0)), -ENETDOWN);
	ck_assert_int_eq(poll(), 0);
	/* Every grant ended but the one the backend keeps; the unanswered frame was freed. */
	ck_assert_uint_eq(be.grants_active, 1);
	ck_assert_uint_eq(stats().grants_leaked, 1);
	ck_assert_uint_eq(stats().tx_in_flight, 0);
	/* xl network-attach: a new vif appears; the thread connects to it. */
	be.grants[kept.gref].held = false;
	set_vifs("1", NULL);
	be.new_vif_state = XenbusStateInitialising;
	be.mac = "00:16:3e:0a:0b:0c";
	run_thread();
	ck_assert_uint_eq(be.frontend_state, XenbusStateConnected);
	ck_assert_str_eq(be.device->nodename, "device/vif/1");
	ck_assert_uint_eq(netif->mac[5], 0x0c);
	ck_assert_uint_eq(stats().connects, 2);
	ck_assert_uint_eq(rx_requests_available(), RING_ENTRIES);  /* a new page for the lost one */
	ck_assert_int_eq(netif_transmit(netif, frame_of(60, 2)), 0);
	ck_assert_uint_eq(tx_requests_available(), 1);
	/* net_close: the thread ends the connection for good. */
	netif->ops->close(netif);
	ck_assert_uint_eq(be.frontend_state, XenbusStateClosed);
	ck_assert_uint_eq(be.grants_active, 1);     /* the page kept by the first backend */
}
END_TEST

Suite *netfront_suite(void)
{
	Suite *suite = suite_create("netfront");
	TCase *tc = tcase_create("netfront");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_handshake);
	tcase_add_test(tc, test_handshake_refusals);
	tcase_add_test(tc, test_rx_frames);
	tcase_add_test(tc, test_rx_frame_across_polls);
	tcase_add_test(tc, test_rx_jumbo_and_extras);
	tcase_add_test(tc, test_rx_hostile);
	tcase_add_test(tc, test_rx_backend_keeps_page);
	tcase_add_test(tc, test_rx_impossible_index);
	tcase_add_test(tc, test_broken_after_many);
	tcase_add_test(tc, test_tx_frame);
	tcase_add_test(tc, test_tx_chain);
	tcase_add_test(tc, test_tx_hostile);
	tcase_add_test(tc, test_tx_ring_full);
	tcase_add_test(tc, test_detach_attach);
	suite_add_tcase(suite, tc);
	return suite;
}
