# scripts/nested.sh -- shared host-side code of the nested-Xen harness.  Sourced (bash) by
# scripts/boot-test.sh and scripts/run.sh; not run on its own.
#
# The emulated machine:
#
#   qemu-system-x86_64 (TCG: no KVM here, so every instruction is emulated)
#     -kernel xen          Xen 4.17, booted directly through its multiboot header
#     -initrd "vmlinux ARGS,initrd"
#                          multiboot modules: Xen runs the first as dom0's kernel with ARGS
#                          and hands it the second as its initramfs
#     -serial ...          COM1: Xen's console; dom0's console (hvc0) goes through Xen there too
#     -device isa-debug-exit,iobase=0xf4,iosize=0x04
#                          dom0 writes N to port 0xf4 -> QEMU exits with status 2N+1
#
# The initramfs is the cached base archive (scripts/dom0/build-image.sh) with a small
# per-run archive appended: Linux unpacks both, the later one adding files under /mote
# (and replacing base files of the same name, handy for trying a change to /init).
#
# Environment (all optional):
#   MOTE_CACHE        cache directory (default ~/.cache/mote)
#   MOTE_QEMU_TIMEOUT seconds before the host kills QEMU (default: computed by the caller)
#   MOTE_QEMU_MEM     guest RAM in MiB (default 1536; dom0 gets 384 of it)
#   MOTE_QEMU_SMP     number of emulated CPUs (default 2: dom0 and a guest, or dom0's two
#                     vCPUs, really run in parallel on two host threads)
#   MOTE_QEMU_CPU     QEMU -cpu model (default max,-smap,-svm)
#   MOTE_QEMU_NET     QEMU network options (default "-nic none": nothing leaves the machine).
#                     scripts/run.sh --http sets its own: an e1000 NIC on user networking
#                     with restrict=on and one hostfwd from 127.0.0.1 (dom0 bridges it)
#   MOTE_QEMU_ARGS    extra QEMU arguments
#   MOTE_XEN_ARGS     extra Xen command-line options
#   MOTE_DOM0_ARGS    extra dom0 Linux command-line options
#   MOTE_DOM0_OVERLAY a directory whose files are added to (or replace files of) dom0's root
#                     for this run, e.g. a changed init: try it without rebuilding the cache
#   V=1               show the whole serial console while it runs

# C locale: $EPOCHREALTIME has a decimal point (not a comma), sort and grep are predictable.
export LC_ALL=C
NESTED_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NESTED_BUILD=$NESTED_ROOT/build

# Time stamps for progress messages: seconds since nested_t0 was set.
nested_t0=${EPOCHREALTIME}
nested_elapsed() {
    local e=$(( ${EPOCHREALTIME/./} - ${nested_t0/./} ))
    printf '%d.%d' $(( e / 1000000 )) $(( e % 1000000 / 100000 ))
}

nested_die() { echo "error: $*" >&2; exit 2; }

# nested_prepare: make sure the cached Xen/dom0 files exist; sets NESTED_CACHE.
nested_prepare() {
    local tool
    for tool in qemu-system-x86_64 cpio gzip xz dpkg-deb apt-get readelf file flock; do
        command -v "$tool" >/dev/null ||
            nested_die "$tool is not installed: run scripts/deps.sh (as root)"
    done
    NESTED_CACHE=$("$NESTED_ROOT/scripts/dom0/build-image.sh") ||
        nested_die "could not build the dom0 image (scripts/dom0/build-image.sh failed)"
}

# nested_linux_guest: put the stand-in Linux PV guest (from the cache) into build/linux-pv/.
nested_linux_guest() {
    mkdir -p "$NESTED_BUILD/linux-pv"
    local f
    for f in vmlinux.gz initrd.gz; do
        if ! cmp -s "$NESTED_CACHE/linux-pv/$f" "$NESTED_BUILD/linux-pv/$f"; then
            cp "$NESTED_CACHE/linux-pv/$f" "$NESTED_BUILD/linux-pv/$f"
        fi
    done
}

# nested_initrd RUNDIR OUT: OUT = base dom0 archive + a cpio of RUNDIR's contents
# (RUNDIR/mote/... becomes /mote/... in dom0).  Neither part is compressed: dom0 would
# spend longer decompressing than QEMU spends loading the bytes.
nested_initrd() {
    local rundir=$1 out=$2
    if [ -n "${MOTE_DOM0_OVERLAY:-}" ]; then
        cp -a "$MOTE_DOM0_OVERLAY/." "$rundir/" || nested_die "cannot copy MOTE_DOM0_OVERLAY"
    fi
    cp "$NESTED_CACHE/dom0.cpio" "$out"
    (cd "$rundir" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >>"$out"
}

# nested_qemu_cmd INITRD SERIAL-OPTS...: sets the array NESTED_QEMU to the QEMU command.
nested_qemu_cmd() {
    local initrd=$1
    shift
    local xen_args="console=com1 com1=115200,8n1 dom0_mem=384M,max:384M dom0_max_vcpus=2"
    # bootscrub=0: don't spend seconds clearing free RAM at boot; loglvl: Xen tells us why a
    # guest crashed; noreboot would hang on a panic, so we let it reboot: QEMU has -no-reboot.
    xen_args+=" bootscrub=0 loglvl=all guest_loglvl=all ${MOTE_XEN_ARGS:-}"
    local dom0_args="console=hvc0 quiet rodata=off cryptomgr.notests mitigations=off ${MOTE_DOM0_ARGS:-}"
    # shellcheck disable=SC2206
    NESTED_QEMU=(qemu-system-x86_64
        -nodefaults -no-reboot -display none
        -machine pc -accel tcg,thread=multi
        # SMAP in the emulated CPU makes dom0 crash.  Without SVM Xen skips setting up HVM
        # support (no HVM guests here), which shortens its boot.
        -cpu "${MOTE_QEMU_CPU:-max,-smap,-svm}"
        -smp "${MOTE_QEMU_SMP:-2}" -m "${MOTE_QEMU_MEM:-1536}"
        -device isa-debug-exit,iobase=0xf4,iosize=0x04
        ${MOTE_QEMU_NET--nic none}
        -kernel "$NESTED_CACHE/xen"
        -append "$xen_args"
        # Commas separate multiboot modules, so commas inside the dom0 arguments are doubled.
        -initrd "$NESTED_CACHE/vmlinux ${dom0_args//,/,,},$initrd"
        "$@"
        ${MOTE_QEMU_ARGS:-})
}

# nested_run_qemu TIMEOUT CONSUMER [ARGS...]: start "${NESTED_QEMU[@]}" (killed after TIMEOUT
# seconds unless TIMEOUT is 0) with its serial output (stdout) going to CONSUMER's stdin;
# return CONSUMER's status.  Sets NESTED_STATUS to QEMU's exit status (124: timed out),
# NESTED_QEMU_PID while it runs (CONSUMER may kill it), and NESTED_INTERRUPTED=1 after
# Ctrl-C, which stops QEMU.  QEMU's own messages go to $NESTED_QEMU_STDERR.
nested_run_qemu() {
    local limit=$1 fifo rc
    shift
    fifo=$(mktemp -u "${TMPDIR:-/tmp}/mote-serial.XXXXXX")
    mkfifo "$fifo" || nested_die "mkfifo $fifo failed"
    NESTED_INTERRUPTED=0
    if [ "$limit" -gt 0 ]; then
        timeout -k 5 "$limit" "${NESTED_QEMU[@]}" </dev/null >"$fifo" 2>"${NESTED_QEMU_STDERR:-/dev/null}" &
    else
        "${NESTED_QEMU[@]}" </dev/null >"$fifo" 2>"${NESTED_QEMU_STDERR:-/dev/null}" &
    fi
    NESTED_QEMU_PID=$!
    trap 'NESTED_INTERRUPTED=1; kill "$NESTED_QEMU_PID" 2>/dev/null' INT TERM
    "$@" <"$fifo"
    rc=$?
    wait "$NESTED_QEMU_PID"
    NESTED_STATUS=$?
    trap - INT TERM
    rm -f "$fifo"
    return $rc
}

# nested_stage SERIAL-LOG: print how far a boot got, from its serial log:
#   qemu | xen | dom0 | toolstack | ready
nested_stage() {
    local log=$1
    if grep -q '^@@MOTE stage=ready' "$log" 2>/dev/null; then echo ready
    elif grep -q '^@@MOTE stage=dom0' "$log" 2>/dev/null; then echo toolstack
    elif grep -q 'LOADING DOMAIN 0\|Building a PV Dom0' "$log" 2>/dev/null; then echo dom0
    elif grep -q 'Xen version' "$log" 2>/dev/null; then echo xen
    else echo qemu
    fi
}

# nested_stage_text STAGE: what went wrong when a boot stopped at STAGE.
nested_stage_text() {
    case "$1" in
    qemu) echo "QEMU: no output from Xen at all (did QEMU start? see its messages above)" ;;
    xen) echo "Xen: the hypervisor started but never started dom0" ;;
    dom0) echo "dom0: Xen started dom0, but dom0's /init never reported (kernel or initramfs problem)" ;;
    toolstack) echo "toolstack: dom0 runs, but xenstored/xenconsoled/bridge setup did not finish" ;;
    ready) echo "the tests (dom0 was ready)" ;;
    esac
}

# nested_capture SERIAL-LOG MARKER-LOG: copy QEMU's serial output (stdin) to SERIAL-LOG,
# dropping the CR that Xen puts before each LF, and append each "@@MOTE" line, prefixed with
# the host's seconds since start, to MARKER-LOG.  With V=1 also show every line.
nested_capture() {
    local line verbose=${V:-0}
    exec 3>"$1" 4>"$2"
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        printf '%s\n' "$line" >&3
        [ "$verbose" = 1 ] && printf '%s\n' "$line"
        case "$line" in @@MOTE*) echo "$(nested_elapsed) $line" >&4 ;; esac
    done
    exec 3>&- 4>&-
}
