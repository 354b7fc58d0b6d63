#!/bin/bash
# test/hosted/run.sh BINARY: the hosted network tests (make hosted-test).
#
# Runs build/linux/mote-echo (app/echo) on a TAP device inside a network namespace that this
# script creates and always removes, with Linux's own ping, nc and TCP stack as the peer:
#
#     namespace mote-hosted-PID:   10.0.0.1/24 on TAP motetap0  <->  Mote, 10.0.0.2/24
#
# Nothing leaves the namespace. Needs root (ip netns, TAP devices) and ping, nc
# (netcat-openbsd), sha256sum; the DHCP round runs dnsmasq in the namespace as the server. Each test prints PASS or FAIL; the last line counts them.
# The round runs three times: with checksum offload (the default), with --no-offload, so both
# the offload hints and the stack's own checksums meet Linux's checks, and with --loss 3,
# where Mote drops 3% of the frames each way on purpose and TCP must recover.
set -u

BINARY=$(realpath "${1:?usage: run.sh build/linux/mote-echo}")
NAME=hosted
DHCP_PID=
extra_cleanup() {
	[ -n "$DHCP_PID" ] && kill "$DHCP_PID" 2>/dev/null && wait "$DHCP_PID" 2>/dev/null
}
. "$(dirname "$0")/lib.sh"

need_tools ip ping nc sha256sum
make_namespace

# start_mote ARGS...: run the echo app, and wait until it says it serves.
start_mote() { start_app "echo: serving" "$@"; }
stop_mote() { stop_app; }

# tcp_echo NAME SIZE: send SIZE bytes through the TCP echo; compare SHA-256 both ways.
tcp_echo() {
	local name=$1 size=$2 start end ms
	head -c "$size" /dev/urandom > "$WORK/$name.in"
	start=$(date +%s%N)
	timeout 120 ip netns exec "$NS" nc -N 10.0.0.2 7 < "$WORK/$name.in" > "$WORK/$name.out"
	end=$(date +%s%N)
	ms=$(( (end - start) / 1000000 ))
	if [ "$(sha256sum < "$WORK/$name.in")" = "$(sha256sum < "$WORK/$name.out")" ]; then
		pass "$name ($size bytes in $ms ms, $(awk -v b="$size" -v ms="$ms" \
			'BEGIN { printf "%.1f", b / 1048576 / (ms > 0 ? ms : 1) * 1000 }') MiB/s each way)"
	else
		fail "$name: $(stat -c %s "$WORK/$name.out") of $size bytes came back, or they differ"
	fi
}

run_round() {
	local mode=$1; shift
	start_mote "$@" ip=10.0.0.2/24 gw=10.0.0.1 || { FAILED=$((FAILED + 1)); return; }

	if in_ns ping -c 3 -i 0.2 -W 2 10.0.0.2 > "$WORK/ping.log" 2>&1; then
		pass "ping ($mode): $(grep -o 'rtt.*' "$WORK/ping.log")"
	else
		fail "ping ($mode)"; cat "$WORK/ping.log"
	fi

	# A large ping: 1400 bytes of payload, near the MTU.
	if in_ns ping -c 2 -i 0.2 -W 2 -s 1400 10.0.0.2 > /dev/null 2>&1; then
		pass "ping-large ($mode)"
	else
		fail "ping-large ($mode)"
	fi

	# UDP does not retransmit, so neither would a lossy round: the test tries up to 3 times.
	printf 'hello, mote (%s)' "$mode" > "$WORK/udp.in"
	for _ in 1 2 3; do
		timeout 5 ip netns exec "$NS" nc -u -w 1 10.0.0.2 7 < "$WORK/udp.in" > "$WORK/udp.out"
		cmp -s "$WORK/udp.in" "$WORK/udp.out" && break
	done
	if cmp -s "$WORK/udp.in" "$WORK/udp.out"; then
		pass "udp-echo ($mode)"
	else
		fail "udp-echo ($mode): got '$(cat "$WORK/udp.out")'"
	fi

	if [ "$mode" = offload ]; then
		tcp_echo "tcp-echo-10MiB" $((10 * 1024 * 1024))
		# Several clients at once, all served by the one net_poll thread.
		for i in 1 2 3 4; do
			head -c 262144 /dev/urandom > "$WORK/par$i.in"
			timeout 60 ip netns exec "$NS" nc -N 10.0.0.2 7 < "$WORK/par$i.in" > "$WORK/par$i.out" &
		done
		wait $(jobs -p | grep -v "^$MOTE_PID$") 2>/dev/null
		ok=1
		for i in 1 2 3 4; do cmp -s "$WORK/par$i.in" "$WORK/par$i.out" || ok=0; done
		if [ $ok = 1 ]; then pass "tcp-echo-parallel (4 x 256 KiB)"; else fail "tcp-echo-parallel"; fi

		# 48 clients that connect and say nothing (more than the echo app's 32 slots), then
		# one that talks: it must still be served, and mote must not grow past its memory.
		idle_pids=
		for i in $(seq 48); do
			sleep 30 | ip netns exec "$NS" nc 10.0.0.2 7 > /dev/null 2>&1 &
			idle_pids="$idle_pids $!"
		done
		sleep 1
		tcp_echo "tcp-echo-beside-48-idle" $((64 * 1024))
		kill $idle_pids 2>/dev/null
		wait $idle_pids 2>/dev/null
	elif [ "$mode" = lossy ]; then
		tcp_echo "tcp-echo-2MiB-lossy" $((2 * 1024 * 1024))
	else
		tcp_echo "tcp-echo-1MiB-no-offload" $((1024 * 1024))
	fi

	# A connection to a closed port is refused (RST), not left hanging.
	if timeout 5 ip netns exec "$NS" nc -z -w 2 10.0.0.2 9 2>/dev/null; then
		fail "tcp-refused ($mode): port 9 accepted"
	else
		pass "tcp-refused ($mode)"
	fi
	stop_mote
}

# dhcp_round: no address on the command line, so Mote asks DHCP (dnsmasq here). The server
# offers T1 = 4 s, so the client must also renew its lease while the test watches.
dhcp_round() {
	if ! command -v dnsmasq > /dev/null; then
		fail "dhcp: dnsmasq is missing (scripts/deps.sh)"
		return
	fi
	ip netns exec "$NS" dnsmasq --no-daemon --port=0 --user=root --interface="$TAP" \
		--bind-interfaces --dhcp-range=10.0.0.50,10.0.0.59,255.255.255.0,120s \
		--dhcp-option=option:router,10.0.0.1 --dhcp-option=option:T1,4 \
		--dhcp-option=option:T2,7 --dhcp-leasefile="$WORK/leases" --no-resolv --no-hosts \
		--log-dhcp > "$WORK/dnsmasq.log" 2>&1 &
	DHCP_PID=$!
	start_mote || { FAILED=$((FAILED + 1)); return; }
	address=$(grep -o 'dhcp: [^:]*: [0-9.]*' "$WORK/mote.log" | awk '{print $3}')
	if [ -n "$address" ] && in_ns ping -c 2 -i 0.2 -W 2 "$address" > /dev/null 2>&1; then
		pass "dhcp ($address leased, answers ping)"
	else
		fail "dhcp: no address (${address:-none}) or no ping"
		tail -20 "$WORK/dnsmasq.log" | sed 's/^/    /'
	fi
	sleep 6
	if [ "$(grep -c 'DHCPACK(motetap0) '"$address" "$WORK/dnsmasq.log")" -ge 2 ]; then
		pass "dhcp-renew (lease renewed at T1)"
	else
		fail "dhcp-renew: no renewal seen"
		grep DHCP "$WORK/dnsmasq.log" | tail -10 | sed 's/^/    /'
	fi
	stop_mote
	kill "$DHCP_PID" 2>/dev/null
	wait "$DHCP_PID" 2>/dev/null
	DHCP_PID=
}

make_tap vnet_hdr
run_round offload
make_tap
run_round no-offload --no-offload
# 3% of the frames lost each way: retransmission, fast retransmit and reassembly, for real.
make_tap vnet_hdr
run_round lossy --loss 3
make_tap vnet_hdr
dhcp_round

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
