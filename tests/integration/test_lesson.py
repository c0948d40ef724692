"""The netcat lesson in the browser: server-sent events, the inspector
(--inspect, /_inspect, /api/echo) and the chat (--chat, /api/chat)."""
import base64
import json
import os
import resource
import selectors
import signal
import socket
import time
import unittest

from harness import (SLOW, Reader, Server, connect, curl, parse_responses, raw, recv_all,
                     temp_dir)

WWW = os.path.join(os.path.dirname(__file__), "..", "..", "www")


class SSE:
    """One event-stream listener on a raw socket: the chunked body decoded
    as it comes, split into events. Every wait is bounded."""

    def __init__(self, server, path, headers=b"", rcvbuf=None, read_head=True):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect((server.host, server.port))
        self.sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n" +
                          headers + b"\r\n")
        self.raw, self.text, self.eof, self.ended = b"", b"", False, False
        self.parsed = []
        self.head = None
        if read_head:
            self.read_head()

    def read_head(self, timeout=10):
        end = time.monotonic() + timeout * SLOW
        while b"\r\n\r\n" not in self.raw and time.monotonic() < end:
            if not self._recv(end):
                break
        head, sep, self.raw = self.raw.partition(b"\r\n\r\n")
        assert sep, "no response head: %r" % head[:200]
        lines = head.split(b"\r\n")
        self.status = int(lines[0].split()[1])
        self.head = {k.strip().lower().decode(): v.strip().decode()
                     for k, _, v in (ln.partition(b":") for ln in lines[1:])}
        self._decode()

    def _recv(self, end):
        self.sock.settimeout(max(0.01, min(1, end - time.monotonic())))
        try:
            b = self.sock.recv(1 << 16)
        except socket.timeout:
            return False
        except ConnectionResetError:
            b = b""
        if not b:
            self.eof = True
            return False
        self.raw += b
        if self.head is not None:
            self._decode()
        return True

    def _decode(self):
        while True:
            nl = self.raw.find(b"\r\n")
            if nl < 0:
                return
            size = int(self.raw[:nl], 16)
            if size == 0:
                self.ended = self.raw[nl:nl + 4] == b"\r\n\r\n"
                return
            if len(self.raw) < nl + 2 + size + 2:
                return
            self.text += self.raw[nl + 2:nl + 2 + size]
            assert self.raw[nl + 2 + size:nl + 4 + size] == b"\r\n"
            self.raw = self.raw[nl + 4 + size:]

    def events(self):
        """The complete events so far: dicts with id, event, data; comments
        as {"comment": text}. Parsed once each (streams can be long)."""
        blocks = self.text.split(b"\n\n")
        self.text = blocks.pop()
        for block in blocks:
            ev = {}
            for line in block.split(b"\n"):
                if line.startswith(b":"):
                    ev["comment"] = line[1:].strip().decode()
                    continue
                k, _, v = line.partition(b":")
                ev[k.decode()] = v[1:].decode() if v.startswith(b" ") else v.decode()
            self.parsed.append(ev)
        return self.parsed

    def wait(self, pred, timeout=10):
        """Read until pred(events) is true; returns the events."""
        end = time.monotonic() + timeout * SLOW
        while not pred(self.events()) and not self.eof and time.monotonic() < end:
            self._recv(end)
        return self.events()

    def close(self):
        self.sock.close()


def of_type(events, t):
    return [e for e in events if e.get("event") == t]


def requests(events):
    return [json.loads(e["data"]) for e in of_type(events, "request")]


def echo(server, data):
    rs = parse_responses(raw(server, data))
    assert len(rs) == 1, rs
    return rs[0][0], rs[0][1], json.loads(rs[0][2]) if rs[0][2] else None


class Echo(unittest.TestCase):
    def setUp(self):
        self.home = temp_dir(self)

    def test_exact_request(self):
        """Method, target, query, headers in order and case, body, client."""
        with Server(self.home, "--inspect") as s:
            with connect(s) as c:
                c.sendall(b"PUT /api/echo/sub?x=1&y=%41+b&flag HTTP/1.1\r\nHost: h\r\n"
                          b"x-lower: a\r\nX-UPPER:  b c  \r\nX-Dup: 1\r\nx-dup: 2\r\n"
                          b"Connection: close\r\nContent-Length: 5\r\n\r\nhello")
                port = c.getsockname()[1]
                st, hdrs, body = parse_responses(recv_all(c))[0]
        j = json.loads(body)
        self.assertEqual(st, 200)
        self.assertEqual(hdrs["content-type"], "application/json")
        self.assertEqual(j["method"], "PUT")
        self.assertEqual(j["target"], "/api/echo/sub?x=1&y=%41+b&flag")
        self.assertEqual(j["path"], "/api/echo/sub")
        self.assertEqual(j["query"], "x=1&y=%41+b&flag")
        self.assertEqual(j["args"], [["x", "1"], ["y", "A b"], ["flag", ""]])
        self.assertEqual(j["version"], "HTTP/1.1")
        self.assertEqual(j["headers"], [["Host", "h"], ["x-lower", "a"], ["X-UPPER", "b c"],
                                        ["X-Dup", "1"], ["x-dup", "2"],
                                        ["Connection", "close"], ["Content-Length", "5"]])
        self.assertEqual(j["body"], "hello")
        self.assertEqual(j["body_length"], 5)
        self.assertEqual(j["client"], {"address": "127.0.0.1", "port": port})

    def test_bodies(self):
        """Chunked decoded; binary in base64; past 16 KiB its length only;
        past 64 KiB a 413 in JSON."""
        with Server(self.home, "--inspect") as s:
            st, _, j = echo(s, b"POST /api/echo HTTP/1.1\r\nHost: h\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            self.assertEqual((st, j["body"], j["body_length"]), (200, "abcde", 5))
            st, _, j = echo(s, b"POST /api/echo HTTP/1.0\r\nContent-Length: 3\r\n\r\n\xff\x00\x80")
            self.assertEqual(base64.b64decode(j["body_base64"]), b"\xff\x00\x80")
            self.assertNotIn("body", j)
            big = b"a" * 20000
            st, _, j = echo(s, b"POST /api/echo HTTP/1.0\r\nContent-Length: 20000\r\n\r\n" + big)
            self.assertEqual((st, j["body"], j["body_length"]), (200, None, 20000))
            st, hdrs, j = echo(s, b"POST /api/echo HTTP/1.0\r\nContent-Length: 70000\r\n\r\n")
            self.assertEqual(st, 413)
            self.assertIn("error", j)
            # a header value that is not UTF-8: U+FFFD, valid JSON
            st, _, j = echo(s, b"GET /api/echo HTTP/1.0\r\nX-Bin: a\xffb\r\n\r\n")
            self.assertEqual(j["headers"], [["X-Bin", "a\ufffdb"]])

    def test_off_without_inspect(self):
        with Server(self.home) as s:
            self.assertEqual(echo_raw(s, b"GET /api/echo HTTP/1.0\r\n\r\n")[0], 404)


class Inspector(unittest.TestCase):
    def setUp(self):
        self.home = temp_dir(self)
        with open(os.path.join(self.home, "index.html"), "w") as f:
            f.write("<p>hi</p>\n")

    def test_request_listed_byte_exact(self):
        """A request shows as it came (CR LF, a hostile header), with the
        head we answered and ordered timings; the inspector's own page and
        stream are not listed."""
        with Server(self.home, "--inspect") as s:
            page = curl(s.url("/_inspect/"))
            self.assertIn(b"httpd inspector", page.stdout)
            ev = SSE(s, "/_inspect/events")
            self.assertEqual(ev.status, 200)
            self.assertEqual(ev.head["content-type"], "text/event-stream")
            self.assertEqual(ev.head["cache-control"], "no-cache")
            self.assertEqual(ev.head["transfer-encoding"], "chunked")
            sent = (b"GET /hello?x=1 HTTP/1.1\r\nHost: t\r\n"
                    b"X-Evil: <script>alert(1)</script>\r\nConnection: close\r\n\r\n")
            answer = raw(s, sent)
            evs = ev.wait(lambda e: requests(e))
            reqs = requests(evs)
            self.assertEqual(len(reqs), 1, evs)
            r = reqs[0]
            self.assertEqual(base64.b64decode(r["raw"]), sent)
            self.assertEqual((r["raw_len"], r["cut"], r["n"], r["status"]), (len(sent), False, 1, 404))
            self.assertTrue(answer.startswith(base64.b64decode(r["response"])))
            self.assertTrue(r["accepted"] <= r["first"] <= r["head"] <= r["answer"] <= r["sent"], r)
            evs = ev.wait(lambda e: of_type(e, "close"))
            self.assertEqual(json.loads(of_type(evs, "close")[0]["data"])["conn"], r["conn"])
            ev.close()

    def test_pipelined_on_one_connection(self):
        """Two requests in one write: two entries of one connection, each
        with its own bytes; a refused one is shown with its 400."""
        with Server(self.home, "--inspect") as s:
            ev = SSE(s, "/_inspect/events")
            a = b"GET /a HTTP/1.1\r\nHost: t\r\n\r\n"
            b = b"GET /b HTTP/1.1\r\nHost: t\r\n\r\n"
            bad = b"GET / HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n"
            raw(s, a + b + bad)
            reqs = requests(ev.wait(lambda e: len(requests(e)) >= 3))
            self.assertEqual([base64.b64decode(r["raw"]) for r in reqs], [a, b, bad])
            self.assertEqual([r["n"] for r in reqs], [1, 2, 3])
            self.assertEqual(len({r["conn"] for r in reqs}), 1)
            self.assertEqual([r["status"] for r in reqs], [404, 404, 400])
            ev.close()

    def test_long_request_cut(self):
        with Server(self.home, "--inspect") as s:
            ev = SSE(s, "/_inspect/events")
            sent = b"GET / HTTP/1.1\r\nHost: t\r\nX-Long: " + b"x" * 6000 + b"\r\n\r\n"
            raw(s, sent)
            r = requests(ev.wait(lambda e: requests(e)))[0]
            self.assertEqual((r["raw_len"], r["cut"]), (len(sent), True))
            self.assertEqual(base64.b64decode(r["raw"]), sent[:4096])
            ev.close()

    def test_page_files(self):
        with Server(self.home, "--inspect") as s:
            st, hdrs, body = echo_raw(s, b"GET /_inspect HTTP/1.0\r\n\r\n")
            self.assertEqual(st, 200)
            self.assertIn("default-src 'self'", hdrs["content-security-policy"])
            self.assertEqual(body, open(os.path.join(WWW, "_inspect", "index.html"), "rb").read())
            st, hdrs, _ = echo_raw(s, b"GET /_inspect/inspect.js HTTP/1.0\r\n\r\n")
            self.assertEqual((st, hdrs["content-type"]), (200, "text/javascript; charset=utf-8"))
            self.assertEqual(echo_raw(s, b"GET /_inspect/nope HTTP/1.0\r\n\r\n")[0], 404)
            st, hdrs, _ = echo_raw(s, b"POST /_inspect/events HTTP/1.0\r\n\r\n")
            self.assertEqual((st, hdrs["allow"]), (405, "GET, HEAD"))

    def test_dump_mode(self):
        """-D: the inspector still answers; other requests are dumped and listed."""
        with Server(self.home, "-D", "--inspect") as s:
            self.assertIn(b"httpd inspector", curl(s.url("/_inspect/")).stdout)
            ev = SSE(s, "/_inspect/events")
            sent = b"GET /anything HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            st, _, body = echo_raw(s, sent)
            self.assertEqual((st, body), (200, sent))
            r = requests(ev.wait(lambda e: requests(e)))[0]
            self.assertEqual(base64.b64decode(r["raw"]), sent)
            self.assertNotIn(b"_inspect", s.stdout())
            ev.close()


def echo_raw(server, data):
    rs = parse_responses(raw(server, data))
    return rs[0]


def post(s, body, ctype="application/x-www-form-urlencoded", sock=None, reader=None):
    data = (b"POST /api/chat HTTP/1.1\r\nHost: t\r\nContent-Type: " + ctype.encode() +
            b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    if sock is None:
        return echo_raw(s, data[:-len(body) - 4] + b"\r\nConnection: close\r\n\r\n" + body)
    sock.sendall(data)
    return reader.response()


class Chat(unittest.TestCase):
    def setUp(self):
        self.home = temp_dir(self)

    def test_talk_and_listen(self):
        with Server(self.home, "--chat") as s:
            a = SSE(s, "/api/chat")
            self.assertEqual(a.head["content-type"], "text/event-stream")
            st, _, body = post(s, b"name=ann&text=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            self.assertEqual((st, json.loads(body)), (200, {"id": 1}))
            st, _, _ = post(s, json.dumps({"name": "bob", "text": "hi\n\"there\""}).encode(),
                            "application/json")
            self.assertEqual(st, 200)
            msgs = of_type(a.wait(lambda e: len(of_type(e, "message")) >= 2), "message")
            self.assertEqual([m["id"] for m in msgs], ["1", "2"])
            got = [json.loads(m["data"]) for m in msgs]
            self.assertEqual([(g["name"], g["text"]) for g in got],
                             [("ann", "<script>alert(1)</script>"), ("bob", "hi\n\"there\"")])
            # curl can talk and listen too
            r = curl("-d", "name=cli&text=from curl", s.url("/api/chat"))
            self.assertEqual(json.loads(r.stdout), {"id": 3})
            a.close()

    def test_backlog_and_last_event_id(self):
        with Server(self.home, "--chat") as s:
            for i in range(3):
                self.assertEqual(post(s, b"text=m%d" % i)[0], 200)
            b = SSE(s, "/api/chat")
            self.assertEqual([m["id"] for m in of_type(b.wait(
                lambda e: len(of_type(e, "message")) >= 3), "message")], ["1", "2", "3"])
            c = SSE(s, "/api/chat", b"Last-Event-ID: 2\r\n")
            self.assertEqual([m["id"] for m in of_type(c.wait(
                lambda e: of_type(e, "message")), "message")], ["3"])
            self.assertEqual(c.events()[0], {"retry": "3000"})
            b.close()
            c.close()

    def test_limits(self):
        """Size 413, type 415, empty 400, method 405, rate 429 (JSON errors)."""
        with Server(self.home, "--chat") as s:
            st, _, body = post(s, b"text=" + b"a" * 3000)
            self.assertEqual(st, 413)
            self.assertIn("error", json.loads(body))
            self.assertEqual(post(s, b"text=a" + b"%41" * 600)[0], 400)  # 601 bytes decoded
            self.assertEqual(post(s, b"x", "image/png")[0], 415)
            self.assertEqual(post(s, b"name=a&text=")[0], 400)
            st, hdrs, _ = echo_raw(s, b"PUT /api/chat HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
            self.assertEqual((st, hdrs["allow"]), (405, "GET, HEAD, POST"))
            # 20 messages at once from one address: the burst of 5 passes,
            # then 429 (refilled at 1 a second)
            with connect(s) as c:
                rd = Reader(c, deadline=20)
                codes = [post(s, b"text=hi", sock=c, reader=rd) for _ in range(20)]
            statuses = [r[0] for r in codes]
            self.assertEqual(statuses[:5], [200] * 5)
            self.assertIn(429, statuses)
            r429 = codes[statuses.index(429)]
            self.assertEqual(r429[1]["retry-after"], "1")
            self.assertIn("too many", json.loads(r429[2])["error"])

    def test_head_and_http10(self):
        """HEAD: the stream's head and nothing more (not a stream that never
        ends); HTTP/1.0: the events unframed, ended by the close."""
        with Server(self.home, "--chat") as s:
            with connect(s) as c:
                c.sendall(b"HEAD /api/chat HTTP/1.1\r\nHost: t\r\n\r\n"
                          b"GET /api/chat HTTP/1.0\r\n\r\n")
                rd = Reader(c)
                st, hdrs, _ = rd.response(head=True)
                self.assertEqual((st, hdrs["content-type"]), (200, "text/event-stream"))
                self.assertNotIn("transfer-encoding", hdrs)
                st, hdrs, _ = rd.response(head=True)
                self.assertEqual(st, 200)
                self.assertNotIn("transfer-encoding", hdrs)
                self.assertEqual(post(s, b"text=to+1.0")[0], 200)
                end = time.monotonic() + 10 * SLOW
                while b"to 1.0" not in rd.buf and time.monotonic() < end:
                    rd._more()
                self.assertIn(b"retry: 3000\n\nid: 1\nevent: message\ndata: {", rd.buf)
                s.stop()
                self.assertTrue(rd.closed(5 * SLOW))

    def test_off_without_chat(self):
        with Server(self.home) as s:
            self.assertEqual(echo_raw(s, b"GET /api/chat HTTP/1.0\r\n\r\n")[0], 404)

    def test_keepalive_comment(self):
        """A comment line while idle (every write timeout / 2 here), so the
        stream is never closed for want of progress."""
        with Server(self.home, "--chat", "--write-timeout", "0.4") as s:
            a = SSE(s, "/api/chat")
            evs = a.wait(lambda e: len([x for x in e if "comment" in x]) >= 4)
            self.assertGreaterEqual(len([x for x in evs if x.get("comment") == "keep-alive"]), 4)
            self.assertFalse(a.eof)
            a.close()

    def test_clean_shutdown(self):
        """SIGTERM: every stream ends with its last chunk, then the close;
        the server does not wait for the grace period."""
        with Server(self.home, "--chat", "--grace", "60") as s:
            a = SSE(s, "/api/chat")
            b = SSE(s, "/api/chat")
            self.assertEqual(post(s, b"text=bye")[0], 200)
            a.wait(lambda e: of_type(e, "message"))
            self.assertEqual(s.stop(timeout=20), 0)
            for x in (a, b):
                x.wait(lambda e: False, timeout=5)
                self.assertTrue(x.ended and x.eof, x.raw)
            self.assertEqual(len(of_type(b.events(), "message")), 1)


class Broadcast(unittest.TestCase):
    """Many listeners; one that never reads."""

    def setUp(self):
        self.home = temp_dir(self)
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 4096 <= hard or (soft < hard and hard == resource.RLIM_INFINITY):
            resource.setrlimit(resource.RLIMIT_NOFILE, (4096, hard))

    def test_1000_listeners(self):
        """A broadcast reaches 1,000 listeners complete and in order."""
        n = 1000
        with Server(self.home, "--chat") as s:
            ls = []
            try:
                for _ in range(n):
                    ls.append(SSE(s, "/api/chat", read_head=False))
                for x in ls:
                    x.read_head()
                for i in range(5):
                    self.assertEqual(post(s, b"text=message+%d" % i)[0], 200)
                sel = selectors.DefaultSelector()
                for x in ls:
                    x.sock.setblocking(False)
                    sel.register(x.sock, selectors.EVENT_READ, x)
                done, end = set(), time.monotonic() + 60 * SLOW
                while len(done) < n and time.monotonic() < end:
                    for key, _ in sel.select(1):
                        x = key.data
                        try:
                            b = x.sock.recv(65536)
                        except BlockingIOError:
                            continue
                        x.raw += b
                        x._decode()
                        if len(of_type(x.events(), "message")) >= 5:
                            done.add(x)
                            sel.unregister(x.sock)
                sel.close()
                self.assertEqual(len(done), n)
                want = [("%d" % (i + 1), "message %d" % i) for i in range(5)]
                for x in ls:
                    got = [(m["id"], json.loads(m["data"])["text"])
                           for m in of_type(x.events(), "message")]
                    self.assertEqual(got, want)
            finally:
                for x in ls:
                    x.close()

    def test_stalled_listener(self):
        """A listener that never reads holds back no one: the others get
        every event in order; the server's memory stays bounded; when it
        reads at last, it is told how many events it lost, then goes on."""
        with Server(self.home, "--inspect") as s:
            stalled = SSE(s, "/_inspect/events", rcvbuf=4096)
            others = [SSE(s, "/_inspect/events") for _ in range(5)]
            rss0 = rss_kb(s)
            req = b"GET /x HTTP/1.1\r\nHost: t\r\nX-Pad: " + b"p" * 3500 + b"\r\n\r\n"
            total = 0
            with connect(s) as c:
                for batch in range(24):
                    c.sendall(req * 50)
                    got = b""
                    while got.count(b"HTTP/1.1 404") < 50:
                        b = c.recv(1 << 16)
                        self.assertTrue(b)
                        got += b
                    total += 50
                    for o in others:
                        o.wait(lambda e: len(of_type(e, "request")) >= total)
            rss1 = rss_kb(s)
            for o in others:
                evs = o.events()
                self.assertEqual(of_type(evs, "dropped"), [])
                ids = [int(e["id"]) for e in of_type(evs, "request")]
                self.assertEqual(ids, list(range(1, total + 1)))
            # 1,200 events of 5 KB went by (6 MB): the ring keeps 256
            if not sanitized(s):  # ASan's quarantine and valgrind keep freed memory
                self.assertLess(rss1 - rss0, 4096, (rss0, rss1))
            # the last event: the close of the connection that sent them
            evs = stalled.wait(lambda e: e and e[-1].get("id") == str(total + 1), timeout=30)
            drops = of_type(evs, "dropped")
            self.assertEqual(len(drops), 1, [e.get("event") for e in evs][:20])
            lost = json.loads(drops[0]["data"])["dropped"]
            after = [int(e["id"]) for e in evs[evs.index(drops[0]) + 1:] if "id" in e]
            before = [int(e["id"]) for e in evs[:evs.index(drops[0])] if "id" in e]
            self.assertEqual(before + list(range(before[-1] + 1 if before else 1,
                                                  before[-1] + 1 + lost if before else 1 + lost))
                             + after, list(range(1, total + 2)))
            for x in [stalled] + others:
                x.close()


def sanitized(server):
    with open(f"/proc/{server.proc.pid}/maps") as f:
        return "libasan" in f.read() or bool(os.environ.get("HTTPD_SLOW"))


def rss_kb(server):
    with open(f"/proc/{server.proc.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    unittest.main()
