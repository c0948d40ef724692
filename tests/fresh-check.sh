#!/usr/bin/env bash
# make fresh-check: the README's two commands, on their first run, on a fresh
# Debian 12 as a newcomer has it.
#
# A debootstrap minbase rootfs (tests/rootfs.sh, cached in build/rootfs-cache),
# the host's apt sources, CA certificates, resolver and npm config copied in,
# only git and make installed; the committed HEAD of this checkout cloned into
# /root/httpd (uncommitted changes are not part of the check). Then, inside:
#   1. `make run PORT=P` in the background until http://127.0.0.1:P/ serves
#      www/index.html byte for byte (the time to the first page is printed),
#      then stopped;
#   2. `make test`, the Docker stage skipped with a line saying so (no Docker
#      inside the rootfs; the host's `make test` runs it). Any other skipped
#      test is a failure: on a fresh machine it means a missing install step.
# Downloaded .deb files are kept in build/rootfs-cache/apt (installing them is
# still part of every run).
#
# Environment: FRESH_CACHE=DIR (default build/rootfs-cache), FRESH_KEEP=1
# (keep the temp dir with its logs). Needs root (or password-less sudo).
# Exit: 0 when everything passed, 1 otherwise.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/tests/rootfs.sh"
CACHE=${FRESH_CACHE:-$ROOT/build/rootfs-cache}
RUN_TIMEOUT=1800    # s until make run serves its first page
TEST_TIMEOUT=3600   # s for make test
T0=$SECONDS

say() { printf 'fresh-check: %s\n' "$*"; }
die() { say "FAIL: $*"; exit 1; }

if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		exec sudo -n --preserve-env=FRESH_CACHE,FRESH_KEEP "$0" "$@"
	fi
	die "needs root (or password-less sudo): debootstrap, chroot, mounts"
fi
for t in debootstrap chroot curl git; do
	command -v "$t" >/dev/null || die "$t is not installed (apt-get install $t)"
done

W=$(mktemp -d /tmp/httpd-fresh.XXXXXX) || die "cannot create a temp dir"
R=$W/rootfs
RUN_PID=

# Every process whose root is the rootfs (the server, make, npm...), by PID.
inside_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && echo "${p#/proc/}"
	done
}
stop_inside() {
	local i pids
	[ -n "$RUN_PID" ] && kill -TERM -- "-$RUN_PID" 2>/dev/null
	for i in $(seq 1 50); do
		pids=$(inside_pids)
		[ -z "$pids" ] && break
		[ "$i" = 25 ] && kill -TERM $pids 2>/dev/null
		sleep 0.2
	done
	pids=$(inside_pids)
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	[ -n "$RUN_PID" ] && wait "$RUN_PID" 2>/dev/null
	RUN_PID=
}
cleanup() {
	local rc=$? m left
	set +e
	trap - EXIT INT TERM HUP
	stop_inside
	for m in $(awk -v w="$W" 'index($2, w "/") == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	left=$(awk -v w="$W" 'index($2, w "/") == 1 { print $2 }' /proc/self/mounts)
	if [ -n "$left" ]; then
		say "FAIL: still mounted, $W kept: $left"
		rc=1
	elif [ "${FRESH_KEEP:-}" = 1 ]; then
		say "kept $W"
	else
		rm -rf --one-file-system "$W"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# in_root CMD...: a login-like clean environment inside the rootfs.
in_root() {
	chroot "$R" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
log_tail() { tail -n "${2:-30}" "$1" | sed 's/^/  | /'; }

# --- the root filesystem -------------------------------------------------------
t=$SECONDS
[ -s "$CACHE/$ROOTFS_NAME" ] && how=cached || how=debootstrap
rootfs_tarball "$CACHE" "$W" 2>"$W/rootfs.err" || { cat "$W/rootfs.err"; die "no rootfs"; }
mkdir -p "$R" && tar -C "$R" --numeric-owner -xf "$ROOTFS_TAR" || die "cannot unpack $ROOTFS_TAR"
T_ROOTFS=$((SECONDS - t))
say "rootfs ready ($how, ${T_ROOTFS} s)"

# The host's package mirror, registry access and name resolution.
rm -f "$R/etc/apt/sources.list" "$R/etc/apt/sources.list.d/"*
cp /etc/apt/sources.list "$R/etc/apt/" 2>/dev/null
cp /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list "$R/etc/apt/sources.list.d/" 2>/dev/null
[ -n "$(cat "$R/etc/apt/sources.list" "$R/etc/apt/sources.list.d/"* 2>/dev/null)" ] ||
	die "no apt sources on this host"
mkdir -p "$R/usr/local/share/ca-certificates" "$R/etc/ssl/certs"
cp -r /usr/local/share/ca-certificates/. "$R/usr/local/share/ca-certificates/" 2>/dev/null
cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/" 2>/dev/null
[ -r /etc/npmrc ] && cp /etc/npmrc "$R/etc/npmrc"
cp -L /etc/resolv.conf "$R/etc/resolv.conf"
cp /etc/hosts "$R/etc/hosts"

for d in proc sys dev dev/pts dev/shm; do mkdir -p "$R/$d"; done
mount -t proc proc "$R/proc" &&
	mount --bind /sys "$R/sys" && mount -o remount,bind,ro "$R/sys" &&
	mount --bind /dev "$R/dev" && mount --bind /dev/pts "$R/dev/pts" &&
	mount -t tmpfs -o mode=1777,nosuid,nodev shm "$R/dev/shm" || die "mounts failed"
mkdir -p "$CACHE/apt/partial" "$R/var/cache/apt/archives"
mount --bind "$CACHE/apt" "$R/var/cache/apt/archives" || die "apt cache mount failed"

# --- git and make, nothing else ---------------------------------------------------
t=$SECONDS
in_root sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git make' \
	>"$W/apt.log" 2>&1 </dev/null || { log_tail "$W/apt.log"; die "apt-get install git make"; }
T_APT=$((SECONDS - t))
say "git and make installed (${T_APT} s)"

# --- the committed HEAD, cloned as a newcomer would --------------------------------
head=$(git -C "$ROOT" rev-parse HEAD) || die "no git HEAD in $ROOT"
[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ] ||
	say "note: uncommitted changes in $ROOT are not part of this check"
git -C "$ROOT" bundle create "$R/tmp/httpd.bundle" HEAD >/dev/null 2>&1 || die "git bundle"
in_root git clone -q /tmp/httpd.bundle /root/httpd >"$W/clone.log" 2>&1 ||
	{ log_tail "$W/clone.log"; die "git clone"; }
[ "$(in_root git -C /root/httpd rev-parse HEAD)" = "$head" ] || die "the clone is not at $head"
say "cloned ${head:0:12} into /root/httpd"

# --- 1. make run ---------------------------------------------------------------
free_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 12000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}
PORT=$(free_port) || die "no free port"
t=$SECONDS
# Its own session: the whole group (make, then the server) is stopped by PID.
setsid chroot "$R" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	sh -c "cd /root/httpd && exec make run PORT=$PORT" >"$W/run.log" 2>&1 </dev/null &
RUN_PID=$!
say "make run PORT=$PORT started (pid $RUN_PID)"
served=
while [ $((SECONDS - t)) -lt $RUN_TIMEOUT ]; do
	if curl -s -f --max-time 2 -o "$W/index.html" "http://127.0.0.1:$PORT/"; then
		served=1
		break
	fi
	kill -0 "$RUN_PID" 2>/dev/null || break
	sleep 1
done
T_FIRST=$((SECONDS - t))
if [ -z "$served" ]; then
	log_tail "$W/run.log" 40
	kill -0 "$RUN_PID" 2>/dev/null && die "make run served nothing within $RUN_TIMEOUT s"
	die "make run ended before serving a page"
fi
say "first page served ${T_FIRST} s after make run (packages, build and start)"
cmp -s "$W/index.html" "$R/root/httpd/www/index.html" ||
	die "GET / is not www/index.html byte for byte"
say "ok   GET / == www/index.html ($(stat -c %s "$W/index.html") bytes)"
grep -q 'No rule to make target' "$W/run.log" && die "make run printed 'No rule to make target'"
stop_inside
[ -z "$(inside_pids)" ] || die "processes left inside the rootfs after make run"
curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$PORT/" && die "the server still answers after stop"
say "ok   make run stopped, nothing left running"

# --- 2. make test --------------------------------------------------------------
t=$SECONDS
say "make test (log: $W/test.log)"
timeout "$TEST_TIMEOUT" chroot "$R" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	sh -c 'cd /root/httpd && exec make test DOCKER_TEST_SKIP="no Docker inside the fresh-check rootfs (the host make test runs it)"' \
	>"$W/test.log" 2>&1 </dev/null
rc=$?
T_TEST=$((SECONDS - t))
grep -E '^[a-z]+: [0-9]+ passed|SKIPPED' "$W/test.log" | sed 's/^/  /'
[ $rc = 0 ] || { log_tail "$W/test.log" 60; die "make test exited $rc after ${T_TEST} s"; }
grep -q 'No rule to make target' "$W/test.log" && die "make test printed 'No rule to make target'"
skips=$(grep -E "skipped '|[0-9]+ skipped|SKIPPED" "$W/test.log" | grep -v '^docker: SKIPPED: no Docker inside the fresh-check rootfs')
[ -z "$skips" ] || { echo "$skips" | sed 's/^/  | /'; die "tests skipped on a fresh machine (a missing install step?)"; }
grep -q '^docker: SKIPPED: no Docker inside the fresh-check rootfs' "$W/test.log" &&
	say "docker stage skipped in fresh-check: no Docker inside the rootfs (the host's make test runs it)"
stop_inside
say "ok   make test passed (${T_TEST} s)"

say "PASSED: rootfs ${T_ROOTFS} s ($how), git+make ${T_APT} s, first page after make run ${T_FIRST} s, make test ${T_TEST} s, total $((SECONDS - T0)) s"
