/* PROXY protocol v1/v2 (haproxy.org/download/2.8/doc/proxy-protocol.txt). */
#include "proxyproto.h"

#include <arpa/inet.h>
#include <string.h>

#include "util.h"

#define V1_MAX 107 /* "PROXY " ... CRLF, the spec's worst case */
static const char v2_sig[12] = "\r\n\r\n\0\r\nQUIT\n";

/* One v1 field up to the next space (or, last, the end): copied to out. */
static const char *v1_field(const char *p, const char *end, char *out, size_t osz)
{
	const char *e = memchr(p, ' ', (size_t)(end - p));
	size_t n;

	if (!e)
		e = end;
	n = (size_t)(e - p);
	if (n == 0 || n >= osz)
		return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return e < end ? e + 1 : e;
}

/* "PROXY TCP4 1.2.3.4 5.6.7.8 1111 80\r\n" (or TCP6, or UNKNOWN ...). */
static enum proxyproto_result parse_v1(const char *p, size_t n, struct sockaddr_in6 *src,
				       bool *has_src, size_t *used)
{
	size_t lim = n < V1_MAX ? n : V1_MAX, i;
	char proto[8], saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN], sport[8], dport[8];
	const char *q = p + 6, *end;
	unsigned port, dummy;
	const char *e;
	uint8_t a[16];

	/* printable ASCII up to CRLF: a NUL cannot end a field early */
	for (i = 0; i < lim && p[i] != '\r'; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return PP_BAD;
	if (i == lim)
		return n < V1_MAX ? PP_MORE : PP_BAD;
	if (i + 2 > V1_MAX)
		return PP_BAD;
	if (i + 1 == n)
		return PP_MORE;
	if (p[i + 1] != '\n')
		return PP_BAD;
	*used = i + 2;
	end = p + i;
	if (!(q = v1_field(q, end, proto, sizeof(proto))))
		return PP_BAD;
	if (strcmp(proto, "UNKNOWN") == 0) {
		*has_src = false; /* the rest of the line is to be ignored */
		return PP_OK;
	}
	if ((strcmp(proto, "TCP4") != 0 && strcmp(proto, "TCP6") != 0) ||
	    !(q = v1_field(q, end, saddr, sizeof(saddr))) ||
	    !(q = v1_field(q, end, daddr, sizeof(daddr))) ||
	    !(q = v1_field(q, end, sport, sizeof(sport))) ||
	    !(q = v1_field(q, end, dport, sizeof(dport))) || q != end)
		return PP_BAD;
	if (util_parse_uint(sport, &e, 65535, &port) < 0 || *e ||
	    (sport[0] == '0' && sport[1]) || util_parse_uint(dport, &e, 65535, &dummy) < 0 ||
	    *e || (dport[0] == '0' && dport[1]))
		return PP_BAD;
	memset(src, 0, sizeof(*src));
	src->sin6_family = AF_INET6;
	src->sin6_port = htons((uint16_t)port);
	if (proto[3] == '4') {
		if (inet_pton(AF_INET, saddr, a) != 1 || inet_pton(AF_INET, daddr, a + 4) != 1)
			return PP_BAD;
		src->sin6_addr.s6_addr[10] = src->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&src->sin6_addr.s6_addr[12], a, 4);
	} else if (inet_pton(AF_INET6, saddr, &src->sin6_addr) != 1 ||
		   inet_pton(AF_INET6, daddr, a) != 1) {
		return PP_BAD;
	}
	*has_src = true;
	return PP_OK;
}

/* 12-byte signature, version/command, family/protocol, length, addresses. */
static enum proxyproto_result parse_v2(const unsigned char *p, size_t n,
				       struct sockaddr_in6 *src, bool *has_src, size_t *used)
{
	size_t len;

	if (n < 16)
		return PP_MORE;
	if ((p[12] >> 4) != 2 || (p[12] & 15) > 1)
		return PP_BAD; /* version 2; LOCAL (0) or PROXY (1) */
	len = (size_t)p[14] << 8 | p[15];
	if (16 + len > PROXYPROTO_MAX)
		return PP_BAD;
	if (n < 16 + len)
		return PP_MORE;
	*used = 16 + len;
	*has_src = false;
	if ((p[12] & 15) == 0)
		return PP_OK; /* LOCAL: the proxy's own connection (health checks) */
	memset(src, 0, sizeof(*src));
	src->sin6_family = AF_INET6;
	switch (p[13]) {
	case 0x11: /* TCP over IPv4: src, dst, sport, dport */
		if (len < 12)
			return PP_BAD;
		src->sin6_addr.s6_addr[10] = src->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&src->sin6_addr.s6_addr[12], p + 16, 4);
		memcpy(&src->sin6_port, p + 24, 2);
		break;
	case 0x21: /* TCP over IPv6 */
		if (len < 36)
			return PP_BAD;
		memcpy(&src->sin6_addr, p + 16, 16);
		memcpy(&src->sin6_port, p + 48, 2);
		break;
	case 0x00: /* UNSPEC */
		return PP_OK;
	default:
		return (p[13] & 15) <= 2 && (p[13] >> 4) <= 3 ? PP_OK : PP_BAD;
	}
	*has_src = true;
	return PP_OK;
}

enum proxyproto_result proxyproto_parse(const char *p, size_t n, struct sockaddr_in6 *src,
					bool *has_src, size_t *used)
{
	size_t k = n < 12 ? n : 12;

	*has_src = false;
	*used = 0;
	if (n == 0)
		return PP_MORE;
	if (memcmp(p, v2_sig, k) == 0)
		return k < 12 ? PP_MORE : parse_v2((const unsigned char *)p, n, src, has_src, used);
	k = n < 6 ? n : 6;
	if (memcmp(p, "PROXY ", k) != 0)
		return PP_BAD;
	return k < 6 ? PP_MORE : parse_v1(p, n, src, has_src, used);
}
