/* Preconditions (RFC 9110 §13.2.2), If-Range and Accept-Encoding: tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cond.h"

#define ETAG "\"17a-64\""
#define LM 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define LM_S "Sun, 06 Nov 1994 08:49:37 GMT"
#define BEFORE "Sun, 06 Nov 1994 08:49:36 GMT"
#define AFTER "Sun, 06 Nov 1994 08:49:38 GMT"

struct ccase {
	const char *im, *ius, *inm, *ims;
	bool get;
	enum status want;
};

static const struct ccase ccases[] = {
	{ NULL, NULL, NULL, NULL, true, S_OK },
	/* If-Match: strong comparison, lists, "*" */
	{ ETAG, NULL, NULL, NULL, true, S_OK },
	{ "\"x\", " ETAG, NULL, NULL, NULL, true, S_OK },
	{ "*", NULL, NULL, NULL, true, S_OK },
	{ "\"x\"", NULL, NULL, NULL, true, S_PRECONDITION_FAILED },
	{ "W/" ETAG, NULL, NULL, NULL, true, S_PRECONDITION_FAILED },
	{ "", NULL, NULL, NULL, true, S_PRECONDITION_FAILED },
	/* If-Unmodified-Since, only without If-Match; garbage ignored */
	{ NULL, LM_S, NULL, NULL, true, S_OK },
	{ NULL, AFTER, NULL, NULL, true, S_OK },
	{ NULL, BEFORE, NULL, NULL, true, S_PRECONDITION_FAILED },
	{ NULL, "yesterday", NULL, NULL, true, S_OK },
	{ ETAG, BEFORE, NULL, NULL, true, S_OK },
	/* If-None-Match: weak comparison, lists, "*" */
	{ NULL, NULL, ETAG, NULL, true, S_NOT_MODIFIED },
	{ NULL, NULL, "W/" ETAG, NULL, true, S_NOT_MODIFIED },
	{ NULL, NULL, "\"a\", W/\"b\",  " ETAG, NULL, true, S_NOT_MODIFIED },
	{ NULL, NULL, "\"a\",," ETAG ",", NULL, true, S_NOT_MODIFIED },
	{ NULL, NULL, "*", NULL, true, S_NOT_MODIFIED },
	{ NULL, NULL, "\"a\", \"b\"", NULL, true, S_OK },
	{ NULL, NULL, "\"17a-64", NULL, true, S_OK },
	{ NULL, NULL, "17a-64", NULL, true, S_OK },
	{ NULL, NULL, "\"17a-64-br\"", NULL, true, S_OK },
	{ NULL, NULL, "\"17a\"", NULL, true, S_OK },
	{ NULL, NULL, ETAG, NULL, false, S_PRECONDITION_FAILED },
	/* If-Modified-Since: date comparison, garbage ignored */
	{ NULL, NULL, NULL, LM_S, true, S_NOT_MODIFIED },
	{ NULL, NULL, NULL, AFTER, true, S_NOT_MODIFIED },
	{ NULL, NULL, NULL, BEFORE, true, S_OK },
	{ NULL, NULL, NULL, "Sunday, 06-Nov-94 08:49:37 GMT", true, S_NOT_MODIFIED },
	{ NULL, NULL, NULL, "Sun Nov  6 08:49:37 1994", true, S_NOT_MODIFIED },
	{ NULL, NULL, NULL, "garbage", true, S_OK },
	{ NULL, NULL, NULL, "", true, S_OK },
	{ NULL, NULL, NULL, LM_S ", " LM_S, true, S_OK },
	{ NULL, NULL, NULL, LM_S, false, S_OK },
	/* If-None-Match takes precedence over If-Modified-Since */
	{ NULL, NULL, "\"other\"", LM_S, true, S_OK },
	{ NULL, NULL, ETAG, BEFORE, true, S_NOT_MODIFIED },
	/* 412 comes before 304 */
	{ "\"x\"", NULL, ETAG, NULL, true, S_PRECONDITION_FAILED },
	{ NULL, BEFORE, NULL, LM_S, true, S_PRECONDITION_FAILED },
};

static struct cond_val v(const char *s)
{
	struct cond_val r = { s, s ? strlen(s) : 0 };

	return r;
}

static void test_evaluate(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++) {
		const struct ccase *k = &ccases[i];
		struct cond c = { v(k->im), v(k->ius), v(k->inm), v(k->ims), k->get };
		enum status s = cond_evaluate(&c, ETAG, LM);

		if (s != k->want)
			fail_msg("case %zu: %d, want %d", i, s, k->want);
	}
}

struct rcase {
	const char *v;
	bool want;
};

static const struct rcase rcases[] = {
	{ ETAG, true },
	{ " " ETAG " ", true },
	{ "W/" ETAG, false },
	{ "\"other\"", false },
	{ "\"17a-64", false },
	{ LM_S, true },
	{ BEFORE, false },
	{ AFTER, false },
	{ "garbage", false },
	{ "", false },
};

static void test_if_range(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++)
		if (cond_if_range(rcases[i].v, strlen(rcases[i].v), ETAG, LM) !=
		    rcases[i].want)
			fail_msg("If-Range case %zu \"%s\"", i, rcases[i].v);
}

struct acase {
	const char *v; /* NULL: no header */
	int br, gzip, identity;
};

static const struct acase acases[] = {
	{ NULL, 0, 0, 1000 },
	{ "", 0, 0, 1 },
	{ "gzip", 0, 1000, 1 },
	{ "gzip, deflate, br, zstd", 1000, 1000, 1 },
	{ "GZIP;Q=0.5, Br;q=0.8", 800, 500, 1 },
	{ "x-gzip", 0, 1000, 1 },
	{ "gzip;q=0", 0, 0, 1 },
	{ "gzip ; q=0.000", 0, 0, 1 },
	{ "br;q=1.000", 1000, 0, 1 },
	{ "br;q=1.5", 0, 0, 1 },
	{ "br;q=0.1234", 0, 0, 1 },
	{ "br;q=abc", 0, 0, 1 },
	{ "br;level=5;q=0.3", 300, 0, 1 },
	{ "*", 1000, 1000, 1 },
	{ "*;q=0.2, gzip;q=0", 200, 0, 1 },
	{ "*;q=0", 0, 0, 0 },
	{ "*;q=0, identity", 0, 0, 1000 },
	{ "identity;q=0", 0, 0, 0 },
	{ "identity;q=0.5, gzip;q=0.4", 0, 400, 500 },
	{ "identity;q=1, *;q=0", 0, 0, 1000 },
	{ " , ,gzip", 0, 1000, 1 },
	{ "gzipped, brotli", 0, 0, 1 },
};

static void test_accept(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(acases) / sizeof(acases[0]); i++) {
		const struct acase *a = &acases[i];
		const char *s = a->v ? a->v : "";
		bool p = a->v != NULL;
		int br = cond_accept_q(s, strlen(s), p, "br");
		int gz = cond_accept_q(s, strlen(s), p, "gzip");
		int id = cond_accept_q(s, strlen(s), p, "identity");

		if (br != a->br || gz != a->gzip || id != a->identity)
			fail_msg("Accept-Encoding case %zu \"%s\": br %d gzip %d identity %d",
				 i, s, br, gz, id);
	}
}

static void test_listed(void **state)
{
	(void)state;
	assert_true(cond_etag_listed("\"a,b\", " ETAG, 12, "\"a,b\"", false));
	assert_true(cond_etag_listed(ETAG, strlen(ETAG), ETAG, false));
	assert_false(cond_etag_listed("W/", 2, ETAG, true));
	assert_false(cond_etag_listed("W", 1, ETAG, true));
	assert_false(cond_etag_listed("\"", 1, ETAG, true));
	/* a counted string: no read past n */
	assert_false(cond_etag_listed(ETAG, strlen(ETAG) - 1, ETAG, true));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evaluate),
		cmocka_unit_test(test_if_range),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_listed),
	};

	return cmocka_run_group_tests_name("cond", tests, NULL, NULL);
}
