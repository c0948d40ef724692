/* Exact decimal numbers of bounded size: parse, add, compare, print. */
#ifndef DECIMAL_H
#define DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Bounds. An operand has at most DECIMAL_INT_MAX digits before the decimal
 * point (|x| < 10^1000) and at most DECIMAL_FRAC_MAX after it, once written
 * out in plain decimal; anything else is DECIMAL_RANGE, decided before any
 * digit is stored, so 1e999999999 costs no memory. A sum may carry into
 * DECIMAL_CARRY_MAX more integer digits: room for 10^9 operands.
 */
#define DECIMAL_INT_MAX 1000
#define DECIMAL_FRAC_MAX 1000
#define DECIMAL_CARRY_MAX 9
/* Longest decimal_format output, NUL included: sign, digits, point. */
#define DECIMAL_STR_MAX (1 + DECIMAL_INT_MAX + DECIMAL_CARRY_MAX + 1 + \
			 DECIMAL_FRAC_MAX + 1)

/* Storage: base 10^9 limbs, the point fixed between two limbs. */
#define DECIMAL_LIMB_DIGITS 9
#define DECIMAL_FRAC_LIMBS ((DECIMAL_FRAC_MAX + 8) / 9)
#define DECIMAL_INT_LIMBS ((DECIMAL_INT_MAX + DECIMAL_CARRY_MAX + 8) / 9)
#define DECIMAL_LIMBS (DECIMAL_FRAC_LIMBS + DECIMAL_INT_LIMBS)

enum decimal_err {
	DECIMAL_OK,
	DECIMAL_EMPTY,   /* "" */
	DECIMAL_SYNTAX,  /* not a JSON number (with an optional leading '+') */
	DECIMAL_RANGE,   /* digits beyond the bounds above */
};

/* value = (neg ? -1 : 1) * sum(limb[i] * 10^(9 * (i - DECIMAL_FRAC_LIMBS))) */
struct decimal {
	bool neg;                     /* never set for zero */
	uint32_t limb[DECIMAL_LIMBS]; /* little-endian, each < 10^9 */
};

void decimal_zero(struct decimal *d);
bool decimal_is_zero(const struct decimal *d);
/* Parse n bytes exactly (no spaces): [+-]?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
enum decimal_err decimal_parse(struct decimal *d, const char *s, size_t n);
/* out = a + b, exact; out may be a or b. DECIMAL_RANGE (out unchanged)
 * when the sum needs more than DECIMAL_INT_MAX + DECIMAL_CARRY_MAX digits. */
enum decimal_err decimal_add(struct decimal *out, const struct decimal *a,
			     const struct decimal *b);
/* <0, 0, >0 as a is less than, equal to, greater than b. */
int decimal_cmp(const struct decimal *a, const struct decimal *b);
/* Plain normalized decimal ("-12.5", "1000", "0.003", never "-0" or an
 * exponent) into out (DECIMAL_STR_MAX bytes); returns its length. */
size_t decimal_format(const struct decimal *d, char out[DECIMAL_STR_MAX]);
/* A short English description of err. */
const char *decimal_strerror(enum decimal_err err);

#endif
