#!/bin/bash
# Interactive run (`make run`, scripts/run.sh), run in dom0 as /mote/main once dom0 is
# ready.  Creates one guest from /mote/config, copies its console to dom0's console (which
# the host shows) until the guest shuts down or crashes, then ends the machine:
#   verdict 0: the guest powered off; 1: any other end; 2: xl create failed.
# Markers for the host (scripts/run.sh):
#   @@MOTE run stage=nic dev=ethN          QEMU's NIC is on bridge xenbr0 (MOTE_NIC=on)
#   @@MOTE run stage=create
#   @@MOTE run stage=guest domid=N        the console follows
#   @@MOTE run final state=STATE          (STATE as in lib.sh's domain_state)
#   @@MOTE run error reason="..."         xl create failed; its output precedes this line
set -u
export PATH=/usr/lib/xen-4.17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
MOTE_IMAGE= MOTE_CMDLINE= MOTE_MEMORY=32 MOTE_CFG_EXTRA= MOTE_NIC=off
. /mote/config
. /mote/lib.sh

run_error() { # REASON: tell the host (run.sh) and end the machine with verdict 2
    local r=${1//\"/}
    echo "@@MOTE run error reason=\"$r\""
    mote-exit 2
}

# MOTE_NIC=on: QEMU has an e1000 NIC on its user-mode network (`make run` of a server, see
# scripts/run.sh).  Put it on xenbr0, up and without an address of its own, so that what the
# host forwards to a guest address reaches the guest's vif through the bridge.
if [ "$MOTE_NIC" = on ]; then
    /bin/busybox insmod "/lib/modules/$(uname -r)/e1000.ko" 2>/run/mote/e1000.log ||
        run_error "insmod e1000 failed: $(cat /run/mote/e1000.log)"
    # The driver probes the PCI device and registers ethN shortly after insmod returns; the
    # interface shows up under the driver's device in sysfs (a glob: no process per try).
    nic=
    for ((i = 0; i < 100; i++)); do
        for n in /sys/bus/pci/drivers/e1000/*/net/*; do [ -e "$n" ] && nic=${n##*/}; done
        [ -n "$nic" ] && break
        fsleep 0.1
    done
    [ -n "$nic" ] || run_error "no e1000 network interface appeared within 10s (is QEMU's NIC model e1000?)"
    /bin/busybox ip link set "$nic" master xenbr0 2>/run/mote/nic.log &&
        /bin/busybox ip link set "$nic" up 2>>/run/mote/nic.log ||
        run_error "cannot put $nic on xenbr0: $(cat /run/mote/nic.log)"
    echo "@@MOTE run stage=nic dev=$nic"
fi

name=${MOTE_IMAGE##*/}
name=${name//[^A-Za-z0-9_.-]/_}
workdir=/run/mote/run
cfg=$workdir/$name.cfg
xl_log=$workdir/xl-create.log
console=/var/log/xen/console/guest-$name.log
mkdir -p "$workdir"

xl_string() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; echo "\"$s\""; }
{
    echo "name = $(xl_string "$name")"
    echo 'type = "pv"'
    echo "kernel = $(xl_string "$build/$MOTE_IMAGE")"
    echo "memory = $MOTE_MEMORY"
    [ -n "$MOTE_CMDLINE" ] && echo "extra = $(xl_string "$MOTE_CMDLINE")"
    echo 'on_poweroff = "preserve"'
    echo 'on_crash = "preserve"'
    echo 'on_reboot = "restart"'
    [ -n "$MOTE_CFG_EXTRA" ] && printf '%s\n' "$MOTE_CFG_EXTRA"
} >"$cfg"

echo "@@MOTE run stage=create"
xl create -F "$cfg" >"$xl_log" 2>&1 &
xl_pid=$!
t0=$EPOCHREALTIME
until grep -q '^Waiting for domain' "$xl_log"; do
    if ! kill -0 "$xl_pid" 2>/dev/null || (( ${EPOCHREALTIME/./} - ${t0/./} > 60000000 )); then
        cat "$xl_log"
        echo "@@MOTE run error reason=\"xl create failed: $(grep -iE 'error|fail|invalid' "$xl_log" | head -n 1 | tr '"' "'")\""
        mote-exit 2
    fi
    fsleep 0.05
done
[[ $(grep -m1 '^Waiting for domain' "$xl_log") =~ \(domid\ ([0-9]+)\) ]] && domid=${BASH_REMATCH[1]}
echo "@@MOTE run stage=guest domid=$domid"

# Copy the console as it grows (coreutils tail follows the file with inotify).  The host
# drops the CRs.  xl (-F) exits when the guest has shut down or crashed.
tail -n +1 -f "$console" 2>/dev/null &
tailpid=$!
wait "$xl_pid"
console_settle
fsleep 0.2   # let tail copy the last output
kill "$tailpid" 2>/dev/null
state=$(xl_log_state)
[ -n "$state" ] || state=$(domain_state)
[ -s "$console" ] && [ -n "$(tail -c 1 "$console")" ] && echo
echo "@@MOTE run final state=$state"
[ "$state" = shutdown:poweroff ] && mote-exit 0
mote-exit 1
