#!/usr/bin/env bash
# Instructions per request in the server's own process (user space: ours,
# llhttp and libc), counted by callgrind: unlike req/s, the same for the same
# binary and inputs to a few instructions, so a change of a few per cent
# shows. On a quiet machine: on a busy one the server's batches grow and what
# runs once per batch is shared by more requests (round 18: 1,508 instead of
# 1,571 during a CI run). The kernel's share (most of the cost) is not counted.
# Beside them, the lines of code (64 bytes, what the CPU fetches and caches)
# that run on every request: how spread out the code a request runs is, a
# guide to its layout as the instructions are to its work (docs/performance.md,
# round 17: a build laid out by a profile ran 122 lines kept alive instead of
# 174 and served about 1 % more). The canned loop (bench/canned.c, the
# benchmark's limit) is counted alike.
#
#   bench/instructions.sh              # or: make bench-instr
#   N=20000 HTTPD_BIN=./httpd bench/instructions.sh
#
# Scenarios: the 612-byte index page on 10 keep-alive connections (a short
# head, then the 15 lines a browser sends), and one connection per request
# (Connection: close); the canned loop kept alive and on new connections.
# Loopback only.
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
gcc -O2 -Wall -Wextra -o "$OUT/canned" bench/canned.c
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

# Each scenario: callgrind the server over N requests (plus a warm-up of
# N/10 not counted: the counts of two runs are subtracted).
run() { # SERVER REQUESTS MODE OUT: each instruction's count, into OUT
	local port cmd
	port=$($PYTHON -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	if [ "$1" = canned ]; then
		cmd=("$OUT/canned" "$port")
	else
		cmd=("$HTTPD_BIN" -f -p "127.0.0.1:$port" -h "$TMP/www")
	fi
	valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file="$TMP/cg.out" \
		"${cmd[@]}" 2>"$TMP/vg.log" &
	VPID=$!
	$PYTHON - "$port" "$2" "$3" <<'EOF'
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
	$PYTHON - "$TMP/cg.out" >"$4" <<'EOF'
import sys
# callgrind's "positions: instr line": a cost line is an address in the
# object named by the last "ob=" (absolute, +/- relative to the last one, or
# * for the same), a source line, then the Ir count; the line after
# "calls=" is the call's inclusive cost, not the instruction's own.
count, ob, addr, skip = {}, "", 0, False
for line in open(sys.argv[1]):
    if line[:1] in "0123456789+-*":
        if skip:
            skip = False
            continue
        f = line.split()
        a = f[0]
        addr = addr if a == "*" else addr + int(a, 0) if a[0] in "+-" else int(a, 0)
        if len(f) >= 3:
            count[ob, addr] = count.get((ob, addr), 0) + int(f[2])
    elif line.startswith("ob="):
        ob = line[3:].split(")")[0]  # "(n) name" the first time, "(n)" after
    elif line.startswith("calls="):
        skip = True
for (o, a), n in count.items():
    print(o, a, n)
EOF
}

# per_request N A B: instructions per request, and the lines of code (64
# bytes) in which some instruction ran for at least 9 requests in 10
per_request() {
	$PYTHON - "$@" <<'EOF'
import sys
n, runs = int(sys.argv[1]), []
for f in sys.argv[2:]:
    runs.append({(o, int(x)): int(c) for o, x, c in (l.split() for l in open(f))})
a, b = runs
if not a or not b:
    sys.exit("callgrind gave no counts")
ir = sum(b.values()) - sum(a.values())
lines = {(o, x >> 6) for o, x in b if b[o, x] - a.get((o, x), 0) >= 0.9 * n}
print("%d | %d" % (ir // n, len(lines)))
EOF
}

for scenario in header keepalive browser close canned canned-close; do
	if [ "$scenario" = header ]; then
		printf '| scenario | instructions per request (user space) | lines of code run on every request |\n|---|---:|---:|\n'
		continue
	fi
	server=httpd mode=$scenario
	case $scenario in
	canned) server=canned mode=keepalive ;;
	canned-close) server=canned mode=close ;;
	esac
	run "$server" $((N / 10)) "$mode" "$TMP/a"
	run "$server" $((N + N / 10)) "$mode" "$TMP/b"
	r=$(per_request "$N" "$TMP/a" "$TMP/b") || die "callgrind gave no counts (see $TMP/vg.log)"
	printf '| %s | %s |\n' \
		"$(case $scenario in close) echo "612 B, new connection each" ;;
			browser) echo "612 B, keep-alive, a browser's head (15 lines)" ;;
			canned) echo "the canned loop (the limit), keep-alive" ;;
			canned-close) echo "the canned loop, new connection each" ;;
			*) echo "612 B, keep-alive" ;; esac)" "$r"
done | tee "$OUT/instructions.md"
