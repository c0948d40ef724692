"""Reverse proxy (P: lines): what is forwarded and rewritten, bodies both
ways (sha256), back-pressure with bounded memory, concurrency, pipelining,
and every way an upstream can fail (refused, garbage, half-written, lying,
silent, abrupt). Upstreams run in this process: Python's http.server for
the plain cases, raw sockets for the broken ones."""
import hashlib
import http.server
import json
import os
import random
import signal
import socket
import tempfile
import threading
import time
import unittest

from harness import Reader, Server, connect, curl, free_port, parse_responses, raw, \
    recv_all, wait_until

MiB = 1 << 20


def data_of(n):
    return random.Random(n).randbytes(n)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body, headers=(), length=True):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        self.server.seen.append((self.command, self.path, self.headers.items()))
        path, _, query = self.path.partition("?")
        if path.endswith("/big"):
            n, mode = query.split(",")
            body = data_of(int(n))
            sha = [("X-Sha256", hashlib.sha256(body).hexdigest())]
            if mode == "cl":
                return self._send(200, body, sha)
            if mode == "chunked":
                self._send(200, b"", sha + [("Transfer-Encoding", "chunked")], False)
                for i in range(0, len(body), 100000):
                    piece = body[i:i + 100000]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
                return None
            self.close_connection = True  # to the close: no length at all
            self._send(200, b"", sha + [("Connection", "close")], False)
            self.wfile.write(body)
            return None
        if path.endswith("/hop"):
            return self._send(200, b"hop", [("Connection", "X-Hop"), ("X-Hop", "1"),
                                            ("Keep-Alive", "timeout=5"), ("X-Ok", "1")])
        if path.endswith("/missing"):
            return self._send(404, b"no")
        if path.endswith("/nobody"):
            return self._send(204, b"", length=False)
        body = json.dumps({"method": self.command, "path": self.path,
                           "headers": self.headers.items()}).encode()
        return self._send(200, body, [("Content-Type", "application/json")])

    do_HEAD = do_GET
    do_DELETE = do_GET

    def do_POST(self):
        h = hashlib.sha256()
        n = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                piece = self.rfile.read(size)
                h.update(piece)
                n += len(piece)
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0"))
            while left:
                piece = self.rfile.read(min(left, 1 << 16))
                if not piece:
                    break
                h.update(piece)
                n += len(piece)
                left -= len(piece)
        self.server.seen.append((self.command, self.path, self.headers.items()))
        self._send(200, f"{n} {h.hexdigest()}".encode())


class Upstream(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # 100 connects at once: no SYN dropped and retried

    def __init__(self, host="127.0.0.1"):
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, 0), Handler)
        self.seen = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()

    @property
    def port(self):
        return self.server_address[1]


class Raw:
    """A scripted upstream on a raw socket: each connection's request head is
    read, then script(conn) runs (answers, stalls, closes...)."""

    def __init__(self, script):
        self.script = script
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.peer_closed = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._one, args=(c,), daemon=True).start()

    def _one(self, c):
        c.settimeout(10)
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                b = c.recv(4096)
                if not b:
                    break
                head += b
            self.head = head
            self.script(self, c)
        except OSError:
            pass
        finally:
            c.close()

    def wait_peer_close(self, c, timeout=10):
        """Block until the proxy closes its side (EOF or reset)."""
        c.settimeout(timeout)
        try:
            while c.recv(65536):
                pass
        except OSError:
            pass
        self.peer_closed.set()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def stalled(count, quiet=1.0, limit=30):
    """True once count[0] has not moved for `quiet` seconds (bounded): the
    writer is blocked by back-pressure (unblocked, it moves GB/s)."""
    end = time.monotonic() + limit
    last, since = -1, time.monotonic()
    while time.monotonic() < end:
        if count[0] != last:
            last, since = count[0], time.monotonic()
        elif time.monotonic() - since >= quiet:
            return True
        time.sleep(0.05)
    return False


def hash_read(c, first, total):
    """(bytes, sha256 digest) of first and what follows on c, up to total."""
    h, n = hashlib.sha256(first), len(first)
    while n < total:
        b = c.recv(1 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
    return n, h.digest()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class ProxyTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.home = os.path.join(self.tmp.name, "www")
        os.mkdir(self.home)
        with open(os.path.join(self.home, "s.txt"), "w") as f:
            f.write("static\n")

    def tearDown(self):
        self.tmp.cleanup()

    def conf(self, text):
        path = os.path.join(self.tmp.name, "httpd.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def server(self, conf_text, *args):
        return Server(self.home, "-vv", "-c", self.conf(conf_text), *args)

    def get(self, s, path, *extra):
        r = curl("-i", *extra, s.url(path))
        head, _, body = r.stdout.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1]) if lines[0] else 0
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers.setdefault(k.strip().lower().decode(), []).append(v.strip().decode())
        return status, headers, body

    # --- what is forwarded ---------------------------------------------------

    def test_path_rewritten_query_kept_headers_forwarded(self):
        with Upstream() as up, self.server(f"P:/api/:http://127.0.0.1:{up.port}/new/\n") as s:
            st, _, body = self.get(
                s, "/api/a/b?x=1&y=%20z", "-H", "Connection: keep-alive, X-Secret",
                "-H", "X-Secret: 1", "-H", "Keep-Alive: 5", "-H", "TE: trailers",
                "-H", "Upgrade: h2c", "-H", "Proxy-Authorization: Basic eDp5",
                "-H", "X-Keep: yes", "-H", "X-Forwarded-For: 203.0.113.9",
                "-H", "X-Forwarded-Proto: https", "-H", "Host: example.test:8080")
            self.assertEqual(st, 200)
            got = json.loads(body)
            self.assertEqual(got["path"], "/new/a/b?x=1&y=%20z")
            h = {k.lower(): v for k, v in got["headers"]}
            names = [k.lower() for k, _ in got["headers"]]
            self.assertEqual(h["host"], f"127.0.0.1:{up.port}")
            self.assertEqual(h["x-keep"], "yes")
            self.assertEqual(h["x-forwarded-for"], "203.0.113.9, 127.0.0.1")
            self.assertEqual(h["x-forwarded-proto"], "http")
            self.assertEqual(h["x-forwarded-host"], "example.test:8080")
            self.assertEqual(h["via"], "1.1 httpd")
            self.assertEqual(h["connection"], "close")
            for hop in ("x-secret", "keep-alive", "te", "upgrade", "proxy-authorization"):
                self.assertNotIn(hop, names)
            self.assertEqual(names.count("x-forwarded-proto"), 1)
            # no query, empty query, the bare prefix
            for path, want in (("/api/q", "/new/q"), ("/api/q?", "/new/q?"),
                               ("/api/", "/new/")):
                self.assertEqual(json.loads(self.get(s, path)[2])["path"], want, path)

    def test_longest_prefix_wins_busybox_prefixes(self):
        with Upstream() as up, self.server(
                f"P:/a/:127.0.0.1:{up.port}/one/\nP:/a/b/:127.0.0.1:{up.port}/two/\n"
                f"P:/x:127.0.0.1:{up.port}/ex\n") as s:
            self.assertEqual(json.loads(self.get(s, "/a/b/c")[2])["path"], "/two/c")
            self.assertEqual(json.loads(self.get(s, "/a/bc")[2])["path"], "/one/bc")
            # busybox's prefix is a plain string prefix: /x takes /xyz too
            self.assertEqual(json.loads(self.get(s, "/xyz")[2])["path"], "/exyz")
            self.assertEqual(self.get(s, "/s.txt")[2], b"static\n")  # not proxied
            self.assertEqual(self.get(s, "/a")[0], 404)  # "/a/" does not take "/a"

    def test_response_headers_filtered_and_statuses(self):
        with Upstream() as up, self.server(f"P:/u/:127.0.0.1:{up.port}/\n") as s:
            st, h, body = self.get(s, "/u/hop")
            self.assertEqual((st, body), (200, b"hop"))
            self.assertEqual(h["x-ok"], ["1"])
            self.assertNotIn("x-hop", h)
            self.assertNotIn("keep-alive", h)
            self.assertEqual(h["server"], ["httpd"])
            self.assertEqual(h["via"], ["1.1 httpd"])
            self.assertEqual(self.get(s, "/u/missing")[:3:2], (404, b"no"))
            st, h, body = self.get(s, "/u/nobody")
            self.assertEqual((st, body), (204, b""))
            st, h, body = self.get(s, "/u/x", "-I")
            self.assertEqual(st, 200)
            self.assertEqual(body, b"")
            self.assertTrue(int(h["content-length"][0]) > 0)

    def test_dot_segments_refused(self):
        with Upstream() as up, self.server(f"P:/api/:127.0.0.1:{up.port}/new/\n") as s:
            for path in ("/api/../s.txt", "/api/%2e%2E/x", "/api/a/./b", "/api/.%2e"):
                self.assertEqual(self.get(s, path, "--path-as-is")[0], 400, path)
            self.assertEqual(up.seen, [])
            self.assertEqual(json.loads(self.get(s, "/api/a..b/.x")[2])["path"],
                             "/new/a..b/.x")

    def test_ipv6_upstream_and_host_name(self):
        try:
            up6 = Upstream("::1")
        except OSError:
            self.skipTest("no IPv6 loopback here")
        with up6, Upstream() as up4, self.server(
                f"P:/six/:http://[::1]:{up6.port}/v6/\n"
                f"P:/name/:localhost:{up4.port}/n/\n") as s:
            self.assertEqual(json.loads(self.get(s, "/six/x")[2])["path"], "/v6/x")
            got = json.loads(self.get(s, "/name/x")[2])
            self.assertEqual(got["path"], "/n/x")
            self.assertEqual(dict(got["headers"])["Host"], f"localhost:{up4.port}")

    # --- bodies ------------------------------------------------------------------

    def test_bodies_both_ways_sha256(self):
        size = 6 * MiB
        data = data_of(size)
        src = os.path.join(self.tmp.name, "up.bin")
        with open(src, "wb") as f:
            f.write(data)
        want = f"{size} {hashlib.sha256(data).hexdigest()}".encode()
        with Upstream() as up, self.server(f"P:/u/:127.0.0.1:{up.port}/\n") as s:
            r = curl("--data-binary", f"@{src}", s.url("/u/sha"))
            self.assertEqual(r.stdout, want)
            self.assertEqual(dict(up.seen[-1][2]).get("Content-Length"), str(size))
            r = curl("--data-binary", f"@{src}", "-H", "Transfer-Encoding: chunked",
                     s.url("/u/sha"))
            self.assertEqual(r.stdout, want)
            h = dict(up.seen[-1][2])  # chunked again: its length was not known
            self.assertEqual((h.get("Transfer-Encoding"), h.get("Content-Length")),
                             ("chunked", None))
            for mode in ("cl", "chunked", "close"):
                r = curl("-D", "-", s.url(f"/u/big?{size},{mode}"))
                head, _, body = r.stdout.partition(b"\r\n\r\n")
                self.assertEqual(len(body), size, mode)
                self.assertEqual(hashlib.sha256(body).hexdigest(),
                                 hashlib.sha256(data).hexdigest(), mode)
                self.assertIn(b"x-sha256: " + hashlib.sha256(data).hexdigest().encode(),
                              head.lower())
            # HTTP/1.0 client, answer to the close: the close ends it
            r = curl("-0", s.url(f"/u/big?{MiB},close"))
            self.assertEqual(r.stdout, data_of(MiB))

    def test_pipelined_and_keepalive(self):
        with Upstream() as up, self.server(f"P:/u/:127.0.0.1:{up.port}/\n") as s:
            req = (b"GET /u/one HTTP/1.1\r\nHost: h\r\n\r\n"
                   b"GET /s.txt HTTP/1.1\r\nHost: h\r\n\r\n"
                   b"POST /u/sha HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                   b"GET /u/two?z HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            resp = parse_responses(raw(s, req, shut=False))
            self.assertEqual([r[0] for r in resp], [200] * 4)
            self.assertEqual(json.loads(resp[0][2])["path"], "/one")
            self.assertEqual(resp[1][2], b"static\n")
            self.assertEqual(resp[2][2], f"3 {hashlib.sha256(b'abc').hexdigest()}".encode())
            self.assertEqual(json.loads(resp[3][2])["path"], "/two?z")

    def test_concurrent_100(self):
        with Upstream() as up, self.server(f"P:/u/:127.0.0.1:{up.port}/\n") as s:
            results = [None] * 100

            def one(i):
                try:
                    with connect(s, 20) as c:
                        c.sendall(b"GET /u/c%d HTTP/1.1\r\nHost: h\r\n"
                                  b"Connection: close\r\n\r\n" % i)
                        r = parse_responses(recv_all(c))
                        results[i] = (r[0][0], json.loads(r[0][2])["path"])
                except (OSError, AssertionError, ValueError, IndexError) as e:
                    results[i] = repr(e)

            threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertEqual(results, [(200, f"/c{i}") for i in range(100)])

    # --- back-pressure: memory stays bounded ------------------------------------

    def test_slow_client_bounded_memory(self):
        """The upstream sends 48 MiB at once, the client reads nothing: the
        proxy stops reading the upstream (whose send blocks), memory stays
        flat; then the client drains it all, byte-exact."""
        total = 48 * MiB
        body = data_of(total)
        sent = [0]

        def script(up, c):
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % total)
            for i in range(0, total, MiB):
                c.sendall(body[i:i + MiB])
                sent[0] += MiB

        with Raw(script) as up, self.server(f"P:/u/:127.0.0.1:{up.port}/\n") as s:
            rss0 = rss_kb(s.proc.pid)
            with connect(s, 30) as c:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
                c.sendall(b"GET /u/big HTTP/1.1\r\nHost: h\r\n\r\n")
                # the upstream's writes stall: nothing is read on its behalf
                self.assertTrue(stalled(sent))
                self.assertLess(sent[0], total // 2)
                grew = rss_kb(s.proc.pid) - rss0
                self.assertLess(grew, 8 * 1024, f"RSS grew {grew} kB")
                head = b""
                while b"\r\n\r\n" not in head:
                    head += c.recv(4096)
                head, _, rest = head.partition(b"\r\n\r\n")
                n, h = hash_read(c, rest, total)
            self.assertTrue(head.startswith(b"HTTP/1.1 200 "))
            self.assertEqual((n, h), (total, hashlib.sha256(body).digest()))

    def test_slow_upstream_bounded_memory(self):
        """The client uploads 48 MiB, the upstream reads nothing for a while:
        the proxy stops reading the client, memory stays flat; then the
        upstream takes it all, byte-exact."""
        total = 48 * MiB
        body = data_of(total)
        go = threading.Event()
        got = []

        def script(up, c):
            go.wait(30)
            got.append(hash_read(c, up.head.partition(b"\r\n\r\n")[2], total))
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

        with Raw(script) as up, self.server(f"P:/u/:127.0.0.1:{up.port}/\n") as s:
            rss0 = rss_kb(s.proc.pid)
            with connect(s, 30) as c:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
                c.sendall(b"POST /u/up HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n"
                          % total)
                sent = [0]

                def writer():
                    try:
                        for i in range(0, total, MiB):
                            c.sendall(body[i:i + MiB])
                            sent[0] += MiB
                    except OSError:
                        pass

                t = threading.Thread(target=writer, daemon=True)
                t.start()
                self.assertTrue(stalled(sent))
                self.assertLess(sent[0], total // 2)
                grew = rss_kb(s.proc.pid) - rss0
                self.assertLess(grew, 8 * 1024, f"RSS grew {grew} kB")
                go.set()
                t.join(60)
                r = Reader(c, 60)
                status, _, ok = r.response()
            self.assertEqual((status, ok), (200, b"ok"))
            self.assertEqual(got, [(total, hashlib.sha256(body).digest())])

    # --- failures -----------------------------------------------------------------

    def broken(self, answer, want, *args, close=True):
        """An upstream that answers `answer` (then closes): the client gets want."""
        def script(up, c):
            c.sendall(answer)
            if not close:
                up.wait_peer_close(c)
        with Raw(script) as up, self.server(f"P:/u/:127.0.0.1:{up.port}/\n", *args) as s:
            data = raw(s, b"GET /u/x HTTP/1.1\r\nHost: h\r\n\r\n", shut=False, timeout=10)
            err = s.stderr()
        self.assertTrue(data.startswith(b"HTTP/1.1 %d " % want), (answer, data[:100]))
        return data, err

    def test_bad_answers_are_502(self):
        answers = (b"garbage\r\n\r\n",
                       b"HTTP/1.1 200 OK\r\nContent-Le",  # half-written head
                       b"HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: evil=1\r\n"
                       b"Content-Length: 2\r\n\r\nok",  # response splitting
                       b"HTTP/1.1 200 OK\r\nX A: b\r\nContent-Length: 2\r\n\r\nok",
                       b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: "
                       b"chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                       b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
                       b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
                       b"HTTP/1.1 20 OK\r\n\r\n",
                       b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n",
                       b"HTTP/1.1 200 OK\r\n" + b"X-N: 1\r\n" * 101 + b"\r\n",
                       b"")  # closed without a byte

        def script(up, c):
            c.sendall(answers[up.accepted - 1])
        with Raw(script) as up, self.server(f"P:/u/:127.0.0.1:{up.port}/\n") as s:
            for answer in answers:
                with self.subTest(answer=answer):
                    data = raw(s, b"GET /u/x HTTP/1.1\r\nHost: h\r\n\r\n", shut=False)
                    self.assertTrue(data.startswith(b"HTTP/1.1 502 "), data[:100])
                    self.assertNotIn(b"evil", data)
            self.assertEqual(up.accepted, len(answers))

    def test_refused_and_reset(self):
        port = free_port()
        with self.server(f"P:/u/:127.0.0.1:{port}/\n") as s:
            data = raw(s, b"GET /u/x HTTP/1.1\r\nHost: h\r\n\r\n", shut=False)
            self.assertTrue(data.startswith(b"HTTP/1.1 502 "), data[:80])
            self.assertIn("upstream refused the connection", s.stderr())

        def reset(up, c):
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        with Raw(reset) as up, self.server(f"P:/u/:127.0.0.1:{up.port}/\n") as s:
            data = raw(s, b"GET /u/x HTTP/1.1\r\nHost: h\r\n\r\n", shut=False)
            self.assertTrue(data.startswith(b"HTTP/1.1 502 "), data[:80])

    def test_length_that_lies_closes_the_client(self):
        """Once the head is out, a short body can only end with the close:
        never presented as complete (no chunk terminator, fewer bytes)."""
        data, err = self.broken(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", 200)
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: 100", head)
        self.assertEqual(body, b"short")  # then EOF (raw() read to the end)
        data, err = self.broken(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                b"5\r\nhello\r\n", 200)
        self.assertNotIn(b"0\r\n\r\n", data)
        self.assertIn("upstream closed before the end of its answer", err)

    def test_silent_upstream_504_and_client_gone(self):
        def silent(up, c):
            up.wait_peer_close(c, 20)
        with Raw(silent) as up, self.server(f"P:/u/:127.0.0.1:{up.port}/\n",
                                            "--proxy-timeout", "1") as s:
            data = raw(s, b"GET /u/x HTTP/1.1\r\nHost: h\r\n\r\n", shut=False, timeout=15)
            self.assertTrue(data.startswith(b"HTTP/1.1 504 "), data[:80])
            self.assertIn("upstream gave no answer in time", s.stderr())
            self.assertTrue(up.peer_closed.wait(10))
        # the client leaves while the upstream thinks: its connection closes
        with Raw(silent) as up, self.server(f"P:/u/:127.0.0.1:{up.port}/") as s:
            with connect(s) as c:
                c.sendall(b"GET /u/x HTTP/1.1\r\nHost: h\r\n\r\n")
                self.assertTrue(wait_until(lambda: up.accepted == 1, 10))
            self.assertTrue(up.peer_closed.wait(10))
            self.assertEqual(curl(s.url("/s.txt")).stdout, b"static\n")

    def test_trickling_upstream_blocks_nobody(self):
        """An upstream that sends its answer a few bytes at a time (chunked):
        the client gets it whole; other clients are served meanwhile."""
        done, go = threading.Event(), threading.Event()
        body = b"".join(b"piece %02d;" % i for i in range(20))

        def trickle(up, c):
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for i in range(0, len(body), 9):
                c.sendall(b"%x\r\n%s\r\n" % (len(body[i:i + 9]), body[i:i + 9]))
                if i == 18:
                    go.wait(10)  # held here until a static answer came
                time.sleep(0.01)
            c.sendall(b"0\r\n\r\n")
            done.set()
        with Raw(trickle) as up, self.server(f"P:/u/:127.0.0.1:{up.port}/") as s:
            with connect(s, 20) as c:
                c.sendall(b"GET /u/slow HTTP/1.1\r\nHost: h\r\n\r\n")
                self.assertTrue(wait_until(lambda: up.accepted == 1, 10))
                self.assertEqual(curl(s.url("/s.txt")).stdout, b"static\n")
                self.assertFalse(done.is_set())
                go.set()
                data = b""
                while not data.endswith(b"\r\n0\r\n\r\n"):
                    b = c.recv(65536)
                    self.assertTrue(b, data)
                    data += b
        head, _, rest = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "))
        self.assertIn(b"Transfer-Encoding: chunked", head)
        got = b""
        while True:
            size, _, rest = rest.partition(b"\r\n")
            if int(size, 16) == 0:
                break
            got, rest = got + rest[:int(size, 16)], rest[int(size, 16) + 2:]
        self.assertEqual(got, body)

    def test_client_gone_mid_answer(self):
        """The client leaves after the head and some of the body: the
        upstream's connection is closed too, the server serves on."""
        def half(up, c):
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1000)
            up.wait_peer_close(c, 20)
        with Raw(half) as up, self.server(f"P:/u/:127.0.0.1:{up.port}/") as s:
            with connect(s) as c:
                c.sendall(b"GET /u/x HTTP/1.1\r\nHost: h\r\n\r\n")
                got = b""
                while len(got) < 1000 or b"\r\n\r\n" not in got:
                    b = c.recv(65536)
                    self.assertTrue(b)
                    got += b
                self.assertTrue(got.startswith(b"HTTP/1.1 200 "))
            self.assertTrue(up.peer_closed.wait(10))
            self.assertEqual(curl(s.url("/s.txt")).stdout, b"static\n")

    def test_acl_and_auth_before_proxying(self):
        with Upstream() as up, self.server(
                f"/u:admin:secret\nP:/u/:127.0.0.1:{up.port}/\n") as s:
            self.assertEqual(self.get(s, "/u/x")[0], 401)
            self.assertEqual(self.get(s, "/u/x", "-u", "admin:wrong")[0], 401)
            self.assertEqual(up.seen, [])
            self.assertEqual(self.get(s, "/u/x", "-u", "admin:secret")[0], 200)
            self.assertEqual(len(up.seen), 1)
        with Upstream() as up, self.server(f"D:127.0.0.1\nP:/u/:127.0.0.1:{up.port}/\n") as s:
            self.assertEqual(self.get(s, "/u/x")[0], 403)
            self.assertEqual(up.seen, [])

    def test_reload_and_config_errors(self):
        with Upstream() as a, Upstream() as b, \
                self.server(f"P:/u/:127.0.0.1:{a.port}/a/\n") as s:
            self.assertEqual(json.loads(self.get(s, "/u/x")[2])["path"], "/a/x")
            self.conf(f"P:/u/:127.0.0.1:{b.port}/b/\n")
            s.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_until(lambda: "reloaded" in s.stderr(), 10))
            self.assertEqual(json.loads(self.get(s, "/u/x")[2])["path"], "/b/x")
            # a host that does not resolve: the old rules stay
            self.conf("P:/u/:no-such-host.invalid/c/\n")
            s.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_until(lambda: "keeping the previous" in s.stderr(), 20))
            self.assertEqual(json.loads(self.get(s, "/u/x")[2])["path"], "/b/x")
        for line, msg in (("P:/u/:no-such-host.invalid/c/", "cannot resolve upstream host"),
                          ("P:/u/:https://h/", "only http:// is supported"),
                          ("P:/u/:h:99999/", "bad port"),
                          ("P:/u/:h", "expected P:"),
                          ("P:u:h/", "must start with '/'")):
            conf = self.conf(line + "\n")
            r = Server(self.home, "-c", conf)
            with self.assertRaises(RuntimeError) as e:
                r.start()
            self.assertIn(f"{conf}:1: ", str(e.exception))
            self.assertIn(msg, str(e.exception))

    def test_reload_turns_rules_on_and_off(self):
        # Without P: or interpreter lines their checks are skipped: a reload
        # that adds them must take effect, one that removes them too.
        src = b"print('Content-Type: text/plain')\nprint()\nprint('script')\n"
        with open(os.path.join(self.home, "x.py"), "wb") as f:
            f.write(src)
        with Upstream() as up, self.server("I:index.html\n") as s:
            self.assertEqual(self.get(s, "/u/s.txt")[0], 404)
            self.assertEqual(self.get(s, "/x.py")[::2], (200, src))
            for n, (text, on) in enumerate(
                    ((f"P:/u/:127.0.0.1:{up.port}/\n*.py:/usr/bin/python3\n", True),
                     ("I:index.html\n", False)), 1):
                self.conf(text)
                s.proc.send_signal(signal.SIGHUP)
                self.assertTrue(wait_until(lambda: s.stderr().count("reloaded") == n, 10))
                if on:
                    self.assertEqual(json.loads(self.get(s, "/u/s.txt")[2])["path"], "/s.txt")
                    self.assertEqual(self.get(s, "/x.py")[::2], (200, b"script\n"))
                else:
                    self.assertEqual(self.get(s, "/u/s.txt")[0], 404)
                    self.assertEqual(self.get(s, "/x.py")[::2], (200, src))

    def test_idle_clients_unaffected(self):
        with Upstream() as up, self.server(f"P:/u/:127.0.0.1:{up.port}/\n") as s:
            idle = [connect(s) for _ in range(300)]
            try:
                for i in range(20):
                    self.assertEqual(json.loads(self.get(s, f"/u/{i}")[2])["path"], f"/{i}")
                for c in idle[:20]:
                    c.setblocking(False)
                    with self.assertRaises(BlockingIOError):
                        c.recv(1)  # still open, nothing sent
            finally:
                for c in idle:
                    c.close()


if __name__ == "__main__":
    unittest.main()
