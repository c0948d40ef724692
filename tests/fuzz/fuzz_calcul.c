/* libFuzzer: the exact decimal adder and the /api/calcul glue.
 * Input: a flag byte, then text. The text, split at the first '\n' into a
 * and b, goes through the adder: parse → format → parse gives the same
 * number, a + b = b + a, (a + b) + (-b) = a, the sign of a + b - a is the
 * sign of b, and small integers agree with 128-bit arithmetic. The text is
 * also the query (GET, HEAD) or body (POST) of a synthetic request to
 * api_serve: the answer is valid JSON with a status among those the API
 * uses, and on 200 "sum" is exactly the sum of the echoed "operands". */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "decimal.h"
#include "send.h"

static char fmt1[DECIMAL_STR_MAX], fmt2[DECIMAL_STR_MAX];

/* Parse a well-formed x again from its plain form: same number. */
static void check_round_trip(const struct decimal *x)
{
	struct decimal y;
	size_t n = decimal_format(x, fmt1);

	if (n != strlen(fmt1) || n >= DECIMAL_STR_MAX)
		abort();
	if (decimal_parse(&y, fmt1, n) != DECIMAL_OK || decimal_cmp(x, &y) != 0 ||
	    memcmp(x, &y, sizeof(y)) != 0)
		abort();
	if (decimal_format(&y, fmt2) != n || memcmp(fmt1, fmt2, n) != 0)
		abort();
	if ((n > 1 && fmt1[0] == '0' && fmt1[1] != '.') || strcmp(fmt1, "-0") == 0 ||
	    (strchr(fmt1, '.') && fmt1[n - 1] == '0'))
		abort(); /* not normalized */
}

/* -x, by string */
static void negate(struct decimal *out, const struct decimal *x)
{
	char s[DECIMAL_STR_MAX + 1];
	size_t n = decimal_format(x, s + 1);
	const char *p = s + 1;

	if (s[1] == '-')
		p++, n--;
	else if (!decimal_is_zero(x))
		s[0] = '-', p = s, n++;
	if (decimal_parse(out, p, n) != DECIMAL_OK)
		abort();
}

/* Integers of at most max digits: the text as __int128, or false. */
static bool small_int(const struct decimal *x, size_t max, __int128 *v)
{
	size_t n = decimal_format(x, fmt1), i = 0;
	bool neg = fmt1[0] == '-';

	if (n - neg > max || strchr(fmt1, '.'))
		return false;
	*v = 0;
	for (i = neg; i < n; i++)
		*v = *v * 10 + (fmt1[i] - '0');
	if (neg)
		*v = -*v;
	return true;
}

static void check_adder(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	size_t na = nl ? (size_t)(nl - s) : n;
	struct decimal a, b, sum, sum2, nb, back, diff;
	enum decimal_err ea, eb, e;
	__int128 va, vb, vs;

	ea = decimal_parse(&a, s, na);
	if (ea != DECIMAL_OK) {
		if (ea != DECIMAL_EMPTY && ea != DECIMAL_SYNTAX && ea != DECIMAL_RANGE)
			abort();
		if ((ea == DECIMAL_EMPTY) != (na == 0) || !decimal_strerror(ea)[0])
			abort();
		return;
	}
	check_round_trip(&a);
	if (!nl)
		return;
	eb = decimal_parse(&b, nl + 1, n - na - 1);
	if (eb != DECIMAL_OK)
		return;
	check_round_trip(&b);

	e = decimal_add(&sum, &a, &b);
	if (decimal_add(&sum2, &b, &a) != e)
		abort();
	if (e != DECIMAL_OK)
		return; /* both operands are bounded: a sum fits (see decimal.h) */
	if (decimal_cmp(&sum, &sum2) != 0 || memcmp(&sum, &sum2, sizeof(sum)) != 0)
		abort();
	if (decimal_is_zero(&sum) && sum.neg)
		abort();
	negate(&nb, &b);
	if (decimal_add(&back, &sum, &nb) != DECIMAL_OK ||
	    memcmp(&back, &a, sizeof(a)) != 0)
		abort();
	negate(&diff, &a); /* (a + b) - a has the sign of b */
	if (decimal_add(&diff, &sum, &diff) != DECIMAL_OK ||
	    decimal_cmp(&diff, &b) != 0)
		abort();
	decimal_zero(&diff);
	if ((decimal_cmp(&sum, &a) > 0) != (decimal_cmp(&b, &diff) > 0))
		abort();
	/* in place: out may be a or b */
	sum2 = a;
	if (decimal_add(&sum2, &sum2, &b) != DECIMAL_OK || decimal_cmp(&sum2, &sum) != 0)
		abort();
	/* operands of up to 35 digits: their sum has at most 36 */
	if (small_int(&a, 35, &va) && small_int(&b, 35, &vb)) {
		if (!small_int(&sum, 36, &vs) || vs != va + vb)
			abort();
	}
}

/* {"operands":[x,...],"sum":s}: s is the exact sum of the x. */
static void check_sum(const char *body, size_t n)
{
	static const char head[] = "{\"operands\":[", mid[] = "],\"sum\":";
	struct decimal total, x;
	const char *p = body + sizeof(head) - 1, *end = body + n - 1, *m, *tok;
	size_t len;

	if (n < sizeof(head) + sizeof(mid) || memcmp(body, head, sizeof(head) - 1) ||
	    body[n - 1] != '}')
		abort();
	m = memmem(body, n, mid, sizeof(mid) - 1);
	if (!m || memchr(body, '+', n))
		abort(); /* a JSON number is a decimal_parse one without '+' */
	decimal_zero(&total);
	for (tok = p; tok < m; tok = p + 1) {
		p = memchr(tok, ',', (size_t)(m - tok));
		if (!p)
			p = m;
		if (decimal_parse(&x, tok, (size_t)(p - tok)) != DECIMAL_OK ||
		    decimal_add(&total, &total, &x) != DECIMAL_OK)
			abort();
	}
	len = decimal_format(&total, fmt1);
	tok = m + sizeof(mid) - 1;
	if ((size_t)(end - tok) != len || memcmp(tok, fmt1, len) != 0)
		abort();
}

static const char *const ctypes[] = {
	NULL, "application/json", "application/x-www-form-urlencoded",
	"Application/JSON; charset=utf-8", "text/plain",
	"application/x-www-form-urlencoded ;charset=x", "",
};
static const uint8_t methods[] = { HTTP_GET, HTTP_POST, HTTP_HEAD, HTTP_PUT,
				   HTTP_DELETE, HTTP_OPTIONS, HTTP_POST, HTTP_GET };

static void check_api(uint8_t flags, const char *s, size_t n)
{
	const char *ct = ctypes[(flags >> 3) % (sizeof(ctypes) / sizeof(ctypes[0]))];
	const char *path = flags & 0x80 ? "/api/calcul/x" : "/api/calcul";
	struct buf body = BUF_INIT(SEND_BODY_MAX), hdrs = BUF_INIT(HTTP_HDRS_MAX);
	struct response resp = { .fd = -1, .body = &body, .hdrs = &hdrs };
	struct request req = { .method = methods[flags & 7] };
	size_t o = 1;
	char *base;
	enum status st;
	json_error_t err;
	json_t *root;

	if (n > HTTP_BODY_KEEP_MAX)
		n = HTTP_BODY_KEEP_MAX;
	/* The text last, at the very end of its block: ASan sees overreads. */
	base = malloc(1 + (ct ? strlen(ct) : 0) + strlen(path) + n);
	if (!base)
		return;
	req.base = base;
	base[0] = '#'; /* offset 0 means "absent" */
	if (ct) {
		req.hdr[H_CONTENT_TYPE] = (struct span){ (uint32_t)o, (uint32_t)strlen(ct) };
		memcpy(base + o, ct, strlen(ct));
		o += strlen(ct);
	}
	req.path = (struct span){ (uint32_t)o, (uint32_t)strlen(path) };
	memcpy(base + o, path, strlen(path));
	o += strlen(path);
	memcpy(base + o, s, n);
	if (req.method == HTTP_POST)
		req.body = (struct span){ (uint32_t)o, (uint32_t)n };
	else
		req.query = (struct span){ (uint32_t)o, (uint32_t)n };
	if (!api_match(&req))
		abort();

	st = api_serve(&req, &resp);
	if (st != S_OK && st != S_BAD_REQUEST && st != S_NOT_FOUND &&
	    st != S_METHOD_NOT_ALLOWED && st != S_PAYLOAD_TOO_LARGE &&
	    st != S_UNSUPPORTED_MEDIA_TYPE)
		abort();
	if (!resp.ctype || strcmp(resp.ctype, "application/json") != 0)
		abort();
	/* Exact numbers may be beyond what jansson holds (a double): then the
	 * strict reading of check_sum vouches for the document. */
	root = json_loadb(body.data, body.len,
			  JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &err);
	if (st == S_OK) {
		check_sum(body.data, body.len);
		if (!root && json_error_code(&err) != json_error_numeric_overflow)
			abort();
		if (root && (!json_is_object(root) || json_object_size(root) != 2 ||
			     !json_is_array(json_object_get(root, "operands")) ||
			     !json_is_number(json_object_get(root, "sum"))))
			abort();
	} else {
		const json_t *e;

		if (!root || !json_is_object(root))
			abort();
		e = json_object_get(root, "error");
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_object_size(root) != 1)
			abort();
	}
	if ((st == S_METHOD_NOT_ALLOWED) != (hdrs.len > 0))
		abort();
	json_decref(root);
	buf_free(&body);
	buf_free(&hdrs);
	free(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	/* An exact-size heap copy: ASan sees any read past the text. */
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	check_adder(s, size - 1);
	check_api(data[0], s, size - 1);
	free(s);
	return 0;
}
