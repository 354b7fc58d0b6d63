/*
 * test/unit/suites.h: the Check suites that main.c runs. Adding a suite takes one line here
 * and one in main.c's list.
 */
#ifndef MOTE_TEST_UNIT_SUITES_H
#define MOTE_TEST_UNIT_SUITES_H

#include <check.h>

Suite *errno_suite(void);
Suite *string_suite(void);
Suite *printf_suite(void);
Suite *list_suite(void);
Suite *page_alloc_suite(void);
Suite *heap_suite(void);
Suite *id_pool_suite(void);
Suite *gnttab_suite(void);
Suite *xenstore_suite(void);
Suite *cmdline_suite(void);
Suite *http_suite(void);
Suite *checksum_suite(void);
Suite *arp_suite(void);
Suite *ipv4_suite(void);
Suite *tcp_suite(void);
Suite *dhcp_suite(void);
Suite *netfront_suite(void);

/*
 * test_cmdline.c comes with kernel/cmdline.c. Weak, so that the tests link and run while it
 * does not exist yet: the missing function's address is then NULL and main.c skips it.
 */
Suite *cmdline_suite(void) __attribute__((weak));
Suite *sha256_suite(void);
Suite *blkreq_suite(void);
Suite *ustar_suite(void);
Suite *blkfront_suite(void);

#endif
