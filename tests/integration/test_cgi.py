"""CGI/1.1 scripts: environment, bodies, headers, status, redirects, and
that scripts never stall the event loop (slow, timed out, crashing, flood)."""
import os
import socket
import stat
import threading
import time
import unittest

from harness import Server, connect, curl, parse_responses, raw, recv_all, temp_dir

ENV_SH = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
env | sort
if [ -n "$CONTENT_LENGTH" ]; then printf 'BODY:'; cat; fi
"""

ENV_PY = """#!/usr/bin/env python3
import os, sys
body = sys.stdin.read(int(os.environ.get("CONTENT_LENGTH") or 0))
sys.stdout.write("Status: 299 Custom\\r\\nContent-Type: text/plain\\r\\nX-Script: py\\r\\n\\r\\n")
for k in sorted(os.environ):
    sys.stdout.write(f"{k}={os.environ[k]}\\n")
sys.stdout.write("BODY:" + body)
"""

SCRIPTS = {
    "env.sh": ENV_SH,
    "env.py": ENV_PY,
    "status.sh": "#!/bin/sh\nprintf 'Status: 404 Not Found\\nContent-Type: text/html\\n\\n<p>gone</p>'\n",
    "redirect.sh": "#!/bin/sh\nprintf 'Location: http://example.invalid/elsewhere\\n\\n'\n",
    "local.sh": "#!/bin/sh\nprintf 'Location: /index.html\\n\\n'\n",
    "length.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\nContent-Length: 5\\n\\nhello'\n",
    "slow.sh": "#!/bin/sh\nsleep 2\nprintf 'Content-Type: text/plain\\n\\nslow done'\n",
    "forever.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nsleep 100\n",
    "silent.sh": "#!/bin/sh\nsleep 100\n",
    "crash.sh": "#!/bin/sh\nkill -SEGV $$\n",
    "garbage.sh": "#!/bin/sh\necho 'this is not a header'\necho\n",
    "big.sh": "#!/bin/sh\nprintf 'Content-Type: application/octet-stream\\n\\n'\nhead -c 3000000 /dev/zero\n",
    "noexec.sh": "#!/bin/sh\necho\n",
    "sha.sh": "#!/bin/sh\nsum=$(sha256sum | cut -d' ' -f1)\n"
              "printf 'Content-Type: text/plain\\n\\n%s %s' \"$CONTENT_LENGTH\" \"$sum\"\n",
    "slowread.sh": "#!/bin/sh\nsleep 1\nn=$(wc -c)\nprintf 'Content-Type: text/plain\\n\\n%s' $n\n",
    "index.cgi": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nindex.cgi for %s' \"$REQUEST_URI\"\n",
}


def body_vars(body):
    text = body.decode()
    env, _, rest = text.partition("BODY:")
    out = {}
    for line in env.splitlines():
        k, sep, v = line.partition("=")
        if sep:
            out[k] = v
    return out, rest


class Cgi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = temp_dir(cls)
        os.mkdir(os.path.join(cls.home, "cgi-bin"))
        with open(os.path.join(cls.home, "index.html"), "w") as f:
            f.write("<p>index</p>\n")
        for name, text in SCRIPTS.items():
            path = os.path.join(cls.home, "cgi-bin", name)
            with open(path, "w") as f:
                f.write(text)
            if name != "noexec.sh":
                os.chmod(path, 0o755)

    def server(self, *args):
        return Server(self.home, "--cgi-timeout", "1.5", *args)

    def get(self, s, path, *args):
        """curl decodes chunked bodies itself: split its output by hand."""
        r = curl("-si", s.url(path), *args)
        head, _, body = r.stdout.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        hdrs = {k.strip().lower().decode(): v.strip().decode()
                for k, _, v in (l.partition(b":") for l in lines[1:])}
        return int(lines[0].split()[1]), hdrs, body

    @staticmethod
    def unchunk(data):
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        hdrs = {k.strip().lower().decode(): v.strip().decode()
                for k, _, v in (l.partition(b":") for l in lines[1:])}
        body = b""
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            n = int(size_line.split(b";")[0], 16)
            if n == 0:
                break
            body += rest[:n]
            rest = rest[n + 2:]
        return int(lines[0].split()[1]), hdrs, body

    def test_environment_shell(self):
        with self.server() as s:
            st, hdrs, body = self.get(s, "/cgi-bin/env.sh/extra/path?x=1&y=%20",
                                      "-H", "X-Custom: v1", "-H", "Proxy: http://evil/")
            self.assertEqual(st, 200)
            self.assertEqual(hdrs["content-type"], "text/plain")
            self.assertEqual(hdrs["transfer-encoding"], "chunked")
            env, _ = body_vars(body)
            want = {
                "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_SOFTWARE": "httpd",
                "SERVER_NAME": "127.0.0.1", "SERVER_PORT": str(s.port),
                "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": "GET",
                "REQUEST_URI": "/cgi-bin/env.sh/extra/path?x=1&y=%20",
                "SCRIPT_NAME": "/cgi-bin/env.sh",
                "SCRIPT_FILENAME": os.path.realpath(self.home) + "/cgi-bin/env.sh",
                "PATH_INFO": "/extra/path", "QUERY_STRING": "x=1&y=%20",
                "REMOTE_ADDR": "127.0.0.1", "HTTP_X_CUSTOM": "v1",
                "HTTP_HOST": f"127.0.0.1:{s.port}",
            }
            for k, v in want.items():
                self.assertEqual(env.get(k), v, k)
            self.assertTrue(env["REMOTE_PORT"].isdigit())
            self.assertNotIn("HTTP_PROXY", env)  # httpoxy
            self.assertNotIn("CONTENT_LENGTH", env)
            # only a small safe set of the server's own environment
            self.assertNotIn("HOME", env)
            self.assertIn("PATH", env)

    def test_post_body_plain_and_chunked_python(self):
        with self.server() as s:
            st, hdrs, body = self.get(s, "/cgi-bin/env.py", "-d", "a=1&b=2",
                                      "-H", "Content-Type: application/x-www-form-urlencoded")
            self.assertEqual(st, 299)
            self.assertEqual(hdrs["x-script"], "py")
            env, rest = body_vars(body)
            self.assertEqual(env["REQUEST_METHOD"], "POST")
            self.assertEqual(env["CONTENT_LENGTH"], "7")
            self.assertEqual(env["CONTENT_TYPE"], "application/x-www-form-urlencoded")
            self.assertEqual(rest, "a=1&b=2")
            req = (b"POST /cgi-bin/env.py HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                   b"Connection: close\r\n\r\n4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n")
            st, hdrs, body = self.unchunk(raw(s, req, shut=False))
            env, rest = body_vars(body)
            self.assertEqual(env["CONTENT_LENGTH"], "7")
            self.assertEqual(rest, "abcdefg")

    def test_large_body_streams_to_the_script(self):
        """A Content-Length body of any size streams to stdin, paced by the
        pipe (the server never holds more than 64 KiB of it)."""
        import hashlib
        body = os.urandom(5 << 20)
        with self.server("--cgi-timeout", "30") as s:
            with connect(s, timeout=20) as c:
                c.sendall(b"POST /cgi-bin/sha.sh HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Length: %d\r\n\r\n" % len(body) + body +
                          b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = recv_all(c)
            first, _, rest = data.partition(b"\r\n0\r\n\r\n")
            self.assertIn(b"%d %s" % (len(body), hashlib.sha256(body).hexdigest().encode()),
                          first)
            (st, _, page), = parse_responses(rest)  # keep-alive after it
            self.assertEqual((st, page), (200, b"<p>index</p>\n"))
            # a script that reads only after a second: the upload waits for it
            r = curl("-s", s.url("/cgi-bin/slowread.sh"), "--data-binary",
                     "@" + self.big_file(1 << 20), "-H", "Expect:")
            self.assertEqual(r.stdout, str(1 << 20).encode())

    def big_file(self, n):
        path = os.path.join(temp_dir(self), "body")
        with open(path, "wb") as f:
            f.write(os.urandom(n))
        return path

    def test_status_redirect_and_length(self):
        with self.server() as s:
            st, hdrs, body = self.get(s, "/cgi-bin/status.sh")
            self.assertEqual((st, body), (404, b"<p>gone</p>"))
            st, hdrs, _ = self.get(s, "/cgi-bin/redirect.sh")
            self.assertEqual(st, 302)
            self.assertEqual(hdrs["location"], "http://example.invalid/elsewhere")
            st, hdrs, _ = self.get(s, "/cgi-bin/local.sh")
            self.assertEqual((st, hdrs["location"]), (302, "/index.html"))
            st, hdrs, body = self.get(s, "/cgi-bin/length.sh")
            self.assertEqual((st, hdrs["content-length"], body), (200, "5", b"hello"))
            self.assertNotIn("transfer-encoding", hdrs)

    def test_keep_alive_across_cgi_answers(self):
        with self.server() as s:
            reqs = b"".join(b"GET /cgi-bin/length.sh HTTP/1.1\r\nHost: x\r\n\r\n" for _ in range(3))
            last = b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            answers = parse_responses(raw(s, reqs + last, shut=False))
            self.assertEqual([a[2] for a in answers], [b"hello"] * 3 + [b"<p>index</p>\n"])

    def test_http10_answer_ends_with_close(self):
        with self.server() as s:
            data = raw(s, b"GET /cgi-bin/env.sh HTTP/1.0\r\n\r\n", shut=False)
            head, _, body = data.partition(b"\r\n\r\n")
            self.assertIn(b"Connection: close", head)
            self.assertNotIn(b"Transfer-Encoding", head)
            self.assertIn(b"SERVER_PROTOCOL=HTTP/1.0", body)

    def test_large_output_streamed(self):
        with self.server() as s:
            st, hdrs, body = self.get(s, "/cgi-bin/big.sh")
            self.assertEqual((st, len(body)), (200, 3000000))
            self.assertEqual(body, b"\0" * 3000000)

    def test_other_spellings_run_the_script(self):
        """A script is never sent as a file, however its path is spelled:
        the route is taken on the resolved path, as busybox does."""
        with self.server() as s:
            for path in ("//cgi-bin/length.sh", "/a/../cgi-bin/length.sh",
                         "/cgi%2dbin/length.sh", "/./cgi-bin//length.sh",
                         "/cgi-bin/./length.sh", "/%63gi-bin/length.sh"):
                st, hdrs, body = self.get(s, path, "--path-as-is")
                self.assertEqual((st, body), (200, b"hello"), path)
            st, _, body = self.get(s, "/x/../cgi-bin/env.sh/more", "--path-as-is")
            env, _ = body_vars(body)
            self.assertEqual(st, 200)
            self.assertEqual((env["SCRIPT_NAME"], env["PATH_INFO"]),
                             ("/cgi-bin/env.sh", "/more"))

    def test_errors(self):
        with self.server() as s:
            self.assertEqual(self.get(s, "/cgi-bin/missing.sh")[0], 404)
            self.assertEqual(self.get(s, "/cgi-bin/noexec.sh")[0], 403)
            self.assertEqual(self.get(s, "/cgi-bin/crash.sh")[0], 502)
            self.assertEqual(self.get(s, "/cgi-bin/garbage.sh")[0], 502)
            t0 = time.monotonic()
            self.assertEqual(self.get(s, "/cgi-bin/silent.sh")[0], 504)
            self.assertLess(time.monotonic() - t0, 6)
            # a timeout after the head: the connection is closed
            r = curl("-si", s.url("/cgi-bin/forever.sh"))
            self.assertIn(b"200 OK", r.stdout)
            self.assertNotEqual(r.returncode, 0)  # chunked answer cut short

    def test_slow_script_does_not_stall_others(self):
        with self.server("--cgi-timeout", "10") as s:
            results = {}
            t = threading.Thread(target=lambda: results.update(
                slow=self.get(s, "/cgi-bin/slow.sh")))
            t.start()
            time.sleep(0.3)
            t0 = time.monotonic()
            st, _, body = self.get(s, "/index.html")
            fast = time.monotonic() - t0
            t.join(15)
            self.assertEqual((st, body), (200, b"<p>index</p>\n"))
            self.assertLess(fast, 1.0)
            self.assertEqual(results["slow"][2], b"slow done")

    def test_client_half_close_counts_as_gone(self):
        """As nginx does with its upstreams: a FIN while the script runs
        is a client that left (TCP cannot tell a half-close apart)."""
        with self.server("--cgi-timeout", "30") as s:
            t0 = time.monotonic()
            self.assertEqual(raw(s, b"GET /cgi-bin/silent.sh HTTP/1.1\r\nHost: x\r\n\r\n"), b"")
            self.assertLess(time.monotonic() - t0, 4)

    def test_client_gone_kills_script(self):
        with self.server("--cgi-timeout", "30") as s:
            c = connect(s)
            c.sendall(b"GET /cgi-bin/silent.sh HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.5)
            kids = self.children(s.proc.pid)
            self.assertTrue(kids, "the script should be running")
            c.close()
            deadline = time.monotonic() + 5
            while self.children(s.proc.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(self.children(s.proc.pid), [])

    @staticmethod
    def children(pid):
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                return f.read().split()
        except OSError:
            return []

    def test_flood_is_bounded(self):
        with self.server("--cgi-max", "4", "--cgi-timeout", "30") as s:
            socks = []
            for _ in range(4):
                c = connect(s)
                c.sendall(b"GET /cgi-bin/silent.sh HTTP/1.1\r\nHost: x\r\n\r\n")
                socks.append(c)
            time.sleep(0.5)
            self.assertEqual(len(self.children(s.proc.pid)), 4)
            st, _, _ = self.get(s, "/cgi-bin/length.sh")
            self.assertEqual(st, 503)
            self.assertEqual(self.get(s, "/index.html")[0], 200)
            for c in socks:
                c.close()
            deadline = time.monotonic() + 5
            while self.children(s.proc.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(self.get(s, "/cgi-bin/length.sh")[2], b"hello")

    def test_interpreter_lines_and_directory_index_cgi(self):
        site = temp_dir(self)
        os.mkdir(os.path.join(site, "app"))
        os.mkdir(os.path.join(site, "cgi-bin"))
        os.mkdir(os.path.join(site, "nodex"))
        with open(os.path.join(site, "app", "hello.py"), "w") as f:  # not executable
            f.write("import os\nprint('Content-Type: text/plain\\n')\n"
                    "print('py', os.environ['SCRIPT_NAME'], os.environ['QUERY_STRING'])\n")
        with open(os.path.join(site, "cgi-bin", "index.cgi"), "w") as f:
            f.write(SCRIPTS["index.cgi"])
        os.chmod(os.path.join(site, "cgi-bin", "index.cgi"), 0o755)
        conf = os.path.join(site, "conf")
        with open(conf, "w") as f:
            f.write("*.py:/usr/bin/python3\n")
        with Server(site, "-c", conf) as s:
            st, hdrs, body = self.get(s, "/app/hello.py?x=1")
            self.assertEqual((st, body), (200, b"py /app/hello.py x=1\n"))
            st, hdrs, body = self.get(s, "/nodex/")
            self.assertEqual((st, body), (200, b"index.cgi for /nodex/"))
            self.assertEqual(self.get(s, "/missing/")[0], 404)

    def test_zombies_reaped(self):
        with self.server() as s:
            for _ in range(5):
                self.assertEqual(self.get(s, "/cgi-bin/length.sh")[0], 200)
            deadline = time.monotonic() + 5
            while self.children(s.proc.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(self.children(s.proc.pid), [])


if __name__ == "__main__":
    unittest.main()
