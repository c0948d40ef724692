"""Conditional requests, ranges (single and multipart/byteranges), pre-compressed
.br/.gz variants, directory listings and OPTIONS: every case, byte-exact."""
import email.utils
import gzip
import os
import random
import re
import shutil
import tempfile
import unittest

from harness import Server, curl, parse_responses, raw

BIG = "99999999999999999999999999"


def req(server, path, headers=(), method="GET"):
    """One request on its own connection → (status, headers, body)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: x", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers]
    data = raw(server, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    if method == "HEAD":  # no body, whatever Content-Length says
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            hdrs[k.strip().lower().decode()] = v.strip().decode("latin-1")
        return int(lines[0].split()[1]), hdrs, rest
    resps = parse_responses(data)
    assert len(resps) == 1, resps
    return resps[0]


def multipart(hdrs, body):
    """Split a multipart/byteranges body → [(headers dict, bytes)], checking
    the framing of RFC 2046 exactly."""
    m = re.fullmatch(r"multipart/byteranges; boundary=(\S+)", hdrs["content-type"])
    assert m, hdrs["content-type"]
    b = m.group(1).encode()
    assert body.startswith(b"--" + b + b"\r\n") or body.startswith(b"\r\n--" + b + b"\r\n")
    assert body.endswith(b"\r\n--" + b + b"--\r\n"), body[-60:]
    body = body[:-len(b"\r\n--" + b + b"--\r\n")]
    if body.startswith(b"\r\n"):
        body = body[2:]
    parts = []
    for chunk in body[len(b"--" + b + b"\r\n"):].split(b"\r\n--" + b + b"\r\n"):
        head, sep, data = chunk.partition(b"\r\n\r\n")
        assert sep, chunk[:100]
        ph = {}
        for line in head.split(b"\r\n"):
            k, _, v = line.partition(b":")
            ph[k.strip().lower().decode()] = v.strip().decode()
        parts.append((ph, data))
    return parts


class Base(unittest.TestCase):
    args = ()

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.home = os.path.join(cls.tmp.name, "www")
        os.mkdir(cls.home)
        rnd = random.Random(6)
        cls.data = bytes(rnd.getrandbits(8) for _ in range(10000))
        cls.text = b"".join(b"line %d of some text\n" % i for i in range(500))
        cls.files = {
            "data.bin": cls.data,
            "page.html": b"<!DOCTYPE html><title>p</title>" + cls.text,
            "empty.txt": b"",
            "comp.txt": cls.text,
            "comp.txt.gz": gzip.compress(cls.text, mtime=0),
            "comp.txt.br": b"\x1b\x7f pretend brotli " * 40,
            "g.js": b"console.log(1);\n" * 100,
            "g.js.gz": gzip.compress(b"console.log(1);\n" * 100, mtime=0),
            "plain.css": b"body{}\n",
            "trick.txt": b"identity\n",
            "dirvar.txt": b"the original\n",
            "idx/index.html": b"<p>index</p>\n",
            "idx/index.html.gz": gzip.compress(b"<p>index</p>\n", mtime=0),
            "list/b.txt": b"b" * 1500,
            "list/a&<b>.txt": b"amp",
            "list/space name.txt": b"",
            "list/\"q'.txt": b"q",
            "list/.hidden": b"secret",
            "list/httpd.conf": b"A:*\n",
            "list/Zed.bin": b"z" * (3 * 1024 * 1024),
            "list/sub/inner.txt": b"inner",
            "list/sub/.dot/x": b"x",
            "list/javascript:alert(1)": b"js",
        }
        for name, content in cls.files.items():
            path = os.path.join(cls.home, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(content)
        outside = os.path.join(cls.tmp.name, "outside.txt")
        with open(outside, "wb") as f:
            f.write(b"outside HOME\n")
        # A variant that leads out of HOME is never served.
        os.symlink(outside, os.path.join(cls.home, "trick.txt.gz"))
        # A variant that is a directory is no variant.
        os.mkdir(os.path.join(cls.home, "dirvar.txt.gz"))
        os.symlink(outside, os.path.join(cls.home, "list", "out-link"))
        os.symlink("../../outside.txt", os.path.join(cls.home, "list", "rel-out"))
        os.symlink("b.txt", os.path.join(cls.home, "list", "in-link"))
        os.symlink("../data.bin", os.path.join(cls.home, "list", "up-link"))
        os.symlink(os.path.join(cls.home, "plain.css"), os.path.join(cls.home, "list", "abs-in"))
        os.symlink("missing", os.path.join(cls.home, "list", "dangling"))
        os.mkfifo(os.path.join(cls.home, "list", "fifo"))
        cls.server = Server(cls.home, *cls.args).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def get(self, path, *headers, method="GET"):
        return req(self.server, path, headers, method)

    def curl(self, *args):
        r = curl("-i", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return parse_responses(r.stdout)[-1]


class ConditionalTest(Base):
    def validators(self, path="/page.html"):
        st, h, _ = self.get(path)
        self.assertEqual(st, 200)
        return h["etag"], h["last-modified"]

    def test_validators_present_and_strong(self):
        etag, lm = self.validators()
        self.assertRegex(etag, r'^"[0-9a-f]+-[0-9a-f]+"$')
        mtime = os.stat(os.path.join(self.home, "page.html")).st_mtime
        self.assertEqual(lm, email.utils.formatdate(int(mtime), usegmt=True))

    def assert_304(self, resp, etag):
        st, h, body = resp
        self.assertEqual(st, 304)
        self.assertEqual(body, b"")
        self.assertEqual(h.get("etag"), etag)
        self.assertNotIn("content-length", h)
        self.assertNotIn("content-type", h)

    def test_if_none_match(self):
        etag, _ = self.validators()
        for value in (etag, "W/" + etag, '"nope", ' + etag, '"a",,' + etag + " ", "*"):
            with self.subTest(value=value):
                self.assert_304(self.get("/page.html", ("If-None-Match", value)), etag)
        for value in ('"nope"', etag[:-2] + '"', etag[1:-1], '"a", "b"'):
            with self.subTest(value=value):
                st, _, body = self.get("/page.html", ("If-None-Match", value))
                self.assertEqual((st, body), (200, self.files["page.html"]))

    def test_if_modified_since(self):
        etag, lm = self.validators()
        self.assert_304(self.get("/page.html", ("If-Modified-Since", lm)), etag)
        self.assert_304(self.get("/page.html", ("If-Modified-Since",
                                                "Fri, 01 Jan 2100 00:00:00 GMT")), etag)
        for value in ("Thu, 01 Jan 1970 00:00:00 GMT", "garbage", "", lm + "x"):
            with self.subTest(value=value):
                st, _, body = self.get("/page.html", ("If-Modified-Since", value))
                self.assertEqual((st, body), (200, self.files["page.html"]))

    def test_if_none_match_takes_precedence(self):
        etag, lm = self.validators()
        st, _, _ = self.get("/page.html", ("If-None-Match", '"other"'),
                            ("If-Modified-Since", lm))
        self.assertEqual(st, 200)
        self.assert_304(self.get("/page.html", ("If-None-Match", etag),
                                 ("If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT")),
                        etag)

    def test_if_match(self):
        etag, _ = self.validators()
        for value in (etag, '"x", ' + etag, "*"):
            with self.subTest(value=value):
                self.assertEqual(self.get("/page.html", ("If-Match", value))[0], 200)
        for value in ('"x"', "W/" + etag):
            with self.subTest(value=value):
                st, h, body = self.get("/page.html", ("If-Match", value))
                self.assertEqual(st, 412)
                self.assertIn(b"412", body)
                self.assertTrue(h["content-type"].startswith("text/html"))

    def test_if_unmodified_since(self):
        _, lm = self.validators()
        self.assertEqual(self.get("/page.html", ("If-Unmodified-Since", lm))[0], 200)
        self.assertEqual(self.get("/page.html", ("If-Unmodified-Since", "garbage"))[0], 200)
        self.assertEqual(self.get("/page.html", ("If-Unmodified-Since",
                                                 "Thu, 01 Jan 1970 00:00:00 GMT"))[0], 412)

    def test_412_before_304(self):
        etag, _ = self.validators()
        st, _, _ = self.get("/page.html", ("If-Match", '"x"'), ("If-None-Match", etag))
        self.assertEqual(st, 412)

    def test_head_same_headers_no_body(self):
        etag, lm = self.validators()
        st, h, body = self.get("/page.html", method="HEAD")
        self.assertEqual((st, body), (200, b""))
        self.assertEqual(h["etag"], etag)
        self.assertEqual(h["content-length"], str(len(self.files["page.html"])))
        st, h, body = self.get("/page.html", ("If-None-Match", etag), method="HEAD")
        self.assertEqual((st, body), (304, b""))

    def test_curl_etag_roundtrip(self):
        etag_file = os.path.join(self.tmp.name, "etag")
        url = self.server.url("/page.html")
        self.assertEqual(self.curl("--etag-save", etag_file, url)[0], 200)
        self.assertEqual(self.curl("--etag-compare", etag_file, url)[0], 304)


class RangeTest(Base):
    def one(self, rng, start, end, path="/data.bin", size=None):
        content = self.files[path.lstrip("/")]
        size = len(content) if size is None else size
        st, h, body = self.get(path, ("Range", rng))
        self.assertEqual(st, 206, rng)
        self.assertEqual(h["content-range"], f"bytes {start}-{end}/{size}")
        self.assertEqual(body, content[start:end + 1])
        self.assertEqual(int(h["content-length"]), end - start + 1)
        return h

    def test_accept_ranges(self):
        self.assertEqual(self.get("/data.bin")[1]["accept-ranges"], "bytes")

    def test_single_forms(self):
        self.one("bytes=0-9", 0, 9)
        self.one("bytes=9990-", 9990, 9999)
        self.one("bytes=-10", 9990, 9999)
        self.one("bytes=9999-9999", 9999, 9999)
        self.one("bytes=9990-20000", 9990, 9999)  # clamped, never past the end
        self.one("bytes=-20000", 0, 9999)
        self.one("bytes = 5 - 7", 5, 7)
        self.one("BYTES=5-7", 5, 7)

    def test_real_content_type(self):
        h = self.one("bytes=0-14", 0, 14, "/page.html")
        self.assertEqual(h["content-type"], "text/html; charset=utf-8")

    def test_overflow(self):
        self.one("bytes=0-" + BIG, 0, 9999)
        self.one("bytes=-" + BIG, 0, 9999)
        self.one("bytes=0-18446744073709551615", 0, 9999)
        self.one("bytes=0-18446744073709551616", 0, 9999)
        for rng in ("bytes=" + BIG + "-", "bytes=18446744073709551615-",
                    "bytes=9223372036854775807-9223372036854775808"):
            with self.subTest(rng=rng):
                st, h, body = self.get("/data.bin", ("Range", rng))
                self.assertEqual(st, 416)
                self.assertEqual(h["content-range"], "bytes */10000")

    def test_unsatisfiable(self):
        for rng in ("bytes=10000-", "bytes=10000-10001", "bytes=-0", "bytes=20000-,-0"):
            with self.subTest(rng=rng):
                st, h, body = self.get("/data.bin", ("Range", rng))
                self.assertEqual(st, 416)
                self.assertEqual(h["content-range"], "bytes */10000")
                self.assertTrue(h["content-type"].startswith("text/html"))
                self.assertIn(b"416", body)

    def test_ignored_gives_whole_file(self):
        for rng in ("bytes=5-3", "bytes=abc", "items=0-1", "bytes=", "bytes=0-1;2-3",
                    "bytes=" + ",".join("%d-%d" % (i * 10, i * 10) for i in range(17))):
            with self.subTest(rng=rng):
                st, h, body = self.get("/data.bin", ("Range", rng))
                self.assertEqual((st, body), (200, self.data))
                self.assertNotIn("content-range", h)

    def test_empty_file(self):
        st, h, body = self.get("/empty.txt", ("Range", "bytes=0-"))
        self.assertEqual((st, body, h["content-length"]), (200, b"", "0"))

    def check_multipart(self, rng, want, path="/data.bin"):
        content = self.files[path.lstrip("/")]
        st, h, body = self.get(path, ("Range", rng))
        self.assertEqual(st, 206)
        self.assertNotIn("content-range", h)
        self.assertEqual(int(h["content-length"]), len(body))
        parts = multipart(h, body)
        self.assertEqual(len(parts), len(want))
        for (ph, data), (a, b) in zip(parts, want):
            self.assertEqual(ph["content-range"], f"bytes {a}-{b}/{len(content)}")
            self.assertEqual(ph["content-type"], "application/octet-stream"
                             if path.endswith(".bin") else "text/html; charset=utf-8")
            self.assertEqual(data, content[a:b + 1])

    def test_multipart(self):
        self.check_multipart("bytes=0-9,100-199,-5", [(0, 9), (100, 199), (9995, 9999)])
        self.check_multipart("bytes=500-599,0-0", [(500, 599), (0, 0)])  # client's order
        self.check_multipart("bytes=0-9,5000-,20000-", [(0, 9), (5000, 9999)])
        self.check_multipart("bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,"
                             "18-18,20-20,22-22,24-24,26-26,28-28,30-30",
                             [(i, i) for i in range(0, 31, 2)])
        self.check_multipart("bytes=10-20,0-4", [(10, 20), (0, 4)], "/page.html")

    def test_overlapping_ranges_merge(self):
        self.one("bytes=0-9,5-19", 0, 19)
        self.one("bytes=0-9,10-19", 0, 19)  # adjacent
        self.one("bytes=20-29,0-9,10-19", 0, 29)
        self.one("bytes=-10,9000-", 9000, 9999)
        self.check_multipart("bytes=0-4,50-59,5-9", [(0, 9), (50, 59)])

    def test_curl_multipart(self):
        r = curl("-r", "0-99,200-299", self.server.url("/data.bin"), "-D", "-")
        head, _, body = r.stdout.partition(b"\r\n\r\n")
        ctype = re.search(rb"(?i)content-type: (.*)\r\n", head).group(1).decode()
        parts = multipart({"content-type": ctype}, body)
        self.assertEqual([p[1] for p in parts], [self.data[0:100], self.data[200:300]])

    def test_if_range(self):
        st, h, _ = self.get("/data.bin")
        etag, lm = h["etag"], h["last-modified"]
        for value in (etag, lm):
            with self.subTest(value=value):
                st, h, body = self.get("/data.bin", ("Range", "bytes=0-9"), ("If-Range", value))
                self.assertEqual((st, body), (206, self.data[:10]))
        for value in ('"other"', "W/" + etag, "Thu, 01 Jan 1970 00:00:00 GMT", "junk"):
            with self.subTest(value=value):
                st, h, body = self.get("/data.bin", ("Range", "bytes=0-9"), ("If-Range", value))
                self.assertEqual((st, body), (200, self.data))

    def test_head_range(self):
        st, h, body = self.get("/data.bin", ("Range", "bytes=0-9"), method="HEAD")
        self.assertEqual((st, body, h["content-length"]), (206, b"", "10"))

    def test_conditional_before_range(self):
        etag = self.get("/data.bin")[1]["etag"]
        st, _, body = self.get("/data.bin", ("Range", "bytes=0-9"), ("If-None-Match", etag))
        self.assertEqual((st, body), (304, b""))
        st, _, _ = self.get("/data.bin", ("Range", "bytes=0-9"), ("If-Match", '"x"'))
        self.assertEqual(st, 412)

    def test_keep_alive_after_multipart(self):
        one = b"GET /data.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=0-1,5-6\r\n\r\n"
        last = b"GET /plain.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        resps = parse_responses(raw(self.server, one + one + last))
        self.assertEqual([r[0] for r in resps], [206, 206, 200])
        self.assertEqual(resps[2][2], self.files["plain.css"])


class VariantTest(Base):
    def enc(self, path, ae, *more, method="GET"):
        ae = (("Accept-Encoding", ae),) if ae is not None else ()
        return self.get(path, *ae, *more, method=method)

    def test_choice(self):
        cases = [
            (None, None), ("", None), ("identity", None), ("gzip", "gzip"),
            ("x-gzip", "gzip"), ("br", "br"), ("gzip, deflate, br", "br"),
            ("br;q=0.5, gzip", "gzip"), ("GZIP;Q=0.9, BR;Q=0.8", "gzip"),
            ("gzip;q=0, br;q=0", None), ("*", "br"), ("*;q=0.5, br;q=0", "gzip"),
            ("identity;q=1, gzip;q=0.5", None), ("identity;q=0.5, gzip;q=0.6", "gzip"),
            ("*;q=0", None), ("br;q=2", None), ("deflate, zstd", None),
        ]
        for ae, want in cases:
            with self.subTest(ae=ae):
                st, h, body = self.enc("/comp.txt", ae)
                self.assertEqual(st, 200)
                self.assertEqual(h.get("content-encoding"), want)
                self.assertEqual(h["vary"], "Accept-Encoding")
                self.assertEqual(h["content-type"], "text/plain; charset=utf-8")
                name = "comp.txt" + {None: "", "gzip": ".gz", "br": ".br"}[want]
                self.assertEqual(body, self.files[name])

    def test_etag_differs_per_variant(self):
        tags = {self.enc("/comp.txt", ae)[1]["etag"] for ae in ("identity", "gzip", "br")}
        self.assertEqual(len(tags), 3)
        gz = self.enc("/comp.txt", "gzip")[1]["etag"]
        self.assertTrue(gz.endswith('-gz"'), gz)

    def test_conditional_per_variant(self):
        gz = self.enc("/comp.txt", "gzip")[1]["etag"]
        ident = self.enc("/comp.txt", None)[1]["etag"]
        st, h, body = self.enc("/comp.txt", "gzip", ("If-None-Match", gz))
        self.assertEqual((st, body, h["vary"], h["etag"]), (304, b"", "Accept-Encoding", gz))
        st, h, body = self.enc("/comp.txt", "gzip", ("If-None-Match", ident))
        self.assertEqual((st, body), (200, self.files["comp.txt.gz"]))

    def test_range_applies_to_variant(self):
        gz = self.files["comp.txt.gz"]
        st, h, body = self.enc("/comp.txt", "gzip", ("Range", "bytes=0-9"))
        self.assertEqual((st, body), (206, gz[:10]))
        self.assertEqual(h["content-range"], f"bytes 0-9/{len(gz)}")
        self.assertEqual(h["content-encoding"], "gzip")
        st, h, body = self.enc("/comp.txt", "gzip", ("Range", f"bytes={len(gz)}-"))
        self.assertEqual((st, h["content-range"]), (416, f"bytes */{len(gz)}"))
        self.assertNotIn("content-encoding", h)
        # several parts of an encoded body: the whole variant instead
        st, h, body = self.enc("/comp.txt", "gzip", ("Range", "bytes=0-1,5-6"))
        self.assertEqual((st, body, h["content-encoding"]), (200, gz, "gzip"))
        # If-Range with the identity ETag does not match the variant
        ident = self.enc("/comp.txt", None)[1]["etag"]
        st, _, body = self.enc("/comp.txt", "gzip", ("Range", "bytes=0-9"), ("If-Range", ident))
        self.assertEqual((st, body), (200, gz))

    def test_curl_compressed_decodes(self):
        r = curl("--compressed", "-H", "Accept-Encoding: gzip", self.server.url("/g.js"))
        self.assertEqual(r.stdout, self.files["g.js"])

    def test_only_gz_exists(self):
        st, h, body = self.enc("/g.js", "br, gzip")
        self.assertEqual((h["content-encoding"], body), ("gzip", self.files["g.js.gz"]))
        self.assertEqual(h["content-type"], "text/javascript; charset=utf-8")
        self.assertNotIn("content-encoding", self.enc("/g.js", "br")[1])

    def test_no_variant_no_vary(self):
        st, h, _ = self.enc("/plain.css", "gzip, br")
        self.assertEqual(st, 200)
        self.assertNotIn("vary", h)
        self.assertNotIn("content-encoding", h)

    def test_variant_outside_home_or_not_a_file(self):
        for path in ("/trick.txt", "/dirvar.txt"):
            with self.subTest(path=path):
                st, h, body = self.enc(path, "gzip")
                self.assertEqual((st, body), (200, self.files[path[1:]]))
                self.assertNotIn("content-encoding", h)

    def test_index_variant(self):
        st, h, body = self.enc("/idx/", "gzip")
        self.assertEqual((h["content-encoding"], body), ("gzip", self.files["idx/index.html.gz"]))
        self.assertEqual(h["content-type"], "text/html; charset=utf-8")

    def test_variant_asked_directly(self):
        st, h, body = self.enc("/comp.txt.gz", "gzip")
        self.assertEqual((st, body, h["content-type"]),
                         (200, self.files["comp.txt.gz"], "application/gzip"))
        self.assertNotIn("content-encoding", h)

    def test_head_variant(self):
        st, h, body = self.enc("/comp.txt", "br", method="HEAD")
        self.assertEqual((st, body, h["content-encoding"]), (200, b"", "br"))
        self.assertEqual(h["content-length"], str(len(self.files["comp.txt.br"])))


class ListingOffTest(Base):
    def test_off_by_default(self):
        self.assertEqual(self.get("/list/")[0], 404)
        self.assertEqual(self.get("/idx/")[0], 200)


class ListingTest(Base):
    args = ("--list",)

    def page(self, path="/list/"):
        st, h, body = self.get(path)
        self.assertEqual(st, 200)
        self.assertEqual(h["content-type"], "text/html; charset=utf-8")
        return body.decode()

    def rows(self, html):
        return re.findall(r'<td class="n"><a href="([^"]*)">([^<]*)</a></td>'
                          r'<td class="s"(?: data-bytes="(\d+)")?>', html)

    def test_entries_sorted_escaped_hidden(self):
        rows = self.rows(self.page())
        self.assertEqual(rows[0][:2], ("../", "../"))
        got = [(href, text, size) for href, text, size in rows[1:]]
        want = [
            ("%22q%27.txt", "&quot;q&#39;.txt", "1"),
            ("Zed.bin", "Zed.bin", str(3 * 1024 * 1024)),
            ("a%26%3Cb%3E.txt", "a&amp;&lt;b&gt;.txt", "3"),
            ("abs-in", "abs-in", "7"),
            ("b.txt", "b.txt", "1500"),
            ("in-link", "in-link", "1500"),
            ("javascript%3Aalert%281%29", "javascript:alert(1)", "2"),
            ("space%20name.txt", "space name.txt", "0"),
            ("sub/", "sub/", None),
            ("up-link", "up-link", "10000"),
        ]
        self.assertEqual([(h, t, s or None) for h, t, s in got], want)

    def test_nothing_outside_home(self):
        html = self.page()
        for word in ("out-link", "rel-out", "outside", "dangling", "fifo", ".hidden",
                     "httpd.conf", "secret", self.tmp.name):
            self.assertNotIn(word, html)

    def test_links_work(self):
        html = self.page()
        for href, _, size in self.rows(html)[1:]:
            with self.subTest(href=href):
                st, h, body = self.get("/list/" + href, method="HEAD")
                self.assertEqual(st, 200)
                if size:
                    self.assertEqual(h["content-length"], size)

    def test_human_sizes_and_times(self):
        html = self.page()
        self.assertIn('data-bytes="1500">1.5 KiB<', html)
        self.assertIn('data-bytes="3145728">3.0 MiB<', html)
        self.assertRegex(html, r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">'
                               r'\d{4}-\d\d-\d\d \d\d:\d\d</time>')

    def test_phone_friendly(self):
        html = self.page()
        self.assertIn('<meta name="viewport" content="width=device-width, initial-scale=1">',
                      html)
        self.assertIn("<title>Index of /list/</title>", html)

    def test_root_has_no_parent_link(self):
        html = self.page("/")
        self.assertNotIn('href="../"', html)
        self.assertIn('href="list/"', html)
        self.assertIn('href="dirvar.txt.gz/"', html)

    def test_subdirectory(self):
        html = self.page("/list/sub/")
        self.assertEqual(self.rows(html), [("../", "../", ""), ("inner.txt", "inner.txt", "5")])
        self.assertNotIn(".dot", html)

    def test_index_wins(self):
        st, _, body = self.get("/idx/")
        self.assertEqual(body, self.files["idx/index.html"])

    def test_slash_redirect_and_escape(self):
        st, h, _ = self.get("/list")
        self.assertEqual((st, h["location"]), (301, "/list/"))
        self.assertEqual(self.get("/list/../../")[0], 400)
        self.assertEqual(self.get("/list/%2e%2e/%2e%2e/")[0], 400)

    def test_escaped_directory_name_in_title(self):
        os.makedirs(os.path.join(self.home, "<i>x"), exist_ok=True)
        try:
            html = self.page("/%3Ci%3Ex/")
            self.assertIn("<title>Index of /&lt;i&gt;x/</title>", html)
            self.assertNotIn("<i>", html)
        finally:
            os.rmdir(os.path.join(self.home, "<i>x"))

    def test_head(self):
        st, h, body = self.get("/list/", method="HEAD")
        self.assertEqual((st, body), (200, b""))
        self.assertEqual(int(h["content-length"]), len(self.page().encode()))


class ListingBoundTest(unittest.TestCase):
    """A directory of more than 10,000 entries is listed in part, with a note."""

    def test_cap(self):
        with tempfile.TemporaryDirectory() as home:
            d = os.path.join(home, "many")
            os.mkdir(d)
            for i in range(10050):
                open(os.path.join(d, "f%05d" % i), "w").close()
            with Server(home, "--list") as s:
                st, h, body = req(s, "/many/")
            self.assertEqual(st, 200)
            self.assertEqual(body.count(b'<td class="n"><a href="f'), 10000)
            self.assertIn(b"Listing cut short", body)
            self.assertLessEqual(len(body), 4 * 1024 * 1024)


class OptionsTest(Base):
    def test_options_file(self):
        for path in ("/page.html", "/list/", "/list"):
            with self.subTest(path=path):
                st, h, body = self.get(path, method="OPTIONS")
                self.assertEqual((st, body), (204, b""))
                self.assertEqual(h["allow"], "GET, HEAD, OPTIONS")

    def test_file_with_slash_is_not_found(self):
        self.assertEqual(self.get("/page.html/")[0], 404)
        self.assertEqual(self.get("/page.html/", method="OPTIONS")[0], 404)

    def test_options_missing(self):
        self.assertEqual(self.get("/nope", method="OPTIONS")[0], 404)

    def test_options_asterisk(self):
        st, h, body = self.get("*", method="OPTIONS")
        self.assertEqual((st, body), (204, b""))
        self.assertEqual(h["allow"], "GET, HEAD, POST, OPTIONS")
        r = curl("-i", "-X", "OPTIONS", "--request-target", "*", self.server.url("/"))
        self.assertTrue(r.stdout.startswith(b"HTTP/1.1 204"), r.stdout[:100])

    def test_asterisk_other_methods(self):
        self.assertEqual(self.get("*")[0], 400)

    def test_other_methods(self):
        st, h, _ = self.get("/page.html", method="DELETE")
        self.assertEqual((st, h["allow"]), (405, "GET, HEAD, OPTIONS"))


if __name__ == "__main__":
    unittest.main()
