"""The rolling-update proof (issue 21): three replicas of the real binary on
127.0.0.1 behind Debian's haproxy, configured as a Kubernetes Service
behaves (layer 4, active checks of /readyz every 200 ms, no retries, no
redispatch). A steady load runs through it while the replicas are
restarted one at a time (SIGTERM -> drain -> exit -> start again, the next
once haproxy sees the new one up, as maxUnavailable 1 does).

With --drain the run must lose nothing: zero failed requests is asserted.
The same run with --drain 0 is reported, not asserted (its losses depend
on timing). `--update-docs` writes the numbers into docs/production.md.

Everything started here is stopped by PID; waits are bounded."""
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HTTPD = os.path.abspath(os.environ.get("HTTPD", os.path.join(ROOT, "httpd")))
HAPROXY = os.environ.get("HAPROXY", "haproxy")
CLIENTS = 6           # keep-alive client threads
DRAIN = "2"           # s: ten check intervals of margin
GRACE = "5"
HOME = os.path.join(ROOT, "www")
PATH = "/index.html"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise SystemExit(f"cluster: FAIL: {what} not within {timeout} s")


class Replica:
    def __init__(self, port, drain, logdir):
        self.port, self.drain, self.proc = port, drain, None
        self.log = open(os.path.join(logdir, f"httpd-{port}.log"), "ab")

    def start(self):
        self.proc = subprocess.Popen(
            [HTTPD, "-f", "-p", f"127.0.0.1:{self.port}", "-h", HOME, "--health",
             "--drain", self.drain, "--grace", GRACE],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        wait_for(self.ready, 10, f"replica :{self.port} ready")

    def ready(self):
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
            c.request("GET", "/readyz")
            return c.getresponse().status == 200
        except OSError:
            return False

    def stop(self):
        """SIGTERM, as the kubelet does; returns once the process is gone."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


class Haproxy:
    def __init__(self, ports, workdir):
        self.port = free_port()
        self.sock = os.path.join(workdir, "haproxy.sock")
        servers = "\n".join(
            f"    server r{i} 127.0.0.1:{p} check inter 200ms fall 1 rise 1"
            for i, p in enumerate(ports))
        conf = f"""global
    maxconn 2000
    stats socket {self.sock} mode 600 level admin
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 0
    option redispatch 0
listen svc
    bind 127.0.0.1:{self.port}
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
{servers}
"""
        self.conf = os.path.join(workdir, "haproxy.cfg")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.log = open(os.path.join(workdir, "haproxy.log"), "ab")
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=self.log)

    def states(self):
        """{server: 'UP'|'DOWN'|...} from the stats socket."""
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.settimeout(2)
                s.connect(self.sock)
                s.sendall(b"show stat\n")
                data = b""
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    data += b
        except OSError:
            return {}
        out = {}
        lines = data.decode().splitlines()
        if not lines:
            return out
        cols = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            f = line.split(",")
            if len(f) == len(cols):
                row = dict(zip(cols, f))
                if row["svname"].startswith("r"):
                    out[row["svname"]] = row["status"].split()[0]
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Load:
    """CLIENTS threads, each a keep-alive connection through haproxy; a
    'Connection: close' answer makes it reconnect. Every request that does
    not end in a 200 with the whole body counts as failed (no retries)."""

    def __init__(self, port):
        self.port, self.stop_flag = port, threading.Event()
        self.ok = self.failed = 0
        self.errors = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run) for _ in range(CLIENTS)]

    def run(self):
        conn = None
        ok = failed = 0
        errors = {}
        while not self.stop_flag.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                conn.request("GET", PATH)
                r = conn.getresponse()
                body = r.read()
                if r.status != 200 or len(body) != SIZE:
                    raise RuntimeError(f"status {r.status}")
                ok += 1
                if r.will_close:
                    conn.close()
                    conn = None
            except Exception as e:  # noqa: BLE001 - every failure counts
                failed += 1
                k = type(e).__name__ + (f": {e}" if isinstance(e, RuntimeError) else "")
                errors[k] = errors.get(k, 0) + 1
                if conn:
                    conn.close()
                conn = None
        if conn:
            conn.close()
        with self.lock:
            self.ok += ok
            self.failed += failed
            for k, v in errors.items():
                self.errors[k] = self.errors.get(k, 0) + v

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(30)


SIZE = os.path.getsize(os.path.join(HOME, PATH.lstrip("/")))


def rolling_update(drain, workdir):
    ports = [free_port() for _ in range(3)]
    reps = [Replica(p, drain, workdir) for p in ports]
    for r in reps:
        r.start()
    lb = Haproxy(ports, workdir)
    try:
        wait_for(lambda: list(lb.states().values()) == ["UP"] * 3, 15, "haproxy sees 3 replicas up")
        load = Load(lb.port)
        t0 = time.monotonic()
        load.start()
        time.sleep(1)
        down_first = 0
        for i, r in enumerate(reps):
            r.stop()
            if lb.states().get(f"r{i}") == "DOWN":
                down_first += 1  # haproxy had moved away before the exit
            r.start()
            wait_for(lambda: list(lb.states().values()) == ["UP"] * 3, 15,
                     "haproxy sees the new replica up")
        time.sleep(1)
        load.finish()
        secs = time.monotonic() - t0
    finally:
        lb.stop()
        for r in reps:
            if r.proc and r.proc.poll() is None:
                r.proc.kill()
                r.proc.wait(5)
    return {"drain": drain, "ok": load.ok, "failed": load.failed, "errors": load.errors,
            "secs": secs, "down_first": down_first}


def describe(res):
    errs = ", ".join(f"{v} {k}" for k, v in sorted(res["errors"].items())) or "none"
    total = res["ok"] + res["failed"]
    return (f"--drain {res['drain']}: {res['failed']} failed of {total:,} requests "
            f"({res['ok'] / res['secs']:,.0f}/s over {res['secs']:.1f} s, 3 restarts; "
            f"errors: {errs}; haproxy had marked the replica down before it exited: "
            f"{res['down_first']} of 3)")


def update_docs(lines):
    doc = os.path.join(ROOT, "docs", "production.md")
    with open(doc) as f:
        text = f.read()
    block = "<!-- cluster:begin -->\n" + "\n".join(f"- {l}" for l in lines) + \
        "\n<!-- cluster:end -->"
    text = re.sub(r"<!-- cluster:begin -->.*?<!-- cluster:end -->", lambda m: block, text,
                  flags=re.S)
    with open(doc, "w") as f:
        f.write(text)


def main():
    if subprocess.run([HAPROXY, "-v"], capture_output=True).returncode != 0:
        raise SystemExit("cluster: FAIL: no haproxy (Debian package haproxy)")
    with tempfile.TemporaryDirectory() as workdir:
        good = rolling_update(DRAIN, workdir)
        print("cluster:", describe(good))
        bad = rolling_update("0", workdir)
        print("cluster:", describe(bad), "(reported, not asserted)")
    if "--update-docs" in sys.argv:
        update_docs([describe(good), describe(bad)])
    if good["failed"] or good["ok"] == 0:
        print("cluster: FAIL: requests were lost with --drain")
        return 1
    print("cluster: ok: zero failed requests with --drain")
    return 0


if __name__ == "__main__":
    sys.exit(main())
