/* fasthead.c: plain heads taken and declined, browsers' heads, and
 * heads whose names and values end where the 16-byte scans change over
 * (15, 16, 17 bytes before the end), read by fasthead exactly as llhttp
 * reads them; and read from a buffer of exactly the head and its NUL
 * (under ASan: no byte past it read). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fasthead.h"
#include "request.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static void reader_over(struct reader *rd, const char *bytes, size_t n, bool no_fast)
{
	memset(rd, 0, sizeof(*rd));
	request_init(rd);
	rd->no_fast = no_fast;
	request_reset(rd);
	assert_int_equal(buf_append(&rd->in, bytes, n), 0);
}

static void assert_same_span(struct span a, struct span b)
{
	assert_int_equal(a.off, b.off);
	assert_int_equal(a.len, b.len);
}

static void assert_same_request(const struct request *a, const struct request *b)
{
	int h;

	assert_int_equal(a->method, b->method);
	assert_int_equal(a->minor, b->minor);
	assert_int_equal(a->keep_alive, b->keep_alive);
	assert_int_equal(a->has_body, b->has_body);
	assert_int_equal(a->nheaders, b->nheaders);
	assert_same_span(a->method_s, b->method_s);
	assert_same_span(a->url, b->url);
	assert_same_span(a->path, b->path);
	assert_same_span(a->query, b->query);
	for (h = 0; h < H__COUNT; h++)
		assert_same_span(a->hdr[h], b->hdr[h]);
}

/* The head read by the server (fasthead first) and by llhttp alone: the
 * same answer; fast says whether fasthead took it. Then fasthead again
 * over a copy with no byte after the NUL. */
static void two_ways(const char *head, size_t n, bool fast)
{
	struct reader a, b;
	enum status sa = S_OK, sb = S_OK;
	const char *wa = NULL, *wb = NULL;
	enum rq_step step_a, step_b;
	struct request r;
	char *exact;
	size_t len;

	reader_over(&a, head, n, false);
	reader_over(&b, head, n, true);
	step_a = request_head(&a, false, &sa, &wa);
	step_b = request_head(&b, false, &sb, &wb);
	if (a.fast != fast)
		print_error("fast %d, want %d: %.*s\n", a.fast, fast, (int)n, head);
	assert_int_equal(a.fast, fast);
	assert_false(b.fast);
	assert_int_equal(step_a, step_b);
	assert_int_equal(sa, sb);
	assert_true(wa == wb || (wa && wb && strcmp(wa, wb) == 0));
	if (step_a == RQ_HEAD) {
		assert_int_equal(request_body(&a, NULL, NULL, &sa, &wa), RQ_DONE);
		assert_int_equal(request_body(&b, NULL, NULL, &sb, &wb), RQ_DONE);
		assert_int_equal(a.pos, b.pos);
		assert_int_equal(a.req.head_end, b.req.head_end);
		assert_same_request(&a.req, &b.req);
	}
	exact = malloc(n + 1);
	assert_non_null(exact);
	memcpy(exact, head, n);
	exact[n] = '\0';
	memset(&r, 0, sizeof(r));
	len = fasthead_parse(&r, exact, n);
	assert_int_equal(len != 0, fast);
	if (fast) {
		assert_int_equal(len, b.req.head_end);
		assert_same_request(&r, &b.req);
	}
	free(exact);
	request_release(&a);
	request_release(&b);
}

#define S(lit) lit, sizeof(lit) - 1

static const struct {
	const char *head;
	size_t n;
	bool fast;
} heads[] = {
	/* Chrome 131 */
	{ S("GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: keep-alive\r\n"
	    "Cache-Control: max-age=0\r\n"
	    "sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n"
	    "sec-ch-ua-mobile: ?0\r\nsec-ch-ua-platform: \"Linux\"\r\n"
	    "Upgrade-Insecure-Requests: 1\r\n"
	    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
	    "Chrome/131.0.0.0 Safari/537.36\r\n"
	    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
	    "image/webp,image/apng,*/*;q=0.8\r\n"
	    "Sec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-User: ?1\r\n"
	    "Sec-Fetch-Dest: document\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"
	    "Accept-Language: en-US,en;q=0.9\r\n\r\n"), true },
	/* Firefox 133, a revalidation */
	{ S("GET /index.html HTTP/1.1\r\nHost: www.example.org\r\n"
	    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0\r\n"
	    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
	    "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n"
	    "DNT: 1\r\nSec-GPC: 1\r\nConnection: keep-alive\r\nUpgrade-Insecure-Requests: 1\r\n"
	    "Sec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\nSec-Fetch-Site: none\r\n"
	    "Sec-Fetch-User: ?1\r\nIf-None-Match: \"64a-5e1c\"\r\nPriority: u=0, i\r\n\r\n"), true },
	/* curl, and make bench-instr's head: the last line < 16 bytes */
	{ S("GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n"),
	  true },
	{ S("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"), true },
	/* odd but legal: tabs, no SP, rare tchars, long names, OWS at ends */
	{ S("GET /a?b=c HTTP/1.1\r\nHOST:\tlocalhost\r\nX-Tab:\t\tv\t1\t \r\n"
	    "X_Odd~Name!#$%&'*+.^`|: ok\r\nAccept:*/*\r\n\r\n"), true },
	{ S("GET / HTTP/1.1\r\nhost:a\r\n"
	    "x-a-very-long-header-name-that-goes-past-thirty-two-bytes: \"v\" \r\n"
	    "Referer: \t \r\nCookie: a=b; c=d\r\n\r\n"), true },
	{ S("HEAD / HTTP/1.0\r\nUser-Agent: Wget/1.21\r\nAccept-Encoding: identity\r\n"
	    "Connection: Keep-Alive\r\n\r\n"), true },
	/* names that begin like ours, or have their length */
	{ S("GET / HTTP/1.1\r\nHost: a\r\nHosts: b\r\nHost-: c\r\nUpgrade-X: d\r\n"
	    "Upgrades: e\r\nProxy-Connections: f\r\nAccept-Languagf: g\r\nIf-Rangx: h\r\n\r\n"), true },
	/* the names and value told by compares, in any case, and near them;
	 * Host not first, and a second one */
	{ S("GET / HTTP/1.1\r\nUSER-AGENT: u\r\nHost: a\r\nconnectioN: close\r\n"
	    "User-Agenx: y\r\nConnectiom: z\r\nUser_Agent: w\r\n\r\n"), true },
	{ S("GET / HTTP/1.0\r\nConnection: KEEP-alive\r\n\r\n"), true },
	{ S("GET / HTTP/1.0\r\nConnection: Keep-Alive \r\nUser-agent:\tu\r\n\r\n"), true },
	{ S("GET / HTTP/1.0\r\nConnection: keep-alivf\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n"), true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nConnection: closf\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nConnection: clos\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nConnection: close_\r\n\r\n"), false },
	{ S("GET / HTTP/1.0\r\nConnection: keep_alive\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nX: 1\r\nHost: a\r\nHOST: a\r\n\r\n"), false },
	/* to llhttp: obs-text, controls, framing, upgrades */
	{ S("GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: caf\xc3\xa9\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX-Obs: \xff\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nUPGRADE: websocket\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nproxy-connection: keep-alive\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX\x80: b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX/Y: b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\r"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: b\r"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX-Name-Of-Sixteen"), false },
	/* Plain heads take fasthead's one pass, the others llhttp; either way
	 * the request comes out as llhttp alone reads it (fuzz_fasthead tries
	 * much more of this). */
	{ S("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"), true },
	{ S("HEAD /a/b.css?x=1&y=%41 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), true },
	{ S("GET / HTTP/1.0\r\n\r\n"), true },
	{ S("GET /x HTTP/1.1\r\nHost: h:8080\r\nConnection: close  \r\n"
	    "X-Long: 0123456789abcdefghijklmnopqrstuvwxyz0123456789 \t\r\n"
	    "Referer:\r\nIf-None-Match:   \"e\"\t\r\nIf-None-Match: \"second\"\r\n\r\n"), true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\n"), true },
	{ S("GET / HTTP/1.1\r\nHost: www.example.org:8080\r\n\r\n"), true },
	/* the names fasthead knows without its token loop, in any case,
	 * and names that only begin like them */
	{ S("GET / HTTP/1.1\r\nhOST: a\r\nuser-AGENT: b\r\nACCEPT: c\r\n"
	    "Accept-Encoding: d\r\naccept-language: e\r\nCONNECTION: keep-alive\r\n"
	    "Cache-Control: f\r\ncookie: g\r\nIf-None-Match: h\r\nReferer: i\r\n\r\n"), true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nHostx: b\r\nUser-Agents: c\r\nAccept-: d\r\n"
	    "Accept-Encodings: e\r\nReferer2: f\r\nCookies: g\r\nIf-None-Matc: h\r\n\r\n"), true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nUser_Agent: b\r\nConnection-X: c\r\n\r\n"), true },
	/* Host values fasthead tells by 16 bytes at once, or byte by byte */
	{ S("GET / HTTP/1.1\r\nHost: 127.0.0.1:18300\r\n\r\n"), true },
	{ S("GET / HTTP/1.1\r\nHost: a-b.c:\r\n\r\n"), true },
	{ S("GET / HTTP/1.1\r\nHost: Www.Example.COM:080\r\n\r\n"), true },
	{ S("GET / HTTP/1.1\r\nHost: 0123456789abcdef.org\r\n\r\n"), true },
	{ S("GET / HTTP/1.1\r\nHost: a_b~c!$&'()*+,;=d:1\r\n\r\n"), true },
	{ S("GET / HTTP/1.1\r\nHost: :80\r\nUser-Agent: b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a:80:90\r\nUser-Agent: b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a:8a\r\nUser-Agent: b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a::8\r\nUser-Agent: b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a/b\r\nUser-Agent: b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\tb\r\nUser-Agent: b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\xe9\r\nUser-Agent: b\r\n\r\n"), false },
	/* value bytes around where a scan stops */
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: 1234567\tb c\t\r\nY: 12345678 \r\n\r\n"), true },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: 12345\x7f\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nUser-Agent : b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nUser\rAgent: b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nAccept\x1a d\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n"), false },
	/* to llhttp */
	{ S("GET / HTTP/1.1\r\n\r\n"), false },           /* 400 for the missing Host */
	{ S("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), false }, /* 400: not uri-host */
	{ S("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost:\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: %41\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a \r\n\r\n"), false },
	{ S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nProxy-Connection: close\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nConnection: close, foo\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\t\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: \x80\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n folded\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\nHost: a\n\n"), false },
	{ S("GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n"), false },
	{ S("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), false },
	{ S("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), false },
	{ S("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), false },
	{ S("get / HTTP/1.1\r\nHost: a\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\n"), false },     /* not whole yet */
};

static void test_heads(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(heads); i++)
		two_ways(heads[i].head, heads[i].n, heads[i].fast);
}

/* A request asking for an upgrade is answered in HTTP/1.1 (the upgrade
 * ignored): the next one on the connection is read as usual, whichever
 * way it is read (llhttp alone used to refuse it: "Pause on
 * CONNECT/Upgrade"). */
static void test_after_upgrade(void **state)
{
	static const char two[] = "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n"
				  "Connection: Upgrade, HTTP2-Settings\r\n"
				  "HTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n"
				  "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
	int no_fast;

	(void)state;
	for (no_fast = 0; no_fast < 2; no_fast++) {
		struct reader rd;
		enum status st = S_OK;
		const char *why = NULL;

		reader_over(&rd, S(two), no_fast);
		assert_int_equal(request_head(&rd, false, &st, &why), RQ_HEAD);
		assert_int_equal(request_body(&rd, NULL, NULL, &st, &why), RQ_DONE);
		assert_true(rd.req.keep_alive);
		request_next(&rd);
		request_reset(&rd);
		assert_int_equal(request_head(&rd, false, &st, &why), RQ_HEAD);
		assert_int_equal(rd.req.url.len, 2);
		assert_memory_equal(span_ptr(&rd.req, rd.req.url), "/b", 2);
		assert_int_equal(request_body(&rd, NULL, NULL, &st, &why), RQ_DONE);
		request_release(&rd);
	}
}


/* One last line "NAME: VALUE" before the blank line, its name or value
 * k bytes long (k from 0 to 40: ending 15, 16, 17 bytes before the end
 * and across two 16-byte steps), with a last byte that is plain, OWS, a
 * rarer tchar or obs-text. */
static void test_scan_ends(void **state)
{
	static const struct {
		char last;
		bool in_name_fast, in_value_fast;
	} lasts[] = {
		{ 'x', true, true }, { '-', true, true }, { '_', true, true },
		{ '\t', false, true }, { ' ', false, true }, { '"', false, true },
		{ '\x7f', false, false }, { '\x80', false, false }, { '\x01', false, false },
	};
	char head[256], body[64];
	size_t k, j;
	int n;

	(void)state;
	for (k = 0; k <= 40; k++) {
		for (j = 0; j < LEN(lasts); j++) {
			memset(body, 'a', k);
			if (k)
				body[k - 1] = lasts[j].last;
			/* the name */
			n = snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: a\r\n%.*s: v\r\n\r\n",
				     (int)k, body);
			assert_true(n > 0 && (size_t)n < sizeof(head));
			two_ways(head, (size_t)n, k > 0 && lasts[j].in_name_fast);
			/* the value */
			n = snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: a\r\nX: %.*s\r\n\r\n",
				     (int)k, body);
			assert_true(n > 0 && (size_t)n < sizeof(head));
			two_ways(head, (size_t)n, k == 0 || lasts[j].in_value_fast);
		}
	}
}

/* The header count limit, now checked after the last line: the limit
 * taken, one more line to llhttp (431). */
static void test_count_limit(void **state)
{
	char *head = malloc(64 + 8 * (HTTP_HEADER_COUNT_MAX + 1));
	int lines, k;
	size_t n;

	(void)state;
	assert_non_null(head);
	for (lines = HTTP_HEADER_COUNT_MAX; lines <= HTTP_HEADER_COUNT_MAX + 1; lines++) {
		n = (size_t)sprintf(head, "GET / HTTP/1.1\r\nHost: a\r\n");
		for (k = 1; k < lines; k++)
			n += (size_t)sprintf(head + n, "X%02d: v\r\n", k % 100);
		n += (size_t)sprintf(head + n, "\r\n");
		two_ways(head, n, lines <= HTTP_HEADER_COUNT_MAX);
	}
	free(head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heads),
		cmocka_unit_test(test_after_upgrade),
		cmocka_unit_test(test_scan_ends),
		cmocka_unit_test(test_count_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
