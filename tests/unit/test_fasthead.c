/* fasthead.c: browsers' heads, and heads whose names and values end
 * where the 16-byte scans change over (15, 16, 17 bytes before the end),
 * read by fasthead exactly as llhttp reads them; and read from a buffer
 * of exactly the head and its NUL (under ASan: no byte past it read). */
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
	assert_int_equal(step_a, step_b);
	assert_int_equal(sa, sb);
	if (step_a == RQ_HEAD) {
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
};

static void test_heads(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(heads); i++)
		two_ways(heads[i].head, heads[i].n, heads[i].fast);
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
		cmocka_unit_test(test_scan_ends),
		cmocka_unit_test(test_count_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
