#!/bin/sh
# Static analysis of our code (src/*.c; not llhttp): cppcheck, then
# clang-tidy with the checks of .clang-tidy; then mandoc -T lint on the man
# pages (man/). Exits non-zero on any finding.
# A finding judged false is silenced where it is, with its reason:
#   cppcheck:   // cppcheck-suppress ID
#   clang-tidy: // NOLINT(check-name)
set -u
cd "$(dirname "$0")/.."

LLHTTP_INC=${LLHTTP_INC:-/usr/share/include/llhttp}
CPPCHECK=${CPPCHECK:-cppcheck}
CLANG_TIDY=${CLANG_TIDY:-$(command -v clang-tidy-14 || command -v clang-tidy)}
JOBS=${JOBS:-2}
DEFS="-D_GNU_SOURCE"
INCS="-Iinclude -I$LLHTTP_INC"
status=0
mkdir -p build

echo "== cppcheck ($($CPPCHECK --version))"
# warning/performance/portability: real defects; "style" here is mostly
# scope and always-true hints, noise for this code base.
$CPPCHECK --enable=warning,performance,portability --inline-suppr \
	--std=c11 $DEFS $INCS --error-exitcode=1 --quiet \
	--suppress=missingIncludeSystem src/ || status=1

echo "== clang-tidy ($("$CLANG_TIDY" --version | sed -n 's/.*version //p'))"
# One process per file, JOBS at a time: in one process clang-tidy 14 keeps
# analyzer state across files (false valist.Uninitialized reports).
ls src/*.c | xargs -P "$JOBS" -I{} "$CLANG_TIDY" --quiet {} -- \
	-std=c11 $DEFS $INCS >build/lint-tidy.txt 2>build/lint-tidy.err
rc=$?
if grep -q 'warning:\|error:' build/lint-tidy.txt; then
	cat build/lint-tidy.txt
	status=1
elif [ $rc -ne 0 ]; then
	cat build/lint-tidy.err >&2
	status=1
fi
echo "== mandoc -T lint (man/)"
# -W warning: style hints (e.g. "sections out of conventional order") count too.
mandoc -T lint -W warning man/*.[0-9] || status=1

[ $status -eq 0 ] && echo "lint: clean"
exit $status
