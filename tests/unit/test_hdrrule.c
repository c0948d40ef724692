/* Header rules: fields checked at load, patterns matched, lines set and
 * overridden; and the response head's hook that applies them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hdrrule.h"
#include "http.h"

static const struct {
	const char *in, *want; /* want NULL: refused */
} fields[] = {
	{ "Cache-Control: no-cache", "Cache-Control: no-cache" },
	{ "Cache-Control:public, max-age=31536000, immutable",
	  "Cache-Control: public, max-age=31536000, immutable" },
	{ "X-A: \t v  \t", "X-A: v" },
	{ "Content-Security-Policy: default-src 'self'; script-src 'sha256-x#y'",
	  "Content-Security-Policy: default-src 'self'; script-src 'sha256-x#y'" },
	{ "X-Caf\xc3\xa9-Ok: a", NULL },          /* names are tokens */
	{ "X-Obs: caf\xc3\xa9", "X-Obs: caf\xc3\xa9" }, /* obs-text in values */
	{ "X-Tab: a\tb", "X-Tab: a\tb" },
	{ "Bad Name: v", NULL },
	{ ": v", NULL },
	{ "NoColon", NULL },
	{ "X-Empty:", NULL },
	{ "X-Empty:   ", NULL },
	{ "X-CR: a\rb", NULL },
	{ "X-LF: a\nb", NULL },
	{ "X-NUL: a\x01", NULL },
	{ "X-DEL: a\x7f", NULL },
	{ "Content-Length: 5", NULL },            /* the server's own */
	{ "transfer-encoding: chunked", NULL },
	{ "Connection: close", NULL },
	{ "Date: today", NULL },
	{ "server: nginx", NULL },
	{ "Content-Encoding: gzip", NULL },
	{ "Content-Type: text/plain", "Content-Type: text/plain" }, /* may be overridden */
};

static void test_fields(void **state)
{
	char out[256], err[128];
	size_t i, nl = 0;

	(void)state;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		int rc = hdrrule_field(fields[i].in, out, sizeof(out), &nl, err, sizeof(err));

		if (!fields[i].want) {
			if (rc != -1)
				fail_msg("accepted: '%s'", fields[i].in);
			assert_true(err[0] != '\0');
			continue;
		}
		if (rc != 0)
			fail_msg("refused: '%s': %s", fields[i].in, err);
		assert_string_equal(out, fields[i].want);
		assert_int_equal(nl, strchr(fields[i].want, ':') - fields[i].want);
	}
}

static const struct {
	const char *pattern, *path;
	bool match;
} matches[] = {
	/* prefixes: whole segments, made canonical */
	{ "/", "/", true },
	{ "/", "/a/b.js", true },
	{ "/assets", "/assets", true },
	{ "/assets", "/assets/app.js", true },
	{ "/assets/", "/assets/js/app.js", true },
	{ "/assets", "/assets2/app.js", false },
	{ "/assets", "/", false },
	{ "//assets/./", "/assets/x", true },
	{ "/index.html", "/index.html", true },
	{ "/index.html", "/index.htmlx", false },
	/* globs: '*' also crosses '/' */
	{ "/assets/*", "/assets/app.js", true },
	{ "/assets/*", "/assets/js/app.js", true },
	{ "/assets/*", "/assets", false },
	{ "*.wasm", "/pkg/app.wasm", true },
	{ "*.wasm", "/pkg/app.wasm.map", false },
	{ "/sw.js", "/sw.js", true },
	{ "/app/*.html", "/app/a/b.html", true },
	{ "/img/?.png", "/img/a.png", true },
	{ "/img/?.png", "/img/ab.png", false },
	{ "/[ab]*", "/b/x", true },
	{ "/[ab]*", "/c/x", false },
};

static void test_match(void **state)
{
	char pat[64], err[128];
	size_t i;
	bool glob;

	(void)state;
	for (i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
		snprintf(pat, sizeof(pat), "%s", matches[i].pattern);
		assert_int_equal(hdrrule_pattern(pat, &glob, err, sizeof(err)), 0);
		if (hdrrule_match(pat, glob, matches[i].path) != matches[i].match)
			fail_msg("'%s' vs '%s': want %d", matches[i].pattern, matches[i].path,
				 matches[i].match);
	}
}

static void test_bad_patterns(void **state)
{
	static const char *const bad[] = { "assets/", "x*", "", "?x" };
	char pat[32], err[128];
	size_t i;
	bool glob;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(pat, sizeof(pat), "%s", bad[i]);
		assert_int_equal(hdrrule_pattern(pat, &glob, err, sizeof(err)), -1);
	}
}

/* Rules in order: a later one replaces an earlier one's field of that
 * name; lines before `from` are not touched. */
static void test_apply(void **state)
{
	struct hdrrule rules[] = {
		{ "/", false, "X-Frame-Options: DENY", 15 },
		{ "/assets/*", true, "Cache-Control: public, max-age=31536000, immutable", 13 },
		{ "/index.html", false, "Cache-Control: no-cache", 13 },
		{ "/assets/sw.js", false, "cache-control: no-store", 13 },
	};
	static const struct {
		const char *path, *want;
	} cases[] = {
		{ "/", "K: v\r\nX-Frame-Options: DENY\r\n" },
		{ "/index.html", "K: v\r\nX-Frame-Options: DENY\r\nCache-Control: no-cache\r\n" },
		{ "/assets/a.js", "K: v\r\nX-Frame-Options: DENY\r\n"
				  "Cache-Control: public, max-age=31536000, immutable\r\n" },
		{ "/assets/sw.js", "K: v\r\nX-Frame-Options: DENY\r\ncache-control: no-store\r\n" },
	};
	struct buf b = BUF_INIT(1024);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b.len = 0;
		buf_puts(&b, "K: v\r\n");
		assert_int_equal(hdrrule_apply(rules, 4, cases[i].path, &b, b.len), 0);
		buf_append(&b, "", 1);
		b.len--;
		assert_int_equal(b.len, strlen(cases[i].want));
		assert_memory_equal(b.data, cases[i].want, b.len);
	}
	/* a line before from is kept even when a rule names it */
	b.len = 0;
	buf_puts(&b, "X-Frame-Options: SAMEORIGIN\r\n");
	assert_int_equal(hdrrule_apply(rules, 1, "/", &b, b.len), 0);
	assert_int_equal(b.len, strlen("X-Frame-Options: SAMEORIGIN\r\nX-Frame-Options: DENY\r\n"));
	buf_free(&b);
}

/* The head: the rules' lines at the start of hdrs replace the server's
 * of the same name (Vary adds up), and errors get only the first xhdr_all
 * bytes of them. */
/* a Date as loop_date gives it: a whole HTTP_DATE_LEN buffer */
static const char date[HTTP_DATE_LEN] = "D";

static void test_head_hook(void **state)
{
	struct buf out = BUF_INIT(1024), hdrs = BUF_INIT(1024);
	struct response r = { 0 };
	char *head;

	(void)state;
	buf_puts(&hdrs, "X-Always: 1\r\nVary: Origin\r\n");
	r.xhdr_all = (uint32_t)hdrs.len;
	buf_puts(&hdrs, "Cache-Control: immutable\r\nAccept-Ranges: none\r\n"
		 "Content-Type: text/x-mine\r\nX-Always: 2\r\n");
	r.xhdr_ok = (uint32_t)hdrs.len;
	buf_puts(&hdrs, "Vary: Accept-Encoding\r\nAccept-Ranges: bytes\r\n");
	r.status = S_OK;
	r.ctype = "text/plain";
	r.hdrs = &hdrs;
	r.etag = "\"e\"";
	assert_int_equal(http_format_head(&out, &r, 1, date), 0);
	buf_append(&out, "", 1);
	head = out.data;
	assert_non_null(strstr(head, "Vary: Accept-Encoding\r\n"));
	assert_non_null(strstr(head, "Vary: Origin\r\n"));
	assert_non_null(strstr(head, "Accept-Ranges: none\r\n"));
	assert_null(strstr(head, "Accept-Ranges: bytes"));
	assert_non_null(strstr(head, "Content-Type: text/x-mine\r\n"));
	assert_null(strstr(head, "text/plain"));
	assert_non_null(strstr(head, "X-Always: 2\r\n"));
	assert_null(strstr(head, "X-Always: 1"));
	assert_non_null(strstr(head, "ETag: \"e\"\r\n"));
	assert_non_null(strstr(head, "Cache-Control: immutable\r\n"));
	/* an error: the rules' part is left out */
	out.len = 0;
	r.status = S_NOT_FOUND;
	assert_int_equal(http_format_head(&out, &r, 1, date), 0);
	buf_append(&out, "", 1);
	head = out.data;
	assert_null(strstr(head, "Cache-Control"));
	assert_null(strstr(head, "X-Always: 2"));
	assert_non_null(strstr(head, "X-Always: 1\r\n"));
	assert_non_null(strstr(head, "Accept-Ranges: bytes\r\n"));
	assert_non_null(strstr(head, "Content-Type: text/plain\r\n"));
	/* no rules at all: the lines as they are */
	out.len = 0;
	r.status = S_OK;
	r.xhdr_all = r.xhdr_ok = 0;
	assert_int_equal(http_format_head(&out, &r, 1, date), 0);
	buf_append(&out, "", 1);
	assert_non_null(strstr(out.data, "X-Always: 1\r\nVary: Origin\r\nCache-Control"));
	buf_free(&out);
	buf_free(&hdrs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_bad_patterns),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_head_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
