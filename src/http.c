/* llhttp glue: callbacks fill struct request; response head formatting. */
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAME(s) { s, sizeof(s) - 1 }
static const struct {
	const char *name;
	size_t len;
} hdr_names[H__COUNT] = {
	[H_HOST] = NAME("Host"),
	[H_CONNECTION] = NAME("Connection"),
	[H_CONTENT_TYPE] = NAME("Content-Type"),
	[H_CONTENT_LENGTH] = NAME("Content-Length"),
	[H_TRANSFER_ENCODING] = NAME("Transfer-Encoding"),
	[H_USER_AGENT] = NAME("User-Agent"),
	[H_REFERER] = NAME("Referer"),
	[H_IF_NONE_MATCH] = NAME("If-None-Match"),
	[H_IF_MODIFIED_SINCE] = NAME("If-Modified-Since"),
	[H_IF_MATCH] = NAME("If-Match"),
	[H_IF_UNMODIFIED_SINCE] = NAME("If-Unmodified-Since"),
	[H_RANGE] = NAME("Range"),
	[H_IF_RANGE] = NAME("If-Range"),
	[H_ACCEPT_ENCODING] = NAME("Accept-Encoding"),
	[H_AUTHORIZATION] = NAME("Authorization"),
	[H_EXPECT] = NAME("Expect"),
};

/* A name's candidate, from its first letter (any case: & 31) and its
 * length, is 1 + its enum hdr in hdr_cand, 0 for none; names of the same
 * first letter and length (If-Match, If-Range) are chained by hdr_next.
 * One load tells the names apart, two or three words compare the
 * candidate (lwan tells its few apart by their first four bytes). Filled
 * from hdr_names before main, as is http_hdr_lengths. */
#define NAME_LEN_MIN 4
#define NAME_LEN_MAX 24
#define NO_NEXT 0xff
uint32_t http_hdr_lengths[32];
static uint8_t hdr_cand[32][32];
static uint8_t hdr_next[H__COUNT];
static struct words {
	uint64_t first, last, mid;
} hdr_words[H__COUNT];

/* The words of a name of NAME_LEN_MIN..NAME_LEN_MAX bytes OR 0x20, which
 * together cover every byte: the first and the last eight (four below
 * eight bytes), overlapping, and past 16 bytes the eight after the first.
 * Equal words are equal names in any case, for a name of letters and '-'
 * and one of token bytes: OR 0x20 maps only CR onto '-', and callers have
 * refused CR in a name. */
static inline __attribute__((always_inline)) struct words name_words(const char *s, size_t n)
{
	struct words w = { 0, 0, 0 };
	uint32_t x, y;

	if (n < 8) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		w.first = x | 0x20202020u;
		w.last = y | 0x20202020u;
		return w;
	}
	memcpy(&w.first, s, 8);
	memcpy(&w.last, s + n - 8, 8);
	w.first |= 0x2020202020202020ULL;
	w.last |= 0x2020202020202020ULL;
	if (n > 16) {
		memcpy(&w.mid, s + 8, 8);
		w.mid |= 0x2020202020202020ULL;
	}
	return w;
}

__attribute__((constructor)) static void hdr_cand_fill(void)
{
	int i;

	for (i = H__COUNT - 1; i >= 0; i--) {
		size_t n = hdr_names[i].len;
		uint8_t *c = &hdr_cand[hdr_names[i].name[0] & 31][n];

		if (n < NAME_LEN_MIN || n > NAME_LEN_MAX)
			abort(); /* a new name that name_words does not cover */
		hdr_words[i] = name_words(hdr_names[i].name, n);
		hdr_next[i] = *c ? (uint8_t)(*c - 1) : NO_NEXT;
		*c = (uint8_t)(i + 1);
		http_hdr_lengths[hdr_names[i].name[0] & 31] |= 1u << n;
	}
}

/* http_header_index's names that pass its first-letter-and-length test
 * (so have a candidate: n is the length of a name of enum hdr) */
int http_header_lookup(const char *name, size_t n)
{
	struct words w;
	int i = hdr_cand[name[0] & 31][n] - 1;

	if (i < 0)
		return -1;
	w = name_words(name, n);
	do
		if (w.first == hdr_words[i].first && w.last == hdr_words[i].last &&
		    w.mid == hdr_words[i].mid)
			return i;
	while ((i = hdr_next[i]) != NO_NEXT);
	return -1;
}

bool http_has_header(const struct request *req, enum hdr h)
{
	return req->hdr[h].off != 0;
}

const char *http_header_scan(const struct request *req, const char *name, size_t *len)
{
	const char *p = req->base, *end = req->base + req->head_end, *eol, *v;
	size_t nl = strlen(name);

	for (; (eol = memchr(p, '\n', (size_t)(end - p))) != NULL; p = eol + 1) {
		if (p == req->base || (size_t)(eol - p) <= nl || p[nl] != ':' ||
		    strncasecmp(p, name, nl) != 0)
			continue; /* the request line, or another header */
		for (v = p + nl + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		while (eol > v && (eol[-1] == '\r' || eol[-1] == ' ' || eol[-1] == '\t'))
			eol--;
		*len = (size_t)(eol - v);
		return v;
	}
	return NULL;
}

bool http_header_is(const struct request *req, enum hdr h, const char *val)
{
	return http_has_header(req, h) &&
	       util_ieq(span_ptr(req, req->hdr[h]), req->hdr[h].len, val);
}

static const char *const status_text[] = {
	[S_OK] = "OK",
	[201] = "Created",
	[202] = "Accepted",
	[S_NO_CONTENT] = "No Content",
	[S_PARTIAL_CONTENT] = "Partial Content",
	[S_MOVED_PERMANENTLY] = "Moved Permanently",
	[302] = "Found",
	[303] = "See Other",
	[S_NOT_MODIFIED] = "Not Modified",
	[307] = "Temporary Redirect",
	[308] = "Permanent Redirect",
	[S_BAD_REQUEST] = "Bad Request",
	[S_UNAUTHORIZED] = "Unauthorized",
	[S_FORBIDDEN] = "Forbidden",
	[S_NOT_FOUND] = "Not Found",
	[S_METHOD_NOT_ALLOWED] = "Method Not Allowed",
	[S_REQUEST_TIMEOUT] = "Request Timeout",
	[409] = "Conflict",
	[410] = "Gone",
	[S_PRECONDITION_FAILED] = "Precondition Failed",
	[S_PAYLOAD_TOO_LARGE] = "Content Too Large",
	[S_URI_TOO_LONG] = "URI Too Long",
	[S_UNSUPPORTED_MEDIA_TYPE] = "Unsupported Media Type",
	[S_RANGE_NOT_SATISFIABLE] = "Range Not Satisfiable",
	[422] = "Unprocessable Content",
	[429] = "Too Many Requests",
	[S_HEADERS_TOO_LARGE] = "Request Header Fields Too Large",
	[S_INTERNAL_SERVER_ERROR] = "Internal Server Error",
	[S_NOT_IMPLEMENTED] = "Not Implemented",
	[S_BAD_GATEWAY] = "Bad Gateway",
	[S_SERVICE_UNAVAILABLE] = "Service Unavailable",
	[S_GATEWAY_TIMEOUT] = "Gateway Timeout",
	[S_VERSION_NOT_SUPPORTED] = "HTTP Version Not Supported",
};

const char *http_status_text(enum status s)
{
	if ((size_t)s < sizeof(status_text) / sizeof(status_text[0]) &&
	    status_text[s])
		return status_text[s];
	return ""; /* the reason phrase may be empty (RFC 9112 §4) */
}

enum status http_status_from_errno(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG: /* no file has such a name: not the URI's fault */
		return S_NOT_FOUND;
	case EACCES:
	case EPERM:
	case ENXIO:  /* a socket or device file */
	case ENODEV:
	case EXDEV:  /* openat2 RESOLVE_BENEATH: a symlink leads out of HOME */
	case ELOOP:
		return S_FORBIDDEN;
	case EMFILE:
	case ENFILE:
	case ENOMEM:
		return S_SERVICE_UNAVAILABLE;
	default:
		return S_INTERNAL_SERVER_ERROR;
	}
}

void http_error_body(struct response *resp)
{
	const char *text = http_status_text(resp->status);

	resp->body->len = 0;
	resp->ctype = "text/html; charset=utf-8";
	buf_printf(resp->body,
		   "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
		   "<body><h1>%d %s</h1></body></html>\n",
		   resp->status, text, resp->status, text);
}

bool http_header_next(const struct request *req, size_t *pos, struct span *name,
		      struct span *value)
{
	const char *b = req->base, *nl, *colon;
	size_t end = req->head_end, p = *pos, vs, ve;

	if (!b || p >= end)
		return false;
	if (p == 0) { /* past the request line */
		nl = memchr(b, '\n', end);
		if (!nl)
			return false;
		p = (size_t)(nl - b) + 1;
	}
	nl = p < end ? memchr(b + p, '\n', end - p) : NULL;
	if (!nl)
		return false;
	ve = (size_t)(nl - b);
	if (ve > p && b[ve - 1] == '\r')
		ve--;
	colon = ve > p ? memchr(b + p, ':', ve - p) : NULL;
	if (!colon) { /* the blank line */
		*pos = end;
		return false;
	}
	*name = (struct span){ (uint32_t)p, (uint32_t)((size_t)(colon - b) - p) };
	vs = (size_t)(colon - b) + 1;
	while (vs < ve && (b[vs] == ' ' || b[vs] == '\t'))
		vs++;
	while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t'))
		ve--;
	*value = (struct span){ (uint32_t)vs, (uint32_t)(ve - vs) };
	*pos = (size_t)(nl - b) + 1;
	return true;
}

bool http_header_find(const struct request *req, const char *name, struct span *value)
{
	struct span n;
	size_t pos = 0;

	while (http_header_next(req, &pos, &n, value))
		if (util_ieq(span_ptr(req, n), n.len, name))
			return true;
	return false;
}

size_t http_head_end(const char *p, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i - 1] == '\n' || (p[i - 1] == '\r' && i >= 2 && p[i - 2] == '\n'))
			return i + 1;
	}
	return 0;
}

void http_plan_body(struct response *r)
{
	const struct seg *sg;
	size_t i;

	if (r->segs->n == 0) {
		if (r->fd >= 0)
			http_add_seg(r, true, r->off, r->len);
		else if (r->body->len)
			http_add_seg(r, false, 0, (off_t)r->body->len);
	}
	r->clen = 0;
	sg = http_segs(r->segs);
	for (i = 0; i < r->segs->n; i++)
		r->clen += sg[i].len;
}

int http_add_seg_more(struct segs *s, bool file, off_t off, off_t len)
{
	struct seg sg = { file, false, off, len, NULL };

	if (!s->v || s->n == s->cap) {
		uint32_t cap = s->cap < 8 ? 8 : s->cap * 2;
		struct seg *v;

		if (s->n >= HTTP_SEGS_MAX)
			return -1;
		if (cap > HTTP_SEGS_MAX)
			cap = HTTP_SEGS_MAX;
		v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -1;
		if (!s->v)
			v[0] = s->one; /* n is 1 */
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = sg;
	return 0;
}

void http_segs_free(struct segs *s)
{
	if (s->v) { /* most answers had one piece: no call to free(NULL) */
		free(s->v);
		s->v = NULL;
		s->cap = 0;
	}
	s->n = 0;
}

/* The head is built for every answer: its size is bounded up front, so
 * one reservation, then plain copies; no printf. */
/* RFC 9110 §5.6.2 tchar; RFC 3986 §3.2.2 reg-name bytes (unreserved,
 * sub-delims; '%' apart, its escapes are checked where they are used);
 * the bytes of a plain origin-form path (pchar, '/'). */
#define T HTTP_TCHAR
#define R HTTP_REG_NAME
#define U HTTP_TARGET
const unsigned char http_byte_class[256] = {
	['0' ... '9'] = T | R | U, ['A' ... 'Z'] = T | R | U, ['a' ... 'z'] = T | R | U,
	['-'] = T | R | U, ['.'] = T | R | U, ['_'] = T | R | U, ['~'] = T | R | U,
	['!'] = T | R | U, ['$'] = T | R | U, ['&'] = T | R | U, ['\''] = T | R | U,
	['*'] = T | R | U, ['+'] = T | R | U,
	['#'] = T, ['%'] = T | U, ['^'] = T, ['`'] = T, ['|'] = T,
	['('] = R | U, [')'] = R | U, [','] = R | U, [';'] = R | U, ['='] = R | U,
	[':'] = U, ['@'] = U, ['/'] = U,
};
#undef T
#undef R
#undef U

#define HEAD_FIXED 320 /* every line below but the variable values */
#define PUT(p, lit) put(p, lit, sizeof(lit) - 1)

static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static char *put_number(char *p, unsigned long long u)
{
	char d[24], *q = d + sizeof(d);

	do
		*--q = (char)('0' + u % 10);
	while (u /= 10);
	return put(p, q, (size_t)(d + sizeof(d) - q));
}

bool http_token(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!http_tchar((unsigned char)s[i]))
			return false;
	return n > 0;
}

const char *http_line_find(const char *lines, size_t n, const char *name, size_t nl)
{
	const char *p = lines, *end = lines + n;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if ((size_t)(end - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0)
			return p;
		if (!eol)
			break;
		p = eol + 1;
	}
	return NULL;
}

/* Is the line named name (up to its ':') replaced by one of x[0..xn)?
 * Never a Vary line: they add up (Accept-Encoding and Origin both count). */
static bool replaced(const char *x, size_t xn, const char *name, size_t nl)
{
	return xn && !(nl == 4 && strncasecmp(name, "Vary", 4) == 0) &&
	       http_line_find(x, xn, name, nl);
}

#define REPLACED(x, xn, lit) ((xn) && replaced(x, xn, lit, sizeof(lit) - 1))

/* Header lines of lines[0..n) not named in x[0..xn) (self: a line also
 * named later in lines itself gives way to that one). */
static char *put_lines(char *p, const char *lines, size_t n, const char *x, size_t xn,
		       bool self)
{
	const char *l = lines, *end = lines + n;

	while (l < end) {
		const char *eol = memchr(l, '\n', (size_t)(end - l));
		const char *colon = memchr(l, ':', (size_t)(end - l));
		size_t len = eol ? (size_t)(eol - l) + 1 : (size_t)(end - l);
		size_t nl = colon ? (size_t)(colon - l) : 0;

		if (!replaced(x, xn, l, nl) &&
		    !(self && replaced(l + len, (size_t)(end - l) - len, l, nl)))
			p = put(p, l, len);
		l += len;
	}
	return p;
}

/* Last-Modified (mtime != 0) and ETag (en != 0) lines, unless one of
 * x[0..xn) replaces them. */
static char *put_validators(char *p, time_t mtime, const char *etag, size_t en,
			    const char *x, size_t xn)
{
	char lm[HTTP_DATE_LEN];

	if (mtime && !REPLACED(x, xn, "Last-Modified")) {
		size_t ln = util_http_date(mtime, lm);

		p = PUT(p, "Last-Modified: ");
		p = put(p, lm, ln);
		p = PUT(p, "\r\n");
	}
	if (en && !REPLACED(x, xn, "ETag")) {
		p = PUT(p, "ETag: ");
		p = put(p, etag, en);
		p = PUT(p, "\r\n");
	}
	return p;
}

static char *put_ctype(char *p, const char *ctype, size_t cn)
{
	p = PUT(p, "Content-Type: ");
	p = put(p, ctype, cn);
	return PUT(p, "\r\n");
}

static char *put_clen(char *p, off_t clen)
{
	p = PUT(p, "Content-Length: ");
	p = put_number(p, clen < 0 ? 0 : (unsigned long long)clen);
	return PUT(p, "\r\n");
}

void http_validators_format(struct http_validators *v, time_t mtime)
{
	char *at = v->lines + HTTP_VLINES_AT;

	v->len = (uint8_t)(put_validators(at, mtime, v->etag, strlen(v->etag), NULL, 0) - at);
	v->typed = 0;
	v->head_len = 0;
	v->ctype = NULL;
	v->front = NULL;
}

/* A plain 200's status and connection lines (conn_text), by enum
 * http_conn, and their lengths (conn_len). */
#define STATUS_200_LEN (sizeof(HTTP_STATUS_200) - 1)
#define CONN_CLOSE HTTP_STATUS_200 "Connection: close\r\n"
#define CONN_KEEP HTTP_STATUS_200 "Connection: keep-alive\r\n"
static const char conn_text[][48] = {
	[HTTP_CONN_NONE] = HTTP_STATUS_200,
	[HTTP_CONN_CLOSE] = CONN_CLOSE,
	[HTTP_CONN_KEEP] = CONN_KEEP,
};
static const uint8_t conn_len[] = {
	[HTTP_CONN_NONE] = STATUS_200_LEN,
	[HTTP_CONN_CLOSE] = sizeof(CONN_CLOSE) - 1,
	[HTTP_CONN_KEEP] = sizeof(CONN_KEEP) - 1,
};

_Static_assert(sizeof(((struct http_validators *)0)->lines) + sizeof(conn_text[0]) <=
		       HTTP_SEG_FRONT,
	       "a whole head fits the room before a cached file's bytes");

/* The connection line of an answer: the shape after its status line. */
static inline enum http_conn conn_of(const struct response *resp, int minor)
{
	return resp->close ? HTTP_CONN_CLOSE : minor == 0 ? HTTP_CONN_KEEP : HTTP_CONN_NONE;
}

/* Where v's whole head is kept, from its Server line on. */
static char *whole_head(struct http_validators *v)
{
	return v->front ? v->front - v->head_len : v->lines + v->head;
}

void http_validators_type(struct http_validators *v, const char *ctype, off_t clen)
{
	char tmp[HTTP_TYPED_MAX];
	size_t cn = strlen(ctype), n;

	if (cn > HTTP_TYPED_MAX - 54)
		return;
	n = (size_t)(put_clen(put_ctype(tmp, ctype, cn), clen) - tmp);
	memcpy(v->lines + HTTP_VLINES_AT - n, tmp, n); /* just before the validators */
	v->typed = (uint8_t)n;
	v->ctype = ctype;
	v->clen = clen;
	/* the whole head around them, its Date not known yet (NULs: no date
	 * is equal, the first answer fills it) */
	v->head = (uint16_t)(HTTP_VLINES_AT - n - HTTP_HEAD_PRE);
	put(v->lines + v->head, HTTP_HEAD_SERVER, sizeof(HTTP_HEAD_SERVER) - 1);
	memset(v->lines + v->head + sizeof(HTTP_HEAD_SERVER) - 1, 0, HTTP_DATE_LEN - 1);
	memcpy(v->lines + HTTP_VLINES_AT - n - 2, "\r\n", 2);
	memcpy(v->lines + HTTP_VLINES_AT + v->len, HTTP_HEAD_END, HTTP_HEAD_TAIL);
	v->head_len = (uint16_t)(HTTP_HEAD_PRE + n + v->len + HTTP_HEAD_TAIL);
	v->conn = HTTP_CONN_UNSET; /* in front: no lines before it yet */
	if (v->front)
		memcpy(whole_head(v), v->lines + v->head, v->head_len);
}

/* Is resp's head its cached file's whole head (a plain 200 of the whole
 * file with its type, no extra line, identity coding) after its status
 * and connection lines? */
static inline __attribute__((always_inline)) bool plain_cached(const struct response *resp)
{
	return resp->validators && !(resp->hdrs && resp->hdrs->len) && resp->status == S_OK &&
	       resp->accept_ranges && resp->coding == HTTP_IDENTITY && !resp->chunked &&
	       !resp->unframed;
}

/* The whole head of resp's cached file from its Server line on (an
 * fc_rep's, not const: its Date is written there), its Date made date
 * (refreshed when the second changed); NULL when it must be formatted:
 * none kept, another type or length, no date (gmtime failed). */
static inline __attribute__((always_inline)) char *
cached_head(const struct response *resp, const char date[HTTP_DATE_LEN],
	    struct http_validators **vp)
{
	struct http_validators *v = (struct http_validators *)(uintptr_t)(resp->etag -
		offsetof(struct http_validators, etag));
	char *h, *d;

	if (!v->head_len || resp->ctype != v->ctype || resp->clen != v->clen)
		return NULL;
	h = whole_head(v);
	d = h + sizeof(HTTP_HEAD_SERVER) - 1;
	if (memcmp(d, date, HTTP_DATE_LEN - 1) != 0) {
		if (strnlen(date, HTTP_DATE_LEN) != HTTP_DATE_LEN - 1)
			return NULL;
		memcpy(d, date, HTTP_DATE_LEN - 1);
	}
	*vp = v;
	return h;
}

const char *http_kept_head(const struct response *resp, int minor,
			   const char date[HTTP_DATE_LEN], size_t *n)
{
	struct http_validators *v;
	enum http_conn k = conn_of(resp, minor);
	char *h;

	if (!plain_cached(resp) || (h = cached_head(resp, date, &v)) == NULL || !v->front)
		return NULL;
	h -= conn_len[k];
	if (v->conn != k) { /* another shape than the last answer's */
		memcpy(h, conn_text[k], conn_len[k]);
		v->conn = (uint8_t)k;
	}
	*n = conn_len[k] + (size_t)v->head_len;
	return h;
}

/* resp's head as a copy of its cached file's whole head after its status
 * and connection lines; NULL when the head must be formatted. */
static char *put_cached_head(char *p, const struct response *resp, int minor,
			     const char date[HTTP_DATE_LEN])
{
	struct http_validators *v;
	const char *h = cached_head(resp, date, &v);
	enum http_conn k = conn_of(resp, minor);

	if (!h)
		return NULL;
	p = put(p, conn_text[k], conn_len[k]);
	return put(p, h, v->head_len);
}

/* A file's last two lines, kept out of hdrs (no buffer taken for them),
 * unless one of x[0..xn) replaces them. */
static inline char *put_file_lines(char *p, const struct response *resp, const char *x,
				    size_t xn)
{
	if (resp->accept_ranges && !REPLACED(x, xn, "Accept-Ranges"))
		p = PUT(p, "Accept-Ranges: bytes\r\n");
	if (resp->coding == HTTP_BR && !REPLACED(x, xn, "Content-Encoding"))
		p = PUT(p, "Content-Encoding: br\r\n");
	else if (resp->coding == HTTP_GZIP && !REPLACED(x, xn, "Content-Encoding"))
		p = PUT(p, "Content-Encoding: gzip\r\n");
	return p;
}

int http_file_lines_to_hdrs(struct response *resp)
{
	struct buf *b = resp->hdrs;

	if (buf_reserve(b, 64) < 0)
		return -1;
	b->len = (size_t)(put_file_lines(b->data + b->len, resp, NULL, 0) - b->data);
	resp->accept_ranges = false;
	resp->coding = HTTP_IDENTITY;
	return 0;
}

/* Content-Type, Content-Length (or chunked), Last-Modified, ETag: v's
 * validators when given (no rule replaces them), else formatted. */
static char *put_fields(char *p, const struct response *resp, const struct http_validators *v,
			size_t cn, size_t en, const char *x, size_t xn)
{
	if (resp->ctype && !REPLACED(x, xn, "Content-Type"))
		p = put_ctype(p, resp->ctype, cn);
	if (resp->chunked)
		p = PUT(p, "Transfer-Encoding: chunked\r\n");
	else if (resp->status != S_NOT_MODIFIED && resp->status != S_NO_CONTENT &&
		 !resp->unframed)
		p = put_clen(p, resp->clen);
	if (v)
		return put(p, v->lines + HTTP_VLINES_AT, v->len);
	return put_validators(p, resp->mtime, resp->etag, en, x, xn);
}

/* Out of line: http_format_head's copy of a cached head (most answers)
 * then saves and restores none of the registers this one needs. */
static __attribute__((noinline)) int format_head(struct buf *out, const struct response *resp, int minor,
		       const char date[HTTP_DATE_LEN])
{
	const char *text = http_status_text(resp->status);
	size_t hn = resp->hdrs ? resp->hdrs->len : 0, tn = 0, cn = 0, en;
	const struct http_validators *v = NULL;
	const char *x = hn ? resp->hdrs->data : NULL;
	size_t xn = !resp->xhdr_ok ? 0 :
		    resp->status >= S_BAD_REQUEST ? resp->xhdr_all : resp->xhdr_ok;
	unsigned code = (unsigned)resp->status % 1000;
	enum http_conn k = conn_of(resp, minor);
	bool whole;
	char *p;

	if (xn > hn)
		xn = hn;
	if (resp->validators && !xn) /* a cached file's lines, copied */
		v = (const struct http_validators *)(const void *)(resp->etag -
			offsetof(struct http_validators, etag));
	/* ... all four of them for the whole file with its type, as most are */
	whole = v && v->typed && resp->ctype == v->ctype && resp->clen == v->clen &&
		resp->status == S_OK && !resp->chunked && !resp->unframed;
	if (!whole && resp->ctype)
		cn = strlen(resp->ctype);
	if (resp->status != S_OK)
		tn = strlen(text);
	en = v ? (size_t)v->typed + v->len : resp->etag ? strlen(resp->etag) : 0;
	if (buf_reserve(out, HEAD_FIXED + tn + cn + en + hn) < 0)
		return -1;
	p = out->data + out->len;
	/* Our version is 1.1 whatever the request's (RFC 9110 §6.2). The
	 * connection line first: the lines after it, the same for every
	 * connection shape, are what a cached file's head keeps. */
	if (resp->status == S_OK) { /* most answers: one copy */
		p = put(p, conn_text[k], conn_len[k]);
	} else {
		p = PUT(p, "HTTP/1.1 ");
		*p++ = (char)('0' + code / 100);
		*p++ = (char)('0' + code / 10 % 10);
		*p++ = (char)('0' + code % 10);
		*p++ = ' ';
		p = put(p, text, tn);
		p = PUT(p, "\r\n");
		p = put(p, conn_text[k] + STATUS_200_LEN, conn_len[k] - STATUS_200_LEN);
	}
	p = PUT(p, HTTP_HEAD_SERVER);
	p = put(p, date, strnlen(date, HTTP_DATE_LEN - 1));
	p = PUT(p, "\r\n");
	if (whole)
		p = put(p, v->lines + HTTP_VLINES_AT - v->typed, (size_t)v->typed + v->len);
	else
		p = put_fields(p, resp, v, cn, en, x, xn);
	if (hn && !resp->xhdr_ok)
		p = put(p, x, hn);
	else if (hn > resp->xhdr_ok)
		p = put_lines(p, x + resp->xhdr_ok, hn - resp->xhdr_ok, x, xn, false);
	p = put_file_lines(p, resp, x, xn);
	if (xn)
		p = put_lines(p, x, xn, NULL, 0, true);
	p = PUT(p, "\r\n");
	out->len = (size_t)(p - out->data);
	return 0;
}

int http_format_head(struct buf *out, const struct response *resp, int minor,
		     const char date[HTTP_DATE_LEN])
{
	char *p;

	if (plain_cached(resp)) {
		if (buf_reserve(out, HEAD_FIXED + HTTP_TYPED_MAX + HTTP_VLINES_LEN) < 0)
			return -1;
		if ((p = put_cached_head(out->data + out->len, resp, minor, date)) != NULL) {
			out->len = (size_t)(p - out->data);
			return 0;
		}
	}
	return format_head(out, resp, minor, date);
}
