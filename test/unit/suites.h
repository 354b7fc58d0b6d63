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
Suite *sha256_suite(void);
Suite *blkreq_suite(void);
Suite *ustar_suite(void);
Suite *blkfront_suite(void);

#endif
