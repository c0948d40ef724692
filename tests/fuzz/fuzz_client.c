/* libFuzzer: the client address behind proxies.
 * Byte 0 even: the input is the start of a connection for proxyproto_parse.
 * Whatever the bytes: a result among the three; PP_OK uses at most n bytes
 * (16 + its length for v2, up to CRLF for v1) and the same bytes alone give
 * the same answer, each shorter prefix of them PP_MORE; PP_MORE only below
 * PROXYPROTO_MAX bytes.
 * Byte 0 odd: the rest is a Forwarded / X-Forwarded-For / X-Real-IP value
 * (byte 1 picks) from a trusted peer: client_forwarded finds an address or
 * leaves *out alone; an untrusted peer never gets one. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "proxyproto.h"

static void check_proxy(const char *p, size_t n)
{
	struct sockaddr_in6 src;
	size_t used = 0, used2 = 0, k;
	bool has, has2;
	enum proxyproto_result r = proxyproto_parse(p, n, &src, &has, &used);

	if (r != PP_OK && r != PP_MORE && r != PP_BAD)
		abort();
	if (r == PP_MORE && n >= PROXYPROTO_MAX)
		abort();
	if (r != PP_OK)
		return;
	if (used == 0 || used > n || used > PROXYPROTO_MAX)
		abort();
	if (has && src.sin6_family != AF_INET6)
		abort();
	if (proxyproto_parse(p, used, &src, &has2, &used2) != PP_OK || used2 != used ||
	    has2 != has)
		abort();
	for (k = 0; k < used; k++)
		if (proxyproto_parse(p, k, &src, &has2, &used2) != PP_MORE)
			abort();
}

static void check_forwarded(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "Forwarded: ", "X-Forwarded-For: ", "X-Real-IP: " };
	struct in6_addr peer = { .s6_addr = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 } };
	struct in6_addr out, before;
	struct request r;
	const char *name;
	size_t k, n;
	char *buf;

	if (size < 2)
		return;
	name = names[data[1] % 3];
	k = 16 + strlen(name);
	n = k + (size - 2) + 4;
	buf = malloc(n); /* exact size: ASan sees any read past the head */
	if (!buf)
		return;
	memcpy(buf, "GET / HTTP/1.1\r\n", 16);
	memcpy(buf + 16, name, strlen(name));
	memcpy(buf + k, data + 2, size - 2);
	memcpy(buf + n - 4, "\r\n\r\n", 4);
	memset(&r, 0, sizeof(r));
	r.base = buf;
	r.head_end = (uint32_t)n;
	memset(&out, 0x5a, sizeof(out));
	before = out;
	if (!client_forwarded(&r, &peer, &out) && memcmp(&out, &before, sizeof(out)) != 0)
		abort();
	peer.s6_addr[15] = 2; /* 127.0.0.2: not trusted */
	if (client_forwarded(&r, &peer, &out))
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	char *p;

	if (!init) {
		client_trust("127.0.0.1");
		client_trust("10.0.0.0/8");
		client_trust("2001:db8::/32");
		init = true;
	}
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		check_forwarded(data, size);
		return 0;
	}
	p = malloc(size - 1 ? size - 1 : 1);
	if (!p)
		return 0;
	memcpy(p, data + 1, size - 1);
	check_proxy(p, size - 1);
	free(p);
	return 0;
}
