/* Small shared helpers: bounded growable buffers, percent-decoding, HTTP dates. */
#ifndef UTIL_H
#define UTIL_H

#ifndef HTTPD_VERSION
#define HTTPD_VERSION "1.0"    /* --version, /metrics */
#endif

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* A growable buffer that never holds more than max bytes, the limit it
 * was made with (buf_init, BUF_INIT): every append checks it. Limits are
 * under 4 GiB, so cap and max share a word: struct conn, with seven of
 * these, stays within malloc's fast (tcache) sizes. */
struct buf {
	char *data;
	size_t len;
	uint32_t cap;
	uint32_t max;
};

#define BUF_INIT(m) { .data = NULL, .len = 0, .cap = 0, .max = (m) }
/* The buffer at b, in zeroed memory (calloc, memset) or freed, is
 * limited to max bytes: one store, so making a connection's seven
 * buffers costs next to nothing. Elsewhere: BUF_INIT. */
static inline void buf_init(struct buf *b, size_t max)
{
	b->max = max > UINT32_MAX ? UINT32_MAX : (uint32_t)max;
}
/* Make room for `need` more bytes without exceeding b->max in total; 0 or -1.
 * Inline when the room is there (cap never exceeds max): a request makes
 * dozens of these calls, most of them with nothing to do. */
int buf_grow(struct buf *b, size_t need);
static inline int buf_reserve(struct buf *b, size_t need)
{
	return b->cap - b->len >= need ? 0 : buf_grow(b, need);
}
int buf_append(struct buf *b, const void *p, size_t n);
/* Inline: a literal's length is known where it is written. */
static inline int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Its memory back; it stays usable, with the same max. Inline for the
 * buffers that hold none (most of a connection's, every request). */
void buf_drop(struct buf *b);
static inline void buf_free(struct buf *b)
{
	if (b->data)
		buf_drop(b);
}

/* Percent-decode n bytes of src into dst (at least n bytes); with plus_space,
 * '+' becomes ' ' (query strings and form bodies). Returns the decoded length,
 * or -1 on a malformed escape. */
long util_pct_decode(char *dst, const char *src, size_t n, int plus_space);

/* Append s, percent-encoding every byte outside RFC 3986 unreserved and '/'. */
int util_pct_encode(struct buf *b, const char *s, size_t n);
/* Append s with & < > " ' replaced by entities. */
int util_html_escape(struct buf *b, const char *s, size_t n);

/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"): 29 chars + NUL. */
#define HTTP_DATE_LEN 30
/* Returns its length: 29, 0 (no date) or other for years past 9999. */
size_t util_http_date(time_t t, char out[HTTP_DATE_LEN]);
/* Parse the three date formats of RFC 9110 §5.6.7; -1 when not a date. */
time_t util_parse_http_date(const char *s, size_t n);

/* Decimal digits at s (at least one) up to max: 0 with *v and *end just
 * past them, -1 when none or over max. */
int util_parse_uint(const char *s, const char **end, unsigned max, unsigned *v);
/* Case-insensitive comparison of a counted string with a C string. */
int util_ieq(const char *s, size_t n, const char *lit);
/* Length of the valid UTF-8 sequence at p (1 for ASCII), 0 if invalid. */
size_t util_utf8_len(const unsigned char *p, size_t n);
/* A peer's address into *peer (zeroed by the caller) as IPv6, IPv4 as
 * v4-mapped; family AF_UNSPEC when it has none (a pipe). */
void util_peer(const struct sockaddr *sa, struct sockaddr_in6 *peer);
/* The peer as text ("-" when it has none), into str, returned. Made only
 * when a log line, a CGI or proxied request or the inspector needs it:
 * a connection keeps no copy (idle memory, accept's cost). */
#define UTIL_PEER_LEN 48
const char *util_peer_str(const struct sockaddr_in6 *peer, char str[UTIL_PEER_LEN]);
/* Standard base64 (RFC 4648 §4, padded) of p[0..n) appended to out. */
int util_base64(struct buf *out, const unsigned char *p, size_t n);
/* Monotonic clock in milliseconds. */
int64_t util_now_ms(void);
/* Monotonic microseconds (request durations). */
int64_t util_now_us(void);
/* The wall clock (CLOCK_REALTIME) in nanoseconds: the clock of the
 * kernel's receive timestamps (SO_TIMESTAMPNS). */
int64_t util_real_ns(void);
/* A timespec in nanoseconds. */
static inline int64_t util_ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}
/* s[0..n) as the contents of a JSON string (quotes, backslashes and
 * controls escaped; invalid UTF-8 becomes U+FFFD), as far as b takes it. */
void util_json_escape(struct buf *b, const char *s, size_t n);

#endif
