/* Raw-dump mode: show each request exactly as it arrived. */
#include "dump.h"

#include <errno.h>
#include <unistd.h>

#define DUMP_MAX (4 * 1024 * 1024)

bool dump_mode;

void dump_echo(struct response *resp, const struct reader *rd, size_t end)
{
	struct buf *b = resp->body;

	b->len = 0;
	if (rd->raw.len) { /* the head was rewritten (bare LF): show the original */
		buf_append(b, rd->raw.data, rd->raw.len);
		if (end > rd->req.head_end)
			buf_append(b, rd->in.data + rd->req.head_end, end - rd->req.head_end);
	} else {
		buf_append(b, rd->in.data, end);
	}
	dump_write(b->data ? b->data : "", b->len);
	resp->ctype = "text/plain; charset=utf-8";
}

void dump_escape(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t u;

		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n') {
			buf_append(out, "\n", 1);
			i += 2;
		} else if (p[i] == '\n' || p[i] == '\t' || (p[i] >= 0x20 && p[i] < 0x7f)) {
			buf_append(out, &p[i], 1);
			i++;
		} else if (p[i] >= 0x80 && (u = util_utf8_len(p + i, n - i)) > 0) {
			buf_append(out, &p[i], u);
			i += u;
		} else {
			char e[4] = { '\\', 'x', hex[p[i] >> 4], hex[p[i] & 15] };

			buf_append(out, e, 4);
			i++;
		}
	}
}

void dump_write(const char *p, size_t n)
{
	static const char sep[] = "\n----------------------------------------"
				  "---------------------------------------\n";
	struct buf b = BUF_INIT(DUMP_MAX);
	size_t off = 0;

	dump_escape(&b, p, n);
	buf_append(&b, sep + (b.len && b.data[b.len - 1] == '\n'),
		   sizeof(sep) - 1 - (b.len && b.data[b.len - 1] == '\n'));
	while (off < b.len) {
		ssize_t w = write(STDOUT_FILENO, b.data + off, b.len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	buf_free(&b);
}
