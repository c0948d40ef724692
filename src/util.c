/* Small shared helpers: bounded growable buffers, percent-decoding, HTTP dates. */
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Buffers start as one block of BUF_BLOCK bytes, recycled through a small
 * free list: every request takes a few and gives them back when its
 * connection goes idle (idle ones hold none), and malloc's per-size caches
 * are too small for a few hundred connections doing that at once. */
#define BUF_BLOCK 2048
#define BUF_SPARE 64 /* at most 128 KiB kept */

static char *spare[BUF_SPARE];
static int nspare;

static char *block_get(void)
{
	return nspare ? spare[--nspare] : malloc(BUF_BLOCK);
}

/* Out of line: the first block from the spare list (most requests'
 * buffers) then costs no saved registers. */
static __attribute__((noinline)) int grow_slow(struct buf *b, size_t need)
{
	size_t max = b->max;
	size_t cap;
	char *p;

	if (!b->cap && need <= BUF_BLOCK && max >= BUF_BLOCK) { /* len is 0 */
		if (!(b->data = block_get()))
			return -1;
		b->cap = BUF_BLOCK;
		return 0;
	}
	if (need > max || b->len > max - need)
		return -1;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < need)
		cap *= 2;
	if (cap > max)
		cap = max;
	p = realloc(b->data, cap);
	if (!p)
		return -1;
	b->data = p;
	b->cap = (uint32_t)cap;
	return 0;
}

int buf_grow(struct buf *b, size_t need)
{
	if (!b->cap && nspare && need <= BUF_BLOCK && b->max >= BUF_BLOCK) {
		b->data = spare[--nspare];
		b->cap = BUF_BLOCK;
		return 0;
	}
	return grow_slow(b, need);
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n + 1) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void buf_drop(struct buf *b)
{
	if (b->cap == BUF_BLOCK && nspare < BUF_SPARE)
		spare[nspare++] = b->data;
	else
		free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long util_pct_decode(char *dst, const char *src, size_t n, int plus_space)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (src[i] == '%') {
			int hi, lo;

			if (n - i < 3)
				return -1;
			hi = hexval((unsigned char)src[i + 1]);
			lo = hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			dst[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (plus_space && src[i] == '+') {
			dst[o++] = ' ';
		} else {
			dst[o++] = src[i];
		}
	}
	return (long)o;
}

int util_pct_encode(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[3] = { '%', hex[c >> 4], hex[c & 15] };

		if (isalnum(c) || (c && strchr("-._~/", c))) {
			if (buf_append(b, &s[i], 1) < 0)
				return -1;
		} else if (buf_append(b, e, 3) < 0) {
			return -1;
		}
	}
	return 0;
}

int util_html_escape(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *e = NULL;

		switch (s[i]) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		}
		if (e ? buf_puts(b, e) : buf_append(b, &s[i], 1))
			return -1;
	}
	return 0;
}

size_t util_http_date(time_t t, char out[HTTP_DATE_LEN])
{
	/* Two remembered dates: most answers repeat the current Date and the
	 * last Last-Modified (the server is single-threaded). */
	static char cache[2][HTTP_DATE_LEN];
	static time_t when[2] = { -1, -1 };
	static size_t len[2];
	static int next;
	struct tm tm;
	size_t n = 0;
	int i;

	for (i = 0; i < 2; i++)
		if (when[i] == t) {
			memcpy(out, cache[i], HTTP_DATE_LEN);
			return len[i];
		}
	/* The C locale (never changed) gives the English names HTTP wants;
	 * gmtime_r fails past year 2^31: no date rather than garbage. */
	if (gmtime_r(&t, &tm))
		n = strftime(out, HTTP_DATE_LEN, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!n)
		out[0] = '\0';
	memcpy(cache[next], out, HTTP_DATE_LEN);
	when[next] = t;
	len[next] = n;
	next ^= 1;
	return n;
}

time_t util_parse_http_date(const char *s, size_t n)
{
	static const char *const fmts[] = {
		"%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate */
		"%A, %d-%b-%y %H:%M:%S GMT", /* RFC 850 */
		"%a %b %e %H:%M:%S %Y",      /* asctime */
	};
	char tmp[64];
	size_t i;

	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct tm tm;
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(tmp, fmts[i], &tm);
		if (end && *end == '\0')
			return timegm(&tm);
	}
	return -1;
}

int util_ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

int64_t util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t util_real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return util_ts_ns(&ts);
}

int64_t util_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* s as the contents of a JSON string; invalid UTF-8 becomes U+FFFD. */
void util_json_escape(struct buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, u;

	while (i < n) {
		if (p[i] == '"' || p[i] == '\\') {
			buf_printf(b, "\\%c", p[i]);
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			buf_printf(b, "\\u%04x", p[i]);
			i++;
		} else if ((u = util_utf8_len(p + i, n - i)) > 0) {
			buf_append(b, p + i, u);
			i += u;
		} else {
			buf_puts(b, "\\ufffd");
			i++;
		}
	}
}

size_t util_utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	/* RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF. */
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

int util_parse_uint(const char *s, const char **end, unsigned max, unsigned *v)
{
	unsigned x = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		x = x * 10 + (unsigned)(*p++ - '0');
		if (x > max)
			return -1;
	}
	*end = p;
	*v = x;
	return 0;
}

/* Dotted quad without inet_ntop's printf: one per connection. */
static void ipv4_str(const uint8_t a[4], char *out)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (a[i] >= 100)
			*out++ = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			*out++ = (char)('0' + a[i] / 10 % 10);
		*out++ = (char)('0' + a[i] % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

void util_peer(const struct sockaddr *sa, struct sockaddr_in6 *peer)
{
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		peer->sin6_family = AF_INET6;
		peer->sin6_addr.s6_addr[10] = 0xff;
		peer->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&peer->sin6_addr.s6_addr[12], &in->sin_addr, 4);
		peer->sin6_port = in->sin_port;
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(peer, sa, sizeof(*peer));
	} else {
		peer->sin6_family = AF_UNSPEC;
	}
}

const char *util_peer_str(const struct sockaddr_in6 *peer, char str[UTIL_PEER_LEN])
{
	if (peer->sin6_family != AF_INET6)
		memcpy(str, "-", 2);
	else if (IN6_IS_ADDR_V4MAPPED(&peer->sin6_addr))
		ipv4_str(&peer->sin6_addr.s6_addr[12], str);
	else
		inet_ntop(AF_INET6, &peer->sin6_addr, str, UTIL_PEER_LEN);
	return str;
}

int util_base64(struct buf *out, const unsigned char *p, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	char q[4];

	if (buf_reserve(out, (n + 2) / 3 * 4) < 0)
		return -1;
	for (i = 0; i + 2 < n; i += 3) {
		q[0] = b64[p[i] >> 2];
		q[1] = b64[(p[i] & 3) << 4 | p[i + 1] >> 4];
		q[2] = b64[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		q[3] = b64[p[i + 2] & 63];
		buf_append(out, q, 4);
	}
	if (i < n) {
		q[0] = b64[p[i] >> 2];
		q[1] = b64[(p[i] & 3) << 4 | (i + 1 < n ? p[i + 1] >> 4 : 0)];
		q[2] = '=';
		if (i + 1 < n)
			q[2] = b64[(p[i + 1] & 15) << 2];
		q[3] = '=';
		buf_append(out, q, 4);
	}
	return 0;
}
