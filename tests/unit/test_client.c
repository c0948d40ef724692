/* client_forwarded: the rightmost untrusted address of Forwarded,
 * X-Forwarded-For and X-Real-IP, only from trusted peers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "client.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

struct fcase {
	const char *peer;
	const char *fwd, *xff, *xri;  /* header values, NULL: absent */
	const char *want;             /* NULL: the peer stands */
};

/* trusted: 10.0.0.0/8, 127.0.0.1, 2001:db8:ffff::/48 */
static const struct fcase cases[] = {
	{ "::ffff:127.0.0.1", NULL, "198.51.100.1", NULL, "::ffff:198.51.100.1" },
	{ "::ffff:127.0.0.1", NULL, "6.6.6.6, 198.51.100.1, 10.0.0.9", NULL, "::ffff:198.51.100.1" },
	{ "::ffff:127.0.0.1", NULL, "10.0.0.1,10.0.0.2", NULL, "::ffff:10.0.0.1" },
	{ "::ffff:127.0.0.1", NULL, "  198.51.100.1  ", NULL, "::ffff:198.51.100.1" },
	{ "::ffff:127.0.0.1", NULL, "198.51.100.1:8080", NULL, "::ffff:198.51.100.1" },
	{ "::ffff:127.0.0.1", NULL, "2001:db8::1", NULL, "2001:db8::1" },
	{ "::ffff:127.0.0.1", NULL, "[2001:db8::1]:443", NULL, "2001:db8::1" },
	{ "::ffff:127.0.0.1", NULL, "2001:db8::1, 2001:db8:ffff::5", NULL, "2001:db8::1" },
	/* not an address: the walk ends, the last good one (trusted) stands */
	{ "::ffff:127.0.0.1", NULL, "198.51.100.1, junk, 10.0.0.7", NULL, "::ffff:10.0.0.7" },
	{ "::ffff:127.0.0.1", NULL, "junk", NULL, NULL },
	{ "::ffff:127.0.0.1", NULL, "", NULL, NULL },
	{ "::ffff:127.0.0.1", NULL, "198.51.100.1,", NULL, NULL },
	{ "::ffff:127.0.0.1", NULL, "[2001:db8::1", NULL, NULL },
	{ "::ffff:127.0.0.1", NULL, "1.2.3.4.5", NULL, NULL },
	/* Forwarded (RFC 7239) */
	{ "::ffff:127.0.0.1", "for=198.51.100.2", NULL, NULL, "::ffff:198.51.100.2" },
	{ "::ffff:127.0.0.1", "For=\"198.51.100.2\";proto=https;by=10.0.0.1", NULL, NULL,
	  "::ffff:198.51.100.2" },
	{ "::ffff:127.0.0.1", "proto=https; for=198.51.100.2", NULL, NULL, "::ffff:198.51.100.2" },
	{ "::ffff:127.0.0.1", "for=\"[2001:db8::3]:4711\", for=10.0.0.1", NULL, NULL, "2001:db8::3" },
	{ "::ffff:127.0.0.1", "for=unknown, for=10.0.0.1", NULL, NULL, "::ffff:10.0.0.1" },
	{ "::ffff:127.0.0.1", "for=_hidden", NULL, NULL, NULL },
	{ "::ffff:127.0.0.1", "proto=http", NULL, NULL, NULL },
	/* Forwarded first, then X-Forwarded-For, then X-Real-IP */
	{ "::ffff:127.0.0.1", "for=198.51.100.2", "198.51.100.3", "198.51.100.4", "::ffff:198.51.100.2" },
	{ "::ffff:127.0.0.1", NULL, "198.51.100.3", "198.51.100.4", "::ffff:198.51.100.3" },
	{ "::ffff:127.0.0.1", NULL, NULL, "198.51.100.4", "::ffff:198.51.100.4" },
	/* untrusted peers: ignored */
	{ "::ffff:192.0.2.1", "for=198.51.100.2", "198.51.100.3", "198.51.100.4", NULL },
	{ "2001:db8::77", NULL, "198.51.100.3", NULL, NULL },
	{ "2001:db8:ffff::1", NULL, "198.51.100.3", NULL, "::ffff:198.51.100.3" },
	{ "::ffff:127.0.0.1", NULL, NULL, NULL, NULL },
};

/* Two lines of X-Forwarded-For: the last (the proxy's) counts; names that
 * only begin like ours do not. */
static void test_head_lines(void **state)
{
	static const char head[] =
		"GET / HTTP/1.1\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Forx: 7.7.7.7\r\n"
		"X-Forwarded-For:198.51.100.5\r\nX-Forwarded-For-Not: 8.8.8.8\r\n\r\n";
	static const char bare_lf[] = "GET / HTTP/1.1\nX-Real-IP: 198.51.100.6 \n\n";
	struct in6_addr peer, out;
	struct request r = { .base = head, .head_end = sizeof(head) - 1 };
	char text[INET6_ADDRSTRLEN];

	(void)state;
	client_trust_clear();
	assert_int_equal(client_trust("127.0.0.1"), 0);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &peer);
	assert_true(client_forwarded(&r, &peer, &out));
	inet_ntop(AF_INET6, &out, text, sizeof(text));
	assert_string_equal(text, "::ffff:198.51.100.5");
	r.base = bare_lf;
	r.head_end = sizeof(bare_lf) - 1;
	assert_true(client_forwarded(&r, &peer, &out));
	inet_ntop(AF_INET6, &out, text, sizeof(text));
	assert_string_equal(text, "::ffff:198.51.100.6");
	client_trust_clear();
}

/* A request whose head holds the case's headers (as a client would
 * write them, among others). */
static void setup_req(struct request *r, char *buf, size_t sz, const struct fcase *c)
{
	int n = snprintf(buf, sz, "GET / HTTP/1.1\r\nHost: x\r\n%s%s%s%s%s%s%s%s%s"
			 "User-Agent: t\r\n\r\n",
			 c->fwd ? "Forwarded: " : "", c->fwd ? c->fwd : "", c->fwd ? "\r\n" : "",
			 c->xff ? "x-forwarded-for:" : "", c->xff ? c->xff : "",
			 c->xff ? " \r\n" : "",
			 c->xri ? "X-Real-IP:\t" : "", c->xri ? c->xri : "", c->xri ? "\r\n" : "");

	memset(r, 0, sizeof(*r));
	r->base = buf;
	r->head_end = (uint32_t)n;
}

static void test_forwarded(void **state)
{
	size_t i;

	(void)state;
	client_trust_clear();
	assert_int_equal(client_trust("10.0.0.0/8"), 0);
	assert_int_equal(client_trust("127.0.0.1"), 0);
	assert_int_equal(client_trust("2001:db8:ffff::/48"), 0);
	for (i = 0; i < LEN(cases); i++) {
		const struct fcase *c = &cases[i];
		struct in6_addr peer, out, before;
		struct request r;
		char buf[1024], text[INET6_ADDRSTRLEN];
		bool got;

		print_message("case %zu\n", i);
		setup_req(&r, buf, sizeof(buf), c);
		assert_int_equal(inet_pton(AF_INET6, c->peer, &peer), 1);
		memset(&out, 0xa5, sizeof(out));
		before = out;
		got = client_forwarded(&r, &peer, &out);
		assert_int_equal(got, c->want != NULL);
		if (!got) {
			assert_memory_equal(&out, &before, sizeof(out));
			continue;
		}
		inet_ntop(AF_INET6, &out, text, sizeof(text));
		assert_string_equal(text, c->want);
	}
	client_trust_clear();
}

static void test_trust_syntax(void **state)
{
	static const char *const bad[] = { "", "10.0.0.0/33", "x", "::1/129", "1.2.3.4/", "[::1" };
	size_t i;

	(void)state;
	client_trust_clear();
	for (i = 0; i < LEN(bad); i++)
		assert_int_equal(client_trust(bad[i]), -1);
	for (i = 0; i < CLIENT_TRUST_MAX; i++)
		assert_int_equal(client_trust("10.0.0.0/8"), 0);
	assert_int_equal(client_trust("10.0.0.0/8"), -1); /* bounded */
	client_trust_clear();
}

/* No trusted network: the headers are never read. */
static void test_nothing_trusted(void **state)
{
	const struct fcase c = { "::ffff:127.0.0.1", NULL, "198.51.100.1", NULL, NULL };
	struct in6_addr peer, out;
	struct request r;
	char buf[256];

	(void)state;
	client_trust_clear();
	setup_req(&r, buf, sizeof(buf), &c);
	inet_pton(AF_INET6, c.peer, &peer);
	assert_false(client_forwarded(&r, &peer, &out));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forwarded),
		cmocka_unit_test(test_head_lines),
		cmocka_unit_test(test_trust_syntax),
		cmocka_unit_test(test_nothing_trusted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
