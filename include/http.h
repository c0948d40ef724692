/* HTTP glue around llhttp: the parsed request, the response, status texts. */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "llhttp.h"
#include "util.h"

/* Values are the HTTP codes themselves, so handlers simply return a status. */
enum status {
	S_OK = 200,
	S_NO_CONTENT = 204,
	S_PARTIAL_CONTENT = 206,
	S_MOVED_PERMANENTLY = 301,
	S_FOUND = 302,
	S_NOT_MODIFIED = 304,
	S_BAD_REQUEST = 400,
	S_UNAUTHORIZED = 401,
	S_FORBIDDEN = 403,
	S_NOT_FOUND = 404,
	S_METHOD_NOT_ALLOWED = 405,
	S_REQUEST_TIMEOUT = 408,
	S_PRECONDITION_FAILED = 412,
	S_PAYLOAD_TOO_LARGE = 413,
	S_URI_TOO_LONG = 414,
	S_UNSUPPORTED_MEDIA_TYPE = 415,
	S_RANGE_NOT_SATISFIABLE = 416,
	S_TOO_MANY_REQUESTS = 429,
	S_HEADERS_TOO_LARGE = 431,
	S_INTERNAL_SERVER_ERROR = 500,
	S_NOT_IMPLEMENTED = 501,
	S_BAD_GATEWAY = 502,
	S_SERVICE_UNAVAILABLE = 503,
	S_GATEWAY_TIMEOUT = 504,
	S_VERSION_NOT_SUPPORTED = 505,
};

/* Limits of one request; see README "Limits and timeouts". */
#define HTTP_URL_MAX (8 * 1024)        /* request line: 414 beyond */
#define HTTP_HEADERS_MAX (32 * 1024)   /* header section: 431 beyond */
#define HTTP_HEADER_COUNT_MAX 100      /* header lines: 431 beyond */
#define HTTP_BODY_KEEP_MAX (64 * 1024) /* bodies a handler reads: 413 beyond */
#define HTTP_BODY_DISCARD_MAX (1024 * 1024) /* bodies read and dropped */
/* Body bytes waiting for a CGI script before reading the client pauses. */
#define HTTP_PIPE_MAX (64 * 1024)
/* The input buffer holds one whole head, plus a kept body. */
#define HTTP_IN_MAX (HTTP_URL_MAX + HTTP_HEADERS_MAX + 1024 + HTTP_BODY_KEEP_MAX)

/* Limits of the response buffers (struct buf max): */
#define HTTP_HDRS_MAX (64 * 1024)      /* extra header lines of an answer */
#define HTTP_RESP_HEAD_MAX (64 * 1024) /* the formatted response head */
#define HTTP_SEGS_MAX 256              /* body segments (multipart ranges) */

/* A byte range of the connection's input buffer (offsets survive realloc). */
struct span {
	uint32_t off;
	uint32_t len;
};

/* The headers the server itself looks at; the others are only counted. */
enum hdr {
	H_HOST,
	H_CONNECTION,
	H_CONTENT_TYPE,
	H_CONTENT_LENGTH,
	H_TRANSFER_ENCODING,
	H_USER_AGENT,
	H_REFERER,
	H_IF_NONE_MATCH,
	H_IF_MODIFIED_SINCE,
	H_IF_MATCH,
	H_IF_UNMODIFIED_SINCE,
	H_RANGE,
	H_IF_RANGE,
	H_ACCEPT_ENCODING,
	H_AUTHORIZATION,
	H_EXPECT,
	H__COUNT
};

struct request {
	const char *base;        /* the input buffer the spans point into */
	uint8_t method;          /* llhttp_method_t */
	uint8_t major, minor;
	bool keep_alive;
	bool has_body;
	bool chunked;            /* ... framed by Transfer-Encoding: chunked */
	bool keep_body;          /* the handler wants the body kept in memory */
	bool keep_raw;           /* ... as received, chunk framing included */
	bool to_pipe;            /* the body streams to a CGI script through pipe */
	bool pipe_paused;        /* ... whose buffer is full: parsing waits */
	bool chunk_check;        /* the CRLF at chunk_end is still to be checked */
	struct span method_s, url, path, query, body;
	struct span hdr[H__COUNT];
	struct span field;       /* header name being parsed */
	int nheaders;
	int cur;                 /* index in hdr of the value being parsed, or -1 */
	uint32_t head_end;       /* offset just past the blank line */
	enum status error;       /* set by the glue when the request is refused */
	uint32_t chunk_line;     /* where the next chunk-size line starts (0:
				  * the first, at head_end) */
	struct buf *pipe;
	uint64_t content_length; /* as announced (0 when chunked) */
	uint32_t body_len;       /* body bytes seen (kept or not) */
	uint32_t chunk_end;      /* where the CRLF after chunk data must be */
	uint64_t discard_len;
	uint64_t stamp;          /* loop_reads when its last byte was read */
};

/* Room before a memory piece's bytes that the sender may write its head
 * into (struct seg's front), so that head and body leave in one write
 * without the body being copied. */
#define HTTP_SEG_FRONT 512

/* One piece of a response body: bytes of the body buffer or of the file. */
struct seg {
	bool file;
	bool front;              /* mem + off has HTTP_SEG_FRONT bytes of room
				  * before it (a cached file's bytes) */
	off_t off, len;
	const char *mem;         /* not a file: bytes at mem + off (a cached
				  * file's, kept by resp->cache), NULL: in body */
};

/* A response's body pieces. Most answers have one: it stays in place, so
 * no block is taken and given back per request for it; multipart ranges'
 * many go to an array (up to HTTP_SEGS_MAX). Zeroed memory is empty. */
struct segs {
	struct seg *v;   /* the array, NULL: the piece is one */
	uint32_t n, cap; /* pieces, room in v */
	struct seg one;
};

static inline struct seg *http_segs(const struct segs *s)
{
	return s->v ? s->v : (struct seg *)&s->one;
}

/* A response body produced over time: a CGI script's output now; a
 * proxied answer or server-sent events later. The connection pulls from
 * it through ops and never knows which kind it is; the source wakes the
 * connection when it can go on. */
struct stream;
struct response;
struct stream_ops {
	/* The answer's head, once the source has it: 1 with resp filled
	 * (status, ctype, hdrs) and *clen the body length (-1: unknown);
	 * 0 not yet (a wake follows); -1 no usable answer: resp->status
	 * says what to answer instead. */
	int (*head)(struct stream *s, struct response *resp, long long *clen);
	/* Up to n body bytes into p: how many, 0 at the end, -1 none now (a
	 * wake follows), -2 broken off (the connection closes: a truncated
	 * answer is never presented as complete). */
	ssize_t (*read)(struct stream *s, char *p, size_t n);
	/* Request body bytes for the source: it takes from b what it can now;
	 * done: b holds the last of them. */
	void (*feed)(struct stream *s, struct buf *b, bool done);
	/* The connection is done with the source: end and free it. */
	void (*stop)(struct stream *s);
};

struct stream {
	const struct stream_ops *ops;
	/* Set by the connection, called by the source when it can go on; a
	 * fail status when it cannot (answered if the head is not out yet,
	 * else the connection closes). */
	void (*wake)(void *ctx, enum status fail);
	void *ctx;
	const char *why;         /* reason of a failure, logged at -vv */
};

/* The longest ETag we make, NUL included: quotes, the mtime in ns and the
 * size in hex (16 digits each at most), a dash, a coding ("-gz"). */
#define HTTP_ETAG_LEN 40
/* Room for both validator lines: "Last-Modified: " + date, "ETag: " + tag. */
#define HTTP_VLINES_LEN (15 + HTTP_DATE_LEN + 2 + 6 + HTTP_ETAG_LEN + 2)

/* A head's connection line: none (HTTP/1.1 keep-alive), close, or
 * keep-alive (HTTP/1.0); HTTP_CONN_UNSET: no line written yet. */
enum http_conn { HTTP_CONN_NONE, HTTP_CONN_CLOSE, HTTP_CONN_KEEP, HTTP_CONN_UNSET };

/* A file's content coding: the Content-Encoding line of its variant. */
enum http_coding { HTTP_IDENTITY, HTTP_BR, HTTP_GZIP };

/* Room for the typed lines before them: "Content-Type: " + a type of up
 * to HTTP_TYPED_MAX - 54 bytes, "Content-Length: " + 20 digits. */
#define HTTP_TYPED_MAX 128

/* A head's first lines: the status line, then the connection line when
 * there is one (the line a head's shape changes first, so that what
 * follows it is the same for every shape), then these, before the Date.
 * HTTP_HEAD_PRE: their length with the Date (IMF-fixdate: always 29
 * bytes) and its CRLF; the end of a whole-file head: Accept-Ranges, the
 * blank line. */
#define HTTP_STATUS_200 "HTTP/1.1 200 OK\r\n"
#define HTTP_HEAD_SERVER "Server: httpd\r\nDate: "
#define HTTP_HEAD_PRE (sizeof(HTTP_HEAD_SERVER) - 1 + HTTP_DATE_LEN - 1 + 2)
#define HTTP_HEAD_END "Accept-Ranges: bytes\r\n\r\n"
#define HTTP_HEAD_TAIL (sizeof(HTTP_HEAD_END) - 1)
/* Where the validator lines begin in struct http_validators' lines. */
#define HTTP_VLINES_AT (HTTP_HEAD_PRE + HTTP_TYPED_MAX)

/* A cached file's ETag with its head lines, formatted once, then copied
 * into every head: Last-Modified and ETag (len bytes at lines +
 * HTTP_VLINES_AT, made when the file is opened), and just before them
 * Content-Type and Content-Length (typed bytes, made when its type is
 * known) for a whole-file answer of that type. With them, the whole head
 * of that answer's most common shape (200, no extra line, identity
 * coding) from its Server line on: head_len bytes at lines + head, whose
 * Date the answers refresh when the second changes; most answers are a
 * copy of it after their status and connection lines. */
struct http_validators {
	char etag[HTTP_ETAG_LEN];
	uint8_t len, typed;
	uint8_t conn;            /* in front: the enum http_conn written */
	uint16_t head, head_len; /* head_len 0: no whole head */
	const char *ctype;       /* the type of the typed lines */
	off_t clen;              /* their Content-Length */
	/* The file's bytes in memory, with room before them (HTTP_SEG_FRONT):
	 * the whole head is kept there, just before them, instead, after the
	 * status and connection lines of the last answer that used it (so an
	 * answer of any connection shape leaves in one write from there);
	 * NULL: in lines. */
	char *front;
	char lines[HTTP_VLINES_AT + HTTP_VLINES_LEN + HTTP_HEAD_TAIL];
};

struct response {
	enum status status;
	/* hdrs begins with lines of header rules and CORS, which replace the
	 * server's lines of the same name: the first xhdr_all bytes go with
	 * every answer, up to xhdr_ok with answers below 400. (In holes of
	 * the struct: struct conn stays within malloc's per-size cache.) */
	uint32_t xhdr_all;
	const char *ctype;       /* NULL: no body, no Content-Type */
	struct buf *body;        /* generated body, or NULL */
	int fd;                  /* file body when >= 0 */
	uint32_t xhdr_ok;
	void *cache;             /* the open-file cache entry fd belongs to */
	off_t off, len;          /* file range (when segs is empty) */
	struct segs *segs;       /* the body's pieces (multipart); none: the
				  * body is the buffer, or the file range */
	off_t clen;              /* Content-Length, set by the core */
	struct buf *hdrs;        /* extra header lines, each ending in CRLF */
	time_t mtime;            /* Last-Modified when != 0 */
	const char *etag;        /* ETag when not NULL (a cached file's, held
				  * by cache while the answer goes out) */
	const char *why;         /* reason of a 4xx/5xx, logged at -vv */
	bool close;              /* Connection: close */
	bool chunked;            /* streamed: Transfer-Encoding: chunked */
	bool unframed;           /* streamed to the close: no length at all */
	bool head_only;          /* HEAD: headers as for GET, no body */
	bool missing;            /* 404: nothing at all at that path */
	/* (in the hole after the flags: struct conn stays the same size) */
	bool validators;         /* etag is a struct http_validators' */
	bool accept_ranges;      /* Accept-Ranges: bytes, after hdrs' lines */
	uint8_t coding;          /* enum http_coding: Content-Encoding, after it */
	struct stream *stream;   /* the body comes from here (no segs) */
};

static inline const char *span_ptr(const struct request *r, struct span s)
{
	return r->base + s.off;
}
bool http_has_header(const struct request *req, enum hdr h);
/* Bit n of http_hdr_lengths[c & 31]: a name of enum hdr has n bytes and
 * begins with c (any case). */
extern uint32_t http_hdr_lengths[32];
int http_header_lookup(const char *name, size_t n);
/* Which enum hdr a header name of token bytes is (any case), or -1.
 * Inline: most names of a browser's head (Sec-Fetch-*, Accept, Cookie,
 * ...) are none of them, told by their first letter and length. */
static inline int http_header_index(const char *name, size_t n)
{
	if (n == 0 || n >= 32 || !(http_hdr_lengths[name[0] & 31] >> n & 1))
		return -1;
	return http_header_lookup(name, n);
}
/* A header the parser does not keep (CORS's, read only when configured):
 * the value of its first line in the head, OWS trimmed, or NULL. */
const char *http_header_scan(const struct request *req, const char *name, size_t *len);
bool http_header_is(const struct request *req, enum hdr h, const char *val);

/* The header lines of a parsed head, in order and case as received: *pos
 * starts at 0; false after the last. name and value are spans (the value
 * without surrounding whitespace). */
bool http_header_next(const struct request *req, size_t *pos, struct span *name,
		      struct span *value);
/* The first header named name (any case); false when absent. */
bool http_header_find(const struct request *req, const char *name, struct span *value);

/* The end of a head in p[0..n): the offset just past its blank line (CRLF
 * or bare LF line ends), 0 when it is not complete. */
size_t http_head_end(const char *p, size_t n);

/* Describe the body (file range or buffer) as segments, total clen. */
void http_plan_body(struct response *resp);
/* Append a body piece (multipart/byteranges); -1 when out of room. */
int http_add_seg_more(struct segs *s, bool file, off_t off, off_t len);
static inline int http_add_seg(struct response *resp, bool file, off_t off, off_t len)
{
	struct segs *s = resp->segs;

	if (!s->v && s->n == 0) { /* the only piece (most answers): in place */
		s->one = (struct seg){ file, false, off, len, NULL };
		s->n = 1;
		return 0;
	}
	return http_add_seg_more(s, file, off, len);
}
/* Idle: the array of pieces, if any, freed. */
void http_segs_free(struct segs *s);

const char *http_status_text(enum status s);
/* errno of a failed open/stat → status (ENOENT → 404, EACCES → 403, …). */
enum status http_status_from_errno(int err);
/* Small HTML error page into resp->body, with its Content-Type. */
void http_error_body(struct response *resp);
/* RFC 9110 §5.6.2 token characters (letters first: header names). */
/* Byte classes, one load per byte of every header name and host. */
enum { HTTP_TCHAR = 1, HTTP_REG_NAME = 2, HTTP_TARGET = 4 };
extern const unsigned char http_byte_class[256];
static inline bool http_tchar(unsigned char c)
{
	return http_byte_class[c] & HTTP_TCHAR;
}

/* Is s[0..n) a token (RFC 9110 §5.6.2), as header names are? */
bool http_token(const char *s, size_t n);
/* The header line named name (any case) among lines[0..n) ("Name: value"
 * lines ending in LF), or NULL. */
const char *http_line_find(const char *lines, size_t n, const char *name, size_t nl);
/* Format the status line and headers into out (the rules' lines at the
 * start of hdrs replacing the lines they name), date a whole HTTP_DATE_LEN
 * buffer (loop_date's) holding a NUL-terminated Date; -1 if it does not
 * fit, else 0. */
int http_format_head(struct buf *out, const struct response *resp, int minor,
		     const char date[HTTP_DATE_LEN]);
/* When resp's head is, byte for byte, the whole head its cached file
 * keeps just before its bytes (struct http_validators' front: a plain 200
 * of the whole file) after resp's status and connection lines: that
 * head, those lines written before it when the last answer's were
 * another, its Date made date, *n its length; else NULL
 * (http_format_head makes it). Those lines and the Date change with a
 * later answer: it is good for this run's use. */
const char *http_kept_head(const struct response *resp, int minor,
			   const char date[HTTP_DATE_LEN], size_t *n);
/* Accept-Ranges and Content-Encoding (flags of resp) as lines of hdrs,
 * for a handler adding lines after them; -1 when out of room. */
int http_file_lines_to_hdrs(struct response *resp);
/* v's lines for mtime and v->etag, as http_format_head makes them. */
void http_validators_format(struct http_validators *v, time_t mtime);
/* v's typed lines for a whole-file answer of that type and length (none
 * for a type too long for them). */
void http_validators_type(struct http_validators *v, const char *ctype, off_t clen);

#endif
