"""Start the real ./httpd on 127.0.0.1 (or [::1]) on a free port; talk to it
with curl and raw sockets. Every wait here is bounded in count and time."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HTTPD = os.environ.get("HTTPD", os.path.join(os.path.dirname(__file__), "..", "..", "httpd"))
HTTPD = os.path.abspath(HTTPD)
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# Under valgrind (tests/robustness/valgrind.sh) the server is ~20x slower.
SLOW = 10 if os.environ.get("HTTPD_SLOW") else 1


def free_port(family=socket.AF_INET, host="127.0.0.1"):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Server:
    """`with Server(home, "-v") as s:` runs httpd -f -p 127.0.0.1:PORT -h home."""

    def __init__(self, home, *args, host="127.0.0.1", stdin=None, bare_port=False,
                 preexec=None):
        """bare_port: pass `-p PORT` (all addresses) instead of `-p HOST:PORT`;
        host is then only where the tests connect. preexec: run in the child
        before exec (e.g. to set resource limits)."""
        self.home, self.args, self.host, self.stdin = home, list(args), host, stdin
        self.bare_port, self.preexec = bare_port, preexec
        self.proc = None

    def start(self):
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        for _ in range(5):  # a port picked free may be taken before we bind it
            self.port = free_port(family, self.host)
            hostspec = f"[{self.host}]" if ":" in self.host else self.host
            spec = str(self.port) if self.bare_port else f"{hostspec}:{self.port}"
            self.out = tempfile.TemporaryFile()
            self.err = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(
                [HTTPD, "-f", "-p", spec, "-h", self.home] + self.args,
                stdin=self.stdin or subprocess.DEVNULL, stdout=self.out, stderr=self.err,
                preexec_fn=self.preexec)
            if self._wait_ready(family):
                return self
            self.proc.kill()
            self.proc.wait(5)
        raise RuntimeError("httpd did not start: " + self.stderr())

    def _wait_ready(self, family):
        deadline = time.monotonic() + 5 * SLOW
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.02)
        return False

    def url(self, path="/"):
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signal the server, wait for it; returns its exit status."""
        timeout *= SLOW
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError("httpd did not exit after signal %d" % sig)

    def stdout(self):
        self.out.seek(0)
        return self.out.read()

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode("utf-8", "replace")

    def fd_count(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def socket_count(self):
        """Open sockets (listeners and connections); unlike fd_count it does
        not see the files the server keeps open in its cache."""
        d = f"/proc/{self.proc.pid}/fd"
        n = 0
        for fd in os.listdir(d):
            try:
                n += os.readlink(f"{d}/{fd}").startswith("socket:")
            except OSError:
                pass
        return n

    def holds(self, client):
        """Whether the server still has client's connection open: the inode
        of its end (/proc/net/tcp*: our port, the client's port) among the
        server's descriptors. Exact where socket_count is not: a socket
        the server closes meanwhile (a probe's) changes no answer here."""
        cport = client.getsockname()[1]
        ends = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(table) as f:
                    for line in list(f)[1:]:
                        p = line.split()
                        if (int(p[1].rsplit(":", 1)[1], 16) == self.port
                                and int(p[2].rsplit(":", 1)[1], 16) == cport):
                            ends.add(f"socket:[{p[9]}]")
            except OSError:
                pass
        d = f"/proc/{self.proc.pid}/fd"
        for fd in os.listdir(d):
            try:
                if os.readlink(f"{d}/{fd}") in ends:
                    return True
            except OSError:
                pass
        return False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # a clean exit (valgrind writes its leak summary)
            try:
                self.proc.wait(10 * SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def curl(*args, timeout=20):
    """Run curl; returns CompletedProcess with bytes stdout/stderr."""
    return subprocess.run(["curl", "-sS", "--max-time", "10", *args],
                          capture_output=True, timeout=timeout)


def connect(server, timeout=5):
    s = socket.create_connection((server.host, server.port), timeout=timeout)
    s.settimeout(timeout)
    return s


def recv_all(sock, limit=64 << 20):
    """Read until EOF (or the socket timeout); returns what came."""
    chunks, total = [], 0
    while total < limit:
        try:
            b = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not b:
            break
        chunks.append(b)
        total += len(b)
    return b"".join(chunks)


def raw(server, data, shut=True, timeout=5):
    """Send raw bytes, optionally half-close, return everything answered."""
    with connect(server, timeout) as s:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        return recv_all(s)


def parse_responses(data):
    """Split a byte stream of responses (Content-Length framed) into
    (status, headers dict lower-case, body) tuples."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise AssertionError("truncated response head: %r" % data[:200])
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
        n = int(headers.get("content-length", "0"))
        if status in (204, 304) or 100 <= status < 200:
            n = 0
        out.append((status, headers, rest[:n]))
        data = rest[n:]
    return out


def head_only(data):
    """Parse responses to HEAD requests (no bodies whatever Content-Length says)."""
    out = []
    for block in data.split(b"\r\n\r\n"):
        if block:
            lines = block.split(b"\r\n")
            out.append((int(lines[0].split()[1]), lines[1:]))
    return out


class Reader:
    """Read whole responses, one at a time, from a kept-alive socket.
    Every read is bounded by the socket's timeout; `deadline` bounds the whole."""

    def __init__(self, sock, deadline=10):
        self.sock, self.buf, self.eof = sock, b"", False
        self.deadline = time.monotonic() + deadline

    def _more(self):
        if self.eof or time.monotonic() > self.deadline:
            return False
        try:
            b = self.sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            return False
        if not b:
            self.eof = True
            return False
        self.buf += b
        return True

    def response(self, head=False):
        """(status, headers dict lower-case, body); head=True: no body read.
        None when no complete response came."""
        while b"\r\n\r\n" not in self.buf:
            if not self._more():
                return None
        raw_head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = raw_head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
        n = 0 if head or status in (204, 304) or status < 200 else \
            int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            if not self._more():
                return None
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body

    def closed(self, timeout=5):
        """True when the peer closes within timeout (bytes read meanwhile stay
        in self.buf); a reset counts as closed."""
        end = time.monotonic() + timeout
        old = self.sock.gettimeout()
        try:
            while not self.eof and time.monotonic() < end:
                self.sock.settimeout(max(0.01, min(0.5, end - time.monotonic())))
                try:
                    b = self.sock.recv(65536)
                except socket.timeout:
                    continue
                except ConnectionResetError:
                    self.eof = True
                    break
                if not b:
                    self.eof = True
                self.buf += b
        finally:
            self.sock.settimeout(old)
        return self.eof


def temp_dir(owner, prefix="httpd-test-"):
    """A new temporary directory, removed when owner is done: a TestCase
    (after the test), or its class (in setUpClass: after the class)."""
    d = tempfile.mkdtemp(prefix=prefix)
    if isinstance(owner, type):
        owner.addClassCleanup(shutil.rmtree, d, True)
    else:
        owner.addCleanup(shutil.rmtree, d, True)
    return d


def wait_until(pred, timeout=5, step=0.02):
    """Poll pred() until true or timeout; returns its last value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)
