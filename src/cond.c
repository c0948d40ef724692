/* Conditional requests (RFC 9110 §13) and Accept-Encoding (§12.5.3). */
#include "cond.h"

#include <string.h>

static struct cond_val val(const struct request *req, enum hdr h)
{
	struct cond_val v = { NULL, 0 };

	if (http_has_header(req, h)) {
		v.s = span_ptr(req, req->hdr[h]);
		v.n = req->hdr[h].len;
	}
	return v;
}

void cond_from_request(struct cond *c, const struct request *req)
{
	c->if_match = val(req, H_IF_MATCH);
	c->if_unmodified_since = val(req, H_IF_UNMODIFIED_SINCE);
	c->if_none_match = val(req, H_IF_NONE_MATCH);
	c->if_modified_since = val(req, H_IF_MODIFIED_SINCE);
	c->get_or_head = req->method == HTTP_GET || req->method == HTTP_HEAD;
}

static bool is_ows(char ch)
{
	return ch == ' ' || ch == '\t';
}

bool cond_etag_listed(const char *list, size_t n, const char *etag, bool weak)
{
	size_t el = strlen(etag), i = 0;

	while (i < n) {
		bool is_weak = false;
		size_t start;

		if (is_ows(list[i]) || list[i] == ',') {
			i++;
			continue;
		}
		if (list[i] == '*')
			return true;
		if (n - i >= 2 && list[i] == 'W' && list[i + 1] == '/') {
			is_weak = true;
			i += 2;
		}
		if (i >= n || list[i] != '"') { /* not an entity-tag: skip it */
			while (i < n && list[i] != ',')
				i++;
			continue;
		}
		start = i++;
		while (i < n && list[i] != '"')
			i++;
		if (i == n)
			return false; /* unterminated */
		i++;
		if ((weak || !is_weak) && i - start == el &&
		    memcmp(list + start, etag, el) == 0)
			return true;
	}
	return false;
}

static time_t date_of(struct cond_val v)
{
	return v.s ? util_parse_http_date(v.s, v.n) : -1;
}

enum status cond_evaluate(const struct cond *c, const char *etag, time_t mtime)
{
	time_t t;

	/* 1-2: the client's copy must be the current one (lost updates). */
	if (c->if_match.s) {
		if (!cond_etag_listed(c->if_match.s, c->if_match.n, etag, false))
			return S_PRECONDITION_FAILED;
	} else if ((t = date_of(c->if_unmodified_since)) != -1 && mtime > t) {
		return S_PRECONDITION_FAILED;
	}
	/* 3-4: the client's cached copy is still good. */
	if (c->if_none_match.s) {
		if (cond_etag_listed(c->if_none_match.s, c->if_none_match.n, etag, true))
			return c->get_or_head ? S_NOT_MODIFIED : S_PRECONDITION_FAILED;
	} else if (c->get_or_head && (t = date_of(c->if_modified_since)) != -1 &&
		   mtime <= t) {
		return S_NOT_MODIFIED;
	}
	return S_OK;
}

bool cond_if_range(const char *v, size_t n, const char *etag, time_t mtime)
{
	time_t t;

	while (n && is_ows(v[0]))
		v++, n--;
	while (n && is_ows(v[n - 1]))
		n--;
	if (n >= 2 && v[0] == 'W' && v[1] == '/')
		return false; /* a weak tag never matches (strong comparison) */
	if (n && v[0] == '"')
		return n == strlen(etag) && memcmp(v, etag, n) == 0;
	t = util_parse_http_date(v, n);
	return t != -1 && t == mtime;
}

/* qvalue (§12.4.2): "0", "0.5", "1", "1.000" → 0..1000, or -1. */
static int qvalue(const char *s, size_t n)
{
	int q, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1') || (n > 1 && s[1] != '.') || n > 5)
		return -1;
	q = (s[0] - '0') * 1000;
	for (i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/* The q of one list element "coding *( OWS ; OWS param )"; -1 if bad. */
static int element_q(const char *s, size_t n)
{
	const char *semi = memchr(s, ';', n);
	int q = 1000;

	while (semi) {
		const char *p = semi + 1, *end = s + n, *next;
		size_t len;

		while (p < end && is_ows(*p))
			p++;
		next = memchr(p, ';', (size_t)(end - p));
		len = (size_t)((next ? next : end) - p);
		while (len && is_ows(p[len - 1]))
			len--;
		if (len >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=')
			q = qvalue(p + 2, len - 2);
		semi = next;
	}
	return q;
}

static bool coding_is(const char *s, size_t n, const char *coding)
{
	if (util_ieq(s, n, coding))
		return true;
	/* x-gzip is gzip (§8.4.1.3) */
	return strcmp(coding, "gzip") == 0 && util_ieq(s, n, "x-gzip");
}

int cond_accept_q(const char *v, size_t n, bool present, const char *coding)
{
	bool identity = strcmp(coding, "identity") == 0;
	int exact = -1, star = -1;
	size_t i = 0;

	if (!present)
		return identity ? 1000 : 0;
	while (i < n) {
		const char *comma = memchr(v + i, ',', n - i);
		size_t end = comma ? (size_t)(comma - v) : n, s = i, e;
		int q;

		i = end + 1;
		while (s < end && is_ows(v[s]))
			s++;
		for (e = s; e < end && v[e] != ';' && !is_ows(v[e]); e++)
			;
		if (e == s || (q = element_q(v + s, end - s)) < 0)
			continue;
		if (e - s == 1 && v[s] == '*') {
			if (star < 0)
				star = q;
		} else if (coding_is(v + s, e - s, coding) && exact < 0) {
			exact = q;
		}
	}
	if (exact >= 0)
		return exact;
	if (identity)
		return star == 0 ? 0 : 1;
	return star > 0 ? star : 0;
}
