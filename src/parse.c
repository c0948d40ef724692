/* llhttp glue: one settings table, callbacks that fill struct request
 * (spans into the input buffer), and the checks llhttp leaves to us. */
#include "parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct request *req_of(llhttp_t *p)
{
	return p->data;
}

static int fail(llhttp_t *p, enum status s, const char *why)
{
	req_of(p)->error = s;
	llhttp_set_error_reason(p, why);
	return HPE_USER;
}

static struct span span_at(const struct request *r, const char *at, size_t n)
{
	struct span s = { (uint32_t)(at - r->base), (uint32_t)n };

	return s;
}

static int on_method(llhttp_t *p, const char *at, size_t n)
{
	req_of(p)->method_s = span_at(req_of(p), at, n);
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	struct request *r = req_of(p);

	if (n > HTTP_URL_MAX)
		return fail(p, S_URI_TOO_LONG, "request target too long");
	r->url = span_at(r, at, n);
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct request *r = req_of(p);
	size_t i;

	if (++r->nheaders > HTTP_HEADER_COUNT_MAX)
		return fail(p, S_HEADERS_TOO_LARGE, "too many header lines");
	for (i = 0; i < n; i++)
		if (!http_tchar((unsigned char)at[i]))
			return fail(p, S_BAD_REQUEST, "invalid header name");
	r->field = span_at(r, at, n);
	return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
	struct request *r = req_of(p);
	const char *name = span_ptr(r, r->field);
	int i;

	if (r->field.len == 0)
		return fail(p, S_BAD_REQUEST, "empty header name");
	r->cur = -1;
	i = http_header_index(name, r->field.len);
	if (i == H_HOST && r->hdr[i].off)
		return fail(p, S_BAD_REQUEST, "duplicate Host");
	if (i >= 0 && !r->hdr[i].off) {
		/* Present even when its value turns out empty. */
		r->hdr[i].off = r->field.off;
		r->cur = i;
	}
	r->field.len = 0;
	return 0;
}

/* Values are short: one pass beats two memchr calls. */
static bool has_nul_or_cr(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= '\r' && (c == '\0' || c == '\r')) /* one test for most bytes */
			return true;
	}
	return false;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct request *r = req_of(p);
	const char *q = at;

	if (n == 0 && r->cur != -2) {
		r->cur = -2; /* an empty value: llhttp points past its line */
		return 0;
	}
	/* The whole head is in memory: a value must follow its own colon on
	 * the same line, else it is an obs-fold continuation line. */
	while (q > r->base && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	if (r->cur == -2 || q == r->base || q[-1] != ':')
		return fail(p, S_BAD_REQUEST, "obsolete line folding");
	if (has_nul_or_cr(at, n))
		return fail(p, S_BAD_REQUEST, "invalid header value");
	while (n && (at[n - 1] == ' ' || at[n - 1] == '\t'))
		n--; /* trailing whitespace is not part of the value (RFC 9110 §5.5) */
	if (r->cur >= 0 && n)
		r->hdr[r->cur] = span_at(r, at, n);
	r->cur = -2;
	return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
	req_of(p)->cur = -1;
	return 0;
}

static int on_headers_complete(llhttp_t *p)
{
	struct request *r = req_of(p);

	r->major = llhttp_get_http_major(p);
	r->minor = llhttp_get_http_minor(p);
	r->method = llhttp_get_method(p);
	r->keep_alive = llhttp_should_keep_alive(p);
	r->chunked = (p->flags & F_CHUNKED) != 0;
	r->has_body = r->chunked || p->content_length > 0;
	r->content_length = (p->flags & F_CHUNKED) ? 0 : p->content_length;
	/* Pause: the connection routes the request before any body byte. */
	return HPE_PAUSED;
}

/* llhttp 8.1 (lax build) takes any two bytes after chunk data, and any
 * byte after the CR that ends a chunk-size line: check both ourselves when
 * the chunk header is complete (its line is still in memory: drop_body
 * keeps it). */
static int on_chunk_header(llhttp_t *p)
{
	struct request *r = req_of(p);
	const char *c = r->base + r->chunk_end;
	const char *l = r->base + (r->chunk_line ? r->chunk_line : r->head_end);

	if (r->chunk_check && (c[0] != '\r' || c[1] != '\n'))
		return fail(p, S_BAD_REQUEST, "chunk data not followed by CRLF");
	r->chunk_check = false;
	while (*l != '\r' && *l != '\n')
		l++;
	if (l[0] == '\r' && l[1] != '\n')
		return fail(p, S_BAD_REQUEST, "bare CR in a chunk header");
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
	struct request *r = req_of(p);

	if (p->flags & F_CHUNKED) {
		r->chunk_end = (uint32_t)(at + n - r->base);
		r->chunk_line = r->chunk_end + 2; /* the next chunk-size line */
		r->chunk_check = true;
	}
	if (r->to_pipe) {
		if (buf_append(r->pipe, at, n) < 0)
			return fail(p, S_INTERNAL_SERVER_ERROR, "out of memory");
		/* Full: pause here until the script has read some. */
		r->pipe_paused = r->pipe->len >= HTTP_PIPE_MAX;
		return r->pipe_paused ? HPE_PAUSED : 0;
	}

	if (r->keep_body) {
		if (r->body_len + n > HTTP_BODY_KEEP_MAX)
			return fail(p, S_PAYLOAD_TOO_LARGE, "body too large");
		if (r->body_len == 0)
			r->body.off = (uint32_t)(at - r->base);
		/* Chunked pieces are moved down over the framing so the handler
		 * sees one contiguous decoded body; the copy only goes backwards,
		 * never over bytes llhttp has still to read. */
		if (!r->keep_raw)
			memmove((char *)r->base + r->body.off + r->body_len, at, n);
		r->body_len += (uint32_t)n;
		r->body.len = r->body_len;
	} else {
		r->discard_len += n;
		if (r->discard_len > HTTP_BODY_DISCARD_MAX)
			return fail(p, S_PAYLOAD_TOO_LARGE, "body too large");
	}
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	(void)p;
	return HPE_PAUSED;
}

static const llhttp_settings_t settings = {
	.on_method = on_method,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_field_complete = on_header_field_complete,
	.on_header_value = on_header_value,
	.on_header_value_complete = on_header_value_complete,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_chunk_header = on_chunk_header,
	.on_message_complete = on_message_complete,
};

void parse_init(llhttp_t *p, struct request *req)
{
	llhttp_init(p, HTTP_REQUEST, &settings);
	p->data = req;
}

void parse_clear(struct request *req)
{
	/* A copy of a constant, not memset: 16-byte moves, where memset of
	 * this size is a `rep stos` (slower to start, per request). */
	static const struct request fresh = { .cur = -1 };
	const char *base = req->base;

	*req = fresh;
	req->base = base;
}

/* --- checks llhttp leaves to us ------------------------------------------ */

static bool is_reg_name_char(unsigned char c)
{
	return http_byte_class[c] & HTTP_REG_NAME; /* '%' apart: escapes are checked */
}

static bool is_hex(unsigned char c)
{
	return isxdigit(c) != 0;
}

/* IP-literal = "[" ( IPv6address / IPvFuture ) "]" (RFC 3986 §3.2.2). */
static bool ip_literal_ok(const char *h, size_t n)
{
	char a[INET6_ADDRSTRLEN + 1];
	struct in6_addr addr;
	size_t i;

	if (n >= 2 && (h[0] | 0x20) == 'v') { /* IPvFuture: "v" 1*HEXDIG "." 1*(...) */
		for (i = 1; i < n && is_hex((unsigned char)h[i]); i++)
			;
		if (i == 1 || i + 1 >= n || h[i] != '.')
			return false;
		for (i++; i < n; i++)
			if (!is_reg_name_char((unsigned char)h[i]) && h[i] != ':')
				return false;
		return true;
	}
	if (n == 0 || n >= sizeof(a))
		return false;
	memcpy(a, h, n);
	a[n] = '\0';
	return inet_pton(AF_INET6, a, &addr) == 1;
}

bool parse_host_valid(const char *h, size_t n)
{
	size_t i = 0, end;

	if (n == 0)
		return false;
	if (h[0] == '[') {
		const char *close = memchr(h, ']', n);

		if (!close || !ip_literal_ok(h + 1, (size_t)(close - h) - 1))
			return false;
		i = (size_t)(close - h) + 1;
	} else {
		/* reg-name, which IPv4address is a case of: one table load
		 * per byte up to a '%' escape, the port's ':' or a bad byte */
		for (;;) {
			while (i < n && is_reg_name_char((unsigned char)h[i]))
				i++;
			if (i == n || h[i] != '%')
				break;
			if (i + 2 >= n || !is_hex((unsigned char)h[i + 1]) ||
			    !is_hex((unsigned char)h[i + 2]))
				return false;
			i += 3;
		}
		if (i == 0)
			return false;
	}
	if (i == n)
		return true;
	if (h[i] != ':')
		return false;
	for (end = i + 1; end < n; end++) /* port = *DIGIT */
		if (!isdigit((unsigned char)h[end]))
			return false;
	return true;
}

/* Transfer-Encoding (RFC 9112 §6.1, §6.3): only "chunked" frames a body
 * we can read; with Content-Length, or in HTTP/1.0, the framing is faulty.
 * llhttp leaves an empty or blank value alone: checked here, whatever it
 * holds. */
static enum status check_framing(const struct request *req, const char **why)
{
	const char *v = span_ptr(req, req->hdr[H_TRANSFER_ENCODING]), *last;
	size_t n = req->hdr[H_TRANSFER_ENCODING].len, ln;

	if (!http_has_header(req, H_TRANSFER_ENCODING))
		return S_OK;
	if (req->minor == 0) {
		*why = "Transfer-Encoding in an HTTP/1.0 request";
		return S_BAD_REQUEST;
	}
	if (http_has_header(req, H_CONTENT_LENGTH)) {
		*why = "both Transfer-Encoding and Content-Length";
		return S_BAD_REQUEST;
	}
	last = n ? memrchr(v, ',', n) : NULL;
	last = last ? last + 1 : v;
	ln = n - (size_t)(last - v);
	while (ln && (*last == ' ' || *last == '\t')) {
		last++;
		ln--;
	}
	if (!util_ieq(last, ln, "chunked")) {
		*why = "Transfer-Encoding whose final coding is not chunked";
		return S_BAD_REQUEST;
	}
	if (last != v) {
		*why = "a transfer coding other than chunked";
		return S_NOT_IMPLEMENTED;
	}
	return S_OK;
}

/* The request line is method SP request-target SP HTTP-version: one SP
 * each (RFC 9112 §3); llhttp takes a run of them. */
static bool one_space(const struct request *req)
{
	const char *b = req->base;
	uint32_t after = req->url.off + req->url.len;

	return req->url.off == req->method_s.off + req->method_s.len + 1 &&
	       after + 6 <= req->head_end && b[after] == ' ' &&
	       memcmp(b + after + 1, "HTTP/", 5) == 0;
}

/* Host present in HTTP/1.1, and uri-host [:port]. */
static enum status validate_host(const struct request *req, const char **why)
{
	if (req->minor == 1 && !http_has_header(req, H_HOST)) {
		*why = "HTTP/1.1 request without Host";
		return S_BAD_REQUEST;
	}
	/* An empty Host only in HTTP/1.0, where it is optional anyway. */
	if (http_has_header(req, H_HOST) &&
	    (req->hdr[H_HOST].len || req->minor == 1) &&
	    !parse_host_valid(span_ptr(req, req->hdr[H_HOST]), req->hdr[H_HOST].len)) {
		*why = "Host is not uri-host [:port]";
		return S_BAD_REQUEST;
	}
	return S_OK;
}

enum status parse_validate(const struct request *req, const char **why)
{
	const char *line = req->base;
	enum status s;

	if (req->major == 0 && req->minor == 9 &&
	    !memmem(line, req->head_end, " HTTP/", 6)) {
		*why = "HTTP/0.9 request line (no version)";
		return S_BAD_REQUEST;
	}
	if (req->major != 1 || req->minor > 1) {
		*why = "HTTP version other than 1.0 and 1.1";
		return S_VERSION_NOT_SUPPORTED;
	}
	if ((s = validate_host(req, why)) != S_OK)
		return s;
	if (!one_space(req)) {
		*why = "request line parts not separated by one SP";
		return S_BAD_REQUEST;
	}
	if ((s = check_framing(req, why)) != S_OK)
		return s;
	return S_OK;
}


bool parse_line_start_ok(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] != ' '; i++)
		if (!http_tchar((unsigned char)p[i]))
			return false;
	return i > 0 || n == 0;
}

/* A well-formed "HTTP/d.d" that llhttp refuses (HTTP/3.0) is a version we
 * do not support; a mangled one is a bad request. */
static enum status version_status(const char *line, size_t n)
{
	const char *nl = memchr(line, '\n', n);
	size_t len = nl ? (size_t)(nl - line) : n;
	const char *v;

	if (len && line[len - 1] == '\r')
		len--;
	if (len < 9)
		return S_BAD_REQUEST;
	v = line + len - 9;
	if (v[0] == ' ' && memcmp(v + 1, "HTTP/", 5) == 0 && isdigit((unsigned char)v[6]) &&
	    v[7] == '.' && isdigit((unsigned char)v[8]))
		return S_VERSION_NOT_SUPPORTED;
	return S_BAD_REQUEST;
}

enum status parse_error_status(llhttp_errno_t err, const char *line, size_t n)
{
	size_t i;

	if (err == HPE_INVALID_VERSION)
		return version_status(line, n);
	if (err != HPE_INVALID_METHOD)
		return S_BAD_REQUEST;
	/* A well-formed token llhttp does not know is a method we do not
	 * implement (RFC 9110 §9.1); anything else is garbage. */
	for (i = 0; i < n && line[i] != ' '; i++)
		if (!http_tchar((unsigned char)line[i]))
			return S_BAD_REQUEST;
	return i > 0 && i < n ? S_NOT_IMPLEMENTED : S_BAD_REQUEST;
}
