/*
 * test/unit/netfront_fakes.h: forced into the host build of xen/netfront.c (gcc -include,
 * after host.h; see the Makefile) and included by test_netfront.c. Every kernel, xenbus,
 * xenstore, grant-table and event-channel function that netfront calls is renamed here to a
 * fake that test_netfront.c defines, where a fake netback plays the other side: it reads
 * the keys netfront writes, maps (looks up) its grants, consumes its requests and writes
 * responses -- good ones, and every kind of bad one.
 *
 * The renaming covers declarations and calls alike, as the real headers are included after
 * this one, so prototypes and definitions agree. The network code (net/) stays real.
 */
#ifndef MOTE_TEST_UNIT_NETFRONT_FAKES_H
#define MOTE_TEST_UNIT_NETFRONT_FAKES_H

#define xenbus_list_devices        netfront_fake_xenbus_list_devices
#define xenbus_device_open         netfront_fake_xenbus_device_open
#define xenbus_device_close        netfront_fake_xenbus_device_close
#define xenbus_switch_state        netfront_fake_xenbus_switch_state
#define xenbus_wait_backend_state  netfront_fake_xenbus_wait_backend_state
#define xenbus_backend_closing     netfront_fake_xenbus_backend_closing
#define xenbus_read                netfront_fake_xenbus_read
#define xenbus_read_backend        netfront_fake_xenbus_read_backend
#define xenbus_read_backend_u64    netfront_fake_xenbus_read_backend_u64
#define xenbus_printf              netfront_fake_xenbus_printf
#define xenbus_state_name          netfront_fake_xenbus_state_name
#define xs_transaction_run         netfront_fake_xs_transaction_run
#define xs_read_u64                netfront_fake_xs_read_u64
#define xs_watch_add               netfront_fake_xs_watch_add
#define gnttab_grant_page          netfront_fake_gnttab_grant_page
#define gnttab_end_access          netfront_fake_gnttab_end_access
#define gnttab_stats               netfront_fake_gnttab_stats
#define evtchn_alloc_unbound       netfront_fake_evtchn_alloc_unbound
#define evtchn_unbind              netfront_fake_evtchn_unbind
#define evtchn_notify              netfront_fake_evtchn_notify
#define sched_wait                 netfront_fake_sched_wait
#define thread_create              netfront_fake_thread_create
/* kernel_fakes.c has the stack's own (empty) netif_platform_open. */
#define netif_platform_open        netfront_platform_open

#endif
