/*
 * The toolstack's control channel: control/shutdown and control/sysrq in xenstore. This is how
 * `xl shutdown`, `xl reboot` and `xl sysrq` reach a PV guest (see xl(1); the keys are described
 * in Xen's docs/misc/xenstore-paths.pandoc).
 */
#ifndef XEN_CONTROL_H
#define XEN_CONTROL_H

#include <stdint.h>
#include <stdbool.h>
#include "xen/time.h"

enum control_request { CONTROL_NONE, CONTROL_POWEROFF, CONTROL_REBOOT };

/* How long the app has to return from app_main after a request before Mote ends it anyway. */
#define CONTROL_GRACE (5 * NSEC_PER_SEC)

/* Advertise what we support and watch control/shutdown and control/sysrq. */
int control_init(void);

/* Whether the control keys are watched yet (control_init sets them up in the background). */
bool control_ready(void);

/* The request the toolstack made, or CONTROL_NONE. */
enum control_request control_request(void);

/* Wait until a request arrives or system time reaches `deadline`; returns the request. */
enum control_request control_wait_request(uint64_t deadline);

const char *control_request_name(enum control_request request);

/* Print everything a debugging person wants: memory, threads, events, grants, xenstore. */
void control_dump_state(void);

#endif
