"""/api/calcul: every case of the contract, with status, headers and exact bodies."""
import json
import os
import random
import tempfile
import unittest
from decimal import Decimal, localcontext
from urllib.parse import quote

from harness import Server, curl, head_only, parse_responses, raw

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
RANGE = "too many digits (at most 1000 before and 1000 after the decimal point)"


def parse(out):
    """curl -i output → (status, headers dict lower-case, body bytes)."""
    return parse_responses(out)[-1]


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.home = tempfile.TemporaryDirectory()
        with open(os.path.join(cls.home.name, "index.html"), "w") as f:
            f.write("hi\n")
        cls.server = Server(cls.home.name).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.home.cleanup()

    def get(self, query, path="/api/calcul", *args):
        r = curl("-i", *args, self.server.url(path + ("?" + query if query is not None else "")))
        self.assertEqual(r.returncode, 0, r.stderr)
        return parse(r.stdout)

    def post(self, body, ctype, *args):
        extra = ["-H", "Content-Type: " + ctype] if ctype is not None else []
        r = curl("-i", *extra, *args, "--data-binary", body, self.server.url("/api/calcul"))
        self.assertEqual(r.returncode, 0, r.stderr)
        return parse(r.stdout)

    def check(self, resp, status, body):
        st, hdrs, got = resp
        self.assertEqual(st, status, got)
        self.assertEqual(hdrs.get("content-type"), JSON)
        self.assertEqual(int(hdrs["content-length"]), len(got))
        self.assertEqual(got.decode(), body)
        json.loads(got)  # always valid JSON

    def ok(self, resp, operands, total):
        self.check(resp, 200, '{"operands":[%s],"sum":%s}' % (operands, total))

    def error(self, resp, status, msg):
        self.check(resp, status, json.dumps({"error": msg}, separators=(",", ":")))

    # --- GET ----------------------------------------------------------------
    def test_get_example(self):
        self.ok(self.get("a=2&b=3"), "2,3", "5")

    def test_get_exact(self):
        self.ok(self.get("a=0.1&b=0.2"), "0.1,0.2", "0.3")

    def test_every_parameter_is_an_operand(self):
        self.ok(self.get("a=1&b=2&c=3"), "1,2,3", "6")
        self.ok(self.get("n=1&n=2"), "1,2", "3")
        self.ok(self.get("x=10&=5&q=-1"), "10,5,-1", "14")
        self.ok(self.get("7&8"), "7,8", "15")        # no '=': the text is the value
        self.ok(self.get("a=1&&b=2&"), "1,2", "3")   # empty segments are skipped

    def test_operand_forms(self):
        self.ok(self.get("a=-12&b=3.25"), "-12,3.25", "-8.75")
        self.ok(self.get("a=1e3&b=-0.5E-2"), "1000,-0.005", "999.995")
        self.ok(self.get("a=%2B5&b=1"), "5,1", "6")
        self.ok(self.get("a=-0&b=0.000"), "0,0", "0")
        self.ok(self.get("a=1.50&b=2.50"), "1.5,2.5", "4")
        self.ok(self.get("a=-0.5&b=0.5"), "-0.5,0.5", "0")

    def test_plain_normalized_output(self):
        self.ok(self.get("a=99999999999999999999&b=1"),
                "99999999999999999999,1", "100000000000000000000")
        self.ok(self.get("a=1e20&b=0"), "100000000000000000000,0", "100000000000000000000")
        self.ok(self.get("a=3e-1"), "0.3", "0.3")
        self.ok(self.get("a=1e-3&b=-1e-3"), "0.001,-0.001", "0")
        self.ok(self.get("a=0.30000000000000004&b=-0.00000000000000004"),
                "0.30000000000000004,-0.00000000000000004", "0.3")

    def test_random_sums_match_python_decimal(self):
        rnd = random.Random(3)

        def number():
            digits = "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 40)))
            text = rnd.choice(["", "-", "+"]) + str(int(digits))
            if rnd.random() < 0.6:
                text += "." + "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 30)))
            if rnd.random() < 0.4:
                text += rnd.choice("eE") + rnd.choice(["", "+", "-"]) + str(rnd.randint(0, 60))
            return text

        def plain(d):
            t = format(d, "f")
            if "." in t:
                t = t.rstrip("0").rstrip(".")
            return "0" if t in ("-0", "") else t

        with localcontext() as ctx:
            ctx.prec = 5000
            for _ in range(20):
                ops = [number() for _ in range(rnd.randint(1, 200))]
                st, _, body = self.get("&".join("x=" + quote(o, safe="") for o in ops))
                self.assertEqual(st, 200, body)
                got = json.loads(body, parse_float=str, parse_int=str)
                self.assertEqual(got["operands"], [plain(Decimal(o)) for o in ops])
                self.assertEqual(got["sum"], plain(sum(Decimal(o) for o in ops)))

    def test_bounds(self):
        big = "9" * 1000 + "." + "9" * 1000
        st, _, body = self.get("a=%s&b=1e-1000" % big)
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body, parse_float=str, parse_int=str)["sum"], "1" + "0" * 1000)
        self.error(self.get("a=1&b=1e1000"), 400, 'operand 2 ("1e1000") is out of range: ' + RANGE)
        self.error(self.get("x=1e999999999"), 400,
                   'operand 1 ("1e999999999") is out of range: ' + RANGE)
        self.error(self.get("x=1e-1001"), 400, 'operand 1 ("1e-1001") is out of range: ' + RANGE)
        self.error(self.get("x=" + "1" * 1001), 400,
                   'operand 1 ("%s...") is out of range: %s' % ("1" * 40, RANGE))
        self.ok(self.get("x=0e999999999"), "0", "0")

    def test_too_many_operands(self):
        q = "&".join(["1"] * 1000)
        self.ok(self.get(q), ",".join(["1"] * 1000), "1000")
        self.error(self.get(q + "&1"), 400, "too many operands (at most 1000)")

    def test_head(self):
        r = curl("-sS", "-I", self.server.url("/api/calcul?a=2&b=3"))
        [(st, lines)] = head_only(r.stdout)
        hdrs = dict(l.decode().split(": ", 1) for l in lines)
        self.assertEqual(st, 200)
        self.assertEqual(hdrs["Content-Type"], JSON)
        self.assertEqual(hdrs["Content-Length"], str(len('{"operands":[2,3],"sum":5}')))
        out = raw(self.server, b"HEAD /api/calcul?a=2&b=3 HTTP/1.1\r\nHost: x\r\n"
                               b"Connection: close\r\n\r\n")
        self.assertTrue(out.endswith(b"\r\n\r\n"), out)  # no body

    # --- errors -------------------------------------------------------------
    def test_no_operands(self):
        msg = ("no operands: give numbers as query or form parameters (a=1&b=2) "
               "or as a JSON array or object")
        self.error(self.get(None), 400, msg)
        self.error(self.get(""), 400, msg)
        self.error(self.post("", FORM), 400, msg)
        self.error(self.post("[]", JSON), 400, msg)
        self.error(self.post("{}", JSON), 400, msg)

    def test_empty_operand(self):
        self.error(self.get("a=&b=1"), 400, "operand 1 is empty")
        self.error(self.get("a=1&b="), 400, "operand 2 is empty")
        self.error(self.post('["1",""]', JSON), 400, "operand 2 is empty")

    def test_not_a_number(self):
        for i, bad in enumerate(["abc", "1,5", "0x10", "NaN", "Infinity", " 5", "5 ",
                                 "01", ".5", "5.", "1e", "--1", "+-1", "1 2"]):
            with self.subTest(bad=bad):
                self.error(self.get("a=1&b=" + quote(bad, safe="")), 400,
                           'operand 2 ("%s") is not a number' % bad)
        # '+' in a query string is a space
        self.error(self.get("a=+5"), 400, 'operand 1 (" 5") is not a number')

    def test_error_names_operand_safely(self):
        # '"', '\\', a control byte and invalid UTF-8, all escaped in valid JSON
        self.error(self.get("a=%22%5C%0A%FF"), 400,
                   'operand 1 (""\\?\ufffd") is not a number')
        self.error(self.get("a=%zz"), 400, "operand 1 has a malformed percent-encoding")
        self.error(self.get("a=1&b=" + "x" * 100), 400,
                   'operand 2 ("%s...") is not a number' % ("x" * 40))

    def test_method_not_allowed(self):
        for m in ["PUT", "DELETE", "PATCH", "OPTIONS"]:
            with self.subTest(method=m):
                st, hdrs, body = parse(curl("-i", "-X", m, self.server.url("/api/calcul")).stdout)
                self.assertEqual(st, 405)
                self.assertEqual(hdrs["allow"], "GET, HEAD, POST")
                self.assertEqual(hdrs["content-type"], JSON)
                self.assertEqual(json.loads(body),
                                 {"error": "method %s not allowed: use GET, HEAD, POST" % m})

    def test_not_found_below(self):
        for p in ["/api/calcul/anything", "/api/calcul/", "/api/calcul/x/y"]:
            with self.subTest(path=p):
                self.error(self.get("a=1", p), 404, "not found: the endpoint is /api/calcul")

    def test_unsupported_media_type(self):
        self.error(self.post("1", "text/plain"), 415,
                   'unsupported Content-Type "text/plain": send application/json or '
                   "application/x-www-form-urlencoded")
        self.error(self.post("a=1", None, "-H", "Content-Type:"), 415,
                   "missing Content-Type: send application/json or "
                   "application/x-www-form-urlencoded")
        self.error(self.post("a=1", "multipart/form-data; boundary=x"), 415,
                   'unsupported Content-Type "multipart/form-data": send application/json '
                   "or application/x-www-form-urlencoded")

    def test_body_too_large(self):
        body = "[" + ",".join(["1"] * 40000) + "]"
        st, hdrs, got = self.post(body, JSON)
        self.assertEqual(st, 413)
        self.assertEqual(hdrs.get("content-type"), JSON, got)
        self.assertEqual(json.loads(got),
                         {"error": "request body too large (at most 65536 bytes)"})

    # --- POST ---------------------------------------------------------------
    def test_post_form(self):
        self.ok(self.post("a=0.1&b=0.2", FORM), "0.1,0.2", "0.3")
        self.ok(self.post("n=%2B5&n=-1e1", FORM + "; charset=UTF-8"), "5,-10", "-5")
        self.error(self.post("a=1&b=x", FORM), 400, 'operand 2 ("x") is not a number')

    def test_post_json_array_and_object(self):
        self.ok(self.post("[0.1, 0.2]", JSON), "0.1,0.2", "0.3")
        self.ok(self.post('{"a":0.1,"b":0.2}', JSON), "0.1,0.2", "0.3")
        self.ok(self.post('{"z":1,"a":"2","m":-3.5}', JSON + "; charset=utf-8"), "1,2,-3.5",
                "-0.5")
        self.ok(self.post('["0.1", "+0.2", "1e3"]', JSON), "0.1,0.2,1000", "1000.3")
        self.ok(self.post('[1e2, -2.5E-1, 0, -0, 123456789012]', JSON),
                "100,-0.25,0,0,123456789012", "123456789111.75")
        self.ok(self.post(' \n[ "1" , 2 ]\n', JSON), "1,2", "3")

    def test_post_json_keeps_order_of_object(self):
        keys = ["k%d" % ((i * 37) % 50) for i in range(50)]
        body = "{" + ",".join('"%s":%d' % (k, i) for i, k in enumerate(keys)) + "}"
        self.ok(self.post(body, JSON), ",".join(str(i) for i in range(50)), str(sum(range(50))))

    def test_post_json_exactness(self):
        # a double keeps these exactly: the shortest repr equals the literal
        self.ok(self.post("[0.30000000000000004, 1e300, 5e-324]", JSON),
                "0.30000000000000004,1" + "0" * 300 + ",0." + "0" * 323 + "5",
                "1" + "0" * 300 + ".30000000000000004" + "0" * 306 + "5")
        self.ok(self.post("[9223372036854775807, -9223372036854775808]", JSON),
                "9223372036854775807,-9223372036854775808", "-1")
        # these it cannot: 400, saying so, instead of a rounded sum
        self.error(self.post("[0.1000000000000000055511151231257827, 1]", JSON), 400,
                   "operand 1 (0.1000000000000000055511151231257827) cannot be kept exact "
                   "by the JSON parser, which reads it as 0.1: send it as a string "
                   '("0.1000000000000000055511151231257827")')
        self.error(self.post("[1, 12345678901234567891]", JSON), 400,
                   "invalid JSON: too big integer near '12345678901234567891': the JSON parser "
                   "cannot keep this number exact (it holds 64-bit integers and doubles): "
                   "send it as a string")
        self.error(self.post("[1e400]", JSON), 400,
                   "invalid JSON: real number overflow near '1e400': the JSON parser cannot "
                   "keep this number exact (it holds 64-bit integers and doubles): send it "
                   "as a string")
        self.error(self.post("[1e-400]", JSON), 400,
                   "operand 1 (1e-400) cannot be kept exact by the JSON parser, which reads "
                   'it as 0: send it as a string ("1e-400")')
        # as strings they are exact
        self.ok(self.post('["12345678901234567891", "0.1000000000000000055511151231257827"]',
                          JSON), "12345678901234567891,0.1000000000000000055511151231257827",
                "12345678901234567891.1000000000000000055511151231257827")

    def test_post_json_errors(self):
        self.error(self.post('[1, "abc"]', JSON), 400, 'operand 2 ("abc") is not a number')
        self.error(self.post('[1, " 5"]', JSON), 400, 'operand 2 (" 5") is not a number')
        self.error(self.post('[1, "1e5000"]', JSON), 400,
                   'operand 2 ("1e5000") is out of range: ' + RANGE)
        for v in ["true", "null", "[1]", '{"a":1}']:
            with self.subTest(v=v):
                self.error(self.post("[1, %s]" % v, JSON), 400,
                           "operand 2 is not a number or a numeric string")
        for v in ["5", '"5"', "null"]:
            with self.subTest(top=v):
                self.error(self.post(v, JSON), 400,
                           "the JSON body must be an array or an object of numbers")
        self.error(self.post("[1,", JSON), 400,
                   "invalid JSON: ']' expected near end of file (line 1, column 3)")
        self.error(self.post("[NaN]", JSON), 400,
                   "invalid JSON: invalid token near 'NaN' (line 1, column 4)")
        self.error(self.post('{"a":1,"a":2}', JSON), 400,
                   "invalid JSON: duplicate object key near '\"a\"' (line 1, column 10)")

    def test_chunked_body(self):
        self.ok(self.post("[2,3]", JSON, "-H", "Transfer-Encoding: chunked"), "2,3", "5")

    def test_keep_alive(self):
        req = (b"GET /api/calcul?a=1&b=2 HTTP/1.1\r\nHost: x\r\n\r\n"
               b"POST /api/calcul HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: 9\r\n\r\n[0.1,0.2]"
               b"PUT /api/calcul HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
               b"GET /api/calcul?a=4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        rs = parse_responses(raw(self.server, req))
        self.assertEqual([(s, b) for s, _, b in rs], [
            (200, b'{"operands":[1,2],"sum":3}'),
            (200, b'{"operands":[0.1,0.2],"sum":0.3}'),
            (405, b'{"error":"method PUT not allowed: use GET, HEAD, POST"}'),
            (200, b'{"operands":[4],"sum":4}'),
        ])

    def test_static_still_served(self):
        st, _, body = self.get(None, "/index.html")
        self.assertEqual((st, body), (200, b"hi\n"))


if __name__ == "__main__":
    unittest.main()
