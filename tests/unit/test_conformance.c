/* Raw bytes through the I/O-free engine (conn_new / conn_parse / conn_next):
 * the answer's status and whether the connection closes, one row per case
 * (issue 15: framing, request line, Host, limits, paths, scripts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgi.h"
#include "config.h"
#include "conn.h"
#include "path.h"
#include "route.h"
#include "static.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S(lit) lit, sizeof(lit) - 1
#define WAITS 0 /* no answer yet: the engine waits for more bytes */

static char home[] = "/tmp/httpd-conf-XXXXXX";

static void put_file(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", home, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void sub(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", home, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
	char path[256], conf[256];

	(void)state;
	if (!mkdtemp(home))
		return -1;
	put_file("index.html", "<p>home</p>\n");
	put_file("a.txt", "hello\n");
	put_file("caf\xc3\xa9.txt", "utf-8\n");
	sub("evil.com");
	put_file("evil.com/index.html", "evil\n");
	sub("app");
	put_file("app/index.cgi", "#!/bin/sh\necho secret source\n");
	put_file("app/index.cgi.gz", "gzipped secret source\n");
	put_file("app/t.cgi.br", "brotli secret source\n");
	put_file("app/ok.txt", "fine\n");
	snprintf(path, sizeof(path), "%s/app/link.txt", home);
	if (symlink("index.cgi", path) < 0)
		return -1;
	sub("cgi-bin");
	put_file("cgi-bin/x.sh", "#!/bin/sh\necho secret\n");
	snprintf(path, sizeof(path), "%s/alias.txt", home);
	if (symlink("cgi-bin/x.sh", path) < 0)
		return -1;
	put_file("conf", "*.cgi:/bin/sh\nI:index.cgi\n");
	snprintf(conf, sizeof(conf), "%s/conf", home);
	if (path_init(home) < 0 || static_init() < 0 || config_load(conf, home) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	return system(cmd) == 0 ? 0 : -1;
}

struct row {
	const char *in;
	size_t n;
	int want;       /* status of the first answer, or WAITS */
	bool close;     /* the connection closes after it */
};

/* The first answer to in: its status (WAITS when none yet) and close. */
static int first_answer(const char *in, size_t n, bool *close, struct conn **out)
{
	struct conn *c = conn_new(-1, -1, NULL);
	int st = WAITS;

	assert_non_null(c);
	assert_int_equal(buf_append(&c->rd.in, in, n), 0);
	c->rd.req.base = c->rd.in.data;
	if (conn_parse(c)) {
		st = c->resp.status;
		*close = c->resp.close;
	}
	if (out)
		*out = c;
	else
		conn_free(c);
	return st;
}

/* A row's bytes on one line, for the failure message. */
static const char *shown(const char *in, size_t n)
{
	static char out[200];
	size_t i, o = 0;

	for (i = 0; i < n && o < sizeof(out) - 5; i++)
		o += (size_t)(in[i] >= ' ' && in[i] < 0x7f
			      ? snprintf(out + o, 2, "%c", in[i])
			      : snprintf(out + o, 5, "\\x%02x", (unsigned char)in[i]));
	out[o] = '\0';
	return out;
}

static int run_rows(const struct row *rows, size_t n)
{
	size_t i;
	int bad = 0;

	for (i = 0; i < n; i++) {
		bool close = false;
		int st = first_answer(rows[i].in, rows[i].n, &close, NULL);

		if (st != rows[i].want || (st != WAITS && close != rows[i].close)) {
			print_error("row %zu \"%s\": status %d close %d, want %d close %d\n",
				    i, shown(rows[i].in, rows[i].n), st, close, rows[i].want, rows[i].close);
			bad++;
		}
	}
	return bad;
}

#define H11 " HTTP/1.1\r\nHost: x\r\n"

/* RFC 9112 §6: framing that could be read two ways is 400, then close. */
static const struct row framing[] = {
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"),
	  S_METHOD_NOT_ALLOWED, false },
	/* item 3: Transfer-Encoding present, final coding not chunked */
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n"
	    "Content-Length: 5\r\n\r\nhello"), S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: \r\n"
	    "Content-Length: 5\r\n\r\nhello"), S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding:  \t \r\n\r\nhello"), S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n\r\n"),
	  S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n"
	    "Content-Length: 5\r\n\r\nhello"), S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n"
	    "Content-Length: 5\r\n\r\nhello"), S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
	  S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n0\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), S_BAD_REQUEST, true },
	/* a coding we do not implement before chunked: 501 (§6.1), close */
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
	    "0\r\n\r\n"), S_NOT_IMPLEMENTED, true },
	/* chunked alone, any case, with OWS: framed by it */
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked \r\n\r\n"
	    "0\r\n\r\n"), S_METHOD_NOT_ALLOWED, false },
	/* item 4: Transfer-Encoding in HTTP/1.0 is faulty framing (§6.1) */
	{ S("POST /a.txt HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
	  S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), S_BAD_REQUEST, true },
	/* item 5: a bare CR in a chunk header */
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\r;ABCD\r\nhello\r\n0\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\r;ABCD\r\n"), S_BAD_REQUEST, true },  /* as sent: no waiting */
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n3\rxabc\r\n"), S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5;a=b\rc\r\nhello\r\n0\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5;a\r\r\nhello\r\n0\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n0\r\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("POST /a.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5;ext=\"v\"\r\nhello\r\n0\r\n\r\n"), S_METHOD_NOT_ALLOWED, false },
};

/* RFC 9112 §3, RFC 9110 §7.2: the request line and Host. */
static const struct row line_host[] = {
	{ S("GET /a.txt" H11 "\r\n"), S_OK, false },
	/* item 6: Host is uri-host [ ":" port ] */
	{ S("GET /a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), S_OK, false },
	{ S("GET /a.txt HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"), S_OK, false },
	{ S("GET /a.txt HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"), S_OK, false },
	{ S("GET /a.txt HTTP/1.1\r\nHost: [v1.x]\r\n\r\n"), S_OK, false },
	{ S("GET /a.txt HTTP/1.1\r\nHost: ex-ample.COM.:\r\n\r\n"), S_OK, false },
	{ S("GET /a.txt HTTP/1.1\r\nHost: a%41b!$&'()*+,;=_~\r\n\r\n"), S_OK, false },
	{ S("GET /a.txt HTTP/1.1\r\nHost: user@127.0.0.1\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: 127.0.0.1/path\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: a.example, b.example\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost:\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: \r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: x:80a\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: x:8:0\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: [::1\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: [::g]\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: [::1]x\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: ::1\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: a%4\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: a\"b\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: a?b\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: a#b\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: a\\b\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.0\r\nHost: a b\r\n\r\n"), S_BAD_REQUEST, true },
	/* absolute-form: Host is still checked for syntax */
	{ S("GET http://x/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"), S_OK, false },
	/* item 8: exactly one SP between the parts */
	{ S("GET  /a.txt HTTP/1.1\r\nHost: x\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt  HTTP/1.1\r\nHost: x\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET /a.txt HTTP/1.1 \r\nHost: x\r\n\r\n"), S_BAD_REQUEST, true },
	{ S("GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n"), S_BAD_REQUEST, true },
	/* item 7: bytes that cannot begin a request line, answered at once */
	{ S("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), S_BAD_REQUEST, true },
	{ S("\x80\x01"), S_BAD_REQUEST, true },
	{ S("\x00"), S_BAD_REQUEST, true },
	{ S(" GET / HTTP/1.1\r\n"), S_BAD_REQUEST, true },
	{ S("GE\x01"), S_BAD_REQUEST, true },
	{ S("GET"), WAITS, false },           /* could still be a request */
	{ S("\r\n\r\nGET"), WAITS, false },   /* empty lines first: ignored (§2.2) */
	{ S("\r\n\nGET /a.txt" H11 "\r\n"), S_OK, false },
	/* item 10: the decoded path is UTF-8 */
	{ S("GET /caf\xc3\xa9.txt" H11 "\r\n"), S_OK, false },
	{ S("GET /caf%C3%A9.txt" H11 "\r\n"), S_OK, false },
	{ S("GET /\xc0\xaf" H11 "\r\n"), S_BAD_REQUEST, false },
	{ S("GET /%C0%AF" H11 "\r\n"), S_BAD_REQUEST, false },
	{ S("GET /%ED%A0%80" H11 "\r\n"), S_BAD_REQUEST, false },  /* surrogate */
	{ S("GET /caf%C3" H11 "\r\n"), S_BAD_REQUEST, false },     /* cut short */
	{ S("GET /caf\xc3(" H11 "\r\n"), S_BAD_REQUEST, false },   /* bad continuation */
	{ S("GET /%F4%90%80%80" H11 "\r\n"), S_BAD_REQUEST, false }, /* past U+10FFFF */
	{ S("GET /\xff" H11 "\r\n"), S_BAD_REQUEST, false },
	{ S("GET /missing%C3%A9" H11 "\r\n"), S_NOT_FOUND, false },
};

static void test_framing(void **state)
{
	(void)state;
	assert_int_equal(run_rows(framing, LEN(framing)), 0);
}

static void test_line_and_host(void **state)
{
	(void)state;
	assert_int_equal(run_rows(line_host, LEN(line_host)), 0);
}

/* A request of n bytes: "GET /" + path of fill bytes (segments of seg
 * bytes when seg > 0) + version. */
static char *long_request(size_t path, size_t seg, size_t *n)
{
	char *r = malloc(path + 64);
	size_t o, i;

	assert_non_null(r);
	o = (size_t)sprintf(r, "GET /");
	for (i = 0; i < path; i++)
		r[o + i] = seg && i % (seg + 1) == seg ? '/' : 'a';
	o += path;
	o += (size_t)sprintf(r + o, " HTTP/1.1\r\nHost: x\r\n\r\n");
	*n = o;
	return r;
}

/* item 9: the documented 8 KiB request line; a path that cannot exist is
 * a 404, not a 414; a line with no space is an over-long method: 501. */
static void test_limits(void **state)
{
	static const struct {
		size_t path, seg;
		int want;
		bool close;
	} cases[] = {
		{ 7000, 0, S_NOT_FOUND, false },
		{ 256, 0, S_NOT_FOUND, false },
		{ 300, 0, S_NOT_FOUND, false },
		{ 5000, 100, S_NOT_FOUND, false },
		{ HTTP_URL_MAX - 1, 0, S_NOT_FOUND, false },
		{ HTTP_URL_MAX + 10, 0, S_URI_TOO_LONG, true },
	};
	size_t i, n;
	bool close;
	char *r;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		r = long_request(cases[i].path, cases[i].seg, &n);
		close = !cases[i].close;
		if (first_answer(r, n, &close, NULL) != cases[i].want || close != cases[i].close)
			fail_msg("path of %zu bytes (segments %zu): want %d", cases[i].path,
				 cases[i].seg, cases[i].want);
		free(r);
	}
	/* 100 KB of 'A': an over-long method (RFC 9112 §3: 501), not an
	 * over-long URI */
	n = 100 * 1024;
	r = malloc(n);
	assert_non_null(r);
	memset(r, 'A', n);
	close = false;
	assert_int_equal(first_answer(r, n, &close, NULL), S_NOT_IMPLEMENTED);
	assert_true(close);
	free(r);
}

/* item 2: the directory redirect is built from the resolved path. */
static void test_redirect_location(void **state)
{
	static const struct {
		const char *path, *want;
	} cases[] = {
		{ "//evil.com", "Location: /evil.com/\r\n" },
		{ "///evil.com", "Location: /evil.com/\r\n" },
		{ "/./evil.com", "Location: /evil.com/\r\n" },
		{ "/%2e/evil.com", "Location: /evil.com/\r\n" },
		{ "/evil.com?a=b", "Location: /evil.com/?a=b\r\n" },
		{ "/a/../evil.com", "Location: /evil.com/\r\n" },
		{ "http://h//evil.com", "Location: /evil.com/\r\n" },
		{ "/app", "Location: /app/\r\n" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		char in[256];
		int n = snprintf(in, sizeof(in), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n",
				 cases[i].path);
		struct conn *c;
		bool close = false;

		assert_int_equal(first_answer(in, (size_t)n, &close, &c), S_MOVED_PERMANENTLY);
		if (!memmem(c->tx.out.data, c->tx.out.len, cases[i].want, strlen(cases[i].want)))
			fail_msg("%s: head %.*s", cases[i].path, (int)c->tx.out.len, c->tx.out.data);
		conn_free(c);
	}
}

/* item 2, CGI: a script's Location may not be a network-path reference. */
static void test_cgi_location(void **state)
{
	static const struct {
		const char *line;
		int rc;
	} cases[] = {
		{ "Location: /index.html", 0 },
		{ "Location: http://example.invalid/x", 0 },
		{ "Location: //evil.com/", -1 },
		{ "Location: /\\evil.com/", -1 },
		{ "Location: /\\/evil.com/", -1 },
		{ "location:  //evil.com", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		struct buf hdrs = BUF_INIT(HTTP_HDRS_MAX);
		struct response resp = { .hdrs = &hdrs };
		int status = 0;
		bool ctype = false;
		long long clen = -1;

		if (cgi_header_line(cases[i].line, strlen(cases[i].line), &resp, &status,
				    &ctype, &clen) != cases[i].rc)
			fail_msg("%s: want %d", cases[i].line, cases[i].rc);
		buf_free(&hdrs);
	}
}

/* item 1: "is this a script?" on the resolved file. */
static void test_cgi_claims(void **state)
{
	static const struct {
		const char *rel;
		bool want;
	} cases[] = {
		{ "index.cgi", true },
		{ "app/index.cgi", true },
		{ "app/index.cgi.gz", true },
		{ "app/t.cgi.br", true },
		{ "cgi-bin/x.sh", true },
		{ "cgi-bin/x.sh.gz", true },
		{ "cgi-bin/sub/y", true },
		{ "a.txt", false },
		{ "a.txt.gz", false },
		{ "cgi-bin", false },
		{ "app/cgi-bin/x", false },
		{ "index.cgi.txt", false },
		{ ".", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++)
		if (cgi_claims(cases[i].rel) != cases[i].want)
			fail_msg("%s: want %d", cases[i].rel, cases[i].want);
}

/* item 1: no way into a script's bytes through the static files. */
static const struct row scripts[] = {
	{ S("GET /app/ok.txt" H11 "\r\n"), S_OK, false },
	{ S("GET /app/index.cgi.gz" H11 "\r\n"), S_FORBIDDEN, false },
	{ S("HEAD /app/index.cgi.gz" H11 "\r\n"), S_FORBIDDEN, false },
	{ S("GET /app/t.cgi.br" H11 "Range: bytes=0-3\r\n\r\n"), S_FORBIDDEN, false },
	{ S("GET /app/link.txt" H11 "\r\n"), S_FORBIDDEN, false },
	{ S("GET /app/link.txt" H11 "If-None-Match: *\r\n\r\n"), S_FORBIDDEN, false },
	{ S("GET /alias.txt" H11 "\r\n"), S_FORBIDDEN, false },
	{ S("HEAD /alias.txt" H11 "Range: bytes=0-1\r\n\r\n"), S_FORBIDDEN, false },
};

static void test_script_bytes_never_sent(void **state)
{
	(void)state;
	assert_int_equal(run_rows(scripts, LEN(scripts)), 0);
}

/* item 1: a directory whose index file is a script routes to the script. */
static void test_index_script_routed(void **state)
{
	static const char *const reqs[] = {
		"GET /app/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"HEAD /app/ HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /app/ HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\n\r\n",
		"GET /app/ HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\n\r\n",
		"GET /app/ HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
		"GET //app/./ HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < LEN(reqs); i++) {
		struct conn *c = conn_new(-1, -1, NULL);

		assert_non_null(c);
		buf_append(&c->rd.in, reqs[i], strlen(reqs[i]));
		c->rd.req.base = c->rd.in.data;
		/* the head alone decides the route (as parse_head does) */
		llhttp_execute(&c->rd.parser, c->rd.in.data, c->rd.in.len);
		c->rd.req.path = c->rd.req.url;
		route_decide(&c->route, &c->rd.req, false);
		if (c->route.kind != R_CGI)
			fail_msg("%s: not routed to the script", reqs[i]);
		conn_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_line_and_host),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_redirect_location),
		cmocka_unit_test(test_cgi_location),
		cmocka_unit_test(test_cgi_claims),
		cmocka_unit_test(test_script_bytes_never_sent),
		cmocka_unit_test(test_index_script_routed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
