# Mote: one non-recursive Makefile for the kernel, the apps, the test guests and the host tests.
#
#   make                 build build/mote-$(APP) (default APP=hello) and its xl config
#   make APP=name        pick another app from app/
#   make PLATFORM=linux APP=name
#                        build build/linux/mote-$(APP): the same app, threads and network
#                        stack as a Linux process on a TAP device (platform/linux/)
#   make run             boot httpd in nested Xen, serving SITE (default site/) at
#                        http://127.0.0.1:$(PORT)/ (default 8080) until Ctrl-C; APP=name boots
#                        another app and streams its console
#   make test            unit tests, fuzz smoke, hosted network tests, then every boot test
#   make fuzz            run each fuzz target for longer (FUZZ_SECONDS, default 60)
#   make bench           benchmarks in nested Xen (test/bench/*.test); never pass/fail on speed
#   make deps            install the Debian packages that all of this needs
#
# Every object lands under build/. Xen's public headers come from Debian's libxen-dev
# (XEN_INCLUDE); build/include/xen is only a symlink to them, so that `#include <xen/...>`
# works without letting the rest of /usr/include (glibc) into a freestanding build.

# `make run` is the demo: its default app is the web server. Plain `make` builds hello.
ifneq ($(filter run,$(MAKECMDGOALS)),)
APP         ?= httpd
endif
APP         ?= hello
PLATFORM    ?= xen
BUILD       ?= build
XEN_INCLUDE ?= /usr/include/xen
MEMORY      ?= 32
# The folder that `make run` serves (as the tar archive build/site.tar), and the port of this
# machine where it appears.
SITE        ?= site
PORT        ?= 8080

# `make V=1` shows every command; by default each step prints one short line.
ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-7s %s\n'
endif

CC      := gcc
LD      := ld
OBJCOPY := objcopy
OBJDUMP := objdump
NM      := nm
STRIP   := strip

GCC_INCLUDE := $(shell $(CC) -print-file-name=include)

# The version of Xen's public interface that Mote is written against; the kernel and the host
# tests (which compile some of the Xen code too) must see the same structures.
XEN_INTERFACE := -D__XEN_INTERFACE_VERSION__=0x00040e00

# Kernel flags. -D_LIBC_LIMITS_H_ stops gcc's freestanding <limits.h> from looking for a libc
# one (it would #include_next a header that -nostdinc hides). -mgeneral-regs-only: Mote never
# saves FPU/SSE state, so the compiler must not use those registers behind our back.
# -fno-omit-frame-pointer: the crash report walks the chain of saved rbp values.
KERNEL_CFLAGS := -std=gnu11 -Os -g \
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-ffreestanding -nostdinc -isystem $(GCC_INCLUDE) -D_LIBC_LIMITS_H_ \
	-I. -I$(BUILD)/include \
	$(XEN_INTERFACE) \
	-m64 -mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
	-fno-pic -fno-pie -fno-stack-protector -fno-common \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables \
	-ffunction-sections -fdata-sections
KERNEL_ASFLAGS := $(filter-out -Wstrict-prototypes -Wmissing-prototypes,$(KERNEL_CFLAGS)) -D__ASSEMBLY__
# -n: no page alignment of sections in the file (Xen's loader copies segments, it does not map
# them), which keeps the image small.
KERNEL_LDFLAGS := -nostdlib -static -n -z max-page-size=4096 -z noseparate-code -z noexecstack --gc-sections \
	-T arch/x86_64/kernel.ld

# Host flags, for unit tests and hosted tools. Same warnings, normal libc. Xen's public headers
# come from the same symlink as in the kernel (net/ reaches printf through xen/console.h).
HOST_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -I$(BUILD)/include -DMOTE_HOST=1 \
	$(XEN_INTERFACE)
CHECK_LIBS  := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -pthread)

# ---------------------------------------------------------------------------------------------
# Kernel sources. Each module is one .c (and one .h). Generic code never includes x86 detail;
# it calls the arch_*() hooks declared in kernel/arch.h.

ARCH_SRCS := $(wildcard arch/x86_64/*.c) $(wildcard arch/x86_64/*.S)
XEN_SRCS  := $(wildcard xen/*.c)
LIB_SRCS  := $(wildcard lib/*.c)
CORE_SRCS := $(wildcard kernel/*.c)
# Block devices and the tar file system (docs/blkfront.md). Linked into every image, but
# --gc-sections drops every function nothing calls, so an app that opens no disk carries
# none of it (hello's size does not change).
BLK_SRCS  := $(wildcard blk/*.c)
KERNEL_SRCS := $(ARCH_SRCS) $(XEN_SRCS) $(LIB_SRCS) $(CORE_SRCS) $(BLK_SRCS)
# The TCP/IP stack (docs/tcpip.md). Linked into every app image; --gc-sections drops it from
# apps that do not use it, so hello stays as small as it was.
NET_SRCS  := $(wildcard net/*.c)

obj = $(patsubst %,$(BUILD)/obj/%.o,$(basename $(1)))
KERNEL_OBJS := $(call obj,$(KERNEL_SRCS))

# An image is the kernel objects plus one app (app/<name>/*.c) or one test guest
# (test/guest/<name>.c). The list of what to build is derived from the tree.
APPS        := $(notdir $(patsubst %/main.c,%,$(wildcard app/*/main.c)))
TEST_GUESTS := $(filter-out testlib,$(basename $(notdir $(wildcard test/guest/*.c))))
APP_OBJS     = $(call obj,$(wildcard app/$(1)/*.c) $(NET_SRCS))

IMAGE := $(BUILD)/mote-$(APP)

.PHONY: all deps run run-test test unit boot-test images test-images clean hosted hosted-test \
	fuzz fuzz-smoke bench FORCE
.DEFAULT_GOAL := all

ifeq ($(PLATFORM),linux)
all: $(BUILD)/linux/mote-$(APP)
else ifeq ($(PLATFORM),xen)
# build/kernel.sym and build/kernel.asm always describe the image `make` built last.
all: $(IMAGE) $(IMAGE).cfg
	@ln -sf $(notdir $(IMAGE)).sym $(BUILD)/kernel.sym
	@ln -sf $(notdir $(IMAGE)).asm $(BUILD)/kernel.asm
	@printf '  SIZE    %s: %s bytes stripped\n' $(IMAGE) $$(stat -c %s $(IMAGE))
# httpd's xl config names build/site.tar as its disk.
ifeq ($(APP),httpd)
all: $(BUILD)/site.tar
endif
else
$(error PLATFORM must be xen or linux)
endif

deps:
	scripts/deps.sh

$(BUILD)/include/xen:
	@mkdir -p $(dir $@)
	@test -f $(XEN_INCLUDE)/xen.h || { echo "Xen headers not found in $(XEN_INCLUDE): run 'make deps' (libxen-dev)"; exit 1; }
	ln -sfn $(XEN_INCLUDE) $@

$(BUILD)/obj/%.o: %.c Makefile | $(BUILD)/include/xen
	@mkdir -p $(dir $@)
	$(quiet) CC $<
	$(Q)$(CC) $(KERNEL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.S Makefile | $(BUILD)/include/xen
	@mkdir -p $(dir $@)
	$(quiet) AS $<
	$(Q)$(CC) $(KERNEL_ASFLAGS) -MMD -MP -c $< -o $@

# Linking is done twice so that the image carries its own symbol table for crash reports.
# Pass 1 links with an empty table; scripts/gensyms.sh turns pass 1's text symbols into a table;
# pass 2 links it in. The table sits after .text and .rodata, so no function moves between the
# passes; the cmp below proves it.
#   $(1) = image name (mote-hello), $(2) = app/test objects
define IMAGE_RULES
$(BUILD)/$(1).pass1: $(KERNEL_OBJS) $(2) $(BUILD)/obj/syms-empty.o arch/x86_64/kernel.ld
	$(quiet) LD $$@
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $$@ $(KERNEL_OBJS) $(2) $(BUILD)/obj/syms-empty.o

$(BUILD)/$(1).syms.S: $(BUILD)/$(1).pass1 scripts/gensyms.sh
	$(quiet) SYMS $$@
	$(Q)scripts/gensyms.sh $(NM) $$< > $$@

$(BUILD)/$(1).syms.o: $(BUILD)/$(1).syms.S
	$(Q)$(CC) $(KERNEL_ASFLAGS) -c $$< -o $$@

$(BUILD)/$(1).elf: $(BUILD)/$(1).pass1 $(BUILD)/$(1).syms.o
	$(quiet) LD $$@
	$(Q)$(LD) $(KERNEL_LDFLAGS) -o $$@ $(KERNEL_OBJS) $(2) $(BUILD)/$(1).syms.o
	@$(NM) -n $(BUILD)/$(1).pass1 | grep -i ' t ' > $$@.text1
	@$(NM) -n $$@ | grep -i ' t ' > $$@.text2
	@cmp -s $$@.text1 $$@.text2 || { echo "symbol table pass moved text"; exit 1; }
	@rm -f $$@.text1 $$@.text2

$(BUILD)/$(1): $(BUILD)/$(1).elf
	$(quiet) STRIP $$@
	$(Q)$(STRIP) -o $$@ $$<
	$(Q)$(NM) -n $$< > $(BUILD)/$(1).sym
	$(Q)$(OBJDUMP) -d -S --no-show-raw-insn $$< > $(BUILD)/$(1).asm
endef

$(foreach a,$(APPS),$(eval $(call IMAGE_RULES,mote-$(a),$(call APP_OBJS,$(a)))))
# Test guests may use the network code too (netfront_sg drives netfront without the stack);
# --gc-sections keeps only what a guest calls.
$(foreach t,$(TEST_GUESTS),$(eval $(call IMAGE_RULES,test-$(t),$(call obj,test/guest/$(t).c) $(call obj,test/guest/testlib.c) $(call obj,$(NET_SRCS)))))

$(BUILD)/obj/syms-empty.o: scripts/gensyms.sh | $(BUILD)/include/xen
	@mkdir -p $(dir $@)
	$(Q)scripts/gensyms.sh --empty > $(BUILD)/obj/syms-empty.S
	$(Q)$(CC) $(KERNEL_ASFLAGS) -c $(BUILD)/obj/syms-empty.S -o $@

# The xl config for a real Xen host: `xl create build/mote-hello.cfg`. httpd's also names
# build/site.tar as its disk and gives it a vif on bridge xenbr0.
$(BUILD)/mote-%.cfg: scripts/mkcfg.sh
	$(quiet) CFG $@
	$(Q)scripts/mkcfg.sh $(abspath $(BUILD)/mote-$*) $* $(MEMORY) > $@

# The site disk: a tar archive of the folder SITE (tarfs reads tar's default GNU format, whose
# long-name records let paths exceed ustar's 255 bytes). build/site.src lists what SITE holds
# (its path, then every name with its type, size and mtime) and is rewritten only when that
# list changes, so the archive is rebuilt exactly when the folder's content changes, or SITE
# names another folder; a plain prerequisite list could not see deletions or names with blanks.
$(BUILD)/site.src: FORCE
	@test -d '$(SITE)' || { echo "SITE=$(SITE): no such folder. make run serves a folder of files: make run SITE=path/to/folder"; exit 1; }
	@mkdir -p $(dir $@)
	@{ cd '$(SITE)' && pwd && find . -printf '%p %y %s %T@\n' | LC_ALL=C sort; } > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/site.tar: $(BUILD)/site.src
	$(quiet) TAR '$@ (from $(SITE))'
	$(Q)tar -cf $@.tmp -C '$(SITE)' --sort=name --owner=0 --group=0 --numeric-owner . && mv $@.tmp $@

FORCE:

# Programs that boot tests run in dom0 (test/dom0/*.c; a test ships them with files=dom0/NAME).
# Static, so that they need nothing from dom0's libraries.
DOM0_TOOLS := $(patsubst test/dom0/%.c,$(BUILD)/dom0/%,$(wildcard test/dom0/*.c))

$(BUILD)/dom0/%: test/dom0/%.c
	@mkdir -p $(dir $@)
	$(quiet) HOSTCC $@
	$(Q)$(CC) -std=gnu11 -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -I. -static -MMD -MP -o $@ $<

# build/site.tar: the disk that build/mote-httpd.cfg names (test/boot/httpd-cfg.test boots it).
images: $(foreach a,$(APPS),$(BUILD)/mote-$(a) $(BUILD)/mote-$(a).cfg) $(BUILD)/site.tar
test-images: $(foreach t,$(TEST_GUESTS),$(BUILD)/test-$(t)) $(DOM0_TOOLS)

# ---------------------------------------------------------------------------------------------
# Host unit tests (Check). Library code is compiled for the host with its public names renamed
# (test/unit/host.h), so that it never interposes on glibc's own memcpy or snprintf.

UNIT_SRCS  := $(wildcard test/unit/*.c)
UNIT_UNDER_TEST := $(wildcard lib/*.c) kernel/cmdline.c xen/gnttab.c xen/xenstore_wire.c xen/xenstore.c \
	xen/netfront.c app/httpd/http.c $(NET_SRCS) blk/blkreq.c blk/ustar.c blk/blkfront.c
UNIT_OBJS  := $(patsubst %,$(BUILD)/host/%.o,$(basename $(UNIT_SRCS) $(UNIT_UNDER_TEST)))

$(BUILD)/host/%.o: %.c | $(BUILD)/include/xen
	@mkdir -p $(dir $@)
	$(quiet) HOSTCC $<
	$(Q)$(CC) $(HOST_CFLAGS) -include test/unit/host.h -MMD -MP -c $< -o $@

# netfront runs against a fake netback: every kernel and Xen function it calls is renamed to
# the fake in test_netfront.c (see test/unit/netfront_fakes.h).
$(BUILD)/host/xen/netfront.o: HOST_CFLAGS += -include test/unit/netfront_fakes.h

$(BUILD)/unit-tests: $(UNIT_OBJS)
	$(quiet) HOSTLD $@
	$(Q)$(CC) -o $@ $^ $(CHECK_LIBS)

# test_ustar mounts archives that the host's GNU tar makes, in its three formats.
TAR_FIXTURES := $(addprefix $(BUILD)/fixtures/,ustar.tar gnu.tar pax.tar)
$(TAR_FIXTURES) &: test/unit/make-tar-fixtures.sh
	$(quiet) TAR $(BUILD)/fixtures
	$(Q)test/unit/make-tar-fixtures.sh $(BUILD)/fixtures
$(BUILD)/host/test/unit/test_ustar.o: HOST_CFLAGS += -DUSTAR_FIXTURES='"$(abspath $(BUILD))/fixtures"'
# blkfront runs against a fake backend: every kernel and Xen function it calls is renamed to
# the fake in test_blkfront.c (see test/unit/blkfront_fakes.h).
$(BUILD)/host/blk/blkfront.o: HOST_CFLAGS += -include test/unit/blkfront_fakes.h

unit: $(BUILD)/unit-tests $(TAR_FIXTURES)
	$(BUILD)/unit-tests

# ---------------------------------------------------------------------------------------------
# The hosted target: build/linux/mote-<app>, a Linux process (platform/linux/hosted.h). It is
# built from the same sources as an image, minus everything Xen: the scheduler with its
# x86_64 stack switch, lib/, net/, the app, and platform/linux/ in place of the boot path,
# console, clock and netfront. glibc is linked (for poll, TAP ioctls and stdout), so lib/'s
# C-library names are renamed as in the unit tests (test/unit/host.h) and Mote's own heap
# and page allocator still manage the memory, from one mmap'd region.

HOSTED_CFLAGS := $(filter-out -O1,$(HOST_CFLAGS)) -O2 -D_GNU_SOURCE -include test/unit/host.h
HOSTED_SRCS := $(wildcard platform/linux/*.c) $(LIB_SRCS) $(NET_SRCS) kernel/sched.c \
	arch/x86_64/thread.c arch/x86_64/switch.S blk/tarfs.c blk/ustar.c
hosted_obj = $(patsubst %,$(BUILD)/linux/obj/%.o,$(basename $(1)))
HOSTED_OBJS := $(call hosted_obj,$(HOSTED_SRCS))

$(BUILD)/linux/obj/%.o: %.c | $(BUILD)/include/xen
	@mkdir -p $(dir $@)
	$(quiet) HOSTCC $<
	$(Q)$(CC) $(HOSTED_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/linux/obj/%.o: %.S
	@mkdir -p $(dir $@)
	$(quiet) HOSTAS $<
	$(Q)$(CC) -c $< -o $@

.SECONDEXPANSION:
$(BUILD)/linux/mote-%: $(HOSTED_OBJS) $$(call hosted_obj,$$(wildcard app/$$*/*.c))
	$(quiet) HOSTLD $@
	$(Q)$(CC) -o $@ $^

# Objects named only through the pattern rule above must not be deleted as intermediates.
.SECONDARY: $(HOSTED_OBJS)

hosted: $(BUILD)/linux/mote-echo $(BUILD)/linux/mote-httpd

# Against Linux's own ping, nc and curl, inside network namespaces that the tests create and
# remove (needs root: ip netns, TAP): the stack (ping, UDP echo, a 10 MiB TCP echo, DHCP) with
# the echo app, then every feature of httpd on a tar archive of the sample site.
hosted-test: $(BUILD)/linux/mote-echo $(BUILD)/linux/mote-httpd
	test/hosted/run.sh $(BUILD)/linux/mote-echo
	test/hosted/httpd.sh $(BUILD)/linux/mote-httpd

# ---------------------------------------------------------------------------------------------
# Fuzz targets (libFuzzer), test/fuzz/<target>.c, built with clang and the address and
# undefined-behaviour sanitizers: the network input path and the DHCP parser (with lib/ and the
# stack, renamed as in the unit tests, on the fake kernel), and the tar parser (alone, against
# glibc, so that ASan sees every allocation; -Wno-incompatible-library-redeclaration: lib/errno.h's
# strerror returns const char *, glibc's char *, and the fuzzed code does not call it).
# fuzz-smoke runs each target for FUZZ_SMOKE_SECONDS in `make test`; `make fuzz` for
# FUZZ_SECONDS. Crashes are written to build/fuzz/<target>-crash-*; the corpus grows in
# build/fuzz/corpus-<target>, starting from build/fuzz/seeds-<target>.

FUZZ_CC      := clang
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. $(XEN_INTERFACE) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_TARGETS := $(basename $(notdir $(wildcard test/fuzz/*.c)))
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5

FUZZ_NET_TARGETS := $(BUILD)/fuzz/net_input $(BUILD)/fuzz/dhcp_parse
FUZZ_NET_SUPPORT := $(LIB_SRCS) $(NET_SRCS) test/unit/stubs.c test/unit/kernel_fakes.c
$(FUZZ_NET_TARGETS): $(BUILD)/fuzz/%: test/fuzz/%.c $(FUZZ_NET_SUPPORT) \
		$(wildcard net/*.h lib/*.h test/unit/*.h) | $(BUILD)/include/xen
	@mkdir -p $(BUILD)/fuzz/seeds-$*
	$(quiet) FUZZCC $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(BUILD)/include -DMOTE_HOST=1 -include test/unit/host.h \
		-o $@ $< $(FUZZ_NET_SUPPORT)
	$(Q)cp test/fuzz/seeds/$*/* $(BUILD)/fuzz/seeds-$*/

# http_parse: httpd's request parser, with lib/ renamed as in the unit tests.
$(BUILD)/fuzz/http_parse: test/fuzz/http_parse.c app/httpd/http.c app/httpd/http.h $(LIB_SRCS) \
		$(wildcard lib/*.h test/unit/*.h) | $(BUILD)/include/xen
	@mkdir -p $(BUILD)/fuzz/seeds-http_parse
	$(quiet) FUZZCC $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(BUILD)/include -DMOTE_HOST=1 -include test/unit/host.h \
		-o $@ $< app/httpd/http.c $(LIB_SRCS) test/unit/stubs.c
	$(Q)cp test/fuzz/seeds/http_parse/* $(BUILD)/fuzz/seeds-http_parse/

# ustar: the tar parser, seeded with the unit tests' archives.
$(BUILD)/fuzz/ustar: test/fuzz/ustar.c blk/ustar.c blk/ustar.h $(TAR_FIXTURES)
	@mkdir -p $(BUILD)/fuzz/seeds-ustar
	$(quiet) FUZZCC $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Wno-incompatible-library-redeclaration -o $@ \
		test/fuzz/ustar.c blk/ustar.c
	$(Q)cp $(TAR_FIXTURES) $(BUILD)/fuzz/seeds-ustar/

# run_fuzz TARGET SECONDS: fuzz, keeping what it finds; on a crash, show the report.
run_fuzz = mkdir -p $(BUILD)/fuzz/corpus-$(1) && \
	$(BUILD)/fuzz/$(1) -max_total_time=$(2) -max_len=4096 -close_fd_mask=1 -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/$(1)- $(BUILD)/fuzz/corpus-$(1) $(BUILD)/fuzz/seeds-$(1) \
		>$(BUILD)/fuzz/$(1).log 2>&1 || { tail -40 $(BUILD)/fuzz/$(1).log; exit 1; }; \
	printf '  FUZZ    %s: %s runs in %ss, no crash\n' $(1) \
		"$$(sed -n 's/^stat::number_of_executed_units: *//p' $(BUILD)/fuzz/$(1).log)" $(2)

fuzz-smoke: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
	@$(foreach t,$(FUZZ_TARGETS),$(call run_fuzz,$(t),$(FUZZ_SMOKE_SECONDS));)

fuzz: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
	@$(foreach t,$(FUZZ_TARGETS),$(call run_fuzz,$(t),$(FUZZ_SECONDS));)

# ---------------------------------------------------------------------------------------------
# Boot tests: every test/boot/*.test in one nested-Xen boot (scripts/boot-test.sh).

boot-test: images test-images
	scripts/boot-test.sh

# `make run` itself, end to end (test/run/make-run.sh): one nested boot of httpd serving
# site/ on port 18080 of this machine, two pages fetched there with curl, then Ctrl-C.
run-test:
	MAKE='$(MAKE)' test/run/make-run.sh

test: unit fuzz-smoke hosted-test boot-test run-test

# Benchmarks: test/bench/*.test in one nested boot, in their own output directory. They report
# numbers (the guest's console and dom0's lines starting with "bench:") and never fail on speed.
# dom0 gets twice the usual memory: its RAM file system holds the 64 MiB disk image of
# blk-read and the Linux guest's files for net-tcp and httpd, all in one boot.
bench: images test-images
	MOTE_OUT=$(BUILD)/bench MOTE_XEN_ARGS="dom0_mem=768M,max:768M $(MOTE_XEN_ARGS)" \
		scripts/boot-test.sh $(wildcard test/bench/*.test)
	@grep -h '^bench:' $(BUILD)/bench/*.console
	@awk '/^@@MOTE-BEGIN console/ { c = 1 } /^@@MOTE-END console/ { c = 0 } !c && /^bench:/' \
		$(BUILD)/bench/serial.log

# httpd gets the site as its disk and a network: QEMU forwards 127.0.0.1:$(PORT) to it
# (scripts/run.sh --http). Other apps boot with neither.
RUN_ARGS :=
ifeq ($(APP),httpd)
RUN_ARGS := --disk $(BUILD)/site.tar --http $(PORT)
run: $(BUILD)/site.tar
endif
run: deps $(IMAGE) $(IMAGE).cfg
	MOTE_SITE_NAME='$(SITE)' scripts/run.sh $(RUN_ARGS) $(IMAGE) $(CMDLINE)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
