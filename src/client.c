/* Whom a request comes from, when trusted proxies stand in between. */
#include "client.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "acl.h"
#include "log.h"
#include "proxyproto.h"

bool client_proxy_protocol;
static struct acl_net trusted[CLIENT_TRUST_MAX];
static size_t ntrusted;

int client_trust(const char *cidr)
{
	if (ntrusted == CLIENT_TRUST_MAX || acl_parse_net(cidr, &trusted[ntrusted]) < 0)
		return -1;
	ntrusted++;
	return 0;
}

void client_trust_clear(void)
{
	ntrusted = 0;
}

static bool is_trusted(const struct in6_addr *a)
{
	size_t i;

	for (i = 0; i < ntrusted; i++)
		if (acl_net_match(&trusted[i], a))
			return true;
	return false;
}

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

/* One address, as proxies write them: 1.2.3.4, 1.2.3.4:80, 2001:db8::1,
 * [2001:db8::1], [2001:db8::1]:80, maybe quoted. IPv4 as v4-mapped. */
static bool parse_addr(const char *s, size_t n, struct in6_addr *out)
{
	char tmp[INET6_ADDRSTRLEN];
	const char *colon;
	uint8_t a4[4];

	while (n && ows(*s))
		s++, n--;
	while (n && ows(s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	if (n && s[0] == '[') {
		const char *end = memchr(s, ']', n);

		if (!end || (end + 1 < s + n && end[1] != ':'))
			return false;
		s++;
		n = (size_t)(end - s);
	} else if ((colon = memchr(s, ':', n)) && !memchr(colon + 1, ':', n - (size_t)(colon - s) - 1)) {
		n = (size_t)(colon - s); /* one colon: IPv4 with a port */
	}
	if (n == 0 || n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET, tmp, a4) == 1) {
		memset(out, 0, sizeof(*out));
		out->s6_addr[10] = out->s6_addr[11] = 0xff;
		memcpy(&out->s6_addr[12], a4, 4);
		return true;
	}
	return inet_pton(AF_INET6, tmp, out) == 1;
}

/* The for= parameter of one Forwarded element (RFC 7239 §4). */
static bool forwarded_for(const char *s, size_t n, struct in6_addr *out)
{
	while (n) {
		const char *semi = memchr(s, ';', n);
		size_t k = semi ? (size_t)(semi - s) : n;
		size_t i = 0;

		while (i < k && ows(s[i]))
			i++;
		if (k - i > 4 && strncasecmp(s + i, "for=", 4) == 0)
			return parse_addr(s + i + 4, k - i - 4, out);
		s += semi ? k + 1 : k;
		n -= semi ? k + 1 : k;
	}
	return false;
}

/* Walk the list of v[0..n) from the right: hops appended by trusted
 * proxies are skipped; the first untrusted one is the client. An element
 * that is not an address ends the walk (the last good one stands). */
static bool walk(const char *v, size_t n, bool fwd, struct in6_addr *out)
{
	bool found = false;

	while (n) {
		const char *comma = memrchr(v, ',', n);
		size_t start = comma ? (size_t)(comma - v) + 1 : 0;
		struct in6_addr a;

		if (!(fwd ? forwarded_for(v + start, n - start, &a)
			  : parse_addr(v + start, n - start, &a)))
			break;
		*out = a;
		found = true;
		if (!is_trusted(&a))
			break;
		n = comma ? (size_t)(comma - v) : 0;
	}
	return found;
}

/* The value of the last line of header name in req's head (a proxy
 * appends its line after the client's); the head is whole and valid. */
static bool last_header(const struct request *req, const char *name, const char **v,
			size_t *n)
{
	const char *p = req->base + req->method_s.off, *end = req->base + req->head_end;
	size_t len = strlen(name);
	bool found = false;

	p = memchr(p, '\n', (size_t)(end - p)); /* past the request line */
	while (p && ++p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q;

		if (!eol)
			break;
		if ((size_t)(eol - p) > len && p[len] == ':' && strncasecmp(p, name, len) == 0) {
			for (q = p + len + 1; q < eol && ows(*q); q++)
				;
			*v = q;
			for (q = eol; q > *v && (ows(q[-1]) || q[-1] == '\r'); q--)
				;
			*n = (size_t)(q - *v);
			found = true;
		}
		p = eol;
	}
	return found;
}

bool client_forwarded(const struct request *req, const struct in6_addr *peer,
		      struct in6_addr *out)
{
	static const char *const order[] = { "Forwarded", "X-Forwarded-For", "X-Real-IP" };
	const char *v = NULL;
	size_t i, n = 0;

	if (!ntrusted || !is_trusted(peer) || !req->head_end)
		return false;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (last_header(req, order[i], &v, &n))
			return walk(v, n, i == 0, out);
	return false;
}

struct client_orig {
	struct sockaddr_in6 peer;
};

void client_apply(const struct request *req, struct sockaddr_in6 *peer,
		  struct client_orig **orig)
{
	struct sockaddr_in6 fw;

	if (!ntrusted)
		return;
	if (*orig) /* the previous request was forwarded: back to the real peer */
		*peer = (*orig)->peer;
	fw = *peer;
	if (!client_forwarded(req, &peer->sin6_addr, &fw.sin6_addr))
		return;
	if (!*orig) {
		*orig = malloc(sizeof(**orig));
		if (!*orig)
			return; /* no memory: the peer stands */
	}
	(*orig)->peer = *peer;
	fw.sin6_family = AF_INET6; /* even behind a pipe: it names a client */
	*peer = fw;
}

int client_proxy_take(struct buf *in, struct sockaddr_in6 *peer)
{
	char str[UTIL_PEER_LEN];
	struct sockaddr_in6 src;
	size_t used;
	bool has_src;

	switch (proxyproto_parse(in->data, in->len, &src, &has_src, &used)) {
	case PP_BAD:
		log_debug("%s: no valid PROXY protocol header", util_peer_str(peer, str));
		return -1;
	case PP_MORE:
		return 0;
	default:
		break;
	}
	if (has_src)
		util_peer((const struct sockaddr *)&src, peer);
	memmove(in->data, in->data + used, in->len - used);
	in->len -= used;
	return 1;
}
