/* upstream.c: P: targets, longest prefixes, dot segments, and the heads
 * passed on (path rewritten, hop-by-hop headers removed), by tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "request.h"
#include "upstream.h"

struct pcase {
	const char *prefix, *target;
	int rc;
	const char *host, *authority, *path; /* or the error's start */
	unsigned port;
};

static const struct pcase parse_cases[] = {
	{ "/api/", "http://127.0.0.1:80/cgi-bin/", 0, "127.0.0.1", "127.0.0.1", "/cgi-bin/", 80 },
	{ "/api", "127.0.0.1:9000/api", 0, "127.0.0.1", "127.0.0.1:9000", "/api", 9000 },
	{ "/u", "HTTP://Host-1.example_x:8080/", 0, "Host-1.example_x", "Host-1.example_x:8080",
	  "/", 8080 },
	{ "/v6", "http://[::1]:3000/x", 0, "::1", "[::1]:3000", "/x", 3000 },
	{ "/v6", "[2001:db8::1]/", 0, "2001:db8::1", "[2001:db8::1]", "/", 80 },
	{ "/", "h/a%20b/", 0, "h", "h", "/a%20b/", 80 },
	/* refused */
	{ "api", "h/", -1, "P: URL 'api' must start", NULL, NULL, 0 },
	{ "/a", "https://h/", -1, "upstream 'https://h/': only http://", NULL, NULL, 0 },
	{ "/a", "ftp://h/", -1, "upstream 'ftp://h/': only http://", NULL, NULL, 0 },
	{ "/a", "h", -1, "expected P:", NULL, NULL, 0 },
	{ "/a", "h:80", -1, "expected P:", NULL, NULL, 0 },
	{ "/a", "/path", -1, "expected P:", NULL, NULL, 0 },
	{ "/a", "http:///path", -1, "expected P:", NULL, NULL, 0 },
	{ "/a", "h:0/", -1, "upstream 'h:0/': bad port", NULL, NULL, 0 },
	{ "/a", "h:65536/", -1, "upstream 'h:65536/': bad port", NULL, NULL, 0 },
	{ "/a", "h:/", -1, "upstream 'h:/': bad port", NULL, NULL, 0 },
	{ "/a", "h:8x/", -1, "expected P:", NULL, NULL, 0 },
	{ "/a", "[::1/", -1, "upstream '[::1/': bad IPv6", NULL, NULL, 0 },
	{ "/a", "[zz]/", -1, "upstream '[zz]/': bad IPv6", NULL, NULL, 0 },
	{ "/a", "h@x/", -1, "upstream 'h@x/': bad host", NULL, NULL, 0 },
	{ "/a", "h/x?q=1", -1, "upstream 'h/x?q=1': the path", NULL, NULL, 0 },
	{ "/a", "h/x#f", -1, "upstream 'h/x#f': the path", NULL, NULL, 0 },
};

static void test_parse(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct pcase *c = &parse_cases[i];
		struct upstream u;
		char err[256] = "";
		int rc = upstream_parse(c->prefix, c->target, &u, err, sizeof(err));

		if (rc != c->rc)
			fail_msg("%s %s: rc %d (%s)", c->prefix, c->target, rc, err);
		if (rc < 0) {
			if (strncmp(err, c->host, strlen(c->host)) != 0)
				fail_msg("%s: error '%s'", c->target, err);
			continue;
		}
		assert_string_equal(u.prefix, c->prefix);
		assert_string_equal(u.host, c->host);
		assert_string_equal(u.authority, c->authority);
		assert_string_equal(u.path, c->path);
		assert_int_equal(u.port, c->port);
	}
}

static void test_resolve(void **state)
{
	struct upstream u;
	char err[256];

	(void)state;
	assert_int_equal(upstream_parse("/a", "127.0.0.1:81/", &u, err, sizeof(err)), 0);
	assert_int_equal(upstream_resolve(&u, err, sizeof(err)), 0);
	assert_int_equal(u.naddr, 1);
	assert_int_equal(u.addr[0].ss_family, AF_INET);
	assert_int_equal(upstream_parse("/a", "[::1]:81/", &u, err, sizeof(err)), 0);
	assert_int_equal(upstream_resolve(&u, err, sizeof(err)), 0);
	assert_int_equal(u.addr[0].ss_family, AF_INET6);
	assert_int_equal(upstream_parse("/a", "no-such-host.invalid/", &u, err, sizeof(err)), 0);
	assert_int_equal(upstream_resolve(&u, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot resolve upstream host 'no-such-host.invalid'"));
}

static void test_match(void **state)
{
	static const char *const prefixes[] = { "/a/", "/a/b/", "/x", "/" };
	static const struct { const char *path; int want; } cases[] = {
		{ "/a/b/c", 1 }, { "/a/b/", 1 }, { "/a/b", 0 }, { "/a/bc", 0 }, { "/a/", 0 },
		{ "/a", 3 }, { "/xyz", 2 }, { "/x", 2 }, { "/", 3 }, { "", -1 }, { "*", -1 },
	};
	struct upstream u[4];
	char err[64];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(upstream_parse(prefixes[i], "h/", &u[i], err, sizeof(err)), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct upstream *m = upstream_match(u, 4, cases[i].path,
							  strlen(cases[i].path));

		if ((m ? (int)(m - u) : -1) != cases[i].want)
			fail_msg("%s: rule %d", cases[i].path, m ? (int)(m - u) : -1);
	}
	assert_null(upstream_match(u, 3, "/b", 2)); /* without "/" */
}

static void test_dot_segment(void **state)
{
	static const struct { const char *p; bool dot; } cases[] = {
		{ "/a/../b", true }, { "/a/..", true }, { "/..", true }, { "/./a", true },
		{ "/a/.", true }, { "/%2e%2e/x", true }, { "/%2E./x", true }, { "/.%2e", true },
		{ "/a/%2e/b", true },
		{ "/a..b", false }, { "/.x/", false }, { "/.../", false }, { "/%2e%2e%2e", false },
		{ "/a%2eb", false }, { "/a/b", false }, { "/", false }, { "/%2", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (upstream_dot_segment(cases[i].p, strlen(cases[i].p)) != cases[i].dot)
			fail_msg("%s", cases[i].p);
}

/* The head for the upstream, from raw request bytes. */
static char *request_head_for(const char *raw, const char *prefix, const char *target)
{
	struct reader rd;
	struct upstream u;
	struct buf out = BUF_INIT(64 * 1024 + 1);
	enum status st = S_OK;
	const char *why = NULL;
	char err[128];

	memset(&rd, 0, sizeof(rd));
	request_init(&rd);
	request_reset(&rd);
	assert_int_equal(buf_append(&rd.in, raw, strlen(raw)), 0);
	rd.req.base = rd.in.data;
	if (request_head(&rd, false, &st, &why) != RQ_HEAD)
		fail_msg("%s: %d %s", raw, st, why ? why : "");
	assert_int_equal(upstream_parse(prefix, target, &u, err, sizeof(err)), 0);
	assert_int_equal(upstream_request_head(&out, &rd.req, &u, "192.0.2.7"), 0);
	assert_int_equal(buf_append(&out, "", 1), 0);
	request_release(&rd);
	return out.data;
}

static const struct { const char *raw, *prefix, *target, *want; } head_cases[] = {
	{ "GET /api/x/y?a=1&b HTTP/1.1\r\nHost: site:8080\r\nUser-Agent: t\r\n\r\n",
	  "/api/", "127.0.0.1:9000/cgi-bin/",
	  "GET /cgi-bin/x/y?a=1&b HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nUser-Agent: t\r\n"
	  "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: http\r\n"
	  "X-Forwarded-Host: site:8080\r\nVia: 1.1 httpd\r\nConnection: close\r\n\r\n" },
	/* hop-by-hop, those Connection names, and ours replaced */
	{ "DELETE /a? HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Hop ,Other\r\n"
	  "X-Hop: 1\r\nother: 2\r\nKeep-Alive: 5\r\nTE: trailers\r\nUpgrade: h2c\r\n"
	  "Proxy-Authorization: x\r\nProxy-Connection: y\r\nTrailer: z\r\nExpect: 100-continue\r\n"
	  "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\nX-Forwarded-Proto: https\r\n"
	  "X-Forwarded-Host: evil\r\nVia: 1.0 other\r\nX-Ok:  v  \r\n\r\n",
	  "/a", "[::1]:81/b",
	  "DELETE /b? HTTP/1.1\r\nHost: [::1]:81\r\nVia: 1.0 other\r\nX-Ok: v\r\n"
	  "X-Forwarded-For: 10.0.0.1, 10.0.0.2, 192.0.2.7\r\nX-Forwarded-Proto: http\r\n"
	  "X-Forwarded-Host: h\r\nVia: 1.1 httpd\r\nConnection: close\r\n\r\n" },
	/* bodies: the length kept, chunked kept chunked; HTTP/1.0 without Host */
	{ "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n", "/", "u/",
	  "POST /p HTTP/1.1\r\nHost: u\r\nX-Forwarded-For: 192.0.2.7\r\n"
	  "X-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\nVia: 1.1 httpd\r\n"
	  "Content-Length: 12\r\nConnection: close\r\n\r\n" },
	{ "PUT /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", "/p", "u/q",
	  "PUT /q HTTP/1.1\r\nHost: u\r\nX-Forwarded-For: 192.0.2.7\r\n"
	  "X-Forwarded-Proto: http\r\nX-Forwarded-Host: h\r\nVia: 1.1 httpd\r\n"
	  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" },
	{ "GET http://x/p/%41 HTTP/1.0\n\n", "/p/", "u/", /* absolute-form, bare LF */
	  "GET /%41 HTTP/1.1\r\nHost: u\r\nX-Forwarded-For: 192.0.2.7\r\n"
	  "X-Forwarded-Proto: http\r\nVia: 1.0 httpd\r\nConnection: close\r\n\r\n" },
};

static void test_request_head(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(head_cases) / sizeof(head_cases[0]); i++) {
		char *got = request_head_for(head_cases[i].raw, head_cases[i].prefix,
					     head_cases[i].target);

		if (strcmp(got, head_cases[i].want) != 0)
			fail_msg("case %zu:\n%s\nwant:\n%s", i, got, head_cases[i].want);
		free(got);
	}
}

static void test_response_headers(void **state)
{
	static const char in[] =
		"Content-Type: text/plain\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\n"
		"Keep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n"
		"Server: up\r\nDate: x\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
		"Proxy-Authenticate: Basic\r\nUpgrade: h2\r\nETag: \"e\"\r\n";
	struct buf out = BUF_INIT(4097), small = BUF_INIT(20);

	(void)state;
	assert_int_equal(upstream_response_headers(&out, in, sizeof(in) - 1), 0);
	assert_int_equal(buf_append(&out, "", 1), 0);
	assert_string_equal(out.data, "Content-Type: text/plain\r\nSet-Cookie: a=1\r\n"
			    "Set-Cookie: b=2\r\nETag: \"e\"\r\nVia: 1.1 httpd\r\n");
	assert_int_equal(upstream_response_headers(&small, in, sizeof(in) - 1), -1);
	buf_free(&small);
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_dot_segment),
		cmocka_unit_test(test_request_head),
		cmocka_unit_test(test_response_headers),
	};

	return cmocka_run_group_tests_name("upstream", tests, NULL, NULL);
}
