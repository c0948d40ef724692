"""The server core (issue 2): static files, HTTP/1.x semantics, traversal,
malformed input, limits, timeouts, connections, signals, the access log and
the command line. Each test makes its own HOME; every wait is bounded."""
import email.utils
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
import unittest

from harness import (HTTPD, SLOW, Reader, Server, connect, curl, parse_responses, raw,
                     recv_all, wait_until)

IMF_DATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d "
                      r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
                      r"\d\d:\d\d:\d\d GMT$")
IS_ROOT = os.geteuid() == 0


def req(path="/", method="GET", version="1.1", headers=(), host="x", body=b""):
    """A request in bytes; host=None: no Host line."""
    lines = [f"{method} {path} HTTP/{version}"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def http_date(t):
    return email.utils.formatdate(t, usegmt=True)


class Base(unittest.TestCase):
    def make_home(self, files=None, parent=False):
        """A temporary HOME holding files {relpath: bytes}. With parent=True
        HOME is a subdirectory of the temporary directory, whose other
        entries lie outside HOME."""
        top = tempfile.mkdtemp(prefix="httpd-core-")
        self.addCleanup(shutil.rmtree, top, True)
        home = os.path.join(top, "home") if parent else top
        os.makedirs(home, exist_ok=True)
        for rel, data in (files or {}).items():
            p = os.path.join(home, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(data)
        return (top, home) if parent else home

    def serve(self, home, *args, **kw):
        s = Server(home, *args, **kw)
        s.start()
        self.addCleanup(s.__exit__, None, None, None)
        return s

    def one(self, server, data, timeout=5):
        """Send data on a new connection (write side left open); return
        (responses, closed_by_server)."""
        with connect(server, timeout) as s:
            s.sendall(data)
            r = Reader(s, deadline=timeout * 2)
            closed = r.closed(timeout)
            return parse_responses(r.buf), closed

    def get(self, server, path="/", **kw):
        rs = parse_responses(raw(server, req(path, headers=("Connection: close",), **kw)))
        self.assertEqual(len(rs), 1, rs)
        return rs[0]

    def assert_error_page(self, resp, status):
        st, h, body = resp
        self.assertEqual(st, status)
        self.assertEqual(h.get("content-type"), "text/html; charset=utf-8")
        self.assertEqual(int(h["content-length"]), len(body))
        self.assertIn(str(status).encode(), body)


# --- static files -------------------------------------------------------------

class StaticFiles(Base):
    def test_get_file_exact_headers_and_body(self):
        body = b"hello, world\n"
        home = self.make_home({"a.txt": body})
        os.utime(os.path.join(home, "a.txt"), (784111777, 784111777))
        s = self.serve(home)
        before = time.time()
        st, h, got = self.get(s, "/a.txt")
        self.assertEqual(st, 200)
        self.assertEqual(got, body)
        self.assertEqual(h["content-type"], "text/plain; charset=utf-8")
        self.assertEqual(h["content-length"], str(len(body)))
        self.assertEqual(h["last-modified"], "Sun, 06 Nov 1994 08:49:37 GMT")
        self.assertRegex(h["date"], IMF_DATE)
        d = email.utils.parsedate_to_datetime(h["date"]).timestamp()
        self.assertLess(abs(d - before), 5)
        self.assertIn("server", h)
        self.assertTrue(h["server"])
        self.assertRegex(h["etag"], r'^(W/)?"[^"]+"$')
        self.assertEqual(h["connection"], "close")

    def test_curl_get(self):
        home = self.make_home({"index.html": b"<h1>hi</h1>\n"})
        s = self.serve(home)
        r = curl("-D", "-", s.url("/"))
        self.assertEqual(r.returncode, 0, r.stderr)
        head, _, body = r.stdout.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\n"), head)
        self.assertIn(b"\r\nContent-Type: text/html; charset=utf-8\r\n", head + b"\r\n")
        self.assertIn(b"\r\nContent-Length: 12\r\n", head + b"\r\n")
        self.assertEqual(body, b"<h1>hi</h1>\n")

    def test_content_types(self):
        want = {
            "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8",
            "js": "text/javascript; charset=utf-8",
            "mjs": "text/javascript; charset=utf-8", "json": "application/json",
            "txt": "text/plain; charset=utf-8", "svg": "image/svg+xml",
            "png": "image/png", "jpg": "image/jpeg", "gif": "image/gif",
            "webp": "image/webp", "ico": ("image/x-icon", "image/vnd.microsoft.icon"),
            "woff": "font/woff", "woff2": "font/woff2", "wasm": "application/wasm",
            "pdf": "application/pdf", "xml": ("application/xml", "text/xml; charset=utf-8"),
            "mp3": "audio/mpeg", "mp4": "video/mp4",
            "unknownext": "application/octet-stream", "PNG": "image/png",
            "Html": "text/html; charset=utf-8",
        }
        files = {f"f.{e}": e.encode() for e in want}
        files["noext"] = b"x"
        home = self.make_home(files)
        s = self.serve(home)
        data = b"".join(req(f"/f.{e}") for e in want) + req("/noext", headers=("Connection: close",))
        rs = parse_responses(raw(s, data))
        self.assertEqual(len(rs), len(want) + 1)
        for (e, w), (st, h, body) in zip(want.items(), rs):
            with self.subTest(ext=e):
                self.assertEqual(st, 200)
                self.assertEqual(body, e.encode())
                if isinstance(w, tuple):
                    self.assertIn(h["content-type"], w)
                else:
                    self.assertEqual(h["content-type"], w)
        self.assertEqual(rs[-1][1]["content-type"], "application/octet-stream")

    def test_binary_body_byte_for_byte(self):
        data = bytes(range(256)) * 4096 + os.urandom(12345)  # ~1 MiB
        home = self.make_home({"blob.bin": data, "empty.txt": b""})
        s = self.serve(home)
        out = os.path.join(home, "..", os.path.basename(home) + ".out")
        self.addCleanup(lambda: os.path.exists(out) and os.unlink(out))
        r = curl("-o", out, "-w", "%{http_code} %{size_download}", s.url("/blob.bin"))
        self.assertEqual(r.stdout, f"200 {len(data)}".encode(), r.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), data)
        st, h, body = self.get(s, "/empty.txt")
        self.assertEqual((st, h["content-length"], body), (200, "0", b""))

    def test_head_same_headers_no_body(self):
        home = self.make_home({"a.css": b"body{}\n" * 100})
        s = self.serve(home)
        with connect(s) as c:
            c.sendall(req("/a.css", "HEAD") + req("/a.css"))
            r = Reader(c)
            head = r.response(head=True)
            get = r.response()
        self.assertIsNotNone(head)
        self.assertIsNotNone(get, "GET after HEAD not answered (HEAD sent a body?)")
        self.assertEqual(head[0], 200)
        self.assertEqual(get[2], b"body{}\n" * 100)
        for k in ("content-type", "content-length", "last-modified", "etag"):
            self.assertEqual(head[1].get(k), get[1].get(k), k)
        self.assertEqual(head[1]["content-length"], "700")

    def test_head_on_error_has_no_body(self):
        home = self.make_home({"a.txt": b"a"})
        s = self.serve(home)
        with connect(s) as c:
            c.sendall(req("/missing", "HEAD") + req("/a.txt"))
            r = Reader(c)
            head = r.response(head=True)
            get = r.response()
        self.assertEqual(head[0], 404)
        self.assertIsNotNone(get)
        self.assertEqual((get[0], get[2]), (200, b"a"))

    def test_etag_follows_the_file(self):
        home = self.make_home({"a.txt": b"one"})
        s = self.serve(home)
        e1 = self.get(s, "/a.txt")[1]["etag"]
        self.assertEqual(self.get(s, "/a.txt")[1]["etag"], e1)
        p = os.path.join(home, "a.txt")
        with open(p, "wb") as f:
            f.write(b"two!")
        os.utime(p, (1000000000, 1000000000))
        st, h, body = self.get(s, "/a.txt")
        self.assertEqual(body, b"two!")
        self.assertNotEqual(h["etag"], e1)
        self.assertEqual(h["last-modified"], http_date(1000000000))

    def test_changes_seen_by_the_next_request(self):
        """Answers come from the open-file cache, checked once per batch of
        requests: a change made before a request is sent is always in its
        answer, on a kept-alive connection and across a burst of them."""
        home = self.make_home({"v.txt": b"plain"})
        s = self.serve(home)
        gz = os.path.join(home, "v.txt.gz")
        with connect(s) as c:
            r = Reader(c)

            def ask():
                c.sendall(req("/v.txt", headers=("Accept-Encoding: gzip",)))
                return r.response()
            st, h, body = ask()
            self.assertEqual((st, body, h.get("vary")), (200, b"plain", None))
            with open(gz, "wb") as f:
                f.write(b"gz bytes")
            st, h, body = ask()  # a variant that appeared: at once
            self.assertEqual((body, h.get("content-encoding"), h.get("vary")),
                             (b"gz bytes", "gzip", "Accept-Encoding"))
            with open(gz, "wb") as f:
                f.write(b"other gz, longer")
            self.assertEqual(ask()[2], b"other gz, longer")
            os.unlink(gz)
            st, h, body = ask()
            self.assertEqual((body, h.get("content-encoding")), (b"plain", None))
        # bursts: 20 connections asking at once share one check
        socks = [connect(s) for _ in range(20)]
        try:
            for content in (b"first", b"second!", b"3"):
                with open(os.path.join(home, "v.txt"), "wb") as f:
                    f.write(content)
                for c in socks:
                    c.sendall(req("/v.txt"))
                bodies = {Reader(c).response()[2] for c in socks}
                self.assertEqual(bodies, {content})
        finally:
            for c in socks:
                c.close()

    def test_directory_redirect_keeps_query(self):
        home = self.make_home({"sub/index.html": b"sub index", "my dir/index.html": b"x"})
        s = self.serve(home)
        for path, loc in (("/sub", "/sub/"), ("/sub?x=1&y=2", "/sub/?x=1&y=2"),
                          ("/my%20dir", "/my%20dir/"), ("/sub?", None)):
            with self.subTest(path=path):
                st, h, body = self.get(s, path)
                self.assertEqual(st, 301)
                if loc:
                    self.assertEqual(h["location"], loc)
                else:
                    self.assertIn(h["location"], ("/sub/", "/sub/?"))
                self.assertEqual(int(h["content-length"]), len(body))

    def test_index_html(self):
        home = self.make_home({"index.html": b"root index", "sub/index.html": b"sub index"})
        s = self.serve(home)
        for path, body in (("/", b"root index"), ("/sub/", b"sub index"),
                           ("/sub/?q=1", b"sub index"), ("/./sub/", b"sub index")):
            with self.subTest(path=path):
                st, h, got = self.get(s, path)
                self.assertEqual((st, got), (200, body))
                self.assertEqual(h["content-type"], "text/html; charset=utf-8")

    def test_directory_without_index_404(self):
        home = self.make_home({"empty/.keep": b""})
        s = self.serve(home)
        self.assert_error_page(self.get(s, "/empty/"), 404)

    def test_missing_404_with_html_body(self):
        home = self.make_home({"a.txt": b"a"})
        s = self.serve(home)
        for path in ("/nope", "/nope/", "/dir/nope.html", "/a.txt/x"):
            with self.subTest(path=path):
                self.assert_error_page(self.get(s, path), 404)

    def test_file_with_trailing_slash_404(self):
        # "a.txt/" names a directory; POSIX open() says ENOTDIR.
        home = self.make_home({"a.txt": b"a"})
        s = self.serve(home)
        self.assertEqual(self.get(s, "/a.txt/")[0], 404)

    def test_percent_decoded_once(self):
        home = self.make_home({"a b.txt": b"space", "%41.txt": b"pct", "A.txt": b"A"})
        s = self.serve(home)
        self.assertEqual(self.get(s, "/a%20b.txt")[2], b"space")
        self.assertEqual(self.get(s, "/%2541.txt")[2], b"pct")
        self.assertEqual(self.get(s, "/%41.txt")[2], b"A")

    def test_405_with_allow(self):
        home = self.make_home({"a.txt": b"a", "sub/index.html": b"i"})
        s = self.serve(home)
        for m in ("POST", "PUT", "DELETE", "PATCH"):
            for path in ("/a.txt", "/sub/"):
                with self.subTest(method=m, path=path):
                    st, h, body = self.get(s, path, method=m)
                    self.assert_error_page((st, h, body), 405)
                    allow = {x.strip() for x in h["allow"].split(",")}
                    self.assertLessEqual({"GET", "HEAD"}, allow)
                    self.assertNotIn(m, allow)

    def test_501_for_unknown_methods(self):
        home = self.make_home({"a.txt": b"a"})
        s = self.serve(home)
        for m in ("PROPFIND", "MKCOL", "FOO", "BREW"):
            with self.subTest(method=m):
                rs, _ = self.one(s, req("/a.txt", m, headers=("Connection: close",)))
                self.assertEqual(len(rs), 1)
                self.assert_error_page(rs[0], 501)

    def test_post_body_discarded_then_keepalive(self):
        home = self.make_home({"a.txt": b"a"})
        s = self.serve(home)
        with connect(s) as c:
            c.sendall(req("/a.txt", "POST", headers=("Content-Length: 10",), body=b"0123456789")
                      + req("/a.txt"))
            r = Reader(c)
            self.assertEqual(r.response()[0], 405)
            self.assertEqual(r.response()[:3:2], (200, b"a"))


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


# --- traversal ----------------------------------------------------------------

SECRET = b"TOP-SECRET-OUTSIDE-HOME"


class Traversal(Base):
    def setUp(self):
        self.top, self.home = self.make_home(
            {"a.txt": b"inside", "sub/index.html": b"sub", "sub/b.txt": b"bee"}, parent=True)
        with open(os.path.join(self.top, "secret.txt"), "wb") as f:
            f.write(SECRET)
        os.makedirs(os.path.join(self.top, "outdir"))
        with open(os.path.join(self.top, "outdir", "secret.txt"), "wb") as f:
            f.write(SECRET)

    def assert_refused(self, s, target, statuses=(400, 403, 404)):
        data = f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode("latin-1")
        out = raw(s, data)
        self.assertNotIn(SECRET, out, target)
        self.assertNotIn(b"root:", out, target)
        rs = parse_responses(out)
        self.assertEqual(len(rs), 1, (target, out[:300]))
        self.assertIn(rs[0][0], statuses, target)
        return rs[0][0]

    def test_dotdot_variants(self):
        s = self.serve(self.home)
        for t in ("/../secret.txt", "/../../../../../../etc/passwd", "/./../secret.txt",
                  "//../secret.txt", "/sub/../../secret.txt", "/sub/./../../secret.txt",
                  "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/.%2e/secret.txt",
                  "/%2e./secret.txt", "/%2E./secret.txt", "/sub/%2e%2e/%2e%2e/secret.txt",
                  "/..", "/../", "/%2e%2e", "/sub/../..", "/..%2fsecret.txt",
                  "/..%2Fsecret.txt", "/%2f..%2fsecret.txt", "/sub/..%2f..%2fsecret.txt",
                  "/%2e%2e%2fsecret.txt", "/..%5csecret.txt", "/....//secret.txt",
                  "/%252e%252e/secret.txt", "/%c0%ae%c0%ae/secret.txt",
                  "/..%00/secret.txt", "/%00/../secret.txt", "/a.txt%00../../secret.txt",
                  "/../outdir/secret.txt", "/sub/../../outdir/secret.txt",
                  "http://x/../secret.txt", "http://x/../../etc/passwd",
                  "http://x/%2e%2e/secret.txt", "http://x/..%2fsecret.txt",
                  "/.../secret.txt", "/sub/..../secret.txt"):
            with self.subTest(target=t):
                self.assert_refused(s, t)

    def test_exact_statuses(self):
        s = self.serve(self.home)
        for t in ("/%2f", "/%2F", "/..%2f", "/sub%2fb.txt", "/%00", "/a.txt%00",
                  "/a.txt%00.html", "/%", "/%zz", "/%4"):
            with self.subTest(target=t):
                self.assertEqual(self.assert_refused(s, t), 400)

    def test_inside_dotdot_served(self):
        s = self.serve(self.home)
        for t, body in (("/sub/../a.txt", b"inside"), ("/sub/%2e%2e/a.txt", b"inside"),
                        ("/./sub/./b.txt", b"bee"), ("//sub//b.txt", b"bee"),
                        ("http://x/sub/b.txt", b"bee"), ("http://x/../a.txt", None)):
            with self.subTest(target=t):
                st, h, got = self.get(s, t)
                if body is None:
                    self.assertIn(st, (400, 403, 404))
                else:
                    self.assertEqual((st, got), (200, body))

    def test_symlinks_outside_never_served(self):
        os.symlink("../secret.txt", os.path.join(self.home, "rel-out.txt"))
        os.symlink(os.path.join(self.top, "secret.txt"), os.path.join(self.home, "abs-out.txt"))
        os.symlink("../outdir", os.path.join(self.home, "dir-out"))
        os.symlink("/etc/passwd", os.path.join(self.home, "passwd"))
        os.symlink("/", os.path.join(self.home, "rootlink"))
        os.symlink("sub/../../secret.txt", os.path.join(self.home, "twisty.txt"))
        s = self.serve(self.home)
        for t in ("/rel-out.txt", "/abs-out.txt", "/dir-out/secret.txt", "/passwd",
                  "/rootlink/etc/passwd", "/twisty.txt", "/dir-out/"):
            with self.subTest(target=t):
                self.assertEqual(self.assert_refused(s, t), 403)

    def test_symlinks_inside_served(self):
        os.symlink("a.txt", os.path.join(self.home, "alias.txt"))
        os.symlink("../a.txt", os.path.join(self.home, "sub", "up.txt"))
        os.symlink("sub", os.path.join(self.home, "dlink"))
        s = self.serve(self.home)
        for t, body in (("/alias.txt", b"inside"), ("/sub/up.txt", b"inside"),
                        ("/dlink/b.txt", b"bee"), ("/dlink/", b"sub")):
            with self.subTest(target=t):
                st, h, got = self.get(s, t)
                self.assertEqual((st, got), (200, body))

    def test_absolute_symlink_inside_served(self):
        # An absolute link that resolves inside HOME does not lead outside it.
        os.symlink(os.path.join(self.home, "a.txt"), os.path.join(self.home, "abs-in.txt"))
        s = self.serve(self.home)
        st, h, got = self.get(s, "/abs-in.txt")
        self.assertEqual((st, got), (200, b"inside"))

    def test_home_given_relative_and_through_symlink(self):
        link = os.path.join(self.top, "homelink")
        os.symlink("home", link)
        s = self.serve(link)
        self.assertEqual(self.get(s, "/a.txt")[2], b"inside")
        self.assert_refused(s, "/../secret.txt")


class Unservable(Base):
    def test_fifo_and_socket_not_served(self):
        home = self.make_home({"a.txt": b"a"})
        os.mkfifo(os.path.join(home, "fifo"))
        us = socket.socket(socket.AF_UNIX)
        self.addCleanup(us.close)
        us.bind(os.path.join(home, "sock"))
        s = self.serve(home)
        for t in ("/fifo", "/sock"):
            with self.subTest(target=t):
                rs, closed = self.one(s, req(t, headers=("Connection: close",)), timeout=5)
                self.assertEqual(len(rs), 1, t)
                self.assertIn(rs[0][0], (403, 404), t)
                self.assert_error_page(rs[0], rs[0][0])
        # the server is still fine
        self.assertEqual(self.get(s, "/a.txt")[2], b"a")

    def test_unreadable_file_403(self):
        # HOME below a private directory: its parent is chmod'ed below, and
        # must never be the system's /tmp
        top, home = self.make_home({"a.txt": b"a", "secret.txt": b"no", "locked/x.txt": b"x"},
                                   parent=True)
        os.chmod(os.path.join(home, "secret.txt"), 0)
        os.chmod(os.path.join(home, "locked"), 0)
        self.addCleanup(os.chmod, os.path.join(home, "locked"), 0o755)
        args = ()
        if IS_ROOT:
            # root reads mode-000 files: serve as an unprivileged user instead
            os.chmod(home, 0o755)
            os.chmod(top, 0o755)
            args = ("-u", "nobody")
        s = self.serve(home, *args)
        self.assertEqual(self.get(s, "/a.txt")[:3:2], (200, b"a"))
        for t in ("/secret.txt", "/locked/x.txt"):
            with self.subTest(target=t):
                st, h, body = self.get(s, t)
                self.assert_error_page((st, h, body), 403)


# --- malformed requests ---------------------------------------------------------

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
        base = s.socket_count()
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(c.close)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.settimeout(5)
        c.connect((s.host, s.port))
        c.sendall(req("/big.bin"))
        self.assertTrue(wait_until(lambda: s.socket_count() > base, 5), "request not seen")
        t0 = time.monotonic()
        self.assertTrue(wait_until(lambda: s.socket_count() <= base, 10),
                        "stalled reader not dropped")
        self.assertLess(time.monotonic() - t0, 10)
        got = recv_all(c)
        self.assertTrue(got.startswith(b"HTTP/1.1 200 "))
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
        s = self.serve(home, "--grace", "5")
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
                    b"--workers", b"--version"):
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


if __name__ == "__main__":
    unittest.main()


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
