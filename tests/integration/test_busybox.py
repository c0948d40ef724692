"""busybox httpd compatibility: every option and httpd.conf line type, and a
differential test against `busybox httpd` itself. Every wait is bounded."""
import base64
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import HTTPD, Server, connect, free_port, parse_responses, recv_all

BUSYBOX = shutil.which("busybox")
IS_ROOT = os.geteuid() == 0


def need(tool, package):
    """A test that needs TOOL fails without it (make deps installs PACKAGE):
    a skipped check would pass unseen on a machine set up wrong."""
    def check(self):
        if not shutil.which(tool):
            self.fail(f"{tool} not installed (make deps installs {package})")
    return check


def needs(tool, package):
    """Method decorator form of need()."""
    check = need(tool, package)

    def wrap(fn):
        def run_it(self, *a, **kw):
            check(self)
            return fn(self, *a, **kw)
        run_it.__name__, run_it.__doc__ = fn.__name__, fn.__doc__
        return run_it
    return wrap


def run(*args, timeout=10):
    return subprocess.run(list(args), capture_output=True, timeout=timeout)


def make_home():
    home = tempfile.mkdtemp(prefix="httpd-bb-")
    os.chmod(home, 0o755)
    files = {
        "index.html": "<h1>home</h1>\n",
        "file.txt": "hello, world\n",
        "main.html": "main index\n",
        "a.foo": "foo data\n",
        "e404.html": "<p>custom not found</p>\n",
        "adm/x.txt": "admin secret\n",
        "adm/deep/y.txt": "deeper\n",
        "dir/index.html": "dir index\n",
        "noindex/f.txt": "f\n",
        "sub/httpd.conf": "A:*\n",
        "other/index.html": "other home\n",
    }
    for name, text in files.items():
        path = os.path.join(home, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    for root, dirs, names in os.walk(home):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o755)
        for n in names:
            os.chmod(os.path.join(root, n), 0o644)
    return home


def write_conf(home, text, name="test.conf"):
    path = os.path.join(home, "..", os.path.basename(home) + "-" + name)
    path = os.path.abspath(path)
    with open(path, "w") as f:
        f.write(text)
    return path


def request(server, path, method="GET", headers=(), body=None, version="1.0"):
    """One request, Connection: close; (status, headers, body) read to EOF."""
    lines = [f"{method} {path} HTTP/{version}", "Host: localhost", "Connection: close"]
    lines += list(headers)
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
    with connect(server) as s:
        s.sendall(data)
        resp = recv_all(s)
    head, _, body = resp.partition(b"\r\n\r\n")
    hl = head.split(b"\r\n")
    status = int(hl[0].split()[1]) if hl and hl[0] else 0
    hdrs = {}
    for line in hl[1:]:
        k, _, v = line.partition(b":")
        hdrs[k.strip().lower().decode()] = v.strip().decode("latin-1")
    if method == "HEAD":
        body = b""
    return status, hdrs, body


def basic(user, pw):
    return "Authorization: Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()


class BusyboxServer(Server):
    """`busybox httpd -f -p 127.0.0.1:PORT -h HOME ...`, same interface."""

    def start(self):
        for _ in range(5):
            self.port = free_port()
            self.out = tempfile.TemporaryFile()
            self.err = tempfile.TemporaryFile()
            self.proc = subprocess.Popen(
                [BUSYBOX, "httpd", "-f", "-p", f"127.0.0.1:{self.port}", "-h", self.home]
                + self.args, stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err)
            if self._wait_ready(socket.AF_INET):
                return self
            self.proc.kill()
            self.proc.wait(5)
        raise RuntimeError("busybox httpd did not start: " + self.stderr())


def wait_for(pred, timeout=5.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Base(unittest.TestCase):
    def setUp(self):
        self.home = make_home()
        self.confs = []

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)
        for c in self.confs:
            if os.path.exists(c):
                os.unlink(c)

    def conf(self, text, name="test.conf"):
        path = write_conf(self.home, text, name)
        self.confs.append(path)
        return path


# --- -d / -e / -m -------------------------------------------------------------

DECODE = ["Hello%20World", "a+b%2Bc", "%zz%4", "%", "x%00y", "%41%e2%82%ac", "%%41",
          "plain", "", "100%", "%2f%2F"]
ENCODE = ["<Hello World>", "a&b'\"é-_.~/", "", "abc123", "tab\tnl\n", "ÿ€"]


class TestHelpers(unittest.TestCase):
    def test_decode_known(self):
        self.assertEqual(run(HTTPD, "-d", "Hello%20World+x").stdout, b"Hello World x")
        self.assertEqual(run(HTTPD, "-d", "%zz").stdout, b"%zz")

    def test_encode_known(self):
        self.assertEqual(run(HTTPD, "-e", "<a b>").stdout, b"&#60;a&#32;b&#62;")

    @needs("busybox", "busybox")
    def test_decode_like_busybox(self):
        for s in DECODE:
            with self.subTest(s=s):
                ours, theirs = run(HTTPD, "-d", s), run(BUSYBOX, "httpd", "-d", s)
                self.assertEqual(ours.stdout, theirs.stdout)
                self.assertEqual(ours.returncode, theirs.returncode)

    @needs("busybox", "busybox")
    def test_encode_like_busybox(self):
        for s in ENCODE:
            with self.subTest(s=s):
                ours, theirs = run(HTTPD, "-e", s), run(BUSYBOX, "httpd", "-e", s)
                self.assertEqual(ours.stdout, theirs.stdout)
                self.assertEqual(ours.returncode, theirs.returncode)

    def test_md5(self):
        hashes = set()
        for pw in ["secret", "", "pässwörd with spaces"]:
            r = run(HTTPD, "-m", pw)
            self.assertEqual(r.returncode, 0)
            out = r.stdout.decode()
            self.assertRegex(out, r"^\$1\$[./0-9A-Za-z]{8}\$[./0-9A-Za-z]{22}\n$")
            hashes.add(out)
        self.assertEqual(len(hashes), 3)
        # same shape as busybox's, and random salts
        a, b = run(HTTPD, "-m", "x").stdout, run(HTTPD, "-m", "x").stdout
        self.assertNotEqual(a, b)
        if BUSYBOX:
            self.assertEqual(len(run(BUSYBOX, "httpd", "-m", "x").stdout), len(a))

    def test_md5_usable_in_conf(self):
        """A hash printed by -m logs the user in (checked through the server)."""
        home = make_home()
        try:
            h = run(HTTPD, "-m", "s3cret").stdout.decode().strip()
            conf = write_conf(home, f"/adm:u:{h}\n")
            with Server(home, "-c", conf) as s:
                self.assertEqual(request(s, "/adm/x.txt", headers=[basic("u", "s3cret")])[0],
                                 200)
                self.assertEqual(request(s, "/adm/x.txt", headers=[basic("u", "s3cre")])[0],
                                 401)
            os.unlink(conf)
        finally:
            shutil.rmtree(home, ignore_errors=True)


# --- start-up: -c, errors, warnings ------------------------------------------

class TestStartup(Base):
    def start_fail(self, *args):
        r = run(HTTPD, "-f", "-p", f"127.0.0.1:{free_port()}", "-h", self.home, *args)
        return r.returncode, r.stderr.decode()

    def test_missing_c_file(self):
        rc, err = self.start_fail("-c", "/nonexistent/httpd.conf")
        self.assertEqual(rc, 1)
        self.assertIn("httpd: /nonexistent/httpd.conf: No such file or directory", err)
        if BUSYBOX:
            r = run(BUSYBOX, "httpd", "-f", "-p", f"127.0.0.1:{free_port()}", "-h", self.home,
                    "-c", "/nonexistent/httpd.conf")
            self.assertEqual(r.returncode, 1)
            self.assertIn(b"/nonexistent/httpd.conf: No such file or directory", r.stderr)

    def test_every_bad_line_reported(self):
        conf = self.conf("# fine\nA:127.0.0.1\nA:1.2.3.4.5\nQ:what\n/adm\n/adm::pw\n"
                         ".foo:nope\nE200:x.html\nE404:missing.html\nI:/etc/passwd\n"
                         "H:/nonexistent-dir\n")
        rc, err = self.start_fail("-c", conf)
        self.assertEqual(rc, 1)
        for n in (3, 4, 5, 6, 7, 8, 9, 10, 11):
            self.assertRegex(err, re.escape(f"{conf}:{n}: "))
        self.assertNotIn(f"{conf}:1:", err)
        self.assertNotIn(f"{conf}:2:", err)

    def test_proxy_and_interpreter_lines_load(self):
        """P: lines are rules now (test_proxy.py), interpreter lines run CGI
        (test_cgi.py): neither is reported."""
        conf = self.conf("P:/proxy:127.0.0.1:9/x\n*.php:/usr/bin/php-cgi\n")
        with Server(self.home, "-c", conf) as s:
            self.assertEqual(request(s, "/file.txt")[0], 200)
            self.assertEqual(request(s, "/proxy/a")[0], 502)  # nobody on port 9
            err = s.stderr()
        self.assertNotIn(f"{conf}:1:", err)
        self.assertNotIn(f"{conf}:2:", err)

    @unittest.skipUnless(BUSYBOX, "busybox not installed")
    def test_proxy_line_busybox_difference(self):
        """README busybox table: Debian's busybox is built without P: (it logs
        the line as a config error and serves the path from HOME); ours
        passes it on (nobody on port 9 here: 502)."""
        conf = self.conf("P:/file:127.0.0.1:9/x\n")
        with BusyboxServer(self.home, "-c", conf) as b:
            self.assertEqual(request(b, "/file.txt")[0], 200)  # not proxied
            self.assertTrue(wait_for(lambda: "config error 'P:/file:" in b.stderr()))
        with Server(self.home, "-c", conf) as s:
            self.assertEqual(request(s, "/file.txt")[0], 502)

    def test_default_conf_in_home(self):
        """No -c: /etc/httpd.conf, else HOME/httpd.conf (read, never served)."""
        if os.path.exists("/etc/httpd.conf"):
            self.skipTest("/etc/httpd.conf exists here")
        with open(os.path.join(self.home, "httpd.conf"), "w") as f:
            f.write("I:main.html\n")
        with Server(self.home) as s:
            self.assertEqual(request(s, "/")[2], b"main index\n")
            self.assertEqual(request(s, "/httpd.conf")[0], 403)

    def test_no_conf_at_all(self):
        if os.path.exists("/etc/httpd.conf"):
            self.skipTest("/etc/httpd.conf exists here")
        with Server(self.home) as s:
            self.assertEqual(request(s, "/")[2], b"<h1>home</h1>\n")


# --- httpd.conf line types ---------------------------------------------------

class TestConfLines(Base):
    def test_allow_deny_v4(self):
        cases = [
            ("A:127.0.0.1\nD:*\n", 200),
            ("A:127.\nD:*\n", 200),
            ("A:127.0.0.0/8\nD:*\n", 200),
            ("A:127.0.0.0/255.0.0.0\nD:*\n", 200),
            ("A:10.0.0.0/25\nD:*\n", 403),
            ("D:127.0.0.1\n", 403),
            ("D:127.0.0.1\nA:127.0.0.1\n", 403),   # deny wins
            ("D:10.\nA:*\n", 200),
            ("D:*\n", 403),
            ("A:*\n", 200),
            ("D:::1\n", 200),                      # an IPv6 rule, an IPv4 peer
        ]
        for text, want in cases:
            with self.subTest(conf=text):
                conf = self.conf(text)
                with Server(self.home, "-c", conf) as s:
                    self.assertEqual(request(s, "/file.txt")[0], want)
                    self.assertEqual(request(s, "/nonexistent")[0], want if want != 200
                                     else 404)

    def test_allow_deny_v6(self):
        try:
            socket.socket(socket.AF_INET6).bind(("::1", 0))
        except OSError:
            self.skipTest("no IPv6 loopback")
        cases = [("A:::1\nD:*\n", 200), ("D:::1\n", 403), ("A:::/0\nD:*\n", 200),
                 ("A:fe80::/10\nD:*\n", 403), ("A:127.0.0.1\nD:*\n", 403),
                 ("D:2001:db8::/32\n", 200)]
        for text, want in cases:
            with self.subTest(conf=text):
                conf = self.conf(text)
                with Server(self.home, "-c", conf, host="::1") as s:
                    self.assertEqual(request(s, "/file.txt")[0], want)

    def test_mime(self):
        conf = self.conf(".foo:text/x-foo\n.txt:text/x-override\n")
        with Server(self.home, "-c", conf) as s:
            self.assertEqual(request(s, "/a.foo")[1]["content-type"], "text/x-foo")
            self.assertEqual(request(s, "/file.txt")[1]["content-type"], "text/x-override")

    def test_index(self):
        conf = self.conf("I:main.html\n")
        with Server(self.home, "-c", conf) as s:
            self.assertEqual(request(s, "/")[2], b"main index\n")
            self.assertEqual(request(s, "/dir/")[0], 404)

    def test_home(self):
        for h in ("other", os.path.join(self.home, "other")):
            with self.subTest(h=h):
                conf = self.conf(f"H:{h}\n")
                with Server(self.home, "-c", conf) as s:
                    self.assertEqual(request(s, "/")[2], b"other home\n")
                    self.assertEqual(request(s, "/file.txt")[0], 404)

    def test_error_page(self):
        conf = self.conf("E404:e404.html\nE403:/nonexistent-is-an-error\n")
        r = run(HTTPD, "-f", "-p", f"127.0.0.1:{free_port()}", "-h", self.home, "-c", conf)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{conf}:2: cannot open error page", r.stderr.decode())
        conf = self.conf(f"E404:e404.html\nE403:{self.home}/e404.html\nD:127.0.0.2\n")
        with Server(self.home, "-c", conf) as s:
            st, h, body = request(s, "/nonexistent")
            self.assertEqual((st, body), (404, b"<p>custom not found</p>\n"))
            self.assertEqual(request(s, "/httpd.conf")[:3:2], (403, b"<p>custom not found</p>\n"))
            st, h, body = request(s, "/nonexistent", method="HEAD")
            self.assertEqual((st, body), (404, b""))

    def test_conf_file_refused(self):
        with Server(self.home) as s:
            for p in ("/httpd.conf", "/sub/httpd.conf", "/sub/./httpd.conf",
                      "/sub/httpd%2econf", "/x/../sub/httpd.conf"):
                with self.subTest(p=p):
                    self.assertEqual(request(s, p)[0], 403)


# --- Basic auth ----------------------------------------------------------------

class TestAuth(Base):
    CONF = ("/adm:admin:setup\n/adm:toor:PaSsWd\n/adm/deep:deep:er\n"
            "/adm2:u:$6$rounds=5000$abcdefgh$"
            "OAUbd5Q9tD3O7Cg0q0v8HO3q9FH2NNVdQdg5Hs7bxd1c2X7w3ZZcYzQoGQJUyq2wxVrhmVGR3CByp9GrCMGN30\n")

    def conf_with_hashes(self):
        lines = ["/adm:admin:setup", "/adm:toor:PaSsWd", "/adm/deep:deep:er"]
        import crypt as _crypt  # noqa: deprecated module, fine for the tests
        for i, method in enumerate([_crypt.METHOD_MD5, _crypt.METHOD_SHA256,
                                    _crypt.METHOD_SHA512]):
            lines.append(f"/h{i}:u:" + _crypt.crypt("pw", _crypt.mksalt(method)))
        h = run(HTTPD, "-m", "pw").stdout.decode().strip()
        lines.append(f"/h3:u:{h}")
        return self.conf("\n".join(lines) + "\n")

    def test_auth(self):
        try:
            conf = self.conf_with_hashes()
        except ImportError:
            conf = self.conf("/adm:admin:setup\n/adm:toor:PaSsWd\n/adm/deep:deep:er\n")
        with Server(self.home, "-c", conf, "-v") as s:
            cases = [
                ("/adm/x.txt", [], 401),
                ("/adm/x.txt", [basic("admin", "setup")], 200),
                ("/adm/x.txt", [basic("toor", "PaSsWd")], 200),
                ("/adm/x.txt", [basic("admin", "wrong")], 401),
                ("/adm/x.txt", [basic("toor", "setup")], 401),
                ("/adm/x.txt", [basic("", "setup")], 401),          # empty user
                ("/adm/x.txt", [basic("admin", "")], 401),
                ("/adm/x.txt", ["Authorization: Basic"], 401),      # malformed
                ("/adm/x.txt", ["Authorization: Basic !!!"], 401),
                ("/adm/x.txt", ["Authorization: Basic YWRtaW4="], 401),  # no colon
                ("/adm/x.txt", ["Authorization: Bearer abc"], 401),
                ("/adm/x.txt", ["Authorization: Basic " + "A" * 2000], 401),
                ("/adm", [], 401),
                ("/adm/", [], 401),
                ("/adm/nonexistent", [], 401),                        # 401 before 404
                ("/%61dm/x.txt", [], 401),
                ("/x/../adm/x.txt", [], 401),
                ("//adm//x.txt", [], 401),
                ("/admin", [], 404),
                ("/file.txt", [], 200),
                ("/file.txt", ["Authorization: Basic !!!"], 200),
                ("/adm/deep/y.txt", [basic("admin", "setup")], 401),  # longest prefix
                ("/adm/deep/y.txt", [basic("deep", "er")], 200),
            ]
            if "/h0:" in open(conf).read():
                for i in range(4):
                    cases += [(f"/h{i}", [basic("u", "pw")], 404),
                              (f"/h{i}", [basic("u", "pwx")], 401)]
            for path, hdrs, want in cases:
                with self.subTest(path=path, hdrs=hdrs):
                    st, h, _ = request(s, path, headers=hdrs)
                    self.assertEqual(st, want)
                    if want == 401:
                        self.assertEqual(h.get("www-authenticate"),
                                         'Basic realm="Web Server Authentication"')
            log = s.stderr()
        self.assertRegex(log, r'127\.0\.0\.1 - toor \[[^]]+\] "GET /adm/x.txt HTTP/1.0" 200')

    def test_realm(self):
        conf = self.conf("/adm:a:b\n")
        with Server(self.home, "-c", conf, "-r", 'My "quoted" \\realm') as s:
            st, h, _ = request(s, "/adm/")
            self.assertEqual(st, 401)
            self.assertEqual(h["www-authenticate"], 'Basic realm="My \\"quoted\\" \\\\realm"')


# --- -i inetd mode --------------------------------------------------------------

class TestInetd(Base):
    def test_inetd_keepalive(self):
        ours, theirs = socket.socketpair()
        with ours:
            p = subprocess.Popen([HTTPD, "-i", "-h", self.home], stdin=theirs, stdout=theirs,
                                 stderr=subprocess.PIPE)
            theirs.close()
            ours.settimeout(5)
            ours.sendall(b"GET /file.txt HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while data.count(b"hello, world\n") < 1:
                chunk = ours.recv(65536)
                self.assertTrue(chunk, "connection closed early")
                data += chunk
            ours.sendall(b"GET /dir/ HTTP/1.1\r\nHost: x\r\n\r\n"
                         b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data += recv_all(ours)
        rs = parse_responses(data)
        self.assertEqual([r[0] for r in rs], [200, 200, 404])
        self.assertEqual(rs[0][2], b"hello, world\n")
        self.assertEqual(rs[1][2], b"dir index\n")
        self.assertEqual(p.wait(5), 0)
        p.stderr.close()

    def test_inetd_eof_exits(self):
        ours, theirs = socket.socketpair()
        p = subprocess.Popen([HTTPD, "-i", "-h", self.home], stdin=theirs, stdout=theirs)
        theirs.close()
        ours.close()
        self.assertEqual(p.wait(5), 0)

    def test_inetd_config(self):
        conf = self.conf("/adm:a:b\n")
        ours, theirs = socket.socketpair()
        with ours:
            p = subprocess.Popen([HTTPD, "-i", "-h", self.home, "-c", conf], stdin=theirs,
                                 stdout=theirs)
            theirs.close()
            ours.settimeout(5)
            ours.sendall(b"GET /adm/x.txt HTTP/1.0\r\n\r\n")
            data = recv_all(ours)
        self.assertTrue(data.startswith(b"HTTP/1.1 401 "), data[:100])
        self.assertEqual(p.wait(5), 0)


# --- daemon mode, -u -------------------------------------------------------------

def listener_pid(port):
    out = run("ss", "-Hltnp", f"sport = :{port}").stdout.decode()
    m = re.search(r"pid=(\d+)", out)
    return int(m.group(1)) if m else None


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is not alive
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class TestDaemon(Base):
    @needs("ss", "iproute2")
    def test_daemon(self):
        port = free_port()
        r = run(HTTPD, "-p", f"127.0.0.1:{port}", "-h", self.home)
        self.assertEqual(r.returncode, 0, r.stderr)   # the parent returns at once
        pid = wait_for(lambda: listener_pid(port))
        self.assertTrue(pid, "no daemon listening")
        try:
            self.assertTrue(pid_alive(pid))
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().split(")")[-1].split()
            self.assertEqual(int(fields[3]), pid)   # session leader (setsid)
            self.assertEqual(os.readlink(f"/proc/{pid}/fd/0"), "/dev/null")
            self.assertEqual(os.readlink(f"/proc/{pid}/fd/2"), "/dev/null")
            s = Server(self.home)
            s.host, s.port = "127.0.0.1", port
            self.assertEqual(request(s, "/file.txt")[2], b"hello, world\n")
        finally:
            os.kill(pid, signal.SIGTERM)
        self.assertTrue(wait_for(lambda: not pid_alive(pid), 10), "daemon did not stop")

    def test_daemon_startup_error_reported(self):
        """Errors before the fork still reach the caller."""
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            r = run(HTTPD, "-p", f"127.0.0.1:{busy.getsockname()[1]}", "-h", self.home)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"cannot listen", r.stderr)

    @unittest.skipUnless(IS_ROOT, "needs root")
    def test_user_nobody(self):
        nobody = pwd.getpwnam("nobody")
        with Server(self.home, "-u", "nobody") as s:
            # served by the loop, so after the drop (listen() came before it)
            self.assertEqual(request(s, "/file.txt")[0], 200)
            status = open(f"/proc/{s.proc.pid}/status").read()
        uid = re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()
        gid = re.search(r"^Gid:\s+(.*)$", status, re.M).group(1).split()
        self.assertEqual(set(uid), {str(nobody.pw_uid)})
        self.assertEqual(set(gid), {str(nobody.pw_gid)})
        groups = re.search(r"^Groups:[ \t]*(.*)$", status, re.M).group(1).split()
        self.assertNotIn("0", groups)

    @unittest.skipUnless(IS_ROOT, "needs root")
    def test_user_numeric_with_group(self):
        with Server(self.home, "-u", "12345:23456") as s:
            self.assertEqual(request(s, "/file.txt")[0], 200)
            status = open(f"/proc/{s.proc.pid}/status").read()
        self.assertEqual(set(re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()),
                         {"12345"})
        self.assertEqual(set(re.search(r"^Gid:\s+(.*)$", status, re.M).group(1).split()),
                         {"23456"})
        self.assertEqual(re.search(r"^Groups:[ \t]*(.*)$", status, re.M).group(1).strip(), "")

    def test_user_unknown(self):
        r = run(HTTPD, "-f", "-p", f"127.0.0.1:{free_port()}", "-h", self.home,
                "-u", "no-such-user-here")
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"unknown user", r.stderr)

    def test_user_drop_fails(self):
        """An unprivileged process cannot become uid 0: -u 0 must refuse to go
        on (as root, the server runs as nobody for this test)."""
        nobody = pwd.getpwnam("nobody").pw_uid if IS_ROOT else None
        binary = HTTPD
        if IS_ROOT:   # a copy nobody may run (the checkout may be under /root)
            binary = os.path.join(self.home, "httpd-bin")
            shutil.copy(HTTPD, binary)
            os.chmod(binary, 0o755)
        r = subprocess.run([binary, "-f", "-p", f"127.0.0.1:{free_port()}", "-h", "/", "-u", "0"],
                           capture_output=True, timeout=10,
                           preexec_fn=(lambda: os.setuid(nobody)) if IS_ROOT else None)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"cannot drop privileges", r.stderr)


# --- -v, -vv -------------------------------------------------------------------

class TestVerbose(Base):
    def test_levels(self):
        with Server(self.home) as s:
            request(s, "/file.txt")
            s.stop()
            self.assertNotIn("GET /file.txt", s.stderr())
        with Server(self.home, "-v") as s:
            request(s, "/file.txt")
            self.assertTrue(wait_for(lambda: "GET /file.txt" in s.stderr()))
            self.assertNotIn("connected", s.stderr())
        with Server(self.home, "-vv") as s:
            request(s, "/file.txt")
            self.assertTrue(wait_for(lambda: "connected" in s.stderr()))
            # -vv: the reason of every 4xx/5xx
            request(s, "/missing.txt")
            request(s, "/file.txt", "DELETE")
            request(s, "/httpd.conf")
            with connect(s) as c:  # HTTP/1.1 without Host
                c.sendall(b"GET / HTTP/1.1\r\n\r\n")
                recv_all(c)
            for line in ("404 Not Found: No such file or directory",
                         "405 Method Not Allowed: method not served for files",
                         "403 Forbidden: httpd.conf is never served",
                         "400 Bad Request: HTTP/1.1 request without Host"):
                self.assertTrue(wait_for(lambda: line in s.stderr()), line)


# --- SIGHUP -------------------------------------------------------------------

class TestReload(Base):
    def test_reload_valid_and_invalid(self):
        conf = self.conf("/adm:a:b\n")
        with Server(self.home, "-c", conf) as s:
            self.assertEqual(request(s, "/adm/x.txt")[0], 401)
            with open(conf, "w") as f:
                f.write("I:main.html\nD:127.0.0.2\n")
            s.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: request(s, "/adm/x.txt")[0] == 200))
            self.assertEqual(request(s, "/")[2], b"main index\n")
            # an invalid file: the old configuration stays, the error is logged
            with open(conf, "w") as f:
                f.write("/adm:a:b\nQ:broken\n")
            s.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: f"{conf}:2: unknown line type" in s.stderr()))
            self.assertIn("keeping the previous configuration", s.stderr())
            self.assertEqual(request(s, "/adm/x.txt")[0], 200)
            self.assertEqual(request(s, "/")[2], b"main index\n")
            self.assertIsNone(s.proc.poll())

    def test_reload_keeps_connections(self):
        conf = self.conf("I:index.html\n")
        with Server(self.home, "-c", conf) as s:
            with connect(s) as c:
                c.sendall(b"GET /file.txt HTTP/1.1\r\nHost: x\r\n\r\n")
                first = b""
                while b"hello, world\n" not in first:
                    chunk = c.recv(65536)
                    self.assertTrue(chunk)
                    first += chunk
                with open(conf, "w") as f:
                    f.write("I:main.html\n")
                s.proc.send_signal(signal.SIGHUP)
                self.assertTrue(wait_for(lambda: request(s, "/")[2] == b"main index\n"))
                c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                rest = recv_all(c)
            rs = parse_responses(first + rest)
            self.assertEqual([r[0] for r in rs], [200, 200])
            self.assertEqual(rs[1][2], b"main index\n")


# --- the differential test ------------------------------------------------------

DIFF_CONF = """
# allow everything but one address, as a typical file does
D:10.9.8.7
A:*
/adm:admin:setup
.foo:text/x-foo
E404:e404.html
"""

# (method, path, extra headers); compared: status, and the body of 200s.
DIFF_REQUESTS = [
    ("GET", "/", []),
    ("GET", "/file.txt", []),
    ("HEAD", "/file.txt", []),
    ("GET", "/file.txt?x=1", []),
    ("GET", "/fi%6Ce.txt", []),
    ("GET", "/a.foo", []),
    ("GET", "/dir/", []),
    ("GET", "/dir/index.html", []),
    ("GET", "/nonexistent", []),
    ("GET", "/noindex/", []),
    ("GET", "/noindex/f.txt", []),
    ("GET", "/httpd.conf", []),
    ("GET", "/sub/httpd.conf", []),
    ("GET", "/adm/x.txt", []),
    ("GET", "/adm/x.txt", [basic("admin", "setup")]),
    ("GET", "/adm/x.txt", [basic("admin", "nope")]),
    ("GET", "/adm/", [basic("admin", "setup")]),
    ("GET", "/adm/nonexistent", []),
    ("GET", "/file.txt", ["Range: bytes=0-4"]),
    ("GET", "/../file.txt", []),
    ("GET", "/x/../file.txt", []),
    ("GET", "//file.txt", []),
]

# Documented differences: (method, path) → (busybox status, our status)
KNOWN_DIFFERENCES = {
    ("GET", "/dir"): (302, 301),
    ("POST", "/file.txt"): (501, 405),
    # a protected directory without an index: busybox says 404 before
    # asking for credentials, we ask first (nothing leaks without them)
    ("GET", "/adm/"): (404, 401),
    ("PUT", "/file.txt"): (501, 405),
    # a path that is not UTF-8 (an overlong '/'): busybox looks it up, we
    # refuse it (issue 15)
    ("GET", "/%C0%AF"): (404, 400),
}


class TestDifferential(Base):
    def setUp(self):
        need("busybox", "busybox")(self)
        super().setUp()

    def both(self, conf):
        return Server(self.home, "-c", conf), BusyboxServer(self.home, "-c", conf)

    def test_same_answers(self):
        conf = self.conf(DIFF_CONF)
        ours, theirs = self.both(conf)
        with ours, theirs:
            for method, path, hdrs in DIFF_REQUESTS:
                with self.subTest(method=method, path=path, hdrs=hdrs):
                    a = request(ours, path, method, hdrs)
                    b = request(theirs, path, method, hdrs)
                    self.assertEqual(a[0], b[0], f"ours {a[0]}, busybox {b[0]}")
                    if a[0] in (200, 206):
                        self.assertEqual(a[2], b[2])
                    if a[0] == 200 and path.endswith(".foo"):
                        self.assertEqual(a[1].get("content-type"), b[1].get("content-type"))
                    if a[0] == 404:   # the E404 page, from both
                        self.assertEqual(a[2], b[2])
                    if a[0] == 401:
                        self.assertEqual(a[1].get("www-authenticate"),
                                         b[1].get("www-authenticate"))

    def test_known_differences(self):
        """Still there: if one goes away, update the README table."""
        conf = self.conf(DIFF_CONF)
        ours, theirs = self.both(conf)
        with ours, theirs:
            for (method, path), (bb, us) in KNOWN_DIFFERENCES.items():
                with self.subTest(method=method, path=path):
                    self.assertEqual(request(theirs, path, method)[0], bb)
                    self.assertEqual(request(ours, path, method)[0], us)

    def test_redirect_location_same(self):
        """Both build the directory redirect from the resolved path: no
        "//host" a browser would follow off the site."""
        ours, theirs = self.both(self.conf("A:*\n"))
        with ours, theirs:
            for path in ("//dir", "/./dir", "/noindex/../dir"):
                with self.subTest(path=path):
                    a, b = request(ours, path), request(theirs, path)
                    self.assertEqual(a[1]["location"], "/dir/")
                    self.assertEqual(b[1]["location"], "/dir/")

    def test_script_index_differs(self):
        """I:index.cgi with *.cgi:/bin/sh: busybox answers 404 for the
        directory, we run the script; neither sends its source."""
        app = os.path.join(self.home, "app")
        os.makedirs(app, exist_ok=True)
        with open(os.path.join(app, "index.cgi"), "w") as f:
            f.write("#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nran'\n")
        ours, theirs = self.both(self.conf("*.cgi:/bin/sh\nI:index.cgi\n"))
        with ours, theirs:
            a, b = request(ours, "/app/"), request(theirs, "/app/")
            self.assertEqual((b[0], a[0]), (404, 200))
            self.assertEqual(a[2], b"ran")
            self.assertNotIn(b"printf", b[2])

    def test_host_syntax_differs(self):
        """busybox ignores Host; one that is not uri-host[:port] is a 400 here."""
        ours, theirs = self.both(self.conf("A:*\n"))
        with ours, theirs:
            for host in (b"user@127.0.0.1", b"a.example, b.example"):
                with self.subTest(host=host):
                    data = b"GET /file.txt HTTP/1.1\r\nHost: " + host + \
                        b"\r\nConnection: close\r\n\r\n"
                    got = []
                    for srv in (theirs, ours):
                        with connect(srv) as c:
                            c.sendall(data)
                            got.append(int(recv_all(c).split(b" ", 2)[1]))
                    self.assertEqual(got, [200, 400])

    def test_acl_same(self):
        for text in ("D:*\n", "A:127.0.0.1\nD:*\n", "D:127.0.0.1\n", "A:10.\nD:*\n",
                     "D:127.0.0.0/8\n", "D:127.0.0.0/255.255.255.0\n"):
            with self.subTest(conf=text):
                conf = self.conf(text)
                ours, theirs = self.both(conf)
                with ours, theirs:
                    self.assertEqual(request(ours, "/file.txt")[0],
                                     request(theirs, "/file.txt")[0])

    def test_cgi_same(self):
        """CGI scripts see the same environment and give the same answers."""
        bin_dir = os.path.join(self.home, "cgi-bin")
        os.makedirs(bin_dir, exist_ok=True)
        scripts = {
            "env.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
                      "for v in REQUEST_METHOD QUERY_STRING SCRIPT_NAME PATH_INFO REMOTE_ADDR "
                      "CONTENT_LENGTH CONTENT_TYPE HTTP_X_TEST "
                      "GATEWAY_INTERFACE REQUEST_URI; do eval \"printf '%s=%s\\n' $v \\\"\\$$v\\\"\"; done\n"
                      "[ -n \"$CONTENT_LENGTH\" ] && { printf 'BODY='; head -c \"$CONTENT_LENGTH\"; }\n",
            "st.sh": "#!/bin/sh\nprintf 'Status: 403 Forbidden\\r\\nContent-Type: text/plain\\r\\n\\r\\nno'\n",
            "loc.sh": "#!/bin/sh\nprintf 'Location: /file.txt\\r\\n\\r\\n'\n",
            "noexec.sh": "#!/bin/sh\necho\n",
            "proto.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s' "
                        "\"$SERVER_PROTOCOL\"\n",
        }
        for name, text in scripts.items():
            path = os.path.join(bin_dir, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o644 if name == "noexec.sh" else 0o755)
        ours, theirs = self.both(self.conf("A:*\n"))
        cases = [("GET", "/cgi-bin/env.sh/pi/x?a=1&b=2", ["X-Test: yes"], None),
                 ("POST", "/cgi-bin/env.sh", ["Content-Type: application/x-www-form-urlencoded"],
                  b"hello=1&x=%20"),
                 ("GET", "/cgi-bin/st.sh", [], None),
                 ("GET", "/cgi-bin/missing.sh", [], None)]
        with ours, theirs:
            for method, path, hdrs, body in cases:
                with self.subTest(method=method, path=path):
                    a = request(ours, path, method, hdrs, body)
                    b = request(theirs, path, method, hdrs, body)
                    self.assertEqual(a[0], b[0])
                    if a[0] in (200, 403):
                        self.assertEqual(a[2], b[2])
            # documented: RFC 3875 §6.2.3 makes a Location answer a 302 (busybox: 200);
            # a script that is not executable is 403 (busybox: 404)
            self.assertEqual((request(theirs, "/cgi-bin/loc.sh")[0],
                              request(ours, "/cgi-bin/loc.sh")[0]), (200, 302))
            self.assertEqual((request(theirs, "/cgi-bin/noexec.sh")[0],
                              request(ours, "/cgi-bin/noexec.sh")[0]), (404, 403))
            # SERVER_PROTOCOL is the request's (RFC 3875 §4.1.16); busybox says 1.1
            proto = [request(srv, "/cgi-bin/proto.sh")[2] for srv in (theirs, ours)]
            self.assertEqual(proto, [b"HTTP/1.1", b"HTTP/1.0"])

    def test_realm_same(self):
        conf = self.conf("/adm:a:b\n")
        ours = Server(self.home, "-c", conf, "-r", "Private area")
        theirs = BusyboxServer(self.home, "-c", conf, "-r", "Private area")
        with ours, theirs:
            a, b = request(ours, "/adm/x.txt"), request(theirs, "/adm/x.txt")
            self.assertEqual(a[0], b[0])
            self.assertEqual(a[1]["www-authenticate"], b[1]["www-authenticate"])

    def test_keepalive_differs(self):
        """busybox closes after every answer; we keep HTTP/1.1 connections."""
        ours, theirs = self.both(self.conf("A:*\n"))
        req = b"GET /file.txt HTTP/1.1\r\nHost: x\r\n\r\n" * 2
        with ours, theirs:
            for srv, want in ((theirs, 1), (ours, 2)):
                with connect(srv) as c:
                    c.sendall(req)
                    c.shutdown(socket.SHUT_WR)
                    data = recv_all(c)
                self.assertEqual(data.count(b"hello, world\n"), want)


if __name__ == "__main__":
    unittest.main()
