"""Helpers shared by the core suites (test_serving, test_connections,
test_limits, test_usage): requests in bytes, dates, and Base, a TestCase
that makes a HOME per test and starts the server on it."""
import email.utils
import os
import re
import shutil
import tempfile
import unittest

from harness import Reader, Server, connect, parse_responses, raw

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
            return self.answers(s, timeout)

    def answers(self, sock, timeout=5):
        """Read sock until the server closes it (or timeout); return
        (responses, closed_by_server)."""
        r = Reader(sock, deadline=timeout * 2)
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
