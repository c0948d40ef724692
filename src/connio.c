/* Connections in the loop: RECV → [WAIT →] SEND → (RECV | LINGER → close),
 * reading, writing and their deadlines; conn.c does the rest without I/O. */
#include "connio.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "loop.h"

#define LINGER_MAX (1024 * 1024)  /* bytes drained after an error answer */

enum step { STEP_AGAIN, STEP_WAIT, STEP_CLOSE };

static struct conn *all;
static struct conn *ready, *ready_tail; /* to run in connio_flush */
static int nconns;
void (*connio_closed_hook)(void);

static void conn_event(struct watcher *w, uint32_t events);
static void conn_timeout(struct timer *t);
static void conn_run(struct conn *c, bool send);
static void stream_wake(void *ctx, enum status fail);

int connio_count(void)
{
	return nconns;
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
struct conn *connio_open(int fd, int wfd, const struct sockaddr *sa)
{
	struct conn *c = conn_new(fd, wfd, sa);

	if (!c)
		return NULL;
	c->timer.on_expire = conn_timeout;
	c->w.on_event = conn_event;
	conn_stream_wake = stream_wake;
	c->can_read = c->can_write = true;
	c->next = all;
	if (all)
		all->prev = c;
	all = c;
	nconns++;
	conn_report(c, CW_OPEN, 0);
	loop_timer_set(&c->timer, T_HEADER);
	conn_debug(c, "connected");
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

static void conn_close(struct conn *c)
{
	conn_debug(c, "closed");
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
	conn_release(c);
	c->state = C_CLOSED;
	loop_watcher_dead(&c->w);
	loop_defer_release(c, conn_recycle);
	if (connio_closed_hook)
		connio_closed_hook();
}
/* read(2) on a socket, with the kernel's receive time of the last bytes
 * read (SO_TIMESTAMPNS, set on the listening sockets): *early when they
 * all arrived before the batch's wait began. */
static ssize_t read_stamped(int fd, char *p, size_t room, bool *early)
{
	union {
		char b[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = p, .iov_len = room };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
	ssize_t n = recvmsg(fd, &mh, 0);
	struct cmsghdr *cm;

	if (n > 0 && (cm = CMSG_FIRSTHDR(&mh)) != NULL && cm->cmsg_level == SOL_SOCKET &&
	    cm->cmsg_type == SCM_TIMESTAMPNS) {
		struct timespec ts;

		memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
		*early = util_ts_ns(&ts) < loop_wait_ns;
	}
	return n;
}

/* Read more bytes into the input buffer: >0, 0 at EOF, -1 to wait, -2 on
 * error, -3 when the buffer is at its limit. */
static ssize_t fill(struct conn *c)
{
	bool early = false;
	size_t room;
	ssize_t n;

	if (c->eof)
		return 0;
	if (!c->can_read)
		return -1;
	if (c->rd.in.len == c->rd.in.cap) {
		size_t grow = c->rd.in.cap ? c->rd.in.cap : 2048;

		/* reads stop at HTTP_IN_MAX; the buffer's max leaves room for
		 * the CRs bare-LF normalization inserts */
		if (c->rd.in.len >= HTTP_IN_MAX)
			return -3;
		if (grow > HTTP_IN_MAX - c->rd.in.len)
			grow = HTTP_IN_MAX - c->rd.in.len;
		if (buf_reserve(&c->rd.in, grow) < 0)
			return -3;
		c->rd.req.base = c->rd.in.data;
	}
	room = c->rd.in.cap - c->rd.in.len;
	if (c->fd == c->wfd) /* a socket */
		n = read_stamped(c->fd, c->rd.in.data + c->rd.in.len, room, &early);
	else /* inetd mode's pipes */
		n = read(c->fd, c->rd.in.data + c->rd.in.len, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		c->can_read = errno == EINTR;
		return -1;
	}
	if (n <= 0) {
		c->eof = true;
		return n < 0 ? -2 : 0;
	}
	/* Bytes that arrived before the batch's wait count as read before
	 * it: a file changed before they were sent was reported in that
	 * wait (fwatch_drain), no read of inotify's queue needed for them. */
	c->last_read = early ? loop_wait_reads : ++loop_reads;
	conn_report(c, CW_READ, (size_t)n);
	/* The head deadline runs from its first byte; a body read gets a
	 * fresh one for each piece (set by recv_wait: a head read whole at
	 * once never needs it). */
	if (c->rd.head_parsed || c->rd.in.len == 0)
		c->header_due = true;
	/* A short read drained the socket: the next arrival raises a new
	 * edge, so the read that would only say EAGAIN is skipped. */
	if ((size_t)n < room && c->fd == c->wfd && !c->rdhup)
		c->can_read = false;
	c->rd.in.len += (size_t)n;
	return n;
}
/* The stream gave no usable answer: answer s (502, 504) instead. */
static void stream_fail(struct conn *c, enum status s)
{
	c->resp.why = c->resp.stream ? c->resp.stream->why : NULL;
	conn_stream_stop(c);
	c->closing = true; /* whatever the script left unread */
	conn_respond(c, s);
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
	send_out_clear(&c->tx);
	if (http_format_head(&c->tx.out, r, c->rd.req.minor, loop_date()) < 0) {
		c->resp.stream->why = "the stream's head does not fit";
		stream_fail(c, S_BAD_GATEWAY);
		return;
	}
	conn_report(c, CW_ANSWER, 0);
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
		conn_stream_feed(c);
		request_pipe_drained(&c->rd); /* the script took body bytes */
	}
	conn_run(c, true);
}

/* Waiting for more of the request: the deadline a read asked for. */
static enum step recv_wait(struct conn *c)
{
	if (c->header_due) {
		c->header_due = false;
		loop_timer_set(&c->timer, T_HEADER);
	}
	return STEP_WAIT;
}

static enum step do_recv(struct conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->proxy_pending && c->rd.in.len) { /* --proxy-protocol */
			int r = client_proxy_take(&c->rd.in, &c->peer);

			if (r < 0)
				return STEP_CLOSE;
			c->proxy_pending = r == 0;
		}
		if (!c->proxy_pending && conn_parse(c)) {
			c->header_due = false;
			/* C_SEND: its deadline is set if the writing waits (most
			 * answers go out at once, the next deadline follows) */
			if (c->state != C_SEND)
				loop_timer_clear(&c->timer); /* the script's own limit */
			return STEP_AGAIN;
		}
		if (c->rd.req.pipe_paused)
			return recv_wait(c); /* until the script reads (stream_wake) */
		n = fill(c);
		if (n == -1)
			return recv_wait(c);
		if (n == -3) {
			c->header_due = false;
			conn_refuse(c, c->rd.head_parsed ? S_PAYLOAD_TOO_LARGE : S_HEADERS_TOO_LARGE,
				    "request over the input buffer");
			loop_timer_set(&c->timer, T_WRITE);
			return STEP_AGAIN;
		}
		if (n <= 0)
			return STEP_CLOSE; /* EOF or error with no whole request */
	}
}

/* The answer is out: next request, or the end of the connection. */
static enum step next_request(struct conn *c)
{
	conn_finish(c);
	/* A request read whole, nothing after it, no error: the client
	 * expects the close and sends nothing more, so close at once (as
	 * nginx does). Otherwise drain what it still sends, lest unread bytes
	 * make the kernel reset the connection and lose our answer. */
	if (c->resp.close && !c->closing && c->rd.msg_done && c->rd.in.len == c->rd.pos &&
	    c->fd == c->wfd)
		return STEP_CLOSE;
	if (c->resp.close) {
		shutdown(c->wfd, SHUT_WR);
		conn_release_buffers(c);
		c->state = C_LINGER;
		c->lingered = 0; /* was t0 */
		loop_timer_set(&c->timer, T_LINGER);
		return STEP_AGAIN;
	}
	conn_next(c);
	if (c->rd.in.len == 0 && loop_stopping)
		return STEP_CLOSE; /* a stream that began before the stop ended */
	if (c->rd.in.len == 0) {
		conn_release_buffers(c);
		loop_timer_set(&c->timer, T_IDLE);
		if (!c->can_read && !c->eof)
			return STEP_WAIT; /* what do_recv would find: nothing to read yet */
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
	send_out_clear(&c->tx);
	buf_free(&c->tx.out);
	buf_free(&c->tx.body);
	http_segs_free(&c->tx.segs);
	buf_free(&c->hdrs);
}

/* Waiting to write: the write deadline runs from the last write, or from
 * the answer's start (set once here, not after each write nor when the
 * answer begins: loop_now is the same all batch long). */
static enum step send_wait(struct conn *c, bool wrote)
{
	if (wrote || c->timer.kind != T_WRITE)
		loop_timer_set(&c->timer, T_WRITE);
	return STEP_WAIT;
}

static enum step do_send(struct conn *c)
{
	bool wrote = false;

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
				return send_wait(c, wrote);
			}
			continue;
		}
		if (!c->can_write)
			return send_wait(c, wrote);
		n = send_some(&c->tx, c->wfd, c->resp.fd, c->fd == c->wfd);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return STEP_CLOSE;
			c->can_write = false;
			return send_wait(c, wrote);
		}
		wrote = true;
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

/* Run c through its states until it waits or closes; with !send, stop
 * before the first write too, its answer ready (C_SEND). */
static void conn_run(struct conn *c, bool send)
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
			if (!send)
				return;
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

void connio_flush(void)
{
	struct conn *c;

	/* All reads first: each file check then serves the whole batch. */
	for (c = ready; c; c = c->ready_next)
		if (c->state == C_RECV && !c->rd.req.pipe_paused)
			fill(c);
	/* Then all answers made, none sent yet: the code that parses and
	 * routes runs for the whole batch while it is in the CPU's caches,
	 * not again after each write's and close's work in the kernel. */
	for (c = ready; c; c = c->ready_next)
		if (c->state == C_RECV || c->state == C_WAIT)
			conn_run(c, false);
	/* Then the answers out, in order. The others ran above and wait for
	 * input or a stream (nothing is queued during connio_flush: events
	 * come from the loop's dispatch, before it). */
	while ((c = ready) != NULL) {
		ready = c->ready_next;
		if (!ready)
			ready_tail = NULL;
		c->queued = false;
		if (c->state == C_SEND || c->state == C_LINGER)
			conn_run(c, true);
		if (c->state != C_CLOSED && !c->watched && watch(c) < 0)
			conn_close(c);
	}
}

static void conn_timeout(struct timer *t)
{
	struct conn *c = container_of(t, struct conn, timer);

	if (c->state == C_RECV && c->rd.in.len > 0 && !loop_stopping && !c->proxy_pending) {
		conn_refuse(c, S_REQUEST_TIMEOUT, "request head not complete in time");
		loop_timer_set(&c->timer, T_WRITE);
		conn_run(c, true);
		return;
	}
	conn_debug(c, c->state == C_SEND ? "response timed out" : "connection timed out");
	conn_close(c);
}

void connio_stop_all(void)
{
	struct conn *c, *next;

	for (c = all; c; c = next) {
		next = c->next;
		c->closing = true;
		if (c->state == C_RECV && c->rd.in.len == 0)
			conn_close(c);
	}
}

void connio_close_all(void)
{
	while (all)
		conn_close(all);
}
