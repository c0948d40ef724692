/* probe_parse_url: the URLs --probe takes, and those it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "probe.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

struct ucase {
	const char *url;
	int want;
	const char *host;
	unsigned port;
	const char *path;
};

static const struct ucase cases[] = {
	{ "http://127.0.0.1:8080/healthz", 0, "127.0.0.1", 8080, "/healthz" },
	{ "http://127.0.0.1/", 0, "127.0.0.1", 80, "/" },
	{ "http://127.0.0.1", 0, "127.0.0.1", 80, "/" },
	{ "http://localhost:81/a?b=c", 0, "localhost", 81, "/a?b=c" },
	{ "http://[::1]:8080/readyz", 0, "::1", 8080, "/readyz" },
	{ "http://[::1]/x#frag", 0, "::1", 80, "/x" },
	{ "https://127.0.0.1/", -1, NULL, 0, NULL },
	{ "127.0.0.1:80/", -1, NULL, 0, NULL },
	{ "http://", -1, NULL, 0, NULL },
	{ "http:///x", -1, NULL, 0, NULL },
	{ "http://[::1/", -1, NULL, 0, NULL },
	{ "http://[::1]x/", -1, NULL, 0, NULL },
	{ "http://127.0.0.1:0/", -1, NULL, 0, NULL },
	{ "http://127.0.0.1:65536/", -1, NULL, 0, NULL },
	{ "http://127.0.0.1:/", -1, NULL, 0, NULL },
	{ "http://127.0.0.1:8x/", -1, NULL, 0, NULL },
	{ "http://127.0.0.1?x", -1, NULL, 0, NULL },
	{ "http://127.0.0.1/a b", -1, NULL, 0, NULL },
	{ "http://127.0.0.1/a\r\nX: y", -1, NULL, 0, NULL },
	{ "http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/", -1,
	  NULL, 0, NULL },
};

static void test_urls(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		const struct ucase *c = &cases[i];
		char host[64], path[64];
		unsigned port = 0;
		int r = probe_parse_url(c->url, host, sizeof(host), &port, path, sizeof(path));

		print_message("%s\n", c->url);
		assert_int_equal(r, c->want);
		if (r < 0)
			continue;
		assert_string_equal(host, c->host);
		assert_int_equal(port, c->port);
		assert_string_equal(path, c->path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
