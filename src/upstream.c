/* Reverse-proxy rules, pure parts: P: targets, prefixes, rewritten paths,
 * the heads passed on with hop-by-hop headers removed (RFC 9110 §7.6.1). */
#include "upstream.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void set_err(char *err, size_t errsz, const char *msg, const char *arg)
{
	snprintf(err, errsz, msg, arg);
}

static bool host_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_';
}

int upstream_parse(const char *prefix, const char *target, struct upstream *u,
		   char *err, size_t errsz)
{
	const char *h = target, *p, *end;
	size_t n;

	memset(u, 0, sizeof(*u));
	if (prefix[0] != '/')
		return set_err(err, errsz, "P: URL '%s' must start with '/'", prefix), -1;
	if ((n = strlen(prefix)) >= sizeof(u->prefix))
		return set_err(err, errsz, "P: URL too long%s", ""), -1;
	memcpy(u->prefix, prefix, n + 1);
	if (strncasecmp(h, "http://", 7) == 0)
		h += 7;
	else if (strstr(h, "://"))
		return set_err(err, errsz, "upstream '%s': only http:// is supported", target), -1;
	if (*h == '[') { /* an IPv6 literal */
		unsigned char a6[16];

		end = strchr(h, ']');
		n = end ? (size_t)(end - h - 1) : 0;
		if (!end || n >= sizeof(u->host))
			return set_err(err, errsz, "upstream '%s': bad IPv6 address", target), -1;
		memcpy(u->host, h + 1, n);
		if (inet_pton(AF_INET6, u->host, a6) != 1)
			return set_err(err, errsz, "upstream '%s': bad IPv6 address", target), -1;
		p = end + 1;
	} else {
		for (p = h; *p && *p != ':' && *p != '/'; p++)
			if (!host_char(*p))
				return set_err(err, errsz, "upstream '%s': bad host name", target), -1;
		n = (size_t)(p - h);
		if (n == 0 || n >= sizeof(u->host))
			goto syntax;
		memcpy(u->host, h, n);
	}
	u->port = 80;
	if (*p == ':') {
		if (util_parse_uint(p + 1, &end, 65535, &u->port) < 0 || u->port == 0)
			return set_err(err, errsz, "upstream '%s': bad port", target), -1;
		p = end;
	}
	if (*p != '/')
		goto syntax;
	if ((n = strlen(p)) >= sizeof(u->path))
		return set_err(err, errsz, "upstream path too long%s", ""), -1;
	for (end = p; *end; end++)
		if (*end <= ' ' || *end >= 0x7f || *end == '?' || *end == '#')
			return set_err(err, errsz, "upstream '%s': the path must be a plain path",
				       target), -1;
	memcpy(u->path, p, n + 1);
	snprintf(u->authority, sizeof(u->authority), strchr(u->host, ':') ? "[%s]" : "%s",
		 u->host);
	if (u->port != 80)
		snprintf(u->authority + strlen(u->authority),
			 sizeof(u->authority) - strlen(u->authority), ":%u", u->port);
	return 0;
syntax:
	set_err(err, errsz, "expected P:/url:[http://]host[:port]/path, got '%s'", target);
	return -1;
}

bool upstream_numeric_only;

int upstream_resolve(struct upstream *u, char *err, size_t errsz)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV |
				  (upstream_numeric_only ? AI_NUMERICHOST : 0) };
	struct addrinfo *res, *a;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", u->port);
	rc = getaddrinfo(u->host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errsz, "cannot resolve upstream host '%s': %s", u->host,
			 gai_strerror(rc));
		return -1;
	}
	u->naddr = 0;
	for (a = res; a && u->naddr < UPSTREAM_ADDRS; a = a->ai_next) {
		if (a->ai_addrlen > sizeof(u->addr[0]))
			continue;
		memcpy(&u->addr[u->naddr], a->ai_addr, a->ai_addrlen);
		u->addrlen[u->naddr++] = a->ai_addrlen;
	}
	freeaddrinfo(res);
	if (!u->naddr)
		snprintf(err, errsz, "upstream host '%s' has no address", u->host);
	return u->naddr ? 0 : -1;
}

const struct upstream *upstream_match(const struct upstream *u, size_t nu, const char *path,
				      size_t n)
{
	const struct upstream *best = NULL;
	size_t i, k, bestk = 0;

	for (i = 0; i < nu; i++) {
		k = strlen(u[i].prefix);
		if (k <= n && k > bestk && memcmp(path, u[i].prefix, k) == 0) {
			best = &u[i];
			bestk = k;
		}
	}
	return best;
}

bool upstream_dot_segment(const char *path, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t dots = 0;
		bool other = false;

		for (; i < n && path[i] != '/'; i++) {
			if (path[i] == '.') {
				dots++;
			} else if (path[i] == '%' && i + 2 < n && path[i + 1] == '2' &&
				   (path[i + 2] == 'e' || path[i + 2] == 'E')) {
				dots++;
				i += 2;
			} else {
				other = true;
			}
		}
		if (!other && (dots == 1 || dots == 2))
			return true;
		i++;
	}
	return false;
}

/* --- header blocks ---------------------------------------------------------- */

struct field {
	const char *name, *val;
	size_t nlen, vlen;
};

/* The next "Name: value" line of p[*i..n) (value trimmed); false at the end. */
static bool next_field(const char *p, size_t n, size_t *i, struct field *f)
{
	while (*i < n) {
		const char *line = p + *i;
		const char *nl = memchr(line, '\n', n - *i);
		size_t len = nl ? (size_t)(nl - line) : n - *i;
		const char *colon, *end;

		*i += len + (nl != NULL);
		if (len && line[len - 1] == '\r')
			len--;
		colon = memchr(line, ':', len);
		if (!colon || colon == line)
			continue;
		f->name = line;
		f->nlen = (size_t)(colon - line);
		for (f->val = colon + 1; f->val < line + len && (*f->val == ' ' || *f->val == '\t');
		     f->val++)
			;
		for (end = line + len; end > f->val && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		f->vlen = (size_t)(end - f->val);
		return true;
	}
	return false;
}

static bool name_is(const struct field *f, const char *name)
{
	return util_ieq(f->name, f->nlen, name);
}

/* Is the field's name one of the tokens of a Connection header in p? */
static bool named_by_connection(const char *p, size_t n, const struct field *f)
{
	struct field c;
	size_t i = 0;

	while (next_field(p, n, &i, &c)) {
		const char *t = c.val, *end = c.val + c.vlen;

		if (!name_is(&c, "Connection"))
			continue;
		while (t < end) {
			const char *comma = memchr(t, ',', (size_t)(end - t));
			const char *te = comma ? comma : end;

			while (t < te && (*t == ' ' || *t == '\t'))
				t++;
			while (te > t && (te[-1] == ' ' || te[-1] == '\t'))
				te--;
			if ((size_t)(te - t) == f->nlen && strncasecmp(t, f->name, f->nlen) == 0)
				return true;
			t = comma ? comma + 1 : end;
		}
	}
	return false;
}

/* Hop-by-hop (RFC 9110 §7.6.1), framing (the proxy frames each side), and
 * the fields in drop; the Connection lines are searched only if there is one. */
static bool dropped(const char *p, size_t n, const struct field *f, const char *const *drop,
		    bool has_connection)
{
	static const char *const hop[] = {
		"Connection", "Keep-Alive", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
		"Content-Length", NULL
	};
	size_t k;

	for (k = 0; hop[k]; k++)
		if (name_is(f, hop[k]))
			return true;
	for (k = 0; drop[k]; k++)
		if (name_is(f, drop[k]))
			return true;
	if (f->nlen >= 6 && strncasecmp(f->name, "Proxy-", 6) == 0)
		return true;
	return has_connection && named_by_connection(p, n, f);
}

static int copy_fields(struct buf *out, const char *p, size_t n,
		       const char *const *drop)
{
	struct field f;
	size_t i = 0;
	int rc = 0;
	bool has_connection = false;

	while (!has_connection && next_field(p, n, &i, &f))
		has_connection = name_is(&f, "Connection");
	i = 0;
	while (rc == 0 && next_field(p, n, &i, &f)) {
		if (dropped(p, n, &f, drop, has_connection))
			continue;
		rc |= buf_append(out, f.name, f.nlen);
		rc |= buf_append(out, ": ", 2);
		rc |= buf_append(out, f.val, f.vlen);
		rc |= buf_append(out, "\r\n", 2);
	}
	return rc;
}

int upstream_request_head(struct buf *out, const struct request *req,
			  const struct upstream *u, const char *client_addr)
{
	static const char *const drop[] = {
		"Host", "Expect", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", NULL
	};
	const char *path = span_ptr(req, req->path);
	const char *nl = memchr(req->base, '\n', req->head_end);
	const char *fields = nl ? nl + 1 : req->base + req->head_end;
	size_t fn = (size_t)(req->base + req->head_end - fields);
	size_t plen = strlen(u->prefix), i = 0;
	const char *after = path + req->path.len;
	struct field f;
	int rc = 0;

	rc |= buf_append(out, span_ptr(req, req->method_s), req->method_s.len);
	rc |= buf_printf(out, " %s", u->path);
	rc |= buf_append(out, path + plen, req->path.len - plen);
	if (after < span_ptr(req, req->url) + req->url.len && *after == '?') {
		rc |= buf_append(out, "?", 1);
		rc |= buf_append(out, span_ptr(req, req->query), req->query.len);
	}
	rc |= buf_printf(out, " HTTP/1.1\r\nHost: %s\r\n", u->authority);
	rc |= copy_fields(out, fields, fn, drop);
	/* Earlier proxies' X-Forwarded-For, then the client (as nginx's
	 * $proxy_add_x_forwarded_for); the other two are ours alone. */
	rc |= buf_puts(out, "X-Forwarded-For: ");
	while (next_field(fields, fn, &i, &f))
		if (name_is(&f, "X-Forwarded-For") && f.vlen) {
			rc |= buf_append(out, f.val, f.vlen);
			rc |= buf_append(out, ", ", 2);
		}
	rc |= buf_printf(out, "%s\r\nX-Forwarded-Proto: http\r\n", client_addr);
	if (http_has_header(req, H_HOST)) {
		rc |= buf_puts(out, "X-Forwarded-Host: ");
		rc |= buf_append(out, span_ptr(req, req->hdr[H_HOST]), req->hdr[H_HOST].len);
		rc |= buf_append(out, "\r\n", 2);
	}
	rc |= buf_printf(out, "Via: 1.%d httpd\r\n", req->minor);
	if (req->has_body && req->content_length)
		rc |= buf_printf(out, "Content-Length: %llu\r\n",
				 (unsigned long long)req->content_length);
	else if (req->has_body)
		rc |= buf_puts(out, "Transfer-Encoding: chunked\r\n");
	rc |= buf_puts(out, "Connection: close\r\n\r\n");
	return rc ? -1 : 0;
}

int upstream_response_headers(struct buf *out, const char *p, size_t n)
{
	static const char *const drop[] = { "Server", "Date", NULL };

	if (copy_fields(out, p, n, drop) < 0)
		return -1;
	return buf_puts(out, "Via: 1.1 httpd\r\n");
}
