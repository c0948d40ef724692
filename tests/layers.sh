#!/bin/sh
# Layering check: the modules of src/ stand in the order written on the
# "Layers:" line of docs/architecture.md (bottom first; "→"
# separates levels, modules of one level are separated by spaces). A
# module (src/NAME.c and include/NAME.h) may include only the headers of
# modules on a lower level: an include upward, sideways or of a module
# the line does not name fails, and so can no include cycle come back.
set -u
cd "$(dirname "$0")/.."

line=$(grep -h -m1 '^Layers:' README.md docs/*.md 2>/dev/null | head -n1)
if [ -z "$line" ]; then
	echo "layers: no 'Layers:' line in README.md (or docs/*.md)" >&2
	exit 1
fi

# "Layers: `a` → `b` `c` → ..." into "NAME LEVEL" lines.
order=$(printf '%s\n' "${line#Layers:}" | tr -d '`.' | sed 's/→/\n/g' |
	awk '{ for (i = 1; i <= NF; i++) print $i, NR }')

level() {
	printf '%s\n' "$order" | awk -v m="$1" '$1 == m { print $2; exit }'
}

status=0
for f in src/*.c include/*.h; do
	[ -e "$f" ] || continue
	m=$(basename "$f"); m=${m%.*}
	lm=$(level "$m")
	if [ -z "$lm" ]; then
		echo "layers: $f: module '$m' is not on the Layers: line" >&2
		status=1
		continue
	fi
	for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)\.h".*/\1/p' "$f"); do
		[ "$h" = "$m" ] && continue
		[ -e "include/$h.h" ] || continue # not ours (llhttp.h)
		lh=$(level "$h")
		if [ -z "$lh" ]; then
			echo "layers: $f includes $h.h: '$h' is not on the Layers: line" >&2
			status=1
		elif [ "$lh" -ge "$lm" ]; then
			echo "layers: $f ($m, level $lm) includes $h.h (level $lh): not below it" >&2
			status=1
		fi
	done
done
[ $status -eq 0 ] && echo "layers: every include points down"
exit $status
