/*
 * test/unit/blkfront_fakes.h: for the host test of blk/blkfront.c (test/unit/test_blkfront.c).
 * The driver is compiled with this header forced in (gcc -include), which gives every kernel
 * and Xen function it calls another name; test_blkfront.c defines those: a fake xenbus, grant
 * table, event channel, clock and scheduler, and a fake blkback on the other end of the ring.
 * The renaming keeps them apart from the real xenstore and grant-table code (and their own
 * fakes) that the same test binary links.
 */
#ifndef MOTE_TEST_UNIT_BLKFRONT_FAKES_H
#define MOTE_TEST_UNIT_BLKFRONT_FAKES_H

#define xenbus_list_devices fake_xenbus_list_devices
#define xenbus_device_open fake_xenbus_device_open
#define xenbus_device_close fake_xenbus_device_close
#define xenbus_switch_state fake_xenbus_switch_state
#define xenbus_wait_backend_state fake_xenbus_wait_backend_state
#define xenbus_backend_closing fake_xenbus_backend_closing
#define xenbus_read_backend_u64 fake_xenbus_read_backend_u64
#define xenbus_printf fake_xenbus_printf
#define xenbus_state_name fake_xenbus_state_name
#define xs_transaction_run fake_xs_transaction_run
#define gnttab_grant_page fake_gnttab_grant_page
#define gnttab_end_access fake_gnttab_end_access
#define evtchn_alloc_unbound fake_evtchn_alloc_unbound
#define evtchn_unbind fake_evtchn_unbind
#define evtchn_notify fake_evtchn_notify
#define sched_wait fake_sched_wait
#define thread_create fake_thread_create
#define thread_current fake_thread_current
#define time_now fake_time_now

#endif
