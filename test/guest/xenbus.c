/*
 * Boot test guest for xenbus: find the vif the toolstack gave us, its backend path and
 * backend-id, wait for the backend's InitWait, then notice when dom0 detaches the device
 * (`xl network-detach`) and close our side so the detach can finish.
 */
#include "test/guest/testlib.h"
#include "xen/xenbus.h"
#include "xen/time.h"
#include "lib/errno.h"
#include "lib/string.h"

int app_main(int argc, char **argv)
{
	struct xenbus_device vif;
	char ids[64];
	int count, rc;

	(void)argc;
	(void)argv;
	count = xenbus_list_devices("vif", ids, sizeof(ids));
	TEST_CHECK(count == 1, "expected one vif, found %d", count);
	count = xenbus_list_devices("vbd", ids + 32, sizeof(ids) - 32);
	TEST_CHECK(count == 0, "expected no vbd, found %d", count);
	if (xenbus_list_devices("vif", ids, sizeof(ids)) != 1)
		test_finish(TEST_ERROR);
	printf("xenbus: device/vif/%s\n", ids);

	rc = xenbus_device_open(&vif, "vif", ids, 10 * NSEC_PER_SEC);
	if (rc < 0) {
		test_fail("xenbus_device_open: %s", strerror(rc));
		test_finish_checked();
	}
	printf("xenbus: backend %s, backend-id %u\n", vif.backend, vif.backend_id);
	rc = xenbus_wait_backend_state(&vif, XenbusStateInitWait, 10 * NSEC_PER_SEC);
	TEST_CHECK(rc == 0, "backend did not reach InitWait: %s", strerror(rc));
	printf("xenbus: backend is %s; waiting for dom0 to detach it\n",
	       xenbus_state_name(vif.backend_state));

	/* xl network-detach asks the backend to close; it goes to Closing and waits for us. */
	rc = xenbus_wait_backend_state(&vif, XenbusStateClosing, 30 * NSEC_PER_SEC);
	TEST_CHECK(rc == 0 || xenbus_backend_closing(&vif), "detach not noticed: %s", strerror(rc));
	printf("xenbus: backend went to %s; closing our side\n", xenbus_state_name(vif.backend_state));
	TEST_CHECK(xenbus_switch_state(&vif, XenbusStateClosing) == 0, "cannot switch to Closing");
	TEST_CHECK(xenbus_switch_state(&vif, XenbusStateClosed) == 0, "cannot switch to Closed");
	rc = xenbus_wait_backend_state(&vif, XenbusStateClosed, 10 * NSEC_PER_SEC);
	printf("xenbus: backend is %s after %lu state changes\n", xenbus_state_name(vif.backend_state),
	       (unsigned long)vif.state_changes);
	xenbus_device_close(&vif);
	test_finish_checked();
}
