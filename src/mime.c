/* File extension → Content-Type: a built-in table plus config overrides. */
#include "mime.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct mime {
	const char *ext;
	const char *type;
};

static const struct mime builtin[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "md", "text/markdown; charset=utf-8" },
	{ "csv", "text/csv; charset=utf-8" },
	{ "xml", "application/xml" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "ico", "image/x-icon" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "wasm", "application/wasm" },
	{ "pdf", "application/pdf" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "tar", "application/x-tar" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "wav", "audio/wav" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
};

/* Config additions, searched first so they override the table. */
static struct mime *extra;
static size_t nextra;

static const char *find(const struct mime *t, size_t n, const char *ext)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(t[i].ext, ext) == 0)
			return t[i].type;
	return NULL;
}

const char *mime_lookup(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *dot = strrchr(slash ? slash : name, '.');
	const char *type;

	if (!dot || dot[1] == '\0')
		return "application/octet-stream";
	type = find(extra, nextra, dot + 1);
	if (!type)
		type = find(builtin, sizeof(builtin) / sizeof(builtin[0]), dot + 1);
	return type ? type : "application/octet-stream";
}

int mime_add(const char *ext, const char *type)
{
	struct mime *p = realloc(extra, (nextra + 1) * sizeof(*extra));
	char *e, *t;

	if (!p)
		return -1;
	extra = p;
	if (*ext == '.')
		ext++;
	e = strdup(ext);
	t = strdup(type);
	if (!e || !t) {
		free(e);
		free(t);
		return -1;
	}
	/* Newest first, so a later line wins over an earlier one. */
	memmove(extra + 1, extra, nextra * sizeof(*extra));
	extra[0].ext = e;
	extra[0].type = t;
	nextra++;
	return 0;
}

void mime_reset(void)
{
	size_t i;

	for (i = 0; i < nextra; i++) {
		free((char *)extra[i].ext);
		free((char *)extra[i].type);
	}
	free(extra);
	extra = NULL;
	nextra = 0;
}
