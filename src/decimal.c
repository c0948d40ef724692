/* Exact decimal numbers of bounded size: parse, add, compare, print. */
#include "decimal.h"

#include <string.h>

#define BASE 1000000000u
/* Power of ten of the lowest stored digit's position, negated. */
#define POINT (DECIMAL_FRAC_LIMBS * DECIMAL_LIMB_DIGITS)
/* Exponents are clamped here while read: far beyond any bound, far from overflow. */
#define EXP_CLAMP 1000000000000000LL
#define STR_(x) #x
#define STR(x) STR_(x)

static const uint32_t pow10[DECIMAL_LIMB_DIGITS] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
};

void decimal_zero(struct decimal *d)
{
	memset(d, 0, sizeof(*d));
}

bool decimal_is_zero(const struct decimal *d)
{
	int i;

	for (i = 0; i < DECIMAL_LIMBS; i++)
		if (d->limb[i])
			return false;
	return true;
}

static int digit_at(const struct decimal *d, long p)
{
	long k = p + POINT;

	return (int)(d->limb[k / DECIMAL_LIMB_DIGITS] /
		     pow10[k % DECIMAL_LIMB_DIGITS] % 10);
}

/* Power of ten of the highest (top) or lowest nonzero digit; d is not zero. */
static long extreme_digit(const struct decimal *d, bool top)
{
	int i = top ? DECIMAL_LIMBS - 1 : 0;
	long p;

	while (!d->limb[i])
		i += top ? -1 : 1;
	p = (long)i * DECIMAL_LIMB_DIGITS - POINT;
	if (top) {
		p += DECIMAL_LIMB_DIGITS - 1;
		while (!digit_at(d, p))
			p--;
	} else {
		while (!digit_at(d, p))
			p++;
	}
	return p;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits of s from i on; their count. */
static size_t scan_digits(const char *s, size_t n, size_t i)
{
	size_t j = i;

	while (j < n && is_digit(s[j]))
		j++;
	return j - i;
}

/* The syntax of a JSON number with an optional '+': where the integer and
 * fraction digits are, and the exponent (clamped). */
struct parts {
	size_t ioff, ilen, foff, flen;
	long long exp;
	bool neg;
};

static enum decimal_err split(struct parts *pt, const char *s, size_t n)
{
	size_t i = 0, elen;

	memset(pt, 0, sizeof(*pt));
	if (n == 0)
		return DECIMAL_EMPTY;
	if (s[0] == '+' || s[0] == '-')
		pt->neg = s[i++] == '-';
	pt->ioff = i;
	pt->ilen = scan_digits(s, n, i);
	if (pt->ilen == 0 || (pt->ilen > 1 && s[i] == '0'))
		return DECIMAL_SYNTAX;
	i += pt->ilen;
	if (i < n && s[i] == '.') {
		pt->foff = ++i;
		pt->flen = scan_digits(s, n, i);
		if (pt->flen == 0)
			return DECIMAL_SYNTAX;
		i += pt->flen;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		bool eneg = false;

		if (++i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		elen = scan_digits(s, n, i);
		if (elen == 0)
			return DECIMAL_SYNTAX;
		for (; elen > 0; elen--, i++)
			if (pt->exp < EXP_CLAMP)
				pt->exp = pt->exp * 10 + (s[i] - '0');
		if (eneg)
			pt->exp = -pt->exp;
	}
	return i == n ? DECIMAL_OK : DECIMAL_SYNTAX;
}

/* Mantissa digit m (integer digits, then fraction digits). */
static int mant_digit(const struct parts *pt, const char *s, size_t m)
{
	return s[m < pt->ilen ? pt->ioff + m : pt->foff + m - pt->ilen] - '0';
}

enum decimal_err decimal_parse(struct decimal *d, const char *s, size_t n)
{
	struct parts pt;
	enum decimal_err err;
	size_t first, last, m, total;
	long long hi, lo;

	decimal_zero(d);
	if ((err = split(&pt, s, n)) != DECIMAL_OK)
		return err;
	total = pt.ilen + pt.flen;
	for (first = 0; first < total && !mant_digit(&pt, s, first); first++)
		;
	if (first == total)
		return DECIMAL_OK; /* zero, whatever its sign or exponent */
	for (last = total - 1; !mant_digit(&pt, s, last); last--)
		;
	/* powers of ten of the first and last nonzero digits */
	hi = (long long)pt.ilen - 1 - (long long)first + pt.exp;
	lo = (long long)pt.ilen - 1 - (long long)last + pt.exp;
	if (hi >= DECIMAL_INT_MAX || lo < -DECIMAL_FRAC_MAX)
		return DECIMAL_RANGE;
	for (m = first; m <= last; m++) {
		long k = (long)((long long)pt.ilen - 1 - (long long)m + pt.exp) + POINT;

		d->limb[k / DECIMAL_LIMB_DIGITS] +=
			(uint32_t)mant_digit(&pt, s, m) * pow10[k % DECIMAL_LIMB_DIGITS];
	}
	d->neg = pt.neg;
	return DECIMAL_OK;
}

static int cmp_mag(const struct decimal *a, const struct decimal *b)
{
	int i;

	for (i = DECIMAL_LIMBS - 1; i >= 0; i--)
		if (a->limb[i] != b->limb[i])
			return a->limb[i] < b->limb[i] ? -1 : 1;
	return 0;
}

int decimal_cmp(const struct decimal *a, const struct decimal *b)
{
	if (a->neg != b->neg)
		return a->neg ? -1 : 1;
	return a->neg ? cmp_mag(b, a) : cmp_mag(a, b);
}

/* |out| = |x| + |y|; false on a carry out of the top limb. */
static bool add_mag(struct decimal *out, const struct decimal *x,
		    const struct decimal *y)
{
	uint32_t carry = 0;
	int i;

	for (i = 0; i < DECIMAL_LIMBS; i++) {
		uint32_t v = x->limb[i] + y->limb[i] + carry;

		carry = v >= BASE;
		out->limb[i] = carry ? v - BASE : v;
	}
	return !carry;
}

/* |out| = |x| - |y|, with |x| >= |y|. */
static void sub_mag(struct decimal *out, const struct decimal *x,
		    const struct decimal *y)
{
	uint32_t borrow = 0;
	int i;

	for (i = 0; i < DECIMAL_LIMBS; i++) {
		uint32_t sub = y->limb[i] + borrow;

		borrow = x->limb[i] < sub;
		out->limb[i] = borrow ? x->limb[i] + BASE - sub : x->limb[i] - sub;
	}
}

enum decimal_err decimal_add(struct decimal *out, const struct decimal *a,
			     const struct decimal *b)
{
	struct decimal r;

	if (a->neg == b->neg) {
		r.neg = a->neg;
		if (!add_mag(&r, a, b))
			return DECIMAL_RANGE;
	} else if (cmp_mag(a, b) >= 0) {
		r.neg = a->neg;
		sub_mag(&r, a, b);
	} else {
		r.neg = b->neg;
		sub_mag(&r, b, a);
	}
	if (decimal_is_zero(&r))
		r.neg = false;
	else if (extreme_digit(&r, true) >= DECIMAL_INT_MAX + DECIMAL_CARRY_MAX)
		return DECIMAL_RANGE;
	*out = r;
	return DECIMAL_OK;
}

size_t decimal_format(const struct decimal *d, char out[DECIMAL_STR_MAX])
{
	size_t n = 0;
	long p, hi, lo;

	if (decimal_is_zero(d)) {
		memcpy(out, "0", 2);
		return 1;
	}
	hi = extreme_digit(d, true);
	lo = extreme_digit(d, false);
	if (d->neg)
		out[n++] = '-';
	if (hi < 0)
		out[n++] = '0';
	for (p = hi; p >= 0; p--)
		out[n++] = (char)('0' + digit_at(d, p));
	if (lo < 0) {
		out[n++] = '.';
		for (p = -1; p >= lo; p--)
			out[n++] = (char)('0' + digit_at(d, p));
	}
	out[n] = '\0';
	return n;
}

const char *decimal_strerror(enum decimal_err err)
{
	static const char *const msg[] = {
		[DECIMAL_OK] = "ok",
		[DECIMAL_EMPTY] = "empty",
		[DECIMAL_SYNTAX] = "not a number",
		[DECIMAL_RANGE] = "too many digits (at most " STR(DECIMAL_INT_MAX)
			" before and " STR(DECIMAL_FRAC_MAX) " after the decimal point)",
	};

	return (unsigned)err < sizeof(msg) / sizeof(msg[0]) ? msg[err] : "error";
}
