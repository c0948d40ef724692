#!/usr/bin/env bash
# Instructions per request in the server's own process (user space: ours,
# llhttp and libc), counted by callgrind: unlike req/s, the same for the same
# binary and inputs whatever else the machine is doing, so a change of a few
# per cent shows. The kernel's share (most of the cost) is not counted.
#
#   bench/instructions.sh              # or: make bench-instr
#   N=20000 HTTPD_BIN=./httpd bench/instructions.sh
#
# Scenarios: the 612-byte index page on 10 keep-alive connections (a short
# head, then the 15 lines a browser sends), and one connection per request
# (Connection: close). Loopback only.
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-10000}
OUT=${OUT:-build/bench}
PYTHON=${PYTHON:-python3}

die() { printf 'instructions: %s\n' "$*" >&2; exit 1; }
command -v valgrind >/dev/null || die "valgrind is needed (apt-get install valgrind)"
if [ -z "${HTTPD_BIN:-}" ]; then
	make -s BUILD=build/bench BIN=build/bench/httpd build/bench/httpd >&2
	HTTPD_BIN=build/bench/httpd
fi
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/httpd-instr.XXXXXX)
VPID=
cleanup() {
	[ -n "$VPID" ] && kill "$VPID" 2>/dev/null
	rm -rf "$TMP"
	return 0
}
trap cleanup EXIT
mkdir "$TMP/www"
head -c 612 /dev/zero | tr '\0' x >"$TMP/www/index.html"

# count SCENARIO: callgrind the server over N requests (plus a warm-up of
# N/10 not counted: the totals of two runs are subtracted).
total() { # REQUESTS MODE -> Ir of the whole process
	local port
	port=$($PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" \
		"$HTTPD_BIN" -f -p "127.0.0.1:$port" -h "$TMP/www" 2>"$TMP/vg.log" &
	VPID=$!
	$PYTHON - "$port" "$1" "$2" <<'EOF'
import socket, sys, time
port, n, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
deadline = time.monotonic() + 60
while True:  # the server under valgrind takes a moment to listen
    try:
        socket.create_connection(("127.0.0.1", port)).close()
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("server did not come up")
        time.sleep(0.1)
req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\nAccept: */*\r\n"
if mode == "browser":  # what a browser sends for a page (Chromium's 15 lines)
    req = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: keep-alive\r\n"
           b"Cache-Control: max-age=0\r\n"
           b"sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n"
           b"sec-ch-ua-mobile: ?0\r\nsec-ch-ua-platform: \"Linux\"\r\n"
           b"Upgrade-Insecure-Requests: 1\r\n"
           b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
           b"(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n"
           b"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
           b"image/webp,image/apng,*/*;q=0.8\r\n"
           b"Sec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-User: ?1\r\n"
           b"Sec-Fetch-Dest: document\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"
           b"Accept-Language: en-US,en;q=0.9\r\n" % port)


def answer(s, buf):
    """Read one whole response (612-byte body); return what follows it."""
    while b"\r\n\r\n" not in buf or len(buf.split(b"\r\n\r\n", 1)[1]) < 612:
        d = s.recv(65536)
        if not d:
            sys.exit("connection closed early")
        buf += d
    return buf.split(b"\r\n\r\n", 1)[1][612:]


if mode == "close":
    for _ in range(n):
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(req + b"Connection: close\r\n\r\n")
            answer(s, b"")
else:  # 10 connections, a request in flight on each (as wrk does)
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(10)]
    bufs = [b""] * len(socks)
    for _ in range(n // len(socks)):
        for s in socks:
            s.sendall(req + b"\r\n")
        for k, s in enumerate(socks):
            bufs[k] = answer(s, bufs[k])
    for s in socks:
        s.close()
EOF
	kill "$VPID"
	wait "$VPID" 2>/dev/null || true
	VPID=
	awk '/^summary:/ {print $2}' "$TMP/cg.out"
}

for mode in header keepalive browser close; do
	if [ "$mode" = header ]; then
		printf '| scenario | instructions per request (user space) |\n|---|---:|\n'
		continue
	fi
	a=$(total $((N / 10)) "$mode")
	b=$(total $((N + N / 10)) "$mode")
	[ -n "$a" ] && [ -n "$b" ] || die "callgrind gave no totals (see $TMP/vg.log)"
	printf '| 612 B, %s | %s |\n' \
		"$(case $mode in close) echo "new connection each" ;;
			browser) echo "keep-alive, a browser's head (15 lines)" ;;
			*) echo "keep-alive" ;; esac)" \
		"$(( (b - a) / N ))"
done | tee "$OUT/instructions.md"
