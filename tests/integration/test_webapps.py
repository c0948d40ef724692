"""Web apps: the SPA fallback, header rules (set / --header), CORS (simple and
preflight), their config lines' errors (FILE:LINE) and SIGHUP reloads."""
import gzip
import os
import signal
import subprocess
import tempfile
import unittest

from harness import HTTPD, Server, connect, recv_all, wait_until

INDEX = b"<!DOCTYPE html><title>app</title><div id=app></div>\n"
ORIGIN = "http://app.example:8080"


def ask(server, path, *headers, method="GET"):
    """One request → (status, head text with every line, body)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: x", "Connection: close", *headers]
    with connect(server) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = recv_all(s)
    head, _, body = data.partition(b"\r\n\r\n")
    head = head.decode("latin-1")
    return int(head.split()[1]), head + "\r\n", body


def field(head, name):
    """Every value of header name in head, in order."""
    out = []
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.lower() == name.lower():
            out.append(v.strip())
    return out


class Base(unittest.TestCase):
    conf_text = ""
    args = ()

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.home = os.path.join(cls.tmp.name, "www")
        files = {
            "index.html": INDEX,
            "index.html.gz": gzip.compress(INDEX, mtime=0),
            "assets/app.js": b"console.log('app');\n",
            "plain.txt": b"plain\n",
            "wasm/page.html": b"<p>wasm</p>\n",
            "private/secret.txt": b"secret\n",
            "emptydir/.keep": b"",
            "tool.cgi": b"#!/bin/sh\necho SCRIPT-SOURCE\n",
        }
        for name, data in files.items():
            path = os.path.join(cls.home, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        cls.conf = os.path.join(cls.tmp.name, "httpd.conf")
        with open(cls.conf, "w") as f:
            f.write(cls.conf_text)
        cls.server = Server(cls.home, "-c", cls.conf, *cls.args).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.tmp.cleanup()

    def ask(self, path, *headers, method="GET"):
        return ask(self.server, path, *headers, method=method)


class SpaTest(Base):
    conf_text = """A:127.0.0.1
/private:me:pw
*.cgi:/bin/sh
spa /index.html   # the app's entry
"""

    def test_deep_links_answer_the_entry(self):
        for path in ("/users/42", "/users/42/", "/a/b/c?tab=1", "/%C3%A9t%C3%A9"):
            with self.subTest(path=path):
                st, head, body = self.ask(path)
                self.assertEqual(st, 200)
                self.assertEqual(body, INDEX)
                self.assertEqual(field(head, "Cache-Control"), ["no-cache"])
                self.assertEqual(field(head, "Content-Type"), ["text/html; charset=utf-8"])

    def test_missing_assets_stay_404(self):
        for path in ("/assets/x.js", "/missing.png", "/users/john.doe", "/a/b.json"):
            with self.subTest(path=path):
                st, head, body = self.ask(path)
                self.assertEqual(st, 404)
                self.assertNotIn(INDEX, body)
                self.assertEqual(field(head, "Cache-Control"), [])

    def test_existing_files_and_dirs_are_not_replaced(self):
        self.assertEqual(self.ask("/assets/app.js")[2], b"console.log('app');\n")
        self.assertEqual(self.ask("/plain.txt")[2], b"plain\n")
        self.assertEqual(self.ask("/emptydir/")[0], 404)  # there, without an index
        self.assertEqual(self.ask("/emptydir")[0], 301)

    def test_head_etag_and_variants(self):
        st, head, body = self.ask("/route", method="HEAD")
        self.assertEqual((st, body), (200, b""))
        self.assertEqual(field(head, "Content-Length"), [str(len(INDEX))])
        etag = field(head, "ETag")[0]
        st, head, body = self.ask("/route", f"If-None-Match: {etag}")
        self.assertEqual((st, body), (304, b""))
        self.assertEqual(field(head, "Cache-Control"), ["no-cache"])
        st, head, body = self.ask("/route", "Accept-Encoding: gzip")
        self.assertEqual(st, 200)
        self.assertEqual(field(head, "Content-Encoding"), ["gzip"])
        self.assertIn("Accept-Encoding", field(head, "Vary"))
        self.assertEqual(gzip.decompress(body), INDEX)

    def test_other_methods_are_not_answered_by_the_app(self):
        self.assertEqual(self.ask("/users/42", method="POST")[0], 405)
        self.assertEqual(self.ask("/users/42", method="OPTIONS")[0], 404)

    def test_auth_applies_to_the_path_asked_for(self):
        self.assertEqual(self.ask("/private/route")[0], 401)
        st, _, body = self.ask("/private/route", "Authorization: Basic bWU6cHc=")
        self.assertEqual((st, body), (200, INDEX))


class SpaScriptTest(Base):
    """The entry goes through the same checks as any file: a script's
    source is never sent (issue #15)."""
    conf_text = "*.cgi:/bin/sh\nspa /tool.cgi\n"

    def test_script_entry_is_refused(self):
        st, _, body = self.ask("/some/route")
        self.assertEqual(st, 403)
        self.assertNotIn(b"SCRIPT-SOURCE", body)


class SpaAclTest(Base):
    conf_text = "A:10.9.9.9\nD:*\nspa /index.html\n"

    def test_address_rules_apply(self):
        st, _, body = self.ask("/users/42")
        self.assertEqual(st, 403)
        self.assertNotIn(INDEX, body)


class CgiTest(Base):
    """A script's answer (its head comes later, from the stream) gets the
    rules' and CORS's lines too, replacing the script's own."""
    conf_text = f"""*.sh:/bin/sh
set /run.sh X-Frame-Options: DENY
cors {ORIGIN}
"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(os.path.join(cls.home, "run.sh"), "w") as f:
            f.write("printf 'Content-Type: text/plain\\r\\nX-Frame-Options: SAMEORIGIN\\r\\n"
                    "Content-Length: 16\\r\\n"
                    "\\r\\nfrom the script\\n'\n")

    def test_script_headers_replaced(self):
        st, head, body = self.ask("/run.sh", f"Origin: {ORIGIN}")
        self.assertEqual((st, body), (200, b"from the script\n"))
        self.assertEqual(field(head, "X-Frame-Options"), ["DENY"])
        self.assertEqual(field(head, "Access-Control-Allow-Origin"), [ORIGIN])
        # a preflight is ours: the script does not run for it
        st, head, _ = self.ask("/run.sh", f"Origin: {ORIGIN}",
                               "Access-Control-Request-Method: POST", method="OPTIONS")
        self.assertEqual(st, 204)
        self.assertEqual(field(head, "Access-Control-Allow-Methods"), ["GET, HEAD, POST"])


class NoSpaTest(Base):
    def test_off_by_default(self):
        self.assertEqual(self.ask("/users/42")[0], 404)


class HeaderRuleTest(Base):
    conf_text = """
set /assets/*     Cache-Control: public, max-age=31536000, immutable
set /index.html   Cache-Control: no-cache
set /wasm/        Cross-Origin-Opener-Policy: same-origin
set /wasm/        Cross-Origin-Embedder-Policy: require-corp
set /plain.txt    Content-Type: text/x-custom
set Content-Security-Policy: default-src 'self'
set /plain.txt    Content-Security-Policy: default-src 'none'
"""
    args = ("--header", "X-Content-Type-Options: nosniff",
            "--header", "Referrer-Policy: no-referrer")

    def test_prefix_and_glob(self):
        head = self.ask("/assets/app.js")[1]
        self.assertEqual(field(head, "Cache-Control"),
                         ["public, max-age=31536000, immutable"])
        self.assertEqual(field(self.ask("/index.html")[1], "Cache-Control"), ["no-cache"])
        self.assertEqual(field(self.ask("/")[1], "Cache-Control"), [])
        head = self.ask("/wasm/page.html")[1]
        self.assertEqual(field(head, "Cross-Origin-Opener-Policy"), ["same-origin"])
        self.assertEqual(field(head, "Cross-Origin-Embedder-Policy"), ["require-corp"])
        self.assertEqual(field(self.ask("/plain.txt")[1], "Cross-Origin-Opener-Policy"), [])

    def test_override(self):
        head = self.ask("/plain.txt")[1]
        self.assertEqual(field(head, "Content-Type"), ["text/x-custom"])
        self.assertEqual(field(head, "Content-Security-Policy"), ["default-src 'none'"])
        self.assertEqual(field(self.ask("/index.html")[1], "Content-Security-Policy"),
                         ["default-src 'self'"])

    def test_every_answer_gets_the_options(self):
        for st_want, head in ((200, self.ask("/plain.txt")), (404, self.ask("/nope")),
                              (304, self.ask("/plain.txt", "If-None-Match: *"))):
            with self.subTest(status=st_want):
                self.assertEqual(head[0], st_want)
                self.assertEqual(field(head[1], "X-Content-Type-Options"), ["nosniff"])
                self.assertEqual(field(head[1], "Referrer-Policy"), ["no-referrer"])
        # refused before any route: still there
        with connect(self.server) as s:
            s.sendall(b"GET / HTTP/1.1\r\n\r\n")  # no Host
            data = recv_all(s).decode("latin-1")
        self.assertTrue(data.startswith("HTTP/1.1 400"))
        self.assertIn("\r\nX-Content-Type-Options: nosniff\r\n", data)
        # refused after the route was decided, before it served (413)
        with connect(self.server) as s:
            s.sendall(b"POST /plain.txt HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Length: 9999999\r\n\r\n")
            data = recv_all(s).decode("latin-1")
        self.assertTrue(data.startswith("HTTP/1.1 413"), data[:40])
        self.assertIn("\r\nX-Content-Type-Options: nosniff\r\n", data)

    def test_errors_do_not_get_path_rules(self):
        st, head, _ = self.ask("/assets/missing.js")
        self.assertEqual(st, 404)
        self.assertEqual(field(head, "Cache-Control"), [])  # never cache a 404 for a year
        self.assertEqual(field(head, "Content-Security-Policy"), ["default-src 'self'"])


class CorsTest(Base):
    conf_text = f"""
/private:me:pw
cors {ORIGIN} https://other.example
cors-headers Content-Type, X-Token
cors-max-age 120
"""

    def test_allowed_origin_is_echoed(self):
        for path, st_want in (("/plain.txt", 200), ("/nope.txt", 404)):
            st, head, _ = self.ask(path, f"Origin: {ORIGIN}")
            self.assertEqual(st, st_want)
            self.assertEqual(field(head, "Access-Control-Allow-Origin"), [ORIGIN])
            self.assertIn("Origin", field(head, "Vary"))
            self.assertEqual(field(head, "Access-Control-Allow-Credentials"), [])

    def test_other_origin_gets_no_cors_header(self):
        st, head, body = self.ask("/plain.txt", "Origin: https://evil.example")
        self.assertEqual((st, body), (200, b"plain\n"))
        self.assertNotIn("access-control-", head.lower())
        self.assertIn("Origin", field(head, "Vary"))

    def test_no_origin(self):
        head = self.ask("/plain.txt")[1]
        self.assertNotIn("access-control-", head.lower())
        self.assertEqual(field(head, "Vary"), ["Origin"])

    def test_preflight(self):
        st, head, body = self.ask("/api/anything", f"Origin: {ORIGIN}",
                                  "Access-Control-Request-Method: PUT",
                                  "Access-Control-Request-Headers: content-type",
                                  method="OPTIONS")
        self.assertEqual((st, body), (204, b""))
        self.assertEqual(field(head, "Access-Control-Allow-Origin"), [ORIGIN])
        self.assertEqual(field(head, "Access-Control-Allow-Methods"), ["GET, HEAD, POST"])
        self.assertEqual(field(head, "Access-Control-Allow-Headers"), ["Content-Type, X-Token"])
        self.assertEqual(field(head, "Access-Control-Max-Age"), ["120"])
        self.assertEqual(field(head, "Content-Length"), [])

    def test_preflight_needs_no_credentials(self):
        st, head, _ = self.ask("/private/secret.txt", f"Origin: {ORIGIN}",
                               "Access-Control-Request-Method: GET", method="OPTIONS")
        self.assertEqual(st, 204)
        self.assertEqual(field(head, "WWW-Authenticate"), [])
        # the real request still needs them
        st, head, _ = self.ask("/private/secret.txt", f"Origin: {ORIGIN}")
        self.assertEqual(st, 401)
        self.assertEqual(field(head, "Access-Control-Allow-Origin"), [ORIGIN])

    def test_preflight_from_other_origin(self):
        st, head, _ = self.ask("/plain.txt", "Origin: https://evil.example",
                               "Access-Control-Request-Method: PUT", method="OPTIONS")
        self.assertEqual(st, 204)  # the plain OPTIONS answer
        self.assertEqual(field(head, "Allow"), ["GET, HEAD, OPTIONS"])
        self.assertNotIn("access-control-", head.lower())


class CorsStarTest(Base):
    args = ("--cors", "*")

    def test_star(self):
        for hdrs in ((), ("Origin: https://any.example",)):
            head = self.ask("/plain.txt", *hdrs)[1]
            self.assertEqual(field(head, "Access-Control-Allow-Origin"), ["*"])
            self.assertEqual(field(head, "Vary"), [])


class CorsCredentialsTest(Base):
    args = ("--cors", ORIGIN, "--cors-credentials")

    def test_credentials_echo_the_origin(self):
        head = self.ask("/plain.txt", f"Origin: {ORIGIN}")[1]
        self.assertEqual(field(head, "Access-Control-Allow-Origin"), [ORIGIN])
        self.assertEqual(field(head, "Access-Control-Allow-Credentials"), ["true"])
        head = self.ask("/plain.txt", "Origin: https://x.example")[1]
        self.assertNotIn("access-control-", head.lower())


def start_fails(*args):
    with tempfile.TemporaryDirectory() as home:
        r = subprocess.run([HTTPD, "-f", "-p", "127.0.0.1:1", "-h", home, *args],
                           capture_output=True, timeout=10)
    return r.returncode, r.stderr.decode()


class ConfigErrorTest(unittest.TestCase):
    def test_bad_lines_name_file_and_line(self):
        bad = [
            ("set /a Content-Length: 1", "'Content-Length' is set by the server"),
            ("set /a X-A: b\x01", "control character"),
            ("set /a Bad Name: v", "bad header name"),
            ("set assets/ X: y", "bad path"),
            ("cors https://app.example/", "bad origin"),
            ("cors-max-age forever", "expected seconds"),
            ("spa index.html", "URL path"),
            ("cors-methods GET;PUT", "list of names"),
        ]
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "h.conf")
            for line, msg in bad:
                with self.subTest(line=line):
                    with open(conf, "w") as f:
                        f.write("A:*\n# comment\n" + line + "\n")
                    rc, err = start_fails("-c", conf)
                    self.assertEqual(rc, 1)
                    self.assertIn(f"{conf}:3: ", err)
                    self.assertIn(msg, err)
            with open(conf, "w") as f:
                f.write("cors *\ncors-credentials\n")
            rc, err = start_fails("-c", conf)
            self.assertEqual(rc, 1)
            self.assertIn("forbids it", err)

    def test_bad_options(self):
        for args, msg in ((("--header", "X: a\rb"), "--header: control"),
                          (("--header", "Date: x"), "set by the server"),
                          (("--cors", "app.example"), "--cors: bad origin"),
                          (("--cors", "*", "--cors-credentials"), "forbids it"),
                          (("--spa", "x"), "--spa: ")):
            with self.subTest(args=args):
                rc, err = start_fails(*args)
                self.assertEqual(rc, 1)
                self.assertIn(msg, err)


class BusyboxRefusesTest(unittest.TestCase):
    """Each web-app line is a config error to busybox httpd: none of ours
    was a working busybox line, so no busybox file changes meaning."""

    def test_busybox_refuses_our_lines(self):
        from test_busybox import BUSYBOX, BusyboxServer
        self.assertIsNotNone(BUSYBOX, "busybox not installed (make deps installs it)")
        lines = ["spa /index.html", "set /assets/ Cache-Control: public",
                 "set X-Content-Type-Options: nosniff", "cors https://app.example",
                 "cors-credentials", "cors-methods GET, POST", "cors-headers X-A",
                 "cors-max-age 60"]
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "h.conf")
            with open(conf, "w") as f:
                f.write("\n".join(lines) + "\n")
            with BusyboxServer(d, "-c", conf) as s:
                ask(s, "/")  # it has read the file by now
                err = s.stderr()
            for line in lines:
                with self.subTest(line=line):
                    squeezed = line.replace(" ", "")
                    self.assertIn(f"config error '{squeezed}'", err)


class ReloadTest(unittest.TestCase):
    def test_reload_applies_and_keeps_on_error(self):
        with tempfile.TemporaryDirectory() as d:
            home = os.path.join(d, "www")
            os.mkdir(home)
            with open(os.path.join(home, "index.html"), "wb") as f:
                f.write(INDEX)
            conf = os.path.join(d, "h.conf")
            with open(conf, "w") as f:
                f.write("set X-Version: 1\n")
            with Server(home, "-c", conf) as s:
                self.assertEqual(field(ask(s, "/")[1], "X-Version"), ["1"])
                self.assertEqual(ask(s, "/route")[0], 404)
                with open(conf, "w") as f:
                    f.write("set X-Version: 2\nspa /index.html\n")
                s.proc.send_signal(signal.SIGHUP)
                self.assertTrue(wait_until(lambda: ask(s, "/route")[0] == 200))
                self.assertEqual(field(ask(s, "/")[1], "X-Version"), ["2"])
                with open(conf, "w") as f:
                    f.write("set X-Version: 3\nset X-Bad: a\x7f\n")
                s.proc.send_signal(signal.SIGHUP)
                self.assertTrue(wait_until(lambda: f"{conf}:2: control" in s.stderr()))
                self.assertEqual(field(ask(s, "/")[1], "X-Version"), ["2"])
                self.assertEqual(ask(s, "/route")[0], 200)


if __name__ == "__main__":
    unittest.main()
