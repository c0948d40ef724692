/* Range requests (RFC 9110 §14.1-14.2): parse, clamp, merge. Pure. */
#include "range.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

struct cursor {
	const char *s;
	size_t n, i;
};

static void skip_ows(struct cursor *c)
{
	while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t'))
		c->i++;
}

static bool is_digit(const struct cursor *c)
{
	return c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9';
}

/* 1*DIGIT, saturating at UINT64_MAX instead of wrapping. */
static bool number(struct cursor *c, uint64_t *v)
{
	if (!is_digit(c))
		return false;
	*v = 0;
	for (; is_digit(c); c->i++) {
		unsigned d = (unsigned)(c->s[c->i] - '0');

		*v = *v > (UINT64_MAX - d) / 10 ? UINT64_MAX : *v * 10 + d;
	}
	return true;
}

/* "bytes" OWS "=" (the unit is case-insensitive, §14.1). */
static bool unit(struct cursor *c)
{
	skip_ows(c);
	if (c->n - c->i < 5 || !util_ieq(c->s + c->i, 5, "bytes"))
		return false;
	c->i += 5;
	skip_ows(c);
	if (c->i >= c->n || c->s[c->i] != '=')
		return false;
	c->i++;
	return true;
}

/* One range-spec into [*start, *end) clamped to size; *ok is false when it
 * is well formed but not satisfiable. */
static bool spec(struct cursor *c, uint64_t size, uint64_t *start,
		 uint64_t *end, bool *ok)
{
	uint64_t first, last = UINT64_MAX;

	if (c->i < c->n && c->s[c->i] == '-') { /* suffix-range */
		c->i++;
		skip_ows(c);
		if (!number(c, &last))
			return false;
		*ok = last > 0;
		*start = last >= size ? 0 : size - last;
		*end = size;
		return true;
	}
	if (!number(c, &first))
		return false;
	skip_ows(c);
	if (c->i >= c->n || c->s[c->i] != '-')
		return false;
	c->i++;
	skip_ows(c);
	if (is_digit(c)) {
		number(c, &last);
		if (last < first)
			return false; /* invalid: the whole header is ignored */
	}
	*ok = first < size;
	*start = first;
	*end = last >= size - 1 ? size : last + 1;
	return true;
}

static bool touches(const struct range *a, off_t start, off_t end)
{
	return start <= a->start + a->len && a->start <= end;
}

/* Add [start, end) to out, merging whatever it overlaps or adjoins; the
 * merged range takes the place of the earliest one it swallowed. */
static void add(struct range *out, int *count, off_t start, off_t end)
{
	int i = 0, pos = -1;

	while (i < *count) {
		struct range *r = &out[i];

		if (!touches(r, start, end)) {
			i++;
			continue;
		}
		if (r->start < start)
			start = r->start;
		if (r->start + r->len > end)
			end = r->start + r->len;
		memmove(r, r + 1, (size_t)(*count - i - 1) * sizeof(*r));
		(*count)--;
		if (pos < 0 || i < pos)
			pos = i;
		i = 0; /* the union may now reach earlier ranges */
	}
	if (pos < 0)
		pos = *count;
	memmove(&out[pos + 1], &out[pos], (size_t)(*count - pos) * sizeof(*out));
	out[pos].start = start;
	out[pos].len = end - start;
	(*count)++;
}

enum range_result range_parse(const char *s, size_t n, off_t size,
			      struct range out[RANGE_MAX], int *count)
{
	struct cursor c = { s, n, 0 };
	int specs = 0;

	*count = 0;
	/* An empty file has no byte to range over; nginx sends it whole. */
	if (size <= 0 || !unit(&c))
		return RANGE_IGNORE;
	for (;;) {
		uint64_t start, end;
		bool ok;

		skip_ows(&c);
		if (c.i < c.n && c.s[c.i] == ',') { /* empty list element */
			c.i++;
			continue;
		}
		if (c.i >= c.n)
			break;
		if (!spec(&c, (uint64_t)size, &start, &end, &ok) ||
		    ++specs > RANGE_MAX)
			return RANGE_IGNORE;
		if (ok)
			add(out, count, (off_t)start, (off_t)end);
		skip_ows(&c);
		if (c.i < c.n && c.s[c.i] != ',')
			return RANGE_IGNORE;
	}
	if (specs == 0)
		return RANGE_IGNORE;
	return *count ? RANGE_OK : RANGE_UNSATISFIABLE;
}
