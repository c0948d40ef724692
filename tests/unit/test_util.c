/* util.c: percent-decoding and -encoding, HTML escaping, HTTP dates, buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S(lit) lit, sizeof(lit) - 1 /* a literal with its length (NULs kept) */

struct decode_case {
	const char *in;
	size_t n;
	int plus;
	long want_len;   /* -1: malformed */
	const char *want;
	size_t want_n;
};

static const struct decode_case decode_cases[] = {
	{ S(""), 0, 0, S("") },
	{ S("abc"), 0, 3, S("abc") },
	{ S("/index.html"), 0, 11, S("/index.html") },
	{ S("%41%42"), 0, 2, S("AB") },
	{ S("%7e%7E"), 0, 2, S("~~") },               /* both cases of hex */
	{ S("a%20b"), 0, 3, S("a b") },
	{ S("%c3%a9"), 0, 2, S("\xc3\xa9") },         /* bytes, not characters */
	{ S("%ff"), 0, 1, S("\xff") },
	{ S("%2541"), 0, 3, S("%41") },               /* decoded once only */
	{ S("%2e%2e"), 0, 2, S("..") },
	{ S("%2F"), 0, 1, S("/") },                   /* util decodes; static refuses */
	{ S("%00"), 0, 1, S("\0") },                  /* NUL decoded, length counts it */
	{ S("a%00b"), 0, 3, S("a\0b") },
	{ S("a\0b"), 0, 3, S("a\0b") },               /* raw NUL passes through */
	/* '+' only with plus_space */
	{ S("a+b"), 0, 3, S("a+b") },
	{ S("a+b"), 1, 3, S("a b") },
	{ S("++"), 1, 2, S("  ") },
	{ S("%2B"), 1, 1, S("+") },                   /* an encoded '+' stays '+' */
	{ S("%20+%20"), 1, 3, S("   ") },
	/* malformed escapes */
	{ S("%"), 0, -1, S("") },
	{ S("abc%"), 0, -1, S("") },                  /* '%' at the end */
	{ S("%4"), 0, -1, S("") },                    /* one hex digit at the end */
	{ S("%0"), 0, -1, S("") },
	{ S("a%0"), 1, -1, S("") },
	{ S("%zz"), 0, -1, S("") },
	{ S("%g0"), 0, -1, S("") },
	{ S("%0g"), 0, -1, S("") },
	{ S("%%41"), 0, -1, S("") },
	{ S("%-1"), 0, -1, S("") },
	{ S("% 1"), 0, -1, S("") },
	{ S("%\x00" "1"), 0, -1, S("") },
	{ S("ok%41%4"), 0, -1, S("") },
	{ S("%41%"), 1, -1, S("") },
};

static void test_pct_decode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(decode_cases); i++) {
		const struct decode_case *c = &decode_cases[i];
		char out[64];
		long got;

		memset(out, 'X', sizeof(out));
		got = util_pct_decode(out, c->in, c->n, c->plus);
		if (got != c->want_len)
			fail_msg("decode case %zu \"%s\": %ld, want %ld", i, c->in, got,
				 c->want_len);
		if (got >= 0) {
			assert_int_equal((size_t)got, c->want_n);
			assert_memory_equal(out, c->want, c->want_n);
		}
	}
}

/* The length bound is n, not a NUL: "%41" cut to 2 bytes is malformed. */
static void test_pct_decode_counted(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(util_pct_decode(out, "%41", 2, 0), -1);
	assert_int_equal(util_pct_decode(out, "ab%41", 2, 0), 2);
	assert_memory_equal(out, "ab", 2);
	assert_int_equal(util_pct_decode(out, "%41zzz", 3, 0), 1);
	assert_int_equal(out[0], 'A');
}

struct enc_case {
	const char *in;
	size_t n;
	const char *want;
	size_t want_n;
};

static const struct enc_case encode_cases[] = {
	{ S(""), S("") },
	{ S("abcXYZ019"), S("abcXYZ019") },
	{ S("/a/b.c-d_e~f"), S("/a/b.c-d_e~f") },        /* unreserved and '/' kept */
	{ S("a b"), S("a%20b") },
	{ S("100%"), S("100%25") },
	{ S("?#[]@!$&'()*+,;="), S("%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D") },
	{ S("\"<>\\^`{|}"), S("%22%3C%3E%5C%5E%60%7B%7C%7D") },
	{ S("\xc3\xa9"), S("%C3%A9") },
	{ S("\x00\x01\x1f\x7f\xff"), S("%00%01%1F%7F%FF") },
	{ S("a\r\nb"), S("a%0D%0Ab") },
};

static void test_pct_encode(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(encode_cases); i++) {
		const struct enc_case *c = &encode_cases[i];
		struct buf b = BUF_INIT(4096);

		assert_int_equal(util_pct_encode(&b, c->in, c->n), 0);
		if (b.len != c->want_n || (b.len && memcmp(b.data, c->want, b.len)))
			fail_msg("encode case %zu: \"%.*s\" (%zu bytes), want \"%s\"", i,
				 (int)b.len, b.data ? b.data : "", b.len, c->want);
		buf_free(&b);
	}
}

/* Encoding then decoding gives back every byte. */
static void test_pct_roundtrip(void **state)
{
	char in[256], out[256];
	struct buf b = BUF_INIT(4096);
	int i;

	(void)state;
	for (i = 0; i < 256; i++)
		in[i] = (char)i;
	assert_int_equal(util_pct_encode(&b, in, sizeof(in)), 0);
	assert_int_equal(util_pct_decode(out, b.data, b.len, 0), 256);
	assert_memory_equal(in, out, 256);
	buf_free(&b);
}

static void test_pct_encode_bound(void **state)
{
	struct buf b = BUF_INIT(6), b9 = BUF_INIT(9);

	(void)state;
	assert_int_equal(util_pct_encode(&b, "   ", 3), -1);
	assert_true(b.len <= 6);
	buf_free(&b);
	assert_int_equal(util_pct_encode(&b9, "   ", 3), 0);
	assert_int_equal(b9.len, 9);
	buf_free(&b9);
}

static const struct enc_case html_cases[] = {
	{ S(""), S("") },
	{ S("plain text"), S("plain text") },
	{ S("&"), S("&amp;") },
	{ S("<"), S("&lt;") },
	{ S(">"), S("&gt;") },
	{ S("\""), S("&quot;") },
	{ S("'"), S("&#39;") },
	{ S("<a href=\"x\">it's & more</a>"),
	  S("&lt;a href=&quot;x&quot;&gt;it&#39;s &amp; more&lt;/a&gt;") },
	{ S("&amp;"), S("&amp;amp;") },          /* no guessing at entities */
	{ S("\xc3\xa9 %41"), S("\xc3\xa9 %41") },
	{ S("a\0b"), S("a\0b") },
};

static void test_html_escape(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(html_cases); i++) {
		const struct enc_case *c = &html_cases[i];
		struct buf b = BUF_INIT(4096);

		assert_int_equal(util_html_escape(&b, c->in, c->n), 0);
		assert_int_equal(b.len, c->want_n);
		if (b.len)
			assert_memory_equal(b.data, c->want, c->want_n);
		buf_free(&b);
	}
}

static void test_html_escape_bound(void **state)
{
	struct buf b = BUF_INIT(5);

	(void)state;
	assert_int_equal(util_html_escape(&b, "<<", 2), -1);
	buf_free(&b);
}

struct date_case {
	time_t t;
	const char *s;
};

static const struct date_case dates[] = {
	{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
	{ 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
	{ 951782400, "Tue, 29 Feb 2000 00:00:00 GMT" },
	{ 1700000000, "Tue, 14 Nov 2023 22:13:20 GMT" },
	{ 2147483647, "Tue, 19 Jan 2038 03:14:07 GMT" },
	{ 4102444799LL, "Thu, 31 Dec 2099 23:59:59 GMT" },
};

static void test_http_date(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(dates); i++) {
		char out[HTTP_DATE_LEN];

		memset(out, 'X', sizeof(out));
		util_http_date(dates[i].t, out);
		assert_string_equal(out, dates[i].s);
		assert_int_equal(strlen(out), HTTP_DATE_LEN - 1);
		/* and back */
		assert_int_equal(util_parse_http_date(out, strlen(out)), dates[i].t);
	}
}

struct parse_case {
	const char *s;
	size_t n;        /* 0: strlen */
	time_t want;
};

static const struct parse_case parse_cases[] = {
	/* RFC 9110 §5.6.7: the three formats of the same instant */
	{ "Sun, 06 Nov 1994 08:49:37 GMT", 0, 784111777 },
	{ "Sunday, 06-Nov-94 08:49:37 GMT", 0, 784111777 },
	{ "Sun Nov  6 08:49:37 1994", 0, 784111777 },
	{ "Thu, 01 Jan 1970 00:00:00 GMT", 0, 0 },
	{ "Tue, 29 Feb 2000 00:00:00 GMT", 0, 951782400 },
	{ "Tuesday, 14-Nov-23 22:13:20 GMT", 0, 1700000000 },
	{ "Tue Nov 14 22:13:20 2023", 0, 1700000000 },
	/* the count bounds the string: what follows is not read */
	{ "Sun, 06 Nov 1994 08:49:37 GMTjunk", 29, 784111777 },
	/* garbage */
	{ "", 0, -1 },
	{ "yesterday", 0, -1 },
	{ "0", 0, -1 },
	{ "784111777", 0, -1 },
	{ "Sun, 06 Nov 1994", 0, -1 },
	{ "Sun, 06 Nov 1994 08:49:37", 0, -1 },          /* no zone */
	{ "Sun, 06 Nov 1994 08:49:37 GMT junk", 0, -1 }, /* trailing bytes */
	{ "Sun, 06 Nov 1994 08:49:37 GMT ", 0, -1 },
	{ "Sun, 06 Foo 1994 08:49:37 GMT", 0, -1 },
	{ "Sun, 32 Nov 1994 08:49:37 GMT", 0, -1 },
	{ "Sun, 06 Nov 1994 25:49:37 GMT", 0, -1 },
	{ "Sun, 06 Nov 1994 08:61:37 GMT", 0, -1 },
	{ "Sun, 06 Nov 1994 08:49:37 GMT", 10, -1 },     /* cut short by n */
	{ "Sun, 06 Nov 1994 08:49:37 GMT and a lot more text after the date, "
	  "well beyond sixty-four bytes", 0, -1 },
};

static void test_parse_http_date(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t n = c->n ? c->n : strlen(c->s);

		time_t got = util_parse_http_date(c->s, n);

		if (got != c->want)
			fail_msg("date case %zu \"%.*s\": %lld, want %lld", i, (int)n, c->s,
				 (long long)got, (long long)c->want);
	}
}

static void test_buf(void **state)
{
	struct buf b = BUF_INIT(8), p = BUF_INIT(8), z = BUF_INIT(0);

	(void)state;
	assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(buf_append(&b, "defgh", 5), 0);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "abcdefgh", 8);
	assert_int_equal(buf_append(&b, "i", 1), -1); /* over max */
	assert_int_equal(b.len, 8);
	assert_true(b.cap <= 8);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_printf(&p, "%d-%s", 42, "x"), 0);
	assert_int_equal(p.len, 4);
	assert_memory_equal(p.data, "42-x", 4);
	assert_int_equal(buf_printf(&p, "%s", "too long"), -1);
	buf_free(&p);
	assert_int_equal(buf_append(&z, "", 0), 0);
	buf_free(&z);
}

/* A buffer never grows past the max it was made with, through any of the
 * appends, and keeps that max when its memory goes back. */
static void test_buf_max(void **state)
{
	static const char x[3000] = { 0 };
	struct buf b = { 0 }, big = BUF_INIT(2500);

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(b.max, 100);
	assert_int_equal(buf_append(&b, x, 101), -1);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_append(&b, x, 100), 0);
	assert_true(b.cap <= 100);
	assert_int_equal(buf_reserve(&b, 1), -1);
	assert_int_equal(buf_append(&b, x, 1), -1);
	assert_int_equal(buf_puts(&b, "y"), -1);
	assert_int_equal(buf_printf(&b, "%s", ""), -1); /* its NUL does not fit */
	assert_int_equal(util_pct_encode(&b, "a", 1), -1);
	assert_int_equal(util_html_escape(&b, "a", 1), -1);
	assert_int_equal(util_base64(&b, (const unsigned char *)"a", 1), -1);
	assert_int_equal(b.len, 100);
	assert_true(b.cap <= 100);
	buf_free(&b);
	assert_int_equal(b.max, 100); /* freed, still bounded */
	assert_int_equal(buf_append(&b, x, 101), -1);
	assert_null(b.data);
	buf_free(&b);
	/* past the first 2 KiB block: grows, but not beyond its max */
	assert_int_equal(buf_append(&big, x, 2000), 0);
	assert_int_equal(buf_append(&big, x, 501), -1);
	assert_int_equal(buf_append(&big, x, 500), 0);
	assert_int_equal(big.len, 2500);
	assert_true(big.cap <= 2500);
	assert_int_equal(buf_append(&big, x, 1), -1);
	buf_free(&big);
}

static void test_ieq(void **state)
{
	(void)state;
	assert_true(util_ieq("Host", 4, "host"));
	assert_true(util_ieq("CONTENT-length", 14, "Content-Length"));
	assert_false(util_ieq("Hos", 3, "host"));
	assert_false(util_ieq("Hostx", 5, "host"));
	assert_true(util_ieq("Hostx", 4, "host"));
	assert_true(util_ieq("", 0, ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pct_decode),
		cmocka_unit_test(test_pct_decode_counted),
		cmocka_unit_test(test_pct_encode),
		cmocka_unit_test(test_pct_roundtrip),
		cmocka_unit_test(test_pct_encode_bound),
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_html_escape_bound),
		cmocka_unit_test(test_http_date),
		cmocka_unit_test(test_parse_http_date),
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_buf_max),
		cmocka_unit_test(test_ieq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
