#!/bin/bash
# scripts/run.sh [--disk FILE] [--http PORT] IMAGE [CMDLINE...]      (what `make run` calls)
#
# Boots IMAGE (a Mote kernel, e.g. build/mote-hello) as a PV guest in nested Xen and shows
# its console here.  Short "[mote]" lines report the stages before it (QEMU, Xen, dom0,
# xl create); when the guest shuts down or crashes, its final state is printed and QEMU
# exits.  Ctrl-C ends it at any time.  CMDLINE words become the guest's command line
# (xl cfg extra=, start_info->cmd_line).
#   --disk FILE   FILE is the guest's first disk (xvda, read-only), e.g. a tar of a web site
#   --http PORT   serve a guest's web server on this machine: QEMU gets an e1000 NIC on its
#                 user-mode network, which dom0 puts on bridge xenbr0 beside the guest's
#                 vif, and forwards 127.0.0.1:PORT to the guest's port 80 (port=N in
#                 CMDLINE: N).  The guest is 10.0.0.2/24 (ip= in CMDLINE: that one).  A
#                 line "... is at http://127.0.0.1:PORT/" says when it answers there.
#                 restrict=on: the guest reaches nothing outside; only the forward comes in.
#
# Exit status: 0 the guest powered off; 1 it ended otherwise (crash, reboot...); 2 the
# boot or xl create failed; 130 Ctrl-C.
# Environment: see scripts/nested.sh (V=1 shows Xen and dom0 messages too, MOTE_QEMU_ARGS,
# MOTE_QEMU_NET, MOTE_QEMU_TIMEOUT, ...) and
#   MOTE_MEMORY       guest memory in MiB (default 32)
#   MOTE_CFG_EXTRA    extra xl cfg lines, e.g. 'vif=["bridge=xenbr0"]'
#   MOTE_BOOT_TIMEOUT seconds allowed until the guest starts (default 120)
#   MOTE_SITE_NAME    with --disk and --http: what the "serving" line calls the disk
#   MOTE_SERVE_TIMEOUT with --http: seconds allowed from the guest's start until it answers
#                     on PORT (default 120; after that a warning, and it keeps running)
# Files: build/run/serial.log (all serial output), build/run/initrd.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/nested.sh"

usage() { sed -n '2,31s/^# \{0,1\}//p' "$0"; exit 2; }
disk= http_port=
while [ $# -gt 0 ]; do
    case "$1" in
    --disk) [ $# -ge 2 ] || usage; disk=$2; shift 2 ;;
    --http) [ $# -ge 2 ] || usage; http_port=$2; shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) echo "run.sh: unknown option $1" >&2; usage ;;
    *) break ;;
    esac
done
[ $# -ge 1 ] || usage
image=$1
shift
[ -f "$image" ] || nested_die "$image does not exist (build it first, e.g. make $image)"
if [ -n "$disk" ]; then
    [ -f "$disk" ] || nested_die "disk $disk does not exist (for make run: build/site.tar, made from SITE)"
    # It travels in dom0's initramfs, which must fit in dom0's 384 MiB with everything else.
    [ "$(stat -c %s "$disk")" -le $((160 << 20)) ] ||
        nested_die "disk $disk is larger than 160 MiB: too big for dom0's memory in nested Xen"
fi
# Rejoin the words; one with blanks in it gets double quotes (Mote splits its command line
# like a shell: make run CMDLINE='a "b c"' gives argv a, "b c").
cmdline= guest_ip= guest_port=80
for w in "$@"; do
    case "$w" in
    ip=*) guest_ip=${w#ip=}; guest_ip=${guest_ip%%/*} ;;
    port=*) guest_port=${w#port=} ;;
    esac
    case "$w" in *[[:space:]]*) w="\"$w\"" ;; esac
    cmdline="${cmdline:+$cmdline }$w"
done

cfg_extra=${MOTE_CFG_EXTRA:-}
nic=off
if [ -n "$http_port" ]; then
    [[ $http_port =~ ^[0-9]+$ ]] && [ "$http_port" -ge 1 ] && [ "$http_port" -le 65535 ] ||
        nested_die "--http $http_port: not a port number (PORT=1..65535)"
    [[ $guest_port =~ ^[0-9]+$ ]] || nested_die "port=$guest_port in the command line is not a number"
    command -v curl >/dev/null || nested_die "curl is not installed: run make deps"
    # Is something on this machine listening there already?  (QEMU would fail to bind it.)
    if (exec 3<>"/dev/tcp/127.0.0.1/$http_port") 2>/dev/null; then
        nested_die "port $http_port on 127.0.0.1 is in use by another program; pick another one, e.g. make run PORT=$((http_port + 1))"
    fi
    if [ -z "$guest_ip" ]; then
        guest_ip=10.0.0.2
        cmdline="ip=10.0.0.2/24${cmdline:+ $cmdline}"
    fi
    case "$guest_ip" in
    10.0.0.1|10.0.0.253|10.0.0.254|10.0.0.2[0-1][0-9]) nested_die "ip=$guest_ip is taken in nested Xen (dom0 10.0.0.1; QEMU's 10.0.0.200-254)" ;;
    10.0.0.*) ;;
    *) nested_die "ip=$guest_ip: with --http the guest must be on dom0's bridge network 10.0.0.0/24" ;;
    esac
    # QEMU's user-mode network (slirp) is the 10.0.0.0/24 of dom0's bridge, so that the
    # forward's target is a guest on it.  Slirp itself takes addresses that nobody else uses:
    # 10.0.0.254 (its "host", the source of forwarded connections), 10.0.0.253 (its DNS) and
    # 10.0.0.200-215 (its DHCP server's range, unused: the guest has a static address).
    # restrict=on: no packet from inside goes anywhere outside; the forward is the one way in,
    # and only from this machine (127.0.0.1).  ipv6=off: no router advertisements on the bridge.
    MOTE_QEMU_NET="-nic user,model=e1000,restrict=on,ipv6=off,net=10.0.0.0/24,host=10.0.0.254,dns=10.0.0.253,dhcpstart=10.0.0.200,hostfwd=tcp:127.0.0.1:$http_port-$guest_ip:$guest_port"
    # The guest's MAC: Xen's prefix 00:16:3e, then the address's last byte.
    mac=$(printf '00:16:3e:00:00:%02x' "${guest_ip##*.}")
    cfg_extra="vif=[\"bridge=xenbr0,mac=$mac\"]${cfg_extra:+$'\n'$cfg_extra}"
    nic=on
fi
if [ -n "$disk" ]; then
    cfg_extra="disk=[\"format=raw,vdev=xvda,access=ro,target=/mote/build/$(basename "$disk")\"]${cfg_extra:+$'\n'$cfg_extra}"
fi

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
if [ -n "$disk" ]; then
    [ "$(basename "$disk")" != "$img" ] || nested_die "the disk and the image have the same name"
    cp "$disk" "$run/mote/build/$(basename "$disk")"
fi
cp "$NESTED_ROOT/test/boot/lib.sh" "$run/mote/lib.sh"
cp "$NESTED_ROOT/scripts/dom0/run-guest.sh" "$run/mote/main"
chmod +x "$run/mote/main"
q() { printf '%q' "$1"; }
cat >"$run/mote/config" <<EOF
MOTE_IMAGE=$(q "$img")
MOTE_CMDLINE=$(q "$cmdline")
MOTE_MEMORY=$(q "${MOTE_MEMORY:-32}")
MOTE_CFG_EXTRA=$(q "$cfg_extra")
MOTE_NIC=$nic
EOF
nested_initrd "$run" "$out/initrd"

say() { echo "[mote $(nested_elapsed)s] $*" >&2; }

# serve_probe: with --http, runs in the background from the guest's start: asks
# http://127.0.0.1:PORT/ once a second until an HTTP answer comes (any status: a site
# without index.html answers 404 and is still served), then says where to browse.  Each
# try is bounded (curl --max-time); after MOTE_SERVE_TIMEOUT seconds it warns and stops.
probe_pid=
serve_probe() {
    local url=http://127.0.0.1:$http_port/ limit=${MOTE_SERVE_TIMEOUT:-120} t0=$SECONDS what c=
    # run.sh kills this subshell at the end; take the running curl or sleep along.
    trap 'kill $c 2>/dev/null; exit 0' TERM
    what="the guest"
    case "$img" in mote-httpd) what="Mote's httpd" ;; esac
    [ -n "$disk" ] && what="$what, serving ${MOTE_SITE_NAME:-$(basename "$disk")},"
    while (( SECONDS - t0 < limit )); do
        # 3 s: a try made before the guest listens hangs (QEMU accepts at once and then
        # waits for the guest); a page from a listening Mote takes milliseconds.
        curl -s -o /dev/null --max-time 3 "$url" 2>/dev/null &
        c=$!
        if wait $c; then
            say "$what is at $url (open it in a browser on this machine); Ctrl-C stops it"
            return 0
        fi
        sleep 1 &
        c=$!
        wait $c
    done
    say "warning: nothing answers at $url after ${limit}s (the guest's console above may say why); Ctrl-C stops it"
}

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
        "@@MOTE run stage=nic"*)
            say "dom0 put QEMU's NIC (${line##*dev=}) on bridge xenbr0: 127.0.0.1:$http_port here goes to $guest_ip:$guest_port" ;;
        "@@MOTE run stage=create"*) ;;
        "@@MOTE run stage=guest"*)
            phase=guest; say "guest running (${line##* }); its console follows. Ctrl-C ends."
            if [ -n "$http_port" ] && [ -z "$probe_pid" ]; then
                serve_probe </dev/null &
                probe_pid=$!
            fi ;;
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
        if [ -n "$http_port" ] && grep -q 'host forwarding' "$out/qemu.stderr" 2>/dev/null; then
            say "QEMU could not listen on 127.0.0.1:$http_port: another program took the port; pick another one (make run PORT=...)"
        fi
    fi
    return $status
}

nested_qemu_cmd "$out/initrd" -serial stdio
NESTED_QEMU_STDERR=$out/qemu.stderr
nested_t0=$EPOCHREALTIME
say "starting QEMU (Xen + dom0 + $img)"
nested_run_qemu "${MOTE_QEMU_TIMEOUT:-0}" filter
status=$?
# (The probe is a child of filter, which ran in this shell.)
[ -n "$probe_pid" ] && kill "$probe_pid" 2>/dev/null
if [ "$NESTED_INTERRUPTED" = 1 ]; then say "interrupted"; exit 130; fi
if [ "$NESTED_STATUS" = 124 ]; then say "QEMU timed out (MOTE_QEMU_TIMEOUT=${MOTE_QEMU_TIMEOUT:-})"; fi
exit "$status"
