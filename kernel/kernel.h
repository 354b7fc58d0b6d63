/*
 * The kernel's entry, exit and the contract with the linked application.
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <stdint.h>
#include <stdnoreturn.h>
#include <xen/xen.h>

#define MOTE_VERSION "0.1"

/* Called once by the architecture's entry code, on the boot stack, with events masked. */
noreturn void kernel_main(const start_info_t *start_info, uint64_t entry_tsc);

/* The application: every image links exactly one app_main. Its return value is printed. */
int app_main(int argc, char **argv);

/* Nanoseconds from Mote's first instruction until app_main was called (pvclock). */
uint64_t kernel_boot_duration(void);

/* Nanoseconds since Mote's first instruction (pvclock): an app says when it became ready. */
uint64_t kernel_uptime(void);

/* The start_info Xen gave us (a copy). */
const start_info_t *kernel_start_info(void);

/* Flush the console, then ask Xen to end the domain (public/sched.h, SHUTDOWN_*). */
noreturn void kernel_poweroff(void);
noreturn void kernel_reboot(void);
noreturn void kernel_crash(void);

#endif
