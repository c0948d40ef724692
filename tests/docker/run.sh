#!/usr/bin/env bash
# Builds the Docker image for real and smoke-tests the container.
#
# No Docker Hub here: a private dockerd (own socket, data and exec roots under a
# temp dir), a local base image made with debootstrap from the machine's own
# Debian mirror, `docker build --build-arg BASE=local/debian:bookworm`, then the
# container on the host network, checked with curl. See ../../../shared/docker-notes.md.
#
# Environment:
#   DOCKER_TEST_OPTIONAL=1   when Docker cannot be used at all (no root, dockerd
#                            will not start, packages cannot be installed), print
#                            "docker: SKIPPED: <reason>" and exit 0 instead of 1.
#   DOCKER_TEST_CACHE=DIR    where the debootstrap tarball is kept between runs
#                            (default build/rootfs-cache, shared with
#                            make fresh-check; empty: no cache).
#   DOCKER_TEST_KEEP=1       keep the temp dir (logs) after the run.
#
# Exit: 0 when every check passed (or skipped as above), 1 otherwise.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${DOCKER_TEST_CACHE-$ROOT/build/rootfs-cache}
. "$ROOT/tests/rootfs.sh"
BASE_IMAGE=local/debian:bookworm
IMAGE=local/httpd:test
MAX_IMAGE_BYTES=2000000     # "under 2 MB"
MAX_STOP_MS=2000
T0=$(date +%s)

say() { printf 'docker: %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - T0 ))s"; }

# Docker is unusable for a reason outside our code.
unavailable() {
	if [ "${DOCKER_TEST_OPTIONAL:-}" = 1 ]; then
		say "SKIPPED: $*"
		exit 0
	fi
	say "cannot run: $* (set DOCKER_TEST_OPTIONAL=1 to skip instead of failing)"
	exit 1
}

# --- root ---------------------------------------------------------------------
# dockerd, debootstrap and mounts need root: re-run the whole script under sudo.
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		exec sudo -n --preserve-env=DOCKER_TEST_OPTIONAL,DOCKER_TEST_CACHE,DOCKER_TEST_KEEP \
			"$0" "$@"
	fi
	unavailable "needs root (or password-less sudo) to run dockerd and debootstrap"
fi

# --- tools --------------------------------------------------------------------
missing=
command -v dockerd >/dev/null || missing="$missing docker.io"
command -v docker >/dev/null || missing="$missing docker.io"
command -v debootstrap >/dev/null || missing="$missing debootstrap"
command -v curl >/dev/null || missing="$missing curl"
if [ -n "$missing" ]; then
	missing=$(echo $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')
	say "installing:$missing"
	command -v apt-get >/dev/null || unavailable "no apt-get to install:$missing"
	{ timeout 300 apt-get update -qq &&
	  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq $missing
	} >/dev/null </dev/null || unavailable "cannot install:$missing"
fi

# --- temp dir and cleanup -----------------------------------------------------
W=$(mktemp -d /tmp/httpd-docker.XXXXXX) || unavailable "cannot create a temp dir"
DOCKERD_PID= BG_PID=

# bg_run SECONDS COMMAND...: a long step, bounded by timeout(1), and run in the
# background so that a signal reaches our trap at once (bash defers traps while
# a foreground command runs); timeout(1) passes a TERM on to the command.
bg_run() {
	local rc
	timeout "$@" &
	BG_PID=$!
	wait "$BG_PID"
	rc=$?
	BG_PID=
	return "$rc"
}
export DOCKER_HOST=unix://$W/docker.sock
export DOCKER_BUILDKIT=0    # the legacy builder: BuildKit would pull a frontend

teardown() {
	local pid i m
	[ -z "${TORN_DOWN:-}" ] || return 0
	TORN_DOWN=1
	if [ -n "$BG_PID" ] && kill -0 "$BG_PID" 2>/dev/null; then
		kill -TERM "$BG_PID" 2>/dev/null
		for i in $(seq 1 50); do
			kill -0 "$BG_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$BG_PID" 2>/dev/null
		wait "$BG_PID" 2>/dev/null
	fi
	if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
		for c in $(timeout 10 docker ps -aq 2>/dev/null); do
			timeout 15 docker rm -f "$c" >/dev/null 2>&1
		done
		kill -TERM "$DOCKERD_PID" 2>/dev/null
		for i in $(seq 1 100); do
			kill -0 "$DOCKERD_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$DOCKERD_PID" 2>/dev/null
		wait "$DOCKERD_PID" 2>/dev/null
	fi
	# The containerd that dockerd started goes with it, unless dockerd was killed.
	if [ -r "$W/exec/containerd/containerd.pid" ]; then
		pid=$(cat "$W/exec/containerd/containerd.pid")
		[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = containerd ] &&
			kill -TERM "$pid" 2>/dev/null
	fi
	# dockerd leaves exec/netns/default mounted; unmount it and anything else
	# below $W (deepest first) so that rm -rf cannot reach into a mount.
	for m in $(awk -v w="$W" 'index($2, w "/") == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	if [ "${DOCKER_TEST_KEEP:-}" = 1 ]; then
		say "kept $W"
	else
		rm -rf --one-file-system "$W"
	fi
}
cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM HUP
	teardown
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- the engine ---------------------------------------------------------------
# A dead proxy makes any accidental pull from a public registry fail at once.
HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 no_proxy= \
	dockerd --bridge=none --iptables=false \
		--data-root "$W/data" --exec-root "$W/exec" \
		--pidfile "$W/dockerd.pid" -H "unix://$W/docker.sock" \
		>"$W/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for i in $(seq 1 60); do
	timeout 5 docker info >/dev/null 2>&1 && break
	if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
		tail -n 20 "$W/dockerd.log" | sed 's/^/  dockerd: /'
		unavailable "dockerd exited at start-up"
	fi
	sleep 0.5
done
if ! timeout 5 docker info >/dev/null 2>&1; then
	tail -n 20 "$W/dockerd.log" | sed 's/^/  dockerd: /'
	unavailable "dockerd did not answer within 30 s"
fi
say "engine up ($(docker version -f '{{.Server.Version}}' 2>/dev/null), $(elapsed))"

# --- the local base image -----------------------------------------------------
if [ -n "$CACHE" ] && [ -s "$CACHE/$ROOTFS_NAME" ]; then
	say "base image from cache $CACHE/$ROOTFS_NAME"
else
	say "debootstrap bookworm (minbase) from the machine's apt mirror"
fi
if ! ROOTFS_RUN=bg_run rootfs_tarball "$CACHE" "$W" 2>"$W/rootfs.err"; then
	sed 's/^/  /' "$W/rootfs.err"
	unavailable "$(tail -n 1 "$W/rootfs.err")"
fi
TARBALL=$ROOTFS_TAR
bg_run 300 docker import "$TARBALL" "$BASE_IMAGE" >/dev/null ||
	unavailable "docker import of the base image failed"
say "base image $BASE_IMAGE ready ($(elapsed))"

# --- the checks ---------------------------------------------------------------
PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); say "ok   $*"; }
ko() { FAILED=$((FAILED + 1)); say "FAIL $*"; }
check() { # check NAME COMMAND...
	local name=$1; shift
	if "$@"; then ok "$name"; else ko "$name"; fi
}
finish() {
	teardown
	say "total time $(elapsed), image $IMAGE_SIZE bytes, docker stop $STOP_MS ms"
	say "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
	exit
}
IMAGE_SIZE=? STOP_MS=?

# Build: a failure here is ours.
if bg_run 900 docker build --network host --build-arg BASE="$BASE_IMAGE" \
	-t "$IMAGE" "$ROOT" >"$W/build.log" 2>&1; then
	ok "docker build ($(elapsed))"
else
	tail -n 30 "$W/build.log" | sed 's/^/  build: /'
	ko "docker build"
	finish
fi

size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
IMAGE_SIZE=$size
say "image size: $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.2f MB", s / 1e6 }'))"
check "image under $MAX_IMAGE_BYTES bytes" test "$size" -lt "$MAX_IMAGE_BYTES"

cfg=$(docker image inspect -f '{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}|{{json .Config.ExposedPorts}}' "$IMAGE")
check "image config: user, entrypoint, cmd, port ($cfg)" \
	test "$cfg" = '65534:65534|["/httpd"]|["-f","-v","-p","8080","-h","/www","--health"]|{"8080/tcp":{}}'
hc=$(docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$IMAGE")
check "image health check is the binary's own probe ($hc)" \
	test "$hc" = '["CMD","/httpd","--probe","http://127.0.0.1:8080/healthz"]'

# The final image holds the binary and the site, nothing else (docker export
# adds the container's own /dev, /proc, /sys, /etc/hosts... : ignored).
cid=$(docker create "$IMAGE" 2>/dev/null)
list=$(timeout 60 docker export "$cid" | tar -t)
docker rm -f "$cid" >/dev/null 2>&1
extra=$(grep -v -E '^(\./)?(\.dockerenv|dev/.*|proc/|sys/|etc/(hosts|hostname|resolv\.conf|mtab)?|httpd|www/.*)$' <<<"$list")
check "image holds only /httpd and /www${extra:+ (also: $(echo $extra))}" \
	eval 'grep -x -E "(\./)?httpd" <<<"$list" >/dev/null && [ -z "$extra" ]'

# A free port on the host network, below the ephemeral range: a port in it
# may be the local end of any outgoing connection, and then bind fails.
free_port() {
	local p i low
	low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${low:-0}" -gt 20100 ] || low=32768
	for i in $(seq 1 50); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % (low - 20000)))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}
# wait_up PORT CONTAINER: until the server answers (bounded).
wait_up() {
	local i
	for i in $(seq 1 50); do
		curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
		[ "$(docker inspect -f '{{.State.Running}}' "$2" 2>/dev/null)" = true ] || return 1
		sleep 0.2
	done
	return 1
}

PORT=$(free_port) || { ko "no free port"; finish; }
C=httpd-test
# Arguments after the image replace CMD (busybox-style options).
if ! docker run -d --name "$C" --network host "$IMAGE" -f -v -p "$PORT" -h /www \
	>/dev/null 2>"$W/run.err" || ! wait_up "$PORT" "$C"; then
	sed 's/^/  run: /' "$W/run.err"
	docker logs "$C" 2>&1 | tail -n 20 | sed 's/^/  logs: /'
	ko "container serves on port $PORT"
	finish
fi
ok "container serves on port $PORT"
URL=http://127.0.0.1:$PORT

# Index page: 200, text/html, and the bytes of www/index.html.
r=$(curl -s --max-time 5 -o "$W/index" -w '%{http_code} %{content_type}' "$URL/")
check "GET / -> 200 text/html ($r)" eval '[[ $r == "200 text/html"* ]]'
if [ -f "$ROOT/www/index.html" ]; then
	check "GET / serves www/index.html" cmp -s "$W/index" "$ROOT/www/index.html"
fi

# The calculator API.
want='{"operands":[2,3],"sum":5}'
r=$(curl -s --max-time 5 -o "$W/api" -w '%{http_code} %{content_type}' "$URL/api/calcul?a=2&b=3")
body=$(cat "$W/api")
same_json() { # same_json A B: equal as JSON (as text without blanks when no python3)
	if command -v python3 >/dev/null; then
		python3 -c 'import json, sys; sys.exit(json.loads(sys.argv[1]) != json.loads(sys.argv[2]))' \
			"$1" "$2" 2>/dev/null
	else
		[ "$(printf %s "$1" | tr -d ' \t\r\n')" = "$2" ]
	fi
}
check "GET /api/calcul?a=2&b=3 -> 200 application/json ($r)" eval '[[ $r == "200 application/json"* ]]'
check "GET /api/calcul?a=2&b=3 -> $want (got: $(printf %s "$body" | head -c 200 | tr '\n' ' '))" \
	same_json "$body" "$want"

r=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$URL/no/such/file.html")
check "GET /no/such/file.html -> 404 ($r)" test "$r" = 404

# The server process runs as an unprivileged user: read its ids from /proc.
pid=$(docker inspect -f '{{.State.Pid}}' "$C")
ids=$(awk '/^Uid:|^Gid:/ { printf "%s%s %s %s %s", sep, $2, $3, $4, $5; sep = " / " }' "/proc/$pid/status" 2>/dev/null)
not_root() { [ -n "$ids" ] && ! grep -qE '(^| )0( |$)' <<<"$ids"; }
check "process (pid $pid) is not root (uid/gid: $ids)" not_root
check "process runs as 65534:65534" \
	eval '[ "$ids" = "65534 65534 65534 65534 / 65534 65534 65534 65534" ]'

# Access log on stdout/stderr, hence in docker logs.
# (grep without -q: with pipefail, -q could SIGPIPE docker logs into a failure)
logs=$(docker logs "$C" 2>&1)
check "docker logs shows the access log line" \
	eval 'grep -E "\"GET / HTTP/1\\.1\" [0-9]{3} " <<<"$logs" >/dev/null'

# SIGTERM as PID 1: docker stop must not wait out its 10 s grace period.
t=$(date +%s%N)
timeout 20 docker stop -t 10 "$C" >/dev/null
ms=$(( ($(date +%s%N) - t) / 1000000 ))
STOP_MS=$ms
check "docker stop returns in under $MAX_STOP_MS ms ($ms ms)" test "$ms" -lt "$MAX_STOP_MS"
code=$(docker inspect -f '{{.State.ExitCode}}' "$C")
check "exit status after SIGTERM is 0 ($code)" test "$code" = 0
docker rm -f "$C" >/dev/null 2>&1

# The image as it is (default CMD, port 8080 in its own network namespace):
# Docker runs the HEALTHCHECK (/httpd --probe) inside it until `healthy`.
# Only the interval is shortened, so the test need not wait 10 s.
C=httpd-test-health
if docker run -d --name "$C" --network none --health-interval=1s "$IMAGE" \
	>/dev/null 2>"$W/run.err"; then
	hs=
	for i in $(seq 1 60); do
		hs=$(docker inspect -f '{{.State.Health.Status}}' "$C" 2>/dev/null)
		[ "$hs" = healthy ] || [ "$hs" = unhealthy ] && break
		sleep 0.5
	done
	check "HEALTHCHECK: docker says healthy ($hs)" test "$hs" = healthy
	if [ "$hs" != healthy ]; then
		docker inspect -f '{{json .State.Health}}' "$C" 2>&1 | head -c 600 | sed 's/^/  health: /'
	fi
else
	sed 's/^/  run: /' "$W/run.err"
	ko "HEALTHCHECK: container started"
fi
docker rm -f "$C" >/dev/null 2>&1

# Your own site, mounted read-only over /www, as the README says.
mkdir -p "$W/site"
echo '<!doctype html><title>mine</title><p>my own site' >"$W/site/index.html"
chmod 755 "$W/site"; chmod 644 "$W/site/index.html"
PORT=$(free_port) || { ko "no free port"; finish; }
C=httpd-test-site
if docker run -d --name "$C" --network host -v "$W/site:/www:ro" "$IMAGE" \
	-f -v -p "$PORT" -h /www >/dev/null 2>"$W/run.err" && wait_up "$PORT" "$C"; then
	r=$(curl -s --max-time 5 "http://127.0.0.1:$PORT/" -w ' %{http_code}')
	check "mounted site is served (${r##* })" eval '[[ $r == *"my own site"* ]]'
else
	sed 's/^/  run: /' "$W/run.err"
	docker logs "$C" 2>&1 | tail -n 20 | sed 's/^/  logs: /'
	ko "mounted site is served"
fi
docker rm -f "$C" >/dev/null 2>&1

finish
