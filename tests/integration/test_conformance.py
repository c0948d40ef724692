"""Issue 15, from outside: raw-socket rows for framing (RFC 9112 §6-7), the
request line and Host (§3, RFC 9110 §7.2), limits, UTF-8 paths, redirects
that could leave the site, and every way into a script's bytes. Each row
asserts the status line and whether the server closes the connection."""
import gzip
import os
import time

from harness import Reader, connect
from core import Base, req

# A request after the row: answered only if the connection stayed open.
FOLLOW = req("/a.txt")


class Rows(Base):
    def setUp(self):
        self.home = self.make_home({"a.txt": b"AAA", "caf\u00e9.txt": b"utf-8\n",
                                    "evil.com/index.html": b"evil\n",
                                    "d/x.txt": b"x\n"})
        self.s = self.serve(self.home, "--header-timeout", "30")

    def row(self, data, status, close):
        """Send data then FOLLOW; the first answer is status, and the
        connection closes after it (close) or answers FOLLOW too."""
        with connect(self.s) as c:
            c.sendall(data + FOLLOW)
            r = Reader(c, deadline=10)
            got = r.response()
            self.assertIsNotNone(got, data[:80])
            self.assertEqual(got[0], status, data[:120])
            if close:
                self.assertEqual(got[1].get("connection", "").lower(), "close")
                self.assertTrue(r.closed(5), data[:80])
                self.assertFalse(r.buf.startswith(b"HTTP/"), data[:80])
            else:
                nxt = r.response()
                self.assertIsNotNone(nxt, data[:80])
                self.assertEqual(nxt[0], 200, data[:80])

    def refused_at_once(self, data, status):
        """Send data and nothing more (write side open): answered status and
        closed without waiting for bytes that will not come; returns the
        seconds it took."""
        with connect(self.s) as c:
            start = time.monotonic()
            c.sendall(data)
            r = Reader(c, deadline=5)
            got = r.response()
            self.assertIsNotNone(got, data[:80])
            self.assertEqual(got[0], status, data[:80])
            self.assertTrue(r.closed(3), data[:80])
            return time.monotonic() - start

    def test_transfer_encoding_framing(self):
        post = b"POST /a.txt HTTP/1.1\r\nHost: x\r\n"
        for hdrs in (b"Transfer-Encoding:\r\nContent-Length: 5\r\n",
                     b"Transfer-Encoding: \r\nContent-Length: 5\r\n",
                     b"Content-Length: 5\r\nTransfer-Encoding: \t \r\n",
                     b"Transfer-Encoding: identity\r\nContent-Length: 5\r\n",
                     b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                     b"Transfer-Encoding: gzip\r\n",
                     b"Transfer-Encoding: chunked, gzip\r\n",
                     b"Transfer-Encoding:\r\n"):
            with self.subTest(hdrs=hdrs):
                self.row(post + hdrs + b"\r\nhello", 400, True)
        self.row(post + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, True)
        self.row(post + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                 405, False)

    def test_chunked_in_http10_is_faulty(self):
        for conn in (b"", b"Connection: keep-alive\r\n"):
            self.row(b"POST /a.txt HTTP/1.0\r\n" + conn +
                     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, True)

    def test_bare_cr_in_chunk_header(self):
        post = b"POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        for body in (b"5\r\r;ABCD\r\n", b"5;a\r\r\nhello\r\n0\r\n\r\n",
                     b"5\r\nhello\r\n0\r\r\n\r\n"):
            with self.subTest(body=body):
                self.refused_at_once(post + body, 400)

    def test_host_syntax(self):
        for host in (b"user@127.0.0.1", b"127.0.0.1/path", b"a.example, b.example",
                     b"", b" ", b"x:80a", b"[::1", b"[::1]x", b"::1", b"a\\b", b"a%4"):
            with self.subTest(host=host):
                self.row(b"GET /a.txt HTTP/1.1\r\nHost: " + host + b"\r\n\r\n", 400, True)
        for host in (b"127.0.0.1", b"127.0.0.1:80", b"[::1]:8080", b"example.com.",
                     b"xn--caf-dma.example"):
            with self.subTest(host=host):
                self.row(b"GET /a.txt HTTP/1.1\r\nHost: " + host + b"\r\n\r\n", 200, False)

    def test_not_http_answered_at_once(self):
        hello = bytes.fromhex("160301020001000001fc0303") + os.urandom(32)
        for data in (hello, b"\x00\x01\x02\x03", b"\x80GET", b" GET / HTTP/1.1\r\n"):
            with self.subTest(data=data[:4]):
                # the head timeout is 30 s here: this was no timeout
                self.assertLess(self.refused_at_once(data, 400), 10)
        # empty lines before a request line are still ignored (§2.2)
        self.row(b"\r\n\r\n\n" + req("/a.txt"), 200, False)

    def test_one_space_in_request_line(self):
        for line in (b"GET  /a.txt HTTP/1.1", b"GET /a.txt  HTTP/1.1",
                     b"GET\t/a.txt HTTP/1.1"):
            with self.subTest(line=line):
                self.row(line + b"\r\nHost: x\r\n\r\n", 400, True)

    def test_limits_as_documented(self):
        # paths that cannot exist on disk: 404, connection kept
        for path in ("/" + "a" * 7000, "/" + "b" * 256, "/d/" + "c" * 300 + "/x",
                     "/" + ("e" * 255 + "/") * 20):
            with self.subTest(n=len(path)):
                self.row(req(path), 404, False)
        # past the 8 KiB request line: 414
        self.row(req("/" + "a" * 9000), 414, True)
        # 100 KB of token bytes without a space: a method longer than any
        # we implement (RFC 9112 §3: 501), not a long URI
        self.refused_at_once(b"A" * 100000, 501)

    def test_utf8_paths(self):
        self.row(req("/caf\xc3\xa9.txt"), 200, False)  # raw, as curl sends it
        self.row(req("/caf%C3%A9.txt"), 200, False)
        for path in ("/\xc0\xaf", "/%C0%AF", "/%ED%A0%80", "/caf%C3", "/caf\xc3(",
                     "/%F4%90%80%80", "/\xff.txt", "/%E0%80%AF"):
            with self.subTest(path=path):
                self.row(req(path), 400, False)

    def test_directory_redirect_stays_on_site(self):
        for path, loc in (("//evil.com", "/evil.com/"), ("///evil.com?a=b", "/evil.com/?a=b"),
                          ("/./evil.com", "/evil.com/"), ("/d/../evil.com", "/evil.com/"),
                          ("/d", "/d/")):
            with self.subTest(path=path):
                st, h, _ = self.get(self.s, path)
                self.assertEqual(st, 301)
                self.assertEqual(h["location"], loc)


SCRIPT = b"#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nran %s' \"$SCRIPT_NAME\"\n"


class Scripts(Base):
    """`I:index.cgi` with `*.cgi:/bin/sh`, and cgi-bin/: a script runs or is
    refused, its bytes never go out."""

    def setUp(self):
        self.home = self.make_home({
            "index.cgi": SCRIPT, "app/index.cgi": SCRIPT, "app/other.cgi": SCRIPT,
            "list/x.cgi": SCRIPT, "list/y.txt": b"y\n",
            "index.cgi.gz": gzip.compress(SCRIPT), "app/other.cgi.br": b"br source",
            "cgi-bin/t.sh": SCRIPT, "cgi-bin/t.sh.gz": gzip.compress(SCRIPT),
            "cgi-bin/index.cgi": SCRIPT, "a.txt": b"AAA",
        })
        os.chmod(os.path.join(self.home, "cgi-bin", "t.sh"), 0o755)
        os.chmod(os.path.join(self.home, "cgi-bin", "index.cgi"), 0o755)
        os.symlink("index.cgi", os.path.join(self.home, "link.txt"))
        os.symlink("cgi-bin/t.sh", os.path.join(self.home, "alias.txt"))
        os.symlink("cgi-bin", os.path.join(self.home, "bin2"))
        conf = os.path.join(self.home, "..", os.path.basename(self.home) + ".conf")
        with open(conf, "w") as f:
            f.write("*.cgi:/bin/sh\nI:index.cgi\n")
        self.addCleanup(os.unlink, conf)
        self.s = self.serve(self.home, "-c", conf, "--list")

    def answer(self, data):
        with connect(self.s) as c:
            c.sendall(data)
            r = Reader(c, deadline=10)
            got = r.response(head=data.startswith(b"HEAD"))
            self.assertIsNotNone(got, data)
            if got[1].get("transfer-encoding") == "chunked":
                while not r.buf.endswith(b"0\r\n\r\n") and r._more():
                    pass
                got = (got[0], got[1], r.buf)
            return got

    def test_no_script_bytes(self):
        runs = ("GET / HTTP/1.1", "GET /app/ HTTP/1.1", "GET //app/./ HTTP/1.1",
                "GET /cgi-bin/ HTTP/1.1", "GET /list/x.cgi HTTP/1.1", "GET /index.cgi HTTP/1.1")
        extra = ("", "Range: bytes=0-3\r\n", "If-None-Match: *\r\n",
                 "Accept-Encoding: gzip, br\r\n", "If-Modified-Since: Sun, 06 Nov 2050 08:49:37 GMT\r\n")
        for line in runs:
            for x in extra:
                with self.subTest(line=line, extra=x):
                    st, h, body = self.answer(f"{line}\r\nHost: x\r\n{x}Connection: close\r\n\r\n"
                                              .encode())
                    self.assertEqual(st, 200)
                    self.assertNotIn(b"printf", body)
                    self.assertIn(b"ran /", body)
            with self.subTest(line=line, method="HEAD"):
                st, h, body = self.answer(("HEAD" + line[3:] +
                                           "\r\nHost: x\r\nConnection: close\r\n\r\n").encode())
                self.assertEqual(st, 200)
                self.assertNotEqual(h.get("content-type"), "application/octet-stream")
        # a script's variants, symlinks to scripts: refused
        for path in ("/index.cgi.gz", "/app/other.cgi.br", "/cgi-bin/t.sh.gz", "/link.txt",
                     "/alias.txt", "/bin2/t.sh"):
            for x in extra:
                with self.subTest(path=path, extra=x):
                    st, h, body = self.answer(f"GET {path} HTTP/1.1\r\nHost: x\r\n{x}"
                                              "Connection: close\r\n\r\n".encode())
                    self.assertEqual(st, 403)
                    self.assertNotIn(b"printf", body)
                    self.assertNotIn(b"br source", body)
        # the listing's link to a script runs it
        st, h, body = self.answer(b"GET /list/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(st, 200)
        self.assertIn(b'href="x.cgi"', body)
        self.assertNotIn(b"printf", body)

    def test_cgi_location_stays_on_site(self):
        for loc in ("//evil.com/", "/\\\\evil.com/"):
            with self.subTest(loc=loc):
                path = os.path.join(self.home, "cgi-bin", "r.sh")
                with open(path, "w") as f:
                    f.write("#!/bin/sh\nprintf 'Location: %s\\n\\n'\n" % loc)
                os.chmod(path, 0o755)
                st, h, body = self.answer(b"GET /cgi-bin/r.sh HTTP/1.1\r\nHost: x\r\n"
                                          b"Connection: close\r\n\r\n")
                self.assertEqual(st, 502)
                self.assertNotIn("location", h)
