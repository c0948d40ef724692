/* path_resolve: every way a request path might try to leave HOME. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "path.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S(lit) lit, sizeof(lit) - 1

struct resolve_case {
	const char *path;
	size_t n;
	enum status want;
	const char *out;   /* the exact result when want == S_OK */
};

static const struct resolve_case cases[] = {
	/* plain paths */
	{ S("/"), S_OK, "." },
	{ S("/index.html"), S_OK, "index.html" },
	{ S("/a/b/c.txt"), S_OK, "a/b/c.txt" },
	{ S("/a/"), S_OK, "a" },              /* trailing slash: the caller sees it */
	{ S("/a/b/"), S_OK, "a/b" },
	{ S("/a;b=c"), S_OK, "a;b=c" },
	{ S("/.hidden"), S_OK, ".hidden" },
	{ S("/..."), S_OK, "..." },           /* a name, not a dot-segment */
	{ S("/....//x"), S_OK, "..../x" },
	{ S("/..a"), S_OK, "..a" },
	{ S("/a.."), S_OK, "a.." },
	{ S("/a/..b/c"), S_OK, "a/..b/c" },
	{ S("/.a/b."), S_OK, ".a/b." },
	/* empty segments */
	{ S("//"), S_OK, "." },
	{ S("///"), S_OK, "." },
	{ S("//a"), S_OK, "a" },
	{ S("//a//b//"), S_OK, "a/b" },
	{ S("//etc/passwd"), S_OK, "etc/passwd" }, /* relative to HOME, always */
	/* "." segments */
	{ S("/."), S_OK, "." },
	{ S("/./"), S_OK, "." },
	{ S("/./a/./b/."), S_OK, "a/b" },
	{ S("/a/./"), S_OK, "a" },
	{ S("/%2e"), S_OK, "." },
	{ S("/%2E/a"), S_OK, "a" },
	{ S("/a/%2e/b"), S_OK, "a/b" },
	/* ".." that stays inside HOME */
	{ S("/a/.."), S_OK, "." },
	{ S("/a/../"), S_OK, "." },
	{ S("/a/../b"), S_OK, "b" },
	{ S("/a/b/.."), S_OK, "a" },
	{ S("/a/b/../c"), S_OK, "a/c" },
	{ S("/a/b/../../c"), S_OK, "c" },
	{ S("/ab/cd/../ef"), S_OK, "ab/ef" },
	{ S("/a/./../b"), S_OK, "b" },
	{ S("/a//..//b"), S_OK, "b" },
	{ S("/a/%2e%2e/b"), S_OK, "b" },
	{ S("/a/%2E%2E/b"), S_OK, "b" },
	{ S("/a/.%2e/b"), S_OK, "b" },
	{ S("/a/%2e./b"), S_OK, "b" },
	{ S("/abc/def/ghi/../../x"), S_OK, "abc/x" },
	/* ".." rising above HOME, in every spelling */
	{ S("/.."), S_BAD_REQUEST, NULL },
	{ S("/../"), S_BAD_REQUEST, NULL },
	{ S("/../etc/passwd"), S_BAD_REQUEST, NULL },
	{ S("/../../../../etc/passwd"), S_BAD_REQUEST, NULL },
	{ S("/./.."), S_BAD_REQUEST, NULL },
	{ S("//.."), S_BAD_REQUEST, NULL },
	{ S("/a/../.."), S_BAD_REQUEST, NULL },
	{ S("/a/../../"), S_BAD_REQUEST, NULL },
	{ S("/a/../../etc/passwd"), S_BAD_REQUEST, NULL },
	{ S("/a/b/../../.."), S_BAD_REQUEST, NULL },
	{ S("/a/b/../../../b"), S_BAD_REQUEST, NULL },
	{ S("/a/./../../x"), S_BAD_REQUEST, NULL },
	{ S("/%2e%2e"), S_BAD_REQUEST, NULL },
	{ S("/%2e%2e/"), S_BAD_REQUEST, NULL },
	{ S("/%2E%2E/etc/passwd"), S_BAD_REQUEST, NULL },
	{ S("/%2E."), S_BAD_REQUEST, NULL },
	{ S("/%2e./x"), S_BAD_REQUEST, NULL },
	{ S("/.%2e"), S_BAD_REQUEST, NULL },
	{ S("/.%2E/x"), S_BAD_REQUEST, NULL },
	{ S("/a/%2e%2e/%2e%2e/x"), S_BAD_REQUEST, NULL },
	{ S("/%2e%2e%2f"), S_BAD_REQUEST, NULL },
	/* encoded '/' refused whatever surrounds it */
	{ S("/%2f"), S_BAD_REQUEST, NULL },
	{ S("/%2F"), S_BAD_REQUEST, NULL },
	{ S("/a%2fb"), S_BAD_REQUEST, NULL },
	{ S("/a%2Fb"), S_BAD_REQUEST, NULL },
	{ S("/..%2f"), S_BAD_REQUEST, NULL },
	{ S("/..%2F..%2Fetc%2Fpasswd"), S_BAD_REQUEST, NULL },
	{ S("/a/..%2f..%2fetc"), S_BAD_REQUEST, NULL },
	{ S("/%2f%2e%2e"), S_BAD_REQUEST, NULL },
	{ S("/x/%2F"), S_BAD_REQUEST, NULL },
	/* decoded once: a "%25" makes a literal '%' in the name */
	{ S("/%252f"), S_OK, "%2f" },
	{ S("/%252e%252e"), S_OK, "%2e%2e" },
	{ S("/%25"), S_OK, "%" },
	/* NUL, raw or encoded */
	{ S("/%00"), S_BAD_REQUEST, NULL },
	{ S("/a%00.html"), S_BAD_REQUEST, NULL },
	{ S("/index.html%00.txt"), S_BAD_REQUEST, NULL },
	{ S("/a\0b"), S_BAD_REQUEST, NULL },
	/* malformed escapes */
	{ S("/%"), S_BAD_REQUEST, NULL },
	{ S("/a%"), S_BAD_REQUEST, NULL },
	{ S("/%4"), S_BAD_REQUEST, NULL },
	{ S("/%0"), S_BAD_REQUEST, NULL },
	{ S("/%zz"), S_BAD_REQUEST, NULL },
	{ S("/%%2e%2e"), S_BAD_REQUEST, NULL },
	/* not a path */
	{ S(""), S_BAD_REQUEST, NULL },
	{ S("a"), S_BAD_REQUEST, NULL },
	{ S("index.html"), S_BAD_REQUEST, NULL },
	{ S("../etc/passwd"), S_BAD_REQUEST, NULL },
	{ S("%2f"), S_BAD_REQUEST, NULL },
	/* other bytes are plain name bytes on POSIX */
	{ S("/a%20b"), S_OK, "a b" },
	{ S("/caf%C3%A9"), S_OK, "caf\xc3\xa9" },
	{ S("/..%5c..%5cetc"), S_OK, "..\\..\\etc" },
	{ S("/a+b"), S_OK, "a+b" },            /* '+' is not a space in a path */
	{ S("/%41%42c"), S_OK, "ABc" },
};

/* No segment of a resolved path is "..", and it is never absolute. */
static int has_dotdot(const char *p)
{
	const char *s = p;

	for (;;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return 1;
		if (!e)
			return 0;
		s = e + 1;
	}
}

static void test_resolve_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		const struct resolve_case *c = &cases[i];
		char out[4096];
		enum status s;

		memset(out, 'X', sizeof(out));
		s = path_resolve(c->path, c->n, out, sizeof(out));
		if (s != c->want)
			fail_msg("case %zu \"%.*s\": status %d, want %d", i, (int)c->n,
				 c->path, s, c->want);
		if (c->want != S_OK)
			continue;
		if (strcmp(out, c->out) != 0)
			fail_msg("case %zu \"%.*s\": \"%s\", want \"%s\"", i, (int)c->n,
				 c->path, out, c->out);
		assert_true(out[0] != '/');
		assert_false(has_dotdot(out));
	}
}

/* Only n bytes are read: what follows may be anything. */
static void test_resolve_counted(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(path_resolve("/a/../../etc", 5, out, sizeof(out)), S_OK);
	assert_string_equal(out, ".");
	assert_int_equal(path_resolve("/abc?x=/../..", 4, out, sizeof(out)), S_OK);
	assert_string_equal(out, "abc");
	assert_int_equal(path_resolve("/%2", 2, out, sizeof(out)), S_BAD_REQUEST);
}

/* The result must fit in out, NUL included; 404 when it does not (out is
 * PATH_MAX-sized: no file has a longer name). */
static void test_resolve_out_size(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(path_resolve(S("/abc"), out, 4), S_OK);
	assert_string_equal(out, "abc");
	assert_int_equal(path_resolve(S("/abcd"), out, 4), S_NOT_FOUND);
	assert_int_equal(path_resolve(S("/a/b"), out, 4), S_OK);
	assert_string_equal(out, "a/b");
	assert_int_equal(path_resolve(S("/a/bc"), out, 4), S_NOT_FOUND);
	assert_int_equal(path_resolve(S("/"), out, 2), S_OK);
	assert_string_equal(out, ".");
	assert_int_equal(path_resolve(S("/"), out, 1), S_NOT_FOUND);
}

static void test_resolve_long(void **state)
{
	size_t n = 64 * 1024, i;
	char *p = malloc(n), *out = malloc(8192);

	(void)state;
	assert_non_null(p);
	assert_non_null(out);
	p[0] = '/';
	for (i = 1; i < n; i++)
		p[i] = (i % 100 == 0) ? '/' : 'a';
	/* past the request-target limit: 414 (parse_head refuses it first) */
	assert_int_equal(path_resolve(p, n, out, 8192), S_URI_TOO_LONG);
	/* within it: decoded whole; too long for a file name on disk: 404 */
	assert_int_equal(path_resolve(p, 8000, out, 8192), S_OK);
	assert_int_equal(path_resolve(p, 8000, out, 4096), S_NOT_FOUND);
	/* a few hundred bytes are fine */
	assert_int_equal(path_resolve(p, 300, out, 8192), S_OK);
	assert_int_equal(strlen(out), 299);
	/* "../" repeated a thousand times never rises */
	for (i = 0; i + 3 <= 3000; i += 3)
		memcpy(p + i, "/..", 3);
	assert_int_equal(path_resolve(p, 3000, out, 8192), S_BAD_REQUEST);
	free(p);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_table),
		cmocka_unit_test(test_resolve_counted),
		cmocka_unit_test(test_resolve_out_size),
		cmocka_unit_test(test_resolve_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
