"""What it serves (README "What it serves"): static files, their variants
and conditions, paths that try to leave HOME, files never served. Each test
makes its own HOME; every wait is bounded."""
import email.utils
import os
import socket
import threading
import time
import unittest

from core import IMF_DATE, IS_ROOT, Base, http_date, req
from harness import Reader, connect, curl, parse_responses, raw

SECRET = b"TOP-SECRET-OUTSIDE-HOME"



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

    def test_changes_seen_under_load(self):
        """With other clients keeping the server busy, most requests
        arrive before the wait of the batch that reads them began: no
        read of inotify's queue for those, that wait having handed over
        every change made before they were sent (fwatch.h). A change is
        still in the answer to every request sent after it, on a
        kept-alive connection and on new ones."""
        home = self.make_home({"v.txt": b"000000", "load.txt": b"x" * 612})
        s = self.serve(home)
        path = os.path.join(home, "v.txt")
        stop = threading.Event()
        served = []

        def load():
            n = 0
            with connect(s) as c:
                r = Reader(c, deadline=60)
                while not stop.is_set() and n < 200000:
                    c.sendall(req("/load.txt"))
                    if r.response() is None:
                        break
                    n += 1
            served.append(n)
        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            with connect(s) as c:
                r = Reader(c, deadline=60)
                for i in range(1, 401):
                    content = b"%06d" % i
                    with open(path, "r+b") as f:  # in place, the same size
                        f.write(content)
                    if i % 4:
                        c.sendall(req("/v.txt"))
                        got = r.response()
                    else:
                        with connect(s) as n:
                            n.sendall(req("/v.txt", headers=("Connection: close",)))
                            got = Reader(n).response()
                    self.assertIsNotNone(got, i)
                    self.assertEqual(got[2], content, i)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)
        self.assertEqual(len(served), 4)
        self.assertTrue(all(n > 0 for n in served), served)

    def test_replacements_seen_by_the_next_request(self):
        """The file a path names now, however it changed: rewritten in
        place to the same size and mtime, written through a hard link,
        replaced by a rename, a symlink pointed elsewhere, its directory
        swapped; small files (served from memory) and large ones (an open
        fd) alike, on one kept-alive connection."""
        big = 40 * 1024  # above the size kept in memory
        home = self.make_home({"a.txt": b"aaaa", "b.txt": b"bbbb", "d/x.txt": b"in d",
                               "big.bin": b"1" * big})
        s = self.serve(home)
        p = lambda *n: os.path.join(home, *n)  # noqa: E731
        os.symlink("a.txt", p("link.txt"))
        os.link(p("b.txt"), p("hard.txt"))
        with connect(s) as c:
            r = Reader(c)

            def body(path):
                c.sendall(req(path))
                st, _, got = r.response()
                self.assertEqual(st, 200, path)
                return got
            for path, want in (("/a.txt", b"aaaa"), ("/link.txt", b"aaaa"),
                               ("/hard.txt", b"bbbb"), ("/d/x.txt", b"in d"),
                               ("/big.bin", b"1" * big)):
                self.assertEqual(body(path), want)
                self.assertEqual(body(path), want)  # now a cache hit
            # same size, mtime put back: only the ctime tells
            t = os.stat(p("a.txt")).st_mtime_ns
            with open(p("a.txt"), "r+b") as f:
                f.write(b"AAAA")
            os.utime(p("a.txt"), ns=(t, t))
            self.assertEqual(body("/a.txt"), b"AAAA")
            with open(p("b.txt"), "r+b") as f:  # through the other link
                f.write(b"BB")
            self.assertEqual(body("/hard.txt"), b"BBbb")
            for name, content in (("a.txt", b"renamed over"), ("big.bin", b"2" * big)):
                with open(p(name + ".new"), "wb") as f:
                    f.write(content)
                os.replace(p(name + ".new"), p(name))
                self.assertEqual(body("/" + name), content)
            os.symlink("b.txt", p("link.new"))
            os.replace(p("link.new"), p("link.txt"))
            self.assertEqual(body("/link.txt"), b"BBbb")
            os.rename(p("d"), p("d.old"))
            os.mkdir(p("d"))
            with open(p("d", "x.txt"), "wb") as f:
                f.write(b"new d")
            self.assertEqual(body("/d/x.txt"), b"new d")

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


if __name__ == "__main__":
    unittest.main()
