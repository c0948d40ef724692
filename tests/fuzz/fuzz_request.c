/* libFuzzer: bytes → parse → route → response head, without sockets.
 * Checks that every answer is well formed and its body lies within what
 * exists (buffer or file), for pipelined requests too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conn.h"
#include "path.h"
#include "static.h"

static void make_home(void)
{
	static char dir[] = "/tmp/fuzz-home-XXXXXX";
	static const char *files[] = { "index.html", "a.txt", "sub/index.html",
				       "sub/b.css", "httpd.conf" };
	char path[256];
	size_t i;

	if (!mkdtemp(dir))
		abort();
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
}

static void check_answer(const struct conn *c)
{
	const struct seg *sg = (const struct seg *)c->tx.segs.data;
	size_t i, n = c->tx.segs.len / sizeof(*sg);
	off_t total = 0;
	struct stat st;

	if (c->tx.out.len < 13 || memcmp(c->tx.out.data, "HTTP/1.1 ", 9) != 0 ||
	    memcmp(c->tx.out.data + c->tx.out.len - 4, "\r\n\r\n", 4) != 0)
		abort();
	for (i = 0; i < n; i++) {
		if (sg[i].off < 0 || sg[i].len < 0)
			abort();
		if (!sg[i].file && (size_t)(sg[i].off + sg[i].len) > c->tx.body.len)
			abort();
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
	buf_append(&c->rd.in, data, size, HTTP_IN_MAX);
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
