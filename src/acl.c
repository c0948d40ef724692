/* A:/D: rules: address operands parsed, matched against a peer (pure). */
#include "acl.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void prefix_mask(uint8_t mask[16], unsigned bits)
{
	unsigned i;

	memset(mask, 0, 16);
	for (i = 0; i < 16 && bits; i++) {
		unsigned b = bits > 8 ? 8 : bits;

		mask[i] = (uint8_t)(0xff00 >> b);
		bits -= b;
	}
}

/* Up to four dotted octets, a trailing '.' allowed ("172.20."); the
 * number of octets given is returned (busybox: 8 bits of mask each). */
static int parse_dotted(const char *s, const char **end, uint8_t out[4])
{
	int n = 0;

	memset(out, 0, 4);
	while (n < 4) {
		unsigned v;

		if (util_parse_uint(s, &s, 255, &v) < 0)
			return -1;
		out[n++] = (uint8_t)v;
		if (*s != '.')
			break;
		s++;
		if (!isdigit((unsigned char)*s))
			break; /* "172.20." */
	}
	*end = s;
	return n;
}

static int parse_net4(const char *s, struct acl_net *n)
{
	uint8_t a[4], m[4];
	int k = parse_dotted(s, &s, a);
	unsigned bits = (unsigned)k * 8;
	bool dotted = false;

	if (k < 0)
		return -1;
	if (*s == '/') {
		const char *e;

		if (parse_dotted(s + 1, &e, m) == 4 && *e == '\0')
			dotted = true; /* used as given, contiguous or not */
		else if (util_parse_uint(s + 1, &e, 32, &bits) < 0)
			return -1;
		s = e;
	}
	if (*s)
		return -1;
	memset(n, 0, sizeof(*n));
	if (!dotted) {
		prefix_mask(n->mask, bits);
		memcpy(m, n->mask, 4);
	}
	memset(n->mask, 0xff, 12);
	n->addr[10] = n->addr[11] = 0xff;
	for (k = 0; k < 4; k++) {
		n->mask[12 + k] = m[k];
		n->addr[12 + k] = a[k] & m[k];
	}
	return 0;
}

static int parse_net6(const char *s, struct acl_net *n)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	unsigned bits = 128;
	struct in6_addr a;
	int i;

	if (len && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len -= 2;
	}
	if (len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET6, tmp, &a) != 1)
		return -1;
	if (slash) {
		const char *e;

		if (util_parse_uint(slash + 1, &e, 128, &bits) < 0 || *e)
			return -1;
	}
	prefix_mask(n->mask, bits);
	for (i = 0; i < 16; i++)
		n->addr[i] = a.s6_addr[i] & n->mask[i];
	return 0;
}

int acl_parse_net(const char *s, struct acl_net *n)
{
	if (!*s)
		return -1;
	return strchr(s, ':') ? parse_net6(s, n) : parse_net4(s, n);
}

bool acl_net_match(const struct acl_net *n, const struct in6_addr *a)
{
	int i;

	for (i = 0; i < 16; i++)
		if ((a->s6_addr[i] & n->mask[i]) != n->addr[i])
			return false;
	return true;
}

bool acl_allows(const struct acl_rule *acl, size_t n, bool deny_all,
		       const struct in6_addr *peer)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!acl[i].allow && acl_net_match(&acl[i].net, peer))
			return false;
	for (i = 0; i < n; i++)
		if (acl[i].allow && acl_net_match(&acl[i].net, peer))
			return true;
	return !deny_all;
}
