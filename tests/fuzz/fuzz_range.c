/* libFuzzer: Range (range_parse) and the conditional headers (cond_*).
 * Input: a mode byte and 8 bytes that make the file size (0, tiny, huge,
 * near INT64_MAX, negative), then the header text.
 * Ranges: every one lies in [0, size) and is not empty; none overlaps or
 * touches another after merging; 1..RANGE_MAX of them on RANGE_OK;
 * and when the text has no blanks, the bytes covered are exactly those a
 * plain reference reading of "bytes=a-b,-c" covers.
 * Conditions: q-values within 0..1000; an etag listed first is found; a
 * strong match is also a weak one; cond_evaluate answers as RFC 9110
 * §13.2.2 computed from the same primitives; If-Range takes exactly our
 * strong etag or our Last-Modified date. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "range.h"

struct iv {
	uint64_t s, e; /* [s, e) */
};

static int iv_cmp(const void *a, const void *b)
{
	const struct iv *x = a, *y = b;

	return x->s < y->s ? -1 : x->s > y->s;
}

/* Sort and merge overlapping or adjacent intervals; the new count. */
static int canon(struct iv *v, int n)
{
	int i, k = 0;

	qsort(v, (size_t)n, sizeof(*v), iv_cmp);
	for (i = 0; i < n; i++) {
		if (k > 0 && v[i].s <= v[k - 1].e) {
			if (v[i].e > v[k - 1].e)
				v[k - 1].e = v[i].e;
		} else {
			v[k++] = v[i];
		}
	}
	return k;
}

/* Digits [p, end) as a saturating uint64; false when none or not all digits. */
static bool ref_number(const char *p, const char *end, uint64_t *v)
{
	if (p == end)
		return false;
	for (*v = 0; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		if (*v > (UINT64_MAX - 9) / 10)
			*v = UINT64_MAX;
		else
			*v = *v * 10 + (uint64_t)(*p - '0');
	}
	return true;
}

/* The reference, for text without SP/HT: the result and the covered
 * intervals (canonical). */
static enum range_result ref_parse(const char *s, size_t n, uint64_t size,
				   struct iv *v, int *nv)
{
	const char *p = s + 6, *end = s + n;
	int specs = 0;

	*nv = 0;
	if (n < 6 || strncasecmp(s, "bytes=", 6) != 0)
		return RANGE_IGNORE;
	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *e = comma ? comma : end, *dash;
		uint64_t first, last = UINT64_MAX;

		if (e > p) {
			if (++specs > RANGE_MAX)
				return RANGE_IGNORE;
			dash = memchr(p, '-', (size_t)(e - p));
			if (!dash)
				return RANGE_IGNORE;
			if (dash == p) { /* -suffix */
				if (!ref_number(p + 1, e, &last))
					return RANGE_IGNORE;
				if (last > 0) {
					v[*nv].s = last >= size ? 0 : size - last;
					v[(*nv)++].e = size;
				}
			} else {
				if (!ref_number(p, dash, &first) ||
				    (dash + 1 < e && !ref_number(dash + 1, e, &last)))
					return RANGE_IGNORE;
				if (last < first)
					return RANGE_IGNORE;
				if (first < size) {
					v[*nv].s = first;
					v[(*nv)++].e = last >= size - 1 ? size : last + 1;
				}
			}
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	if (specs == 0)
		return RANGE_IGNORE;
	*nv = canon(v, *nv);
	return *nv ? RANGE_OK : RANGE_UNSATISFIABLE;
}

static void check_range(const char *s, size_t n, off_t size)
{
	struct range out[RANGE_MAX + 1];
	struct iv got[RANGE_MAX], want[RANGE_MAX];
	int count = -1, i, j, nw;
	enum range_result res, ref;

	memset(out, 0x5a, sizeof(out));
	res = range_parse(s, n, size, out, &count);
	if (res != RANGE_IGNORE && res != RANGE_OK && res != RANGE_UNSATISFIABLE)
		abort();
	if (size <= 0 && res != RANGE_IGNORE)
		abort();
	if (res == RANGE_OK && (count < 1 || count > RANGE_MAX))
		abort();
	if (res != RANGE_OK)
		count = 0; /* meaningful on RANGE_OK only (range.h) */
	if (out[RANGE_MAX].start != (off_t)0x5a5a5a5a5a5a5a5aLL) /* canary */
		abort();
	for (i = 0; i < count; i++) {
		const struct range *a = &out[i];

		if (a->start < 0 || a->len <= 0 || a->start >= size ||
		    a->len > size - a->start)
			abort();
		for (j = 0; j < i; j++) {
			const struct range *b = &out[j];

			/* disjoint and not adjacent: a gap between them */
			if (!(a->start + a->len < b->start || b->start + b->len < a->start))
				abort();
		}
		got[i].s = (uint64_t)a->start;
		got[i].e = (uint64_t)(a->start + a->len);
	}
	if (size <= 0 || memchr(s, ' ', n) || memchr(s, '\t', n))
		return;
	ref = ref_parse(s, n, (uint64_t)size, want, &nw);
	if (ref != res)
		abort();
	if (res != RANGE_OK)
		return;
	if (canon(got, count) != count || count != nw ||
	    memcmp(got, want, sizeof(*got) * (size_t)count) != 0)
		abort();
}

static void check_cond(const char *s, size_t n, uint8_t flags, time_t mtime)
{
	static const char etag[] = "\"5f3a-1c2b\"";
	static const char *const codings[] = { "br", "gzip", "identity", "zstd" };
	char date[HTTP_DATE_LEN], *list;
	struct cond c = { .get_or_head = flags & 1 };
	struct cond_val *vals[] = { &c.if_match, &c.if_unmodified_since,
				    &c.if_none_match, &c.if_modified_since };
	const char *p = s, *end = s + n;
	size_t i, el = strlen(etag);
	enum status st, want = S_OK;
	time_t t;

	for (i = 0; i < 4; i++) {
		int q = cond_accept_q(s, n, true, codings[i]);

		if (q < 0 || q > 1000)
			abort();
		if (cond_accept_q(s, n, false, codings[i]) != (i == 2 ? 1000 : 0))
			abort();
	}
	/* listed first: found, weak or strong */
	list = malloc(el + 1 + n);
	if (!list)
		abort();
	memcpy(list, etag, el);
	list[el] = ',';
	memcpy(list + el + 1, s, n);
	if (!cond_etag_listed(list, el + 1 + n, etag, false) ||
	    !cond_etag_listed(list, el + 1 + n, etag, true))
		abort();
	free(list);
	if (cond_etag_listed(s, n, etag, false) && !cond_etag_listed(s, n, etag, true))
		abort();

	/* the four preconditions: lines of the text, present by the flags */
	for (i = 0; i < 4; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		if (flags & (2 << i)) {
			vals[i]->s = p;
			vals[i]->n = (size_t)(e - p);
		}
		p = nl ? nl + 1 : end;
	}
	if (c.if_match.s) {
		if (!cond_etag_listed(c.if_match.s, c.if_match.n, etag, false))
			want = S_PRECONDITION_FAILED;
	} else if (c.if_unmodified_since.s &&
		   (t = util_parse_http_date(c.if_unmodified_since.s,
					     c.if_unmodified_since.n)) != -1 &&
		   mtime > t) {
		want = S_PRECONDITION_FAILED;
	}
	if (want == S_OK) {
		if (c.if_none_match.s) {
			if (cond_etag_listed(c.if_none_match.s, c.if_none_match.n, etag, true))
				want = c.get_or_head ? S_NOT_MODIFIED : S_PRECONDITION_FAILED;
		} else if (c.get_or_head && c.if_modified_since.s &&
			   (t = util_parse_http_date(c.if_modified_since.s,
						     c.if_modified_since.n)) != -1 &&
			   mtime <= t) {
			want = S_NOT_MODIFIED;
		}
	}
	st = cond_evaluate(&c, etag, mtime);
	if (st != want)
		abort();

	/* If-Range */
	util_http_date(mtime, date);
	if (!cond_if_range(etag, el, etag, mtime) ||
	    !cond_if_range(date, strlen(date), etag, mtime))
		abort();
	if (cond_if_range(s, n, etag, mtime)) {
		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (!(n == el && memcmp(s, etag, el) == 0) &&
		    util_parse_http_date(s, n) != mtime)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t raw = 0;
	off_t fsize;
	time_t mtime;
	char *s;
	size_t i, n;

	if (size < 9)
		return 0;
	for (i = 1; i < 9; i++)
		raw = raw << 8 | data[i];
	switch (data[0] % 6) {
	case 0: fsize = 0; break;
	case 1: fsize = (off_t)(raw % 1024); break;
	case 2: fsize = (off_t)(INT64_MAX - (int64_t)(raw % 1024)); break;
	case 3: fsize = (off_t)raw; break; /* any, negative too */
	case 4: fsize = (off_t)(raw & INT64_MAX); break;
	default: fsize = (off_t)(raw % 100000000); break;
	}
	/* An exact-size heap copy: ASan sees any read past the text. */
	n = size - 9;
	s = malloc(n ? n : 1);
	if (!s)
		return 0;
	memcpy(s, data + 9, n);
	check_range(s, n, fsize);
	/* mtime: any second from 1970 to 9999 */
	mtime = (time_t)(raw % 253402300800ULL);
	check_cond(s, n, data[0], mtime);
	free(s);
	return 0;
}
