"""Raw-dump mode (-D/--dump): each request is printed as it arrived and
echoed back as the body of the answer."""
import os
import re
import time
import unittest

from harness import Server, connect, curl, parse_responses, raw, recv_all, temp_dir

SEP = b"-" * 79 + b"\n"


def escaped(data):
    """The terminal form: CRLF and LF as line ends, TAB and printable ASCII
    and valid UTF-8 as is, every other byte as \\xHH."""
    out, i = bytearray(), 0
    while i < len(data):
        c = data[i]
        if data[i:i + 2] == b"\r\n":
            out += b"\n"
            i += 2
            continue
        if c in (9, 10) or 0x20 <= c < 0x7F:
            out.append(c)
            i += 1
            continue
        for n in (4, 3, 2):
            try:
                ch = data[i:i + n].decode("utf-8")
                if len(ch) == 1 and ord(ch) >= 0x80:
                    out += data[i:i + n]
                    i += n
                    break
            except UnicodeDecodeError:
                pass
        else:
            out += b"\\x%02x" % c
            i += 1
    return bytes(out)


def dumped(*requests):
    out = b""
    for r in requests:
        e = escaped(r)
        out += e + (SEP if e.endswith(b"\n") else b"\n" + SEP)
    return out


class DumpMode(unittest.TestCase):
    def setUp(self):
        self.home = temp_dir(self)

    def wait_stdout(self, s, want, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(s.stdout()) >= len(want):
                break
            time.sleep(0.02)
        return s.stdout()

    def check(self, requests, statuses=None, *args):
        """Send the requests in one packet; every answer echoes its request."""
        with Server(self.home, "-D", *args) as s:
            answers = parse_responses(raw(s, b"".join(requests)))
            self.assertEqual(len(answers), len(requests))
            for i, (req, (status, headers, body)) in enumerate(zip(requests, answers)):
                self.assertEqual(status, statuses[i] if statuses else 200)
                self.assertEqual(headers["content-type"], "text/plain; charset=utf-8")
                self.assertEqual(body, req)
            self.assertEqual(self.wait_stdout(s, dumped(*requests)), dumped(*requests))
            return s

    def test_browser_like_get(self):
        req = (b"GET / HTTP/1.1\r\nHost: localhost:8888\r\nConnection: keep-alive\r\n"
               b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36\r\n"
               b"Accept: text/html,application/xhtml+xml;q=0.9,*/*;q=0.8\r\n"
               b"Accept-Encoding: gzip, deflate, br\r\nAccept-Language: fr-FR,fr;q=0.9\r\n\r\n")
        self.check([req])

    def test_post_with_body(self):
        req = (b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
               b"\r\nContent-Length: 11\r\n\r\na=1&b=2%203")
        self.check([req])

    def test_chunked_post_keeps_framing(self):
        req = (b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: t\r\n\r\n")
        self.check([req])

    def test_pipelined_requests_each_echoed(self):
        reqs = [b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
                b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz",
                b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"]
        self.check(reqs)

    def test_malformed_request_dumped_with_its_status(self):
        bad = b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
        with Server(self.home, "-D") as s:
            answers = parse_responses(raw(s, bad))
            self.assertEqual(len(answers), 1)
            status, headers, body = answers[0]
            self.assertEqual(status, 400)
            self.assertEqual(headers["connection"], "close")
            self.assertEqual(body, bad)
            self.assertEqual(self.wait_stdout(s, dumped(bad)), dumped(bad))

    def test_control_bytes_escaped_on_stdout_exact_in_echo(self):
        req = b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\nX-Ctl: a\tb\xfe\xff\r\n\r\n"
        s = self.check([req])
        self.assertIn(b"X-Ctl: a\tb\\xfe\\xff\n", s.stdout())
        self.assertIn("/café".encode(), s.stdout())

    def test_rejected_control_byte_in_target(self):
        req = b"GET /\x01\x1b[2J HTTP/1.1\r\nHost: x\r\n\r\n"
        with Server(self.home, "-D") as s:
            (status, _, body), = parse_responses(raw(s, req))
            self.assertEqual(status, 400)
            self.assertEqual(body, req)
            out = self.wait_stdout(s, dumped(req))
            self.assertNotIn(b"\x1b", out)
            self.assertIn(b"GET /\\x01\\x1b[2J HTTP/1.1\n", out)

    def test_bare_lf_request_typed_by_hand(self):
        req = b"GET / HTTP/1.0\nHost: x\n\n"
        self.check([req])

    def test_body_over_limit_is_413_not_buffered(self):
        head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n"
        with Server(self.home, "-D") as s:
            (status, headers, body), = parse_responses(raw(s, head))
            self.assertEqual(status, 413)
            self.assertEqual(body, head)

    def test_verbose_logs_peer_and_time(self):
        with Server(self.home, "-D", "-v") as s:
            r = curl(s.url("/hello"))
            self.assertEqual(r.returncode, 0)
            self.assertTrue(r.stdout.startswith(b"GET /hello HTTP/1.1\r\n"))
            deadline = time.monotonic() + 5
            while "GET /hello" not in s.stderr() and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertRegex(s.stderr(), r'127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
                                         r'"GET /hello HTTP/1\.1" 200')

    def test_keep_alive_two_requests_one_connection(self):
        with Server(self.home, "-D") as s, connect(s) as c:
            for path in (b"/one", b"/two"):
                req = b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n"
                c.sendall(req)
                data = b""
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    data += c.recv(65536)
                    try:
                        (st, _, body), = parse_responses(data)
                        break
                    except (AssertionError, ValueError):
                        continue
                self.assertEqual(body, req)


if __name__ == "__main__":
    unittest.main()
