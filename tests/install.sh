#!/bin/sh
# make install / make uninstall into a temporary DESTDIR: every file where
# PREFIX says, with its mode, the installed binary runs and its man pages
# render; then uninstall leaves none of them behind.
set -u
cd "$(dirname "$0")/.."
D=$(mktemp -d /tmp/httpd-install.XXXXXX) || exit 1
trap 'rm -rf "$D"' EXIT
P=/usr/local
fails=0 passes=0
ok() { echo "install: ok   $*"; passes=$((passes + 1)); }
ko() { echo "install: FAIL $*"; fails=$((fails + 1)); }
check() { # check NAME COMMAND...
	name=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else ko "$name"; fi
}
mode_is() { [ -f "$1" ] && [ "$(stat -c %a "$1")" = "$2" ]; }

make --no-print-directory install PREFIX=$P DESTDIR="$D" >"$D.log" 2>&1 ||
	{ cat "$D.log"; rm -f "$D.log"; echo "install: FAIL make install"; exit 1; }
rm -f "$D.log"
check "sbin/httpd, mode 755" mode_is "$D$P/sbin/httpd" 755
check "share/man/man8/httpd.8, mode 644" mode_is "$D$P/share/man/man8/httpd.8" 644
check "share/man/man5/httpd.conf.5, mode 644" mode_is "$D$P/share/man/man5/httpd.conf.5" 644
check "the installed binary runs (--version)" "$D$P/sbin/httpd" --version
check "httpd.8 renders" mandoc -T ascii "$D$P/share/man/man8/httpd.8"
check "httpd.conf.5 renders" mandoc -T ascii "$D$P/share/man/man5/httpd.conf.5"
n=$(find "$D" -type f | wc -l)
check "nothing else installed ($n files)" [ "$n" = 3 ]

make --no-print-directory uninstall PREFIX=$P DESTDIR="$D" >/dev/null 2>&1 || ko "make uninstall"
n=$(find "$D" -type f | wc -l)
check "uninstall removes them all ($n files left)" [ "$n" = 0 ]

echo "install: $passes passed, $fails failed"
[ "$fails" = 0 ]
