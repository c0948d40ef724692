/* A connection's exchanges, without I/O: bytes in, request parsed,
 * routed, answer planned, logged (connio.c reads, writes and waits). */
#include "conn.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "dump.h"
#include "log.h"
#include "metrics.h"
#include "route.h"
#include "send.h"
#include "static.h"

enum parse { P_MORE, P_READY };

/* With malloc's 8-byte header a 976-byte chunk: an idle connection costs
 * under 1 KB (make robustness measures it). */
_Static_assert(sizeof(struct conn) <= 968, "struct conn outgrew its malloc chunk");

const struct conn_watch *conn_watch;
void (*conn_stream_wake)(void *ctx, enum status fail);

/* Out of line and cold: with --inspect off, each event costs the hot path
 * one predictable branch and nothing of its code. */
__attribute__((cold, noinline))
void conn_report_event(struct conn *c, enum conn_event e, size_t n)
{
	const struct conn_watch *w = conn_watch;
	char addr[UTIL_PEER_LEN];
	bool rest;

	switch (e) {
	case CW_OPEN:
		w->open(&c->watch_rec, util_peer_str(&c->peer, addr));
		break;
	case CW_READ: /* the n bytes just read, at the end of the input */
		w->read(&c->watch_rec, c->rd.in.data + c->rd.in.len, n);
		break;
	case CW_HEAD:
		w->head(&c->watch_rec, &c->rd.req);
		break;
	case CW_ANSWER: {
		size_t hn;
		const char *h = send_head_bytes(&c->tx, &hn);

		w->answer(&c->watch_rec, h, hn);
		break;
	}
	case CW_DONE: /* bytes after the request begin the next one */
		rest = !c->resp.close && c->rd.in.data && c->rd.in.len > c->rd.pos;
		w->done(&c->watch_rec, rest ? c->rd.in.data + c->rd.pos : "",
			rest ? c->rd.in.len - c->rd.pos : 0);
		break;
	default:
		w->close(&c->watch_rec);
		break;
	}
}

void conn_debug(const struct conn *c, const char *what)
{
	char addr[UTIL_PEER_LEN];

	if (log_level >= 2)
		log_debug("%s: %s", util_peer_str(&c->peer, addr), what);
}

/* The file of the answer: cached ones go back to the cache. */
static void drop_file(struct conn *c)
{
	if (c->resp.cache)
		static_release(&c->resp);
	else if (c->resp.fd >= 0)
		close(c->resp.fd);
	c->resp.fd = -1;
}

/* The response's links to the connection's buffers. */
static void link_response(struct conn *c)
{
	c->resp.body = &c->tx.body;
	c->resp.hdrs = &c->hdrs;
	c->resp.segs = &c->tx.segs;
}

static void reset_request(struct conn *c)
{
	/* all zero but fd: conn_new relies on it (see there) */
	static const struct response fresh = { .fd = -1 };

	request_reset(&c->rd);
	route_reset(&c->route);
	c->resp = fresh;
	link_response(c);
	send_reset(&c->tx);
	c->hdrs.len = 0;
	c->user = NULL;
	c->streaming = false;
	c->t0 = 0;
}

/* Closed connections' memory for new ones: a connection per request
 * then costs no malloc and free. */
#define CONN_SPARE 16

static struct conn *spare[CONN_SPARE];
static int nspare;

void conn_recycle(void *p)
{
	if (nspare < CONN_SPARE)
		spare[nspare++] = p;
	else
		free(p);
}

struct conn *conn_new(int fd, int wfd, const struct sockaddr *sa)
{
	struct conn *c = nspare ? memset(spare[--nspare], 0, sizeof(*c))
				: calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->wfd = wfd;
	c->timer.kind = -1;
	util_peer(sa, &c->peer);
	c->proxy_pending = client_proxy_protocol;
	/* In zeroed memory, only reset_request's fields that are not zero:
	 * copying its whole fresh structs over the zeros cost each new
	 * connection about 60 instructions. */
	request_init(&c->rd);
	route_reset(&c->route);
	c->resp.fd = -1;
	link_response(c);
	send_init(&c->tx);
	send_reset(&c->tx);
	buf_init(&c->hdrs, HTTP_HDRS_MAX);
	return c;
}

/* The stream answering this request, if any, ends. */
void conn_stream_stop(struct conn *c)
{
	struct stream *s = c->resp.stream;

	if (s) {
		c->resp.stream = NULL;
		s->ops->stop(s);
	}
}

void conn_release(struct conn *c)
{
	conn_report(c, CW_CLOSE, 0);
	conn_stream_stop(c);
	drop_file(c);
	conn_release_buffers(c);
	free(c->orig);
	c->orig = NULL;
}

void conn_free(struct conn *c)
{
	conn_release(c);
	free(c);
}

/* Idle connections hold no buffers: memory per idle conn is sizeof(conn). */
void conn_release_buffers(struct conn *c)
{
	request_release(&c->rd);
	route_release(&c->route);
	send_release(&c->tx);
	buf_free(&c->hdrs);
}

/* Fill resp for status s and switch to SEND. */
void conn_respond(struct conn *c, enum status s)
{
	struct response *r = &c->resp;

	r->status = s;
	r->head_only = c->rd.head_parsed && c->rd.req.method == HTTP_HEAD;
	if (!c->rd.req.keep_alive || loop_stopping || loop_draining || c->closing)
		r->close = true;
	if (dump_mode && s != S_OK && !c->rd.msg_done)
		dump_echo(r, &c->rd, c->rd.in.len);
	else
		route_error_body(&c->route, &c->rd.req, c->rd.head_parsed, r);
	http_plan_body(r);
	send_head(&c->tx, r, c->rd.req.minor);
	conn_report(c, CW_ANSWER, 0);
	c->state = C_SEND;
}

/* A request that cannot be read further: answer and close. */
void conn_refuse(struct conn *c, enum status s, const char *why)
{
	c->resp.why = why;
	c->closing = true;
	c->rd.req.keep_alive = false;
	conn_respond(c, s);
}

static enum parse refuse_why(struct conn *c, enum status s, const char *why)
{
	conn_refuse(c, s, why);
	return P_READY;
}


/* Request body bytes for the stream (a script's stdin). */
void conn_stream_feed(struct conn *c)
{
	struct stream *s = c->resp.stream;

	if (s && s->ops->feed)
		s->ops->feed(s, &c->rd.pipe_in, c->rd.msg_done);
}

/* A stream answers: its head comes in C_WAIT. */
static void stream_begin(struct conn *c)
{
	struct stream *s = c->resp.stream;

	if (s) {
		s->wake = conn_stream_wake;
		s->ctx = c;
	}
}

/* The handler of the route (not the dump): a stream is started here. */
static enum status serve(struct conn *c)
{
	struct route_client cl = { &c->peer, c->fd };
	enum status s = route_serve(&c->route, &c->rd.req, cl, &c->resp, &c->user);

	if (s == S_OK)
		stream_begin(c);
	return s;
}

static void handle(struct conn *c)
{
	enum status s;

	c->rd.req.stamp = c->last_read;
	if (c->resp.stream) { /* started at the end of the head: its answer follows */
		c->state = C_WAIT;
		conn_stream_feed(c);
		return;
	}
	if (c->route.kind == R_DUMP) {
		dump_echo(&c->resp, &c->rd, c->rd.pos);
		s = S_OK;
	} else {
		s = serve(c);
	}
	if (s == S_OK && c->resp.stream) {
		/* a script answers; a body gathered whole (chunked) goes to it */
		if (c->rd.req.body.len)
			buf_append(&c->rd.pipe_in, span_ptr(&c->rd.req, c->rd.req.body),
				   c->rd.req.body.len);
		c->state = C_WAIT;
		conn_stream_feed(c);
		return;
	}
	conn_respond(c, s);
}

static enum parse parse_body(struct conn *c);

static void feed_cb(void *arg)
{
	conn_stream_feed(arg);
}

static enum parse parse_head(struct conn *c)
{
	struct request *r = &c->rd.req;
	const char *why = NULL;
	enum status st;
	bool cgi;

	switch (request_head(&c->rd, dump_mode, &st, &why)) {
	case RQ_MORE:
		return P_MORE;
	case RQ_HEAD:
		break;
	default:
		return refuse_why(c, st, why);
	}
	if (metrics_enabled || log_json)
		c->t0 = util_now_us();
	client_apply(r, &c->peer, &c->orig);
	conn_report(c, CW_HEAD, 0);
	route_decide(&c->route, r, dump_mode);
	/* A CGI body with a length streams to the script, which starts now;
	 * a chunked one is gathered first (its length is CONTENT_LENGTH). */
	cgi = c->route.kind == R_CGI;
	r->to_pipe = cgi && r->has_body && !r->chunked;
	/* A proxied body, of any framing, streams to the upstream. */
	r->to_pipe |= c->route.kind == R_PROXY && r->has_body;
	r->keep_body = route_keeps_body(&c->route) || (cgi && !r->to_pipe);
	if (r->to_pipe && (st = serve(c)) != S_OK)
		return refuse_why(c, st, c->resp.why);
	if ((st = request_check_length(&c->rd, &why)) != S_OK)
		return refuse_why(c, st, why);
	if (r->has_body && http_header_is(r, H_EXPECT, "100-continue") && r->minor == 1) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		/* A fresh socket buffer always takes these few bytes; if not,
		 * the client sends its body after its own short wait. */
		if (write(c->wfd, cont, sizeof(cont) - 1) < 0)
			conn_debug(c, "100 Continue not sent");
	}
	return parse_body(c);
}

static enum parse parse_body(struct conn *c)
{
	const char *why = NULL;
	enum status st;

	switch (request_body(&c->rd, feed_cb, c, &st, &why)) {
	case RQ_MORE:
		return P_MORE;
	case RQ_DONE:
		handle(c);
		return P_READY;
	default:
		return refuse_why(c, st, why);
	}
}


bool conn_parse(struct conn *c)
{
	if (c->state != C_RECV)
		return false;
	if (!c->rd.head_parsed)
		return c->rd.in.len > c->rd.scan && parse_head(c) == P_READY;
	return parse_body(c) == P_READY;
}

/* -v: the access line; -vv: also why an error was answered. */
__attribute__((cold, noinline))
static void log_answer(const struct conn *c, int64_t us)
{
	char addr[UTIL_PEER_LEN];

	util_peer_str(&c->peer, addr);
	if (c->resp.status >= S_BAD_REQUEST && log_level >= 2)
		log_debug("%s: %d %s: %s", addr, c->resp.status,
			  http_status_text(c->resp.status),
			  c->resp.why ? c->resp.why : "-");
	/* probes every few hundred ms would drown the log */
	if (c->route.kind != R_HEALTH || log_level >= 2)
		log_access(addr, c->user, &c->rd.req, c->rd.in.len, c->resp.status,
			   c->tx.bytes_sent, us);
}

void conn_finish(struct conn *c)
{
	conn_stream_stop(c);
	conn_report(c, CW_DONE, 0);
	if (__builtin_expect(log_level >= 1 || metrics_enabled, 0)) {
		int64_t us = c->t0 ? util_now_us() - c->t0 : 0;

		if (log_level >= 1)
			log_answer(c, us);
		if (metrics_enabled)
			metrics_answer(c->rd.head_parsed ? c->rd.req.method : -1,
				       c->resp.status, c->tx.bytes_sent, us);
	}
	drop_file(c);
}

void conn_next(struct conn *c)
{
	request_next(&c->rd); /* the file went with conn_finish */
	reset_request(c);
	c->state = C_RECV;
}

