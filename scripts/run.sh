#!/bin/bash
# scripts/run.sh IMAGE [CMDLINE...]      (what `make run` calls)
#
# Boots IMAGE (a Mote kernel, e.g. build/mote-hello) as a PV guest in nested Xen and shows
# its console here.  Short "[mote]" lines report the stages before it (QEMU, Xen, dom0,
# xl create); when the guest shuts down or crashes, its final state is printed and QEMU
# exits.  Ctrl-C ends it at any time.  CMDLINE words become the guest's command line
# (xl cfg extra=, start_info->cmd_line).
#
# Exit status: 0 the guest powered off; 1 it ended otherwise (crash, reboot...); 2 the
# boot or xl create failed; 130 Ctrl-C.
# Environment: see scripts/nested.sh (V=1 shows Xen and dom0 messages too, MOTE_QEMU_ARGS,
# MOTE_QEMU_NET, MOTE_QEMU_TIMEOUT, ...) and
#   MOTE_MEMORY       guest memory in MiB (default 32)
#   MOTE_CFG_EXTRA    extra xl cfg lines, e.g. 'vif=["bridge=xenbr0"]'
#   MOTE_BOOT_TIMEOUT seconds allowed until the guest starts (default 120)
# Files: build/run/serial.log (all serial output), build/run/initrd.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/nested.sh"

case "${1:-}" in
""|-h|--help) sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
image=$1
shift
[ -f "$image" ] || nested_die "$image does not exist (build it first, e.g. make $image)"
# Rejoin the words; one with blanks in it gets double quotes (Mote splits its command line
# like a shell: make run CMDLINE='a "b c"' gives argv a, "b c").
cmdline=
for w in "$@"; do
    case "$w" in *[[:space:]]*) w="\"$w\"" ;; esac
    cmdline="${cmdline:+$cmdline }$w"
done

out=$NESTED_BUILD/run
mkdir -p "$NESTED_BUILD"
exec 8>"$out.lock"
flock -n 8 || nested_die "another scripts/run.sh is running in this tree (lock $out.lock)"
rm -rf "$out"
run=$out/root
mkdir -p "$run/mote/build"
nested_prepare || exit 2
img=$(basename "$image")
cp "$image" "$run/mote/build/$img"
cp "$NESTED_ROOT/test/boot/lib.sh" "$run/mote/lib.sh"
cp "$NESTED_ROOT/scripts/dom0/run-guest.sh" "$run/mote/main"
chmod +x "$run/mote/main"
q() { printf '%q' "$1"; }
cat >"$run/mote/config" <<EOF
MOTE_IMAGE=$(q "$img")
MOTE_CMDLINE=$(q "$cmdline")
MOTE_MEMORY=$(q "${MOTE_MEMORY:-32}")
MOTE_CFG_EXTRA=$(q "${MOTE_CFG_EXTRA:-}")
EOF
nested_initrd "$run" "$out/initrd"

say() { echo "[mote $(nested_elapsed)s] $*" >&2; }

# filter: reads the serial console; shows progress lines, then the guest's console.
# Exits with run.sh's status.  Gives up if the guest has not started after
# MOTE_BOOT_TIMEOUT seconds (the host kills QEMU then).
filter() {
    local line rc v verbose=${V:-0} phase=boot stage=qemu deadline=${MOTE_BOOT_TIMEOUT:-120} status=2
    exec 3>"$out/serial.log"
    while :; do
        IFS= read -r -t 1 line
        rc=$?
        if [ $rc -ne 0 ] && [ -n "$line" ]; then
            rc=0                             # a last line without a newline
        elif [ $rc -ne 0 ]; then
            [ $rc -gt 128 ] || break         # end of output: QEMU exited
            if [ "$phase" = boot ] && (( ${EPOCHREALTIME%.*} - ${nested_t0%.*} > deadline )); then
                say "no guest after ${deadline}s; the boot last reached: $(nested_stage_text "$stage")"
                kill "$NESTED_QEMU_PID" 2>/dev/null
                tail -n 30 "$out/serial.log" | sed 's/^/    /' >&2
                return 2
            fi
            continue
        fi
        line=${line%$'\r'}
        printf '%s\n' "$line" >&3
        case "$line" in
        *"Xen version"*)
            stage=xen; v=${line#*Xen version }; say "Xen ${v%% *} booting" ;;
        *"Building a PV Dom0"*)
            stage=dom0; say "Xen up; starting dom0 (Linux)" ;;
        "@@MOTE stage=dom0"*)
            stage=toolstack; say "dom0 running; starting xenstored, xenconsoled" ;;
        "@@MOTE stage=ready"*)
            stage=ready; say "dom0 ready; xl create $img${cmdline:+ ($cmdline)}" ;;
        "@@MOTE boot-error"*)
            say "dom0 failed: ${line#@@MOTE boot-error }"; status=2 ;;
        "@@MOTE run stage=create"*) ;;
        "@@MOTE run stage=guest"*)
            phase=guest; say "guest running (${line##* }); its console follows. Ctrl-C ends." ;;
        "@@MOTE run final"*)
            phase=finished
            say "guest ended: ${line##*state=}"
            case "$line" in *state=shutdown:poweroff) status=0 ;; *) status=1 ;; esac ;;
        "@@MOTE run error"*)
            phase=finished; say "${line#@@MOTE run error }"; status=2 ;;
        *)
            if [ "$verbose" = 1 ]; then printf '%s\n' "$line"
            elif [ "$phase" = guest ]; then
                # The guest console, and what Xen says meanwhile (e.g. why a guest crashed).
                printf '%s\n' "$line"
            elif [ "$phase" = boot ] && [ "$stage" = ready ]; then
                # xl create's output when it fails (before the error marker).
                printf '    %s\n' "$line" >&2
            fi ;;
        esac
    done
    if [ "$phase" = boot ] && [ "${NESTED_INTERRUPTED:-0}" = 0 ]; then
        say "QEMU exited before the guest started; the boot last reached: $(nested_stage_text "$stage")"
        tail -n 30 "$out/serial.log" | sed 's/^/    /' >&2
        [ -s "$out/qemu.stderr" ] && sed 's/^/    qemu: /' "$out/qemu.stderr" >&2
    fi
    return $status
}

nested_qemu_cmd "$out/initrd" -serial stdio
NESTED_QEMU_STDERR=$out/qemu.stderr
nested_t0=$EPOCHREALTIME
say "starting QEMU (Xen + dom0 + $img)"
nested_run_qemu "${MOTE_QEMU_TIMEOUT:-0}" filter
status=$?
if [ "$NESTED_INTERRUPTED" = 1 ]; then say "interrupted"; exit 130; fi
if [ "$NESTED_STATUS" = 124 ]; then say "QEMU timed out (MOTE_QEMU_TIMEOUT=${MOTE_QEMU_TIMEOUT:-})"; fi
exit "$status"
