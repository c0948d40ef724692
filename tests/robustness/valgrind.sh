#!/usr/bin/env bash
# Run the integration suite with every httpd process under valgrind memcheck,
# then check each process' log: no memory errors, no definite or indirect
# leaks.
#
#   HTTPD=build/httpd tests/robustness/valgrind.sh [test-file-pattern]
#
# A server the suite kills with SIGKILL (the harness' __exit__ when a test
# leaves it running) writes no final summary, so its leaks cannot be judged:
# only logs carrying the final "ERROR SUMMARY" (the process exited: exit(),
# return from main, or a fatal signal) are checked, and the count of those
# that were not is reported. Memory errors found before a SIGKILL are still
# counted: they appear in the log as they happen.
#
# Without a pattern the test files run VG_JOBS at a time (default: one per
# core), each in its own run of the suite, longest first; with one, or with
# VG_JOBS=1, the suite runs once, serially.
#
# SUITE=path/to/run.py runs another copy of the suite (default
# tests/integration/run.py). HTTPD_SLOW=1 is exported for a harness that scales its waits under
# valgrind (about 20x slower). Exit status: 0 clean, 1 otherwise.
set -u
cd "$(dirname "$0")/../.."

real=$(realpath "${HTTPD:-./httpd}")
if [ ! -x "$real" ]; then
	echo "valgrind: no executable httpd at $real (set HTTPD)" >&2
	exit 2
fi
command -v valgrind >/dev/null || { echo "valgrind: not installed" >&2; exit 2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/httpd-vg.XXXXXX")
wrap="$dir/httpd"
# Some tests run the server as another user (root: -u 0 as nobody): the
# binary is copied here and the directory lets any user write a log into it
# (sticky, not listable), wherever the checkout is.
cp "$real" "$dir/httpd.bin" && chmod 755 "$dir/httpd.bin" && chmod 1733 "$dir" || exit 2
real=$dir/httpd.bin
cat >"$wrap" <<EOF
#!/bin/sh
# exec: the harness' pid is valgrind's, so signals and /proc/PID/fd reach it.
exec valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \\
	--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \\
	--track-origins=yes --num-callers=30 --vgdb=no \\
	--log-file="$dir/vg.%p.log" "$real" "\$@"
EOF
chmod 755 "$wrap"

echo "valgrind: logs in $dir"
start=$SECONDS
suite=${SUITE:-tests/integration/run.py}
# The suite runs its files VG_JOBS at a time (one valgrind per core), the
# longest first (tests/integration/run.py).
HTTPD="$wrap" HTTPD_SLOW=1 INTEGRATION_JOBS=${VG_JOBS:-$(nproc)} python3 "$suite" "$@" \
	>"$dir/suite.out" 2>&1
suite_rc=$?
summary=$(tail -n 1 "$dir/suite.out")
grep -E '^test_[a-z_]+\.py: ' "$dir/suite.out" | sed 's/^/  /'
grep -E '^(FAIL|ERROR):' "$dir/suite.out" | sed 's/^/  suite: /'
echo "  $summary"

total=0 checked=0 unchecked=0 bad=0 crashed=0
for log in "$dir"/vg.*.log; do
	[ -e "$log" ] || continue
	total=$((total + 1))
	errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log" | tail -n 1)
	sig=$(sed -n 's/.*terminating with default action of signal \([0-9]*\).*/\1/p' "$log" | head -n 1)
	case "$sig" in
	4 | 6 | 7 | 8 | 11) # SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGSEGV
		crashed=$((crashed + 1))
		bad=$((bad + 1))
		echo "  CRASH (signal $sig): $log"
		continue ;;
	"") ;;
	*) # killed by a signal it does not handle (e.g. SIGTERM before start-up
	   # blocked it): leaks mean nothing, errors still count
		errs="" ;;
	esac
	if [ -z "$errs" ]; then
		# Killed (SIGKILL, or another signal) before exiting: errors still count.
		unchecked=$((unchecked + 1))
		if grep -qE '^==[0-9]+== (Invalid|Conditional|Syscall param|Mismatched|Source and destination)' "$log"; then
			echo "  ERRORS before being killed: $log"
			bad=$((bad + 1))
		fi
		continue
	fi
	checked=$((checked + 1))
	def=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | tail -n 1)
	ind=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tr -d , | tail -n 1)
	if [ "$errs" != 0 ] || [ "${def:-0}" != 0 ] || [ "${ind:-0}" != 0 ]; then
		echo "  FAIL: $log: $errs errors, definitely lost ${def:-0} B," \
			"indirectly lost ${ind:-0} B"
		bad=$((bad + 1))
	fi
done

echo "valgrind: $total processes, $checked checked to exit (errors + leaks)," \
	"$unchecked killed by a signal (errors only), $crashed crashed, $bad with problems;" \
	"suite exit $suite_rc; $((SECONDS - start)) s"
if [ "$total" -eq 0 ] || [ "$checked" -eq 0 ] || [ "$bad" -ne 0 ] || [ "$suite_rc" -ne 0 ]; then
	echo "valgrind: FAILED (logs kept in $dir)"
	exit 1
fi
rm -rf "$dir"
echo "valgrind: clean"
