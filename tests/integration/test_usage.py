"""Running it (README "Usage"): signals, the access log, the command line,
worker processes. Each test makes its own HOME; every wait is bounded."""
import os
import re
import signal
import socket
import subprocess
import time
import unittest

from core import Base, req
from harness import (HTTPD, SLOW, Reader, connect, parse_responses, raw, recv_all,
                     wait_until)


# --- signals -----------------------------------------------------------------------

class Signals(Base):
    def test_sigterm_exit_0(self):
        s = self.serve(self.make_home({"a.txt": b"a"}))
        self.assertEqual(self.get(s, "/a.txt")[0], 200)
        self.assertEqual(s.stop(signal.SIGTERM), 0)

    def test_sigint_exit_0(self):
        s = self.serve(self.make_home({"a.txt": b"a"}))
        self.assertEqual(s.stop(signal.SIGINT), 0)

    def test_sigterm_idle_connections_do_not_hold_exit(self):
        s = self.serve(self.make_home({"a.txt": b"a"}), "--grace", "20")
        c = connect(s)
        self.addCleanup(c.close)
        c.sendall(req("/a.txt"))
        self.assertEqual(Reader(c).response()[0], 200)
        t0 = time.monotonic()
        self.assertEqual(s.stop(signal.SIGTERM, timeout=10), 0)
        self.assertLess(time.monotonic() - t0, 5)

    def test_sigterm_lets_response_in_flight_finish(self):
        home = self.make_home()
        size = 16 << 20
        with open(os.path.join(home, "big.bin"), "wb") as f:
            f.write(os.urandom(1 << 16) * (size >> 16))
        # a grace far longer than the transfer (the client pauses up to 3 s
        # below, then reads 16 MiB through a 16 KiB window, slowly under
        # ASan): the answer must finish because it is in flight, not
        # because it was quick; the exit still comes as it ends
        s = self.serve(home, "--grace", "60")
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(c.close)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        c.settimeout(5)
        c.connect((s.host, s.port))
        c.sendall(req("/big.bin"))
        r = Reader(c, deadline=30)
        got = c.recv(4096)
        self.assertTrue(got.startswith(b"HTTP/1.1 200 "))
        s.proc.send_signal(signal.SIGTERM)
        # no new connections once stopping
        refused = wait_until(lambda: self._refused(s), 3)
        r.buf = got
        resp = r.response()
        self.assertIsNotNone(resp, "response cut short by SIGTERM")
        self.assertEqual(len(resp[2]), size)
        self.assertEqual(s.stop(signal.SIGTERM, timeout=10), 0)
        self.assertTrue(refused, "still accepting after SIGTERM")

    @staticmethod
    def _refused(s):
        try:
            with socket.create_connection((s.host, s.port), timeout=1) as t:
                t.sendall(req("/x", headers=("Connection: close",)))
                t.settimeout(1)
                return t.recv(10) == b""
        except OSError:
            return True

    def test_grace_period_bounds_exit(self):
        home = self.make_home()
        with open(os.path.join(home, "big.bin"), "wb") as f:
            f.truncate(64 << 20)
        s = self.serve(home, "--grace", "0.5")
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(c.close)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.settimeout(5)
        c.connect((s.host, s.port))
        c.sendall(req("/big.bin"))
        time.sleep(0.2)
        t0 = time.monotonic()
        self.assertEqual(s.stop(signal.SIGTERM, timeout=10), 0)
        self.assertLess(time.monotonic() - t0, 5)


# --- access log ----------------------------------------------------------------------

CLF = re.compile(r'^(?P<ip>\S+) - (?P<user>\S+) \[(?P<t>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d '
                 r'[+-]\d{4})\] "(?P<line>[^"\\]*(?:\\.[^"\\]*)*)" (?P<status>\d{3}) '
                 r'(?P<bytes>\d+|-) "(?P<ref>[^"\\]*(?:\\.[^"\\]*)*)" '
                 r'"(?P<ua>[^"\\]*(?:\\.[^"\\]*)*)"$')


class AccessLog(Base):
    def log_lines(self, s, n):
        def lines():
            return [l for l in s.stderr().splitlines() if l and not l.startswith("httpd:")]
        wait_until(lambda: len(lines()) >= n, 5)
        return lines()

    def test_combined_log_format(self):
        home = self.make_home({"a.txt": b"hello"})
        s = self.serve(home, "-v")
        raw(s, req("/a.txt?q=1", headers=("Referer: http://ref/", "User-Agent: agent/1.0",
                                          "Connection: close")))
        raw(s, req("/missing", "HEAD", version="1.0", host=None))
        lines = self.log_lines(s, 2)
        self.assertEqual(len(lines), 2, lines)
        m = CLF.match(lines[0])
        self.assertIsNotNone(m, lines[0])
        self.assertEqual(m["ip"], "127.0.0.1")
        self.assertEqual(m["user"], "-")
        self.assertEqual(m["line"], "GET /a.txt?q=1 HTTP/1.1")
        self.assertEqual((m["status"], m["bytes"]), ("200", "5"))
        self.assertEqual((m["ref"], m["ua"]), ("http://ref/", "agent/1.0"))
        t = time.strptime(m["t"], "%d/%b/%Y:%H:%M:%S %z")
        self.assertLess(abs(time.mktime(t) - time.mktime(time.localtime())), 3600 * 25)
        m = CLF.match(lines[1])
        self.assertIsNotNone(m, lines[1])
        self.assertEqual((m["line"], m["status"]), ("HEAD /missing HTTP/1.0", "404"))
        self.assertIn(m["bytes"], ("0", "-"))
        self.assertEqual((m["ref"], m["ua"]), ("-", "-"))

    def test_peer_addresses_in_log(self):
        """Dotted quads of every width, from other 127/8 source addresses;
        and the same through a dual-stack socket (v4-mapped)."""
        home = self.make_home({"a.txt": b"hello"})
        sources = ("127.0.0.1", "127.10.200.3", "127.255.9.99")
        for bare in (False, True):
            s = self.serve(home, "-v", bare_port=bare)
            for src in sources:
                with socket.create_connection(("127.0.0.1", s.port), timeout=5,
                                              source_address=(src, 0)) as c:
                    c.sendall(req("/a.txt", headers=("Connection: close",)))
                    recv_all(c)
            lines = self.log_lines(s, len(sources))
            self.assertEqual([l.split(" ", 1)[0] for l in lines], list(sources), lines)

    def test_control_bytes_escaped(self):
        home = self.make_home({"a.txt": b"hello"})
        s = self.serve(home, "-v")
        raw(s, b"GET /a\x01b\x1b[31m HTTP/1.1\r\nHost: x\r\n\r\n")
        # CTLs in a field value may be refused (RFC 9110 §5.5) or kept: either
        # way the log shows none raw
        out = raw(s, req("/a.txt", headers=("User-Agent: evil\x1b[2J\x7fz",
                                            "Connection: close")))
        raw(s, req("/a.txt", headers=('User-Agent: q"uote\\back', "Referer: r\"ef",
                                      "Connection: close")))
        lines = self.log_lines(s, 3)
        err = s.stderr()
        for ch in ("\x01", "\x1b", "\x7f"):
            self.assertNotIn(ch, err)
        self.assertEqual(len(lines), 3, lines)
        self.assertIn("\\x01", lines[0])
        self.assertIn("\\x1b[31m", lines[0])
        self.assertIsNotNone(CLF.match(lines[0]), lines[0])
        self.assertRegex(lines[0], r'" 400 \d+ ')
        m = CLF.match(lines[1])
        self.assertIsNotNone(m, lines[1])
        if out.startswith(b"HTTP/1.1 200"):
            self.assertEqual(m["ua"], "evil\\x1b[2J\\x7fz")
        else:
            self.assertEqual(m["status"], "400")
        # quotes and backslashes cannot end or confuse a field
        m = CLF.match(lines[2])
        self.assertIsNotNone(m, lines[2])
        self.assertEqual(m["status"], "200")
        self.assertIn(m["ua"], ('q\\"uote\\\\back', "q\\x22uote\\x5cback"))
        self.assertIn(m["ref"], ('r\\"ef', "r\\x22ef"))

    def test_ipv6_peer_in_log(self):
        try:
            with socket.socket(socket.AF_INET6) as t:
                t.bind(("::1", 0))
        except OSError:
            self.skipTest("no IPv6 loopback on this machine")
        home = self.make_home({"a.txt": b"hello"})
        s = self.serve(home, "-v", host="::1")
        raw(s, req("/a.txt", headers=("Connection: close",)))
        lines = self.log_lines(s, 1)
        self.assertTrue(lines and lines[0].startswith("::1 - - ["), lines)

    def test_no_log_without_v(self):
        home = self.make_home({"a.txt": b"hello"})
        s = self.serve(home)
        raw(s, req("/a.txt", headers=("Connection: close",)))
        time.sleep(0.2)
        self.assertEqual(s.stderr(), "")


# --- command line --------------------------------------------------------------------

class CommandLine(Base):
    def run_httpd(self, *args):
        home = self.make_home()
        return subprocess.run([HTTPD, "-f", "-h", home, *args], capture_output=True,
                              timeout=10, stdin=subprocess.DEVNULL)

    def test_bad_options_usage_exit_1(self):
        cases = [("--bogus",), ("-X",), ("-p",), ("--header-timeout", "abc"),
                 ("--header-timeout", "-1"), ("--header-timeout", "0"),
                 ("--idle-timeout", "1x"), ("--write-timeout", ""),
                 ("--max-conns", "0"), ("--max-conns", "many"), ("--grace", "soon"),
                 ("-p", "notaport"), ("-p", "99999"), ("-p", "127.0.0.1:"),
                 ("-p", "[::1:8080"), ("unexpected-arg",)]
        for args in cases:
            with self.subTest(args=args):
                r = self.run_httpd(*args)
                self.assertEqual(r.returncode, 1, r.stderr)
                self.assertIn(b"sage", r.stderr)  # "Usage:"
                self.assertEqual(r.stdout, b"")

    def test_help_on_stdout_exit_0(self):
        """Asked for, the usage is the answer: stdout, success, every option named."""
        r = self.run_httpd("--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, b"")
        self.assertTrue(r.stdout.startswith(b"Usage: httpd "))
        for opt in (b"-i", b"-f", b"-v", b"-D", b"-p", b"-u", b"-r", b"-h", b"-c", b"-m",
                    b"-e", b"-d", b"--header-timeout", b"--idle-timeout", b"--write-timeout",
                    b"--max-conns", b"--grace", b"--list", b"--cgi-timeout", b"--cgi-max",
                    b"--workers", b"--version", b"--spa", b"--header", b"--cors",
                    b"--cors-credentials", b"--cors-methods", b"--cors-headers",
                    b"--cors-max-age", b"--inspect", b"--chat", b"--health", b"--metrics",
                    b"--drain", b"--trust-proxy", b"--proxy-protocol", b"--log-format",
                    b"--probe", b"--probe-timeout", b"--proxy-timeout"):
            self.assertIn(opt, r.stdout)

    def test_version(self):
        r = self.run_httpd("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, b"")
        self.assertRegex(r.stdout, rb"^httpd [0-9]+\.[0-9]+\S*\n$")

    def test_missing_home_exit_1(self):
        r = subprocess.run([HTTPD, "-f", "-p", "127.0.0.1:0", "-h", "/nonexistent/dir"],
                           capture_output=True, timeout=10, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr)

    def test_default_home_is_cwd(self):
        home = self.make_home({"a.txt": b"cwd"})
        port = __import__("harness").free_port()
        p = subprocess.Popen([HTTPD, "-f", "-p", f"127.0.0.1:{port}"], cwd=home,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            def up():
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        return True
                except OSError:
                    return False
            self.assertTrue(wait_until(up, 5))
            with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                c.sendall(req("/a.txt", headers=("Connection: close",)))
                rs = parse_responses(recv_all(c))
            self.assertEqual(rs[0][2], b"cwd")
        finally:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


class Workers(Base):
    """--workers N: N processes share the listening socket; the first process
    passes signals on and exits when they all have."""

    @staticmethod
    def children(pid):
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def test_workers_serve_and_stop(self):
        s = self.serve(self.make_home({"a.txt": b"a"}), "--workers", "3")
        self.assertTrue(wait_until(lambda: len(self.children(s.proc.pid)) == 3, 5 * SLOW))
        kids = self.children(s.proc.pid)
        # many connections at once: all answered, whichever worker takes them
        socks = [socket.create_connection((s.host, s.port), timeout=5) for _ in range(30)]
        for c in socks:
            c.sendall(req("/a.txt", headers=("Connection: close",)))
        for c in socks:
            self.assertTrue(recv_all(c).endswith(b"\r\n\r\na"))
            c.close()
        self.assertEqual(s.stop(signal.SIGTERM), 0)
        for pid in kids:
            self.assertFalse(os.path.exists(f"/proc/{pid}"), f"worker {pid} left behind")

    def test_workers_end_with_their_supervisor(self):
        s = self.serve(self.make_home({"a.txt": b"a"}), "--workers", "2")
        self.assertTrue(wait_until(lambda: len(self.children(s.proc.pid)) == 2, 5 * SLOW))
        kids = self.children(s.proc.pid)
        s.proc.kill()
        s.proc.wait(5)

        def alive(pid):  # a zombie waiting for its reaper does not count
            try:
                with open(f"/proc/{pid}/stat") as f:
                    return f.read().rsplit(")", 1)[1].split()[0] != "Z"
            except OSError:
                return False
        # they finish what they were doing first (slower under valgrind)
        self.assertTrue(wait_until(lambda: not any(alive(p) for p in kids), 10 * SLOW),
                        "workers outlived the supervisor")


if __name__ == "__main__":
    unittest.main()
