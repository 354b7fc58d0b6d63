#!/bin/bash
# Boot-test runner, run in dom0 as /mote/main once dom0 is ready (see rootfs/init).
# The host (scripts/boot-test.sh) packed into /mote:
#   config            MOTE_TESTS="name..." and options (below)
#   lib.sh            test/boot/lib.sh: helpers for the tests
#   tests/NAME.test   the test files
#   build/...         guest images and other files from the host's build/ directory
#
# For each test, in order: setup() -> xl create -> during() (in the background) -> wait
# for the guest's final state -> verdict (expect=) -> check() -> print the console ->
# xl destroy.  Everything it prints on the console is also read by the host; lines
# starting with @@MOTE are markers (format in docs/testing.md).
#
# Options in /mote/config:
#   MOTE_CONSOLE_KIB   print at most the last N KiB of each guest console (default 64)
#   MOTE_KEEP=1        keep failed domains and give a dom0 shell at the end
set -u
# (Xen's tools first: /usr/sbin/xl is Debian's version-picking wrapper script.)
export PATH=/usr/lib/xen-4.17/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
MOTE_TESTS=
MOTE_CONSOLE_KIB=64
MOTE_KEEP=0
. /mote/config
. /mote/lib.sh

marker() { echo "@@MOTE $*"; }
# quote TEXT: make TEXT safe inside reason="..." (one line, no double quotes).
quote() { local s=${1//\"/\'}; s=${s//$'\n'/; }; echo "${s:0:300}"; }

# Defaults of the test-file variables (a test file overrides what it needs).
reset_test_vars() {
    image= memory=32 cmdline= timeout=30 expect=success cfg_extra= files=
    unset -f setup during check 2>/dev/null
}

# xl_string TEXT: TEXT as a double-quoted xl config string.
xl_string() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; echo "\"$s\""; }

# print_console: the guest console (or its last MOTE_CONSOLE_KIB KiB) between markers.
print_console() {
    local size=0 limit=$(( MOTE_CONSOLE_KIB * 1024 ))
    [ -f "$console" ] && size=$(stat -c %s "$console")
    if (( size <= limit )); then
        echo "@@MOTE-BEGIN console $name bytes=$size shown=$size"
        [ "$size" -gt 0 ] && tr -d '\r' <"$console"
    else
        echo "@@MOTE-BEGIN console $name bytes=$size shown=$limit"
        echo "[... first $(( size - limit )) bytes not shown; the whole log is $console in dom0 ...]"
        tail -c "$limit" "$console" | tr -d '\r' | tail -n +2
    fi
    # End on a new line, so that the end marker starts its own line.
    [ "$size" -gt 0 ] && [ -n "$(tail -c 1 "$console")" ] && echo
    echo "@@MOTE-END console $name"
}

# print_diag: everything useful for understanding a failure, between markers.  (What Xen
# itself said, e.g. the register dump of a crashed guest, is on the serial console: the
# host shows the serial lines printed while the test ran.)
# descendants PID: "PID: command line" for each process below PID.
descendants() {
    local top=$1 stat line pid rest p
    local -A parent=()
    for stat in /proc/[0-9]*/stat; do
        line=$(<"$stat") 2>/dev/null || continue
        pid=${line%% *}
        rest=${line##*) }               # after "(comm) ": state, ppid, ...
        rest=${rest#* }
        parent[$pid]=${rest%% *}
    done
    for pid in $(printf '%s\n' "${!parent[@]}" | sort -n); do
        p=${parent[$pid]}
        while [ -n "$p" ] && [ "$p" -gt 1 ] && [ "$p" != "$top" ]; do p=${parent[$p]:-}; done
        [ "$p" = "$top" ] && echo "$pid: $(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null)"
    done
}

print_diag() {
    echo "@@MOTE-BEGIN diag $name"
    echo "=== domain state: $(domain_state) (domid ${domid:-none})"
    echo "=== backends in xenstore"
    backend_states
    echo "=== xl create -F output ($xl_log)"
    [ -f "$xl_log" ] && tail -n 40 "$xl_log"
    for f in /var/log/xen/xl-"$name".log /var/log/xen/qemu-dm-"$name".log; do
        [ -s "$f" ] && { echo "=== $f"; tail -n 40 "$f"; }
    done
    echo "=== hotplug log (/var/log/xen/hotplug.log, last 20 lines)"
    [ -f /var/log/xen/hotplug.log ] && tail -n 20 /var/log/xen/hotplug.log
    echo "=== xl config ($cfg)"
    [ -f "$cfg" ] && cat "$cfg"
    echo "@@MOTE-END diag $name"
}

# run_test NAME: runs in a subshell; prints the result marker; exit 0 pass, 1 fail, 2 skip.
run_test() {
    name=$1
    workdir=/run/mote/tests/$name
    cfg=$workdir/$name.cfg
    xl_log=$workdir/xl-create.log
    console=/var/log/xen/console/guest-$name.log
    domid= state=
    local stage=setup reason= result t0 xl_pid rc deadline during_pid= line
    mkdir -p "$workdir"
    rm -f "$console"
    reset_test_vars
    # shellcheck disable=SC1090
    . "/mote/tests/$name.test" || { reason="cannot source $name.test"; }

    finish() { # RESULT STAGE REASON
        result=$1 stage=$2 reason=$(quote "$3")
        marker "test=$name result=$result stage=$stage time=$(elapsed "$t0") reason=\"$reason\""
        : >"$workdir/finished"
    }
    # enter STAGE [MORE]: print the stage marker, and remember the stage in case the test
    # script dies (set -u, exit in a hook) before it prints a result.
    enter() { marker "test=$name stage=$*"; echo "$1" >"$workdir/stage"; }
    t0=$EPOCHREALTIME
    enter setup

    # --- setup ----------------------------------------------------------------------------
    if [ -n "$reason" ]; then finish FAIL setup "$reason"; print_diag; return 1; fi
    if [ -z "$image" ]; then finish FAIL setup "the test sets no image="; return 1; fi
    if [ ! -f "$build/$image" ]; then finish FAIL setup "image $image is not in the per-run archive"; return 1; fi
    if declare -F setup >/dev/null; then
        setup; rc=$?
        if [ $rc -ne 0 ] || [ -s "$workdir/fail-reason" ]; then
            finish FAIL setup "$(cat "$workdir/fail-reason" 2>/dev/null || echo "setup returned $rc")"
            print_diag; return 1
        fi
    fi

    # --- xl create --------------------------------------------------------------------------
    # cfg_extra comes last: xl uses the last setting of a key, so a test can override any.
    {
        echo "name = $(xl_string "$name")"
        echo "type = \"pv\""
        echo "kernel = $(xl_string "$build/$image")"
        echo "memory = $memory"
        [ -n "$cmdline" ] && echo "extra = $(xl_string "$cmdline")"
        echo 'on_poweroff = "preserve"'
        echo 'on_crash = "preserve"'
        echo 'on_reboot = "restart"'
        [ -n "$cfg_extra" ] && printf '%s\n' "$cfg_extra"
    } >"$cfg"
    enter create
    # -F: xl stays in the foreground and watches the domain: it prints "Waiting for domain"
    # once the guest runs and exits when the domain has shut down, crashed (we preserve
    # both) or was destroyed, printing the shutdown reason code.  No polling of `xl list`.
    xl create -F "$cfg" >"$xl_log" 2>&1 &
    xl_pid=$!
    deadline=$(( ${EPOCHREALTIME/./} + 60000000 ))
    while ! grep -q '^Waiting for domain' "$xl_log"; do
        if ! kill -0 "$xl_pid" 2>/dev/null; then
            wait "$xl_pid"; rc=$?
            # The first error lines say why; later ones are about cleaning up.
            finish FAIL xl-create "xl create failed (exit $rc): $(grep -iE 'error|fail|cannot|invalid' "$xl_log" | head -n 2)"
            print_console; print_diag; return 1
        fi
        if (( ${EPOCHREALTIME/./} > deadline )); then
            kill "$xl_pid" 2>/dev/null
            finish FAIL xl-create "xl create did not finish within 60s"
            print_console; print_diag; return 1
        fi
        fsleep 0.05
    done
    line=$(grep -m1 '^Waiting for domain' "$xl_log")
    [[ $line =~ \(domid\ ([0-9]+)\) ]] && domid=${BASH_REMATCH[1]}
    enter guest "domid=$domid t_create=$(elapsed "$t0")"

    # --- during() and waiting for the final state ------------------------------------------
    stage=guest
    if declare -F during >/dev/null; then
        ( during; rc=$?; [ -s "$workdir/fail-reason" ] && rc=1; exit $rc ) &
        during_pid=$!
    fi
    deadline=$(( ${EPOCHREALTIME/./} + timeout * 1000000 ))
    while kill -0 "$xl_pid" 2>/dev/null && (( ${EPOCHREALTIME/./} < deadline )); do
        fsleep 0.05
    done
    if kill -0 "$xl_pid" 2>/dev/null; then
        state=timeout
    else
        wait "$xl_pid"
        state=$(xl_log_state)
        [ -n "$state" ] || state=$(domain_state)
        refresh_domid
    fi
    console_settle
    marker "test=$name stage=final state=$state t_final=$(elapsed "$t0")"
    if [ -n "$during_pid" ]; then
        while kill -0 "$during_pid" 2>/dev/null && (( ${EPOCHREALTIME/./} < deadline )); do
            fsleep 0.05
        done
        if kill -0 "$during_pid" 2>/dev/null; then
            # What it was stuck in, so that nobody has to guess: its processes, deepest last.
            echo "during() of $name was still running these processes:"
            descendants "$during_pid" | sed 's/^/    /'
            kill "$during_pid" 2>/dev/null
            finish FAIL during "during() still running after the ${timeout}s timeout (its processes are on the serial console)"
            print_console; print_diag; return 1
        fi
        wait "$during_pid"; rc=$?
        if [ $rc -ne 0 ]; then
            finish FAIL during "$(cat "$workdir/fail-reason" 2>/dev/null || echo "during returned $rc")"
            print_console; print_diag; return 1
        fi
    fi

    # --- verdict ---------------------------------------------------------------------------
    local tr verdict=PASS why=
    if [ "$state" = timeout ]; then
        case "$expect" in
        success|crash|shutdown)
            verdict=FAIL why="timed out after ${timeout}s (domain state: $(domain_state))" ;;
        esac
    fi
    if [ "$verdict" = PASS ]; then
        case "$expect" in
        success)
            tr=$(test_result)
            case "$tr:$state" in
            SUCCESS:shutdown:poweroff) ;;
            SKIP:shutdown:poweroff) verdict=SKIP why="guest reported SKIP" ;;
            SUCCESS:*|SKIP:*) verdict=FAIL why="guest printed Test result: $tr but its final state is $state" ;;
            none:crashed) verdict=FAIL why="guest crashed (no Test result line)" ;;
            none:*) verdict=FAIL why="no 'Test result:' line on the console (final state: $state)" ;;
            late:*) verdict=FAIL why="console output continues after the 'Test result:' line (final state: $state)" ;;
            *) verdict=FAIL why="guest reported $tr (final state: $state)" ;;
            esac ;;
        crash)
            [ "$state" = crashed ] || verdict=FAIL why="expected a crash, final state is $state" ;;
        shutdown)
            [[ $state == shutdown:* ]] || verdict=FAIL why="expected a clean shutdown, final state is $state" ;;
        *)  declare -F check >/dev/null ||
                { verdict=FAIL why="expect=$expect needs a check() function"; } ;;
        esac
    fi

    # --- check() ---------------------------------------------------------------------------
    if [ "$verdict" != FAIL ] && declare -F check >/dev/null; then
        stage=check
        enter check
        check; rc=$?
        if [ $rc -ne 0 ] || [ -s "$workdir/fail-reason" ]; then
            verdict=FAIL why=$(cat "$workdir/fail-reason" 2>/dev/null || echo "check returned $rc")
        fi
    fi

    finish "$verdict" "$stage" "${why:-ok}"
    print_console
    [ "$verdict" = FAIL ] && print_diag
    case "$verdict" in PASS) return 0 ;; SKIP) return 2 ;; *) return 1 ;; esac
}

passed=0 failed=0 skipped=0
t_all=$EPOCHREALTIME
for t in $MOTE_TESTS; do
    ( run_test "$t" )
    rc=$?
    if [ ! -e "/run/mote/tests/$t/finished" ]; then
        # The test's shell died without a verdict.  Its error message is on the console above.
        marker "test=$t result=FAIL stage=$(cat "/run/mote/tests/$t/stage" 2>/dev/null || echo setup) time=0 reason=\"the test script died before a verdict (status $rc): an error in the test file, an unset variable (set -u) or exit in a hook; its error message is on the serial console\""
        rc=1
        name=$t console=/var/log/xen/console/guest-$t.log
        print_console
    fi
    case $rc in
    0) passed=$((passed + 1)) ;;
    2) skipped=$((skipped + 1)) ;;
    *) failed=$((failed + 1)) ;;
    esac
    if [ $rc -ne 1 ] || [ "$MOTE_KEEP" != 1 ]; then
        # Remove the domain (and its backends), in the background: the next test's xl create
        # can start meanwhile.  (No `xl domid` check first: every xl call costs ~0.3 s.)
        timeout 30 xl destroy "$t" >/dev/null 2>&1 &
    fi
done
wait   # for the last xl destroy
marker "summary passed=$passed failed=$failed skipped=$skipped time=$(elapsed "$t_all")"

if [ "$MOTE_KEEP" = 1 ]; then
    echo "dom0: -k given: here is a shell (xl list, /var/log/xen, /run/mote). 'exit' powers off."
    cd /run/mote && setsid -c bash -i
fi
mote-exit $(( failed > 0 ? 1 : 0 ))
