/* One client connection: RECV → SEND → (RECV | LINGER → close). */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "dump.h"
#include "log.h"
#include "metrics.h"
#include "route.h"
#include "send.h"
#include "static.h"

#define LINGER_MAX (1024 * 1024)  /* bytes drained after an error answer */

enum step { STEP_AGAIN, STEP_WAIT, STEP_CLOSE };
enum parse { P_MORE, P_READY };

static struct conn *all;
static struct conn *ready, *ready_tail; /* to run in conn_flush */
static int nconns;
void (*conn_closed_hook)(void);
const struct conn_watch *conn_watch;

enum watch_event { W_OPEN, W_READ, W_HEAD, W_ANSWER, W_DONE, W_CLOSE };

/* Out of line and cold: with --inspect off, each event costs the hot path
 * one predictable branch and nothing of its code. */
__attribute__((cold, noinline))
static void report_event(struct conn *c, enum watch_event e, size_t n)
{
	const struct conn_watch *w = conn_watch;
	bool rest;

	switch (e) {
	case W_OPEN:
		w->open(&c->watch_rec, c->peer_str);
		break;
	case W_READ: /* the n bytes just read, at the end of the input */
		w->read(&c->watch_rec, c->rd.in.data + c->rd.in.len, n);
		break;
	case W_HEAD:
		w->head(&c->watch_rec, &c->rd.req);
		break;
	case W_ANSWER:
		w->answer(&c->watch_rec, c->tx.out.data, c->tx.out.len);
		break;
	case W_DONE: /* bytes after the request begin the next one */
		rest = !c->resp.close && c->rd.in.data && c->rd.in.len > c->rd.pos;
		w->done(&c->watch_rec, rest ? c->rd.in.data + c->rd.pos : "",
			rest ? c->rd.in.len - c->rd.pos : 0);
		break;
	default:
		w->close(&c->watch_rec);
		break;
	}
}

static inline void report(struct conn *c, enum watch_event e, size_t n)
{
	if (__builtin_expect(conn_watch != NULL, 0))
		report_event(c, e, n);
}

static void conn_event(struct watcher *w, uint32_t events);
static void conn_timeout(struct timer *t);

int conn_count(void)
{
	return nconns;
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

static void reset_request(struct conn *c)
{
	request_reset(&c->rd);
	route_reset(&c->route);
	memset(&c->resp, 0, sizeof(c->resp));
	c->resp.fd = -1;
	c->resp.body = &c->tx.body;
	c->resp.hdrs = &c->hdrs;
	c->resp.segs = &c->tx.segs;
	send_reset(&c->tx);
	c->hdrs.len = 0;
	c->user = NULL;
	c->streaming = false;
	c->t0 = 0;
}

struct conn *conn_new(int fd, int wfd, const struct sockaddr *sa)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = fd;
	c->wfd = wfd;
	c->timer.kind = -1;
	c->timer.on_expire = conn_timeout;
	c->w.on_event = conn_event;
	util_peer(sa, &c->peer, c->peer_str);
	c->proxy_pending = client_proxy_protocol;
	request_init(&c->rd);
	reset_request(c);
	return c;
}

static void release_buffers(struct conn *c);

/* The stream answering this request, if any, ends. */
static void stream_stop(struct conn *c)
{
	struct stream *s = c->resp.stream;

	if (s) {
		c->resp.stream = NULL;
		s->ops->stop(s);
	}
}

static void release(struct conn *c)
{
	report(c, W_CLOSE, 0);
	stream_stop(c);
	drop_file(c);
	release_buffers(c);
	free(c->orig);
	c->orig = NULL;
}

void conn_free(struct conn *c)
{
	release(c);
	free(c);
}

static void enqueue(struct conn *c)
{
	if (c->queued)
		return;
	c->queued = true;
	c->ready_next = NULL;
	if (ready_tail)
		ready_tail->ready_next = c;
	else
		ready = c;
	ready_tail = c;
}

/* A new connection is tried at once (its request is usually there) and
 * enters the epoll set only if it has to wait: one that is answered and
 * closed in its first run never costs an epoll_ctl. */
struct conn *conn_open(int fd, int wfd, const struct sockaddr *sa)
{
	struct conn *c = conn_new(fd, wfd, sa);

	if (!c)
		return NULL;
	c->can_read = c->can_write = true;
	c->next = all;
	if (all)
		all->prev = c;
	all = c;
	nconns++;
	report(c, W_OPEN, 0);
	loop_timer_set(&c->timer, T_HEADER);
	log_debug("%s: connected", c->peer_str);
	enqueue(c);
	return c;
}

static int watch(struct conn *c)
{
	if (loop_watch(c->fd, &c->w, EPOLLIN | EPOLLRDHUP | EPOLLET |
			 (c->fd == c->wfd ? EPOLLOUT : 0)) < 0 ||
	    (c->fd != c->wfd && loop_watch(c->wfd, &c->w, EPOLLOUT | EPOLLET) < 0))
		return -1;
	c->watched = true;
	return 0;
}

void conn_close(struct conn *c)
{
	log_debug("%s: closed", c->peer_str);
	loop_timer_clear(&c->timer);
	if (c->fd != c->wfd)
		close(c->wfd);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		all = c->next;
	if (c->next)
		c->next->prev = c->prev;
	nconns--;
	release(c);
	c->state = C_CLOSED;
	loop_watcher_dead(&c->w);
	loop_defer_free(c);
	if (conn_closed_hook)
		conn_closed_hook();
}

/* Idle connections hold no buffers: memory per idle conn is sizeof(conn). */
static void release_buffers(struct conn *c)
{
	request_release(&c->rd);
	route_release(&c->route);
	send_release(&c->tx);
	buf_free(&c->hdrs);
}

/* Fill resp for status s and switch to SEND. */
static void respond(struct conn *c, enum status s)
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
	report(c, W_ANSWER, 0);
	c->state = C_SEND;
}

/* A request that cannot be read further: answer and close. */
static enum parse refuse_why(struct conn *c, enum status s, const char *why)
{
	c->resp.why = why;
	c->closing = true;
	c->rd.req.keep_alive = false;
	respond(c, s);
	return P_READY;
}

static void stream_wake(void *ctx, enum status fail);

/* Request body bytes for the stream (a script's stdin). */
static void stream_feed(struct conn *c)
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
		s->wake = stream_wake;
		s->ctx = c;
	}
}

/* The handler of the route (not the dump): a stream is started here. */
static enum status serve(struct conn *c)
{
	struct route_client cl = { &c->peer, c->peer_str, c->fd };
	enum status s = route_serve(&c->route, &c->rd.req, &cl, &c->resp, &c->user);

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
		stream_feed(c);
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
				   c->rd.req.body.len, HTTP_PIPE_MAX + HTTP_IN_MAX);
		c->state = C_WAIT;
		stream_feed(c);
		return;
	}
	respond(c, s);
}

static enum parse parse_body(struct conn *c);

static void feed_cb(void *arg)
{
	stream_feed(arg);
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
	client_apply(r, &c->peer, c->peer_str, &c->orig);
	report(c, W_HEAD, 0);
	route_decide(&c->route, r, dump_mode);
	/* A CGI body with a length streams to the script, which starts now;
	 * a chunked one is gathered first (its length is CONTENT_LENGTH). */
	cgi = c->route.kind == R_CGI;
	r->to_pipe = cgi && r->has_body && !(c->rd.parser.flags & F_CHUNKED);
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
			log_debug("%s: 100 Continue not sent", c->peer_str);
	}
	llhttp_resume(&c->rd.parser);
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

/* Read more bytes into the input buffer: >0, 0 at EOF, -1 to wait, -2 on
 * error, -3 when the buffer is at its limit. */
static ssize_t fill(struct conn *c)
{
	size_t room;
	ssize_t n;

	if (c->eof)
		return 0;
	if (!c->can_read)
		return -1;
	if (c->rd.in.len == c->rd.in.cap) {
		size_t grow = c->rd.in.cap ? c->rd.in.cap : 2048;

		if (grow > HTTP_IN_MAX - c->rd.in.len)
			grow = HTTP_IN_MAX - c->rd.in.len;
		if (grow == 0 || buf_reserve(&c->rd.in, grow, HTTP_IN_MAX) < 0)
			return -3;
		c->rd.req.base = c->rd.in.data;
	}
	room = c->rd.in.cap - c->rd.in.len;
	n = read(c->fd, c->rd.in.data + c->rd.in.len, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		c->can_read = errno == EINTR;
		return -1;
	}
	if (n <= 0) {
		c->eof = true;
		return n < 0 ? -2 : 0;
	}
	c->last_read = ++loop_reads;
	report(c, W_READ, (size_t)n);
	/* The head deadline runs from its first byte; a body read gets a
	 * fresh one for each piece. */
	if (c->rd.head_parsed || c->rd.in.len == 0)
		loop_timer_set(&c->timer, T_HEADER);
	/* A short read drained the socket: the next arrival raises a new
	 * edge, so the read that would only say EAGAIN is skipped. */
	if ((size_t)n < room && c->fd == c->wfd && !c->rdhup)
		c->can_read = false;
	c->rd.in.len += (size_t)n;
	return n;
}

bool conn_parse(struct conn *c)
{
	if (c->state != C_RECV)
		return false;
	if (!c->rd.head_parsed)
		return c->rd.in.len > c->rd.scan && parse_head(c) == P_READY;
	return parse_body(c) == P_READY;
}

/* The stream gave no usable answer: answer s (502, 504) instead. */
static void stream_fail(struct conn *c, enum status s)
{
	c->resp.why = c->resp.stream ? c->resp.stream->why : NULL;
	stream_stop(c);
	c->closing = true; /* whatever the script left unread */
	respond(c, s);
	loop_timer_set(&c->timer, T_WRITE);
}

/* The stream's head is in resp: frame its body, format the head. */
static void stream_head(struct conn *c, long long clen)
{
	struct response *r = &c->resp;

	r->head_only = c->rd.req.method == HTTP_HEAD;
	if (!c->rd.req.keep_alive || loop_stopping || loop_draining || c->closing)
		r->close = true;
	send_stream_start(&c->tx, r, clen, c->rd.req.minor);
	c->tx.out.len = 0;
	if (http_format_head(&c->tx.out, r, c->rd.req.minor, loop_date()) < 0) {
		c->resp.stream->why = "the stream's head does not fit";
		stream_fail(c, S_BAD_GATEWAY);
		return;
	}
	report(c, W_ANSWER, 0);
	c->streaming = true;
	c->state = C_SEND;
	loop_timer_set(&c->timer, T_WRITE);
	send_stream_pull(&c->tx, &c->resp); /* body bytes that came with the head go with it */
}

/* C_WAIT: the stream's head, once it has it. */
static enum step do_wait(struct conn *c)
{
	struct stream *s = c->resp.stream;
	long long clen = -1;
	int r = s->ops->head(s, &c->resp, &clen);

	if (r < 0)
		stream_fail(c, c->resp.status);
	else if (r > 0)
		stream_head(c, clen);
	else /* the client left (nginx does the same with its upstreams) */
		return c->rdhup ? STEP_CLOSE : STEP_WAIT;
	return STEP_AGAIN;
}

/* The stream can go on (or cannot: fail). */
static void stream_wake(void *ctx, enum status fail)
{
	struct conn *c = ctx;

	if (fail && c->streaming) {
		conn_close(c); /* mid-answer: closing is all that is left */
		return;
	}
	if (fail) {
		stream_fail(c, fail);
	} else {
		stream_feed(c);
		request_pipe_drained(&c->rd); /* the script took body bytes */
	}
	conn_run(c);
}

static enum step do_recv(struct conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->proxy_pending && c->rd.in.len) { /* --proxy-protocol */
			int r = client_proxy_take(&c->rd.in, &c->peer, c->peer_str);

			if (r < 0)
				return STEP_CLOSE;
			c->proxy_pending = r == 0;
		}
		if (!c->proxy_pending && conn_parse(c)) {
			if (c->state == C_SEND)
				loop_timer_set(&c->timer, T_WRITE);
			else
				loop_timer_clear(&c->timer); /* the script's own limit */
			return STEP_AGAIN;
		}
		if (c->rd.req.pipe_paused)
			return STEP_WAIT; /* until the script reads (stream_wake) */
		n = fill(c);
		if (n == -1)
			return STEP_WAIT;
		if (n == -3) {
			refuse_why(c, c->rd.head_parsed ? S_PAYLOAD_TOO_LARGE : S_HEADERS_TOO_LARGE,
				   "request over the input buffer");
			loop_timer_set(&c->timer, T_WRITE);
			return STEP_AGAIN;
		}
		if (n <= 0)
			return STEP_CLOSE; /* EOF or error with no whole request */
	}
}

static void finish(struct conn *c)
{
	int64_t us = c->t0 ? util_now_us() - c->t0 : 0;

	if (c->resp.status >= 400)
		log_debug("%s: %d %s: %s", c->peer_str, c->resp.status,
			  http_status_text(c->resp.status),
			  c->resp.why ? c->resp.why : "-");
	stream_stop(c);
	report(c, W_DONE, 0);
	/* probes every few hundred ms would drown the log */
	if (c->route.kind != R_HEALTH || log_level >= 2)
		log_access(c->peer_str, c->user, &c->rd.req, c->rd.in.len, c->resp.status,
			   c->tx.bytes_sent, us);
	if (metrics_enabled)
		metrics_answer(c->rd.head_parsed ? c->rd.req.method : -1, c->resp.status,
			       c->tx.bytes_sent, us);
	drop_file(c);
}

void conn_next(struct conn *c)
{
	drop_file(c);
	request_next(&c->rd);
	reset_request(c);
	c->state = C_RECV;
}

/* The answer is out: next request, or the end of the connection. */
static enum step next_request(struct conn *c)
{
	finish(c);
	/* A request read whole, nothing after it, no error: the client
	 * expects the close and sends nothing more, so close at once (as
	 * nginx does). Otherwise drain what it still sends, lest unread bytes
	 * make the kernel reset the connection and lose our answer. */
	if (c->resp.close && !c->closing && c->rd.msg_done && c->rd.in.len == c->rd.pos &&
	    c->fd == c->wfd)
		return STEP_CLOSE;
	if (c->resp.close) {
		shutdown(c->wfd, SHUT_WR);
		release_buffers(c);
		c->state = C_LINGER;
		c->lingered = 0; /* was t0 */
		loop_timer_set(&c->timer, T_LINGER);
		return STEP_AGAIN;
	}
	conn_next(c);
	if (c->rd.in.len == 0 && loop_stopping)
		return STEP_CLOSE; /* a stream that began before the stop ended */
	if (c->rd.in.len == 0) {
		release_buffers(c);
		loop_timer_set(&c->timer, T_IDLE);
	} else {
		loop_timer_set(&c->timer, T_HEADER);
	}
	return STEP_AGAIN;
}

/* A stream with nothing to send until its wake (an event stream, most of
 * its life) holds only the request's buffer (for the access log): 10,000
 * idle listeners must fit. */
static void stream_idle(struct conn *c)
{
	c->tx.out_sent = 0;
	buf_free(&c->tx.out);
	buf_free(&c->tx.body);
	buf_free(&c->tx.segs);
	buf_free(&c->hdrs);
}

static enum step do_send(struct conn *c)
{
	for (;;) {
		ssize_t n;

		if (send_done(&c->tx)) {
			if (!c->streaming || c->tx.stream_done)
				return next_request(c);
			send_stream_pull(&c->tx, &c->resp); /* a stream's next piece */
			if (c->tx.stream_broken)
				return STEP_CLOSE;
			/* Waiting for the stream: a client gone meanwhile ends
			 * it (as in C_WAIT), its upstream or script with it. */
			if (send_done(&c->tx) && !c->tx.stream_done) {
				if (c->rdhup)
					return STEP_CLOSE;
				stream_idle(c);
				return STEP_WAIT;
			}
			continue;
		}
		if (!c->can_write)
			return STEP_WAIT;
		n = send_some(&c->tx, c->wfd, c->resp.fd, c->fd == c->wfd);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return STEP_CLOSE;
			c->can_write = false;
			return STEP_WAIT;
		}
		loop_timer_set(&c->timer, T_WRITE);
	}
}

static enum step do_linger(struct conn *c)
{
	char sink[4096];

	for (;;) {
		ssize_t n;

		if (!c->can_read)
			return STEP_WAIT;
		n = read(c->fd, sink, sizeof(sink));
		if (n < 0 && errno == EAGAIN) {
			c->can_read = false;
			return STEP_WAIT;
		}
		if (n <= 0 || (c->lingered += (size_t)n) > LINGER_MAX)
			return STEP_CLOSE;
	}
}

void conn_run(struct conn *c)
{
	for (;;) {
		enum step s;

		switch (c->state) {
		case C_CLOSED:
			return; /* closed earlier in this batch of events */
		case C_RECV:
			s = do_recv(c);
			break;
		case C_SEND:
			s = do_send(c);
			break;
		case C_WAIT:
			s = do_wait(c);
			break;
		default:
			s = do_linger(c);
			break;
		}
		if (s == STEP_WAIT)
			return;
		if (s == STEP_CLOSE) {
			conn_close(c);
			return;
		}
	}
}

static void conn_event(struct watcher *w, uint32_t events)
{
	struct conn *c = container_of(w, struct conn, w);

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->can_read = true;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->rdhup = true; /* read on to the EOF: no edge will follow it */
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->can_write = true;
	enqueue(c);
}

void conn_flush(void)
{
	struct conn *c;

	/* All reads first: each file check then serves the whole batch. */
	for (c = ready; c; c = c->ready_next)
		if (c->state == C_RECV && !c->rd.req.pipe_paused)
			fill(c);
	while ((c = ready) != NULL) {
		ready = c->ready_next;
		if (!ready)
			ready_tail = NULL;
		c->queued = false;
		conn_run(c);
		if (c->state != C_CLOSED && !c->watched && watch(c) < 0)
			conn_close(c);
	}
}

static void conn_timeout(struct timer *t)
{
	struct conn *c = container_of(t, struct conn, timer);

	if (c->state == C_RECV && c->rd.in.len > 0 && !loop_stopping && !c->proxy_pending) {
		refuse_why(c, S_REQUEST_TIMEOUT, "request head not complete in time");
		loop_timer_set(&c->timer, T_WRITE);
		conn_run(c);
		return;
	}
	log_debug("%s: %s timed out", c->peer_str,
		  c->state == C_SEND ? "response" : "connection");
	conn_close(c);
}

void conn_stop_all(void)
{
	struct conn *c, *next;

	for (c = all; c; c = next) {
		next = c->next;
		c->closing = true;
		if (c->state == C_RECV && c->rd.in.len == 0)
			conn_close(c);
	}
}

void conn_close_all(void)
{
	while (all)
		conn_close(all);
}
