/* Web-app config lines: told apart from busybox lines, checked at load. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "webapp.h"

static void test_is_line(void **state)
{
	static const char *const ours[] = {
		"spa /index.html\n", "  set /a X: y", "\tcors *", "cors-credentials\n",
		"cors-credentials", "cors-methods GET", "cors-headers X", "cors-max-age 5",
	};
	/* busybox lines, and words that only begin like ours */
	static const char *const theirs[] = {
		"A:127.0.0.1", "D:*", "E404:/e.html", "I:index.htm", "H:/srv", "P:/a:h/b",
		"/adm:u:p", ".au:audio/basic", "*.php:/usr/bin/php-cgi", "# spa /x",
		"spa:/x", "set:/x", "cors:x", "spa/index.html", "setX /a X: y", "SPA /x",
		"header /a X: y", "", "\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (!webapp_is_line(ours[i]))
			fail_msg("not ours: '%s'", ours[i]);
	for (i = 0; i < sizeof(theirs) / sizeof(theirs[0]); i++)
		if (webapp_is_line(theirs[i]))
			fail_msg("taken from busybox: '%s'", theirs[i]);
}

static const struct {
	const char *line, *err; /* err NULL: accepted; else part of the message */
} lines[] = {
	{ "spa /index.html\n", NULL },
	{ "spa /app/index.html   # the entry", NULL },
	{ "spa index.html", "URL path" },
	{ "spa /", "URL path" },
	{ "spa /%2F", "URL path" },
	{ "spa", "needs a value" },
	{ "set /assets/* Cache-Control: public, max-age=31536000, immutable", NULL },
	{ "set /index.html Cache-Control: no-cache", NULL },
	{ "set *.wasm Cross-Origin-Embedder-Policy: require-corp", NULL },
	{ "set X-Content-Type-Options: nosniff", NULL },
	{ "set Content-Security-Policy: default-src 'self' # comment", NULL },
	{ "set /a Content-Length: 3", "set by the server" },
	{ "set /a Bad Name: 3", "bad header name" },
	{ "set /a X-Empty:", "empty value" },
	{ "set /a X: a\x01", "control character" },
	{ "set /a", "expected 'Name: value'" },
	{ "set", "needs a value" },
	{ "cors https://app.example http://127.0.0.1:8080", NULL },
	{ "cors *", NULL },
	{ "cors https://app.example/", "bad origin" },
	{ "cors null", "bad origin" },
	{ "cors-credentials", NULL },
	{ "cors-credentials yes", "takes no value" },
	{ "cors-methods GET, PUT", NULL },
	{ "cors-methods GET;PUT", "list of names" },
	{ "cors-headers Content-Type, X-Token", NULL },
	{ "cors-max-age 7200", NULL },
	{ "cors-max-age -1", "seconds" },
	{ "cors-max-age 99999", "seconds" },
	{ "cors-max-age 1x", "seconds" },
};

static void test_parse(void **state)
{
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct webapp *w = webapp_new();
		int rc;

		assert_non_null(w);
		err[0] = '\0';
		rc = webapp_parse(w, lines[i].line, err, sizeof(err));
		if (!lines[i].err && rc != 0)
			fail_msg("refused: '%s': %s", lines[i].line, err);
		if (lines[i].err && (rc != -1 || !strstr(err, lines[i].err)))
			fail_msg("'%s': rc %d, message '%s', want '%s'", lines[i].line, rc, err,
				 lines[i].err);
		webapp_free(w);
	}
}

/* "*" and credentials together: refused once both are known. */
static void test_star_credentials(void **state)
{
	struct webapp *w = webapp_new();
	char err[256];

	(void)state;
	assert_int_equal(webapp_parse(w, "cors *", err, sizeof(err)), 0);
	assert_int_equal(webapp_finish(w, err, sizeof(err)), 0);
	assert_int_equal(webapp_parse(w, "cors-credentials", err, sizeof(err)), 0);
	assert_int_equal(webapp_finish(w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "Fetch"));
	webapp_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_line),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_star_credentials),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
