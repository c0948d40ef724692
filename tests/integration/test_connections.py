"""Connections (README "HTTP features", "Limits and timeouts"): keep-alive
and pipelining, the timeouts, many and misbehaving connections. Each test
makes its own HOME; every wait is bounded."""
import os
import signal
import socket
import time
import unittest

from core import Base, req
from harness import Reader, Server, connect, curl, parse_responses, recv_all, wait_until


# --- connections ----------------------------------------------------------------

class KeepAlive(Base):
    def setUp(self):
        self.home = self.make_home({"a.txt": b"AAA", "b.txt": b"BBBB", "c.txt": b"C"})
        self.s = self.serve(self.home)

    def test_http11_keepalive_default(self):
        with connect(self.s) as c:
            r = Reader(c)
            for i in range(3):
                c.sendall(req("/a.txt"))
                st, h, body = r.response()
                self.assertEqual((st, body), (200, b"AAA"))
                self.assertNotEqual(h.get("connection", "").lower(), "close")
            self.assertFalse(r.closed(0.3))

    def test_http10_closes_by_default(self):
        with connect(self.s) as c:
            c.sendall(req("/a.txt", version="1.0", host=None))
            r = Reader(c)
            st, h, body = r.response()
            self.assertEqual((st, body), (200, b"AAA"))
            self.assertEqual(h.get("connection", "").lower(), "close")
            self.assertTrue(r.closed(5))
            self.assertEqual(r.buf, b"")

    def test_http10_keepalive_on_request(self):
        with connect(self.s) as c:
            r = Reader(c)
            for _ in range(2):
                c.sendall(req("/b.txt", version="1.0", host=None,
                              headers=("Connection: keep-alive",)))
                st, h, body = r.response()
                self.assertEqual((st, body), (200, b"BBBB"))
                self.assertEqual(h.get("connection", "").lower(), "keep-alive")
            self.assertFalse(r.closed(0.3))

    def test_connection_close_honoured(self):
        with connect(self.s) as c:
            c.sendall(req("/a.txt", headers=("Connection: close",)) + req("/b.txt"))
            r = Reader(c)
            st, h, body = r.response()
            self.assertEqual((st, body), (200, b"AAA"))
            self.assertEqual(h["connection"].lower(), "close")
            self.assertTrue(r.closed(5))
            self.assertEqual(r.buf, b"", "answered a request after Connection: close")

    def test_pipelining_in_order(self):
        paths = ["/a.txt", "/b.txt", "/c.txt", "/nope", "/b.txt", "/a.txt"]
        data = b"".join(req(p) for p in paths[:-1]) + req(paths[-1], headers=("Connection: close",))
        with connect(self.s) as c:
            c.sendall(data)
            r = Reader(c)
            self.assertTrue(r.closed(5))
        rs = parse_responses(r.buf)
        want = {"/a.txt": b"AAA", "/b.txt": b"BBBB", "/c.txt": b"C"}
        self.assertEqual([x[0] for x in rs], [200, 200, 200, 404, 200, 200])
        for p, (st, h, body) in zip(paths, rs):
            if p in want:
                self.assertEqual(body, want[p], p)

    def test_pipelining_many_with_head(self):
        n = 60
        data = b"".join(req("/a.txt", "HEAD" if i % 3 == 1 else "GET") for i in range(n))
        with connect(self.s) as c:
            c.sendall(data)
            r = Reader(c)
            got = [r.response(head=(i % 3 == 1)) for i in range(n)]
        self.assertNotIn(None, got)
        for i, (st, h, body) in enumerate(got):
            self.assertEqual(st, 200)
            self.assertEqual(body, b"" if i % 3 == 1 else b"AAA")
        self.assertEqual(r.buf, b"")

    def test_upgrade_ignored_connection_goes_on(self):
        # curl --http2 on http:// asks for h2c: answered in HTTP/1.1, and the
        # next request on the connection is served (llhttp alone refused it)
        up = req("/a.txt", headers=("Upgrade: h2c", "Connection: Upgrade, HTTP2-Settings",
                                    "HTTP2-Settings: AAMAAABkAAQAAP__"))
        with connect(self.s) as c:
            c.sendall(up)
            r = Reader(c)
            first = r.response()
            c.sendall(req("/b.txt"))
            second = r.response()
        self.assertEqual((first[0], first[2]), (200, b"AAA"))
        self.assertEqual((second[0], second[2]), (200, b"BBBB"))

    def test_pipelined_split_across_sends(self):
        data = req("/a.txt") + req("/b.txt")
        with connect(self.s) as c:
            c.sendall(data[:7])
            time.sleep(0.05)
            c.sendall(data[7:30])
            time.sleep(0.05)
            c.sendall(data[30:])
            r = Reader(c)
            self.assertEqual(r.response()[2], b"AAA")
            self.assertEqual(r.response()[2], b"BBBB")

    def test_ipv4_and_bare_lf(self):
        for data in (b"GET /a.txt HTTP/1.0\n\n", b"GET /a.txt HTTP/1.1\nHost: x\nConnection: close\n\n",
                     b"GET /a.txt HTTP/1.0\nUser-Agent: nc\nAccept: */*\n\n",
                     b"GET /a.txt HTTP/1.1\r\nHost: x\nConnection: close\r\n\n"):
            with self.subTest(data=data):
                rs, closed = self.one(self.s, data)
                self.assertEqual(len(rs), 1)
                self.assertEqual((rs[0][0], rs[0][2]), (200, b"AAA"))
                self.assertTrue(closed)

    def test_bare_lf_pipelined(self):
        data = b"GET /a.txt HTTP/1.1\nHost: x\n\nGET /b.txt HTTP/1.1\nHost: x\n\n"
        with connect(self.s) as c:
            c.sendall(data)
            r = Reader(c)
            self.assertEqual(r.response()[2], b"AAA")
            self.assertEqual(r.response()[2], b"BBBB")

    def test_bare_lf_index(self):
        home = self.make_home({"index.html": b"idx"})
        s = self.serve(home)
        rs, _ = self.one(s, b"GET / HTTP/1.0\n\n")
        self.assertEqual((rs[0][0], rs[0][2]), (200, b"idx"))

    def test_leading_empty_lines_ignored(self):
        rs, _ = self.one(self.s, b"\r\n\r\n" + req("/a.txt", headers=("Connection: close",)))
        self.assertEqual([(r[0], r[2]) for r in rs], [(200, b"AAA")])

    def test_one_batch_of_every_kind(self):
        """All of it arrives while the server is stopped, so one batch of
        events holds it (the answers are all made before any is sent):
        kept-alive and new connections, whole, partial, pipelined, bad
        and HEAD requests. The partial ones are answered once whole."""
        kept = []
        for _ in range(3):
            c = connect(self.s)
            self.addCleanup(c.close)
            c.sendall(req("/c.txt"))
            self.assertEqual(Reader(c).response()[2], b"C")
            kept.append(c)
        self.addCleanup(self.s.proc.send_signal, signal.SIGCONT)
        self.s.proc.send_signal(signal.SIGSTOP)
        whole, partial, piped = kept
        whole.sendall(req("/a.txt"))
        partial.sendall(req("/b.txt")[:20])
        piped.sendall(req("/a.txt") + req("/nope") + req("/b.txt", headers=("Connection: close",)))
        new = {}
        for name, data in (("whole", req("/b.txt", headers=("Connection: close",))),
                           ("partial", req("/a.txt")[:9]),
                           ("bad", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n"),
                           ("head", req("/b.txt", method="HEAD"))):
            new[name] = connect(self.s)
            self.addCleanup(new[name].close)
            new[name].sendall(data)
        self.s.proc.send_signal(signal.SIGCONT)

        self.assertEqual(Reader(whole).response()[::2], (200, b"AAA"))
        rs, closed = self.answers(piped)
        self.assertTrue(closed)
        self.assertEqual([x[0] for x in rs], [200, 404, 200])
        self.assertEqual((rs[0][2], rs[2][2]), (b"AAA", b"BBBB"))
        rs, closed = self.answers(new["whole"])
        self.assertTrue(closed)
        self.assertEqual([(x[0], x[2]) for x in rs], [(200, b"BBBB")])
        rs, closed = self.answers(new["bad"])
        self.assertTrue(closed)
        self.assertEqual([x[0] for x in rs], [400])
        st, h, _ = Reader(new["head"]).response(head=True)
        self.assertEqual((st, h["content-length"]), (200, "4"))
        # the partial heads waited (the new one in the epoll set): now whole
        partial.sendall(req("/b.txt")[20:])
        self.assertEqual(Reader(partial).response()[::2], (200, b"BBBB"))
        new["partial"].sendall(req("/a.txt")[9:])
        self.assertEqual(Reader(new["partial"]).response()[::2], (200, b"AAA"))
        self.assertEqual(self.s.proc.poll(), None)


# --- traversal ----------------------------------------------------------------


# --- timeouts -----------------------------------------------------------------------

class Timeouts(Base):
    def test_partial_head_408(self):
        home = self.make_home({"a.txt": b"a"})
        s = self.serve(home, "--header-timeout", "0.5")
        with connect(s, timeout=10) as c:
            t0 = time.monotonic()
            c.sendall(b"GET /a.txt HTTP/1.1\r\nHost: x\r\n")
            r = Reader(c, deadline=10)
            resp = r.response()
            took = time.monotonic() - t0
            self.assertIsNotNone(resp, "no answer to a partial head")
            self.assertEqual(resp[0], 408)
            self.assertEqual(resp[1].get("connection", "").lower(), "close")
            self.assertTrue(r.closed(5))
            self.assertGreater(took, 0.3)
            self.assertLess(took, 5)

    def test_slowloris_trickle_408(self):
        home = self.make_home({"a.txt": b"a"})
        s = self.serve(home, "--header-timeout", "1")
        data = b"GET /a.txt HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"s" * 200
        with connect(s, timeout=0.1) as c:
            got, t0 = b"", time.monotonic()
            for i in range(len(data)):  # one byte per 0.1 s; bounded
                try:
                    c.sendall(data[i:i + 1])
                except OSError:
                    break
                try:
                    b = c.recv(4096)
                    if not b:
                        break
                    got += b
                except socket.timeout:
                    pass
                except ConnectionResetError:
                    break
                if b"\r\n\r\n" in got or time.monotonic() - t0 > 8:
                    break
            took = time.monotonic() - t0
        self.assertTrue(got.startswith(b"HTTP/1.1 408 "), got[:100])
        self.assertLess(took, 6, "the head deadline restarted with each byte")

    def test_silent_connection_closed(self):
        home = self.make_home({"a.txt": b"a"})
        s = self.serve(home, "--header-timeout", "0.5")
        with connect(s, timeout=10) as c:
            r = Reader(c)
            self.assertTrue(r.closed(5))
            self.assertEqual(r.buf, b"")

    def test_idle_keepalive_closed(self):
        home = self.make_home({"a.txt": b"a"})
        s = self.serve(home, "--idle-timeout", "0.5")
        with connect(s, timeout=10) as c:
            c.sendall(req("/a.txt"))
            r = Reader(c)
            self.assertEqual(r.response()[0], 200)
            t0 = time.monotonic()
            self.assertTrue(r.closed(5), "idle keep-alive connection not closed")
            self.assertGreater(time.monotonic() - t0, 0.3)
            self.assertEqual(r.buf, b"", "an idle close sends nothing")

    def test_idle_timeout_not_applied_while_active(self):
        home = self.make_home({"a.txt": b"a"})
        s = self.serve(home, "--idle-timeout", "1")
        with connect(s, timeout=10) as c:
            r = Reader(c)
            for _ in range(4):  # 4 × 0.5 s > 1 s, but never idle for 1 s
                c.sendall(req("/a.txt"))
                self.assertEqual(r.response()[0], 200)
                time.sleep(0.5)
            c.sendall(req("/a.txt"))
            self.assertEqual(r.response()[0], 200)

    def test_write_timeout_drops_stalled_reader(self):
        home = self.make_home()
        big = os.path.join(home, "big.bin")
        with open(big, "wb") as f:
            f.truncate(64 << 20)
        s = self.serve(home, "--write-timeout", "0.5")
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(c.close)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.settimeout(5)
        c.connect((s.host, s.port))
        c.sendall(req("/big.bin"))
        # The answer's first bytes prove the server took the connection (watching
        # its socket count rise could miss it: under valgrind on a loaded machine it
        # may be accepted and dropped between two polls). Then this connection's
        # own end is watched: a count of sockets could fall by another one (a
        # start-up probe closed late) and let a whole answer through.
        first = c.recv(16)
        self.assertTrue(first.startswith(b"HTTP/1.1 200 "), first)
        self.assertTrue(wait_until(lambda: not s.holds(c), 10),
                        "stalled reader not dropped")
        got = first + recv_all(c)
        self.assertLess(len(got), 64 << 20)

    def test_timeout_values(self):
        home = self.make_home({"a.txt": b"a"})
        for opt in ("--header-timeout", "--idle-timeout", "--write-timeout"):
            for v in ("0.5", "2", "1.25"):
                with self.subTest(opt=opt, v=v):
                    s = Server(home, opt, v)
                    s.start()
                    try:
                        self.assertEqual(self.get(s, "/a.txt")[0], 200)
                    finally:
                        s.__exit__()


# --- connection limit and addresses ------------------------------------------------

class Connections(Base):
    def test_max_conns(self):
        home = self.make_home({"a.txt": b"a"})
        s = self.serve(home, "--max-conns", "2")
        a, b = connect(s), connect(s)
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        ra, rb = Reader(a), Reader(b)
        a.sendall(req("/a.txt"))
        b.sendall(req("/a.txt"))
        self.assertEqual(ra.response()[0], 200)
        self.assertEqual(rb.response()[0], 200)
        c = connect(s)  # completes in the kernel's backlog
        self.addCleanup(c.close)
        c.sendall(req("/a.txt"))
        c.settimeout(1)
        try:
            early = c.recv(100)
        except socket.timeout:
            early = None
        self.assertIsNone(early, "a third connection was served with --max-conns 2")
        a.close()
        c.settimeout(5)
        rc = Reader(c)
        resp = rc.response()
        self.assertIsNotNone(resp, "not served after a slot freed")
        self.assertEqual(resp[0], 200)
        # and b still works
        b.sendall(req("/a.txt"))
        self.assertEqual(rb.response()[0], 200)

    def test_emfile_no_spin_and_recovers(self):
        import resource

        def low_fd_limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (24, 24))

        home = self.make_home({"a.txt": b"a"})
        s = self.serve(home, "--max-conns", "1000", preexec=low_fd_limit)
        clients = []
        self.addCleanup(lambda: [c.close() for c in clients])
        for _ in range(40):  # more than the server has fds for
            clients.append(connect(s))
        time.sleep(0.3)

        def cpu_ticks():
            with open(f"/proc/{s.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])  # utime + stime
        t0 = cpu_ticks()
        time.sleep(1)
        used = (cpu_ticks() - t0) / os.sysconf("SC_CLK_TCK")
        self.assertLess(used, 0.3, "the server spins on EMFILE")
        self.assertIsNone(s.proc.poll(), "the server died on EMFILE")
        for c in clients:
            c.close()
        clients.clear()

        def served():
            try:
                with connect(s, timeout=2) as c:
                    c.sendall(req("/a.txt", headers=("Connection: close",)))
                    rs = parse_responses(recv_all(c))
                    return rs and rs[0][0] == 200 and rs[0][2] == b"a"
            except (OSError, AssertionError, ValueError, IndexError):
                return False
        self.assertTrue(wait_until(served, 10, step=0.2), "not serving after fds freed")

    def have_ipv6(self):
        try:
            with socket.socket(socket.AF_INET6) as t:
                t.bind(("::1", 0))
            return True
        except OSError:
            return False

    def test_ipv6_literal(self):
        if not self.have_ipv6():
            self.skipTest("no IPv6 loopback on this machine")
        home = self.make_home({"a.txt": b"six"})
        s = self.serve(home, host="::1")
        self.assertEqual(self.get(s, "/a.txt")[2], b"six")
        r = curl("-g", s.url("/a.txt"))
        self.assertEqual(r.stdout, b"six", r.stderr)

    def test_bare_port_both_families(self):
        if not self.have_ipv6():
            self.skipTest("no IPv6 loopback on this machine")
        home = self.make_home({"a.txt": b"both"})
        s = self.serve(home, bare_port=True)
        for host in ("127.0.0.1", "::1"):
            with self.subTest(host=host):
                with socket.create_connection((host, s.port), timeout=5) as c:
                    c.sendall(req("/a.txt", headers=("Connection: close",)))
                    rs = parse_responses(recv_all(c))
                self.assertEqual((rs[0][0], rs[0][2]), (200, b"both"))


if __name__ == "__main__":
    unittest.main()
