#!/usr/bin/env bash
# Load benchmark of our httpd side by side with nginx, lighttpd, h2o, busybox
# httpd and a canned-response epoll loop (the physical-limit reference).
#
#   bench/run.sh                     # or: make bench
#   DUR=1 ROUNDS=1 bench/run.sh      # a quick look
#   SERVERS="httpd nginx" bench/run.sh
#   SERVERS="httpd nginx" SCENARIOS=proxy DUR=1 ROUNDS=1 CAP=0 IDLE_CONNS=0 bench/run.sh
#   LWAN=/work/lwan-build/src/bin/lwan/lwan bench/run.sh   # lwan beside them
#   TCP_CC=cubic bench/run.sh        # another congestion control (default reno)
#
# Every server is pinned to CPU $SERVER_CPU (one worker / one thread), wrk
# (one thread) to CPU $CLIENT_CPU. Traffic goes to 127.0.0.1 only. All the
# servers run at once (idle but the one under load) and the rounds are
# interleaved; for each scenario the median of $ROUNDS runs of $DUR seconds
# is kept. Only ratios measured in the same run mean anything on a shared
# machine. Then, as root, the small-file scenarios again with the servers
# capped at $CAP % of their CPU (cgroup), where the server, not wrk, is the
# bottleneck: its capacity ($CAP_ROUNDS rounds each). Then, with the canned
# loop among the servers, its scenarios again in pairs ($PAIR_SCENARIOS: the
# small file kept alive and on new connections, 64 KiB kept alive): ours (then
# the canned loop's copy, then lwan) and the canned loop loaded at once, each
# in its own cgroup allowed $PAIR_CAP %, the two cgroups swapped every round
# ($PAIR_ROUNDS rounds; PAIR_ROUNDS=0 skips them).
# Every server runs under the same TCP congestion control, $TCP_CC (reno by
# default: lwan sets reno on its own sockets, the others take the system's),
# set for the run with sysctl and restored after; the report names it.
# (Not CC=: that is the C compiler's name, which make passes on to the build.)
# Output: a markdown table on stdout and in $OUT/results.md, the same in
# docs/benchmark.md ($DOC; empty: not written) with the date, commit and
# settings of the run, the raw numbers in $OUT/raw.tsv, plot data in
# $OUT/results.dat and, if gnuplot is there, docs/bench.png drawn by
# bench/plot.gp.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DUR=${DUR:-2}
ROUNDS=${ROUNDS:-5}
# The capped rounds swing most (a throttled server's rounds, +-15% on these
# shared machines): more of them, so that their medians mean something.
CAP_ROUNDS=${CAP_ROUNDS:-9}
# Paired rounds (against the canned loop): an even count, read two by two
# (one round in each cgroup); the scenarios paired, of small_ka (612 B
# keep-alive), small_close (612 B, a new connection each) and 64k_ka.
PAIR_ROUNDS=${PAIR_ROUNDS:-16}
PAIR_CAP=${PAIR_CAP:-15} # % of one CPU for each of the two servers of a pair
PAIR_SCENARIOS=${PAIR_SCENARIOS-"small_ka small_close 64k_ka"}
IDLE_CONNS=${IDLE_CONNS:-10000}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
CONNS=${CONNS:-50}
OUT=${OUT:-build/bench}
PNG=${PNG:-docs/bench.png}
DOC=${DOC-docs/benchmark.md}
# What is measured, before this run writes docs/ (its own output, or an
# earlier run's not yet committed, is no change).
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no -- . ':!docs/benchmark.md' ':!docs/bench.png' \
	2>/dev/null)" ] || COMMIT="$COMMIT + local changes"
# In this order in every round (reversed every other round): ours next to
# the canned loop, whose ratios the targets are, then its copy, lwan.
SERVERS=${SERVERS:-"httpd canned nginx lighttpd h2o busybox"}
PYTHON=${PYTHON:-python3}
CAP=${CAP:-25} # % of one CPU for the capacity rounds; 0 skips them
SCENARIOS=${SCENARIOS:-"small_ka small_close 64k_ka big calcul proxy"}
TCP_CC=${TCP_CC:-reno}
# With the canned loop, a second copy of it (canned2: the same program, its
# own port) in the same rounds, right after it: its ratios to the first are
# the run's noise for two servers measured one after the other.
case " $SERVERS " in
*" canned2 "*) ;;
*" canned "*) SERVERS=${SERVERS/canned/canned canned2} ;;
esac
# lwan (not packaged; built as docs/performance.md says) when LWAN=path is given.
LWAN=${LWAN:-}
if [ -n "$LWAN" ]; then
	[ -x "$LWAN" ] || { printf 'bench: LWAN=%s is not an executable\n' "$LWAN" >&2; exit 1; }
	LWAN=$(realpath "$LWAN")
	case " $SERVERS " in
	*" lwan "*) ;;
	*" canned2 "*) SERVERS=${SERVERS/canned2/canned2 lwan} ;;
	*) SERVERS="$SERVERS lwan" ;;
	esac
else
	SERVERS=${SERVERS/lwan/}
fi

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

case $PAIR_ROUNDS$PAIR_CAP in '' | *[!0-9]*) die "PAIR_ROUNDS and PAIR_CAP: whole numbers" ;; esac
if [ "$PAIR_CAP" -lt 1 ] || [ "$PAIR_CAP" -gt 99 ]; then
	die "PAIR_CAP=$PAIR_CAP: not a % of one CPU (1-99)"
fi
for s in $PAIR_SCENARIOS; do
	case $s in small_ka | small_close | 64k_ka) ;; *) die "PAIR_SCENARIOS: $s is not small_ka, small_close or 64k_ka" ;; esac
done
if [ $((PAIR_ROUNDS % 2)) = 1 ]; then # read two by two
	PAIR_ROUNDS=$((PAIR_ROUNDS + 1))
	say "PAIR_ROUNDS: made even, $PAIR_ROUNDS"
fi

# --- what we need -------------------------------------------------------------
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
need_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing: ${missing[*]}"
		$SUDO apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >&2
	fi
}
need_pkgs wrk nginx-light lighttpd h2o busybox gnuplot-nox curl gcc make python3
# (A system nginx/lighttpd/h2o the packages may have started is left alone:
# ours run from their own configs on free ports.)

# --- build --------------------------------------------------------------------
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# HTTPD_BIN=path skips the build (e.g. to compare two versions of ours).
if [ -z "${HTTPD_BIN:-}" ]; then
	say "building httpd (make release STATIC=1: the Docker image's binary, profile-guided, trained on 127.0.0.1)"
	make -s deps-build >&2
	make -s BUILD=build/bench RELEASE_BIN=build/bench/httpd STATIC=1 release >&2
	HTTPD_BIN=$ROOT/build/bench/httpd
fi
HTTPD_BIN=$(realpath "$HTTPD_BIN")
gcc -O2 -Wall -Wextra -o "$OUT/canned" bench/canned.c
gcc -O2 -Wall -Wextra -o "$OUT/idle" bench/idle.c

# Room for 10,000 idle connections on both sides.
want=$((IDLE_CONNS * 2 + 1024))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$want" ]; then
	ulimit -Hn "$want" 2>/dev/null || true
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n "$want" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((IDLE_CONNS + 100)) ] ||
	say "ulimit -n is $(ulimit -n): fewer than $IDLE_CONNS idle connections will fit"

# --- process bookkeeping --------------------------------------------------------
declare -A PID=() PORT=()
IDLE_PID=
WRK_PIDS=() # the wrk of a paired round, running in the background
CGDIRS=()   # the cgroups made for the run, removed on exit
TMP=

# The pid and all its descendants (nginx: master + worker).
tree() {
	local p=$1 c
	echo "$p"
	for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree "$c"; done
}

cleanup() {
	local s p
	[ -n "$IDLE_PID" ] && kill "$IDLE_PID" 2>/dev/null
	for s in "${WRK_PIDS[@]}"; do # a subshell running wrk_on, and its wrk
		for p in $(tree "$s" | tac); do kill "$p" 2>/dev/null || true; done
	done
	for s in "${!PID[@]}"; do
		for p in $(tree "${PID[$s]}" | tac); do kill "$p" 2>/dev/null || true; done
	done
	sleep 0.3
	for s in "${!PID[@]}"; do
		for p in $(tree "${PID[$s]}"); do kill -9 "$p" 2>/dev/null || true; done
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
	for p in "${CGDIRS[@]}"; do rmdir "$p" 2>/dev/null || true; done
	[ -n "$CC_WAS" ] && $SUDO sysctl -q -w "net.ipv4.tcp_congestion_control=$CC_WAS" >/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- TCP congestion control ---------------------------------------------------
# A sender's congestion control sets how fast a loopback stream of 100 MB
# grows (bbr: 1.3-1.9 GB/s, reno: 2.5 measured); a socket takes the system's
# when it is made, so set it before any server starts.
CC_WAS=
CC_NOTE=
cc_set() {
	local now
	now=$(sysctl -n net.ipv4.tcp_congestion_control 2>/dev/null) || {
		CC_NOTE="the system's (unknown: no net.ipv4.tcp_congestion_control)"
		return 0
	}
	if [ "$now" = "$TCP_CC" ]; then
		CC_NOTE="$TCP_CC (the system's)"
	elif $SUDO sysctl -q -w "net.ipv4.tcp_congestion_control=$TCP_CC" >/dev/null 2>&1; then
		CC_WAS=$now
		CC_NOTE="$TCP_CC (set for the run with sysctl net.ipv4.tcp_congestion_control; the system's $now restored after)"
	else
		CC_NOTE="$now, the system's: $TCP_CC could not be set (sysctl not writable or $TCP_CC not available)"
	fi
	say "TCP congestion control: $CC_NOTE"
}
cc_set

# --- files --------------------------------------------------------------------
TMP=$(mktemp -d /tmp/httpd-bench.XXXXXX)
chmod 755 "$TMP"
WWW=$TMP/www
mkdir -p "$WWW" "$TMP/run"
chmod 755 "$WWW"
{
	printf '<!DOCTYPE html>\n<html><head><title>bench</title></head><body>\n'
	head -c 2000 /dev/zero | tr '\0' 'x' | fold -w 64
} | head -c 596 >"$WWW/index.html"
printf '\n</body></html>\n' >>"$WWW/index.html"
[ "$(stat -c %s "$WWW/index.html")" = 612 ] || die "index.html is not 612 bytes"
head -c 65536 /dev/urandom >"$WWW/64k.bin"
head -c 100000000 /dev/urandom >"$WWW/100m.bin"
chmod 644 "$WWW"/*

# A port nothing listens on, below the ephemeral range wrk's sockets use.
next_port=18080
free_port() {
	while (exec 3<>"/dev/tcp/127.0.0.1/$next_port") 2>/dev/null; do
		next_port=$((next_port + 1))
	done
	echo $((next_port++))
}

wait_up() { # NAME
	local i
	for i in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:${PORT[$1]}/" && return 0
		kill -0 "${PID[$1]}" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/  /' "$TMP/run/$1.log" >&2 || true
	die "$1 did not come up"
}

# Each file served whole with 200 (this also warms the page cache).
check() { # NAME
	local f got want
	for f in index.html 64k.bin 100m.bin; do
		[ "${1%2}" = canned ] && [ "$f" = 100m.bin ] && continue
		want="200 $(stat -c %s "$WWW/$f")"
		got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' \
			"http://127.0.0.1:${PORT[$1]}/${f%index.html}")
		[ "$got" = "$want" ] || die "$1: /${f%index.html} gave '$got', not '$want'"
	done
	case $1 in httpd | nginx)
		got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' \
			"http://127.0.0.1:${PORT[$1]}/proxy/")
		[ "$got" = "200 612" ] || die "$1: /proxy/ gave '$got', not '200 612'"
	esac
}

# --- servers ------------------------------------------------------------------
pin() { taskset -c "$SERVER_CPU" "$@"; }

start_httpd() {
	printf 'P:/proxy/:127.0.0.1:%s/\n' "${PORT[upstream]}" >"$TMP/run/httpd.conf"
	pin "$HTTPD_BIN" -f -p "127.0.0.1:$1" -h "$WWW" -c "$TMP/run/httpd.conf" \
		>"$TMP/run/httpd.log" 2>&1 &
	PID[httpd]=$!
}

# The upstream of the proxied scenario, the same for httpd's P: line and
# nginx's proxy_pass (both: a new upstream connection per request): the
# canned loop, on wrk's CPU so the servers' CPU stays theirs.
start_upstream() {
	taskset -c "$CLIENT_CPU" "$OUT/canned" "$1" >"$TMP/run/upstream.log" 2>&1 &
	PID[upstream]=$!
}

# The canned loop also answers GET /64k.bin: a canned head + sendfile.
start_canned() {
	pin "$OUT/canned" "$1" "$WWW/64k.bin" >"$TMP/run/canned.log" 2>&1 &
	PID[canned]=$!
}
start_canned2() {
	pin "$OUT/canned" "$1" "$WWW/64k.bin" >"$TMP/run/canned2.log" 2>&1 &
	PID[canned2]=$!
}

start_nginx() {
	local d=$TMP/run/nginx
	mkdir -p "$d"
	cat >"$d/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process on;
pid $d/nginx.pid;
error_log $d/error.log;
worker_rlimit_nofile $((IDLE_CONNS * 2 + 1024));
events { worker_connections $((IDLE_CONNS + 1024)); }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000000;
    keepalive_timeout 120s;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    types { text/html html; application/octet-stream bin; }
    server {
        listen 127.0.0.1:$1;
        root $WWW;
        location /proxy/ { proxy_pass http://127.0.0.1:${PORT[upstream]}/; }
    }
}
EOF
	pin nginx -p "$d/" -e "$d/error.log" -c "$d/nginx.conf" >"$TMP/run/nginx.log" 2>&1 &
	PID[nginx]=$!
}

start_lighttpd() {
	local d=$TMP/run/lighttpd
	mkdir -p "$d"
	cat >"$d/lighttpd.conf" <<EOF
server.document-root = "$WWW"
server.bind = "127.0.0.1"
server.port = $1
server.max-keep-alive-requests = 100000000
server.max-keep-alive-idle = 120
server.max-read-idle = 120
server.max-connections = $((IDLE_CONNS + 1024))
server.max-fds = $((IDLE_CONNS * 2 + 1024))
server.errorlog = "$d/error.log"
index-file.names = ( "index.html" )
mimetype.assign = ( ".html" => "text/html", ".bin" => "application/octet-stream" )
EOF
	pin lighttpd -D -f "$d/lighttpd.conf" >"$TMP/run/lighttpd.log" 2>&1 &
	PID[lighttpd]=$!
}

start_h2o() {
	local d=$TMP/run/h2o
	mkdir -p "$d"
	cat >"$d/h2o.conf" <<EOF
num-threads: 1
max-connections: $((IDLE_CONNS + 1024))
http1-request-timeout: 120
$([ "$(id -u)" = 0 ] && echo "user: nobody")
listen:
  host: 127.0.0.1
  port: $1
hosts:
  default:
    paths:
      /:
        file.dir: $WWW
EOF
	chmod 755 "$d"
	pin h2o -m worker -c "$d/h2o.conf" >"$TMP/run/h2o.log" 2>&1 &
	PID[h2o]=$!
}

# One worker thread, as ours; its own socket options (it sets reno itself).
start_lwan() {
	local d=$TMP/run/lwan
	mkdir -p "$d"
	cat >"$d/lwan.conf" <<EOF
keep_alive_timeout = 120
quiet = true
threads = 1
max_file_descriptors = $((IDLE_CONNS * 2 + 1024))
listener 127.0.0.1:$1
site {
    serve_files / {
        path = $WWW
    }
}
EOF
	(cd "$d" && exec taskset -c "$SERVER_CPU" "$LWAN" -c "$d/lwan.conf") >"$TMP/run/lwan.log" 2>&1 &
	PID[lwan]=$!
}

start_busybox() {
	pin busybox httpd -f -p "127.0.0.1:$1" -h "$WWW" >"$TMP/run/busybox.log" 2>&1 &
	PID[busybox]=$!
}

# utime+stime (+ reaped children's) of the server's processes, in clock ticks.
cpu_ticks() {
	local p t=0 f
	for p in $(tree "$1"); do
		f=$(cut -d')' -f2- /proc/"$p"/stat 2>/dev/null) || continue
		# fields after "pid (comm)": state=1 ... utime=12 stime=13 cutime=14 cstime=15
		set -- $f
		t=$((t + ${12} + ${13} + ${14} + ${15}))
	done
	echo "$t"
}

rss_kb() {
	local p t=0 v
	for p in $(tree "$1"); do
		v=$(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status 2>/dev/null) || continue
		t=$((t + ${v:-0}))
	done
	echo "$t"
}

RAW=$OUT/raw.tsv
printf 'server\tscenario\tround\trequests\tbytes\tusec\tcpu_ticks\terrors\n' >"$RAW"
RSS=$OUT/rss.tsv
printf 'server\tidle_kb\tconns_kb\tconns_open\n' >"$RSS"

# wrk_on NAME CONNS PATH [WRK OPTION...]: one round's wrk against NAME, on
# the client CPU (its report.lua RESULT line in its output)
wrk_on() {
	local name=$1 c=$2 path=$3
	shift 3
	taskset -c "$CLIENT_CPU" wrk -t1 -c"$c" -d"${DUR}s" --timeout 10s \
		-s bench/report.lua "$@" "http://127.0.0.1:${PORT[$name]}$path"
}

# run NAME SCENARIO ROUND CONNS PATH [wrk args]: one round of wrk
run() {
	local name=$1 scen=$2 r=$3 c=$4 path=$5 line t0 t1
	shift 5
	t0=$(cpu_ticks "${PID[$name]}")
	line=$(wrk_on "$name" "$c" "$path" "$@" | grep '^RESULT') || die "wrk failed against $name"
	t1=$(cpu_ticks "${PID[$name]}")
	record "$name" "$scen" "$r" $((t1 - t0)) "$line"
}

# record NAME SCENARIO ROUND CPU_TICKS LINE: wrk's RESULT line as a line of
# $RAW (and a line of progress)
record() {
	local name=$1 scen=$2 r=$3 cpu=$4 line=$5
	kill -0 "${PID[$name]}" 2>/dev/null || die "$name died during $scen"
	# RESULT requests=N bytes=N us=N connect=N read=N write=N status=N timeout=N
	echo "$line" | awk -v s="$name" -v sc="$scen" -v r="$r" -v cpu="$cpu" '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		err = v["connect"] + v["read"] + v["write"] + v["status"] + v["timeout"]
		printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s, sc, r, v["requests"],
			v["bytes"], v["us"], cpu, err }' >>"$RAW"
	tail -1 "$RAW" | awk -F'\t' '{ printf "  %-9s %-16s round %s: %9.0f req/s %8.1f MB/s  errors %s\n",
		$1, $2, $3, $4 / ($6 / 1e6), $5 / $6, $8 }' >&2
}

# run_pair A B SCENARIO ROUND PATH [WRK ARGS]: one round of PATH against A
# and B at once, one wrk each on the client CPU, started together (A's first
# in odd rounds, B's in even ones); both recorded under SCENARIO.
run_pair() {
	local scen=$3 r=$4 path=$5 s i line names=("$1" "$2") t0=() t1=()
	[ $((r % 2)) = 1 ] || names=("$2" "$1")
	shift 5
	for s in "${names[@]}"; do t0+=("$(cpu_ticks "${PID[$s]}")"); done
	WRK_PIDS=()
	for s in "${names[@]}"; do
		wrk_on "$s" "$CONNS" "$path" "$@" >"$TMP/pair.$s" 2>&1 &
		WRK_PIDS+=("$!")
	done
	for i in 0 1; do
		wait "${WRK_PIDS[$i]}" || die "wrk failed against ${names[$i]}"
	done
	WRK_PIDS=()
	for s in "${names[@]}"; do t1+=("$(cpu_ticks "${PID[$s]}")"); done
	for i in 0 1; do
		line=$(grep '^RESULT' "$TMP/pair.${names[$i]}") || die "wrk failed against ${names[$i]}"
		record "${names[$i]}" "$scen" "$r" $((t1[i] - t0[i])) "$line"
	done
}

# limit_args SCENARIO: in LIMIT_ARGS, the path and wrk options of a scenario
# the canned loop answers too (capped or paired the same); fails for others.
limit_args() {
	case ${1%_cap} in
	small_ka) LIMIT_ARGS=(/) ;;
	small_close) LIMIT_ARGS=(/ -H 'Connection: close') ;;
	64k_ka) LIMIT_ARGS=(/64k.bin) ;;
	*) return 1 ;;
	esac
}

# scenario NAME SCENARIO ROUND: one round of it, if it applies to NAME.
scenario() {
	local name=$1 scen=$2 r=$3
	if limit_args "$scen"; then
		run "$name" "$scen" "$r" "$CONNS" "${LIMIT_ARGS[@]}"
		return 0
	fi
	[ "${name%2}" = canned ] && return 0 # the page and the 64 KiB file only
	case $scen in
	big) run "$name" "$scen" "$r" 4 /100m.bin ;;
	calcul) [ "$name" != httpd ] || run "$name" "$scen" "$r" "$CONNS" '/api/calcul?a=1&b=2' ;;
	proxy) [ "$name" != httpd ] && [ "$name" != nginx ] ||
		run "$name" "$scen" "$r" "$CONNS" /proxy/ ;;
	esac
}

# Rounds are interleaved (round 1 of every server, then round 2, ...), so a
# drift in the machine's speed touches every server alike; every other round
# takes the servers in the reverse order, so that none is always first (or
# always right after the same one).
rounds() { # COUNT SCENARIO... (against each of $LOAD_SERVERS)
	local r scen s n=$1 fwd=() rev=()
	shift
	read -r -a fwd <<<"$LOAD_SERVERS"
	for s in "${fwd[@]}"; do rev=("$s" "${rev[@]}"); done
	for r in $(seq "$n"); do
		for scen in "$@"; do
			if [ $((r % 2)) = 1 ]; then
				for s in "${fwd[@]}"; do scenario "$s" "$scen" "$r"; done
			else
				for s in "${rev[@]}"; do scenario "$s" "$scen" "$r"; done
			fi
		done
	done
}

# cg_new VAR NAME PERCENT: a cgroup NAME allowed PERCENT % of one CPU (in
# 10 ms periods), its path in VAR; removed on exit. Fails without a cgroup
# cpu controller to write (root needed).
cg_new() {
	local g
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then # cgroup v2
		grep -qw cpu /sys/fs/cgroup/cgroup.controllers || return 1
		echo +cpu >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
		g=/sys/fs/cgroup/$2
		mkdir "$g" 2>/dev/null || return 1
		CGDIRS=("$g" "${CGDIRS[@]}")
		echo "$(($3 * 100)) 10000" >"$g/cpu.max" 2>/dev/null || return 1
	elif [ -d /sys/fs/cgroup/cpu ]; then # cgroup v1
		g=/sys/fs/cgroup/cpu/$2
		mkdir "$g" 2>/dev/null || return 1
		CGDIRS=("$g" "${CGDIRS[@]}")
		echo 10000 >"$g/cpu.cfs_period_us" 2>/dev/null &&
			echo $(($3 * 100)) >"$g/cpu.cfs_quota_us" 2>/dev/null || return 1
	else
		return 1
	fi
	printf -v "$1" %s "$g"
}

# cg_move DIR NAME...: the servers' processes into the cgroup DIR
cg_move() {
	local g=$1 s p
	shift
	for s in "$@"; do
		for p in $(tree "${PID[$s]}"); do echo "$p" >"$g/cgroup.procs" || return 1; done
	done
}

# Capacity: every server in one cgroup allowed $CAP % of one CPU (only one
# is loaded at a time). On two cores, wrk on its core saturates before the
# fastest servers do on theirs; capped, each server is the bottleneck, so
# req/s then measures what it does with a given CPU budget.
CAPDIR=
cap_servers() {
	cg_new CAPDIR "httpd-bench.$$" "$CAP" || return 1
	# shellcheck disable=SC2086 # a list of names
	cg_move "$CAPDIR" $LOAD_SERVERS
}

# Paired capacity ($PAIR_SCENARIOS: 612 B kept alive and on a new connection
# each, 64 KiB kept alive): the canned loop and a partner (ours, the canned
# loop's copy, lwan: $PAIR_PARTNERS) loaded at once,
# each in its own cgroup allowed $PAIR_CAP % of the server CPU, one wrk each
# on the client CPU. Of two identical servers, the one in one of the two
# cgroups serves 4-8 % more, steadily (measured on cgroup v1): so the canned
# loop and the partners swap cgroups every round, and the report takes each
# two consecutive rounds together (the geometric mean of their ratios), one
# in each position. $PAIR_CAP % and not $CAP: two wrk share the client CPU,
# on which wrk makes at most ~12k new connections/s in all, not enough for
# two servers at 25 % (~8k/s each). The order of the partners is reversed
# every other round.
PAIR_PARTNERS=
pair_rounds() {
	local r s ga gb scen fwd=() rev=() order=()
	read -r -a fwd <<<"$PAIR_PARTNERS"
	for s in "${fwd[@]}"; do rev=("$s" "${rev[@]}"); done
	cg_new ga "httpd-bench.$$.pair-a" "$PAIR_CAP" &&
		cg_new gb "httpd-bench.$$.pair-b" "$PAIR_CAP" || return 1
	say "paired: canned and each of ${fwd[*]} at once, $PAIR_CAP % each ($ga, $gb): $PAIR_SCENARIOS"
	for r in $(seq "$PAIR_ROUNDS"); do
		if [ $((r % 2)) = 1 ]; then
			cg_move "$ga" canned && cg_move "$gb" "${fwd[@]}"
		else
			cg_move "$gb" canned && cg_move "$ga" "${fwd[@]}"
		fi || die "paired: could not move the servers between $ga and $gb"
		sleep 0.2 # let the scheduler settle after the move
		order=("${fwd[@]}")
		[ $((r % 2)) = 1 ] || order=("${rev[@]}")
		for scen in $PAIR_SCENARIOS; do
			limit_args "$scen"
			for s in "${order[@]}"; do
				run_pair canned "$s" "${scen}_pair/$s" "$r" "${LIMIT_ARGS[@]}"
			done
		done
	done
}

idle_rss() { # NAME
	local name=$1 idle conns=n/a open=n/a
	idle=$(rss_kb "${PID[$name]}")
	if [ "$name" != busybox ] && [ "$IDLE_CONNS" -gt 0 ]; then
		coproc IDLE { exec "$OUT/idle" "${PORT[$name]}" "$IDLE_CONNS" /; }
		read -r _ open <&"${IDLE[0]}" || open=0
		sleep 0.5
		conns=$(rss_kb "${PID[$name]}")
		eval "exec ${IDLE[1]}>&-"
		wait "$IDLE_PID" 2>/dev/null || true
		IDLE_PID=
		sleep 1 # let the server see them close
	fi
	printf '%s\t%s\t%s\t%s\n' "$name" "$idle" "$conns" "$open" >>"$RSS"
	say "$name: RSS idle ${idle} kB, with $open idle connections ${conns} kB"
}

say "DUR=${DUR}s ROUNDS=$ROUNDS, servers on CPU $SERVER_CPU, wrk on CPU $CLIENT_CPU"
PORT[upstream]=$(free_port)
start_upstream "${PORT[upstream]}"
wait_up upstream
for s in $SERVERS; do
	PORT[$s]=$(free_port)
	"start_$s" "${PORT[$s]}"
	wait_up "$s"
	say "$s on 127.0.0.1:${PORT[$s]} (pid ${PID[$s]})"
	check "$s"
done
for s in ${SERVERS/canned2/}; do idle_rss "$s"; done
LOAD_SERVERS=$SERVERS
# shellcheck disable=SC2086 # a list of names
rounds "$ROUNDS" $SCENARIOS
LOAD_SERVERS=${SERVERS/busybox/} # a fork per connection: no capacity to compare
if [ "$CAP" -gt 0 ] && [ "$CAP" -lt 100 ]; then
	if cap_servers; then
		say "capacity: servers capped at $CAP % of CPU $SERVER_CPU ($CAPDIR)"
		rounds "$CAP_ROUNDS" small_ka_cap small_close_cap
		for s in httpd canned2 lwan; do
			if [[ " $LOAD_SERVERS " == *" $s "* ]]; then PAIR_PARTNERS="$PAIR_PARTNERS $s"; fi
		done
		if [ "$PAIR_ROUNDS" -gt 0 ] && [ -n "$PAIR_PARTNERS" ] && [ -n "$PAIR_SCENARIOS" ] &&
			[[ " $LOAD_SERVERS " == *" canned "* ]]; then
			pair_rounds || say "paired: SKIPPED: could not make their two cgroups"
		fi
	else
		say "capacity: SKIPPED: no cgroup cpu controller to write (root needed)"
		CAP=0
	fi
fi

# --- report -------------------------------------------------------------------
machine="$(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr)"
$PYTHON bench/report.py --raw "$RAW" --rss "$RSS" --dat "$OUT/results.dat" \
	--dur "$DUR" --rounds "$ROUNDS" --cap-rounds "$CAP_ROUNDS" --conns "$CONNS" --idle "$IDLE_CONNS" --cap "$CAP" \
	--pair-rounds "$PAIR_ROUNDS" --pair-cap "$PAIR_CAP" \
	--machine "$machine" --cc "$CC_NOTE" --lwan "$LWAN" --versions "$(
		printf 'nginx %s; ' "$(nginx -v 2>&1 | sed 's/.*\///')"
		printf 'lighttpd %s; ' "$(lighttpd -v 2>&1 | sed 's/^lighttpd\/\([^ ]*\).*/\1/')"
		printf 'h2o %s; ' "$(h2o --version | awk 'NR==1 {print $3}')"
		printf 'busybox %s' "$(busybox 2>&1 | awk 'NR==1 {print $2}')"
	)" >"$OUT/results.md"
cat "$OUT/results.md"
if command -v gnuplot >/dev/null && [[ " $SERVERS " == *" httpd "* ]]; then # bars are relative to ours
	mkdir -p "$(dirname "$PNG")"
	gnuplot -e "datafile='$OUT/results.dat'; outfile='$PNG'" bench/plot.gp &&
		say "plot: $PNG"
fi
# The documentation's tables: generated here, never edited by hand.
if [ -n "$DOC" ]; then
	settings="DUR=$DUR ROUNDS=$ROUNDS CAP=$CAP CAP_ROUNDS=$CAP_ROUNDS PAIR_CAP=$PAIR_CAP PAIR_ROUNDS=$PAIR_ROUNDS IDLE_CONNS=$IDLE_CONNS CONNS=$CONNS"
	[ "$DUR" = 2 ] && [ "$ROUNDS" = 5 ] && [ "$CAP_ROUNDS" = 9 ] && [ "$PAIR_ROUNDS" = 16 ] ||
		settings="$settings (a short run: the default is DUR=2 ROUNDS=5 CAP_ROUNDS=9 PAIR_ROUNDS=16)"
	mkdir -p "$(dirname "$DOC")"
	{
		echo "<!-- Generated by make bench (bench/run.sh, bench/report.py). Do not edit: run make bench. -->"
		head -n 1 "$OUT/results.md"
		echo
		echo "Generated by \`make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT, $settings."
		echo "How it measures and how to read it: [performance.md](performance.md)."
		tail -n +2 "$OUT/results.md"
		[ -s "$PNG" ] && [ "$(dirname "$(realpath "$PNG")")" = "$(dirname "$(realpath "$DOC")")" ] &&
			printf '\n![Throughput relative to ours](%s)\n' "$(basename "$PNG")"
		true
	} >"$DOC.tmp" && mv "$DOC.tmp" "$DOC"
	say "documentation: $DOC"
fi
say "results: $OUT/results.md"
