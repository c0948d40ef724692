/* proxyproto_parse: PROXY v1 and v2 headers, valid, partial and invalid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "proxyproto.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S(lit) lit, sizeof(lit) - 1
#define SIG "\r\n\r\n\0\r\nQUIT\n"

struct pcase {
	const char *in;
	size_t n;
	enum proxyproto_result want;
	size_t used;
	const char *src;  /* text of the source address, NULL: none */
	unsigned port;
};

static const struct pcase cases[] = {
	/* v1 */
	{ S("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nGET"), PP_OK, 45, "::ffff:192.0.2.1", 56324 },
	{ S("PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n"), PP_OK, 40, "2001:db8::1", 1 },
	{ S("PROXY UNKNOWN\r\n"), PP_OK, 15, NULL, 0 },
	{ S("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"), PP_OK, 35, NULL, 0 },
	{ S("PROXY TCP4 192.0.2.1 198.51.100.2 0 65535\r\n"), PP_OK, 43, "::ffff:192.0.2.1", 0 },
	/* v1, not yet complete */
	{ S(""), PP_MORE, 0, NULL, 0 },
	{ S("P"), PP_MORE, 0, NULL, 0 },
	{ S("PROXY"), PP_MORE, 0, NULL, 0 },
	{ S("PROXY TCP4 192.0.2.1"), PP_MORE, 0, NULL, 0 },
	{ S("PROXY TCP4 192.0.2.1 198.51.100.2 1 2\r"), PP_MORE, 0, NULL, 0 },
	/* v1, invalid */
	{ S("GET / HTTP/1.1\r\n\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("proxy TCP4 192.0.2.1 198.51.100.2 1 2\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP4 192.0.2.1 198.51.100.2 1 2\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP4 192.0.2.1 198.51.100.2 1 2\rX"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP4 192.0.2.1 198.51.100.2 1 2 3\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP4 192.0.2.1  198.51.100.2 1 2\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP4 2001:db8::1 198.51.100.2 1 2\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP6 192.0.2.1 2001:db8::2 1 2\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP4 256.0.2.1 198.51.100.2 1 2\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP4 192.0.2.1 198.51.100.2 65536 2\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP4 192.0.2.1 198.51.100.2 01 2\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP4 192.0.2.1 198.51.100.2 -1 2\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY UDP4 192.0.2.1 198.51.100.2 1 2\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY \r\n"), PP_BAD, 0, NULL, 0 },
	/* a NUL must not end a field early (found by fuzz_client) */
	{ S("PROXY TCP6 ::1 200::2\0\n\n 0 2\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP4 192.0.2.1\t198.51.100.2 1 2\r\n"), PP_BAD, 0, NULL, 0 },
	{ S("PROXY TCP4 11111111111111111111111111111111111111111111111111111111111111111111"
	    "111111111111111111111111111111111111111"), PP_BAD, 0, NULL, 0 },
	/* v2 */
	{ S(SIG "\x21\x11\x00\x0c" "\xc0\x00\x02\x01" "\x7f\x00\x00\x01" "\x15\xb3\x00\x50"),
	  PP_OK, 28, "::ffff:192.0.2.1", 5555 },
	{ S(SIG "\x21\x21\x00\x24" "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x09"
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01" "\x00\x01\x00\x50"),
	  PP_OK, 52, "2001:db8::9", 1 },
	{ S(SIG "\x20\x00\x00\x00GET"), PP_OK, 16, NULL, 0 },          /* LOCAL */
	{ S(SIG "\x21\x00\x00\x00"), PP_OK, 16, NULL, 0 },             /* UNSPEC */
	{ S(SIG "\x21\x31\x00\x02" "ab"), PP_OK, 18, NULL, 0 },           /* AF_UNIX */
	{ S(SIG "\x21\x12\x00\x0c" "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x00\x02"), PP_OK,
	  28, NULL, 0 },                                              /* UDP */
	/* v2, partial */
	{ S(SIG), PP_MORE, 0, NULL, 0 },
	{ S("\r\n\r\n\0\r\nQU"), PP_MORE, 0, NULL, 0 },
	{ S(SIG "\x21\x11\x00\x0c\xc0\x00"), PP_MORE, 0, NULL, 0 },
	/* v2, invalid */
	{ S(SIG "\x11\x11\x00\x0c"), PP_BAD, 0, NULL, 0 },              /* version 1 */
	{ S(SIG "\x22\x11\x00\x0c"), PP_BAD, 0, NULL, 0 },              /* command 2 */
	{ S(SIG "\x21\x11\x00\x04\x01\x02\x03\x04"), PP_BAD, 0, NULL, 0 }, /* short */
	{ S(SIG "\x21\x21\x00\x0c" "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x00\x02"), PP_BAD,
	  0, NULL, 0 },
	{ S(SIG "\x21\x11\xff\xff"), PP_BAD, 0, NULL, 0 },              /* over our limit */
	{ S(SIG "\x21\x41\x00\x00"), PP_BAD, 0, NULL, 0 },              /* family 4 */
	{ S("\r\n\r\n\0\r\nQUIT\r"), PP_BAD, 0, NULL, 0 },
};

static void test_cases(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		const struct pcase *c = &cases[i];
		struct sockaddr_in6 src;
		char text[INET6_ADDRSTRLEN];
		size_t used = 99;
		bool has = true;
		enum proxyproto_result r = proxyproto_parse(c->in, c->n, &src, &has, &used);

		print_message("case %zu\n", i);
		assert_int_equal(r, c->want);
		if (r != PP_OK)
			continue;
		assert_int_equal(used, c->used);
		assert_int_equal(has, c->src != NULL);
		if (!c->src)
			continue;
		inet_ntop(AF_INET6, &src.sin6_addr, text, sizeof(text));
		assert_string_equal(text, c->src);
		assert_int_equal(ntohs(src.sin6_port), c->port);
	}
}

/* Every prefix of a valid header is PP_MORE, never PP_BAD. */
static void test_prefixes(void **state)
{
	static const char v1[] = "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n";
	static const char v2[] = SIG "\x21\x11\x00\x0c\xc0\x00\x02\x01\x7f\x00\x00\x01\x15\xb3\x00\x50";
	struct sockaddr_in6 src;
	size_t n, used;
	bool has;

	(void)state;
	for (n = 0; n < sizeof(v1) - 1; n++)
		assert_int_equal(proxyproto_parse(v1, n, &src, &has, &used), PP_MORE);
	for (n = 0; n < sizeof(v2) - 1; n++)
		assert_int_equal(proxyproto_parse(v2, n, &src, &has, &used), PP_MORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
