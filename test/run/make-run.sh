#!/bin/bash
# test/run/make-run.sh -- end-to-end test of `make run` (what `make run-test` and `make test`
# run): starts `make run PORT=...` in the background, as a newcomer would in a terminal, waits
# until the host port serves the sample site, fetches / and /style.css with curl and compares
# them byte for byte with site/, then presses "Ctrl-C" (SIGINT to make's process group, as the
# terminal would) and checks that make, run.sh and QEMU all ended and the port is closed.
#
# Usage: test/run/make-run.sh          (from anywhere; uses the tree it lives in)
# Environment:
#   MOTE_RUN_TEST_PORT     the host port (default 18080, away from make run's 8080)
#   MOTE_RUN_TEST_TIMEOUT  seconds allowed from `make run` to the first page (default 300:
#                          builds, the dom0 image on a first run, and the boot under TCG)
#   MAKE                   make program (the Makefile passes its own)
# Exit status 0 when every check passed. Output: build/run-test/make-run.log (make run's
# output); on failure, the tail of that log and of build/run/serial.log.
set -uo pipefail
export LC_ALL=C
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 1
port=${MOTE_RUN_TEST_PORT:-18080}
limit=${MOTE_RUN_TEST_TIMEOUT:-300}
out=$root/build/run-test
log=$out/make-run.log
url=http://127.0.0.1:$port
mkdir -p "$out"
rm -f "$out"/*.got

t0=$SECONDS
say() { echo "run-test [$((SECONDS - t0))s]: $*"; }
pid=
show_logs() {
    echo "--- make run's output (last 40 lines; all: ${log#"$root"/})"
    tail -n 40 "$log" 2>/dev/null | sed 's/^/    /'
    echo "--- build/run/serial.log (last 30 lines)"
    tail -n 30 build/run/serial.log 2>/dev/null | tr -d '\r' | sed 's/^/    /'
}
# fail STAGE MESSAGE: report, show the logs, stop whatever is still running, exit 1.
fail() {
    say "FAIL at $1: $2"
    show_logs
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -INT -- "-$pid" 2>/dev/null
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        kill -KILL -- "-$pid" 2>/dev/null
    fi
    exit 1
}
# port_open: does something accept connections on the port?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
# group_alive: is any process of make run's process group still there?
group_alive() { pgrep -g "$pid" >/dev/null 2>&1; }

command -v curl >/dev/null || fail setup "curl is missing (make deps)"
port_open && fail setup "port $port is already in use here; set MOTE_RUN_TEST_PORT"

# --- start: in its own process group (job control), as a shell in a terminal would run it,
# so that SIGINT reaches make, run.sh and QEMU together, as Ctrl-C does.
set -m
${MAKE:-make} --no-print-directory run PORT="$port" >"$log" 2>&1 </dev/null &
pid=$!
set +m
say "started make run PORT=$port (pid $pid); waiting up to ${limit}s for $url/"

# --- wait for the first page.
while :; do
    if curl -s -f -o "$out/index.got" --max-time 10 "$url/" 2>/dev/null; then break; fi
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid"
        fail boot "make run exited (status $?) before serving"
    fi
    (( SECONDS - t0 < limit )) || fail boot "no page at $url/ within ${limit}s"
    sleep 2
done
say "$url/ answered"

# --- the pages, byte for byte.
cmp -s "$out/index.got" site/index.html || fail fetch "GET / differs from site/index.html ($(wc -c <"$out/index.got") bytes vs $(wc -c <site/index.html))"
say "GET / = site/index.html ($(wc -c <site/index.html) bytes)"
curl -s -f -o "$out/style.got" --max-time 30 "$url/style.css" || fail fetch "GET /style.css failed (curl status $?)"
cmp -s "$out/style.got" site/style.css || fail fetch "GET /style.css differs from site/style.css"
say "GET /style.css = site/style.css ($(wc -c <site/style.css) bytes)"
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$url/no-such-page")
[ "$status" = 404 ] || fail fetch "GET /no-such-page gave $status, not 404"
say "GET /no-such-page = 404"

# The promised line (run.sh prints it when its own probe gets an answer, which may come a
# little after ours), and httpd's access log of those requests on the console.
for _ in $(seq 60); do grep -q "is at $url/ " "$log" && break; sleep 1; done
grep -q "is at $url/ " "$log" || fail output "make run printed no line saying where to browse ($url/) within 60s of serving"
grep -q '"GET /style.css HTTP/1.1" 200' "$log" || fail output "no access log line for /style.css on the guest console"
say "make run said: $(grep -o "Mote's httpd.*is at $url/" "$log" | head -n 1)"

# --- Ctrl-C: SIGINT to the whole process group; everything must end within 60 s.
kill -INT -- "-$pid" || fail stop "cannot signal make run's process group"
for _ in $(seq 60); do group_alive || break; sleep 1; done
if group_alive; then
    ps -o pid,stat,etime,args -g "$pid" | sed 's/^/    /'
    fail stop "processes of make run are still there 60s after SIGINT"
fi
wait "$pid"
rc=$?
say "after SIGINT: make run exited with status $rc, no process of it is left"
port_open && fail stop "port $port still accepts connections after make run ended"
grep -q 'interrupted' "$log" || fail stop "run.sh did not report the interruption"
say "port $port is closed"
say "PASS (${SECONDS}s)"
