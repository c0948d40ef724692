/* Basic authentication: credentials decoded, passwords (plain or crypt()
 * hashes) compared in constant time, the rule of a path checked. */
#include "auth.h"

#include <crypt.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

#define AUTH_LINE_MAX 4096 /* the WWW-Authenticate line: a longer realm is cut */

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long auth_base64_decode(const char *in, size_t n, char *out, size_t outsz)
{
	unsigned acc = 0, bits = 0;
	size_t i, o = 0, pad = 0;

	while (n && in[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n % 4 == 1 || (pad && (n + pad) % 4))
		return -1;
	for (i = 0; i < n; i++) {
		int v = b64val((unsigned char)in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= outsz)
				return -1;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (outsz == 0)
		return -1;
	out[o] = '\0';
	return (long)o;
}

int auth_basic_credentials(const char *v, size_t n, char *out, size_t outsz,
			     char **pass)
{
	size_t i = 0;
	long len;
	char *colon;

	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (n - i < 6 || strncasecmp(v + i, "Basic", 5) != 0 ||
	    (v[i + 5] != ' ' && v[i + 5] != '\t'))
		return -1;
	i += 5;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	while (n > i && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (i == n)
		return -1;
	len = auth_base64_decode(v + i, n - i, out, outsz);
	if (len < 0 || memchr(out, '\0', (size_t)len))
		return -1;
	colon = strchr(out, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	*pass = colon + 1;
	return 0;
}

/* Constant time in b (the stored secret); a's length may leak, it is the
 * client's own. */
static bool ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char d = la != lb;

	for (i = 0; i < lb; i++)
		d |= (unsigned char)((i < la ? a[i] : 0) ^ b[i]);
	return d == 0;
}

/* "$id$…" with id in [a-z0-9]: a crypt() hash ($1$, $5$, $6$, $y$, …). */
static bool is_hash(const char *s)
{
	size_t i = 1;

	if (s[0] != '$')
		return false;
	while (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]))
		i++;
	return i > 1 && s[i] == '$';
}

static const char *hash(const char *pw, const char *setting)
{
	static struct crypt_data cd; /* 32 KiB: static, one thread */
	const char *h;

	memset(&cd, 0, sizeof(cd));
	h = crypt_r(pw, setting, &cd);
	return h && h[0] != '*' ? h : NULL;
}

bool auth_password_ok(const char *given, const char *stored)
{
	const char *h;

	if (!is_hash(stored))
		return ct_equal(given, stored);
	h = hash(given, stored);
	return h && ct_equal(h, stored);
}

/* User names logged outlive a reload: keep one copy of each, forever
 * (bounded by the distinct names ever configured, not by clients). */
static const char *intern(const char *s)
{
	static struct name {
		struct name *next;
		char s[];
	} *names;
	struct name *n;
	size_t len = strlen(s);

	for (n = names; n; n = n->next)
		if (strcmp(n->s, s) == 0)
			return n->s;
	n = malloc(sizeof(*n) + len + 1);
	if (!n)
		return NULL;
	memcpy(n->s, s, len + 1);
	n->next = names;
	names = n;
	return n->s;
}

static void add_challenge(struct response *resp, const char *realm)
{
	const char *p;
	size_t from = resp->hdrs->len;

	buf_puts(resp->hdrs, "WWW-Authenticate: Basic realm=\"");
	for (p = realm; *p && resp->hdrs->len - from + 5 <= AUTH_LINE_MAX; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			continue;
		if (*p == '"' || *p == '\\')
			buf_append(resp->hdrs, "\\", 1);
		buf_append(resp->hdrs, p, 1);
	}
	buf_puts(resp->hdrs, "\"\r\n");
}

/* The first (longest) matching prefix decides; any user of that prefix. */
bool auth_hash_supported(const char *stored)
{
	return !is_hash(stored) || hash("", stored) != NULL;
}

static enum status check(const struct request *req, const char *path,
			 const struct auth_rule *rules, size_t nrules, const char **user)
{
	char cred[AUTH_CRED_MAX], *pass;
	const char *prefix = NULL;
	bool ok = false;
	size_t i;

	for (i = 0; i < nrules && !prefix; i++)
		if (path_under(path, rules[i].path))
			prefix = rules[i].path;
	if (!prefix)
		return S_OK;
	if (!http_has_header(req, H_AUTHORIZATION) ||
	    auth_basic_credentials(span_ptr(req, req->hdr[H_AUTHORIZATION]),
				     req->hdr[H_AUTHORIZATION].len, cred,
				     sizeof(cred), &pass) < 0)
		return S_UNAUTHORIZED;
	for (i = 0; i < nrules && !ok; i++)
		if (rules[i].path && strcmp(rules[i].path, prefix) == 0 &&
		    strcmp(rules[i].user, cred) == 0)
			ok = auth_password_ok(pass, rules[i].pass);
	explicit_bzero(cred, sizeof(cred));
	if (!ok)
		return S_UNAUTHORIZED;
	*user = intern(rules[i - 1].user);
	return S_OK;
}


enum status auth_check(const struct request *req, const char *path,
		       const struct auth_rule *rules, size_t nrules, const char *realm,
		       struct response *resp, const char **user)
{
	enum status s = check(req, path, rules, nrules, user);

	if (s == S_UNAUTHORIZED) {
		resp->why = "Basic authentication missing or wrong";
		add_challenge(resp, realm);
	}
	return s;
}
