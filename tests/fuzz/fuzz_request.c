/* libFuzzer: bytes → parse → route → response head, without sockets.
 * Checks that every answer is well formed (each header line a token, a
 * colon, no bare CR or LF: also those of header rules and CORS, which
 * are in force here) and its body lies within what exists (buffer or
 * file), for pipelined requests too. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "fcache.h"
#include "path.h"
#include "static.h"
#include "webapp.h"

/* An SPA, rules by prefix and glob, a header on every answer, CORS. */
static void web_lines(void)
{
	static const char *lines[] = {
		"spa /index.html", "set /sub/ Cache-Control: public, max-age=60, immutable",
		"set *.css Content-Type: text/x-fuzz", "set X-Content-Type-Options: nosniff",
		"set /a.txt X-Content-Type-Options: other", "cors https://app.example",
		"cors-credentials",
	};
	struct webapp *w = webapp_new();
	char err[256];
	size_t i;

	for (i = 0; w && i < sizeof(lines) / sizeof(lines[0]); i++)
		if (webapp_parse(w, lines[i], err, sizeof(err)) < 0)
			abort();
	if (!w || webapp_finish(w, err, sizeof(err)) < 0)
		abort();
	webapp_commit(w);
}

static char dir[] = "/tmp/fuzz-home-XXXXXX";

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* libFuzzer ends with exit(): the home goes with the process. */
static void remove_home(void)
{
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void make_home(void)
{
	static const char *files[] = { "index.html", "a.txt", "sub/index.html",
				       "sub/b.css", "httpd.conf" };
	char path[256];
	size_t i;

	if (!mkdtemp(dir))
		abort();
	atexit(remove_home);
	snprintf(path, sizeof(path), "%s/sub", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/empty", dir);
	mkdir(path, 0755);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		f = fopen(path, "w");
		if (!f)
			abort();
		fprintf(f, "<p>%s</p>\n", files[i]);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/out", dir);
	if (symlink("/etc/passwd", path) < 0)
		abort();
	if (path_init(dir) < 0 || static_init() < 0)
		abort();
	web_lines();
}

static void check_answer(const struct conn *c)
{
	const struct seg *sg = http_segs(&c->tx.segs);
	size_t i, n = c->tx.segs.n;
	off_t total = 0;
	struct stat st;

	const char *p, *end = c->tx.out.data + c->tx.out.len - 2;

	if (c->tx.out.len < 13 || memcmp(c->tx.out.data, "HTTP/1.1 ", 9) != 0 ||
	    memcmp(c->tx.out.data + c->tx.out.len - 4, "\r\n\r\n", 4) != 0)
		abort();
	p = memchr(c->tx.out.data, '\n', c->tx.out.len) + 1;
	while (p < end) { /* header lines: "Name: value" CRLF */
		const char *eol = memchr(p, '\n', (size_t)(end - p) + 1);
		const char *colon = memchr(p, ':', (size_t)(eol - p));

		if (!eol || eol[-1] != '\r' || !colon || !http_token(p, (size_t)(colon - p)) ||
		    memchr(p, '\r', (size_t)(eol - 1 - p)))
			abort();
		p = eol + 1;
	}
	for (i = 0; i < n; i++) {
		if (sg[i].off < 0 || sg[i].len < 0)
			abort();
		if (sg[i].mem) { /* a cached file's bytes: the answer holds its entry */
			const struct fc_entry *e = c->resp.cache;
			int k = 0;

			while (e && k < FC_REPS && e->rep[k].data != sg[i].mem)
				k++;
			if (!e || k == FC_REPS || sg[i].off + sg[i].len > e->rep[k].st.st_size)
				abort();
		} else if (!sg[i].file && (size_t)(sg[i].off + sg[i].len) > c->tx.body.len) {
			abort();
		}
		if (sg[i].file && (fstat(c->resp.fd, &st) < 0 ||
				   sg[i].off + sg[i].len > st.st_size))
			abort();
		total += sg[i].len;
	}
	if (!c->resp.head_only && total != c->resp.clen)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct conn *c;
	int i;

	if (!ready) {
		make_home();
		ready = 1;
	}
	c = conn_new(-1, -1, NULL);
	if (!c)
		return 0;
	if (size > HTTP_IN_MAX)
		size = HTTP_IN_MAX;
	buf_append(&c->rd.in, data, size);
	c->rd.req.base = c->rd.in.data;
	for (i = 0; i < 64 && conn_parse(c); i++) {
		check_answer(c);
		if (c->resp.close)
			break;
		conn_next(c);
	}
	conn_free(c);
	return 0;
}
