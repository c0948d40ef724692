/* range_parse: a table of Range values against file sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "range.h"

struct rcase {
	const char *hdr;
	off_t size;
	enum range_result want;
	int n;
	struct range r[4];
};

#define OK RANGE_OK
#define IGN RANGE_IGNORE
#define BAD RANGE_UNSATISFIABLE
#define BIG "99999999999999999999999999999"

static const struct rcase cases[] = {
	/* the three forms */
	{ "bytes=0-9", 100, OK, 1, { { 0, 10 } } },
	{ "bytes=10-", 100, OK, 1, { { 10, 90 } } },
	{ "bytes=-10", 100, OK, 1, { { 90, 10 } } },
	{ "bytes=0-0", 100, OK, 1, { { 0, 1 } } },
	{ "bytes=99-99", 100, OK, 1, { { 99, 1 } } },
	{ "bytes=0-", 1, OK, 1, { { 0, 1 } } },
	/* clamped at the end of the file */
	{ "bytes=90-200", 100, OK, 1, { { 90, 10 } } },
	{ "bytes=-200", 100, OK, 1, { { 0, 100 } } },
	{ "bytes=-100", 100, OK, 1, { { 0, 100 } } },
	/* unit and whitespace */
	{ "BYTES=0-1", 100, OK, 1, { { 0, 2 } } },
	{ " bytes = 0 - 1 ", 100, OK, 1, { { 0, 2 } } },
	{ "bytes=0-1,\t5-6", 100, OK, 2, { { 0, 2 }, { 5, 2 } } },
	{ "bytes=,0-1,,", 100, OK, 1, { { 0, 2 } } },
	/* lists keep the client's order */
	{ "bytes=50-59,0-9", 100, OK, 2, { { 50, 10 }, { 0, 10 } } },
	{ "bytes=0-9,20-29,-5", 100, OK, 3, { { 0, 10 }, { 20, 10 }, { 95, 5 } } },
	/* overlapping and adjacent ranges are merged */
	{ "bytes=0-9,5-14", 100, OK, 1, { { 0, 15 } } },
	{ "bytes=0-9,10-19", 100, OK, 1, { { 0, 20 } } },
	{ "bytes=0-9,11-19", 100, OK, 2, { { 0, 10 }, { 11, 9 } } },
	{ "bytes=20-29,0-9,10-19", 100, OK, 1, { { 0, 30 } } },
	{ "bytes=0-4,50-59,5-9", 100, OK, 2, { { 0, 10 }, { 50, 10 } } },
	{ "bytes=50-59,0-4,40-49", 100, OK, 2, { { 40, 20 }, { 0, 5 } } },
	{ "bytes=0-0,0-0,0-0", 100, OK, 1, { { 0, 1 } } },
	{ "bytes=-10,0-", 100, OK, 1, { { 0, 100 } } },
	/* unsatisfiable parts are dropped; all of them: 416 */
	{ "bytes=100-", 100, BAD, 0, { { 0, 0 } } },
	{ "bytes=100-200", 100, BAD, 0, { { 0, 0 } } },
	{ "bytes=-0", 100, BAD, 0, { { 0, 0 } } },
	{ "bytes=100-,0-1", 100, OK, 1, { { 0, 2 } } },
	{ "bytes=200-300,-0", 100, BAD, 0, { { 0, 0 } } },
	/* 64-bit overflow saturates, never wraps */
	{ "bytes=0-" BIG, 100, OK, 1, { { 0, 100 } } },
	{ "bytes=" BIG "-", 100, BAD, 0, { { 0, 0 } } },
	{ "bytes=" BIG "-" BIG, 100, BAD, 0, { { 0, 0 } } },
	{ "bytes=-" BIG, 100, OK, 1, { { 0, 100 } } },
	{ "bytes=18446744073709551615-", 100, BAD, 0, { { 0, 0 } } },
	{ "bytes=18446744073709551616-18446744073709551617", 100, BAD, 0, { { 0, 0 } } },
	{ "bytes=9223372036854775807-", 100, BAD, 0, { { 0, 0 } } },
	{ "bytes=0-18446744073709551615", 100, OK, 1, { { 0, 100 } } },
	{ "bytes=1-9223372036854775807", INT64_MAX, OK, 1, { { 1, INT64_MAX - 1 } } },
	{ "bytes=-9223372036854775807", INT64_MAX, OK, 1, { { 0, INT64_MAX } } },
	/* malformed: the header is ignored (RFC 9110 §14.2) */
	{ "bytes=5-3", 100, IGN, 0, { { 0, 0 } } },
	{ "bytes=0-1,5-3", 100, IGN, 0, { { 0, 0 } } },
	{ "bytes=", 100, IGN, 0, { { 0, 0 } } },
	{ "bytes=,", 100, IGN, 0, { { 0, 0 } } },
	{ "bytes=-", 100, IGN, 0, { { 0, 0 } } },
	{ "bytes=a-b", 100, IGN, 0, { { 0, 0 } } },
	{ "bytes=1", 100, IGN, 0, { { 0, 0 } } },
	{ "bytes=1-2-3", 100, IGN, 0, { { 0, 0 } } },
	{ "bytes=+1-2", 100, IGN, 0, { { 0, 0 } } },
	{ "bytes=0x10-20", 100, IGN, 0, { { 0, 0 } } },
	{ "bytes=1 2-3", 100, IGN, 0, { { 0, 0 } } },
	{ "bytes 0-1", 100, IGN, 0, { { 0, 0 } } },
	{ "items=0-1", 100, IGN, 0, { { 0, 0 } } },
	{ "bytesx=0-1", 100, IGN, 0, { { 0, 0 } } },
	{ "", 100, IGN, 0, { { 0, 0 } } },
	/* an empty file has nothing to range over: sent whole */
	{ "bytes=0-1", 0, IGN, 0, { { 0, 0 } } },
	{ "bytes=-1", 0, IGN, 0, { { 0, 0 } } },
	/* RANGE_MAX specs are taken, one more and the file goes whole */
	{ "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,"
	  "22-22,24-24,26-26,28-28,30-30", 100, OK, 16, { { 0, 1 }, { 2, 1 } } },
	{ "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,"
	  "22-22,24-24,26-26,28-28,30-30,32-32", 100, IGN, 0, { { 0, 0 } } },
	{ "bytes=0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,"
	  "0-0,0-0", 100, IGN, 0, { { 0, 0 } } },
};

static void test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];
		struct range out[RANGE_MAX];
		int n = -1, k;
		enum range_result r;

		r = range_parse(c->hdr, strlen(c->hdr), c->size, out, &n);
		if (r != c->want || (r == RANGE_OK && n != c->n))
			fail_msg("case %zu \"%s\": result %d n %d, want %d n %d", i,
				 c->hdr, r, n, c->want, c->n);
		for (k = 0; r == RANGE_OK && k < n && k < 4; k++) {
			if (c->r[k].len == 0)
				break; /* not spelled out in the table */
			if (out[k].start != c->r[k].start || out[k].len != c->r[k].len)
				fail_msg("case %zu \"%s\" range %d: %lld+%lld, want %lld+%lld",
					 i, c->hdr, k, (long long)out[k].start,
					 (long long)out[k].len, (long long)c->r[k].start,
					 (long long)c->r[k].len);
		}
	}
}

/* Every range returned lies inside the file, whatever the input. */
static void test_never_past_end(void **state)
{
	static const char *const hdrs[] = {
		"bytes=0-", "bytes=-1", "bytes=5-" BIG, "bytes=-" BIG,
		"bytes=3-7,1-2,9-", "bytes=0-0,-1",
	};
	static const off_t sizes[] = { 1, 2, 7, 10, 4096 };
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			struct range out[RANGE_MAX];
			int n, k;

			if (range_parse(hdrs[i], strlen(hdrs[i]), sizes[j], out, &n) !=
			    RANGE_OK)
				continue;
			for (k = 0; k < n; k++) {
				assert_true(out[k].start >= 0 && out[k].len > 0);
				assert_true(out[k].start + out[k].len <= sizes[j]);
			}
		}
	}
}

/* The value is a counted string: bytes past n are never read. */
static void test_counted(void **state)
{
	struct range out[RANGE_MAX];
	int n;

	(void)state;
	assert_int_equal(range_parse("bytes=0-1X", 9, 100, out, &n), RANGE_OK);
	assert_int_equal(out[0].len, 2);
	assert_int_equal(range_parse("bytes=0-19", 9, 100, out, &n), RANGE_OK);
	assert_int_equal(out[0].len, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_never_past_end),
		cmocka_unit_test(test_counted),
	};

	return cmocka_run_group_tests_name("range", tests, NULL, NULL);
}
