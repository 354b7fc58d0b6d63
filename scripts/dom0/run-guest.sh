#!/bin/bash
# Interactive run (`make run`, scripts/run.sh), run in dom0 as /mote/main once dom0 is
# ready.  Creates one guest from /mote/config, copies its console to dom0's console (which
# the host shows) until the guest shuts down or crashes, then ends the machine:
#   verdict 0: the guest powered off; 1: any other end; 2: xl create failed.
# Markers for the host (scripts/run.sh):
#   @@MOTE run stage=create
#   @@MOTE run stage=guest domid=N        the console follows
#   @@MOTE run final state=STATE          (STATE as in lib.sh's domain_state)
#   @@MOTE run error reason="..."         xl create failed; its output precedes this line
set -u
export PATH=/usr/lib/xen-4.17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
MOTE_IMAGE= MOTE_CMDLINE= MOTE_MEMORY=32 MOTE_CFG_EXTRA=
. /mote/config
. /mote/lib.sh

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
