# test/boot/lib.sh -- helpers for boot tests.  Sourced (bash) in dom0 by the runner
# (scripts/dom0/boot-tests.sh) and by `make run` (scripts/dom0/run-guest.sh); the host copies
# it into every per-run archive as /mote/lib.sh.  See docs/testing.md.
#
# Variables a test can use (set by the runner before each hook runs):
#   $name       the test's name = the domain's name
#   $domid      the domain's id (after xl create; updated if the domain restarts)
#   $console    path of the guest's console log in dom0 (also: console_file)
#   $build      dom0 directory holding the files copied from the host's build/ dir
#   $workdir    a scratch directory for this test (/run/mote/tests/NAME)
#   $cfg        path of the generated xl config file
#   $xl_log     output of `xl create -F` (creation messages, shutdown reason, restarts)
#   $xl_pid     that xl process: it exits when the guest has stopped
#   $state      in check(): the final state (see domain_state), or "timeout"
#
# Every process start is slow in this dom0 (tens of ms: TCG + PV page tables), and `xl`
# itself takes ~0.2 s, so the helpers avoid polling `xl` where they can.

build=/mote/build

# --- small utilities --------------------------------------------------------------------

# fsleep SECONDS: sleep without starting a process (read with a timeout on a quiet FIFO).
if [ -z "${MOTE_SLEEP_FD:-}" ]; then
    mkdir -p /run/mote
    [ -p /run/mote/.sleep ] || mkfifo /run/mote/.sleep
    exec {MOTE_SLEEP_FD}<>/run/mote/.sleep
fi
fsleep() { read -r -t "$1" -u "$MOTE_SLEEP_FD" _ 2>/dev/null; return 0; }

# now: seconds since the epoch with microseconds, e.g. 1712345678.123456 (no process).
now() { echo "$EPOCHREALTIME"; }
# elapsed START: seconds since START (a value of now), with one decimal.
elapsed() {
    local e=$(( ${EPOCHREALTIME/./} - ${1/./} ))
    printf '%d.%d' $(( e / 1000000 )) $(( e % 1000000 / 100000 ))
}

# fail MESSAGE: record why the test fails (the first message wins) and return 1.
# Use it in setup/during/check:  grep -q foo "$console" || fail "no foo on the console"
# A hook that called fail counts as failed even if it returns 0 afterwards.
fail() {
    echo "FAIL: $*" >&2
    [ -s "${workdir:-/run/mote}/fail-reason" ] || echo "$*" >"${workdir:-/run/mote}/fail-reason"
    return 1
}

# refresh_domid: set $domid to the domain's current id.  A domain that reboots (on_reboot=
# "restart") is re-created by xl with a new id; xl logs each one as "(domid N)".
refresh_domid() {
    local line
    line=$(grep '^Waiting for domain .*(domid [0-9]*)' "$xl_log" 2>/dev/null | tail -n 1)
    [[ $line =~ \(domid\ ([0-9]+)\) ]] && domid=${BASH_REMATCH[1]}
    return 0
}

# console_settle: wait (at most 1 s) until the console log stops growing.  xenconsoled
# copies the guest's last output while xl already reports the shutdown; the runner calls
# this before judging the console.
console_settle() {
    local a=-1 b i
    for ((i = 0; i < 20; i++)); do
        b=$(stat -c %s "$console" 2>/dev/null || echo 0)
        [ "$a" = "$b" ] && return 0
        a=$b
        fsleep 0.05
    done
}

# console_file: print the path of the guest's console log.
console_file() { echo "$console"; }

# --- domain state ----------------------------------------------------------------------

# domain_state [NAME-OR-DOMID]: print one word for the domain's state:
#   running | blocked | paused | shutdown:poweroff | shutdown:reboot | shutdown:suspend |
#   shutdown:watchdog | shutdown:soft_reset | crashed | dying | none (no such domain)
# ("blocked" is a running guest that is idle; `wait_state running` accepts both.)
domain_state() {
    local who=${1:-$name} line flags reason
    line=$(xl list -v "$who" 2>/dev/null | sed -n 2p)
    [ -n "$line" ] || { echo none; return 0; }
    # Columns: Name ID Mem VCPUs State Time(s) UUID Reason-Code Security-Label
    set -- $line
    flags=$5 reason=$8
    case "$flags" in
    *c*) echo crashed ;;
    *s*) case "$reason" in
         0) echo shutdown:poweroff ;; 1) echo shutdown:reboot ;; 2) echo shutdown:suspend ;;
         3) echo crashed ;; 4) echo shutdown:watchdog ;; 5) echo shutdown:soft_reset ;;
         *) echo "shutdown:$reason" ;;
         esac ;;
    *d*) echo dying ;;
    *p*) echo paused ;;
    *r*) echo running ;;
    *b*) echo blocked ;;
    *) echo running ;;   # "------": runnable, waiting for a CPU
    esac
}

# xl_log_state [FILE=$xl_log]: the final state as reported by `xl create -F` (it logs
# "Domain N has shut down, reason code R" when the guest stops), in domain_state's words;
# "destroyed" if the domain was destroyed; nothing if the log says neither.
xl_log_state() {
    local line
    line=$(grep 'has shut down, reason code' "${1:-$xl_log}" | tail -n 1)
    if [[ $line =~ reason\ code\ ([0-9]+) ]]; then
        case ${BASH_REMATCH[1]} in
        0) echo shutdown:poweroff ;; 1) echo shutdown:reboot ;; 2) echo shutdown:suspend ;;
        3) echo crashed ;; 4) echo shutdown:watchdog ;; 5) echo shutdown:soft_reset ;;
        *) echo "shutdown:${BASH_REMATCH[1]}" ;;
        esac
    elif grep -q 'has been destroyed' "${1:-$xl_log}"; then
        echo destroyed
    fi
}

# wait_state WANT [TIMEOUT=30]: wait until the domain's state matches WANT:
#   running (also blocked) | shutdown (any shutdown:*) | shutdown:REASON | crashed |
#   final (shutdown or crashed) | none (gone)
# Returns 0 when reached; on timeout records a failure (fail) and returns 1.
wait_state() {
    local want=$1 timeout=${2:-30} t0=$EPOCHREALTIME s
    while :; do
        s=$(domain_state)
        case "$want:$s" in
        running:running|running:blocked|shutdown:shutdown:*|final:shutdown:*|final:crashed|"$want:$want")
            return 0 ;;
        esac
        if (( ${EPOCHREALTIME/./} - ${t0/./} >= timeout * 1000000 )); then
            fail "wait_state $want: not reached within ${timeout}s (state: $s)"
            return 1
        fi
        fsleep 0.2
    done
}

# wait_console REGEX [TIMEOUT=10]: wait until a line of the guest console matches the
# extended regular expression.  Returns 0 when seen; 1 (and records a failure) on timeout
# or when the guest stopped without printing it.  (For "must NOT appear", use grep.)
wait_console() {
    wait_console_count "$1" 1 "${2:-10}"
}

# wait_console_count REGEX COUNT [TIMEOUT=10]: like wait_console, until at least COUNT
# lines match (e.g. a second "up" line after a reboot).
wait_console_count() {
    local re=$1 want=$2 timeout=${3:-10} t0=$EPOCHREALTIME n=0
    while :; do
        [ -f "$console" ] && n=$(tr -d '\r' <"$console" | grep -cE -- "$re")
        [ "$n" -ge "$want" ] && return 0
        # $xl_pid: the runner's `xl create -F`, which exits when the guest stops.
        if [ -n "${xl_pid:-}" ] && ! kill -0 "$xl_pid" 2>/dev/null; then
            n=$(tr -d '\r' <"$console" 2>/dev/null | grep -cE -- "$re")
            [ "$n" -ge "$want" ] && return 0
            fail "wait_console: '$re' seen $n of $want times; the guest stopped ($(xl_log_state))"
            return 1
        fi
        if (( ${EPOCHREALTIME/./} - ${t0/./} >= timeout * 1000000 )); then
            fail "wait_console: '$re' seen $n of $want times within ${timeout}s"
            return 1
        fi
        fsleep 0.1
    done
}

# wait_xenstore_key KEY [TIMEOUT=10]: wait until the xenstore node exists.  A KEY without a
# leading / is relative to the domain's home, /local/domain/$domid (e.g. control/feature-
# poweroff, which a guest writes when it handles shutdown requests).  Records a failure on
# timeout.
wait_xenstore_key() {
    local key=$1 timeout=${2:-10} t0=$EPOCHREALTIME
    [[ $key == /* ]] || key=/local/domain/$domid/$key
    while :; do
        xenstore-exists "$key" 2>/dev/null && return 0
        if (( ${EPOCHREALTIME/./} - ${t0/./} >= timeout * 1000000 )); then
            fail "wait_xenstore_key: $key did not appear within ${timeout}s"
            return 1
        fi
        fsleep 0.1
    done
}

# backend_states [DOMID]: one line per device of the domain, e.g.
#   vif/0: backend=4(Connected) frontend=4(Connected) hotplug-status=connected
# (backend = dom0 driver side, frontend = guest side; 4 = connected.)
backend_states() {
    [ -n "${1:-}" ] || refresh_domid
    local d=${1:-$domid} line path val key dev
    local -A be=() fe=() hp=() devs=()
    local names=(0 Unknown 1 Initialising 2 InitWait 3 Initialised 4 Connected 5 Closing
                 6 Closed 7 Reconfiguring 8 Reconfigured)
    local -A sn=()
    while [ ${#names[@]} -gt 0 ]; do sn[${names[0]}]=${names[1]}; names=("${names[@]:2}"); done
    [ -n "$d" ] || { echo "(no domain id)"; return 0; }
    while IFS= read -r line; do
        path=${line%% = *} val=${line#* = }
        val=${val#\"} val=${val%\"}
        # /local/domain/0/backend/TYPE/DOMID/DEVID/KEY
        [[ $path =~ ^/local/domain/0/backend/([^/]+)/$d/([0-9]+)/([^/]+)$ ]] || continue
        dev=${BASH_REMATCH[1]}/${BASH_REMATCH[2]} key=${BASH_REMATCH[3]}
        devs[$dev]=1
        case "$key" in
        state) be[$dev]=$val ;;
        hotplug-status) hp[$dev]=$val ;;
        hotplug-error) hp[$dev]="${hp[$dev]:-} error: $val" ;;
        esac
    done < <(timeout 10 xenstore-ls -f /local/domain/0/backend 2>/dev/null)
    while IFS= read -r line; do
        path=${line%% = *} val=${line#* = }
        val=${val#\"} val=${val%\"}
        # /local/domain/D/device/TYPE/DEVID/state  (vbd, vif, console...)
        [[ $path =~ ^/local/domain/$d/device/([^/]+)/([0-9]+)/state$ ]] || continue
        fe[${BASH_REMATCH[1]}/${BASH_REMATCH[2]}]=$val
    done < <(timeout 10 xenstore-ls -f "/local/domain/$d/device" 2>/dev/null)
    [ ${#devs[@]} -gt 0 ] || { echo "(no backend devices for domain $d)"; return 0; }
    for dev in $(printf '%s\n' "${!devs[@]}" | sort); do
        echo "$dev: backend=${be[$dev]:-?}(${sn[${be[$dev]:-0}]:-?}) frontend=${fe[$dev]:-?}(${sn[${fe[$dev]:-0}]:-?}) hotplug-status=${hp[$dev]:-none}"
    done
}

# wait_backends [TIMEOUT=10]: wait until every vif and vbd of the domain has
# hotplug-status=connected and state 4 on both sides.  Records a failure on timeout.
# (The console "backend" is xenconsoled, which does not use these states.)
wait_backends() {
    local timeout=${1:-10} t0=$EPOCHREALTIME out
    while :; do
        out=$(backend_states | grep -v '^console/')
        if ! grep -qvE 'backend=4.*frontend=4.*hotplug-status=connected' <<<"$out"; then
            return 0
        fi
        if (( ${EPOCHREALTIME/./} - ${t0/./} >= timeout * 1000000 )); then
            fail "backends not all connected within ${timeout}s: $(tr '\n' ';' <<<"$out")"
            return 1
        fi
        fsleep 0.2
    done
}

# test_result: print the word of the guest's "Test result: WORD" line if it is the last
# non-empty console line; "none" if there is no such line; "late" if there is one but
# other output follows it.
test_result() {
    local last
    [ -f "$console" ] || { echo none; return 0; }
    last=$(tr -d '\r' <"$console" | grep -v '^[[:space:]]*$' | tail -n 1)
    if [[ $last =~ Test\ result:\ ([A-Z]+) ]]; then
        echo "${BASH_REMATCH[1]}"
    elif tr -d '\r' <"$console" | grep -q 'Test result:'; then
        echo late
    else
        echo none
    fi
}
