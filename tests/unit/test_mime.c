/* mime.c: extension → Content-Type, config overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mime.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define OCTET "application/octet-stream"

struct mime_case {
	const char *name;
	const char *want;
	const char *alt;   /* an equally registered spelling, or NULL */
};

/* The extensions issue 2 requires, then names that must stay unknown. */
static const struct mime_case cases[] = {
	{ "index.html", "text/html; charset=utf-8", NULL },
	{ "style.css", "text/css; charset=utf-8", NULL },
	{ "app.js", "text/javascript; charset=utf-8", NULL },
	{ "mod.mjs", "text/javascript; charset=utf-8", NULL },
	{ "data.json", "application/json", NULL },
	{ "readme.txt", "text/plain; charset=utf-8", NULL },
	{ "logo.svg", "image/svg+xml", NULL },
	{ "a.png", "image/png", NULL },
	{ "a.jpg", "image/jpeg", NULL },
	{ "a.gif", "image/gif", NULL },
	{ "a.webp", "image/webp", NULL },
	{ "favicon.ico", "image/x-icon", "image/vnd.microsoft.icon" },
	{ "f.woff", "font/woff", NULL },
	{ "f.woff2", "font/woff2", NULL },
	{ "m.wasm", "application/wasm", NULL },
	{ "doc.pdf", "application/pdf", NULL },
	{ "feed.xml", "application/xml", "text/xml; charset=utf-8" },
	{ "song.mp3", "audio/mpeg", NULL },
	{ "clip.mp4", "video/mp4", NULL },
	/* case does not matter */
	{ "INDEX.HTML", "text/html; charset=utf-8", NULL },
	{ "Photo.JpG", "image/jpeg", NULL },
	{ "A.PNG", "image/png", NULL },
	{ "X.Woff2", "font/woff2", NULL },
	/* the last extension of the last component counts */
	{ "dir/sub/page.css", "text/css; charset=utf-8", NULL },
	{ "a.txt.png", "image/png", NULL },
	{ "a.png.txt", "text/plain; charset=utf-8", NULL },
	{ "dir.html/file", OCTET, NULL },
	{ "dir.png/", OCTET, NULL },
	/* unknown */
	{ "file.unknownext", OCTET, NULL },
	{ "Makefile", OCTET, NULL },
	{ "noext", OCTET, NULL },
	{ "", OCTET, NULL },
	{ "trailing.", OCTET, NULL },
	{ "a.htmlx", OCTET, NULL },
	{ "a.xhtml", OCTET, "application/xhtml+xml" },
	{ "a.jp", OCTET, NULL },
	{ "a.woff3", OCTET, NULL },
	{ "a.exe", OCTET, "application/vnd.microsoft.portable-executable" },
};

static void check(const struct mime_case *c)
{
	const char *got = mime_lookup(c->name);

	assert_non_null(got);
	if (c->alt && strcmp(got, c->alt) == 0)
		return;
	if (strcmp(got, c->want) != 0)
		fail_msg("\"%s\" -> \"%s\", want \"%s\"", c->name, got, c->want);
}

static void test_lookup_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++)
		check(&cases[i]);
}

/* Every text/ type names its charset. */
static void test_text_charset(void **state)
{
	static const char *const names[] = {
		"a.html", "a.htm", "a.css", "a.js", "a.mjs", "a.txt", "a.xml", "a.md",
		"a.csv", "a.svg", "a.json",
	};
	size_t i;

	(void)state;
	for (i = 0; i < LEN(names); i++) {
		const char *t = mime_lookup(names[i]);

		if (strncmp(t, "text/", 5) == 0 && !strstr(t, "; charset=utf-8"))
			fail_msg("%s -> \"%s\": no charset", names[i], t);
	}
}

static void test_add_and_reset(void **state)
{
	(void)state;
	mime_reset();
	assert_string_equal(mime_lookup("x.foo"), OCTET);

	/* a new extension, with or without its dot, any case */
	assert_int_equal(mime_add(".foo", "application/x-foo"), 0);
	assert_int_equal(mime_add("Bar", "text/x-bar"), 0);
	assert_string_equal(mime_lookup("x.foo"), "application/x-foo");
	assert_string_equal(mime_lookup("X.FOO"), "application/x-foo");
	assert_string_equal(mime_lookup("y.bar"), "text/x-bar");
	assert_string_equal(mime_lookup("y.BAR"), "text/x-bar");

	/* an override of a built-in one */
	assert_int_equal(mime_add(".html", "text/x-custom"), 0);
	assert_string_equal(mime_lookup("index.html"), "text/x-custom");
	assert_string_equal(mime_lookup("INDEX.HTML"), "text/x-custom");
	assert_string_equal(mime_lookup("a.css"), "text/css; charset=utf-8");

	/* a later line wins over an earlier one */
	assert_int_equal(mime_add(".foo", "application/x-foo2"), 0);
	assert_string_equal(mime_lookup("x.foo"), "application/x-foo2");

	/* the added strings are copies */
	{
		char ext[] = ".baz", type[] = "a/baz";

		assert_int_equal(mime_add(ext, type), 0);
		memset(ext, 'z', 3);
		memset(type, 'z', 5);
		assert_string_equal(mime_lookup("f.baz"), "a/baz");
	}

	mime_reset();
	assert_string_equal(mime_lookup("index.html"), "text/html; charset=utf-8");
	assert_string_equal(mime_lookup("x.foo"), OCTET);
	assert_string_equal(mime_lookup("y.bar"), OCTET);
	assert_string_equal(mime_lookup("f.baz"), OCTET);
	mime_reset(); /* twice is harmless */
	assert_string_equal(mime_lookup("a.png"), "image/png");

	/* the table is still whole after a reset */
	test_lookup_table(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookup_table),
		cmocka_unit_test(test_text_charset),
		cmocka_unit_test(test_add_and_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
