/* CORS decisions (Fetch standard §3.2): a table of policies and requests
 * against the kind and the exact header lines; configured origins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cors.h"
#include "http.h"

static char *app[] = { "https://app.example", "http://127.0.0.1:8081" };

static const struct cors list = { app, 2, false, false, NULL, NULL, -1 };
static const struct cors star = { NULL, 0, true, false, NULL, NULL, -1 };
static const struct cors cred = { app, 2, false, true, "GET, PUT", "Content-Type", 60 };
/* refused at load; the decision must still never say "*" with credentials */
static const struct cors starcred = { NULL, 0, true, true, NULL, NULL, -1 };
static const struct cors off = { NULL, 0, false, false, NULL, NULL, -1 };

#define GET HTTP_GET
#define OPT HTTP_OPTIONS
#define POST HTTP_POST
#define V "Vary: Origin\r\n"
#define ACAO(o) "Access-Control-Allow-Origin: " o "\r\n"
#define ACAC "Access-Control-Allow-Credentials: true\r\n"
#define PRE(m, h, age) "Access-Control-Allow-Methods: " m "\r\n" h \
	"Access-Control-Max-Age: " age "\r\n"

static const struct {
	const char *name;
	const struct cors *c;
	int method;
	const char *origin;      /* NULL: none */
	bool acrm;
	const char *acrh;
	enum cors_kind want;
	const char *lines;
} cases[] = {
	{ "no policy", &off, GET, "https://app.example", false, NULL, CORS_OFF, "" },
	{ "no Origin: Vary only", &list, GET, NULL, false, NULL, CORS_NONE, V },
	{ "allowed origin echoed", &list, GET, "https://app.example", false, NULL,
	  CORS_SIMPLE, V ACAO("https://app.example") },
	{ "second origin", &list, POST, "http://127.0.0.1:8081", false, NULL,
	  CORS_SIMPLE, V ACAO("http://127.0.0.1:8081") },
	{ "other origin: no CORS header", &list, GET, "https://evil.example", false, NULL,
	  CORS_NONE, V },
	{ "origin compared exactly (case)", &list, GET, "https://APP.example", false, NULL,
	  CORS_NONE, V },
	{ "origin compared exactly (port)", &list, GET, "http://127.0.0.1:8082", false, NULL,
	  CORS_NONE, V },
	{ "origin compared exactly (prefix)", &list, GET, "https://app.example.evil", false,
	  NULL, CORS_NONE, V },
	{ "null origin", &list, GET, "null", false, NULL, CORS_NONE, V },
	{ "OPTIONS without ACRM is no preflight", &list, OPT, "https://app.example", false,
	  NULL, CORS_SIMPLE, V ACAO("https://app.example") },
	{ "preflight, headers echoed", &list, OPT, "https://app.example", true,
	  "content-type, x-token", CORS_PREFLIGHT, V ACAO("https://app.example")
	  PRE("GET, HEAD, POST", "Access-Control-Allow-Headers: content-type, x-token\r\n",
	      "600") },
	{ "preflight, no headers asked", &list, OPT, "https://app.example", true, NULL,
	  CORS_PREFLIGHT, V ACAO("https://app.example") PRE("GET, HEAD, POST", "", "600") },
	{ "preflight, bad header list not echoed", &list, OPT, "https://app.example", true,
	  "x\r\ny", CORS_PREFLIGHT, V ACAO("https://app.example")
	  PRE("GET, HEAD, POST", "", "600") },
	{ "preflight from another origin", &list, OPT, "https://evil.example", true,
	  "content-type", CORS_NONE, V },
	{ "ACRM without Origin", &list, OPT, NULL, true, NULL, CORS_NONE, V },
	{ "star: any origin, no Vary", &star, GET, "https://whoever.example", false, NULL,
	  CORS_SIMPLE, ACAO("*") },
	{ "star without Origin", &star, GET, NULL, false, NULL, CORS_SIMPLE, ACAO("*") },
	{ "star preflight", &star, OPT, "https://whoever.example", true, "x-a",
	  CORS_PREFLIGHT, ACAO("*") PRE("GET, HEAD, POST",
					"Access-Control-Allow-Headers: x-a\r\n", "600") },
	{ "credentials: echoed, never *", &cred, GET, "https://app.example", false, NULL,
	  CORS_SIMPLE, V ACAO("https://app.example") ACAC },
	{ "credentials preflight: configured lists", &cred, OPT, "https://app.example", true,
	  "x-other", CORS_PREFLIGHT, V ACAO("https://app.example") ACAC
	  PRE("GET, PUT", "Access-Control-Allow-Headers: Content-Type\r\n", "60") },
	{ "credentials, other origin", &cred, GET, "https://evil.example", false, NULL,
	  CORS_NONE, V },
	{ "star with credentials: nothing", &starcred, GET, "https://app.example", false,
	  NULL, CORS_NONE, V },
};

static void test_decide(void **state)
{
	struct buf out = BUF_INIT(4096);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cors_req r = { cases[i].method, cases[i].origin,
				      cases[i].origin ? strlen(cases[i].origin) : 0,
				      cases[i].acrm, cases[i].acrh,
				      cases[i].acrh ? strlen(cases[i].acrh) : 0 };
		enum cors_kind k;

		out.len = 0;
		k = cors_decide(cases[i].c, &r, &out);
		buf_append(&out, "", 1);
		if (k != cases[i].want || strcmp(out.data, cases[i].lines) != 0)
			fail_msg("%s: kind %d (want %d), lines:\n%s\nwant:\n%s", cases[i].name,
				 k, cases[i].want, out.data, cases[i].lines);
	}
	buf_free(&out);
}

static void test_origins(void **state)
{
	static const struct {
		const char *o;
		int rc;
	} o[] = {
		{ "*", 0 },
		{ "https://app.example", 0 },
		{ "http://127.0.0.1:8080", 0 },
		{ "http://[::1]:8080", 0 },
		{ "app-scheme+x://h", 0 },
		{ "https://app.example/", -1 },   /* a path: never sent by a browser */
		{ "https://App.example", -1 },    /* browsers send lower case */
		{ "https://app.example:", -1 },
		{ "https://app.example:8x", -1 },
		{ "https://", -1 },
		{ "app.example", -1 },
		{ "null", -1 },
		{ "", -1 },
		{ "http://[::1", -1 },
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(o) / sizeof(o[0]); i++)
		if (cors_origin_check(o[i].o, err, sizeof(err)) != o[i].rc)
			fail_msg("origin '%s': want %d", o[i].o, o[i].rc);
}

static void test_lists(void **state)
{
	(void)state;
	assert_true(cors_list_ok("GET, POST", 9));
	assert_true(cors_list_ok("Content-Type,X-Token", 20));
	assert_false(cors_list_ok("", 0));
	assert_false(cors_list_ok(" , ", 3));
	assert_false(cors_list_ok("a;b", 3));
	assert_false(cors_list_ok("a\r\nb", 4));
}

/* CORS request headers are read from the head only when asked for: the
 * first line of that name, any case, OWS trimmed, never from the body. */
static void test_header_scan(void **state)
{
	static const char head[] = "GET /Origin: x HTTP/1.1\r\nHost: h\r\n"
				   "origin: \t https://a.example \r\nOrigin: second\r\n"
				   "X-Origin: no\r\nEmpty:\r\n\r\nTrailer-Like: body\r\n";
	struct request r = { 0 };
	const char *v;
	size_t n = 0;

	(void)state;
	r.base = head;
	r.head_end = (uint32_t)(strstr(head, "\r\n\r\n") + 4 - head);
	v = http_header_scan(&r, "Origin", &n);
	assert_non_null(v);
	assert_int_equal(n, strlen("https://a.example"));
	assert_memory_equal(v, "https://a.example", n);
	v = http_header_scan(&r, "Empty", &n);
	assert_non_null(v);
	assert_int_equal(n, 0);
	assert_null(http_header_scan(&r, "Trailer-Like", &n));
	assert_null(http_header_scan(&r, "Access-Control-Request-Method", &n));
	assert_null(http_header_scan(&r, "GET /Origin", &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_origins),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_header_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
