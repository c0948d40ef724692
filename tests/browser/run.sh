#!/bin/bash
# Headless Chromium against the real server.
#   run.sh             the calculator page, raw-dump mode, a directory listing;
#                      "browser: N passed, N failed" per test file
#   run.sh screenshot  docs/calcul.png: the calculator showing a result;
#                      docs/inspector.png, docs/chat.png: the lesson pages
# HTTPD names the binary (default ./httpd). Every wait is bounded; the servers
# started here are always stopped.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
HTTPD=${HTTPD:-$root/httpd}
mode=${1:-test}
tmp=$(mktemp -d)
pids=()

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "browser: $*" >&2; echo "browser: 0 passed, 1 failed"; exit 1; }

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server VAR args...: httpd on a free port, its URL into VAR.
start_server() {
	local var=$1 try port pid i
	shift
	for try in 1 2 3 4 5; do # a port picked free may be taken before we bind it
		port=$(free_port)
		"$HTTPD" -f -p "127.0.0.1:$port" -h "$root/www" "$@" \
			>"$tmp/httpd-$port.out" 2>"$tmp/httpd-$port.err" </dev/null &
		pid=$!
		for i in $(seq 50); do
			if ! kill -0 "$pid" 2>/dev/null; then
				break
			fi
			if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
				pids+=("$pid")
				printf -v "$var" 'http://127.0.0.1:%s' "$port"
				return 0
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	cat "$tmp"/httpd-*.err >&2
	return 1
}

[ -x "$HTTPD" ] || die "no server binary at $HTTPD (set HTTPD or run make)"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing (make deps installs it)"
# npm ci again whenever package-lock.json changed since the last one.
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.httpd-lock.json"; then
	(cd "$here" && timeout 300 npm ci --no-audit --no-fund &&
		cp package-lock.json node_modules/.httpd-lock.json) ||
		die "npm ci failed"
fi

start_server BASE_URL || die "httpd did not start"
export BASE_URL
start_server LESSON_URL --inspect --chat || die "httpd --inspect --chat did not start"
export LESSON_URL
case $mode in
screenshot)
	mkdir -p "$root/docs"
	OUT="$root/docs/calcul.png" timeout 120 node "$here/screenshot.mjs" &&
	OUT_DIR="$root/docs" timeout 120 node "$here/lesson-screenshot.mjs"
	;;
*)
	start_server DUMP_URL -D || die "httpd -D did not start"
	export DUMP_URL
	timeout 180 node "$here/calcul.test.mjs"
	rc=$?
	HTTPD="$HTTPD" timeout 180 node "$here/listing.test.mjs" || rc=1
	HTTPD="$HTTPD" timeout 180 node "$here/webapp.test.mjs" || rc=1
	timeout 180 node "$here/lesson.test.mjs" || rc=1
	exit $rc
	;;
esac
