/* CORS decisions, per the Fetch standard (§3.2 "CORS protocol"): a
 * request with an allowed Origin gets Access-Control-Allow-Origin (the
 * origin itself, or "*" when every origin may read and no credentials are
 * involved); a preflight (OPTIONS with Origin and Access-Control-Request-
 * Method) gets 204 with the methods, headers and Max-Age; an origin not
 * allowed gets no CORS header at all, so the browser blocks the read. */
#include "cors.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

static bool allowed(const struct cors *c, const char *o, size_t n)
{
	size_t i;

	for (i = 0; i < c->norigins; i++)
		if (strlen(c->origins[i]) == n && memcmp(c->origins[i], o, n) == 0)
			return true;
	return false;
}

bool cors_list_ok(const char *s, size_t n)
{
	size_t i, tok = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == ',' || s[i] == ' ' || s[i] == '\t')
			continue;
		if (!http_token(s + i, 1))
			return false;
		tok++;
	}
	return tok > 0;
}

enum cors_kind cors_kind(const struct cors *c, const struct cors_req *r)
{
	bool ok;

	if (!c || (!c->any && !c->norigins))
		return CORS_OFF;
	if (!r->origin) /* "*" may go on every answer; a listed origin not */
		return c->any && !c->credentials ? CORS_SIMPLE : CORS_NONE;
	/* never "*" with credentials: a listed origin or nothing */
	ok = c->credentials ? !c->any && allowed(c, r->origin, r->origin_len)
			    : c->any || allowed(c, r->origin, r->origin_len);
	if (!ok)
		return CORS_NONE;
	return r->method == HTTP_OPTIONS && r->has_acrm ? CORS_PREFLIGHT : CORS_SIMPLE;
}

enum cors_kind cors_decide(const struct cors *c, const struct cors_req *r, struct buf *out)
{
	enum cors_kind k = cors_kind(c, r);
	int rc = 0;

	if (k == CORS_OFF)
		return k;
	/* The answer depends on Origin unless it is "*" for all: caches
	 * must know (Fetch §3.2.6), also when we add nothing. */
	if (!c->any || c->credentials)
		rc |= buf_puts(out, "Vary: Origin\r\n");
	if (k == CORS_NONE)
		return k;
	if (c->any && !c->credentials)
		rc |= buf_puts(out, "Access-Control-Allow-Origin: *\r\n");
	else
		rc |= buf_printf(out, "Access-Control-Allow-Origin: %.*s\r\n",
				 (int)r->origin_len, r->origin);
	if (c->credentials)
		rc |= buf_puts(out, "Access-Control-Allow-Credentials: true\r\n");
	if (k == CORS_PREFLIGHT) {
		rc |= buf_printf(out, "Access-Control-Allow-Methods: %s\r\n",
				 c->methods ? c->methods : CORS_METHODS_DEFAULT);
		if (c->headers)
			rc |= buf_printf(out, "Access-Control-Allow-Headers: %s\r\n",
					 c->headers);
		else if (r->acrh && cors_list_ok(r->acrh, r->acrh_len))
			rc |= buf_printf(out, "Access-Control-Allow-Headers: %.*s\r\n",
					 (int)r->acrh_len, r->acrh);
		rc |= buf_printf(out, "Access-Control-Max-Age: %ld\r\n",
				 c->max_age < 0 ? (long)CORS_MAX_AGE_DEFAULT : c->max_age);
	}
	return rc ? CORS_NONE : k; /* out of room: as if not allowed */
}

/* scheme "://" host [ ":" port ], lower case, nothing after. */
int cors_origin_check(const char *o, char *err, size_t errsz)
{
	const char *p = o, *host;

	if (strcmp(o, "*") == 0)
		return 0;
	if (!islower((unsigned char)*p))
		goto bad;
	while (islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '+' ||
	       *p == '-' || *p == '.')
		p++;
	if (strncmp(p, "://", 3) != 0)
		goto bad;
	host = p += 3;
	if (*p == '[') {
		while (*p && *p != ']')
			p++;
		if (*p++ != ']')
			goto bad;
	} else {
		while (islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' ||
		       *p == '.')
			p++;
	}
	if (p == host)
		goto bad;
	if (*p == ':') {
		if (!isdigit((unsigned char)*++p))
			goto bad;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == '\0')
		return 0;
bad:
	snprintf(err, errsz, "bad origin '%.60s' (expected * or scheme://host[:port] in "
		 "lower case, no path, as browsers send it)", o);
	return -1;
}
