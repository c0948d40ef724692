/* libFuzzer, differential: every head read two ways — as the server
 * reads it (plain heads by fasthead's one pass) and with every head
 * through llhttp — must come out the same: the same step, status and
 * reason, the same request to the byte, for each pipelined request. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

#define SAME(a, b) do { if ((a) != (b)) differ(__LINE__, #a); } while (0)

/* The first difference is the finding: say which. */
static void differ(int line, const char *what)
{
	fprintf(stderr, "fuzz_fasthead.c:%d: %s differs\n", line, what);
	abort();
}

static void same_span(struct span a, struct span b)
{
	SAME(a.off, b.off);
	SAME(a.len, b.len);
}

static void same_request(const struct reader *a, const struct reader *b)
{
	const struct request *x = &a->req, *y = &b->req;
	int i;

	SAME(x->method, y->method);
	SAME(x->major, y->major);
	SAME(x->minor, y->minor);
	SAME(x->keep_alive, y->keep_alive);
	SAME(x->has_body, y->has_body);
	SAME(x->chunked, y->chunked);
	SAME(x->content_length, y->content_length);
	same_span(x->method_s, y->method_s);
	same_span(x->url, y->url);
	same_span(x->path, y->path);
	same_span(x->query, y->query);
	for (i = 0; i < H__COUNT; i++)
		same_span(x->hdr[i], y->hdr[i]);
	SAME(x->nheaders, y->nheaders);
	SAME(x->head_end, y->head_end);
	SAME(a->pos, b->pos);
}

static void same_result(enum rq_step sa, enum rq_step sb, enum status ta, enum status tb,
			const char *wa, const char *wb)
{
	if (sa != sb || (sa == RQ_ERROR && ta != tb))
		fprintf(stderr, "fast: step %d status %d (%s); llhttp: step %d status %d (%s)\n",
			sa, ta, wa ? wa : "-", sb, tb, wb ? wb : "-");
	SAME(sa, sb);
	if (sa != RQ_ERROR)
		return;
	SAME(ta, tb);
	if ((wa == NULL) != (wb == NULL) || (wa && strcmp(wa, wb) != 0))
		abort();
}

static void noop(void *arg)
{
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reader a, b;
	int k;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	request_init(&a);
	request_init(&b);
	b.no_fast = true;
	request_reset(&a);
	request_reset(&b);
	if (size > HTTP_IN_MAX)
		size = HTTP_IN_MAX;
	if (buf_append(&a.in, data, size) < 0 || buf_append(&b.in, data, size) < 0)
		abort();
	for (k = 0; k < 8; k++) { /* pipelined requests */
		enum status ta = S_OK, tb = S_OK;
		const char *wa = NULL, *wb = NULL;
		enum rq_step sa, sb;

		sa = request_head(&a, false, &ta, &wa);
		sb = request_head(&b, false, &tb, &wb);
		same_result(sa, sb, ta, tb, wa, wb);
		if (sa != RQ_HEAD)
			break;
		same_request(&a, &b);
		sa = request_body(&a, noop, NULL, &ta, &wa);
		sb = request_body(&b, noop, NULL, &tb, &wb);
		same_result(sa, sb, ta, tb, wa, wb);
		if (sa != RQ_DONE)
			break;
		same_request(&a, &b);
		if (!a.req.keep_alive)
			break;
		request_next(&a);
		request_next(&b);
		request_reset(&a);
		request_reset(&b);
		SAME(a.in.len, b.in.len);
	}
	request_release(&a);
	request_release(&b);
	return 0;
}
