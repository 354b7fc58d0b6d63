# test/hosted/lib.sh -- what the hosted test scripts (run.sh, httpd.sh) share: a network
# namespace that is always removed, a TAP device in it with Linux's end of the link, the app
# started on it and stopped, and PASS/FAIL counting. Sourced after the script sets:
#   BINARY  the hosted Mote binary (build/linux/mote-APP)
#   NAME    a short name for messages and the namespace (mote-NAME-PID)
# and optionally defines extra_cleanup() for what else it starts (a DHCP server...).
#
#     namespace mote-NAME-PID:   10.0.0.1/24 on TAP motetap0  <->  Mote, 10.0.0.2/24

NS=mote-$NAME-$$
TAP=motetap0
WORK=$(mktemp -d "/tmp/mote-$NAME.XXXXXX")
PASSED=0
FAILED=0
MOTE_PID=

in_ns() { ip netns exec "$NS" "$@"; }

cleanup() {
	[ -n "$MOTE_PID" ] && kill "$MOTE_PID" 2>/dev/null && wait "$MOTE_PID" 2>/dev/null
	declare -F extra_cleanup >/dev/null && extra_cleanup
	ip netns del "$NS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

pass() { echo "PASS $1"; PASSED=$((PASSED + 1)); }
fail() {
	echo "FAIL $1"
	FAILED=$((FAILED + 1))
	echo "    --- mote's output (last 20 lines)"
	tail -20 "$WORK/mote.log" | sed 's/^/    /'
}
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
not() { ! "$@"; }

# need_tools TOOL...: stop with a clear message if one is missing.
need_tools() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || { echo "$NAME-test: $tool is missing (scripts/deps.sh)"; exit 1; }
	done
}

# make_namespace: the namespace, with its loopback up.
make_namespace() {
	ip netns add "$NS" || { echo "$NAME-test: cannot create a network namespace (root?)"; exit 1; }
	ip -n "$NS" link set lo up
}

# make_tap [vnet_hdr]: a fresh TAP device with Linux's end of the link on it. The device is
# recreated for each round because its vnet_hdr flag is fixed when it is made.
make_tap() {
	ip -n "$NS" link del "$TAP" 2>/dev/null
	ip -n "$NS" tuntap add dev "$TAP" mode tap "$@"
	ip -n "$NS" addr add 10.0.0.1/24 dev "$TAP"
	ip -n "$NS" link set "$TAP" up
}

# start_app READY ARGS...: run the app on the TAP device (ARGS: the platform's options, then
# the app's), and wait until its output has a line matching READY.
start_app() {
	local ready=$1
	shift
	# Not through in_ns: $! must be the process that becomes mote (ip netns exec execs it),
	# or the kill in stop_app would only reach a subshell and leave mote running.
	ip netns exec "$NS" "$BINARY" --tap "$TAP" "$@" > "$WORK/mote.log" 2>&1 &
	MOTE_PID=$!
	for _ in $(seq 100); do
		grep -q "$ready" "$WORK/mote.log" && return 0
		sleep 0.1
	done
	echo "$NAME-test: mote did not start"; cat "$WORK/mote.log"
	return 1
}

stop_app() {
	kill "$MOTE_PID" 2>/dev/null
	wait "$MOTE_PID" 2>/dev/null
	MOTE_PID=
}
