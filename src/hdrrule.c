/* Header rules: fields checked once at load, paths matched per request. */
#include "hdrrule.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "path.h"

/* Fields the server writes itself: a rule changing them would break the
 * framing of the answer (or lie about its encoding); Server and Date are
 * written before any rule is looked at. */
static const char *const owned[] = {
	"Connection", "Content-Encoding", "Content-Length", "Content-Range", "Date",
	"Keep-Alive", "Proxy-Connection", "Server", "TE", "Trailer", "Transfer-Encoding",
	"Upgrade",
};

int hdrrule_field(const char *in, char *out, size_t outsz, size_t *namelen, char *err,
		  size_t errsz)
{
	const char *colon = strchr(in, ':'), *v, *end;
	size_t i, nl;

	if (!colon || colon == in) {
		snprintf(err, errsz, "expected 'Name: value', got '%.40s'", in);
		return -1;
	}
	nl = (size_t)(colon - in);
	if (!http_token(in, nl)) {
		snprintf(err, errsz, "bad header name '%.*s'", (int)(nl > 40 ? 40 : nl), in);
		return -1;
	}
	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (strlen(owned[i]) == nl && strncasecmp(in, owned[i], nl) == 0) {
			snprintf(err, errsz, "'%s' is set by the server, not by a rule", owned[i]);
			return -1;
		}
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	if (end == v) {
		snprintf(err, errsz, "empty value for '%.*s'", (int)nl, in);
		return -1;
	}
	for (i = 0; v + i < end; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(err, errsz, "control byte 0x%02x in the value of '%.*s'", c,
				 (int)nl, in);
			return -1;
		}
	}
	if (nl + 2 + (size_t)(end - v) >= outsz) {
		snprintf(err, errsz, "header field too long");
		return -1;
	}
	snprintf(out, outsz, "%.*s: %.*s", (int)nl, in, (int)(end - v), v);
	*namelen = nl;
	return 0;
}

int hdrrule_pattern(char *pattern, bool *glob, char *err, size_t errsz)
{
	*glob = strpbrk(pattern, "*?[") != NULL;
	if (*glob) {
		if (pattern[0] != '/' && pattern[0] != '*')
			goto bad;
		return 0;
	}
	if (pattern[0] != '/')
		goto bad;
	path_norm(pattern);
	return 0;
bad:
	snprintf(err, errsz, "bad path '%.60s' (expected /prefix or a glob such as "
		 "/assets/* or *.wasm)", pattern);
	return -1;
}

bool hdrrule_match(const char *pattern, bool glob, const char *path)
{
	if (glob)
		return fnmatch(pattern, path, 0) == 0;
	return path_under(path, pattern);
}

int hdrrule_put(struct buf *out, size_t from, const char *field, size_t namelen)
{
	const char *line = out->len > from ? http_line_find(out->data + from, out->len - from,
							     field, namelen) : NULL;

	if (line) { /* drop the older line with this name */
		const char *eol = memchr(line, '\n', out->len - (size_t)(line - out->data));
		size_t off = (size_t)(line - out->data), n = (size_t)(eol - line) + 1;

		memmove(out->data + off, out->data + off + n, out->len - off - n);
		out->len -= n;
	}
	if (buf_puts(out, field) < 0 || buf_puts(out, "\r\n") < 0)
		return -1;
	return 0;
}

int hdrrule_apply(const struct hdrrule *r, size_t n, const char *path, struct buf *out,
		  size_t from)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (hdrrule_match(r[i].pattern, r[i].glob, path) &&
		    hdrrule_put(out, from, r[i].field, r[i].namelen) < 0)
			return -1;
	return 0;
}
