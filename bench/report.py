#!/usr/bin/env python3
"""Turn bench/run.sh's raw numbers into a markdown report and plot data.

Reads raw.tsv (one line per wrk round) and rss.tsv, keeps the median round of
each (server, scenario), prints markdown on stdout and writes the gnuplot data
file given by --dat."""
import argparse
import csv
import math
import statistics

OURS = "httpd"
ORDER = ["httpd", "nginx", "lighttpd", "h2o", "busybox", "lwan", "canned"]
LABEL = {
    "httpd": "**httpd (ours)**",
    "nginx": "nginx",
    "lighttpd": "lighttpd",
    "h2o": "h2o",
    "busybox": "busybox httpd",
    "lwan": "lwan",
    "canned": "canned loop",
}
SCEN = [  # key, title, plot label
    ("small_ka", "612 B file, keep-alive", "612 B keep-alive"),
    ("small_close", "612 B file, new connection each", "612 B new conn"),
    ("64k_ka", "64 KiB file, keep-alive", "64 KiB keep-alive"),
    ("big", "100 MB file, 4 connections", "100 MB, 4 conns"),
    ("calcul", "/api/calcul?a=1&b=2, keep-alive", "api/calcul"),
    ("proxy", "612 B through the reverse proxy (P: line, nginx proxy_pass) from one "
     "upstream, keep-alive", "proxied 612 B"),
    ("small_ka_cap", "612 B file, keep-alive, server capped at {cap} % of its CPU",
     "612 B k-a, capped"),
    ("small_close_cap", "612 B file, new connection each, server capped at {cap} % of its CPU",
     "612 B new, capped"),
]
NO_KEEPALIVE = {"busybox"}
LIMIT = "canned"
# A second copy of the canned loop, the same program on another port, run in
# the same rounds: its ratios to the first copy are what noise alone gives in
# this run. Only in the table against the limit.
NOISE = "canned2"
# Against the limit: (scenario, what, title); what is "tput" (server/canned,
# >1 wins) or "cpu" (server/canned CPU per request, <1 wins).
LIMIT_COLS = [
    ("small_ka_cap", "tput", "612 B keep-alive, capped, req/s"),
    ("small_close_cap", "tput", "612 B new connection, capped, req/s"),
    ("small_ka", "cpu", "612 B keep-alive, CPU/req"),
    ("64k_ka", "cpu", "64 KiB keep-alive, CPU/req"),
]  # answers every request on a fresh connection
# Paired rounds: a scenario of the targets, a server and the canned loop loaded
# at once, each in its own cgroup, the two cgroups swapped every round; recorded as
# scenario KEY/partner for both (partner: ours, lwan, canned2). Each column
# after the capped one of LIMIT_COLS it measures again.
PAIRS = [  # key, after, title, what its rounds are in words
    ("small_ka_pair", "small_ka_cap", "612 B keep-alive, paired, {cap} % each, req/s",
     "612 B kept alive"),
    ("small_close_pair", "small_close_cap",
     "612 B new connection, paired, {cap} % each, req/s", "612 B on new connections"),
    ("64k_ka_pair", "64k_ka", "64 KiB keep-alive, paired, {cap} % each, req/s",
     "64 KiB kept alive"),
]
PAIR_WORDS = {k: w for k, _, _, w in PAIRS}


def load(path):
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


BIG_FILE = 100_000_000  # bytes of bench/run.sh's 100 MB file


def served(r):
    """What a round's CPU time is shared over: its requests; for the 100 MB
    file, the bytes read in units of the file, since a round ends with up to
    4 answers half sent, their CPU spent but no request counted."""
    if r["scenario"] == "big":
        return max(int(r["bytes"]) / BIG_FILE, 1e-9)
    return max(int(r["requests"]), 1)


def median_round(rows):
    """The round with the median req/s, and the median CPU per request."""
    rows = sorted(rows, key=lambda r: int(r["requests"]) / int(r["usec"]))
    mid = rows[(len(rows) - 1) // 2]
    cpu = [int(r["cpu_ticks"]) / served(r) for r in rows]
    return mid, statistics.median(cpu)


def fmt_int(x):
    return f"{x:,.0f}"


def per_round(rows, key, what, hz):
    """round -> what a scenario is judged by (bytes/s for the 100 MB file:
    few, partly finished requests; req/s elsewhere) or, with what="cpu",
    CPU µs per request."""
    out = {}
    for r in rows:
        sec, n = int(r["usec"]) / 1e6, max(int(r["requests"]), 1)
        if what == "cpu":
            out[r["round"]] = int(r["cpu_ticks"]) / served(r) * 1e6 / hz
        else:
            out[r["round"]] = (int(r["bytes"]) if key == "big" else n) / sec
    return out


def round_ratios(groups, key, a, b, what, hz):
    """a/b in each round, sorted: the rounds are interleaved, so a drift of
    the machine cancels out. None if unknown."""
    x = per_round(groups.get((a, key), []), key, what, hz)
    y = per_round(groups.get((b, key), []), key, what, hz)
    both = [r for r in x if r in y]
    if not both or not all(x[r] and y[r] for r in both):
        return None  # e.g. no CPU tick seen in a round
    return sorted(x[r] / y[r] for r in both)


def ratio_value(groups, key, a, b, what, hz):
    """Median over the rounds of a/b in the same round. None if unknown."""
    v = round_ratios(groups, key, a, b, what, hz)
    return None if v is None else statistics.median(v)


def pair_means(groups, pair, s, hz, what="tput"):
    """s/canned in the paired rounds of pair (req/s, or with what="cpu" CPU
    per request), two consecutive rounds (1 and 2, 3 and 4, ...: one in each
    cgroup) taken together, the geometric mean of their two ratios; sorted.
    None if no pair is complete."""
    key = f"{pair}/{s}"
    x = per_round(groups.get((s, key), []), key, what, hz)
    y = per_round(groups.get((LIMIT, key), []), key, what, hz)
    r = {int(k): x[k] / y[k] for k in x if k in y and x[k] and y[k]}
    v = [math.sqrt(r[k] * r[k + 1]) for k in sorted(r) if k % 2 == 1 and k + 1 in r]
    return sorted(v) or None


def quartiles(v):
    """The middle half of the sorted per-round ratios v: (first, third
    quartile), the median's neighbours' spread on a noisy machine."""
    if len(v) < 4:
        return v[0], v[-1]
    q = statistics.quantiles(v, n=4, method="inclusive")
    return q[0], q[2]


def ratio(groups, key, peer, what, hz):
    v = ratio_value(groups, key, OURS, peer, what, hz)
    return "n/a" if v is None else f"{v:.2f}×"


def fmt_ratio(ours, peer):
    if ours is None or peer is None or peer == 0:
        return "n/a"
    return f"{ours / peer:.2f}×"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--rss", required=True)
    ap.add_argument("--dat", required=True)
    ap.add_argument("--dur")
    ap.add_argument("--rounds")
    ap.add_argument("--cap-rounds", default=None)
    ap.add_argument("--conns")
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--machine", default="")
    ap.add_argument("--versions", default="")
    ap.add_argument("--hz", type=int, default=100)
    ap.add_argument("--cap", type=int, default=0)
    ap.add_argument("--pair-cap", type=int, default=15)
    ap.add_argument("--pair-rounds", type=int, default=16)
    ap.add_argument("--cc", default="")
    ap.add_argument("--lwan", default="")
    a = ap.parse_args()
    scen = [(k, t.format(cap=a.cap), l) for k, t, l in SCEN]

    groups = {}
    for r in load(a.raw):
        groups.setdefault((r["server"], r["scenario"]), []).append(r)
    res = {}  # (server, scen) -> dict(rps, mbps, cpu_us, errors)
    for key, rows in groups.items():
        mid, cpu_per_req = median_round(rows)
        sec = int(mid["usec"]) / 1e6
        res[key] = {
            "rps": int(mid["requests"]) / sec,
            "mbps": int(mid["bytes"]) / sec / 1e6,
            "cpu_us": cpu_per_req * 1e6 / a.hz,
            "cpu_ticks": int(mid["cpu_ticks"]),
            "errors": int(mid["errors"]),
            "requests": int(mid["requests"]),
        }
    rss = {r["server"]: r for r in load(a.rss)}
    servers = [s for s in ORDER if any(k[0] == s for k in res) or s in rss]

    out = []
    p = out.append
    p("# httpd benchmark\n")
    p(f"Machine: {a.machine}. Peers: {a.versions}.  ")
    p(f"Every server on one core with one worker/thread, `wrk -t1` on another; "
      f"{a.conns} connections (4 for the 100 MB file), {a.dur} s per round, "
      f"median of {a.rounds} rounds. CPU µs/req is the server's utime+stime "
      f"(/proc/PID/stat, all its processes) over the requests served. "
      f"Ratios are ours/peer: above 1 we serve more, below 1 we use less CPU. "
      f"All servers run at once and the rounds are interleaved; a ratio is "
      f"the median of the ratios of each round. "
      f"Only ratios from the same run mean anything.  ")
    p(f"TCP congestion control of every server: {a.cc or 'not recorded'}.  ")
    if a.lwan:
        p(f"lwan: `{a.lwan}` (one thread; built from source with its own release flags).\n")
    else:
        p("lwan: skipped (no `LWAN=path` given).\n")
    if a.cap:
        p(f"*Capped* scenarios: every server in a cgroup allowed {a.cap} % of its "
          f"core, so that the server and not wrk (which saturates its own core "
          f"first against the fastest servers) is the bottleneck: req/s there "
          f"is what a server does with a fixed CPU budget "
          f"(median of {a.cap_rounds or a.rounds} rounds).\n")

    for key, title, _ in scen:
        present = [s for s in servers if (s, key) in res]
        if not present:
            continue
        ours = res.get((OURS, key))
        big = key == "big"
        p(f"## {title}\n")
        p("| server | req/s | " + ("GB/s" if big else "MB/s") +
          " | CPU µs/req" + ("‡" if big else "") + " | ours/peer " +
          ("GB/s" if big else "req/s") + " | ours/peer CPU |")
        p("|---|---:|---:|---:|---:|---:|")
        for s in present:
            r = res[(s, key)]
            mark = "†" if s in NO_KEEPALIVE and key != "small_close" else ""
            err = f" ({r['errors']:,} errors)" if r["errors"] else ""
            rate = f"{r['mbps'] / 1000:.2f}" if big else f"{r['mbps']:,.1f}"
            cpu = f"{r['cpu_us']:,.1f}" if r["cpu_us"] else "n/a"
            if s == OURS:
                rr = rc = "—"
            else:
                rr = ratio(groups, key, s, "tput", a.hz)
                rc = ratio(groups, key, s, "cpu", a.hz)
            p(f"| {LABEL[s]} | {fmt_int(r['rps'])}{mark}{err} | {rate} | {cpu} | {rr} | {rc} |")
        p("")
        if big and ours:
            v = sorted(per_round(groups[(OURS, key)], key, "cpu", a.hz).values())
            p(f"‡ CPU per 100 MB the client read (a round ends with answers half sent). "
              f"Most of a loopback stream's work on the server's core is the kernel's "
              f"delivery to the client (softirq), which /proc charges to the server "
              f"only when it runs inside the server's own system calls: the rounds of "
              f"ours read {v[0]:,.0f}–{v[-1]:,.0f} µs in this run: in this column only "
              f"differences larger than that spread mean anything (performance.md, "
              f"round 22).\n")
    if any(s in NO_KEEPALIVE for s in servers):
        p("† busybox httpd has no keep-alive: every request there is on a new "
          "connection, whatever the scenario.  ")
        p("busybox httpd forks a child per connection; its CPU time includes "
          "the reaped children's.\n")
    if (OURS, "calcul") in res and res[(OURS, "calcul")]["errors"]:
        p("/api/calcul: non-2xx answers are counted as errors.\n")

    # Summary of ratios: the targets of the issue in one place.
    peers = [s for s in servers if s != OURS]
    p("## Ratios ours/peer (throughput: >1 wins; CPU and RSS: <1 wins)\n")
    cols = [(k, t) for k, t, _ in scen if k != "calcul" and (OURS, k) in res]
    p("| peer | " + " | ".join(t for _, t in cols) + " | CPU 612 B keep-alive | RSS, "
      f"{a.idle:,} idle conns |")
    p("|---|" + "---:|" * (len(cols) + 2))
    for s in peers:
        cells = []
        for k, _ in cols:
            cells.append(ratio(groups, k, s, "tput", a.hz))
        cells.append(ratio(groups, "small_ka", s, "cpu", a.hz))
        ro, rp = rss.get(OURS), rss.get(s)
        ok = ro and rp and ro["conns_kb"] != "n/a" and rp["conns_kb"] != "n/a"
        cells.append(fmt_ratio(int(ro["conns_kb"]), int(rp["conns_kb"])) if ok else "n/a")
        p(f"| {LABEL[s]} | " + " | ".join(cells) + " |")
    p("")

    # Against the limit: the canned loop does the least any server can.
    limit_cols = [c for c in LIMIT_COLS if (LIMIT, c[0]) in res]
    paired = {}  # (pair key, server) -> its pair ratios
    pairs_run = []  # the pair keys with a column
    for key, after, title, _ in PAIRS:
        got = {s: pair_means(groups, key, s, a.hz) for s in servers + [NOISE]}
        got = {s: v for s, v in got.items() if v}
        if not got:
            continue
        paired.update({(key, s): v for s, v in got.items()})
        pairs_run.append(key)
        at = next((n + 1 for n, c in enumerate(limit_cols) if c[0] == after),
                  len(limit_cols))  # after its capped column, or last
        limit_cols.insert(at, (key, "pair", title.format(cap=a.pair_cap)))
    if limit_cols:
        p("## Against the limit: ratios server/canned loop "
          "(req/s: >1 wins; CPU per request: <1 wins)\n")
        p("| server | " + " | ".join(t for _, _, t in limit_cols) + " |")
        p("|---|" + "---:|" * len(limit_cols))
        for s in servers + [NOISE]:
            if s == LIMIT or s in NO_KEEPALIVE or not any(
                    (s, k) in res or (k, s) in paired for k, _, _ in limit_cols):
                continue
            cells = []
            for k, what, _ in limit_cols:
                if what == "pair":
                    v = paired.get((k, s))
                    if v is None:
                        cells.append("—")
                        continue
                else:
                    v = round_ratios(groups, k, s, LIMIT, what, a.hz)
                    if v is None:
                        cells.append("n/a")
                        continue
                lo, hi = quartiles(v)
                cells.append(f"{statistics.median(v):.2f}× [{lo:.2f}–{hi:.2f}]")
            label = "canned loop against a copy of itself (noise)" if s == NOISE else LABEL[s]
            p(f"| {label} | " + " | ".join(cells) + " |")
        p("\nIn brackets: the middle half of the per-round ratios (of the pair ratios "
          "in the paired columns; first to third quartile, lowest to highest under 4). "
          "Where it is wider than the gap to a target, one run cannot tell.")
        if any((NOISE, k) in res or (k, NOISE) in paired for k, _, _ in limit_cols):
            p("The last row is a second copy of the canned loop (the same program, its "
              "own port) measured in the same rounds against the first: its distance "
              "from 1.00× is what the machine's noise alone gives this run; a ratio "
              "closer to a target than that cannot tell the target met or missed.")
        if paired:
            npairs = max(len(v) for v in paired.values())
            rps = {}  # pair key -> the canned loop's median req/s in its rounds
            for key in pairs_run:
                rows = [r for (s, k), g in groups.items()
                        if s == LIMIT and k.startswith(key + "/") for r in g]
                rps[key] = statistics.median(int(r["requests"]) / int(r["usec"]) * 1e6
                                             for r in rows)
            errors = sum(int(r["errors"]) for (s, k), g in groups.items()
                         if any(k.startswith(key + "/") for key in pairs_run) for r in g)
            cpu = [f"{statistics.median(v):.2f}× {PAIR_WORDS[k]}" for k in pairs_run
                   for v in [pair_means(groups, k, OURS, a.hz, "cpu")] if v]
            what = ", ".join(PAIR_WORDS[k] for k in pairs_run)
            served = ", ".join(f"{rps[k]:,.0f} req/s {PAIR_WORDS[k]}" for k in pairs_run)
            p(f"\n*Paired* columns ({what}): the same scenarios again, but the server and "
              f"the canned loop loaded at once: both on the server's core, each in its "
              f"own cgroup allowed {a.pair_cap} % of it, each driven by its own `wrk -t1` "
              f"({a.conns} connections; `Connection: close` for new connections), the "
              f"two started together on the client's core; {a.pair_rounds} rounds of "
              f"{a.dur} s, each paired server in every round. Loaded at once, the two "
              f"meet the same machine, which servers loaded one after the other (the "
              f"capped columns) do not. "
              f"Of two copies of one program loaded this way, though, the one in one of "
              f"the two cgroups serves more, steadily (4–8 % when this was set up): so "
              f"the two swap cgroups between one round and the next, two consecutive "
              f"rounds (one in each cgroup) make a pair, a pair's ratio is the geometric "
              f"mean of its two rounds' ratios, and the cell is the median of these "
              f"{npairs} pair ratio{'s' if npairs != 1 else ''} (in brackets: their "
              f"middle half). The noise row there is the canned loop's copy paired the "
              f"same way. {a.pair_cap} % each "
              f"and not {a.cap} %: the two `wrk` share one core, on which `wrk` makes at "
              f"most about 12,000 new connections/s in all, so at {a.cap} % each `wrk`, "
              f"not the servers, would be the limit (the canned loop served a median of "
              f"{served} in these rounds). Only ours, lwan and the canned loop's "
              f"copy are paired (— for the others), to keep the run short. Both "
              f"servers of a pair use their whole share, so that a paired req/s ratio "
              f"is also the inverse of the CPU per request ratio"
              + (f" (ours, read from /proc the same way: {', '.join(cpu)})" if cpu else "")
              + "." + (f" {errors:,} errors in these rounds." if errors else ""))
        p("")

    p("## Memory (RSS, all processes of the server)\n")
    p(f"| server | idle | with {a.idle:,} idle keep-alive connections | per connection |")
    p("|---|---:|---:|---:|")
    for s in servers:
        r = rss.get(s)
        if not r:
            continue
        idle = int(r["idle_kb"])
        if r["conns_kb"] == "n/a":
            conns = per = "n/a"
        else:
            c = int(r["conns_kb"])
            n = int(r["conns_open"] or 0)
            conns = f"{c / 1024:,.1f} MiB"
            if n < a.idle:
                conns += f" (only {n:,} stayed open)"
            per = f"{(c - idle) * 1024 / n:,.0f} B" if n else "n/a"
        p(f"| {LABEL[s]} | {idle / 1024:,.1f} MiB | {conns} | {per} |")
    p("")

    # Plot data: one line per scenario, throughput relative to ours (ours = 1),
    # one column per server measured (header line: their names).
    cols = [s for s in ORDER if any((s, k) in res for k, _, _ in scen)]
    with open(a.dat, "w") as f:
        f.write("# throughput (bytes/s for 100 MB, req/s elsewhere) relative to httpd"
                " (ours = 1, median of the per-round ratios); index 1: absolute req/s\n")
        for idx in (0, 1):
            f.write("scenario " + " ".join(cols) + "\n")
            for key, _, label in scen:
                o = res.get((OURS, key))
                if idx == 0 and (key == "calcul" or not o):
                    continue
                vals = []
                for s in cols:
                    r = res.get((s, key))
                    if not r:
                        v = None
                    elif idx == 0:
                        v = ratio_value(groups, key, s, OURS, "tput", a.hz)
                    else:
                        v = r["rps"]
                    vals.append("NaN" if v is None else f"{v:.4f}" if idx == 0 else f"{v:.0f}")
                f.write(f'"{label}" ' + " ".join(vals) + "\n")
            f.write("\n\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
