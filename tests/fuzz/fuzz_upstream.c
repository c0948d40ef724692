/* libFuzzer: what upstream.c does with bytes an upstream or a client
 * controls. Input: a header block ("Name: value" lines), used three ways.
 * upstream_response_headers: memory-safe on anything; on a block as the
 * proxy gives it (no NUL, a CR only before LF: the parser refuses the
 * rest) every line it passes on is "Name: value" CRLF, none is hop-by-hop
 * (fixed list or named by a Connection line of the input), framing,
 * Server or Date; it ends with our Via. upstream_match on the input as a
 * path: the rule found is the longest prefix. upstream_dot_segment: agrees
 * with a plain reference (segments split on '/', %2e decoded). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "upstream.h"

static bool ieq(const char *a, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(a, lit, n) == 0;
}

/* Is name[0..n) a token listed by a Connection line of p? (reference) */
static bool listed(const char *p, size_t size, const char *name, size_t n)
{
	const char *end = p + size, *line = p;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		const char *colon = memchr(line, ':', (size_t)(le - line));

		if (colon && ieq(line, (size_t)(colon - line), "Connection")) {
			const char *t = colon + 1;

			while (t < le) {
				const char *q = t, *te;

				while (q < le && *q != ',')
					q++;
				te = q;
				while (t < te && (*t == ' ' || *t == '\t'))
					t++;
				while (te > t && (te[-1] == ' ' || te[-1] == '\t' || te[-1] == '\r'))
					te--;
				if ((size_t)(te - t) == n && strncasecmp(t, name, n) == 0)
					return true;
				t = q + 1;
			}
		}
		line = le + 1;
	}
	return false;
}

static void check_headers(const char *p, size_t size)
{
	static const char *const never[] = { "Connection", "Keep-Alive", "TE", "Trailer",
					     "Transfer-Encoding", "Upgrade", "Content-Length",
					     "Server", "Date", NULL };
	struct buf out = BUF_INIT(1 << 20);
	const char *line, *end;
	size_t k;

	if (upstream_response_headers(&out, p, size) < 0)
		abort(); /* the output is never longer than the input plus Via */
	if (out.len < 16 || memcmp(out.data + out.len - 16, "Via: 1.1 httpd\r\n", 16) != 0)
		abort();
	for (k = 0; k < size; k++)
		if (p[k] == '\0' || (p[k] == '\r' && (k + 1 == size || p[k + 1] != '\n'))) {
			buf_free(&out);
			return; /* not what the parser lets through */
		}
	for (line = out.data, end = out.data + out.len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *colon = memchr(line, ':', (size_t)(end - line));

		if (!nl || nl == line || nl[-1] != '\r' || !colon || colon > nl || colon == line ||
		    colon[1] != ' ')
			abort();
		for (k = 0; never[k]; k++)
			if (ieq(line, (size_t)(colon - line), never[k]))
				abort();
		if (colon - line >= 6 && strncasecmp(line, "Proxy-", 6) == 0)
			abort();
		if (nl + 1 < end && listed(p, size, line, (size_t)(colon - line)))
			abort();
		line = nl + 1;
	}
	buf_free(&out);
}

static bool dot_ref(const char *p, size_t n)
{
	size_t i = 0;

	while (i <= n) {
		size_t j = i, dots = 0;
		bool other = false;

		while (j < n && p[j] != '/') {
			if (p[j] == '.') {
				dots++;
				j++;
			} else if (j + 2 < n && p[j] == '%' && p[j + 1] == '2' &&
				   (p[j + 2] | 0x20) == 'e') {
				dots++;
				j += 3;
			} else {
				other = true;
				j++;
			}
		}
		if (!other && (dots == 1 || dots == 2))
			return true;
		i = j + 1;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct upstream rules[3];
	static bool ready;
	const char *p = (const char *)data;
	const struct upstream *m;
	char err[128];
	size_t i, best = 0;

	if (!ready) {
		if (upstream_parse("/a", "h/", &rules[0], err, sizeof(err)) < 0 ||
		    upstream_parse("/a/b/", "h/", &rules[1], err, sizeof(err)) < 0 ||
		    upstream_parse("/", "h/", &rules[2], err, sizeof(err)) < 0)
			abort();
		ready = true;
	}
	check_headers(p, size);
	m = upstream_match(rules, 3, p, size);
	for (i = 0; i < 3; i++) {
		size_t k = strlen(rules[i].prefix);

		if (k <= size && memcmp(p, rules[i].prefix, k) == 0 && k > best)
			best = k;
	}
	if ((m ? strlen(m->prefix) : 0) != best)
		abort();
	if (upstream_dot_segment(p, size) != dot_ref(p, size))
		abort();
	return 0;
}
