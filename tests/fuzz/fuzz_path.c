/* libFuzzer: path_resolve, the request path → path under HOME.
 * Input: one byte choosing the output size, then the path. On success the
 * output is a clean relative path (no "..", ".", empty segment, leading
 * '/', NUL), fits, is the same whatever the room, and resolving it again
 * (re-encoded, or as is when it holds no '%') gives it back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "util.h"

#define OUT_MAX 4096 /* as static_serve */
#define CANARY 0xa5

static void check_clean(const char *out, size_t outsz)
{
	const char *end = memchr(out, '\0', outsz), *s, *e;

	if (!end || end == out) /* NUL-terminated within outsz, not empty */
		abort();
	if (out[0] == '/' || strstr(out, "//"))
		abort();
	if (strcmp(out, ".") == 0)
		return;
	if (end[-1] == '/')
		abort();
	for (s = out; s < end; s = e + 1) {
		e = strchr(s, '/');
		if (!e)
			e = end;
		if (e == s || (e - s == 1 && s[0] == '.') ||
		    (e - s == 2 && s[0] == '.' && s[1] == '.'))
			abort();
	}
}

/* "/" + out resolves to out itself. */
static void check_idempotent(const char *out)
{
	static char again[OUT_MAX];
	struct buf b = BUF_INIT(4 * OUT_MAX);
	size_t n = strlen(out);
	enum status st;

	if (buf_puts(&b, "/") < 0 ||
	    util_pct_encode(&b, out, n) < 0)
		abort();
	st = path_resolve(b.data, b.len, again, sizeof(again));
	if (st == S_OK) {
		if (strcmp(again, out) != 0)
			abort();
	} else if (st != S_URI_TOO_LONG || b.len <= HTTP_URL_MAX) {
		abort(); /* only an encoding that grew past the limit may fail */
	}
	if (!strchr(out, '%')) { /* nothing to decode: as is */
		b.len = 1;
		buf_append(&b, out, n);
		st = path_resolve(b.data, b.len, again, sizeof(again));
		if (st != S_OK || strcmp(again, out) != 0)
			abort();
	}
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[OUT_MAX + 1], full[OUT_MAX];
	size_t outsz;
	enum status st, st_full;
	char *path;

	if (size < 1)
		return 0;
	/* Mostly tiny sizes (edge cases), sometimes the real one. */
	outsz = data[0] == 0xff ? OUT_MAX : data[0] % 64;
	/* An exact-size heap copy: ASan sees any read past the path. */
	path = malloc(size - 1 ? size - 1 : 1);
	if (!path)
		return 0;
	memcpy(path, data + 1, size - 1);
	memset(out, CANARY, sizeof(out));

	st = path_resolve(path, size - 1, out, outsz);
	if (out[outsz] != (char)CANARY) /* never writes past outsz */
		abort();
	if (st != S_OK && st != S_BAD_REQUEST && st != S_URI_TOO_LONG && st != S_NOT_FOUND)
		abort();
	st_full = path_resolve(path, size - 1, full, sizeof(full));
	if (st == S_OK) {
		check_clean(out, outsz);
		if (st_full != S_OK || strcmp(out, full) != 0)
			abort(); /* the result does not depend on the room */
		check_idempotent(out);
	} else if (st == S_BAD_REQUEST && st_full != S_BAD_REQUEST) {
		abort(); /* malformed is malformed whatever the room */
	}
	if (st_full == S_OK)
		check_clean(full, sizeof(full));
	free(path);
	return 0;
}
