/* /api/echo: the request as it came, as JSON. */
#include "echo.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_PATH "/api/echo"

bool echo_match(const struct request *req)
{
	const char *p = span_ptr(req, req->path);
	size_t n = sizeof(ECHO_PATH) - 1;

	return req->path.len >= n && memcmp(p, ECHO_PATH, n) == 0 &&
	       (req->path.len == n || p[n] == '/');
}

static bool utf8_valid(const char *s, size_t n)
{
	size_t i = 0, u;

	while (i < n && (u = util_utf8_len((const unsigned char *)s + i, n - i)) > 0)
		i += u;
	return i == n;
}

/* Bytes as a JSON string: UTF-8 as is, an invalid byte as U+FFFD. */
static json_t *str(const char *s, size_t n)
{
	struct buf b = BUF_INIT(4 * n); /* U+FFFD: 3 bytes for 1 */
	size_t i = 0, u;
	json_t *j;

	if (utf8_valid(s, n))
		return json_stringn(n ? s : "", n);
	while (i < n) {
		u = util_utf8_len((const unsigned char *)s + i, n - i);
		if (u)
			buf_append(&b, s + i, u);
		else
			buf_append(&b, "\xef\xbf\xbd", 3);
		i += u ? u : 1;
	}
	j = json_stringn(b.data ? b.data : "", b.len);
	buf_free(&b);
	return j;
}

json_t *echo_base64(const char *p, size_t n)
{
	struct buf b = BUF_INIT(n / 3 * 4 + 8);
	json_t *j;

	util_base64(&b, (const unsigned char *)p, n);
	j = json_stringn(b.data ? b.data : "", b.len);
	buf_free(&b);
	return j;
}

static json_t *pair(json_t *a, json_t *b)
{
	return json_pack("[o,o]", a, b);
}

/* The query's parameters, percent-decoded ('+' a space), in order. */
static json_t *args(const char *q, size_t n)
{
	json_t *a = json_array();
	char *dec = malloc(n + 1);
	size_t i = 0;

	while (a && dec && i < n) {
		size_t e = i, eq;
		long kn, vn;

		while (e < n && q[e] != '&')
			e++;
		for (eq = i; eq < e && q[eq] != '='; eq++)
			;
		if (e > i) {
			kn = util_pct_decode(dec, q + i, eq - i, 1);
			json_t *k = kn < 0 ? str(q + i, eq - i) : str(dec, (size_t)kn);

			vn = eq < e ? util_pct_decode(dec, q + eq + 1, e - eq - 1, 1) : 0;
			json_array_append_new(a, pair(k, vn < 0 ? str(q + eq + 1, e - eq - 1)
						      : str(dec, (size_t)vn)));
		}
		i = e + 1;
	}
	free(dec);
	return a;
}

static json_t *headers(const struct request *req)
{
	json_t *h = json_array();
	struct span name, value;
	size_t pos = 0;

	while (h && http_header_next(req, &pos, &name, &value))
		json_array_append_new(h, pair(str(span_ptr(req, name), name.len),
					      str(span_ptr(req, value), value.len)));
	return h;
}

enum status echo_serve(const struct request *req, const char *addr, unsigned port,
		       struct response *resp)
{
	const char *body = req->body.len ? span_ptr(req, req->body) : "";
	char version[16];
	json_t *o;
	char *text;

	snprintf(version, sizeof(version), "HTTP/%u.%u", req->major, req->minor);
	o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:I,s:{s:s,s:i}}",
		      "method", str(span_ptr(req, req->method_s), req->method_s.len),
		      "target", str(span_ptr(req, req->url), req->url.len),
		      "path", str(span_ptr(req, req->path), req->path.len),
		      "query", str(span_ptr(req, req->query), req->query.len),
		      "args", args(span_ptr(req, req->query), req->query.len),
		      "version", version, "headers", headers(req),
		      "body_length", (json_int_t)req->body.len,
		      "client", "address", addr, "port", (int)port);
	if (!o)
		return S_INTERNAL_SERVER_ERROR;
	/* The body as text when it is short UTF-8, else in base64 or only
	 * by its length. */
	if (req->body.len > ECHO_BODY_MAX)
		json_object_set_new(o, "body", json_null());
	else if (utf8_valid(body, req->body.len))
		json_object_set_new(o, "body", json_stringn(body, req->body.len));
	else
		json_object_set_new(o, "body_base64", echo_base64(body, req->body.len));
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text)
		return S_INTERNAL_SERVER_ERROR;
	buf_puts(resp->body, text);
	buf_puts(resp->body, "\n");
	free(text);
	resp->ctype = "application/json";
	buf_puts(resp->hdrs, "Cache-Control: no-store\r\n");
	return S_OK;
}
