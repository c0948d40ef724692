#!/usr/bin/env bash
# A fresh Debian 12 (bookworm) minbase root filesystem, as a tarball made by
# debootstrap from the machine's own apt mirror and cached between runs.
# Sourced (bash) by tests/docker/run.sh (the image's base) and
# tests/fresh-check.sh (the newcomer's machine); needs root and debootstrap.
#
#   rootfs_mirror                      the Debian mirror of this machine's apt
#                                      sources (never a hard-coded host)
#   rootfs_tarball CACHE WORKDIR       sets ROOTFS_TAR to the tarball: CACHE's
#                                      copy, else a new one (in WORKDIR, copied
#                                      into CACHE when CACHE is not empty); 1 on
#                                      failure, the reason last on stderr.
# ROOTFS_RUN names the runner of the long debootstrap step (default timeout;
# the Docker test passes its bg_run, so a signal reaches its trap at once).
# One maker at a time per CACHE (flock on CACHE/.lock): a second waits, then
# finds the first one's tarball.
#
# Run as a command, `tests/rootfs.sh CACHE` makes CACHE's tarball if it is not
# there (installing debootstrap if missing): CI starts it in the background
# while the suites run, and the Docker test finds it made.

ROOTFS_NAME=debian-bookworm-minbase.tar

rootfs_mirror() {
	local f=/etc/apt/sources.list.d/debian.sources m=
	if [ -r "$f" ]; then
		m=$(awk '/^URIs:/ && !/security/ { print $2; exit }' "$f")
	fi
	if [ -z "$m" ]; then
		m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" && !/security/ {
				for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }')
	fi
	echo "$m"
}

rootfs_tarball() {
	local lock rc
	[ -n "$1" ] || { rootfs_make "$@"; return; }
	mkdir -p "$1" && exec {lock}>"$1/.lock" || return 1
	if ! flock -w 1200 "$lock"; then
		exec {lock}>&-
		echo "another maker of $1/$ROOTFS_NAME held it for 1200 s" >&2
		return 1
	fi
	rootfs_make "$@"
	rc=$?
	exec {lock}>&-
	return $rc
}

rootfs_make() {
	local cache=$1 w=$2 mirror tar
	ROOTFS_TAR=
	if [ -n "$cache" ] && [ -s "$cache/$ROOTFS_NAME" ]; then
		ROOTFS_TAR=$cache/$ROOTFS_NAME
		return 0
	fi
	mirror=$(rootfs_mirror)
	if [ -z "$mirror" ]; then
		echo "no Debian mirror found in /etc/apt/sources*" >&2
		return 1
	fi
	if ! ${ROOTFS_RUN:-timeout} 900 debootstrap --variant=minbase bookworm "$w/rootfs" \
		"$mirror" >"$w/debootstrap.log" 2>&1; then
		tail -n 20 "$w/debootstrap.log" | sed 's/^/  debootstrap: /' >&2
		echo "debootstrap failed" >&2
		return 1
	fi
	rm -rf "$w"/rootfs/var/cache/apt/archives/*.deb "$w"/rootfs/var/lib/apt/lists/*
	# apt-get inside uses the same mirror.
	rm -f "$w/rootfs/etc/apt/sources.list.d/"*.sources
	echo "deb $mirror bookworm main" >"$w/rootfs/etc/apt/sources.list"
	tar="$w/rootfs.tar"
	if ! tar -C "$w/rootfs" --numeric-owner -cf "$tar" .; then
		echo "cannot tar the rootfs" >&2
		return 1
	fi
	rm -rf --one-file-system "$w/rootfs"
	if [ -n "$cache" ] && mkdir -p "$cache" &&
	   cp "$tar" "$cache/.base.$$" && mv "$cache/.base.$$" "$cache/$ROOTFS_NAME"; then
		echo "rootfs: cached in $cache/$ROOTFS_NAME" >&2
	fi
	ROOTFS_TAR=$tar
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	cache=${1:?usage: tests/rootfs.sh CACHE_DIR}
	[ "$(id -u)" = 0 ] || { echo "rootfs: needs root (debootstrap)" >&2; exit 1; }
	if ! command -v debootstrap >/dev/null; then
		{ timeout 300 apt-get -o DPkg::Lock::Timeout=120 update -qq &&
		  DEBIAN_FRONTEND=noninteractive timeout 300 \
			apt-get -o DPkg::Lock::Timeout=120 install -y -qq debootstrap
		} </dev/null || { echo "rootfs: cannot install debootstrap" >&2; exit 1; }
	fi
	w=$(mktemp -d /tmp/httpd-rootfs.XXXXXX) || exit 1
	trap 'rm -rf --one-file-system "$w"' EXIT
	t=$SECONDS
	rootfs_tarball "$cache" "$w" || exit 1
	echo "rootfs: $cache/$ROOTFS_NAME ready ($((SECONDS - t)) s)"
fi
