/* Reading one connection's requests: head scan, llhttp, body framing. */
#include "request.h"

#include <string.h>

#include "fasthead.h"
#include "parse.h"

#define REQ_LINE_SLACK 64         /* method, spaces and version around the URL */

void request_init(struct reader *rd)
{
	buf_init(&rd->in, REQUEST_IN_MAX);
	buf_init(&rd->raw, HTTP_IN_MAX);
	buf_init(&rd->pipe_in, REQUEST_PIPE_MAX);
	parse_init(&rd->parser, &rd->req);
	/* in zeroed memory, all request_reset would do besides */
	rd->req.cur = -1; /* as parse_clear's */
	rd->req.pipe = &rd->pipe_in;
}

void request_reset(struct reader *rd)
{
	parse_clear(&rd->req);
	rd->req.base = rd->in.data;
	rd->pipe_in.len = 0;
	rd->req.pipe = &rd->pipe_in;
	rd->head_parsed = rd->msg_done = rd->fast = false;
	rd->raw.len = 0;
	rd->scan = 0;
}

void request_next(struct reader *rd)
{
	/* most often nothing follows: no call to move nothing */
	if (rd->in.len > rd->pos)
		memmove(rd->in.data, rd->in.data + rd->pos, rd->in.len - rd->pos);
	rd->in.len -= rd->pos;
	rd->pos = 0;
	/* Each message is read from its start with llhttp afresh: after one
	 * with Upgrade (ours answered in HTTP/1.1, the upgrade ignored, RFC
	 * 9110 §7.8) llhttp would otherwise refuse what follows. */
	if (!rd->fast)
		llhttp_reset(&rd->parser);
}

void request_release(struct reader *rd)
{
	buf_free(&rd->in);
	buf_free(&rd->raw);
	buf_free(&rd->pipe_in);
	rd->req.base = NULL;
}

static void split_target(struct request *r)
{
	const char *u = span_ptr(r, r->url);
	uint32_t n = r->url.len, start = 0, i;

	/* absolute-form (RFC 9112 §3.2.2): skip scheme and authority */
	if (n > 7 && (util_ieq(u, 7, "http://") || (n > 8 && util_ieq(u, 8, "https://")))) {
		start = u[4] == ':' ? 7 : 8;
		while (start < n && u[start] != '/' && u[start] != '?')
			start++;
	}
	for (i = start; i < n && u[i] != '?' && u[i] != '#'; i++)
		;
	r->path.off = r->url.off + start;
	r->path.len = i - start;
	if (i < n && u[i] == '?') {
		uint32_t q = i + 1, e = q;

		while (e < n && u[e] != '#')
			e++;
		r->query.off = r->url.off + q;
		r->query.len = e - q;
	}
}

/* Insert a CR before every bare LF of the head, so llhttp 8.1 (which only
 * takes a bare LF after the request line) reads a hand-typed request. */
static int normalize_head(struct reader *rd, size_t *end, bool keep_raw)
{
	size_t i, bare = rd->bare_lf, w;

	if (!bare)
		return 0;
	if (keep_raw && buf_append(&rd->raw, rd->in.data, *end) < 0)
		return -1;
	if (buf_reserve(&rd->in, bare) < 0)
		return -1;
	memmove(rd->in.data + *end + bare, rd->in.data + *end, rd->in.len - *end);
	w = *end + bare;
	for (i = *end; i-- > 0;) {
		rd->in.data[--w] = rd->in.data[i];
		if (rd->in.data[i] == '\n' && (i == 0 || rd->in.data[i - 1] != '\r'))
			rd->in.data[--w] = '\r';
	}
	rd->in.len += bare;
	*end += bare;
	rd->req.base = rd->in.data;
	return 0;
}

/* The end of the head: a blank line, CRLF or bare LF. Bare LFs seen on
 * the way are counted (for normalize_head). */
static size_t find_head_end(struct reader *rd)
{
	const char *d = rd->in.data, *end = d + rd->in.len;
	const char *p = d + (rd->scan ? rd->scan : 1);

	if (!rd->scan)
		rd->bare_lf = d[0] == '\n';
	for (; p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
		if (p[-1] != '\r')
			rd->bare_lf++;
		if (p[-1] == '\n' || (p[-1] == '\r' && p - d >= 2 && p[-2] == '\n'))
			return (size_t)(p - d) + 1;
	}
	rd->scan = rd->in.len;
	return 0;
}

/* A parse error: llhttp's reason, or ours set through it. */
static enum rq_step parse_error(struct reader *rd, enum status s, enum status *st,
				const char **why)
{
	const char *r = llhttp_get_error_reason(&rd->parser);

	*st = s;
	*why = r && llhttp_get_errno(&rd->parser) != HPE_PAUSED ? r : NULL;
	return RQ_ERROR;
}

static enum rq_step refuse(enum status s, const char *reason, enum status *st,
			   const char **why)
{
	*st = s;
	*why = reason;
	return RQ_ERROR;
}

/* The head d[0..end) is read (by fasthead or llhttp). Inline: fasthead's
 * heads need none of the checks in head_checked and skip its call. */
static inline enum rq_step head_parsed(struct reader *rd, size_t end, bool keep_raw)
{
	rd->pos = rd->req.head_end = (uint32_t)end;
	rd->head_parsed = true;
	rd->req.keep_raw = keep_raw;
	return RQ_HEAD;
}

/* ... by llhttp: checked (fasthead takes only heads that pass these). */
static enum rq_step head_checked(struct reader *rd, size_t end, bool keep_raw,
				 enum status *st, const char **why)
{
	head_parsed(rd, end, false); /* the checks read head_end */
	split_target(&rd->req);
	if ((*st = parse_validate(&rd->req, why)) != S_OK)
		return RQ_ERROR;
	rd->req.keep_raw = keep_raw;
	return RQ_HEAD;
}

enum rq_step request_head(struct reader *rd, bool keep_raw, enum status *st,
			  const char **why)
{
	const char *nl;
	size_t end, line;
	llhttp_errno_t e;

	/* RFC 9112 §2.2: ignore empty lines before a request line. */
	for (line = 0; line < rd->in.len && (rd->in.data[line] == '\r' ||
					     rd->in.data[line] == '\n'); line++)
		;
	if (line) {
		memmove(rd->in.data, rd->in.data + line, rd->in.len - line);
		rd->in.len -= line;
		rd->scan = 0;
	}
	if (!rd->in.len)
		return RQ_MORE;
	/* A plain head read whole at once: one pass, no llhttp. */
	if (!rd->scan && !rd->no_fast && rd->in.cap > rd->in.len) {
		rd->in.data[rd->in.len] = '\0'; /* where fasthead's scans stop */
		rd->req.base = rd->in.data;
		if ((end = fasthead_parse(&rd->req, rd->in.data, rd->in.len)) != 0) {
			rd->fast = true;
			return head_parsed(rd, end, keep_raw);
		}
	}
	/* Not HTTP (a TLS ClientHello, binary): answered at once, not at the
	 * head timeout. */
	if (!parse_line_start_ok(rd->in.data, rd->in.len))
		return refuse(S_BAD_REQUEST, "not the start of a request line", st, why);
	end = find_head_end(rd);
	nl = memchr(rd->in.data, '\n', rd->in.len);
	line = nl ? (size_t)(nl - rd->in.data) : rd->in.len;
	if (line > HTTP_URL_MAX + REQ_LINE_SLACK)
		return memchr(rd->in.data, ' ', line)
		       ? refuse(S_URI_TOO_LONG, "request line over 8 KiB", st, why)
		       /* all token bytes (checked above): a method longer than
			* any we implement, 501 (RFC 9112 §3) */
		       : refuse(S_NOT_IMPLEMENTED, "over-long method", st, why);
	if ((end ? end : rd->in.len) - line > HTTP_HEADERS_MAX)
		return refuse(S_HEADERS_TOO_LARGE, "header section over 32 KiB", st, why);
	if (!end)
		return RQ_MORE;
	if (normalize_head(rd, &end, keep_raw) < 0)
		return refuse(S_HEADERS_TOO_LARGE, "header section too large", st, why);
	rd->req.base = rd->in.data;
	e = llhttp_execute(&rd->parser, rd->in.data, end);
	if (e != HPE_PAUSED || llhttp_get_error_pos(&rd->parser) != rd->in.data + end)
		return parse_error(rd, rd->req.error ? rd->req.error
					   : parse_error_status(e, rd->in.data, end), st, why);
	/* Paused after the head: the body, if any, once routed. */
	llhttp_resume(&rd->parser);
	return head_checked(rd, end, keep_raw, st, why);
}

enum status request_check_length(const struct reader *rd, const char **why)
{
	const struct request *r = &rd->req;

	if (r->has_body && !r->chunked && !r->to_pipe &&
	    rd->parser.content_length > (r->keep_body ? HTTP_BODY_KEEP_MAX
						      : HTTP_BODY_DISCARD_MAX)) {
		*why = "Content-Length over the limit";
		return S_PAYLOAD_TOO_LARGE;
	}
	return S_OK;
}

/* Body bytes of a static request are dropped once parsed, but for the
 * CRLF after chunk data that is still to be checked (at most 2 bytes). */
static void drop_body(struct reader *rd)
{
	struct request *r = &rd->req;
	size_t keep = 0;

	/* The first chunk-size line, maybe incomplete: kept where it is (a
	 * line of a few bytes; on_chunk_header reads it whole). */
	if (r->chunked && !r->chunk_line && !r->chunk_check) {
		rd->pos = rd->in.len;
		return;
	}
	if (r->chunk_check && r->chunk_end < rd->in.len) {
		keep = rd->in.len - r->chunk_end;
		memmove(rd->in.data + r->head_end, rd->in.data + r->chunk_end, keep);
	}
	if (r->chunk_check) {
		r->chunk_end = r->head_end;
		r->chunk_line = r->head_end + 2;
	}
	rd->in.len = rd->pos = r->head_end + keep;
}

enum rq_step request_body(struct reader *rd, void (*feed)(void *arg), void *arg,
			  enum status *st, const char **why)
{
	llhttp_errno_t e;

	if (rd->fast) { /* no body */
		rd->msg_done = true;
		return RQ_DONE;
	}
	for (;;) {
		if (rd->req.pipe_paused)
			return RQ_MORE; /* the script has not taken the body so far */
		rd->req.base = rd->in.data;
		e = llhttp_execute(&rd->parser, rd->in.data + rd->pos, rd->in.len - rd->pos);
		if (rd->req.to_pipe)
			feed(arg);
		if (e != HPE_PAUSED || !rd->req.pipe_paused)
			break;
		/* Paused with the script's buffer full: go on once it drained. */
		rd->pos = (size_t)(llhttp_get_error_pos(&rd->parser) - rd->in.data);
		if (rd->pipe_in.len >= HTTP_PIPE_MAX)
			return RQ_MORE;
		rd->req.pipe_paused = false;
		llhttp_resume(&rd->parser);
	}
	if (e == HPE_PAUSED) {
		rd->pos = (size_t)(llhttp_get_error_pos(&rd->parser) - rd->in.data);
		rd->msg_done = true;
		return RQ_DONE;
	}
	if (e != HPE_OK)
		return parse_error(rd, rd->req.error ? rd->req.error : S_BAD_REQUEST, st, why);
	rd->pos = rd->in.len;
	if (!rd->req.keep_body)
		drop_body(rd);
	return RQ_MORE;
}

bool request_pipe_drained(struct reader *rd)
{
	if (!rd->req.pipe_paused || rd->pipe_in.len >= HTTP_PIPE_MAX)
		return false;
	rd->req.pipe_paused = false;
	llhttp_resume(&rd->parser);
	return true;
}
