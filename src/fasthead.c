/* One pass over a plain request head (GET/HEAD, no body): what llhttp
 * and parse.c's callbacks cost ~1,800 instructions for, a loop over the
 * bytes does in a few hundred. Strictness is not traded for it: every
 * byte this pass is unsure of sends the head to llhttp instead. */
#include "fasthead.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Eight bytes from p, the first as the lowest: the masks and bit counts
 * below number the bytes from the first, on any byte order. */
static inline uint64_t load8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* Field values: VCHAR, SP, HTAB (RFC 9110 §5.5); obs-text and controls
 * go to llhttp, which knows what to refuse. */
static bool value_byte(unsigned char c)
{
	return (unsigned char)(c - 0x20) < 0x5f || c == '\t';
}

/* Past the value bytes from p (e: where the input ends); eight at a time
 * while eight remain: bit 7 marks the bytes under 0x20 or over 0x7e, and
 * the first one marked is one (a borrow or a carry only crosses into the
 * bytes after a marked one); from there byte by byte, for HTAB. */
static const char *value_end(const char *p, const char *e)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = ones << 7;
	uint64_t w, m;

	for (; e - p >= 8; p += 8) {
		w = load8(p);
		m = (((w - ones * 0x20) & ~w) | (w + ones) | w) & highs;
		if (m) {
			p += __builtin_ctzll(m) / 8;
			break;
		}
	}
	while (value_byte((unsigned char)*p))
		p++;
	return p;
}

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

/* A Connection value: its option, or -1 for anything else (lists,
 * "upgrade", unknown options: llhttp's business). */
enum { CONN_CLOSE = 1, CONN_KEEP_ALIVE = 2 };
static int connection_option(const char *v, size_t n)
{
	if (util_ieq(v, n, "close"))
		return CONN_CLOSE;
	if (util_ieq(v, n, "keep-alive"))
		return CONN_KEEP_ALIVE;
	return -1;
}

/* Whether the line at p begins with the name and colon s (len bytes, 5
 * to 16: lowercase letters, '-', ':', then NUL padding to 16 readable
 * bytes), eight bytes at a time. OR 0x20 on the letters' places only
 * (bit 6 of a lowercase letter, shifted onto bit 5) makes them match in
 * either case and nothing else, as no byte but a letter's other case
 * ORs to a letter; '-' and ':' are compared exactly. p has 16 bytes. */
static inline bool name_at(const char *p, const char *s, size_t len)
{
	const uint64_t lower = 0x2020202020202020ULL;
	uint64_t w, want;

	w = load8(p);
	want = load8(s);
	if (((w | ((want >> 1) & lower)) & (len < 8 ? ~0ULL >> (64 - 8 * len) : ~0ULL)) != want)
		return false;
	if (len <= 8)
		return true;
	w = load8(p + 8); /* the second eight, as many as the name has */
	want = load8(s + 8);
	return ((w | ((want >> 1) & lower)) & (len < 16 ? ~0ULL >> (128 - 8 * len) : ~0ULL)) == want;
}

#define NAME_AT(p, lit) name_at(p, lit "\0\0\0\0\0\0\0\0\0\0\0", sizeof(lit) - 1)

/* The names of most header lines, told by their first letter and one or
 * two compares instead of the token loop and http_header_index: the
 * length of the name with its colon, and *i its enum hdr (or -1), or 0
 * for any other name. None of them frames a body or asks for another
 * protocol. */
static size_t known_name(const char *p, int *i)
{
#define KNOWN(lit, h) if (NAME_AT(p, lit)) return *i = (h), sizeof(lit) - 1
	switch (*p | 0x20) {
	case 'a':
		KNOWN("accept:", -1);
		KNOWN("accept-encoding:", H_ACCEPT_ENCODING);
		KNOWN("accept-language:", -1);
		break;
	case 'c':
		KNOWN("connection:", H_CONNECTION);
		KNOWN("cache-control:", -1);
		KNOWN("cookie:", -1);
		break;
	case 'h':
		KNOWN("host:", H_HOST);
		break;
	case 'i':
		KNOWN("if-none-match:", H_IF_NONE_MATCH);
		break;
	case 'r':
		KNOWN("referer:", H_REFERER);
		break;
	case 'u':
		KNOWN("user-agent:", H_USER_AGENT);
		break;
	default:
		break;
	}
	return 0;
#undef KNOWN
}

/* Header names llhttp gives a meaning beyond ours: declined. */
static bool framing_name(const char *name, size_t n)
{
	return util_ieq(name, n, "Upgrade") || util_ieq(name, n, "Proxy-Connection");
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

		if (e - p >= 16 && (nn = known_name(p, &i)) != 0) {
			p += nn;
		} else {
			while (http_tchar((unsigned char)*p))
				p++;
			nn = (size_t)(p - name);
			if (nn == 0 || *p != ':')
				return decline(r);
			i = http_header_index(name, nn);
			if (i < 0 && framing_name(name, nn))
				return decline(r);
			p++;
		}
		if (++nh > HTTP_HEADER_COUNT_MAX)
			return decline(r);
		p += *p == ' '; /* the one SP of most lines, then any OWS */
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
			for (ve = p; ve > v && is_ows(ve[-1]); ve--)
				;
		}
		if (e - p < 2 || p[1] != '\n')
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
	/* HTTP/1.1 without Host: llhttp's path answers it */
	if (minor == 1 && !r->hdr[H_HOST].off)
		return decline(r);
	/* the blank line, whole; the header section (counted as request.c
	 * does, from the request line's LF) within its limit */
	if (e - p < 2 || p[1] != '\n' || p - headers + 3 > HTTP_HEADERS_MAX)
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
