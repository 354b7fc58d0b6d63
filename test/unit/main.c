/*
 * test/unit/main.c: runs every host unit-test suite; exits non-zero if any test failed.
 * CK_FORK (Check's default) runs each test in its own process, so a crash or an unexpected
 * panic fails that one test and the run goes on. Set CK_FORK=no to debug under gdb.
 */
#include <stdlib.h>
#include "test/unit/suites.h"

static Suite *(*const all_suites[])(void) = {
	errno_suite,
	string_suite,
	printf_suite,
	list_suite,
	page_alloc_suite,
	heap_suite,
	id_pool_suite,
	checksum_suite,
	arp_suite,
	ipv4_suite,
	tcp_suite,
	dhcp_suite,
	netfront_suite,
	cmdline_suite,
	gnttab_suite,
	xenstore_suite,
	http_suite,
	sha256_suite,
	blkreq_suite,
	ustar_suite,
	blkfront_suite,
};

int main(void)
{
	SRunner *runner = srunner_create(NULL);
	int failed;

	for (size_t i = 0; i < sizeof(all_suites) / sizeof(all_suites[0]); i++) {
		if (all_suites[i] != NULL)
			srunner_add_suite(runner, all_suites[i]());
	}
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
