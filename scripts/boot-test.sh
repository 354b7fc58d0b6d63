#!/bin/bash
# scripts/boot-test.sh [-k] [NAME|FILE.test ...]
#
# Runs boot tests in ONE nested-Xen boot: QEMU -> Xen -> dom0 -> for each test: xl create,
# wait for the guest's final state, judge it.  With no arguments it runs every
# test/boot/*.test; a NAME means test/boot/NAME.test; a path ending in .test is used as is.
#
#   -k   keep: don't power off after the tests; keep failed domains and give a dom0 shell
#        on this terminal (xl list, /var/log/xen, ...).  Ends with `exit` or Ctrl-C.
#
# Output: one line per test (PASS/FAIL/SKIP), details for failures, a closing
# "N passed, N failed, N skipped" line; exit status 0 only if nothing failed.
# Files (build/boot-test/): serial.log (everything Xen and dom0 printed), NAME.console
# (guest console), NAME.diag (diagnostics of a failed test), initrd (what was booted).
# Environment: see scripts/nested.sh (MOTE_CACHE, MOTE_QEMU_TIMEOUT, V=1, ...) and
#   MOTE_CONSOLE_KIB  guest console bytes copied out per test (default 64 KiB)
#   MOTE_OUT          output directory instead of build/boot-test
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/nested.sh"

keep=0
if [ "${1:-}" = -k ]; then keep=1; shift; fi
case "${1:-}" in -h|--help) sed -n '2,18s/^# \{0,1\}//p' "$0"; exit 0 ;; esac

# ---------------------------------------------------------------------------------------------
# Which tests?
tests=()
if [ $# -eq 0 ]; then
    for f in "$NESTED_ROOT"/test/boot/*.test; do [ -e "$f" ] && tests+=("$f"); done
    [ ${#tests[@]} -gt 0 ] || nested_die "no test/boot/*.test files"
else
    for a in "$@"; do
        case "$a" in
        *.test) [ -f "$a" ] || nested_die "no such test file: $a"; tests+=("$(cd "$(dirname "$a")" && pwd)/$(basename "$a")") ;;
        *) [ -f "$NESTED_ROOT/test/boot/$a.test" ] || nested_die "no test named $a (no file test/boot/$a.test)"
           tests+=("$NESTED_ROOT/test/boot/$a.test") ;;
        esac
    done
fi

out=${MOTE_OUT:-$NESTED_BUILD/boot-test}
mkdir -p "$(dirname "$out")"
# One run at a time per output directory (a second one would delete the first one's files;
# and two QEMUs on a 2-core machine only slow each other down).
exec 8>"$out.lock"
if ! flock -n 8; then
    echo "boot-test: another boot-test is using $out; waiting for it to finish" >&2
    flock 8
fi
rm -rf "$out"
mkdir -p "$out"
run=$out/run
mkdir -p "$run/mote/tests" "$run/mote/build"

nested_prepare
nested_linux_guest

# ---------------------------------------------------------------------------------------------
# Read each test's variables on the host (a clean bash sources it and prints them), check
# its files exist and copy them into the per-run tree.
names=()
total_timeout=0
copy_build_file() { # PATH-RELATIVE-TO-build/ TEST-NAME
    local rel=$1 src=$NESTED_BUILD/$1
    if [ ! -f "$src" ]; then
        nested_die "test $2 needs build/$rel, which does not exist: build it first (make build/$rel; make images test-images builds all)"
    fi
    mkdir -p "$run/mote/build/$(dirname "$rel")"
    # A hard link costs nothing; fall back to a copy across file systems.
    ln -f "$src" "$run/mote/build/$rel" 2>/dev/null || cp "$src" "$run/mote/build/$rel"
}
for f in "${tests[@]}"; do
    n=$(basename "$f" .test)
    [[ $n =~ ^[A-Za-z0-9_.-]+$ ]] || nested_die "bad test name '$n' (letters, digits, _ . - only)"
    for m in "${names[@]}"; do [ "$m" != "$n" ] || nested_die "test $n given twice"; done
    vars=$(bash -c 'image= timeout=30 files=; . "$1" >/dev/null 2>&1 || exit 1
                    printf "%s\n" "$image" "$timeout" "$files" end' _ "$f") ||
        nested_die "$f: bash cannot source it (syntax error?)"
    { read -r image; read -r t; read -r files; } <<<"$vars"
    [ -n "$image" ] || nested_die "$f sets no image="
    [[ $t =~ ^[0-9]+$ ]] || nested_die "$f: timeout=$t is not a whole number of seconds"
    copy_build_file "$image" "$n"
    for x in $files; do copy_build_file "$x" "$n"; done
    cp "$f" "$run/mote/tests/$n.test"
    names+=("$n")
    total_timeout=$(( total_timeout + t + 15 ))   # 15 s: create + destroy + reporting
done

cp "$NESTED_ROOT/test/boot/lib.sh" "$run/mote/lib.sh"
cp "$NESTED_ROOT/scripts/dom0/boot-tests.sh" "$run/mote/main"
chmod +x "$run/mote/main"
cat >"$run/mote/config" <<EOF
MOTE_TESTS="${names[*]}"
MOTE_CONSOLE_KIB=${MOTE_CONSOLE_KIB:-64}
MOTE_KEEP=$keep
EOF
nested_initrd "$run" "$out/initrd"

# ---------------------------------------------------------------------------------------------
# Boot.  60 s allowance for QEMU+Xen+dom0, then each test's timeout plus 15 s.
limit=${MOTE_QEMU_TIMEOUT:-$(( 60 + total_timeout ))}
serial=$out/serial.log
: >"$serial"
echo "boot-test: ${#names[@]} test(s): ${names[*]} (timeout ${limit}s, log $serial)"
nested_t0=$EPOCHREALTIME   # times below count from QEMU's start
set +e
if [ "$keep" = 1 ]; then
    # Interactive: the serial console is this terminal (and is logged).
    nested_qemu_cmd "$out/initrd" -chardev "stdio,id=ser0,logfile=$serial,signal=on" -serial chardev:ser0
    "${NESTED_QEMU[@]}"
    status=$?
    tr -d '\r' <"$serial" >"$serial.tmp" && mv "$serial.tmp" "$serial"
else
    nested_qemu_cmd "$out/initrd" -serial stdio
    NESTED_QEMU_STDERR=$out/qemu.stderr
    nested_run_qemu "$limit" nested_capture "$serial" "$out/markers"
    status=$NESTED_STATUS
    if [ "$NESTED_INTERRUPTED" = 1 ]; then echo "boot-test: interrupted" >&2; exit 130; fi
fi
set -e
wall=$(nested_elapsed)

# ---------------------------------------------------------------------------------------------
# Split the serial log: guest consoles and diagnostics into files; results into a list.
awk -v dir="$out" '
    /^@@MOTE-BEGIN (console|diag) / { f = dir "/" $3 "." $2; printf "" > f; copying = 1; next }
    /^@@MOTE-END / { if (copying) close(f); copying = 0; next }
    copying { print > f }
' "$serial"
grep -a '^@@MOTE test=.* result=' "$serial" | tr -d '\r' >"$out/results" || true
# The serial log without the dumped consoles and diagnostics.
awk '/^@@MOTE-BEGIN /{skip = 1} !skip{print} /^@@MOTE-END /{skip = 0}' "$serial" >"$out/serial.clean"
rel=${out#"$NESTED_ROOT"/}

stage=$(nested_stage "$serial")
boot_time=$(grep -m1 ' @@MOTE stage=ready' "$out/markers" 2>/dev/null | cut -d' ' -f1 || true)

# ---------------------------------------------------------------------------------------------
# Report.
passed=0 failed=0 skipped=0
show_failure() { # NAME
    local n=$1 msgs
    if [ -s "$out/$n.console" ]; then
        echo "    --- guest console (last 60 lines; all: $rel/$n.console)"
        tail -n 60 "$out/$n.console" | sed 's/^/    | /'
    else
        echo "    --- guest console: empty"
    fi
    if [ -s "$out/$n.diag" ]; then
        echo "    --- diagnostics from dom0 ($rel/$n.diag)"
        sed 's/^/    | /' "$out/$n.diag"
    fi
    # Xen's and dom0's own messages while the test ran (e.g. Xen's register dump of a
    # crashed guest), without the console/diag dumps.
    msgs=$(awk -v n="$n" '
        $0 ~ "^@@MOTE test=" n " stage=setup" { on = 1; next }
        $0 ~ "^@@MOTE test=" n " result=" { on = 0 }
        on && !/^@@MOTE/' "$out/serial.clean")
    if [ -n "$msgs" ]; then
        echo "    --- Xen/dom0 messages on the serial console while $n ran (first 40 lines)"
        head -n 40 <<<"$msgs" | sed 's/^/    | /'
    fi
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
# What a test's dom0 hooks reported as they went: lines they printed starting with "dom0: ".
notes() { # NAME
    awk -v n="$1" '
        $0 ~ "^@@MOTE test=" n " stage=setup" { on = 1; next }
        $0 ~ "^@@MOTE test=" n " result=" { on = 0 }
        on && /^dom0: /' "$out/serial.clean" | tr -d '\r' | sed 's/^/    /'
}
for n in "${names[@]}"; do
    line=$(grep -a "^@@MOTE test=$n result=" "$out/results" | tail -n 1 || true)
    if [ -z "$line" ]; then
        failed=$((failed + 1))
        last=$(grep -a "^@@MOTE test=$n stage=" "$serial" | tr -d '\r' | tail -n 1 || true)
        if [ -n "$last" ]; then
            echo "FAIL $n: stage=$(field stage "$last") reason=\"the machine stopped while this test ran (see below)\""
            show_failure "$n"
        elif [ "$stage" != ready ]; then
            echo "FAIL $n: stage=$stage reason=\"not run: the boot did not get that far\""
        else
            echo "FAIL $n: stage=setup reason=\"not run (an earlier test stopped the machine?)\""
        fi
        continue
    fi
    result=$(field result "$line") tstage=$(field stage "$line") t=$(field time "$line")
    reason=$(sed -n 's/.* reason="\(.*\)"$/\1/p' <<<"$line")
    case "$result" in
    PASS) passed=$((passed + 1)); echo "PASS $n (${t}s)"; notes "$n" ;;
    SKIP) skipped=$((skipped + 1)); echo "SKIP $n (${t}s): $reason" ;;
    *)    failed=$((failed + 1)); echo "FAIL $n: stage=$tstage reason=\"$reason\" (${t}s)"
          show_failure "$n" ;;
    esac
done

# How did the machine end?  QEMU's status is 2N+1 when dom0 wrote verdict N to port 0xf4.
boot_ok=1
case $status in
1|3) ;;                               # verdict 0 (all passed) or 1 (some failed)
124|137)
    boot_ok=0
    echo "ERROR: QEMU timed out after ${limit}s (MOTE_QEMU_TIMEOUT); the boot last reached: $(nested_stage_text "$stage")" ;;
7)
    boot_ok=0
    echo "ERROR: dom0 reported a boot error:"
    grep -a '^@@MOTE boot-error' "$serial" | tr -d '\r' | sed 's/^/    /' ;;
*)
    boot_ok=0
    echo "ERROR: QEMU exited with status $status before the tests finished; the boot last reached: $(nested_stage_text "$stage")"
    if grep -aq 'Panic on CPU' "$serial"; then echo "    Xen panicked (see the serial log below)"; fi
    if grep -aq 'Domain 0 .*crashed' "$serial"; then echo "    dom0 crashed (Xen's register dump is in the serial log below)"; fi
    [ -s "$out/qemu.stderr" ] && sed 's/^/    qemu: /' "$out/qemu.stderr" ;;
esac
if [ "$boot_ok" = 0 ]; then
    echo "--- serial log, last 40 lines without console dumps (all: $rel/serial.log)"
    tail -n 40 "$out/serial.clean" | sed 's/^/    /'
fi
[ -n "$boot_time" ] && echo "boot-test: dom0 ready ${boot_time}s after start; whole run ${wall}s"
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$boot_ok" = 1 ] && [ "$failed" -eq 0 ]
