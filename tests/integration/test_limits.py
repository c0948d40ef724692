"""Strict parsing and limits (README "Limits and timeouts", "Strict
parsing"): malformed requests and the size limits. Each test makes its own
HOME; every wait is bounded."""
import threading
import unittest

from core import Base, req
from harness import Reader, connect

FOLLOW = b"GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"

BAD = [
    ("cl+te", b"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("te+cl", b"POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
              b"Content-Length: 5\r\n\r\n0\r\n\r\n", 400),
    ("two different cl", b"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                         b"Content-Length: 2\r\n\r\nab", 400),
    ("invalid cl", b"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
    ("negative cl", b"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    ("cl list", b"POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\nab", 400),
    ("bad chunk size", b"POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"zz\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk without crlf", b"POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                           b"5\r\nhelloXX0\r\n\r\n", 400),
    ("te not chunked", b"POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
    ("space before colon", b"GET /a.txt HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    ("space before colon 2", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n\r\n", 400),
    ("invalid header name", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX@Y: z\r\n\r\n", 400),
    ("header name with space", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n", 400),
    ("header without colon", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400),
    ("bare cr in value", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400),
    ("bare cr line end", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX: a\r\r\n\r\n", 400),
    ("bare cr in request line", b"GET /a.txt\rHTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("nul in value", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n", 400),
    ("obs-fold", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400),
    ("obs-fold tab", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX: a\r\n\tb\r\n\r\n", 400),
    ("obs-fold empty value", b"GET /a.txt HTTP/1.1\r\nHost: x\r\nX:\r\n b\r\n\r\n", 400),
    ("space before first header", b"GET /a.txt HTTP/1.1\r\n Host: x\r\n\r\n", 400),
    ("empty header name", b"GET /a.txt HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", 400),
    ("duplicate host", b"GET /a.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("http/1.1 without host", b"GET /a.txt HTTP/1.1\r\n\r\n", 400),
    ("http/2.0", b"GET /a.txt HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ("http/3.0", b"GET /a.txt HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    ("http/0.9 line", b"GET /a.txt\r\n\r\n", 400),
    ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
    ("bad version", b"GET /a.txt HTTP/1.x\r\nHost: x\r\n\r\n", 400),
    ("space in target", b"GET /a b.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("control byte in target", b"GET /a\x01.txt HTTP/1.1\r\nHost: x\r\n\r\n", 400),
]



class Malformed(Base):
    def setUp(self):
        self.home = self.make_home({"a.txt": b"AAA"})
        self.s = self.serve(self.home)

    def test_refused_and_closed(self):
        for name, data, status in BAD:
            with self.subTest(case=name):
                rs, closed = self.one(self.s, data + FOLLOW)
                self.assertEqual(len(rs), 1, f"{name}: {[r[0] for r in rs]}")
                st, h, body = rs[0]
                self.assertEqual(st, status, name)
                self.assertEqual(h.get("connection", "").lower(), "close", name)
                self.assert_error_page(rs[0], status)
                self.assertTrue(closed, f"{name}: connection left open")

    def test_refused_after_a_good_request(self):
        # a good request, then a bad one on the same connection: 200, 400, close
        rs, closed = self.one(self.s, FOLLOW + b"GET /a.txt HTTP/1.1\r\nHost : x\r\n\r\n" + FOLLOW)
        self.assertEqual([r[0] for r in rs], [200, 400])
        self.assertTrue(closed)

    def test_still_serving_after_garbage(self):
        for name, data, status in BAD[:5]:
            self.one(self.s, data)
        rs, _ = self.one(self.s, req("/a.txt", headers=("Connection: close",)))
        self.assertEqual((rs[0][0], rs[0][2]), (200, b"AAA"))

    def test_valid_edge_cases_accepted(self):
        for data in (req("/a.txt", headers=("X-!#$%&'*+-.^_`|~: v", "Connection: close")),
                     req("/a.txt", headers=("X-Empty:", "Connection: close")),
                     req("/a.txt", headers=("X: caf\xe9", "Connection: close")),
                     req("/a.txt", "POST", headers=("Content-Length: 0", "Connection: close")),
                     b"GET /a.txt HTTP/1.1\r\nhOsT: x\r\nConnection: close\r\n\r\n"):
            with self.subTest(data=data):
                rs, _ = self.one(self.s, data)
                self.assertEqual(len(rs), 1)
                self.assertIn(rs[0][0], (200, 405))


# --- limits -----------------------------------------------------------------------

class Limits(Base):
    def setUp(self):
        self.home = self.make_home({"a.txt": b"AAA"})
        self.s = self.serve(self.home)

    def check_refused(self, data, status):
        rs, closed = self.one(self.s, data)
        self.assertEqual([r[0] for r in rs], [status])
        self.assertEqual(rs[0][1].get("connection", "").lower(), "close")
        self.assertTrue(closed)

    def test_request_line_over_8k_414(self):
        self.check_refused(req("/" + "a" * 9000) + FOLLOW, 414)
        self.check_refused(req("/" + "a" * 70000), 414)

    def test_request_line_under_8k_served(self):
        st, h, body = self.get(self.s, "/a.txt?" + "q" * 8000)
        self.assertEqual((st, body), (200, b"AAA"))
        long_path = "/" + ("b" * 200 + "/") * 19 + "nope"  # ~3.8 KiB, short names
        self.assertEqual(self.get(self.s, long_path)[0], 404)

    def test_request_line_without_end_414(self):
        # no line end at all yet: refused as soon as it is too long
        with connect(self.s) as c:
            c.sendall(b"GET /" + b"a" * 20000)
            r = Reader(c)
            st = r.response()
            self.assertIsNotNone(st)
            self.assertEqual(st[0], 414)
            self.assertTrue(r.closed(5))

    def test_header_section_over_32k_431(self):
        hs = [f"X-Big-{i}: " + "v" * 1000 for i in range(40)]  # 40 lines, ~41 KiB
        self.check_refused(req("/a.txt", headers=hs) + FOLLOW, 431)
        one = ["X-Huge: " + "v" * 40000]
        self.check_refused(req("/a.txt", headers=one), 431)

    def test_header_section_under_32k_served(self):
        hs = [f"X-Big-{i}: " + "v" * 1000 for i in range(28)]
        rs, _ = self.one(self.s, req("/a.txt", headers=hs + ["Connection: close"]))
        self.assertEqual([r[0] for r in rs], [200])

    def test_header_lines_over_100_431(self):
        hs = [f"X-H{i}: v" for i in range(100)]  # + Host = 101
        self.check_refused(req("/a.txt", headers=hs) + FOLLOW, 431)

    def test_header_lines_100_served(self):
        hs = [f"X-H{i}: v" for i in range(98)] + ["Connection: close"]  # + Host = 100
        rs, _ = self.one(self.s, req("/a.txt", headers=hs))
        self.assertEqual([(r[0], r[2]) for r in rs], [(200, b"AAA")])

    def send_in_thread(self, sock, data):
        def run():
            try:
                sock.sendall(data)
            except OSError:
                pass
        t = threading.Thread(target=run, daemon=True)
        t.start()
        self.addCleanup(t.join, 10)
        return t

    def test_post_body_1mib_discarded(self):
        body = b"x" * (1 << 20)
        with connect(self.s, timeout=10) as c:
            t = self.send_in_thread(c, req("/a.txt", "POST",
                                           headers=(f"Content-Length: {len(body)}",),
                                           body=body) + req("/a.txt"))
            r = Reader(c, deadline=20)
            self.assertEqual(r.response()[0], 405)
            self.assertEqual(r.response()[:3:2], (200, b"AAA"))
            t.join(10)

    def test_post_chunked_1mib_discarded(self):
        body = b"100000\r\n" + b"y" * 0x100000 + b"\r\n0\r\n\r\n"
        with connect(self.s, timeout=10) as c:
            t = self.send_in_thread(c, req("/a.txt", "POST",
                                           headers=("Transfer-Encoding: chunked",),
                                           body=body) + req("/a.txt"))
            r = Reader(c, deadline=20)
            self.assertEqual(r.response()[0], 405)
            self.assertEqual(r.response()[:3:2], (200, b"AAA"))
            t.join(10)

    def test_post_body_over_1mib_413(self):
        n = (1 << 20) + 1
        with connect(self.s, timeout=10) as c:
            self.send_in_thread(c, req("/a.txt", "POST", headers=(f"Content-Length: {n}",),
                                       body=b"z" * n) + FOLLOW)
            r = Reader(c, deadline=20)
            resp = r.response()
            self.assertIsNotNone(resp)
            self.assertEqual(resp[0], 413)
            self.assertEqual(resp[1].get("connection", "").lower(), "close")
            self.assertTrue(r.closed(10))
            self.assertNotIn(b"HTTP/1.1 200", r.buf)

    def test_post_chunked_over_1mib_413(self):
        body = b"100001\r\n" + b"y" * 0x100001 + b"\r\n0\r\n\r\n"
        with connect(self.s, timeout=10) as c:
            self.send_in_thread(c, req("/a.txt", "POST", headers=("Transfer-Encoding: chunked",),
                                       body=body) + FOLLOW)
            r = Reader(c, deadline=20)
            resp = r.response()
            self.assertIsNotNone(resp)
            self.assertEqual(resp[0], 413)
            self.assertTrue(r.closed(10))
            self.assertNotIn(b"HTTP/1.1 200", r.buf)


if __name__ == "__main__":
    unittest.main()
