#!/bin/bash
# test/hosted/httpd.sh BINARY: httpd's hosted tests (part of make hosted-test).
#
# Runs build/linux/mote-httpd on a TAP device inside a network namespace that this script
# creates and always removes, serving a tar archive (a --disk file) of the sample site plus
# generated files with known SHA-256 sums. Linux's curl is the client for every feature;
# malformed requests are written raw with nc.
#
#     namespace mote-httpd-PID:   10.0.0.1/24 on TAP motetap0  <->  Mote httpd, 10.0.0.2:80
#
# Each test prints PASS or FAIL; the last line counts them.
set -u

BINARY=$(realpath "${1:?usage: httpd.sh build/linux/mote-httpd}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NAME=httpd
URL=http://10.0.0.2
. "$(dirname "$0")/lib.sh"

need_tools ip curl nc sha256sum tar

# ---- The site -------------------------------------------------------------------------------
mkdir -p "$WORK/site"
cp -r "$ROOT/site/." "$WORK/site/"
: > "$WORK/site/empty.txt"
head -c 1000 /dev/urandom > "$WORK/site/small.bin"
head -c $((8 * 1024 * 1024)) /dev/urandom > "$WORK/site/big.bin"
mkdir -p "$WORK/site/dir with space" "$WORK/site/a/very/deep/directory/tree/that/needs/a/long/name/in/the/archive"
echo "spaced" > "$WORK/site/dir with space/file.txt"
echo "deep" > "$WORK/site/a/very/deep/directory/tree/that/needs/a/long/name/in/the/archive/page-with-a-long-name.html"
# tar's default (GNU) format, so the long name goes through a 'L' header.
(cd "$WORK/site" && tar -cf "$WORK/site.tar" .)

# ---- The namespace, and httpd in it ---------------------------------------------------------
make_namespace
make_tap vnet_hdr

# start_httpd ARGS...: run httpd with 8 MiB of memory (less than big.bin: it must stream).
start_httpd() {
	start_app "httpd: serving" --disk "$WORK/site.tar" --memory 8 ip=10.0.0.2/24 "$@" || exit 1
}

stop_httpd() { stop_app; }

# get PATH [CURL ARGS...]: fetch into $WORK/body, headers into $WORK/head; prints the status.
# (curl leaves the output file alone when there is no body, hence the rm.)
get() {
	local path=$1; shift
	rm -f "$WORK/body" "$WORK/head"
	touch "$WORK/body"
	in_ns curl -s -o "$WORK/body" -D "$WORK/head" -w '%{http_code}' --max-time 10 "$@" "$URL$path"
}
header() { tr -d '\r' < "$WORK/head" | sed -n "s/^$1: //Ip" | head -1; }
# raw TEXT: send bytes as they are, print the status line of the answer.
raw() { printf "$1" | in_ns timeout 5 nc -q 2 10.0.0.2 80 | head -1 | tr -d '\r'; }

start_httpd head_timeout=2 idle_timeout=3 connections=8

# ---- Files ----------------------------------------------------------------------------------
ok=1
while IFS= read -r -d '' file; do
	path=${file#"$WORK/site"}
	encoded=$(printf '%s' "$path" | sed 's/ /%20/g')
	status=$(get "$encoded")
	if [ "$status" != 200 ] || [ "$(sha256sum < "$WORK/body")" != "$(sha256sum < "$file")" ]; then
		echo "    $path: status $status or different contents"
		ok=0
	fi
done < <(find "$WORK/site" -type f -print0)
check "every file of the site, byte-identical (SHA-256; 0 B to 8 MiB, long names)" [ $ok = 1 ]

check "index.html for /" [ "$(get /)" = 200 ] && cmp -s "$WORK/body" "$WORK/site/index.html"
check "index.html for a directory" [ "$(get /about/)" = 200 ]
check "301 to the slash for a directory without one" \
	[ "$(get /about)" = 301 -a "$(header Location)" = /about/ ]
check "404 for a missing file" [ "$(get /missing.html)" = 404 ]
check "400 for ../ outside the site" [ "$(get /%2e%2e/etc/passwd)" = 400 ]

status=$(get /style.css)
check "Content-Type and Content-Length" [ "$status" = 200 -a "$(header Content-Type)" = "text/css; charset=utf-8" \
	-a "$(header Content-Length)" = "$(stat -c %s "$WORK/site/style.css")" ]
# HEAD, written raw: curl -I would print the headers as the body.
head_bytes=$(printf 'HEAD /small.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | in_ns timeout 5 nc -q 2 10.0.0.2 80)
check "HEAD: the headers of a GET, no body" [ "$(head -1 <<<"$head_bytes" | tr -d '\r')" = "HTTP/1.1 200 OK" ] &&
	grep -q '^Content-Length: 1000' <<<"$head_bytes" && [ -z "$(sed '1,/^\r*$/d' <<<"$head_bytes")" ]
check "405 for POST, with Allow" [ "$(get / -X POST -d x)" = 405 -a "$(header Allow)" = "GET, HEAD" ]

# ---- Ranges and conditional requests --------------------------------------------------------
status=$(get /small.bin -r 100-199)
check "206 for a byte range, with the right bytes" [ "$status" = 206 ] && \
	cmp -s "$WORK/body" <(tail -c +101 "$WORK/site/small.bin" | head -c 100) && \
	[ "$(header Content-Range)" = "bytes 100-199/1000" ]
status=$(get /small.bin -r -10)
check "206 for the last 10 bytes" [ "$status" = 206 ] && cmp -s "$WORK/body" <(tail -c 10 "$WORK/site/small.bin")
check "416 for a range past the end" [ "$(get /small.bin -r 5000-6000)" = 416 -a "$(header Content-Range)" = "bytes */1000" ]
get /index.html > /dev/null
etag=$(header ETag)
modified=$(header Last-Modified)
check "ETag and Last-Modified present" [ -n "$etag" -a -n "$modified" ]
check "304 for If-None-Match with the ETag" [ "$(get /index.html -H "If-None-Match: $etag")" = 304 -a ! -s "$WORK/body" ]
check "200 for If-None-Match with another tag" [ "$(get /index.html -H 'If-None-Match: "other"')" = 200 ]
check "304 for If-Modified-Since the Last-Modified" [ "$(get /index.html -H "If-Modified-Since: $modified")" = 304 ]

# ---- Malformed and oversized requests -------------------------------------------------------
check "400 for a malformed request line" [ "$(raw 'GARBAGE\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ]
check "400 for HTTP/1.1 without Host" [ "$(raw 'GET / HTTP/1.1\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ]
check "505 for HTTP/2.0" [ "$(raw 'GET / HTTP/2.0\r\nHost: x\r\n\r\n')" = "HTTP/1.1 505 HTTP Version Not Supported" ]
long=$(head -c 3000 /dev/zero | tr '\0' a)
check "414 for a long URI" [ "$(get "/$long")" = 414 ]
check "431 for headers that are too large" [ "$(get / -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' b)")" = 431 ]
check "413 for a large body" [ "$(raw 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n')" = "HTTP/1.1 413 Content Too Large" ]
check "408 for a request head that never ends" \
	[ "$( (printf 'GET / HTTP/1.1\r\nHost: x\r\n'; sleep 4) | in_ns timeout 8 nc 10.0.0.2 80 | head -1 | tr -d '\r')" = "HTTP/1.1 408 Request Timeout" ]

# ---- Connections ----------------------------------------------------------------------------
# 1,000 requests on one kept-alive connection: curl reuses it for every URL on its list.
for i in $(seq 1000); do echo "url = \"$URL/small.bin\""; echo "output = \"/dev/null\""; done > "$WORK/urls"
connects=$(in_ns curl -s -K "$WORK/urls" -w '%{num_connects} %{http_code}\n' | awk '{c += $1; if ($2 != 200) bad++} END {print c + 0, bad + 0}')
check "1,000 keep-alive requests on one connection (connects, errors: $connects)" [ "$connects" = "1 0" ]

# Two requests in one packet (pipelining): both answered, in order.
answers=$(printf 'GET /style.css HTTP/1.1\r\nHost: x\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	in_ns timeout 5 nc -q 3 10.0.0.2 80 | tr -d '\r' | grep -a '^HTTP/1.1' | cut -d' ' -f2 | tr '\n' ' ')
check "pipelined requests answered in order ($answers)" [ "$answers" = "200 404 " ]

# Slowloris: more silent connections than httpd's 8 slots; a real client is still served.
idle=
for i in $(seq 20); do
	sleep 20 | ip netns exec "$NS" nc 10.0.0.2 80 > /dev/null 2>&1 &
	idle="$idle $!"
done
sleep 1
check "served beside 20 idle connections (8 slots)" [ "$(get /index.html)" = 200 ]
kill $idle 2>/dev/null
wait $idle 2>/dev/null

check "access log line" grep -q 'httpd: 10.0.0.1:[0-9]* "GET /small.bin HTTP/1.1" 206 100' "$WORK/mote.log"
stop_httpd

start_httpd log=off
get /index.html > /dev/null
check "log=off: no access log" not grep -q '"GET /index.html' "$WORK/mote.log"
stop_httpd

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
