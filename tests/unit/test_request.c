/* request.c: the request reader (head scan, llhttp glue, checks, body
 * framing), a head read through request_head as conn.c reads it; bodies
 * driven through llhttp as request_body drives it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "request.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S(lit) lit, sizeof(lit) - 1

struct parsed {
	llhttp_t p;
	struct request req;
	char *buf;
	size_t n;
	llhttp_errno_t err;
	enum status status; /* what the server answers: S_OK to serve */
};

/* Parse one head with the request reader (request_head, then the framing
 * check llhttp makes when it goes on past the head); the parser and the
 * request are left paused at the head's end, as the callers expect. */
static enum status parse(struct parsed *t, const char *head, size_t n)
{
	struct reader rd;
	const char *why = NULL;
	enum status st = S_OK;
	enum rq_step step;

	memset(t, 0, sizeof(*t));
	memset(&rd, 0, sizeof(rd));
	request_init(&rd);
	request_reset(&rd);
	assert_int_equal(buf_append(&rd.in, head, n), 0);
	rd.req.base = rd.in.data;
	step = request_head(&rd, false, &st, &why);
	if (step == RQ_HEAD) {
		llhttp_resume(&rd.parser);
		rd.req.keep_body = true;
		step = request_body(&rd, NULL, NULL, &st, &why);
		if (step != RQ_ERROR)
			st = S_OK;
	}
	assert_true(step != RQ_MORE || st == S_OK);
	/* every refusal names its reason (logged at -vv) */
	assert_true(st == S_OK || why != NULL || rd.req.error);
	t->n = rd.in.len;
	t->buf = malloc(t->n + 1);
	assert_non_null(t->buf);
	memcpy(t->buf, rd.in.data, t->n);
	t->buf[t->n] = '\0';
	t->p = rd.parser;
	t->p.data = &t->req;
	t->req = rd.req;
	t->req.base = t->buf;
	t->err = llhttp_get_errno(&rd.parser);
	if (st == S_OK) {
		/* back to the paused state at the head's end */
		t->err = HPE_PAUSED;
		t->p.error = HPE_PAUSED;
		t->p.error_pos = t->buf + t->req.head_end;
		t->n = t->req.head_end;
	}
	t->status = st;
	buf_free(&rd.in);
	buf_free(&rd.raw);
	buf_free(&rd.pipe_in);
	return st;
}

static void done(struct parsed *t)
{
	free(t->buf);
	t->buf = NULL;
}

static void assert_span(const struct request *r, struct span s, const char *want)
{
	if (s.len != strlen(want) || memcmp(span_ptr(r, s), want, s.len) != 0)
		fail_msg("span \"%.*s\", want \"%s\"", (int)s.len, span_ptr(r, s), want);
}

static void assert_header(const struct request *r, enum hdr h, const char *want)
{
	assert_true(http_has_header(r, h));
	assert_span(r, r->hdr[h], want);
}

struct head_case {
	const char *head;
	size_t n;
	enum status want;
};

static const struct head_case heads[] = {
	/* accepted */
	{ S("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), S_OK },
	{ S("GET / HTTP/1.0\r\n\r\n"), S_OK },
	{ S("HEAD /a?b=c HTTP/1.0\r\n\r\n"), S_OK },
	{ S("POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n"), S_OK },
	{ S("POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"), S_OK },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\r\n"), S_OK },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX-Tab:\tv\t\r\n\r\n"), S_OK },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX-!#$%&'*+-.^_`|~09az: v\r\n\r\n"), S_OK },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX: caf\xc3\xa9 \x80\xff\r\n\r\n"), S_OK },
	{ S("GET / HTTP/1.1\r\nhost: x\r\n\r\n"), S_OK },
	{ S("GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n"), S_OK },
	{ S("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"), S_OK },
	{ S("PROPFIND / HTTP/1.1\r\nHost: x\r\n\r\n"), S_OK }, /* 501 comes later */
	/* a valid token llhttp does not know: not implemented (RFC 9110 §9.1) */
	{ S("FOO / HTTP/1.1\r\nHost: x\r\n\r\n"), S_NOT_IMPLEMENTED },
	{ S("BREW /pot HTTP/1.0\r\n\r\n"), S_NOT_IMPLEMENTED },
	/* obs-fold (RFC 9112 §5.2): rejected */
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n\tb\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nX: a\r\n Host: x\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX:\r\n b\r\n\r\n"), S_BAD_REQUEST },
	/* whitespace between the start line and the first field (§2.2) */
	{ S("GET / HTTP/1.1\r\n Host: x\r\n\r\n"), S_BAD_REQUEST },
	/* empty header name */
	{ S("GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.0\r\n:\r\n\r\n"), S_BAD_REQUEST },
	/* whitespace before the colon (§5.1) */
	{ S("GET / HTTP/1.1\r\nHost : x\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX\t: v\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello"), S_BAD_REQUEST },
	/* bad bytes in a name */
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX Y: v\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX@Y: v\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX(Y): v\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX\"Y: v\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX{Y}: v\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX/Y: v\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX\x01Y: v\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX\x7fY: v\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nH\xc3\xa9: v\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX\0Y: v\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n"), S_BAD_REQUEST },
	/* bare CR, NUL in values */
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nX\r: a\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET /\r HTTP/1.1\r\nHost: x\r\n\r\n"), S_BAD_REQUEST },
	/* Host: missing in 1.1, or twice */
	{ S("GET / HTTP/1.1\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHostname: x\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n"), S_BAD_REQUEST },
	/* versions */
	{ S("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), S_VERSION_NOT_SUPPORTED },
	{ S("GET / HTTP/2.0\r\n\r\n"), S_VERSION_NOT_SUPPORTED },
	{ S("GET / HTTP/0.9\r\n\r\n"), S_VERSION_NOT_SUPPORTED },
	{ S("GET / HTTP/3.0\r\nHost: x\r\n\r\n"), S_VERSION_NOT_SUPPORTED },
	{ S("GET / HTTP/9.9\r\n\r\n"), S_VERSION_NOT_SUPPORTED },
	{ S("GET /\r\n\r\n"), S_BAD_REQUEST },          /* an HTTP/0.9 line */
	{ S("GET /index.html\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/1.1x\r\nHost: x\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / http/1.1\r\nHost: x\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET / HTTP/11\r\nHost: x\r\n\r\n"), S_BAD_REQUEST },
	/* request line */
	/* methods are case-sensitive tokens: "get" is an unknown one */
	{ S("get / HTTP/1.1\r\nHost: x\r\n\r\n"), S_NOT_IMPLEMENTED },
	{ S("G@T / HTTP/1.1\r\nHost: x\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n"), S_BAD_REQUEST },
	{ S("GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n"), S_BAD_REQUEST },
	/* message framing (RFC 9112 §6) */
	{ S("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), S_BAD_REQUEST },
	{ S("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 3\r\n\r\n"), S_BAD_REQUEST },
	{ S("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
	    "Content-Length: 4\r\n\r\n"), S_BAD_REQUEST },
	{ S("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"), S_BAD_REQUEST },
	{ S("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"), S_BAD_REQUEST },
	{ S("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\n"), S_BAD_REQUEST },
	{ S("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3 4\r\n\r\n"), S_BAD_REQUEST },
	{ S("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n"), S_BAD_REQUEST },
	{ S("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3,4\r\n\r\n"), S_BAD_REQUEST },
	{ S("POST / HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 99999999999999999999999\r\n\r\n"), S_BAD_REQUEST },
	{ S("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"), S_BAD_REQUEST },
	{ S("POST / HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked, gzip\r\n\r\n"), S_BAD_REQUEST },
};

static void test_heads(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < LEN(heads); i++) {
		struct parsed t;
		enum status s = parse(&t, heads[i].head, heads[i].n);

		if (s != heads[i].want) {
			print_error("head %zu %s: status %d, want %d (llhttp %s: %s)\n", i,
				    heads[i].head, s, heads[i].want, llhttp_errno_name(t.err),
				    llhttp_get_error_reason(&t.p) ? llhttp_get_error_reason(&t.p)
								  : "-");
			bad++;
		}
		done(&t);
	}
	assert_int_equal(bad, 0);
}

static void test_spans(void **state)
{
	struct parsed t;

	(void)state;
	assert_int_equal(parse(&t, S("GET /a/b.html?x=1&y=%20 HTTP/1.1\r\n"
				     "Host: example.org\r\n"
				     "User-Agent: test/1.0\r\n"
				     "Referer: http://r/\r\n"
				     "X-Other: ignored\r\n"
				     "Connection: close\r\n"
				     "If-None-Match: \"abc\"\r\n"
				     "\r\n")), S_OK);
	assert_int_equal(t.err, HPE_PAUSED);
	assert_ptr_equal(llhttp_get_error_pos(&t.p), t.buf + t.n);
	assert_span(&t.req, t.req.method_s, "GET");
	assert_span(&t.req, t.req.url, "/a/b.html?x=1&y=%20");
	assert_int_equal(t.req.method, HTTP_GET);
	assert_int_equal(t.req.major, 1);
	assert_int_equal(t.req.minor, 1);
	assert_header(&t.req, H_HOST, "example.org");
	assert_header(&t.req, H_USER_AGENT, "test/1.0");
	assert_header(&t.req, H_REFERER, "http://r/");
	assert_header(&t.req, H_CONNECTION, "close");
	assert_header(&t.req, H_IF_NONE_MATCH, "\"abc\"");
	assert_true(http_header_is(&t.req, H_CONNECTION, "Close"));
	assert_false(http_header_is(&t.req, H_CONNECTION, "keep-alive"));
	assert_false(http_has_header(&t.req, H_RANGE));
	assert_false(http_has_header(&t.req, H_CONTENT_LENGTH));
	assert_int_equal(t.req.nheaders, 6);
	assert_false(t.req.keep_alive);
	assert_false(t.req.has_body);
	done(&t);
}

/* Header names in any case; values without the surrounding whitespace. */
static void test_header_values(void **state)
{
	struct parsed t;

	(void)state;
	assert_int_equal(parse(&t, S("HEAD / HTTP/1.0\r\n"
				     "hOsT:   spaced.example  \r\n"
				     "USER-AGENT:\tua\t\r\n"
				     "Referer:\r\n"
				     "\r\n")), S_OK);
	assert_int_equal(t.req.method, HTTP_HEAD);
	assert_int_equal(t.req.minor, 0);
	/* present, even though empty */
	assert_true(http_has_header(&t.req, H_REFERER));
	assert_int_equal(t.req.hdr[H_REFERER].len, 0);
	/* RFC 9110 §5.5: leading and trailing OWS are not part of the value */
	assert_header(&t.req, H_HOST, "spaced.example");
	assert_header(&t.req, H_USER_AGENT, "ua");
	done(&t);
	assert_int_equal(parse(&t, S("GET / HTTP/1.1\r\nHost: x\r\n"
				     "Expect: 100-continue \r\n\r\n")), S_OK);
	assert_true(http_header_is(&t.req, H_EXPECT, "100-continue"));
	done(&t);
}

/* Every known name is found whatever its case, the two names of one
 * length alike; a name of the same length that differs, or a longer one,
 * is no known header. */
static void test_header_names(void **state)
{
	static const struct {
		const char *name, *value;
		enum hdr h;
	} known[] = {
		{ "hOST", "x", H_HOST }, { "CONNECTION", "close", H_CONNECTION },
		{ "content-type", "text/plain", H_CONTENT_TYPE },
		{ "Content-LENGTH", "0", H_CONTENT_LENGTH },
		{ "user-agent", "ua", H_USER_AGENT }, { "REFERER", "r", H_REFERER },
		{ "IF-NONE-MATCH", "\"e\"", H_IF_NONE_MATCH },
		{ "if-modified-since", "d", H_IF_MODIFIED_SINCE },
		{ "If-match", "*", H_IF_MATCH },
		{ "if-unmodified-since", "d", H_IF_UNMODIFIED_SINCE },
		{ "RANGE", "bytes=0-1", H_RANGE }, { "if-RANGE", "\"e\"", H_IF_RANGE },
		{ "accept-encoding", "gzip", H_ACCEPT_ENCODING },
		{ "AUTHORIZATION", "Basic eDp5", H_AUTHORIZATION },
	};
	static const char *const unknown[] = {
		"Hosx", "Rangf", "Expecu", "Refereq", "If-Matcg", "If-Rangd",
		"Connectioo", "User_Agent", "Content-Typd", "If-None-Matcg",
		"Authorizatioo", "Content_Length", "Accept-Encodinf",
		"If-Modified-Sincd", "Transfer-Encodinf", "If-Unmodified-Sincd",
		"If-Unmodified-Since-", "X",
	};
	char head[256];
	struct parsed t;
	size_t i;
	int h, n;

	(void)state;
	for (i = 0; i < LEN(known); i++) {
		n = snprintf(head, sizeof(head), "GET / HTTP/1.0\r\n%s: %s\r\n\r\n",
			     known[i].name, known[i].value);
		assert_int_equal(parse(&t, head, (size_t)n), S_OK);
		for (h = 0; h < H__COUNT; h++)
			assert_int_equal(http_has_header(&t.req, (enum hdr)h), h == (int)known[i].h);
		assert_header(&t.req, known[i].h, known[i].value);
		done(&t);
	}
	/* the two that need more around them */
	assert_int_equal(parse(&t, S("POST / HTTP/1.1\r\nHost: x\r\n"
				     "transfer-ENCODING: chunked\r\n\r\n0\r\n\r\n")), S_OK);
	assert_header(&t.req, H_TRANSFER_ENCODING, "chunked");
	done(&t);
	assert_int_equal(parse(&t, S("GET / HTTP/1.1\r\nHost: x\r\n"
				     "EXPECT: 100-continue\r\n\r\n")), S_OK);
	assert_header(&t.req, H_EXPECT, "100-continue");
	done(&t);
	for (i = 0; i < LEN(unknown); i++) {
		n = snprintf(head, sizeof(head), "GET / HTTP/1.0\r\n%s: v\r\n\r\n", unknown[i]);
		assert_int_equal(parse(&t, head, (size_t)n), S_OK);
		for (h = 0; h < H__COUNT; h++)
			assert_false(http_has_header(&t.req, (enum hdr)h));
		done(&t);
	}
}

/* The first of a repeated header (other than Host) is the one kept. */
static void test_repeated_header(void **state)
{
	struct parsed t;

	(void)state;
	assert_int_equal(parse(&t, S("GET / HTTP/1.1\r\nHost: x\r\n"
				     "User-Agent: one\r\nUser-Agent: two\r\n\r\n")), S_OK);
	assert_header(&t.req, H_USER_AGENT, "one");
	done(&t);
}

struct ka_case {
	const char *head;
	size_t n;
	bool keep_alive;
};

static const struct ka_case ka[] = {
	{ S("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), true },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nConnection: CLOSE\r\n\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"), true },
	{ S("GET / HTTP/1.0\r\n\r\n"), false },
	{ S("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), true },
	{ S("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), true },
	{ S("GET / HTTP/1.0\r\nConnection: close\r\n\r\n"), false },
};

static void test_keep_alive(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(ka); i++) {
		struct parsed t;

		assert_int_equal(parse(&t, ka[i].head, ka[i].n), S_OK);
		if (t.req.keep_alive != ka[i].keep_alive)
			fail_msg("keep-alive case %zu: %d", i, t.req.keep_alive);
		done(&t);
	}
}

/* A head of `count` header lines (Host first), each `len` bytes of value. */
static char *many_headers(int count, size_t len, size_t *n)
{
	size_t cap = 64 + (size_t)count * (len + 32), o = 0;
	char *b = malloc(cap);
	int i;

	assert_non_null(b);
	o += (size_t)sprintf(b, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (i = 1; i < count; i++) {
		o += (size_t)sprintf(b + o, "X-H%d: ", i);
		memset(b + o, 'v', len);
		o += len;
		b[o++] = '\r';
		b[o++] = '\n';
	}
	b[o++] = '\r';
	b[o++] = '\n';
	*n = o;
	return b;
}

static void test_header_count(void **state)
{
	struct parsed t;
	size_t n;
	char *h;

	(void)state;
	h = many_headers(HTTP_HEADER_COUNT_MAX, 4, &n);
	assert_int_equal(parse(&t, h, n), S_OK);
	assert_int_equal(t.req.nheaders, HTTP_HEADER_COUNT_MAX);
	done(&t);
	free(h);
	h = many_headers(HTTP_HEADER_COUNT_MAX + 1, 4, &n);
	assert_int_equal(parse(&t, h, n), S_HEADERS_TOO_LARGE);
	done(&t);
	free(h);
	h = many_headers(1000, 1, &n);
	assert_int_equal(parse(&t, h, n), S_HEADERS_TOO_LARGE);
	done(&t);
	free(h);
}

static void test_url_limit(void **state)
{
	size_t n = HTTP_URL_MAX + 200, o;
	char *h = malloc(n + 64);
	struct parsed t;

	(void)state;
	assert_non_null(h);
	/* exactly HTTP_URL_MAX bytes of target: accepted */
	o = (size_t)sprintf(h, "GET /");
	memset(h + o, 'a', HTTP_URL_MAX - 1);
	o += HTTP_URL_MAX - 1;
	o += (size_t)sprintf(h + o, " HTTP/1.0\r\n\r\n");
	assert_int_equal(parse(&t, h, o), S_OK);
	assert_int_equal(t.req.url.len, HTTP_URL_MAX);
	done(&t);
	/* one more: 414 */
	o = (size_t)sprintf(h, "GET /");
	memset(h + o, 'a', HTTP_URL_MAX);
	o += HTTP_URL_MAX;
	o += (size_t)sprintf(h + o, " HTTP/1.0\r\n\r\n");
	assert_int_equal(parse(&t, h, o), S_URI_TOO_LONG);
	done(&t);
	free(h);
}

/* Whole messages: pause at the head, resume, pause at the message end. */
static void run_body(struct parsed *t, bool keep)
{
	const char *end;

	assert_int_equal(t->err, HPE_PAUSED);
	end = llhttp_get_error_pos(&t->p);
	t->req.keep_body = keep;
	llhttp_resume(&t->p);
	t->err = llhttp_execute(&t->p, end, (size_t)(t->buf + t->n - end));
}

static void test_body_length(void **state)
{
	static const char msg[] = "POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
				  "helloGET / HTTP/1.1\r\n";
	size_t head = strlen("POST /f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n");
	struct parsed t;

	(void)state;
	/* only the head first, as request_head does */
	parse(&t, msg, sizeof(msg) - 1);
	done(&t);
	assert_int_equal(parse(&t, msg, head), S_OK);
	assert_true(t.req.has_body);
	assert_int_equal(t.p.content_length, 5);
	free(t.buf);
	t.buf = malloc(sizeof(msg));
	memcpy(t.buf, msg, sizeof(msg));
	t.n = sizeof(msg) - 1;
	t.req.base = t.buf;
	t.p.error_pos = t.buf + head; /* as if paused over the whole buffer */
	run_body(&t, true);
	assert_int_equal(t.err, HPE_PAUSED); /* at the end of the message */
	assert_ptr_equal(llhttp_get_error_pos(&t.p), t.buf + head + 5);
	assert_int_equal(t.req.body_len, 5);
	assert_span(&t.req, t.req.body, "hello");
	done(&t);
}

static void test_body_chunked(void **state)
{
	static const char msg[] = "POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
				  "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n";
	size_t head = strlen("POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	struct parsed t;

	(void)state;
	assert_int_equal(parse(&t, msg, head), S_OK);
	assert_true(t.req.has_body);
	free(t.buf);
	t.buf = malloc(sizeof(msg));
	memcpy(t.buf, msg, sizeof(msg));
	t.n = sizeof(msg) - 1;
	t.req.base = t.buf;
	t.p.error_pos = t.buf + head;
	run_body(&t, true);
	assert_int_equal(t.err, HPE_PAUSED);
	assert_ptr_equal(llhttp_get_error_pos(&t.p), t.buf + t.n);
	assert_span(&t.req, t.req.body, "hello world");
	done(&t);

	/* discarded bodies are only counted */
	assert_int_equal(parse(&t, msg, head), S_OK);
	free(t.buf);
	t.buf = malloc(sizeof(msg));
	memcpy(t.buf, msg, sizeof(msg));
	t.n = sizeof(msg) - 1;
	t.req.base = t.buf;
	t.p.error_pos = t.buf + head;
	run_body(&t, false);
	assert_int_equal(t.err, HPE_PAUSED);
	assert_int_equal(t.req.discard_len, 11);
	done(&t);
}

struct chunk_case {
	const char *body;
	size_t n;
};

static const struct chunk_case bad_chunks[] = {
	{ S("zz\r\nhello\r\n0\r\n\r\n") },
	{ S("-5\r\nhello\r\n0\r\n\r\n") },
	{ S("5 5\r\nhello\r\n0\r\n\r\n") },
	{ S("\r\nhello\r\n0\r\n\r\n") },
	{ S("fffffffffffffffff\r\nx\r\n0\r\n\r\n") },  /* overflows 64 bits */
	{ S("5\r\nhelloXX0\r\n\r\n") },                /* no CRLF after the data */
	{ S("5\r\nhello\n0\r\n\r\n") },
	{ S("3\r\nhello\r\n0\r\n\r\n") },                /* data longer than its size */
};

static void test_bad_chunks(void **state)
{
	static const char head[] = "POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
	size_t i, hn = sizeof(head) - 1, bad = 0;

	(void)state;
	for (i = 0; i < LEN(bad_chunks); i++) {
		struct parsed t;
		enum status s;

		assert_int_equal(parse(&t, head, hn), S_OK);
		free(t.buf);
		t.buf = malloc(hn + bad_chunks[i].n);
		memcpy(t.buf, head, hn);
		memcpy(t.buf + hn, bad_chunks[i].body, bad_chunks[i].n);
		t.n = hn + bad_chunks[i].n;
		t.req.base = t.buf;
		t.p.error_pos = t.buf + hn;
		run_body(&t, false);
		/* as request_body decides it */
		s = t.err == HPE_PAUSED ? S_OK : t.req.error ? t.req.error : S_BAD_REQUEST;
		if (s != S_BAD_REQUEST) {
			print_error("chunk case %zu: status %d (llhttp %s)\n", i, s,
				    llhttp_errno_name(t.err));
			bad++;
		}
		done(&t);
	}
	assert_int_equal(bad, 0);
}

/* A discarded body beyond HTTP_BODY_DISCARD_MAX: 413. */
static void test_body_discard_limit(void **state)
{
	static const char head[] = "POST /f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
	size_t hn = sizeof(head) - 1, chunk = HTTP_BODY_DISCARD_MAX + 1;
	struct parsed t;
	int o;

	(void)state;
	assert_int_equal(parse(&t, head, hn), S_OK);
	free(t.buf);
	t.buf = malloc(hn + chunk + 64);
	memcpy(t.buf, head, hn);
	o = sprintf(t.buf + hn, "%zx\r\n", chunk);
	memset(t.buf + hn + o, 'x', chunk);
	t.n = hn + (size_t)o + chunk;
	t.req.base = t.buf;
	t.p.error_pos = t.buf + hn;
	run_body(&t, false);
	assert_int_not_equal(t.err, HPE_PAUSED);
	assert_int_not_equal(t.err, HPE_OK);
	assert_int_equal(t.req.error, S_PAYLOAD_TOO_LARGE);
	done(&t);
}

/* After parse_clear the same parser reads the next request. */
static void test_reset(void **state)
{
	static const char two[] = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n"
				  "GET /two HTTP/1.1\r\nHost: b\r\nUser-Agent: u\r\n\r\n";
	size_t first = strlen("GET /one HTTP/1.1\r\nHost: a\r\n\r\n");
	struct parsed t;

	(void)state;
	assert_int_equal(parse(&t, two, first), S_OK);
	assert_span(&t.req, t.req.url, "/one");
	/* parse() went on to the message end, as parse_body does */
	llhttp_resume(&t.p);
	free(t.buf);
	t.buf = malloc(sizeof(two));
	memcpy(t.buf, two, sizeof(two));
	parse_clear(&t.req);
	assert_int_equal(t.req.cur, -1);
	assert_false(http_has_header(&t.req, H_HOST));
	t.req.base = t.buf;
	t.err = llhttp_execute(&t.p, t.buf + first, sizeof(two) - 1 - first);
	assert_int_equal(t.err, HPE_PAUSED);
	assert_ptr_equal(llhttp_get_error_pos(&t.p), t.buf + sizeof(two) - 1);
	assert_span(&t.req, t.req.url, "/two");
	assert_header(&t.req, H_HOST, "b");
	assert_header(&t.req, H_USER_AGENT, "u");
	assert_int_equal(t.req.nheaders, 2);
	done(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heads),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_header_values),
		cmocka_unit_test(test_header_names),
		cmocka_unit_test(test_repeated_header),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_header_count),
		cmocka_unit_test(test_url_limit),
		cmocka_unit_test(test_body_length),
		cmocka_unit_test(test_body_chunked),
		cmocka_unit_test(test_bad_chunks),
		cmocka_unit_test(test_body_discard_limit),
		cmocka_unit_test(test_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
