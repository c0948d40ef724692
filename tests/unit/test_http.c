/* http.c: status texts, errno to status, the response head. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S(lit) lit, sizeof(lit) - 1

static void test_status_text(void **state)
{
	static const struct {
		enum status s;
		const char *text;
	} t[] = {
		{ S_OK, "OK" },
		{ S_MOVED_PERMANENTLY, "Moved Permanently" },
		{ S_NOT_MODIFIED, "Not Modified" },
		{ S_BAD_REQUEST, "Bad Request" },
		{ S_FORBIDDEN, "Forbidden" },
		{ S_NOT_FOUND, "Not Found" },
		{ S_METHOD_NOT_ALLOWED, "Method Not Allowed" },
		{ S_REQUEST_TIMEOUT, "Request Timeout" },
		{ S_PAYLOAD_TOO_LARGE, "Content Too Large" },
		{ S_URI_TOO_LONG, "URI Too Long" },
		{ S_HEADERS_TOO_LARGE, "Request Header Fields Too Large" },
		{ S_INTERNAL_SERVER_ERROR, "Internal Server Error" },
		{ S_NOT_IMPLEMENTED, "Not Implemented" },
		{ S_SERVICE_UNAVAILABLE, "Service Unavailable" },
		{ S_VERSION_NOT_SUPPORTED, "HTTP Version Not Supported" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < LEN(t); i++)
		assert_string_equal(http_status_text(t[i].s), t[i].text);
	assert_non_null(http_status_text((enum status)999));
}

static void test_status_from_errno(void **state)
{
	static const struct {
		int err;
		enum status s;
	} t[] = {
		{ ENOENT, S_NOT_FOUND },
		{ ENOTDIR, S_NOT_FOUND },
		{ EACCES, S_FORBIDDEN },
		{ EPERM, S_FORBIDDEN },
		{ EXDEV, S_FORBIDDEN },
		{ ELOOP, S_FORBIDDEN },
		{ ENAMETOOLONG, S_NOT_FOUND }, /* no such name on disk */
		{ EMFILE, S_SERVICE_UNAVAILABLE },
		{ ENFILE, S_SERVICE_UNAVAILABLE },
		{ EIO, S_INTERNAL_SERVER_ERROR },
	};
	size_t i;

	(void)state;
	for (i = 0; i < LEN(t); i++)
		assert_int_equal(http_status_from_errno(t[i].err), t[i].s);
}

#define DATE "Sun, 06 Nov 1994 08:49:37 GMT"

static void expect_head(const struct response *r, int minor, const char *want)
{
	struct buf out = BUF_INIT(HTTP_RESP_HEAD_MAX);

	assert_int_equal(http_format_head(&out, r, minor, DATE), 0);
	if (out.len != strlen(want) || memcmp(out.data, want, out.len) != 0)
		fail_msg("head:\n%.*s\nwant:\n%s", (int)out.len, out.data, want);
	buf_free(&out);
}

/* The byte-class table is the RFCs' sets, byte for byte. */
static void test_byte_classes(void **state)
{
	static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	int c;

	(void)state;
	for (c = 1; c < 256; c++) {
		bool an = strchr(alnum, c) != NULL;

		assert_int_equal(http_tchar((unsigned char)c),
				 an || strchr("!#$%&'*+-.^_`|~", c) != NULL);
		assert_int_equal((http_byte_class[c] & HTTP_REG_NAME) != 0,
				 an || strchr("-._~!$&'()*+,;=", c) != NULL);
	}
	assert_false(http_tchar(0));
	assert_int_equal(http_byte_class[0], 0);
}

static void test_format_head(void **state)
{
	struct buf body = BUF_INIT(4096), hdrs = BUF_INIT(256);
	struct response r;

	(void)state;
	buf_puts(&body, "hello");

	/* a generated body, 1.1 keep-alive */
	memset(&r, 0, sizeof(r));
	r.status = S_OK;
	r.fd = -1;
	r.ctype = "text/plain; charset=utf-8";
	r.body = &body;
	r.clen = 5;
	expect_head(&r, 1, "HTTP/1.1 200 OK\r\nServer: httpd\r\nDate: " DATE "\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n"
			   "Content-Length: 5\r\n\r\n");
	/* 1.0 keep-alive says so, right after the status line */
	expect_head(&r, 0, "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nServer: httpd\r\n"
			   "Date: " DATE "\r\nContent-Type: text/plain; charset=utf-8\r\n"
			   "Content-Length: 5\r\n\r\n");
	/* closing */
	r.close = true;
	expect_head(&r, 1, "HTTP/1.1 200 OK\r\nConnection: close\r\nServer: httpd\r\n"
			   "Date: " DATE "\r\nContent-Type: text/plain; charset=utf-8\r\n"
			   "Content-Length: 5\r\n\r\n");
	expect_head(&r, 0, "HTTP/1.1 200 OK\r\nConnection: close\r\nServer: httpd\r\n"
			   "Date: " DATE "\r\nContent-Type: text/plain; charset=utf-8\r\n"
			   "Content-Length: 5\r\n\r\n");

	/* a file: its length, Last-Modified and ETag; HEAD gives the same */
	memset(&r, 0, sizeof(r));
	r.status = S_OK;
	r.fd = 99;
	r.len = r.clen = 123456789;
	r.ctype = "image/png";
	r.mtime = 784111777;
	r.etag = "\"2b9c1e7a-75bcd15\"";
	expect_head(&r, 1, "HTTP/1.1 200 OK\r\nServer: httpd\r\nDate: " DATE "\r\n"
			   "Content-Type: image/png\r\nContent-Length: 123456789\r\n"
			   "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			   "ETag: \"2b9c1e7a-75bcd15\"\r\n\r\n");
	r.head_only = true;
	expect_head(&r, 1, "HTTP/1.1 200 OK\r\nServer: httpd\r\nDate: " DATE "\r\n"
			   "Content-Type: image/png\r\nContent-Length: 123456789\r\n"
			   "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			   "ETag: \"2b9c1e7a-75bcd15\"\r\n\r\n");
	/* an empty file */
	r.head_only = false;
	r.len = r.clen = 0;
	expect_head(&r, 1, "HTTP/1.1 200 OK\r\nServer: httpd\r\nDate: " DATE "\r\n"
			   "Content-Type: image/png\r\nContent-Length: 0\r\n"
			   "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			   "ETag: \"2b9c1e7a-75bcd15\"\r\n\r\n");

	/* 304: validators, no Content-Length */
	r.status = S_NOT_MODIFIED;
	r.fd = -1;
	r.ctype = NULL;
	expect_head(&r, 1, "HTTP/1.1 304 Not Modified\r\nServer: httpd\r\nDate: " DATE "\r\n"
			   "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			   "ETag: \"2b9c1e7a-75bcd15\"\r\n\r\n");

	/* 204 with extra headers */
	memset(&r, 0, sizeof(r));
	r.status = S_NO_CONTENT;
	r.fd = -1;
	buf_puts(&hdrs, "Allow: GET, HEAD, OPTIONS\r\n");
	r.hdrs = &hdrs;
	expect_head(&r, 1, "HTTP/1.1 204 No Content\r\nServer: httpd\r\nDate: " DATE "\r\n"
			   "Allow: GET, HEAD, OPTIONS\r\n\r\n");

	/* an error page: HTML, its exact length, extra headers, close */
	memset(&r, 0, sizeof(r));
	r.status = S_METHOD_NOT_ALLOWED;
	r.fd = -1;
	r.body = &body;
	r.hdrs = &hdrs;
	r.close = true;
	http_error_body(&r);
	r.clen = (off_t)body.len;
	assert_string_equal(r.ctype, "text/html; charset=utf-8");
	assert_non_null(memmem(body.data, body.len, "405 Method Not Allowed", 22));
	{
		char want[512];

		snprintf(want, sizeof(want),
			 "HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nServer: httpd\r\n"
			 "Date: " DATE "\r\n"
			 "Content-Type: text/html; charset=utf-8\r\nContent-Length: %zu\r\n"
			 "Allow: GET, HEAD, OPTIONS\r\n\r\n",
			 body.len);
		expect_head(&r, 1, want);
	}

	/* a 301 with its Location and an empty body */
	memset(&r, 0, sizeof(r));
	r.status = S_MOVED_PERMANENTLY;
	r.fd = -1;
	hdrs.len = 0;
	buf_puts(&hdrs, "Location: /dir/?q=1\r\n");
	r.hdrs = &hdrs;
	expect_head(&r, 1, "HTTP/1.1 301 Moved Permanently\r\nServer: httpd\r\nDate: " DATE
			   "\r\nContent-Length: 0\r\nLocation: /dir/?q=1\r\n\r\n");

	buf_free(&body);
	buf_free(&hdrs);
}

/* A cached file's lines, formatted once, make the head the fields would
 * make; a header rule naming one of them still replaces it. */
static void test_format_validators(void **state)
{
	static const char want[] = "HTTP/1.1 200 OK\r\nServer: httpd\r\nDate: " DATE "\r\n"
				   "Content-Type: image/png\r\nContent-Length: 7\r\n"
				   "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
				   "ETag: \"2b9c1e7a-75bcd15\"\r\n\r\n";
	struct http_validators v = { .etag = "\"2b9c1e7a-75bcd15\"" };
	const char *vl = v.lines + HTTP_VLINES_AT;
	struct buf hdrs = BUF_INIT(HTTP_HDRS_MAX);
	struct response r;

	(void)state;
	http_validators_format(&v, 784111777);
	assert_int_equal(v.len, strlen(vl));
	assert_string_equal(vl, "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
				"ETag: \"2b9c1e7a-75bcd15\"\r\n");
	memset(&r, 0, sizeof(r));
	r.status = S_OK;
	r.fd = 99;
	r.len = r.clen = 7;
	r.ctype = "image/png";
	r.mtime = 784111777;
	r.etag = v.etag;
	r.validators = true;
	expect_head(&r, 1, want);
	http_validators_type(&v, r.ctype, 7);
	assert_int_equal(v.typed, strlen("Content-Type: image/png\r\nContent-Length: 7\r\n"));
	expect_head(&r, 1, want);
	/* the lines are what is copied: a mark in them shows they were */
	v.lines[HTTP_VLINES_AT - 3] = '8';
	expect_head(&r, 1, "HTTP/1.1 200 OK\r\nServer: httpd\r\nDate: " DATE "\r\n"
			   "Content-Type: image/png\r\nContent-Length: 8\r\n"
			   "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			   "ETag: \"2b9c1e7a-75bcd15\"\r\n\r\n");
	/* a range: the length formatted, the validators copied */
	r.status = S_PARTIAL_CONTENT;
	r.clen = 3;
	memcpy(v.lines + HTTP_VLINES_AT + 6, "XX", 2);
	expect_head(&r, 1, "HTTP/1.1 206 Partial Content\r\nServer: httpd\r\nDate: " DATE
			   "\r\nContent-Type: image/png\r\nContent-Length: 3\r\n"
			   "Last-MXXified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			   "ETag: \"2b9c1e7a-75bcd15\"\r\n\r\n");
	/* a rule's ETag: the lines formatted again, the rule's one later */
	r.status = S_OK;
	r.clen = 7;
	buf_puts(&hdrs, "ETag: \"rule\"\r\n");
	r.hdrs = &hdrs;
	r.xhdr_ok = r.xhdr_all = (uint32_t)hdrs.len;
	expect_head(&r, 1, "HTTP/1.1 200 OK\r\nServer: httpd\r\nDate: " DATE "\r\n"
			   "Content-Type: image/png\r\nContent-Length: 7\r\n"
			   "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			   "ETag: \"rule\"\r\n\r\n");
	/* a type too long for the room: no typed lines */
	http_validators_format(&v, 784111777);
	http_validators_type(&v, "application/vnd.a-very-long-type-name-made-up-to-be-longer-"
			      "than-the-room-there-is", 7);
	assert_int_equal(v.typed, 0);
	buf_free(&hdrs);
}

/* A file in memory keeps its whole head just before its bytes (front):
 * an answer of that shape is given that head, its status and connection
 * lines written before it when the last answer's were another, its Date
 * refreshed there, and it is the head http_format_head makes; every
 * connection shape (keep-alive, close, HTTP/1.0 keep-alive or close), in
 * any order, gets it; other shapes get none (they are formatted, a copy),
 * the kept head left as it was. */
static void test_format_kept_head(void **state)
{
	static char block[HTTP_SEG_FRONT + 612];
	static const char *const dates[] = { DATE, "Sun, 06 Nov 1994 08:49:38 GMT" };
	static const struct {
		bool close;
		int minor;
		const char *lines; /* status and connection */
	} shapes[] = {
		{ false, 1, "HTTP/1.1 200 OK\r\nServer: " },
		{ true, 1, "HTTP/1.1 200 OK\r\nConnection: close\r\nServer: " },
		{ false, 1, "HTTP/1.1 200 OK\r\nServer: " },
		{ false, 0, "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nServer: " },
		{ true, 0, "HTTP/1.1 200 OK\r\nConnection: close\r\nServer: " },
		{ true, 1, "HTTP/1.1 200 OK\r\nConnection: close\r\nServer: " },
		{ false, 0, "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nServer: " },
		{ false, 1, "HTTP/1.1 200 OK\r\nServer: " },
	};
	struct http_validators v = { .etag = "\"2b9c1e7a-75bcd15\"" };
	struct buf a = BUF_INIT(HTTP_RESP_HEAD_MAX);
	struct response r;
	const char *kept, *h;
	size_t d, i, n, ln;

	(void)state;
	http_validators_format(&v, 784111777);
	v.front = block + HTTP_SEG_FRONT;
	http_validators_type(&v, "text/html; charset=utf-8", 612);
	kept = v.front - v.head_len; /* from the Server line on */
	memset(&r, 0, sizeof(r));
	r.status = S_OK;
	r.fd = -1;
	r.len = r.clen = 612;
	r.ctype = v.ctype;
	r.etag = v.etag;
	r.validators = true;
	r.accept_ranges = true;
	for (d = 0; d < LEN(dates); d++) {
		for (i = 0; i < LEN(shapes); i++) {
			r.close = shapes[i].close;
			ln = strlen(shapes[i].lines) - strlen("Server: ");
			n = 0;
			h = http_kept_head(&r, shapes[i].minor, dates[d], &n);
			assert_ptr_equal(h, kept - ln); /* it ends where the bytes begin */
			assert_int_equal(n, ln + v.head_len);
			assert_memory_equal(h, shapes[i].lines, strlen(shapes[i].lines));
			assert_memory_equal(kept + strlen(HTTP_HEAD_SERVER), dates[d],
					    HTTP_DATE_LEN - 1);
			assert_memory_equal(h + n - 4, "\r\n\r\n", 4);
			a.len = 0;
			assert_int_equal(http_format_head(&a, &r, shapes[i].minor, dates[d]), 0);
			if (a.len != n || memcmp(a.data, h, n) != 0)
				fail_msg("kept:\n%.*s\nformatted:\n%.*s", (int)n, h, (int)a.len,
					 a.data);
		}
	}
	r.close = false;
	h = http_kept_head(&r, 1, dates[1], &n);
	r.status = S_PARTIAL_CONTENT; /* another shape: formatted, the kept one left */
	assert_null(http_kept_head(&r, 1, dates[0], &n));
	assert_memory_equal(kept + strlen(HTTP_HEAD_SERVER), dates[1], HTTP_DATE_LEN - 1);
	assert_memory_equal(h, "HTTP/1.1 200 OK\r\nServer: ", 25);
	r.status = S_OK;
	r.clen = 611;
	assert_null(http_kept_head(&r, 1, dates[1], &n));
	r.clen = 612;
	r.head_only = true; /* a HEAD: the same head (the sender sends no piece) */
	assert_ptr_equal(http_kept_head(&r, 1, dates[1], &n), h);
	r.head_only = false;
	v.front = NULL; /* kept in lines only: a copy */
	assert_null(http_kept_head(&r, 1, dates[1], &n));
	buf_free(&a);
}

/* The whole head a cached file keeps for its plain 200 is byte for byte
 * the head formatted from the fields, for every shape that copies it;
 * its Date follows the date given, second by second. */
static void test_format_cached_head(void **state)
{
	static const char *const dates[] = { DATE, "Sun, 06 Nov 1994 08:49:38 GMT",
					     "Mon, 07 Nov 1994 08:49:38 GMT" };
	static const struct {
		bool close, head_only;
		int minor;
	} shapes[] = {
		{ false, false, 1 }, { false, true, 1 }, { true, false, 1 },
		{ false, false, 0 }, { true, true, 0 },
	};
	struct http_validators v = { .etag = "\"2b9c1e7a-75bcd15\"" };
	struct buf a = BUF_INIT(HTTP_RESP_HEAD_MAX), b = BUF_INIT(HTTP_RESP_HEAD_MAX);
	static const char none[HTTP_DATE_LEN];
	struct response r, plain;
	size_t i, d;

	(void)state;
	http_validators_format(&v, 784111777);
	http_validators_type(&v, "text/html; charset=utf-8", 612);
	assert_int_not_equal(v.head_len, 0);
	memset(&r, 0, sizeof(r));
	r.status = S_OK;
	r.fd = -1;
	r.len = r.clen = 612;
	r.ctype = v.ctype;
	r.mtime = 784111777;
	r.etag = v.etag;
	r.validators = true;
	r.accept_ranges = true;
	for (d = 0; d < LEN(dates); d++) {
		for (i = 0; i < LEN(shapes); i++) {
			r.close = shapes[i].close;
			r.head_only = shapes[i].head_only;
			plain = r;
			plain.validators = false; /* formatted from mtime and etag */
			a.len = b.len = 0;
			assert_int_equal(http_format_head(&a, &r, shapes[i].minor, dates[d]), 0);
			assert_int_equal(http_format_head(&b, &plain, shapes[i].minor, dates[d]), 0);
			if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
				fail_msg("cached:\n%.*s\nformatted:\n%.*s", (int)a.len, a.data,
					 (int)b.len, b.data);
			/* the copy is the cache's, its Date the one given */
			assert_memory_equal(v.lines + v.head + sizeof(HTTP_HEAD_SERVER) - 1,
					    dates[d], HTTP_DATE_LEN - 1);
		}
	}
	/* a mark in the cached head shows it is what is copied, after the
	 * status and connection lines of each shape */
	v.lines[v.head + 8] = 'H'; /* "Server: Httpd" */
	for (i = 0; i < LEN(shapes); i++) {
		r.close = shapes[i].close;
		r.head_only = shapes[i].head_only;
		a.len = 0;
		assert_int_equal(http_format_head(&a, &r, shapes[i].minor, dates[2]), 0);
		assert_non_null(memmem(a.data, a.len, "\r\nServer: Httpd\r\n", 17));
	}
	r.close = false;
	r.head_only = false;
	/* other shapes are formatted: no mark */
	r.status = S_PARTIAL_CONTENT;
	r.clen = 3;
	a.len = 0;
	assert_int_equal(http_format_head(&a, &r, 1, dates[2]), 0);
	assert_memory_equal(a.data, "HTTP/1.1 206 Partial Content\r\nServer: httpd\r\n", 45);
	r.status = S_OK;
	r.clen = 612;
	r.coding = HTTP_GZIP;
	a.len = 0;
	assert_int_equal(http_format_head(&a, &r, 1, dates[2]), 0);
	assert_memory_equal(a.data, "HTTP/1.1 200 OK\r\nServer: httpd\r\n", 32);
	r.coding = HTTP_IDENTITY;
	r.ctype = "text/plain";
	a.len = 0;
	assert_int_equal(http_format_head(&a, &r, 1, dates[2]), 0);
	assert_memory_equal(a.data, "HTTP/1.1 200 OK\r\nServer: httpd\r\n", 32);
	/* no date at all (gmtime failed): formatted, the cache's kept */
	r.ctype = v.ctype;
	a.len = 0;
	assert_int_equal(http_format_head(&a, &r, 1, none), 0);
	assert_memory_equal(a.data, "HTTP/1.1 200 OK\r\nServer: httpd\r\nDate: \r\n", 40);
	assert_memory_equal(v.lines + v.head + sizeof(HTTP_HEAD_SERVER) - 1, dates[2],
			    HTTP_DATE_LEN - 1);
	buf_free(&a);
	buf_free(&b);
}

/* Accept-Ranges and Content-Encoding are flags, not lines of hdrs: they
 * follow the handler's lines, a rule's line replaces them, and a handler
 * adding a line after them moves them into hdrs first. */
static void test_format_file_lines(void **state)
{
	struct buf hdrs = BUF_INIT(HTTP_HDRS_MAX);
	struct response r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.status = S_OK;
	r.fd = -1;
	r.accept_ranges = true;
	r.coding = HTTP_GZIP;
	buf_puts(&hdrs, "Vary: Accept-Encoding\r\n");
	r.hdrs = &hdrs;
	expect_head(&r, 1, "HTTP/1.1 200 OK\r\nServer: httpd\r\nDate: " DATE "\r\n"
			   "Content-Length: 0\r\nVary: Accept-Encoding\r\n"
			   "Accept-Ranges: bytes\r\nContent-Encoding: gzip\r\n\r\n");
	assert_int_equal(http_file_lines_to_hdrs(&r), 0);
	buf_puts(&hdrs, "Cache-Control: no-cache\r\n");
	expect_head(&r, 1, "HTTP/1.1 200 OK\r\nServer: httpd\r\nDate: " DATE "\r\n"
			   "Content-Length: 0\r\nVary: Accept-Encoding\r\n"
			   "Accept-Ranges: bytes\r\nContent-Encoding: gzip\r\n"
			   "Cache-Control: no-cache\r\n\r\n");
	hdrs.len = 0;
	buf_puts(&hdrs, "Accept-Ranges: none\r\n");
	r.xhdr_ok = r.xhdr_all = (uint32_t)hdrs.len;
	r.accept_ranges = true;
	r.coding = HTTP_BR;
	expect_head(&r, 1, "HTTP/1.1 200 OK\r\nServer: httpd\r\nDate: " DATE "\r\n"
			   "Content-Length: 0\r\nContent-Encoding: br\r\n"
			   "Accept-Ranges: none\r\n\r\n");
	buf_free(&hdrs);
}

/* Body pieces: the first in place (no array), then an array that keeps
 * it, grows in order and stops at HTTP_SEGS_MAX; free leaves it empty. */
static void test_segs(void **state)
{
	struct segs segs = { 0 };
	struct response r = { .segs = &segs };
	const struct seg *sg;
	int i;

	(void)state;
	assert_int_equal(http_add_seg(&r, true, 5, 7), 0);
	assert_null(segs.v);
	assert_int_equal(segs.n, 1);
	assert_ptr_equal(http_segs(&segs), &segs.one);
	for (i = 1; i < HTTP_SEGS_MAX; i++)
		assert_int_equal(http_add_seg(&r, false, i, 1), 0);
	assert_int_equal(http_add_seg(&r, false, 0, 1), -1);
	assert_int_equal(segs.n, HTTP_SEGS_MAX);
	sg = http_segs(&segs);
	assert_ptr_equal(sg, segs.v);
	assert_true(sg[0].file);
	assert_int_equal(sg[0].off, 5);
	assert_int_equal(sg[0].len, 7);
	for (i = 1; i < HTTP_SEGS_MAX; i++)
		assert_true(!sg[i].file && sg[i].off == i && sg[i].len == 1);
	segs.n = 0; /* the next answer on the connection: the array reused */
	assert_int_equal(http_add_seg(&r, false, 3, 4), 0);
	assert_ptr_equal(http_segs(&segs), segs.v);
	assert_int_equal(segs.v[0].off, 3);
	http_segs_free(&segs);
	assert_null(segs.v);
	assert_int_equal(segs.n, 0);
	assert_int_equal(segs.cap, 0);
}

/* Every name of enum hdr, as the server spells it */
static const char *const hdr_name[H__COUNT] = {
	[H_HOST] = "Host",
	[H_CONNECTION] = "Connection",
	[H_CONTENT_TYPE] = "Content-Type",
	[H_CONTENT_LENGTH] = "Content-Length",
	[H_TRANSFER_ENCODING] = "Transfer-Encoding",
	[H_USER_AGENT] = "User-Agent",
	[H_REFERER] = "Referer",
	[H_IF_NONE_MATCH] = "If-None-Match",
	[H_IF_MODIFIED_SINCE] = "If-Modified-Since",
	[H_IF_MATCH] = "If-Match",
	[H_IF_UNMODIFIED_SINCE] = "If-Unmodified-Since",
	[H_RANGE] = "Range",
	[H_IF_RANGE] = "If-Range",
	[H_ACCEPT_ENCODING] = "Accept-Encoding",
	[H_AUTHORIZATION] = "Authorization",
	[H_EXPECT] = "Expect",
};

/* http_header_index by the definition: the name equal in any case */
static int hdr_ref(const char *s, size_t n)
{
	int i;

	for (i = 0; i < H__COUNT; i++)
		if (strlen(hdr_name[i]) == n && strncasecmp(s, hdr_name[i], n) == 0)
			return i;
	return -1;
}

/* Heap copies, so that ASan sees a read past the name or before it */
static int hdr_index(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);
	int i;

	assert_non_null(p);
	memcpy(p, s, n);
	i = http_header_index(p, n);
	free(p);
	return i;
}

static void test_header_index(void **state)
{
	char s[40];
	size_t n, k;
	int i, c;

	(void)state;
	for (i = 0; i < H__COUNT; i++) {
		n = strlen(hdr_name[i]);
		assert_int_equal(hdr_index(hdr_name[i], n), i);
		for (k = 0; k < n; k++) /* all lower, all upper, mixed */
			s[k] = (char)tolower((unsigned char)hdr_name[i][k]);
		assert_int_equal(hdr_index(s, n), i);
		for (k = 0; k < n; k++)
			s[k] = (char)toupper((unsigned char)hdr_name[i][k]);
		assert_int_equal(hdr_index(s, n), i);
		for (k = 0; k < n; k += 2)
			s[k] = (char)tolower((unsigned char)s[k]);
		assert_int_equal(hdr_index(s, n), i);
		/* every token byte in every place: only the same letter in
		 * the other case, or another known name, is known */
		for (k = 0; k <= n; k++)
			for (c = 1; c < 256; c++) {
				if (!http_tchar((unsigned char)c))
					continue;
				memcpy(s, hdr_name[i], n);
				s[k] = (char)c; /* at n: one byte longer */
				assert_int_equal(hdr_index(s, n + (k == n)), hdr_ref(s, n + (k == n)));
			}
		/* one byte shorter, from either end */
		assert_int_equal(hdr_index(hdr_name[i], n - 1), -1);
		assert_int_equal(hdr_index(hdr_name[i] + 1, n - 1), -1);
	}
	/* the same first letter and length as a known name */
	assert_int_equal(hdr_index(S("Accept-Language")), -1);
	assert_int_equal(hdr_index(S("Content-Digest")), -1);
	assert_int_equal(hdr_index(S("If-Catch")), -1);
	assert_int_equal(hdr_index(S("Rangy")), -1);
	assert_int_equal(hdr_index(S("Hose")), -1);
	assert_int_equal(hdr_index(S("5ser-Agent")), -1); /* '5' & 31 == 'u' & 31 */
	assert_int_equal(hdr_index(S("If-Unmodified-Sincx")), -1);
	assert_int_equal(hdr_index(S("If-Unmodxfied-Since")), -1); /* its middle */
	assert_int_equal(hdr_index(S("")), -1);
	/* 31, 32 and 33 bytes: none */
	memset(s, 'a', sizeof(s));
	memcpy(s, "If-Unmodified-Since", 19);
	for (n = 31; n <= 33; n++)
		assert_int_equal(hdr_index(s, n), -1);
	memset(s, 'a', sizeof(s));
	for (n = 31; n <= 33; n++)
		assert_int_equal(hdr_index(s, n), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_validators),
		cmocka_unit_test(test_format_cached_head),
		cmocka_unit_test(test_format_kept_head),
		cmocka_unit_test(test_format_file_lines),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_status_from_errno),
		cmocka_unit_test(test_byte_classes),
		cmocka_unit_test(test_format_head),
		cmocka_unit_test(test_segs),
		cmocka_unit_test(test_header_index),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
