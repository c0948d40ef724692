/* /api/calcul: routing and JSON glue around the exact decimal adder. */
#include "api.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"

#define API_PATH "/api/calcul"
#define ALLOW "GET, HEAD, POST"
/* Operands are echoed in plain decimal, up to DECIMAL_STR_MAX bytes each:
 * the count bounds the answer (about 2 MB at worst, under SEND_BODY_MAX). */
#define API_OPERANDS_MAX 1000
/* Bytes of an operand quoted back in an error message. */
#define API_QUOTE_MAX 40
#define STR_(x) #x
#define STR(x) STR_(x)

/* The sum so far; operands are echoed into out as they come. */
struct calc {
	struct decimal sum, op;
	struct buf *out;
	int count;
	char num[DECIMAL_STR_MAX];
};

/* Decoded query and form values: one kept body at most. */
static char scratch[HTTP_BODY_KEEP_MAX];

bool api_match(const struct request *req)
{
	static const char prefix[] = API_PATH;
	const char *p = span_ptr(req, req->path);
	size_t n = sizeof(prefix) - 1;

	return req->path.len >= n && memcmp(p, prefix, n) == 0 &&
	       (req->path.len == n || p[n] == '/');
}

static void json_escape(struct buf *b, const char *s, size_t n)
{
	util_json_escape(b, s, n);
}

/* Replace the body with {"error":"..."}; returns s. */
static enum status fail(struct response *resp, enum status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum status fail(struct response *resp, enum status s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	resp->body->len = 0;
	buf_puts(resp->body, "{\"error\":\"");
	json_escape(resp->body, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	buf_puts(resp->body, "\"}");
	resp->ctype = "application/json";
	return s;
}

/* An operand quoted for a message: cut to API_QUOTE_MAX bytes, no controls. */
static const char *quote(char out[API_QUOTE_MAX + 4], const char *s, size_t n)
{
	size_t i, m = n > API_QUOTE_MAX ? API_QUOTE_MAX : n;

	for (i = 0; i < m; i++) {
		out[i] = s[i];
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			out[i] = '?';
	}
	memcpy(out + m, n > m ? "..." : "", n > m ? 4 : 1);
	return out;
}

static void calc_init(struct calc *c, struct response *resp)
{
	decimal_zero(&c->sum);
	c->out = resp->body;
	c->count = 0;
	c->out->len = 0;
	buf_puts(c->out, "{\"operands\":[");
}

/* Add c->op, already parsed: echo it, sum it. */
static enum status calc_push(struct calc *c, struct response *resp)
{
	size_t n = decimal_format(&c->op, c->num);

	if (c->count >= API_OPERANDS_MAX)
		return fail(resp, S_BAD_REQUEST,
			    "too many operands (at most " STR(API_OPERANDS_MAX) ")");
	if (decimal_add(&c->sum, &c->sum, &c->op) != DECIMAL_OK)
		return fail(resp, S_BAD_REQUEST, "the sum has too many digits");
	if (c->count++)
		buf_append(c->out, ",", 1);
	buf_append(c->out, c->num, n);
	return S_OK;
}

/* Parse the text of operand number c->count + 1 into c->op. */
static enum status calc_parse(struct calc *c, struct response *resp,
			      const char *s, size_t n)
{
	char q[API_QUOTE_MAX + 4];
	enum decimal_err e = decimal_parse(&c->op, s, n);

	if (e == DECIMAL_EMPTY)
		return fail(resp, S_BAD_REQUEST, "operand %d is empty", c->count + 1);
	if (e != DECIMAL_OK)
		return fail(resp, S_BAD_REQUEST, "operand %d (\"%s\") is %s%s",
			    c->count + 1, quote(q, s, n),
			    e == DECIMAL_SYNTAX ? "" : "out of range: ",
			    decimal_strerror(e));
	return S_OK;
}

static enum status calc_done(struct calc *c, struct response *resp)
{
	size_t n;

	if (c->count == 0)
		return fail(resp, S_BAD_REQUEST,
			    "no operands: give numbers as query or form parameters "
			    "(a=1&b=2) or as a JSON array or object");
	n = decimal_format(&c->sum, c->num);
	buf_puts(c->out, "],\"sum\":");
	buf_append(c->out, c->num, n);
	if (buf_puts(c->out, "}") < 0)
		return fail(resp, S_INTERNAL_SERVER_ERROR, "out of memory");
	resp->ctype = "application/json";
	return S_OK;
}

/* a=1&b=2: every parameter is an operand, in order, whatever its name; a
 * parameter without '=' is its own value. Empty segments (a=1&&b=2) are skipped. */
static enum status calc_params(struct calc *c, struct response *resp,
			       const char *s, size_t n)
{
	const char *end = s + n;
	enum status st;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *seg_end = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(seg_end - s));
		const char *v = eq ? eq + 1 : s;
		long len;

		if (seg_end > s) {
			if ((size_t)(seg_end - v) > sizeof(scratch))
				return fail(resp, S_PAYLOAD_TOO_LARGE, "operand too long");
			len = util_pct_decode(scratch, v, (size_t)(seg_end - v), 1);
			if (len < 0)
				return fail(resp, S_BAD_REQUEST,
					    "operand %d has a malformed percent-encoding",
					    c->count + 1);
			if ((st = calc_parse(c, resp, scratch, (size_t)len)) != S_OK ||
			    (st = calc_push(c, resp)) != S_OK)
				return st;
		}
		s = seg_end + (amp != NULL);
	}
	return S_OK;
}

/* The next number token of a valid JSON text at or after *pos. */
static bool next_number(const char *s, size_t n, size_t *pos, size_t *off, size_t *len)
{
	size_t i = *pos;

	while (i < n) {
		if (s[i] == '"') {
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			i++;
		} else if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
			*off = i;
			while (i < n && s[i] && strchr("+-.eE0123456789", s[i]))
				i++;
			*len = i - *off;
			*pos = i;
			return true;
		} else {
			i++;
		}
	}
	*pos = n;
	return false;
}

/* The value jansson holds for a number, as exact decimal text: the integer,
 * or the shortest text that reads back as the same double. */
static void json_number_text(const json_t *v, char out[32])
{
	double x;
	int p;

	if (json_is_integer(v)) {
		snprintf(out, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return;
	}
	x = json_real_value(v);
	for (p = 1; p <= 17; p++) {
		snprintf(out, 32, "%.*e", p - 1, x);
		if (strtod(out, NULL) == x)
			return;
	}
}

/*
 * A JSON number: sum what the library holds, but only when it is exactly the
 * number written. The source token is found by scanning the (valid) text in
 * document order, the order of arrays and of jansson's objects.
 */
static enum status calc_json_number(struct calc *c, struct response *resp,
				    const json_t *v, const char *body, size_t n,
				    size_t *pos)
{
	char lib[32], q[API_QUOTE_MAX + 4];
	struct decimal held;
	size_t off, len;
	enum status st;

	if (!next_number(body, n, pos, &off, &len))
		return fail(resp, S_INTERNAL_SERVER_ERROR, "JSON number not found");
	if ((st = calc_parse(c, resp, body + off, len)) != S_OK)
		return st;
	json_number_text(v, lib);
	if (decimal_parse(&held, lib, strlen(lib)) != DECIMAL_OK)
		decimal_zero(&held); /* cannot happen: lib is a finite number */
	if (decimal_cmp(&held, &c->op) != 0) {
		decimal_format(&held, c->num);
		return fail(resp, S_BAD_REQUEST,
			    "operand %d (%s) cannot be kept exact by the JSON parser, "
			    "which reads it as %.40s: send it as a string (\"%s\")",
			    c->count + 1, quote(q, body + off, len), c->num,
			    quote(q, body + off, len));
	}
	return calc_push(c, resp);
}

static enum status calc_json_value(struct calc *c, struct response *resp,
				   const json_t *v, const char *body, size_t n,
				   size_t *pos)
{
	enum status st;

	if (json_is_number(v))
		return calc_json_number(c, resp, v, body, n, pos);
	if (!json_is_string(v))
		return fail(resp, S_BAD_REQUEST,
			    "operand %d is not a number or a numeric string",
			    c->count + 1);
	if ((st = calc_parse(c, resp, json_string_value(v), json_string_length(v))) != S_OK)
		return st;
	return calc_push(c, resp);
}

static enum status calc_json(struct calc *c, struct response *resp,
			     const char *body, size_t n)
{
	json_error_t err;
	json_t *root, *v;
	const char *key;
	size_t i, pos = 0;
	enum status st = S_OK;

	root = json_loadb(body, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		if (json_error_code(&err) == json_error_numeric_overflow)
			return fail(resp, S_BAD_REQUEST,
				    "invalid JSON: %s: the JSON parser cannot keep "
				    "this number exact (it holds 64-bit integers and "
				    "doubles): send it as a string", err.text);
		return fail(resp, S_BAD_REQUEST, "invalid JSON: %s (line %d, column %d)",
			    err.text, err.line, err.column);
	}
	if (json_is_array(root)) {
		json_array_foreach(root, i, v)
			if ((st = calc_json_value(c, resp, v, body, n, &pos)) != S_OK)
				break;
	} else if (json_is_object(root)) {
		json_object_foreach(root, key, v)
			if ((st = calc_json_value(c, resp, v, body, n, &pos)) != S_OK)
				break;
	} else {
		st = fail(resp, S_BAD_REQUEST,
			  "the JSON body must be an array or an object of numbers");
	}
	json_decref(root);
	return st;
}

/* The media type of the request, without parameters; false when absent. */
static bool media_type(const struct request *req, const char **t, size_t *n)
{
	const char *s = span_ptr(req, req->hdr[H_CONTENT_TYPE]);
	size_t len = req->hdr[H_CONTENT_TYPE].len, i = 0;

	if (!http_has_header(req, H_CONTENT_TYPE))
		return false;
	while (i < len && s[i] != ';')
		i++;
	while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
		i--;
	*t = s;
	*n = i;
	return true;
}

static enum status calc_post(struct calc *c, const struct request *req,
			     struct response *resp)
{
	const char *body = span_ptr(req, req->body), *t;
	size_t n = req->body.len, tlen;
	char q[API_QUOTE_MAX + 4];

	if (!media_type(req, &t, &tlen))
		return fail(resp, S_UNSUPPORTED_MEDIA_TYPE, "missing Content-Type: "
			    "send application/json or application/x-www-form-urlencoded");
	if (util_ieq(t, tlen, "application/x-www-form-urlencoded"))
		return calc_params(c, resp, body, n);
	if (util_ieq(t, tlen, "application/json"))
		return calc_json(c, resp, body, n);
	return fail(resp, S_UNSUPPORTED_MEDIA_TYPE, "unsupported Content-Type \"%s\": "
		    "send application/json or application/x-www-form-urlencoded",
		    quote(q, t, tlen));
}

enum status api_serve(const struct request *req, struct response *resp)
{
	struct calc calc;
	enum status st;

	if (req->path.len != sizeof(API_PATH) - 1)
		return fail(resp, S_NOT_FOUND, "not found: the endpoint is " API_PATH);
	if (req->method != HTTP_GET && req->method != HTTP_HEAD &&
	    req->method != HTTP_POST) {
		buf_puts(resp->hdrs, "Allow: " ALLOW "\r\n");
		return fail(resp, S_METHOD_NOT_ALLOWED, "method %s not allowed: use " ALLOW,
			    llhttp_method_name(req->method));
	}
	calc_init(&calc, resp);
	if (req->method == HTTP_POST)
		st = calc_post(&calc, req, resp);
	else
		st = calc_params(&calc, resp, span_ptr(req, req->query), req->query.len);
	return st == S_OK ? calc_done(&calc, resp) : st;
}

void api_error_body(struct response *resp, enum status s)
{
	if (s == S_PAYLOAD_TOO_LARGE)
		fail(resp, s, "request body too large (at most %d bytes)",
		     HTTP_BODY_KEEP_MAX);
	else
		fail(resp, s, "%s", http_status_text(s));
}
