/* One pass over a plain request head (GET/HEAD, no body): what llhttp
 * and parse.c's callbacks cost ~1,800 instructions for, a loop over the
 * bytes does in a few hundred. Strictness is not traded for it: every
 * byte this pass is unsure of sends the head to llhttp instead. */
#include "fasthead.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#ifdef __SSE2__
/* Bytes from lo to lo + n - 1 marked: moved to the bottom of the signed
 * range (wrapping), they are those under INT8_MIN + n; one compare. */
static inline __m128i in_range(__m128i x, char lo, int n)
{
	return _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8((char)(-128 - lo))),
			      _mm_set1_epi8((char)(-128 + n)));
}

/* Of the 16 bytes at p, those that end a value (bit i for p[i]): not
 * VCHAR, SP or HTAB (RFC 9110 §5.5; obs-text and controls go to llhttp,
 * which knows what to refuse). The signed compare takes the bytes under
 * 0x20 and over 0x7f at once. */
static inline unsigned value_stops(const char *p)
{
	const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	const __m128i bad = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
					 _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)));

	return (unsigned)_mm_movemask_epi8(bad) &
	       ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\t')));
}

/* Of the 16 bytes at p, the usual name bytes [A-Za-z0-9-] (OR 0x20 folds
 * only the capitals onto the lowercase letters). */
static inline unsigned name_bytes(const char *p)
{
	const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	const __m128i letter = in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 26);

	return (unsigned)_mm_movemask_epi8(_mm_or_si128(
		_mm_or_si128(letter, in_range(x, '0', 10)), _mm_cmpeq_epi8(x, _mm_set1_epi8('-'))));
}

/* The scans read 16 bytes from p while 15 remain before e (the 16th the
 * NUL at e at most); then the 16 that end at that NUL, the mask moved to
 * start at p: within the head, as the request line alone has 16. */
#define TAIL(p, e) ((unsigned)((p) - ((e) - 15)))

/* Past the value bytes from p: at a CR when the value is plain. */
static const char *value_end(const char *p, const char *e)
{
	unsigned m;

	for (; e - p >= 15; p += 16)
		if ((m = value_stops(p)) != 0)
			return p + __builtin_ctz(m);
	/* never 0: the NUL at e stops a value */
	return p + __builtin_ctz(value_stops(e - 15) >> TAIL(p, e));
}

/* Past the token at p: [A-Za-z0-9-] 16 at a time, the rarer tchars byte
 * by byte. */
static const char *name_end(const char *p, const char *e)
{
	unsigned m = 0;

	for (; e - p >= 15; p += 16)
		if ((m = name_bytes(p)) != 0xffff)
			break;
	if (e - p < 15)
		m = name_bytes(e - 15) >> TAIL(p, e); /* never all: the NUL */
	p += __builtin_ctz(~m);
	if (*p != ':')
		while (http_tchar((unsigned char)*p))
			p++;
	return p;
}
#else
static bool value_byte(unsigned char c)
{
	return (unsigned char)(c - 0x20) < 0x5f || c == '\t';
}

static const char *value_end(const char *p, const char *e)
{
	(void)e;
	while (value_byte((unsigned char)*p))
		p++;
	return p;
}

static const char *name_end(const char *p, const char *e)
{
	(void)e;
	while (http_tchar((unsigned char)*p))
		p++;
	return p;
}
#endif

/* The Host value at v: uri-host [":" port], a reg-name (an IPv4 address
 * is one) and digits, then the line's CR. Past it, or NULL: IP literals,
 * escapes, blanks and the rest are llhttp's. */
static const char *host_end(const char *v, const char *e)
{
	const char *p = v;

#ifdef __SSE2__
	/* Most hosts are lowercase letters, digits, '.' and '-', with a port
	 * maybe, in under 16 bytes: known by one pass over 16 at once. What
	 * this cannot tell goes to the byte loops below. */
	if (e - v >= 16) {
		const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)v);
#define IN(lo, hi) _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8((lo) - 1)), \
				 _mm_cmplt_epi8(x, _mm_set1_epi8((hi) + 1)))
		const __m128i colon = _mm_cmpeq_epi8(x, _mm_set1_epi8(':'));
		unsigned dc = (unsigned)_mm_movemask_epi8(IN('0', ':')); /* digits, ':' */
		unsigned in = dc | (unsigned)_mm_movemask_epi8(_mm_or_si128(IN('a', 'z'), IN('-', '.')));
#undef IN
		unsigned n = (unsigned)__builtin_ctz(~in); /* bytes in the set */
		unsigned col = (unsigned)_mm_movemask_epi8(colon) & ((1u << n) - 1);
		unsigned other = (~dc | col) & ((1u << n) - 1); /* not digits */

		/* then CR; not empty; if a ':', not first, and no byte but
		 * digits after the first (the other bytes all below it) */
		if (n < 16 && v[n] == '\r' && n > 0 &&
		    (!col || (!(col & 1) && other < (col & -col) << 1)))
			return v + n;
	}
#endif
	while (http_byte_class[(unsigned char)*p] & HTTP_REG_NAME)
		p++;
	if (p > v && *p == ':')
		for (p++; (unsigned char)(*p - '0') < 10; p++)
			;
	return p > v && *p == '\r' ? p : NULL;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Give the head back to llhttp with r as it was. */
static size_t decline(struct request *r)
{
	memset(r->hdr, 0, sizeof(r->hdr));
	memset(&r->url, 0, sizeof(r->url));
	memset(&r->path, 0, sizeof(r->path));
	memset(&r->query, 0, sizeof(r->query));
	return 0;
}

/* Whether the 4 bytes at p are lit (lowercase letters), in any case, by
 * one compare: OR 0x20 makes no byte into a letter but its other case.
 * "Host:", on every request, and "close" are told so. */
static bool is4(const char *p, const char *lit)
{
	uint32_t w, l;

	memcpy(&w, p, 4);
	memcpy(&l, lit, 4);
	return (w | 0x20202020u) == l;
}

/* Whether the 10 bytes at p are lit (lowercase letters and '-'), in any
 * case, by two overlapping eight-byte compares: OR 0x20 makes no byte of
 * a name or value (no CR) into '-' but '-', into a letter but its other
 * case. User-Agent, Connection and keep-alive, the next most common
 * names and value, are told so instead of by the hash or strncasecmp. */
static bool is10(const char *p, const char *lit)
{
	const uint64_t lower = 0x2020202020202020ULL;
	uint64_t a, b, x, y;

	memcpy(&a, p, 8);
	memcpy(&b, p + 2, 8);
	memcpy(&x, lit, 8);
	memcpy(&y, lit + 2, 8);
	return (a | lower) == x && (b | lower) == y;
}

/* A Connection value: its option, or -1 for anything else (lists,
 * "upgrade", unknown options: llhttp's business). */
enum { CONN_CLOSE = 1, CONN_KEEP_ALIVE = 2 };
static int connection_option(const char *v, size_t n)
{
	if (n == 10 && is10(v, "keep-alive"))
		return CONN_KEEP_ALIVE;
	if (n == 5 && is4(v, "clos") && (v[4] | 0x20) == 'e')
		return CONN_CLOSE;
	return -1;
}

/* Header names llhttp gives a meaning beyond ours: declined. */
static bool framing_name(const char *name, size_t n)
{
	char c = (char)(*name | 0x20);

	return (n == 7 && c == 'u' && util_ieq(name, n, "Upgrade")) ||
	       (n == 16 && c == 'p' && util_ieq(name, n, "Proxy-Connection"));
}

size_t fasthead_parse(struct request *r, const char *d, size_t n)
{
	const char *p = d, *e = d + n, *target, *path_end, *headers;
	uint8_t method;
	int conn = 0, nh = 0;
	unsigned minor;

	/* Every scan below stops at a CR or at the NUL at e. */
	if (n >= 4 && memcmp(p, "GET ", 4) == 0) {
		method = HTTP_GET;
		p += 4;
	} else if (n >= 5 && memcmp(p, "HEAD ", 5) == 0) {
		method = HTTP_HEAD;
		p += 5;
	} else {
		return 0;
	}
	target = p;
	if (*p != '/')
		return 0;
	while (http_byte_class[(unsigned char)*p] & HTTP_TARGET)
		p++;
	path_end = p;
	if (*p == '?') /* the query: '?' is one of its bytes too */
		for (p++; (http_byte_class[(unsigned char)*p] & HTTP_TARGET) || *p == '?'; p++)
			;
	if (p - target > HTTP_URL_MAX || e - p < 11 || memcmp(p, " HTTP/1.", 8) != 0 ||
	    (p[8] != '0' && p[8] != '1') || p[9] != '\r' || p[10] != '\n')
		return 0;
	minor = (unsigned)(p[8] - '0');
	r->url.off = r->path.off = (uint32_t)(target - d);
	r->url.len = (uint32_t)(p - target);
	r->path.len = (uint32_t)(path_end - target);
	if (path_end < p) {
		r->query.off = (uint32_t)(path_end + 1 - d);
		r->query.len = (uint32_t)(p - path_end - 1);
	}
	p += 11;
	headers = p;
	while (*p != '\r') {
		const char *name = p, *v, *ve;
		size_t nn;
		int i;

		/* Host: most send it first */
		if (p == headers && e - p >= 4 && is4(p, "host") && p[4] == ':') {
			i = H_HOST;
			p += 5;
		} else {
			p = name_end(p, e);
			nn = (size_t)(p - name);
			if (nn == 0 || *p != ':')
				return decline(r);
			if (nn == 10 && is10(name, "user-agent"))
				i = H_USER_AGENT;
			else if (nn == 10 && is10(name, "connection"))
				i = H_CONNECTION;
			else
				i = http_header_index(name, nn);
			if (i < 0 && framing_name(name, nn))
				return decline(r);
			p++;
		}
		nh++;
		/* the one SP of most lines; then any OWS, under '!' as CR and
		 * controls are (one compare for the other lines) */
		p += *p == ' ';
		if ((unsigned char)*p <= ' ')
			while (is_ows(*p))
				p++;
		v = p;
		if (i == H_HOST) {
			if (r->hdr[H_HOST].off || (p = host_end(v, e)) == NULL)
				return decline(r);
			ve = p; /* at its CR: no OWS */
		} else {
			p = value_end(p, e);
			if (*p != '\r')
				return decline(r);
			/* OWS before the CR: the one byte under '!' that
			 * can be there (value bytes, or the ':') */
			ve = p;
			if ((unsigned char)ve[-1] <= ' ')
				while (ve > v && is_ows(ve[-1]))
					ve--;
		}
		if (p[1] != '\n') /* p is before e: p[1] is at most the NUL */
			return decline(r);
		p += 2;
		if (i < 0)
			continue;
		if (i == H_CONTENT_LENGTH || i == H_TRANSFER_ENCODING)
			return decline(r);
		if (i == H_CONNECTION) {
			int o = connection_option(v, (size_t)(ve - v));

			/* llhttp takes SP after an option, not HTAB */
			if (o < 0 || memchr(ve, '\t', (size_t)(p - 2 - ve)))
				return decline(r);
			conn |= o;
		}
		if (!r->hdr[i].off) { /* the first line of a name counts */
			r->hdr[i].off = (uint32_t)((ve > v ? v : name) - d);
			r->hdr[i].len = (uint32_t)(ve - v);
		}
	}
	/* HTTP/1.1 without Host: llhttp's path answers it; so too many
	 * lines (counted to the end: the loop ends at e anyway) */
	if ((minor == 1 && !r->hdr[H_HOST].off) || nh > HTTP_HEADER_COUNT_MAX)
		return decline(r);
	/* the blank line, whole; the header section (counted as request.c
	 * does, from the request line's LF) within its limit */
	if (p[1] != '\n' || p - headers + 3 > HTTP_HEADERS_MAX)
		return decline(r);
	r->method = method;
	r->method_s.off = 0;
	r->method_s.len = method == HTTP_GET ? 3 : 4;
	r->major = 1;
	r->minor = (uint8_t)minor;
	/* llhttp_should_keep_alive: 1.1 unless "close"; 1.0 only with
	 * "keep-alive" */
	r->keep_alive = minor ? !(conn & CONN_CLOSE) : (conn & CONN_KEEP_ALIVE) != 0;
	r->nheaders = nh;
	return (size_t)(p + 2 - d);
}
