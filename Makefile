# Mote: one non-recursive Makefile for the kernel, the apps, the test guests and the host tests.
#
#   make                 build build/mote-$(APP) (default APP=hello) and its xl config
#   make APP=name        pick another app from app/
#   make PLATFORM=linux APP=name
#                        build build/linux/mote-$(APP): the same app, threads and network
#                        stack as a Linux process on a TAP device (platform/linux/)
#   make run             boot the app in nested Xen and stream its console
#   make test            unit tests, fuzz smoke, hosted network tests, then every boot test
#   make fuzz            run each fuzz target for longer (FUZZ_SECONDS, default 60)
#   make bench           benchmarks in nested Xen (test/bench/*.test); never pass/fail on speed
#   make deps            install the Debian packages that all of this needs
#
# Every object lands under build/. Xen's public headers come from Debian's libxen-dev
# (XEN_INCLUDE); build/include/xen is only a symlink to them, so that `#include <xen/...>`
# works without letting the rest of /usr/include (glibc) into a freestanding build.

APP         ?= hello
PLATFORM    ?= xen
BUILD       ?= build
XEN_INCLUDE ?= /usr/include/xen
MEMORY      ?= 32

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
KERNEL_SRCS := $(ARCH_SRCS) $(XEN_SRCS) $(LIB_SRCS) $(CORE_SRCS)
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

.PHONY: all deps run test unit boot-test images test-images clean hosted hosted-test \
	fuzz fuzz-smoke bench
.DEFAULT_GOAL := all

ifeq ($(PLATFORM),linux)
all: $(BUILD)/linux/mote-$(APP)
else ifeq ($(PLATFORM),xen)
# build/kernel.sym and build/kernel.asm always describe the image `make` built last.
all: $(IMAGE) $(IMAGE).cfg
	@ln -sf $(notdir $(IMAGE)).sym $(BUILD)/kernel.sym
	@ln -sf $(notdir $(IMAGE)).asm $(BUILD)/kernel.asm
	@printf '  SIZE    %s: %s bytes stripped\n' $(IMAGE) $$(stat -c %s $(IMAGE))
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

# The xl config for a real Xen host: `xl create build/mote-hello.cfg`.
$(BUILD)/mote-%.cfg: scripts/mkcfg.sh
	$(quiet) CFG $@
	$(Q)scripts/mkcfg.sh $(abspath $(BUILD)/mote-$*) $* $(MEMORY) > $@

# Programs that boot tests run in dom0 (test/dom0/*.c; a test ships them with files=dom0/NAME).
# Static, so that they need nothing from dom0's libraries.
DOM0_TOOLS := $(patsubst test/dom0/%.c,$(BUILD)/dom0/%,$(wildcard test/dom0/*.c))

$(BUILD)/dom0/%: test/dom0/%.c
	@mkdir -p $(dir $@)
	$(quiet) HOSTCC $@
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -I. -static -MMD -MP -o $@ $<

images: $(foreach a,$(APPS),$(BUILD)/mote-$(a) $(BUILD)/mote-$(a).cfg)
test-images: $(foreach t,$(TEST_GUESTS),$(BUILD)/test-$(t)) $(DOM0_TOOLS)

# ---------------------------------------------------------------------------------------------
# Host unit tests (Check). Library code is compiled for the host with its public names renamed
# (test/unit/host.h), so that it never interposes on glibc's own memcpy or snprintf.

UNIT_SRCS  := $(wildcard test/unit/*.c)
UNIT_UNDER_TEST := $(wildcard lib/*.c) kernel/cmdline.c xen/gnttab.c xen/xenstore_wire.c xen/xenstore.c \
	xen/netfront.c app/httpd/http.c $(NET_SRCS)
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

unit: $(BUILD)/unit-tests
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
	arch/x86_64/thread.c arch/x86_64/switch.S
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

hosted: $(BUILD)/linux/mote-echo

# Ping, UDP echo and a 10 MiB TCP echo against Linux, inside a network namespace that the
# test creates and removes (needs root: ip netns, TAP).
hosted-test: $(BUILD)/linux/mote-echo
	test/hosted/run.sh $(BUILD)/linux/mote-echo

# ---------------------------------------------------------------------------------------------
# Fuzz targets (libFuzzer): the network input path and the DHCP parser, built with clang and
# the address and undefined-behaviour sanitizers. fuzz-smoke runs each for a few seconds in
# `make test`; `make fuzz` for FUZZ_SECONDS each. Crashes are written to build/fuzz/.

FUZZ_CC      := clang
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -Wall -Wextra -Werror -I. -I$(BUILD)/include -DMOTE_HOST=1 \
	$(XEN_INTERFACE) -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -include test/unit/host.h
FUZZ_TARGETS := $(basename $(notdir $(wildcard test/fuzz/*.c)))
FUZZ_SUPPORT := $(LIB_SRCS) $(NET_SRCS) test/unit/stubs.c test/unit/kernel_fakes.c
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5

$(BUILD)/fuzz/%: test/fuzz/%.c $(FUZZ_SUPPORT) $(wildcard net/*.h lib/*.h test/unit/*.h) \
		| $(BUILD)/include/xen
	@mkdir -p $(dir $@)
	$(quiet) FUZZCC $@
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SUPPORT)

fuzz-smoke: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus-$$t; \
		printf '  FUZZ    %s (%ss)\n' $$t $(FUZZ_SMOKE_SECONDS); \
		$(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SMOKE_SECONDS) -max_len=2048 \
			-artifact_prefix=$(BUILD)/fuzz/$$t- $(BUILD)/fuzz/corpus-$$t \
			test/fuzz/seeds/$$t > $(BUILD)/fuzz/$$t.log 2>&1 \
			|| { tail -40 $(BUILD)/fuzz/$$t.log; exit 1; }; \
		grep -E '^(Done|#[0-9]+ +DONE)' $(BUILD)/fuzz/$$t.log | tail -1; \
	done

fuzz: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus-$$t; \
		$(BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=2048 \
			-artifact_prefix=$(BUILD)/fuzz/$$t- $(BUILD)/fuzz/corpus-$$t \
			test/fuzz/seeds/$$t || exit 1; \
	done

# ---------------------------------------------------------------------------------------------
# Boot tests: every test/boot/*.test in one nested-Xen boot (scripts/boot-test.sh).

boot-test: images test-images
	scripts/boot-test.sh

test: unit fuzz-smoke hosted-test boot-test

# Benchmarks: test/bench/*.test in one nested boot, in their own output directory. They report
# numbers (the guest's console and dom0's lines starting with "bench:") and never fail on speed.
bench: images test-images
	MOTE_OUT=$(BUILD)/bench scripts/boot-test.sh $(wildcard test/bench/*.test)
	@grep -h '^bench:' $(BUILD)/bench/serial.log

run: deps $(IMAGE) $(IMAGE).cfg
	scripts/run.sh $(IMAGE) $(CMDLINE)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
