/* The exact decimal adder, by tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decimal.h"

struct parse_case {
	const char *in;
	enum decimal_err err;
	const char *out; /* normalized, when err is DECIMAL_OK */
};

static const struct parse_case parse_cases[] = {
	{ "0", DECIMAL_OK, "0" },
	{ "-0", DECIMAL_OK, "0" },
	{ "+0", DECIMAL_OK, "0" },
	{ "-0.000", DECIMAL_OK, "0" },
	{ "0e999999999999999999999", DECIMAL_OK, "0" },
	{ "-0E-999999999", DECIMAL_OK, "0" },
	{ "5", DECIMAL_OK, "5" },
	{ "+5", DECIMAL_OK, "5" },
	{ "-12", DECIMAL_OK, "-12" },
	{ "3.25", DECIMAL_OK, "3.25" },
	{ "3.2500", DECIMAL_OK, "3.25" },
	{ "1.0", DECIMAL_OK, "1" },
	{ "0.1", DECIMAL_OK, "0.1" },
	{ "0.000001", DECIMAL_OK, "0.000001" },
	{ "1e3", DECIMAL_OK, "1000" },
	{ "1E+3", DECIMAL_OK, "1000" },
	{ "1e-3", DECIMAL_OK, "0.001" },
	{ "-0.5E-2", DECIMAL_OK, "-0.005" },
	{ "12.5e1", DECIMAL_OK, "125" },
	{ "12.5e-1", DECIMAL_OK, "1.25" },
	{ "1.5e-0", DECIMAL_OK, "1.5" },
	{ "1e007", DECIMAL_OK, "10000000" },
	{ "123456789", DECIMAL_OK, "123456789" },
	{ "1234567890", DECIMAL_OK, "1234567890" },
	{ "100000000000000000000", DECIMAL_OK, "100000000000000000000" },
	{ "1e20", DECIMAL_OK, "100000000000000000000" },
	{ "0.30000000000000004", DECIMAL_OK, "0.30000000000000004" },
	/* not JSON numbers */
	{ "", DECIMAL_EMPTY, NULL },
	{ "abc", DECIMAL_SYNTAX, NULL },
	{ "1,5", DECIMAL_SYNTAX, NULL },
	{ "0x10", DECIMAL_SYNTAX, NULL },
	{ "NaN", DECIMAL_SYNTAX, NULL },
	{ "Infinity", DECIMAL_SYNTAX, NULL },
	{ "-Infinity", DECIMAL_SYNTAX, NULL },
	{ " 5", DECIMAL_SYNTAX, NULL },
	{ "5 ", DECIMAL_SYNTAX, NULL },
	{ "+", DECIMAL_SYNTAX, NULL },
	{ "-", DECIMAL_SYNTAX, NULL },
	{ "+-5", DECIMAL_SYNTAX, NULL },
	{ "--5", DECIMAL_SYNTAX, NULL },
	{ "01", DECIMAL_SYNTAX, NULL },
	{ "-01", DECIMAL_SYNTAX, NULL },
	{ ".5", DECIMAL_SYNTAX, NULL },
	{ "5.", DECIMAL_SYNTAX, NULL },
	{ "1.e3", DECIMAL_SYNTAX, NULL },
	{ "1e", DECIMAL_SYNTAX, NULL },
	{ "1e+", DECIMAL_SYNTAX, NULL },
	{ "1e1.5", DECIMAL_SYNTAX, NULL },
	{ "1_000", DECIMAL_SYNTAX, NULL },
	{ "\xd9\xa3", DECIMAL_SYNTAX, NULL }, /* Arabic-Indic three */
	/* beyond the bounds */
	{ "1e1000", DECIMAL_RANGE, NULL },
	{ "1e999999999", DECIMAL_RANGE, NULL },
	{ "1e99999999999999999999999999", DECIMAL_RANGE, NULL },
	{ "-1e-1001", DECIMAL_RANGE, NULL },
	{ "1e-999999999", DECIMAL_RANGE, NULL },
	{ "1e999", DECIMAL_OK, NULL },
	{ "1e-1000", DECIMAL_OK, NULL },
};

static void test_parse(void **state)
{
	char out[DECIMAL_STR_MAX];
	struct decimal d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		enum decimal_err e = decimal_parse(&d, c->in, strlen(c->in));

		if (e != c->err)
			fail_msg("parse \"%s\": err %d, want %d", c->in, e, c->err);
		if (c->out) {
			decimal_format(&d, out);
			if (strcmp(out, c->out))
				fail_msg("parse \"%s\": \"%s\", want \"%s\"", c->in,
					 out, c->out);
		}
	}
}

struct add_case {
	const char *a, *b, *sum;
};

static const struct add_case add_cases[] = {
	{ "2", "3", "5" },
	{ "0.1", "0.2", "0.3" },
	{ "0", "0", "0" },
	{ "-0", "0", "0" },
	/* carries */
	{ "999999999", "1", "1000000000" },
	{ "99999999999999999999", "1", "100000000000000000000" },
	{ "0.999999999", "0.000000001", "1" },
	{ "0.5", "0.5", "1" },
	{ "9.99", "0.01", "10" },
	{ "123456789.987654321", "876543210.012345679", "1000000000" },
	/* borrows */
	{ "1000000000", "-1", "999999999" },
	{ "100000000000000000000", "-1", "99999999999999999999" },
	{ "1", "-0.000000001", "0.999999999" },
	{ "10", "-0.01", "9.99" },
	/* signs */
	{ "-2", "-3", "-5" },
	{ "-2", "3", "1" },
	{ "2", "-3", "-1" },
	{ "-0.5", "0.5", "0" },
	{ "0.5", "-0.5", "0" },
	{ "-1.25", "1", "-0.25" },
	{ "+7", "-7", "0" },
	/* different scales */
	{ "1", "0.001", "1.001" },
	{ "1000000", "0.000001", "1000000.000001" },
	{ "-12", "3.25", "-8.75" },
	/* exponents */
	{ "1e3", "-0.5E-2", "999.995" },
	{ "1e2", "1e-2", "100.01" },
	{ "2.5e1", "2.5E-1", "25.25" },
	{ "-1e20", "1", "-99999999999999999999" },
	/* long numbers */
	{ "123456789012345678901234567890.123456789012345678901234567890",
	  "876543210987654321098765432109.876543210987654321098765432110",
	  "1000000000000000000000000000000" },
	{ "0.1000000000000000055511151231257827", "0.2",
	  "0.3000000000000000055511151231257827" },
};

static void test_add(void **state)
{
	char out[DECIMAL_STR_MAX];
	struct decimal a, b, s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(add_cases) / sizeof(add_cases[0]); i++) {
		const struct add_case *c = &add_cases[i];

		assert_int_equal(decimal_parse(&a, c->a, strlen(c->a)), DECIMAL_OK);
		assert_int_equal(decimal_parse(&b, c->b, strlen(c->b)), DECIMAL_OK);
		assert_int_equal(decimal_add(&s, &a, &b), DECIMAL_OK);
		decimal_format(&s, out);
		if (strcmp(out, c->sum))
			fail_msg("%s + %s = %s, want %s", c->a, c->b, out, c->sum);
		/* commutative, and in place */
		assert_int_equal(decimal_add(&b, &b, &a), DECIMAL_OK);
		assert_int_equal(decimal_cmp(&b, &s), 0);
	}
}

/* s = ilen digits c, then, when flen, a point and flen digits c. */
static size_t fill(char *s, char c, int ilen, int flen)
{
	size_t n = 0;
	int i;

	for (i = 0; i < ilen; i++)
		s[n++] = c;
	if (flen)
		s[n++] = '.';
	for (i = 0; i < flen; i++)
		s[n++] = c;
	s[n] = '\0';
	return n;
}

/* The widest operands: every digit position of the bounds. */
static void test_extremes(void **state)
{
	static char big[2 * DECIMAL_STR_MAX];
	char out[DECIMAL_STR_MAX], want[DECIMAL_STR_MAX];
	struct decimal a, s;
	size_t n;

	(void)state;
	/* 999...9.999...9: 1000 digits each side, printed back as is */
	n = fill(big, '9', DECIMAL_INT_MAX, DECIMAL_FRAC_MAX);
	assert_int_equal(decimal_parse(&a, big, n), DECIMAL_OK);
	assert_int_equal(decimal_format(&a, out), n);
	assert_string_equal(out, big);
	/* + 10^-1000 = 10^1000 */
	assert_int_equal(decimal_parse(&s, "1e-1000", 7), DECIMAL_OK);
	assert_int_equal(decimal_add(&s, &s, &a), DECIMAL_OK);
	want[0] = '1';
	fill(want + 1, '0', DECIMAL_INT_MAX, 0);
	decimal_format(&s, out);
	assert_string_equal(out, want);
	/* one more integer digit, or one more decimal place, is out of range */
	n = fill(big, '9', DECIMAL_INT_MAX + 1, 1);
	assert_int_equal(decimal_parse(&a, big, n), DECIMAL_RANGE);
	n = fill(big, '9', 1, DECIMAL_FRAC_MAX + 1);
	assert_int_equal(decimal_parse(&a, big, n), DECIMAL_RANGE);
	/* leading and trailing zeros do not count */
	n = fill(big, '0', 1, DECIMAL_FRAC_MAX + 500);
	big[0] = '1';
	assert_int_equal(decimal_parse(&a, big, n), DECIMAL_OK);
	decimal_format(&a, out);
	assert_string_equal(out, "1");
	big[0] = '0';
	big[n - 1] = '5';
	assert_int_equal(decimal_parse(&a, big, n), DECIMAL_RANGE);
	n = fill(big, '0', 1, DECIMAL_FRAC_MAX + 500);
	memcpy(big + n, "e600", 5);
	big[DECIMAL_FRAC_MAX + 500] = '7';
	assert_int_equal(decimal_parse(&a, big, n + 4), DECIMAL_OK);
	decimal_format(&a, out);
	/* 7 * 10^(-1499 + 600) */
	n = fill(want, '0', 1, 899);
	want[n - 1] = '7';
	assert_string_equal(out, want);
}

/* d = k * 10^p, built by hand: parse refuses p >= DECIMAL_INT_MAX. */
static void set_power(struct decimal *d, uint32_t k, int p)
{
	int pos = p + DECIMAL_FRAC_LIMBS * DECIMAL_LIMB_DIGITS;
	uint32_t m = k;
	int i;

	decimal_zero(d);
	for (i = 0; i < pos % DECIMAL_LIMB_DIGITS; i++)
		m *= 10;
	d->limb[pos / DECIMAL_LIMB_DIGITS] = m;
}

/* The sum may grow past the operand bound, up to the carry room. */
static void test_sum_overflow(void **state)
{
	const int top = DECIMAL_INT_MAX + DECIMAL_CARRY_MAX - 1;
	struct decimal a, b, s;
	char out[DECIMAL_STR_MAX];
	int i;

	(void)state;
	/* 1000 times the largest operand */
	assert_int_equal(decimal_parse(&a, "9e999", 5), DECIMAL_OK);
	decimal_zero(&s);
	for (i = 0; i < 1000; i++)
		assert_int_equal(decimal_add(&s, &s, &a), DECIMAL_OK);
	assert_int_equal(decimal_format(&s, out), DECIMAL_INT_MAX + 3);
	assert_memory_equal(out, "9000", 4);
	/* 5e1008 + 4e1008 fits; 9e1008 + 1e1008 does not, and leaves out alone */
	set_power(&a, 5, top);
	set_power(&b, 4, top);
	assert_int_equal(decimal_add(&s, &a, &b), DECIMAL_OK);
	set_power(&a, 9, top);
	assert_int_equal(decimal_cmp(&s, &a), 0);
	set_power(&b, 1, top);
	assert_int_equal(decimal_add(&s, &a, &b), DECIMAL_RANGE);
	assert_int_equal(decimal_cmp(&s, &a), 0);
	assert_int_equal(decimal_add(&s, &s, &s), DECIMAL_RANGE);
	/* but -9e1008 + 1e1008 is fine */
	a.neg = true;
	assert_int_equal(decimal_add(&s, &a, &b), DECIMAL_OK);
	assert_true(s.neg);
	assert_int_equal(decimal_format(&s, out), (size_t)top + 2);
	assert_memory_equal(out, "-80", 3);
}

static void test_cmp(void **state)
{
	static const char *const sorted[] = {
		"-1e20", "-2", "-1.5", "-0.001", "0", "1e-1000", "0.1", "0.30000000000000004",
		"1", "1.0000001", "99", "1e999",
	};
	size_t n = sizeof(sorted) / sizeof(sorted[0]), i, j;
	struct decimal a, b;

	(void)state;
	for (i = 0; i < n; i++) {
		assert_int_equal(decimal_parse(&a, sorted[i], strlen(sorted[i])), DECIMAL_OK);
		for (j = 0; j < n; j++) {
			int c;

			assert_int_equal(decimal_parse(&b, sorted[j], strlen(sorted[j])),
					 DECIMAL_OK);
			c = decimal_cmp(&a, &b);
			if ((i < j && c >= 0) || (i == j && c) || (i > j && c <= 0))
				fail_msg("cmp(%s, %s) = %d", sorted[i], sorted[j], c);
		}
	}
	assert_int_equal(decimal_parse(&a, "-0", 2), DECIMAL_OK);
	assert_int_equal(decimal_parse(&b, "0e5", 3), DECIMAL_OK);
	assert_int_equal(decimal_cmp(&a, &b), 0);
	assert_false(a.neg);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(decimal_strerror(DECIMAL_SYNTAX), "not a number");
	assert_non_null(strstr(decimal_strerror(DECIMAL_RANGE), "1000"));
	assert_string_equal(decimal_strerror((enum decimal_err)99), "error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_sum_overflow),
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
