/* The reverse proxy (P: lines): one non-blocking connection to the
 * upstream per request, in the event loop. The request head (rewritten)
 * and body go out through a bounded buffer; the answer is parsed by llhttp
 * in response mode, as strictly as requests are, and handed to the
 * connection only as fast as it pulls: a slow client stops reading the
 * upstream, a slow upstream stops reading the client. */
#include "proxy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "log.h"
#include "loop.h"

#define PROXY_OUT_MAX (64 * 1024)  /* request bytes waiting for the upstream */
#define PROXY_READ (16 * 1024)     /* one read from the upstream */
#define PROXY_HEAD_MAX HTTP_HEADERS_MAX /* the answer's header block: 502 beyond */
#define PROXY_HDRS_MAX (PROXY_HEAD_MAX + 64) /* ... as passed on, with Via */
/* p->out: the request head (as large as the client's could be), then
 * body bytes, PROXY_OUT_MAX of them at a time (feed). */
#define PROXY_REQ_MAX (HTTP_IN_MAX + 1024)
#define PROXY_FIELDS_MAX 100       /* its header lines */

struct proxy {
	struct stream stream;      /* what the connection sees */
	struct timer timer;
	struct watcher w;
	int fd;
	llhttp_t parser;
	struct buf out;            /* head and body bytes for the upstream */
	struct buf fields;         /* the answer's header lines, as parsed */
	struct buf body;           /* decoded answer bytes not pulled yet */
	size_t body_off;
	struct sockaddr_storage addr[UPSTREAM_ADDRS];
	socklen_t addrlen[UPSTREAM_ADDRS];
	int naddr, next_addr;
	int nfields;
	bool chunked;              /* the request body goes out chunked */
	bool body_queued;          /* ... all of it is in out */
	bool connected, can_read, can_write;
	bool wclosed;              /* the upstream takes no more request bytes */
	bool head_only;            /* HEAD: the answer has no body */
	bool head_done, msg_done;
	bool asked;                /* the connection waits for the upstream */
	enum status fail;          /* the answer cannot be had or completed */
	long long clen;
};

/* --- the answer, parsed ----------------------------------------------------- */

static struct proxy *of(llhttp_t *p)
{
	return p->data;
}

static int bad(struct proxy *p, const char *why)
{
	p->stream.why = why;
	return -1;
}

static int on_field(llhttp_t *lp, const char *at, size_t n)
{
	struct proxy *p = of(lp);

	if (!http_token(at, n)) /* llhttp (lax build) takes "X A:" */
		return bad(p, "invalid upstream header name");
	return buf_append(&p->fields, at, n) < 0
	       ? bad(p, "upstream header block too large") : 0;
}

static int on_field_complete(llhttp_t *lp)
{
	struct proxy *p = of(lp);

	if (++p->nfields > PROXY_FIELDS_MAX)
		return bad(p, "too many upstream header lines");
	return buf_append(&p->fields, ": ", 2) < 0
	       ? bad(p, "upstream header block too large") : 0;
}

static int on_value(llhttp_t *lp, const char *at, size_t n)
{
	struct proxy *p = of(lp);
	size_t i;

	/* llhttp (lax build) lets a bare CR or LF through: response splitting */
	for (i = 0; i < n; i++)
		if (at[i] == '\r' || at[i] == '\n' || at[i] == '\0')
			return bad(p, "CR, LF or NUL in an upstream header value");
	return buf_append(&p->fields, at, n) < 0
	       ? bad(p, "upstream header block too large") : 0;
}

static int on_value_complete(llhttp_t *lp)
{
	struct proxy *p = of(lp);

	return buf_append(&p->fields, "\r\n", 2) < 0
	       ? bad(p, "upstream header block too large") : 0;
}

static int on_headers_complete(llhttp_t *lp)
{
	struct proxy *p = of(lp);
	int code = llhttp_get_status_code(lp);

	if (code >= 100 && code < 200 && code != 101) {
		p->fields.len = 0; /* 100 Continue, 103 Early Hints: the answer follows */
		p->nfields = 0;
		return 0;
	}
	if (code < 200 || code > 599)
		return bad(p, "upstream status out of range");
	if ((lp->flags & F_CHUNKED) && (lp->flags & F_CONTENT_LENGTH))
		return bad(p, "upstream sent both Content-Length and chunked");
	if (lp->flags & F_CONTENT_LENGTH && !(lp->flags & F_CHUNKED))
		p->clen = (long long)lp->content_length;
	if (code == S_NO_CONTENT || code == S_NOT_MODIFIED)
		p->clen = 0;
	p->head_done = true;
	return p->head_only ? 1 : 0; /* 1: no body follows */
}

static int on_body(llhttp_t *lp, const char *at, size_t n)
{
	struct proxy *p = of(lp);

	/* At most one read's worth is here at a time (read_upstream). */
	return buf_append(&p->body, at, n) < 0 ? bad(p, "out of memory") : 0;
}

static int on_message_complete(llhttp_t *lp)
{
	struct proxy *p = of(lp);

	if (!p->head_done) /* the end of a 1xx answer: the real one follows */
		return 0;
	p->msg_done = true;
	return HPE_PAUSED; /* whatever follows is not ours (we asked to close) */
}

static const llhttp_settings_t settings = {
	.on_header_field = on_field,
	.on_header_field_complete = on_field_complete,
	.on_header_value = on_value,
	.on_header_value_complete = on_value_complete,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* --- the upstream socket ---------------------------------------------------- */

static void fail(struct proxy *p, enum status s, const char *why)
{
	if (!p->fail) {
		p->fail = s;
		p->stream.why = why;
		log_debug("proxy: %s", why);
	}
}

/* Connect to the next address of the upstream; -1 when none is left. */
static int connect_next(struct proxy *p)
{
	while (p->next_addr < p->naddr) {
		int i = p->next_addr++, one = 1;

		if (p->fd >= 0) {
			loop_unwatch(p->fd);
			close(p->fd);
		}
		p->fd = socket(p->addr[i].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (p->fd < 0)
			return -1;
		setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		p->connected = p->can_write = p->can_read = false;
		if (connect(p->fd, (struct sockaddr *)&p->addr[i], p->addrlen[i]) == 0)
			p->connected = p->can_write = true;
		else if (errno != EINPROGRESS)
			continue; /* refused at once (loopback): the next address */
		if (loop_watch(p->fd, &p->w, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0)
			return -1;
		return 0;
	}
	return -1;
}

/* Write what the upstream takes now. */
static void flush(struct proxy *p)
{
	size_t sent = 0;

	while (p->connected && p->can_write && !p->wclosed && sent < p->out.len) {
		ssize_t n = send(p->fd, p->out.data + sent, p->out.len - sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			p->can_write = false;
			break;
		}
		if (n <= 0) {
			/* It stopped reading (it may have answered already: the
			 * answer is read as usual); the rest is dropped. */
			p->wclosed = true;
			break;
		}
		sent += (size_t)n;
		loop_timer_set(&p->timer, T_PROXY);
	}
	if (p->wclosed) {
		p->out.len = 0;
	} else if (sent) {
		memmove(p->out.data, p->out.data + sent, p->out.len - sent);
		p->out.len -= sent;
	}
}

/* One read from the upstream into the parser: 1 progress, 0 nothing now,
 * -1 the answer failed (p->fail). */
static int read_upstream(struct proxy *p)
{
	char tmp[PROXY_READ];
	llhttp_errno_t e;
	ssize_t n;

	if (!p->connected || !p->can_read)
		return 0;
	n = recv(p->fd, tmp, sizeof(tmp), 0);
	if (n < 0 && errno == EINTR)
		return 1;
	if (n < 0 && errno == EAGAIN) {
		p->can_read = false;
		return 0;
	}
	loop_timer_set(&p->timer, T_PROXY);
	if (n > 0)
		e = llhttp_execute(&p->parser, tmp, (size_t)n);
	else /* the end: complete only if the answer was read to its close */
		e = llhttp_finish(&p->parser);
	if (e == HPE_OK && n <= 0 && !p->msg_done)
		e = HPE_INVALID_EOF_STATE;
	if (e == HPE_OK || (e == HPE_PAUSED && p->msg_done))
		return 1;
	if (n <= 0 && !p->stream.why)
		p->stream.why = p->head_done ? "upstream closed before the end of its answer"
			      : "upstream closed before a complete answer head";
	else if (!p->stream.why)
		p->stream.why = "invalid upstream answer";
	fail(p, S_BAD_GATEWAY, p->stream.why);
	return -1;
}

/* --- the stream ----------------------------------------------------------------- */

static int head(struct stream *s, struct response *resp, long long *clen)
{
	struct proxy *p = container_of(s, struct proxy, stream);

	while (!p->head_done && !p->fail) {
		int r = read_upstream(p);

		if (r == 0) {
			p->asked = true;
			return 0;
		}
	}
	if (p->fail) {
		resp->status = p->fail;
		return -1;
	}
	if (upstream_response_headers(resp->hdrs, p->fields.data,
				      p->fields.len) < 0 || resp->hdrs->len > PROXY_HDRS_MAX) {
		fail(p, S_BAD_GATEWAY, "upstream header block too large");
		resp->status = p->fail;
		return -1;
	}
	resp->status = (enum status)llhttp_get_status_code(&p->parser);
	*clen = p->clen;
	p->asked = false;
	return 1;
}

static ssize_t body(struct stream *s, char *dst, size_t n)
{
	struct proxy *p = container_of(s, struct proxy, stream);

	for (;;) {
		if (p->body_off < p->body.len) {
			size_t k = p->body.len - p->body_off;

			k = k < n ? k : n;
			memcpy(dst, p->body.data + p->body_off, k);
			p->body_off += k;
			p->asked = false;
			return (ssize_t)k;
		}
		p->body.len = p->body_off = 0;
		if (p->msg_done)
			return 0;
		if (p->fail)
			return -2; /* broken off: never presented as complete */
		if (read_upstream(p) == 0) {
			p->asked = true;
			return -1;
		}
	}
}

/* Request body bytes into out, as much as fits (chunked when the client's
 * was: its length is not known); the rest waits in b. */
static void feed(struct stream *s, struct buf *b, bool done)
{
	struct proxy *p = container_of(s, struct proxy, stream);
	size_t room = p->out.len < PROXY_OUT_MAX ? PROXY_OUT_MAX - p->out.len : 0;
	size_t k = b->len < room ? b->len : room;

	if (p->wclosed) {
		b->len = 0; /* nobody takes it */
		return;
	}
	if (k && p->chunked)
		buf_printf(&p->out, "%zx\r\n", k);
	if (k && buf_append(&p->out, b->data, k) == 0) {
		memmove(b->data, b->data + k, b->len - k);
		b->len -= k;
		if (p->chunked)
			buf_append(&p->out, "\r\n", 2);
	}
	if (done && b->len == 0 && !p->body_queued) {
		if (p->chunked)
			buf_append(&p->out, "0\r\n\r\n", 5);
		p->body_queued = true;
	}
	flush(p);
}

static void stop(struct stream *s)
{
	struct proxy *p = container_of(s, struct proxy, stream);

	loop_timer_clear(&p->timer);
	if (p->fd >= 0) {
		loop_unwatch(p->fd);
		close(p->fd);
	}
	buf_free(&p->out);
	buf_free(&p->fields);
	buf_free(&p->body);
	loop_watcher_dead(&p->w);
	loop_defer_free(p);
}

static const struct stream_ops proxy_ops = { head, body, feed, stop };

static void on_event(struct watcher *w, uint32_t events)
{
	struct proxy *p = container_of(w, struct proxy, w);

	if (!p->connected) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			if (connect_next(p) == 0)
				return;
			fail(p, S_BAD_GATEWAY, err == ECONNREFUSED ? "upstream refused the connection"
			     : "upstream connection failed");
			p->stream.wake(p->stream.ctx, p->fail);
			return;
		}
		p->connected = true;
		loop_timer_set(&p->timer, T_PROXY);
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		p->can_read = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		p->can_write = true;
	flush(p);
	p->stream.wake(p->stream.ctx, 0); /* takes more body, pulls the answer */
}

/* No progress in --proxy-timeout: while the connection waits for the
 * upstream, that is the end (504, or a close mid-answer); while it is the
 * client's turn (sending its body, taking the answer), wait on. */
static void on_timeout(struct timer *t)
{
	struct proxy *p = container_of(t, struct proxy, timer);

	if (p->connected && !p->asked && !p->out.len) {
		loop_timer_set(&p->timer, T_PROXY);
		return;
	}
	fail(p, S_GATEWAY_TIMEOUT, !p->connected ? "upstream connect timed out"
	     : p->head_done ? "upstream stalled in its answer" : "upstream gave no answer in time");
	p->stream.wake(p->stream.ctx, p->fail);
}

enum status proxy_start(const struct request *req, const struct upstream *u,
			const char *client_addr, struct response *resp)
{
	enum status st = S_BAD_GATEWAY;
	struct proxy *p;

	if (!u) {
		resp->why = "P: rule gone in a reload";
		return S_BAD_GATEWAY;
	}
	if (upstream_dot_segment(span_ptr(req, req->path), req->path.len)) {
		resp->why = "dot segment in a proxied path";
		return S_BAD_REQUEST;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return S_SERVICE_UNAVAILABLE;
	p->fd = -1;
	p->clen = -1;
	buf_init(&p->out, PROXY_REQ_MAX);
	buf_init(&p->fields, PROXY_HEAD_MAX);
	buf_init(&p->body, 2 * PROXY_READ);
	p->stream.ops = &proxy_ops;
	p->timer.kind = -1;
	p->timer.on_expire = on_timeout;
	p->w.on_event = on_event;
	p->chunked = req->has_body && !req->content_length;
	p->head_only = req->method == HTTP_HEAD;
	memcpy(p->addr, u->addr, sizeof(p->addr));
	memcpy(p->addrlen, u->addrlen, sizeof(p->addrlen));
	p->naddr = u->naddr;
	llhttp_init(&p->parser, HTTP_RESPONSE, &settings);
	p->parser.data = p;
	if (upstream_request_head(&p->out, req, u, client_addr) < 0) {
		resp->why = "request head too large for the upstream";
		goto err;
	}
	if (connect_next(p) < 0) {
		if (errno == EMFILE || errno == ENFILE) {
			resp->why = "no file descriptor for the upstream";
			st = S_SERVICE_UNAVAILABLE;
		} else {
			resp->why = errno == ECONNREFUSED ? "upstream refused the connection"
				    : "cannot connect to the upstream";
		}
		goto err;
	}
	log_debug("proxy: %.*s to %s", (int)req->path.len, span_ptr(req, req->path),
		  u->authority);
	loop_timer_set(&p->timer, T_PROXY);
	resp->stream = &p->stream;
	return S_OK;
err:
	log_debug("proxy: %s", resp->why);
	if (p->fd >= 0)
		close(p->fd);
	buf_free(&p->out);
	free(p);
	return st;
}
