"""Issue 21, running in clusters: --health, --drain and SIGQUIT, --probe,
--metrics, --trust-proxy, --proxy-protocol, --log-format json."""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

from harness import HTTPD, SLOW, Reader, Server, connect, curl, raw, wait_until

CONF_DENY = "D:*\n/:alice:secret\n"  # everyone denied, everything behind auth


def status_of(s, path, *args):
    r = curl("-o", "/dev/null", "-w", "%{http_code}", *args, s.url(path))
    return int(r.stdout or b"0")


def get(s, path, *args):
    """(status, headers lower-case, body) over a fresh connection."""
    r = curl("-i", *args, s.url(path))
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    hdrs = {k.strip().lower().decode(): v.strip().decode()
            for k, _, v in (l.partition(b":") for l in lines[1:])}
    return int(lines[0].split()[1]), hdrs, body


def log_lines(s, what):
    return [l for l in s.stderr().splitlines() if what in l]


class Base(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp()
        with open(os.path.join(self.home, "index.html"), "w") as f:
            f.write("<p>home</p>")
        with open(os.path.join(self.home, "healthz"), "w") as f:
            f.write("a file named healthz")

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def conf(self, text):
        path = os.path.join(self.home, "httpd.conf")
        with open(path, "w") as f:
            f.write(text)
        return path


class Health(Base):
    def test_healthz_and_readyz(self):
        with Server(self.home, "--health") as s:
            st, hdrs, body = get(s, "/healthz")
            self.assertEqual((st, body), (200, b"ok\n"))
            self.assertEqual(hdrs["cache-control"], "no-store")
            self.assertEqual(get(s, "/readyz")[:3:2], (200, b"ok\n"))
            st, hdrs, body = get(s, "/healthz", "-I")
            self.assertEqual((st, body), (200, b""))
            st, hdrs, _ = get(s, "/readyz", "-X", "POST", "-d", "x")
            self.assertEqual(st, 405)
            self.assertEqual(hdrs["allow"], "GET, HEAD")
            # only these exact paths
            self.assertEqual(status_of(s, "/healthz/x"), 404)
            self.assertEqual(status_of(s, "/readyz.html"), 404)

    def test_files_of_the_same_name_only_shadowed_with_the_option(self):
        with Server(self.home) as s:
            self.assertEqual(get(s, "/healthz")[2], b"a file named healthz")
            self.assertEqual(status_of(s, "/readyz"), 404)
        with Server(self.home, "--health") as s:
            self.assertEqual(get(s, "/healthz")[2], b"ok\n")

    def test_bypass_acl_and_auth(self):
        conf = self.conf(CONF_DENY)
        with Server(self.home, "--health", "-c", conf) as s:
            self.assertEqual(status_of(s, "/index.html"), 403)
            self.assertEqual(status_of(s, "/healthz"), 200)
            self.assertEqual(status_of(s, "/readyz"), 200)

    def test_not_logged_below_vv(self):
        with Server(self.home, "--health", "-v") as s:
            for p in ("/healthz", "/readyz", "/index.html"):
                status_of(s, p)
            self.assertTrue(wait_until(lambda: log_lines(s, "/index.html")))
            self.assertEqual(log_lines(s, "/healthz") + log_lines(s, "/readyz"), [])
        with Server(self.home, "--health", "-vv") as s:
            status_of(s, "/healthz")
            self.assertTrue(wait_until(lambda: log_lines(s, '"GET /healthz HTTP/1.1" 200')))

    def test_readyz_503_when_home_is_gone(self):
        home = os.path.join(self.home, "site")
        os.mkdir(home)
        with Server(home, "--health") as s:
            self.assertEqual(status_of(s, "/readyz"), 200)
            os.rmdir(home)
            st, _, body = get(s, "/readyz")
            self.assertEqual((st, body), (503, b"home directory not readable\n"))
            self.assertEqual(status_of(s, "/healthz"), 200)  # alive all the same


class Drain(Base):
    def drain_run(self, sig):
        with Server(self.home, "--health", "--drain", "30", "--grace", "5") as s:
            keep = connect(s)
            keep.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
            rd = Reader(keep)
            st, hdrs, _ = rd.response()
            self.assertEqual(st, 200)
            self.assertNotIn("connection", hdrs)
            s.proc.send_signal(sig)
            # readiness turns 503 once the signal is handled (bounded wait)
            self.assertTrue(wait_until(lambda: status_of(s, "/readyz") == 503, 10 * SLOW))
            st, hdrs, body = get(s, "/readyz")
            self.assertEqual((st, hdrs.get("connection"), body), (503, "close", b"draining\n"))
            # still accepting and serving, every answer closes its connection
            st, hdrs, body = get(s, "/index.html")
            self.assertEqual((st, hdrs.get("connection"), body), (200, "close", b"<p>home</p>"))
            self.assertEqual(status_of(s, "/healthz"), 200)
            # a kept-alive connection gets its answer, then the close
            keep.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
            st, hdrs, _ = rd.response()
            self.assertEqual((st, hdrs.get("connection")), (200, "close"))
            self.assertTrue(rd.closed())
            keep.close()
            self.assertIsNone(s.proc.poll())  # 30 s of drain are not over
            # a second signal ends the drain: stop now
            s.proc.send_signal(signal.SIGTERM)
            self.assertEqual(s.proc.wait(10 * SLOW), 0)

    def test_sigterm_drains(self):
        self.drain_run(signal.SIGTERM)

    def test_sigquit_drains(self):
        self.drain_run(signal.SIGQUIT)

    def test_workers_drain(self):
        with Server(self.home, "--health", "--drain", "30", "--workers", "2") as s:
            s.proc.send_signal(signal.SIGQUIT)  # to the supervisor: passed on
            # whichever worker answers, it drains: ten new connections in a row
            self.assertTrue(wait_until(
                lambda: all(status_of(s, "/readyz") == 503 for _ in range(10)), 10 * SLOW))
            s.proc.send_signal(signal.SIGTERM)
            self.assertEqual(s.proc.wait(10 * SLOW), 0)

    def test_drain_ends_by_itself(self):
        with Server(self.home, "--health", "--drain", "0.5") as s:
            s.proc.send_signal(signal.SIGTERM)
            self.assertEqual(s.proc.wait(10 * SLOW), 0)

    def test_drain_0_stops_at_once(self):
        for sig in (signal.SIGTERM, signal.SIGQUIT):
            with Server(self.home, "--health", "--drain", "0") as s:
                s.proc.send_signal(sig)
                self.assertEqual(s.proc.wait(10 * SLOW), 0)

    def test_sigint_does_not_drain(self):
        with Server(self.home, "--drain", "60") as s:
            s.proc.send_signal(signal.SIGINT)
            self.assertEqual(s.proc.wait(10 * SLOW), 0)

    def test_bad_drain_values(self):
        for v in ("-1", "1e9"):
            r = subprocess.run([HTTPD, "--drain", v], capture_output=True, timeout=10)
            self.assertEqual(r.returncode, 1, v)
            self.assertIn(b"bad drain time", r.stderr)


def probe(*args, timeout=20):
    return subprocess.run([HTTPD, "--probe", *args], capture_output=True, timeout=timeout)


class Probe(Base):
    def test_answers(self):
        os.mkdir(os.path.join(self.home, "dir"))
        with Server(self.home, "--health") as s:
            r = probe(s.url("/healthz"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, b"")
            self.assertEqual(r.stderr.count(b"\n"), 1)
            self.assertIn(b"200 OK", r.stderr)
            r = probe(f"http://localhost:{s.port}/index.html")
            self.assertEqual(r.returncode, 0, r.stderr)
            r = probe(s.url("/missing"))
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"404", r.stderr)
            r = probe(s.url("/dir"))  # 301: redirects are not followed
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"301", r.stderr)

    def test_ipv6(self):
        with Server(self.home, host="::1") as s:
            r = probe(s.url("/"))
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_failures(self):
        with socket.socket() as ls:  # listens, never answers: the timeout
            ls.bind(("127.0.0.1", 0))
            ls.listen(1)
            port = ls.getsockname()[1]
            t = time.monotonic()
            r = probe(f"http://127.0.0.1:{port}/", "--probe-timeout", "0.5")
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"timed out", r.stderr)
            self.assertLess(time.monotonic() - t, 10)
        r = probe(f"http://127.0.0.1:{port}/")  # nobody listens now
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"refused", r.stderr)
        for url in ("https://127.0.0.1/", "http://example.com/"):  # the rest: test_probe.c
            r = probe(url)
            self.assertEqual(r.returncode, 1, url)
            self.assertEqual(r.stderr.count(b"\n"), 1, url)

    def test_not_http(self):
        with socket.socket() as ls:
            ls.bind(("127.0.0.1", 0))
            ls.listen(1)
            port = ls.getsockname()[1]
            import threading

            def answer():
                c, _ = ls.accept()
                c.recv(1024)
                c.sendall(b"SSH-2.0-OpenSSH\r\n")
                c.close()
            t = threading.Thread(target=answer)
            t.start()
            r = probe(f"http://127.0.0.1:{port}/")
            t.join(10)
            self.assertEqual(r.returncode, 1)


def promtool_check(text):
    r = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def metric(text, name):
    for line in text.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no {name} in metrics")


class Metrics(Base):
    def test_exposition(self):
        with Server(self.home, "--metrics") as s:
            for _ in range(3):
                status_of(s, "/index.html")
            status_of(s, "/missing")
            status_of(s, "/index.html", "-I")
            st, hdrs, body = get(s, "/metrics")
            self.assertEqual(st, 200)
            self.assertTrue(hdrs["content-type"].startswith("text/plain; version=0.0.4"))
            rc, out = promtool_check(body)
            self.assertEqual(rc, 0, out.decode())
            self.assertEqual(metric(body, 'httpd_requests_total{method="GET",code="2xx"}'), 3)
            self.assertEqual(metric(body, 'httpd_requests_total{method="GET",code="4xx"}'), 1)
            self.assertEqual(metric(body, 'httpd_requests_total{method="HEAD",code="2xx"}'), 1)
            self.assertEqual(metric(body, "httpd_request_duration_seconds_count"), 5)
            self.assertEqual(metric(body, 'httpd_request_duration_seconds_bucket{le="+Inf"}'), 5)
            # 5 + this one + the harness's readiness check
            self.assertEqual(metric(body, "httpd_connections_accepted_total"), 7)
            self.assertGreater(metric(body, "httpd_response_bytes_total"), 3 * 11)
            self.assertEqual(metric(body, "httpd_cgi_running"), 0)
            self.assertAlmostEqual(metric(body, "httpd_start_time_seconds"), time.time(), delta=60)
            self.assertIn(b"httpd_build_info{", body)

    def test_connections_open(self):
        with Server(self.home, "--metrics") as s:
            def open_now():
                return metric(get(s, "/metrics")[2], "httpd_connections_open")
            # closes are seen as they come: only the asking connection is left
            self.assertTrue(wait_until(lambda: open_now() == 1, 10 * SLOW))
            with connect(s):
                self.assertTrue(wait_until(lambda: open_now() == 2, 10 * SLOW))
            self.assertTrue(wait_until(lambda: open_now() == 1, 10 * SLOW))

    def test_off_and_rules(self):
        with Server(self.home) as s:
            self.assertEqual(status_of(s, "/metrics"), 404)
        conf = self.conf("D:*\n")
        with Server(self.home, "--metrics", "-c", conf) as s:
            self.assertEqual(status_of(s, "/metrics"), 403)
        conf = self.conf("A:127.0.0.1\nD:*\n/metrics:ops:pw\n")
        with Server(self.home, "--metrics", "-c", conf) as s:
            self.assertEqual(status_of(s, "/metrics"), 401)
            self.assertEqual(status_of(s, "/metrics", "-u", "ops:pw"), 200)


ENV_SH = "#!/bin/sh\na=$REMOTE_ADDR\nprintf 'Content-Type: text/plain\\r\\nContent-Length: %d\\r\\n\\r\\n%s' ${#a} \"$a\"\n"


class RealClient(Base):
    def setUp(self):
        super().setUp()
        os.mkdir(os.path.join(self.home, "cgi-bin"))
        path = os.path.join(self.home, "cgi-bin", "addr.sh")
        with open(path, "w") as f:
            f.write(ENV_SH)
        os.chmod(path, 0o755)

    def addr(self, s, *headers):
        args = []
        for h in headers:
            args += ["-H", h]
        return get(s, "/cgi-bin/addr.sh", *args)[2].decode()

    def test_forwarded_headers_from_trusted_peers(self):
        conf = self.conf("D:203.0.113.9\n")
        with Server(self.home, "-v", "--trust-proxy", "10.0.0.0/8",
                    "--trust-proxy", "127.0.0.1", "-c", conf) as s:
            cases = [
                ((), "127.0.0.1"),
                (("X-Forwarded-For: 198.51.100.7",), "198.51.100.7"),
                # the rightmost address not trusted: spoofed entries on the left lose
                (("X-Forwarded-For: 6.6.6.6, 198.51.100.7, 10.1.2.3",), "198.51.100.7"),
                (("X-Forwarded-For: 10.0.0.1, 10.0.0.2",), "10.0.0.1"),
                # a second line (added by the proxy) is the one that counts
                (("X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 198.51.100.8"), "198.51.100.8"),
                (("X-Forwarded-For: 2001:db8::5",), "2001:db8::5"),
                (("X-Forwarded-For: garbage",), "127.0.0.1"),
                (("Forwarded: for=198.51.100.9;proto=http",), "198.51.100.9"),
                (('Forwarded: for="[2001:db8::7]:4711", for=10.0.0.3',), "2001:db8::7"),
                (("Forwarded: for=198.51.100.10", "X-Forwarded-For: 6.6.6.6"), "198.51.100.10"),
                (("X-Real-IP: 198.51.100.11",), "198.51.100.11"),
            ]
            for hdrs, want in cases:
                with self.subTest(hdrs=hdrs):
                    self.assertEqual(self.addr(s, *hdrs), want)
            # A:/D: rules see the forwarded address
            self.assertEqual(status_of(s, "/index.html", "-H", "X-Forwarded-For: 203.0.113.9"), 403)
            self.assertEqual(status_of(s, "/index.html", "-H", "X-Forwarded-For: 203.0.113.8"), 200)
            self.assertTrue(wait_until(lambda: log_lines(s, "203.0.113.8 - - [")))

    def test_ignored_from_untrusted_peers(self):
        with Server(self.home, "--trust-proxy", "10.0.0.0/8") as s:
            self.assertEqual(self.addr(s, "X-Forwarded-For: 198.51.100.7"), "127.0.0.1")
            self.assertEqual(self.addr(s, "Forwarded: for=198.51.100.7"), "127.0.0.1")
            self.assertEqual(self.addr(s, "X-Real-IP: 198.51.100.7"), "127.0.0.1")
        with Server(self.home) as s:
            self.assertEqual(self.addr(s, "X-Forwarded-For: 198.51.100.7"), "127.0.0.1")

    def test_bad_trust_proxy(self):
        for v in ("10.0.0.0/33", "nonsense"):  # the rest: test_client.c
            r = subprocess.run([HTTPD, "--trust-proxy", v], capture_output=True, timeout=10)
            self.assertEqual(r.returncode, 1, v)

    def test_proxy_protocol(self):
        req = b"GET /cgi-bin/addr.sh HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        sig = b"\r\n\r\n\x00\r\nQUIT\n"
        v2_4 = sig + bytes([0x21, 0x11]) + struct.pack("!H", 12) + \
            socket.inet_aton("192.0.2.44") + socket.inet_aton("127.0.0.1") + \
            struct.pack("!HH", 5555, 80)
        v2_6 = sig + bytes([0x21, 0x21]) + struct.pack("!H", 36 + 5) + \
            socket.inet_pton(socket.AF_INET6, "2001:db8::44") + bytes(16) + \
            struct.pack("!HH", 5555, 80) + b"\x04\x00\x02ab"  # a TLV, ignored
        v2_local = sig + bytes([0x20, 0x00]) + struct.pack("!H", 0)
        with Server(self.home, "-v", "--proxy-protocol") as s:
            good = [
                (b"PROXY TCP4 192.0.2.33 127.0.0.1 4444 80\r\n", "192.0.2.33"),
                (b"PROXY TCP6 2001:db8::33 ::1 4444 80\r\n", "2001:db8::33"),
                (b"PROXY UNKNOWN\r\n", "127.0.0.1"),
                (v2_4, "192.0.2.44"), (v2_6, "2001:db8::44"), (v2_local, "127.0.0.1"),
            ]
            for hdr, want in good:
                with self.subTest(hdr=hdr):
                    out = raw(s, hdr + req, shut=False)  # a half-close stops scripts
                    self.assertTrue(out.startswith(b"HTTP/1.1 200"), out[:100])
                    self.assertTrue(out.endswith(want.encode()), out[-60:])
            # split across reads
            with connect(s) as c:
                c.sendall(b"PROXY TCP4 192.0.2.")
                time.sleep(0.1)
                c.sendall(b"35 127.0.0.1 1 80\r\n" + req)
                self.assertTrue(Reader(c).response()[2] == b"192.0.2.35")
            bad = [req, b"PROXY TCP4 999.0.2.1 127.0.0.1 1 80\r\n" + req,
                   b"PROXY TCP4 192.0.2.1 127.0.0.1 1\r\n" + req,
                   b"PROXY TCP9 a b 1 2\r\n" + req, b"PROXY " + b"x" * 200 + b"\r\n",
                   sig + bytes([0x31, 0x11, 0, 0]) + req, b"\x16\x03\x01\x00\x05hello"]
            for b in bad:
                with self.subTest(bad=b[:40]):
                    self.assertEqual(raw(s, b), b"")
            self.assertEqual(status_of(s, "/"), 0)  # curl sends no PROXY header
            self.assertTrue(wait_until(lambda: log_lines(s, "192.0.2.44 - - [")))


class Documented(unittest.TestCase):
    def test_help_and_man_page_name_every_option(self):
        r = subprocess.run([HTTPD, "--help"], capture_output=True, timeout=10)
        man = open(os.path.join(os.path.dirname(__file__), "..", "..", "man", "httpd.8")).read()
        for opt in ("--health", "--drain", "--probe", "--probe-timeout", "--metrics",
                    "--trust-proxy", "--proxy-protocol", "--log-format"):
            self.assertIn(opt.encode(), r.stdout, opt)
            self.assertIn("Fl -" + opt[2:], man, opt)


class JsonLog(Base):
    def test_lines_parse_and_hostile_bytes_are_escaped(self):
        with Server(self.home, "-v", "--log-format", "json") as s:
            status_of(s, "/index.html", "-e", "http://ref.example/", "-A", "agent/1")
            hostile = b'GET /x%22y?a="b\\c HTTP/1.1\r\nHost: x\r\nUser-Agent: "q\\ \t\xff\xc3\xa9\r\n' \
                b"Connection: close\r\n\r\n"
            raw(s, hostile)
            raw(s, b"GARBAGE\x01\r\n\r\n")
            self.assertTrue(wait_until(lambda: len(s.stderr().splitlines()) >= 3))
            lines = s.stderr().splitlines()
            objs = [json.loads(l) for l in lines]  # every line one object
            first = objs[0]
            self.assertEqual(set(first), {"time", "client", "method", "target", "status", "bytes",
                                          "duration", "referer", "user_agent", "user"})
            self.assertEqual((first["client"], first["method"], first["target"], first["status"],
                              first["referer"], first["user_agent"], first["user"]),
                             ("127.0.0.1", "GET", "/index.html", 200, "http://ref.example/",
                              "agent/1", None))
            self.assertEqual(first["bytes"], 11)  # body bytes, as in the CLF line
            self.assertGreaterEqual(first["duration"], 0)
            self.assertRegex(first["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            h = objs[1]
            self.assertEqual(h["target"], '/x%22y?a="b\\c')
            self.assertEqual(h["user_agent"], '"q\\ \t\ufffd\u00e9')  # bad UTF-8: U+FFFD
            self.assertIn('\\u0009', lines[1])
            self.assertEqual((objs[2]["method"], objs[2]["target"], objs[2]["status"]),
                             (None, None, 400))

    def test_bad_format(self):
        r = subprocess.run([HTTPD, "--log-format", "xml"], capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 1)


if __name__ == "__main__":
    unittest.main()
