/* One client connection: RECV → SEND → (RECV | LINGER → close). */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "api.h"
#include "cgi.h"
#include "config.h"
#include "dump.h"
#include "log.h"
#include "static.h"

#define REQ_LINE_SLACK 64         /* method, spaces and version around the URL */
#define LINGER_MAX (1024 * 1024)  /* bytes drained after an error answer */
#define SENDFILE_CHUNK (1 << 20)  /* keeps one big file from hogging the loop */

enum step { STEP_AGAIN, STEP_WAIT, STEP_CLOSE };
enum parse { P_MORE, P_READY };

static struct conn *all;
static struct conn *ready, *ready_tail; /* to run in conn_flush */
static int nconns;

static void conn_event(struct watcher *w, uint32_t events);
static void conn_timeout(struct timer *t);

int conn_count(void)
{
	return nconns;
}

/* Dotted quad without inet_ntop's printf: one per connection. */
static void ipv4_str(const uint8_t a[4], char *out)
{
	int i;

	for (i = 0; i < 4; i++) {
		if (a[i] >= 100)
			*out++ = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			*out++ = (char)('0' + a[i] / 10 % 10);
		*out++ = (char)('0' + a[i] % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

static void set_peer(struct conn *c, const struct sockaddr *sa)
{
	c->peer.sin6_family = AF_INET6;
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		c->peer.sin6_addr.s6_addr[10] = 0xff;
		c->peer.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&c->peer.sin6_addr.s6_addr[12], &in->sin_addr, 4);
		c->peer.sin6_port = in->sin_port;
		ipv4_str(&c->peer.sin6_addr.s6_addr[12], c->peer_str);
	} else if (sa && sa->sa_family == AF_INET6) {
		memcpy(&c->peer, sa, sizeof(c->peer));
		if (IN6_IS_ADDR_V4MAPPED(&c->peer.sin6_addr))
			ipv4_str(&c->peer.sin6_addr.s6_addr[12], c->peer_str);
		else
			inet_ntop(AF_INET6, &c->peer.sin6_addr, c->peer_str,
				  sizeof(c->peer_str));
	} else {
		strcpy(c->peer_str, "-");
	}
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
	http_request_reset(&c->req);
	c->req.base = c->in.data;
	memset(&c->resp, 0, sizeof(c->resp));
	c->resp.fd = -1;
	c->resp.body = &c->body;
	c->resp.hdrs = &c->hdrs;
	c->resp.segs = &c->segs;
	c->segs.len = 0;
	c->pipe_in.len = 0;
	c->req.pipe = &c->pipe_in;
	c->cur_seg = 0;
	c->seg_done = 0;
	c->head_parsed = c->msg_done = false;
	c->out.len = c->body.len = c->hdrs.len = c->raw.len = 0;
	c->out_sent = c->body_sent = 0;
	c->bytes_sent = 0;
	c->scan = 0;
	c->user = NULL;
	c->streaming = c->stream_done = false;
	c->stream_left = -1;
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
	set_peer(c, sa);
	http_parser_init(&c->parser, &c->req);
	reset_request(c);
	return c;
}

static void release_buffers(struct conn *c);

static void release(struct conn *c)
{
	cgi_stop(c);
	drop_file(c);
	release_buffers(c);
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
	server_timer_set(&c->timer, T_HEADER);
	log_debug("%s: connected", c->peer_str);
	enqueue(c);
	return c;
}

static int watch(struct conn *c)
{
	if (server_watch(c->fd, &c->w, EPOLLIN | EPOLLRDHUP | EPOLLET |
			 (c->fd == c->wfd ? EPOLLOUT : 0)) < 0 ||
	    (c->fd != c->wfd && server_watch(c->wfd, &c->w, EPOLLOUT | EPOLLET) < 0))
		return -1;
	c->watched = true;
	return 0;
}

void conn_close(struct conn *c)
{
	log_debug("%s: closed", c->peer_str);
	server_timer_clear(&c->timer);
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
	server_watcher_dead(&c->w);
	server_defer_free(c);
	server_conn_closed();
}

/* Idle connections hold no buffers: memory per idle conn is sizeof(conn). */
static void release_buffers(struct conn *c)
{
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->body);
	buf_free(&c->hdrs);
	buf_free(&c->raw);
	buf_free(&c->segs);
	buf_free(&c->pipe_in);
	c->req.base = NULL;
}

/* The bytes of the current request as received, for the dump. */
static void dump_echo(struct conn *c, size_t end)
{
	struct buf *b = &c->body;

	b->len = 0;
	if (c->raw.len) { /* the head was rewritten (bare LF): show the original */
		buf_append(b, c->raw.data, c->raw.len, HTTP_IN_MAX * 2);
		if (end > c->req.head_end)
			buf_append(b, c->in.data + c->req.head_end, end - c->req.head_end,
				   HTTP_IN_MAX * 2);
	} else {
		buf_append(b, c->in.data, end, HTTP_IN_MAX);
	}
	dump_write(b->data ? b->data : "", b->len);
	c->resp.ctype = "text/plain; charset=utf-8";
}

/* The body of an error answer: the configured page (E404:…) or ours. */
static void error_body(struct conn *c)
{
	struct response *r = &c->resp;
	struct stat st;
	int fd = config_error_page(r->status);

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		r->fd = fd;
		r->off = 0;
		r->len = st.st_size;
		r->ctype = "text/html; charset=utf-8";
		return;
	}
	if (fd >= 0)
		close(fd);
	http_error_body(r);
}

/* Describe the body as segments and total its length. */
static void plan_body(struct response *r)
{
	const struct seg *sg;
	size_t i;

	if (r->segs->len == 0) {
		if (r->fd >= 0)
			http_add_seg(r, true, r->off, r->len);
		else if (r->body->len)
			http_add_seg(r, false, 0, (off_t)r->body->len);
	}
	r->clen = 0;
	sg = (const struct seg *)r->segs->data;
	for (i = 0; i < r->segs->len / sizeof(*sg); i++)
		r->clen += sg[i].len;
}

/* Fill resp for status s and switch to SEND. */
static void respond(struct conn *c, enum status s)
{
	struct response *r = &c->resp;

	r->status = s;
	r->head_only = c->head_parsed && c->req.method == HTTP_HEAD;
	if (!c->req.keep_alive || server_stopping || c->closing)
		r->close = true;
	if (server_cfg.dump && s != S_OK && !c->msg_done)
		dump_echo(c, c->in.len);
	else if (s >= 400 && c->head_parsed && !r->ctype && api_match(&c->req))
		api_error_body(r, s); /* the API speaks JSON, even for our limits */
	else if (s >= 300 && s != S_NOT_MODIFIED && r->fd < 0 && !r->ctype)
		error_body(c);
	plan_body(r);
	c->out.len = 0;
	if (http_format_head(&c->out, r, c->req.minor, server_date()) < 0) {
		r->close = true; /* a header too large for us: plain 500 */
		c->out.len = 0;
		buf_puts(&c->out, "HTTP/1.1 500 Internal Server Error\r\n"
				  "Content-Length: 0\r\nConnection: close\r\n\r\n",
			 1024);
		r->head_only = true;
	}
	if (r->head_only)
		c->segs.len = 0;
	c->state = C_SEND;
}

/* A request that cannot be read further: answer and close. */
static enum parse refuse_why(struct conn *c, enum status s, const char *why)
{
	c->resp.why = why;
	c->closing = true;
	c->req.keep_alive = false;
	respond(c, s);
	return P_READY;
}

/* ... after a parse error: llhttp's reason, or ours set through it. */
static enum parse refuse(struct conn *c, enum status s)
{
	const char *why = llhttp_get_error_reason(&c->parser);

	return refuse_why(c, s, why && llhttp_get_errno(&c->parser) != HPE_PAUSED
				   ? why : NULL);
}

static void handle(struct conn *c)
{
	enum status s;

	c->req.stamp = c->last_read;
	if (c->cgi) { /* started at the end of the head: its answer follows */
		c->state = C_CGI;
		cgi_feed(c);
		cgi_pump(c);
		return;
	}
	if (server_cfg.dump) {
		dump_echo(c, c->pos);
		s = S_OK;
	} else if ((s = config_check(&c->req, &c->peer, &c->resp, &c->user)) != S_OK) {
		/* refused by an A:/D: rule or Basic auth */
	} else if (api_match(&c->req)) {
		s = api_serve(&c->req, &c->resp);
	} else if (c->req.cgi) {
		s = cgi_start(c);
		if (s == S_OK) {
			c->state = C_CGI; /* the script answers (conn_cgi_*) */
			return;
		}
	} else {
		s = static_serve(&c->req, &c->resp);
		if (s == S_NOT_FOUND && c->resp.fd < 0 && cgi_index(c, &s) && s == S_OK) {
			c->state = C_CGI;
			return;
		}
	}
	respond(c, s);
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
static int normalize_head(struct conn *c, size_t *end)
{
	size_t i, bare = c->bare_lf, w;

	if (!bare)
		return 0;
	if (server_cfg.dump && buf_append(&c->raw, c->in.data, *end, HTTP_IN_MAX) < 0)
		return -1;
	if (buf_reserve(&c->in, bare, HTTP_IN_MAX + HTTP_HEADER_COUNT_MAX + 2) < 0)
		return -1;
	memmove(c->in.data + *end + bare, c->in.data + *end, c->in.len - *end);
	w = *end + bare;
	for (i = *end; i-- > 0;) {
		c->in.data[--w] = c->in.data[i];
		if (c->in.data[i] == '\n' && (i == 0 || c->in.data[i - 1] != '\r'))
			c->in.data[--w] = '\r';
	}
	c->in.len += bare;
	*end += bare;
	c->req.base = c->in.data;
	return 0;
}

/* The end of the head: a blank line, CRLF or bare LF. Bare LFs seen on
 * the way are counted (for normalize_head). */
static size_t find_head_end(struct conn *c)
{
	const char *d = c->in.data, *end = d + c->in.len;
	const char *p = d + (c->scan ? c->scan : 1);

	if (!c->scan)
		c->bare_lf = d[0] == '\n';
	for (; p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
		if (p[-1] != '\r')
			c->bare_lf++;
		if (p[-1] == '\n' || (p[-1] == '\r' && p - d >= 2 && p[-2] == '\n'))
			return (size_t)(p - d) + 1;
	}
	c->scan = c->in.len;
	return 0;
}

static enum parse parse_body(struct conn *c);

static enum parse parse_head(struct conn *c)
{
	const char *nl;
	size_t end, line;
	llhttp_errno_t e;
	enum status st;
	const char *why;

	/* RFC 9112 §2.2: ignore empty lines before a request line. */
	for (line = 0; line < c->in.len && (c->in.data[line] == '\r' ||
					     c->in.data[line] == '\n'); line++)
		;
	if (line) {
		memmove(c->in.data, c->in.data + line, c->in.len - line);
		c->in.len -= line;
		c->scan = 0;
	}
	if (!c->in.len)
		return P_MORE;
	/* Not HTTP (a TLS ClientHello, binary): answered at once, not at the
	 * head timeout. */
	if (!http_line_start_ok(c->in.data, c->in.len))
		return refuse_why(c, S_BAD_REQUEST, "not the start of a request line");
	end = find_head_end(c);
	nl = memchr(c->in.data, '\n', c->in.len);
	line = nl ? (size_t)(nl - c->in.data) : c->in.len;
	if (line > HTTP_URL_MAX + REQ_LINE_SLACK)
		return memchr(c->in.data, ' ', line)
		       ? refuse_why(c, S_URI_TOO_LONG, "request line over 8 KiB")
		       /* all token bytes (checked above): a method longer than
			* any we implement, 501 (RFC 9112 §3) */
		       : refuse_why(c, S_NOT_IMPLEMENTED, "over-long method");
	if ((end ? end : c->in.len) - line > HTTP_HEADERS_MAX)
		return refuse_why(c, S_HEADERS_TOO_LARGE, "header section over 32 KiB");
	if (!end)
		return P_MORE;
	if (normalize_head(c, &end) < 0)
		return refuse_why(c, S_HEADERS_TOO_LARGE, "header section too large");
	c->req.base = c->in.data;
	e = llhttp_execute(&c->parser, c->in.data, end);
	if (e != HPE_PAUSED || llhttp_get_error_pos(&c->parser) != c->in.data + end)
		return refuse(c, c->req.error ? c->req.error
					      : http_parse_error_status(e, c->in.data, end));
	c->pos = c->req.head_end = (uint32_t)end;
	c->head_parsed = true;
	split_target(&c->req);
	if ((st = http_validate(&c->req, &why)) != S_OK)
		return refuse_why(c, st, why);
	c->req.keep_raw = server_cfg.dump;
	/* A CGI body with a length streams to the script, which starts now;
	 * a chunked one is gathered first (its length is CONTENT_LENGTH). */
	c->req.cgi = !server_cfg.dump && cgi_match(&c->req);
	c->req.to_pipe = c->req.cgi && c->req.has_body && !(c->parser.flags & F_CHUNKED);
	c->req.keep_body = server_cfg.dump || api_match(&c->req) ||
			   (c->req.cgi && !c->req.to_pipe);
	if (c->req.to_pipe) {
		if ((st = config_check(&c->req, &c->peer, &c->resp, &c->user)) != S_OK ||
		    (st = cgi_start(c)) != S_OK)
			return refuse_why(c, st, c->resp.why);
	}
	if (c->req.has_body && !(c->parser.flags & F_CHUNKED) && !c->req.to_pipe &&
	    c->parser.content_length > (c->req.keep_body ? HTTP_BODY_KEEP_MAX
							 : HTTP_BODY_DISCARD_MAX))
		return refuse_why(c, S_PAYLOAD_TOO_LARGE, "Content-Length over the limit");
	if (c->req.has_body && http_header_is(&c->req, H_EXPECT, "100-continue") &&
	    c->req.minor == 1) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		/* A fresh socket buffer always takes these few bytes; if not,
		 * the client sends its body after its own short wait. */
		if (write(c->wfd, cont, sizeof(cont) - 1) < 0)
			log_debug("%s: 100 Continue not sent", c->peer_str);
	}
	llhttp_resume(&c->parser);
	return parse_body(c);
}

/* Body bytes of a static request are dropped once parsed, but for the
 * CRLF after chunk data that is still to be checked (at most 2 bytes). */
static void drop_body(struct conn *c)
{
	struct request *r = &c->req;
	size_t keep = 0;

	/* The first chunk-size line, maybe incomplete: kept where it is (a
	 * line of a few bytes; on_chunk_header reads it whole). */
	if ((c->parser.flags & F_CHUNKED) && !r->chunk_line && !r->chunk_check) {
		c->pos = c->in.len;
		return;
	}
	if (r->chunk_check && r->chunk_end < c->in.len) {
		keep = c->in.len - r->chunk_end;
		memmove(c->in.data + r->head_end, c->in.data + r->chunk_end, keep);
	}
	if (r->chunk_check) {
		r->chunk_end = r->head_end;
		r->chunk_line = r->head_end + 2;
	}
	c->in.len = c->pos = r->head_end + keep;
}

static enum parse parse_body(struct conn *c)
{
	llhttp_errno_t e;

	for (;;) {
		if (c->req.pipe_paused)
			return P_MORE; /* the script has not taken the body so far */
		c->req.base = c->in.data;
		e = llhttp_execute(&c->parser, c->in.data + c->pos, c->in.len - c->pos);
		if (c->req.to_pipe)
			cgi_feed(c);
		if (e != HPE_PAUSED || !c->req.pipe_paused)
			break;
		/* Paused with the script's buffer full: go on once it drained. */
		c->pos = (size_t)(llhttp_get_error_pos(&c->parser) - c->in.data);
		if (c->pipe_in.len >= HTTP_PIPE_MAX)
			return P_MORE;
		c->req.pipe_paused = false;
		llhttp_resume(&c->parser);
	}
	if (e == HPE_PAUSED) {
		c->pos = (size_t)(llhttp_get_error_pos(&c->parser) - c->in.data);
		c->msg_done = true;
		handle(c);
		return P_READY;
	}
	if (e != HPE_OK)
		return refuse(c, c->req.error ? c->req.error : S_BAD_REQUEST);
	c->pos = c->in.len;
	if (!c->req.keep_body)
		drop_body(c);
	return P_MORE;
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
	if (c->in.len == c->in.cap) {
		size_t grow = c->in.cap ? c->in.cap : 2048;

		if (grow > HTTP_IN_MAX - c->in.len)
			grow = HTTP_IN_MAX - c->in.len;
		if (grow == 0 || buf_reserve(&c->in, grow, HTTP_IN_MAX) < 0)
			return -3;
		c->req.base = c->in.data;
	}
	room = c->in.cap - c->in.len;
	n = read(c->fd, c->in.data + c->in.len, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		c->can_read = errno == EINTR;
		return -1;
	}
	if (n <= 0) {
		c->eof = true;
		return n < 0 ? -2 : 0;
	}
	c->last_read = ++server_reads;
	/* The head deadline runs from its first byte; a body read gets a
	 * fresh one for each piece. */
	if (c->head_parsed || c->in.len == 0)
		server_timer_set(&c->timer, T_HEADER);
	/* A short read drained the socket: the next arrival raises a new
	 * edge, so the read that would only say EAGAIN is skipped. */
	if ((size_t)n < room && c->fd == c->wfd && !c->rdhup)
		c->can_read = false;
	c->in.len += (size_t)n;
	return n;
}

bool conn_parse(struct conn *c)
{
	if (c->state != C_RECV)
		return false;
	if (!c->head_parsed)
		return c->in.len > c->scan && parse_head(c) == P_READY;
	return parse_body(c) == P_READY;
}

void conn_cgi_head(struct conn *c, enum status s, long long clen)
{
	struct response *r = &c->resp;

	r->status = s;
	r->head_only = c->req.method == HTTP_HEAD;
	if (!c->req.keep_alive || server_stopping || c->closing)
		r->close = true;
	c->stream_left = clen;
	if (clen >= 0)
		r->clen = clen;
	else if (c->req.minor == 1)
		r->chunked = !r->head_only;
	else
		r->unframed = r->close = true; /* HTTP/1.0: the end is the close */
	c->out.len = 0;
	if (http_format_head(&c->out, r, c->req.minor, server_date()) < 0) {
		conn_cgi_fail(c, S_BAD_GATEWAY);
		return;
	}
	c->streaming = true;
	c->state = C_SEND;
	server_timer_set(&c->timer, T_WRITE);
}

size_t conn_cgi_room(const struct conn *c)
{
	size_t pending = c->body.len - c->body_sent;

	return pending < CGI_OUT_PENDING ? CGI_OUT_PENDING - pending : 0;
}

void conn_cgi_body(struct conn *c, const char *p, size_t n)
{
	if (c->resp.head_only)
		return;
	if (c->stream_left >= 0) {
		if ((long long)n > c->stream_left)
			n = (size_t)c->stream_left; /* more than announced: dropped */
		c->stream_left -= (long long)n;
	}
	if (!n)
		return;
	if (c->resp.chunked)
		buf_printf(&c->body, SIZE_MAX, "%zx\r\n", n);
	buf_append(&c->body, p, n, SIZE_MAX);
	if (c->resp.chunked)
		buf_append(&c->body, "\r\n", 2, SIZE_MAX);
}

void conn_cgi_end(struct conn *c)
{
	if (c->resp.chunked)
		buf_append(&c->body, "0\r\n\r\n", 5, SIZE_MAX);
	if (c->stream_left > 0)
		c->resp.close = true; /* fewer bytes than announced: only a
				       * close can tell the client */
	c->stream_done = true;
}

void conn_cgi_drained(struct conn *c)
{
	if (!c->req.pipe_paused || c->pipe_in.len >= HTTP_PIPE_MAX)
		return;
	c->req.pipe_paused = false;
	llhttp_resume(&c->parser);
	conn_run(c);
}

void conn_cgi_fail(struct conn *c, enum status s)
{
	cgi_stop(c);
	c->resp.why = s == S_GATEWAY_TIMEOUT ? "CGI script past its time limit"
					     : "CGI script gave no valid header block";
	c->closing = true; /* whatever the script left unread */
	respond(c, s);
	server_timer_set(&c->timer, T_WRITE);
}

static enum step do_recv(struct conn *c)
{
	for (;;) {
		ssize_t n;

		if (conn_parse(c)) {
			if (c->state == C_SEND)
				server_timer_set(&c->timer, T_WRITE);
			else
				server_timer_clear(&c->timer); /* the script's own limit */
			return STEP_AGAIN;
		}
		if (c->req.pipe_paused)
			return STEP_WAIT; /* until the script reads (conn_cgi_drained) */
		n = fill(c);
		if (n == -1)
			return STEP_WAIT;
		if (n == -3) {
			refuse_why(c, c->head_parsed ? S_PAYLOAD_TOO_LARGE : S_HEADERS_TOO_LARGE,
				   "request over the input buffer");
			server_timer_set(&c->timer, T_WRITE);
			return STEP_AGAIN;
		}
		if (n <= 0)
			return STEP_CLOSE; /* EOF or error with no whole request */
	}
}

static void finish(struct conn *c)
{
	if (c->resp.status >= 400)
		log_debug("%s: %d %s: %s", c->peer_str, c->resp.status,
			  http_status_text(c->resp.status),
			  c->resp.why ? c->resp.why : "-");
	cgi_stop(c);
	log_access(c->peer_str, c->user, &c->req, c->in.len, c->resp.status,
		   c->bytes_sent);
	drop_file(c);
}

void conn_next(struct conn *c)
{
	drop_file(c);
	memmove(c->in.data, c->in.data + c->pos, c->in.len - c->pos);
	c->in.len -= c->pos;
	c->pos = 0;
	llhttp_resume(&c->parser);
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
	if (c->resp.close && !c->closing && c->msg_done && c->in.len == c->pos &&
	    c->fd == c->wfd)
		return STEP_CLOSE;
	if (c->resp.close) {
		shutdown(c->wfd, SHUT_WR);
		release_buffers(c);
		c->state = C_LINGER;
		server_timer_set(&c->timer, T_LINGER);
		return STEP_AGAIN;
	}
	conn_next(c);
	if (c->in.len == 0) {
		release_buffers(c);
		server_timer_set(&c->timer, T_IDLE);
	} else {
		server_timer_set(&c->timer, T_HEADER);
	}
	return STEP_AGAIN;
}

static const struct seg *cur_seg(const struct conn *c)
{
	if (c->cur_seg >= c->segs.len / sizeof(struct seg))
		return NULL;
	return (const struct seg *)c->segs.data + c->cur_seg;
}

/* Head and the buffer segments that follow, in one call; sendmsg with
 * MSG_MORE when a file segment comes next, so the head shares its packet. */
static ssize_t send_buffers(struct conn *c)
{
	struct iovec iov[8];
	struct msghdr mh = { .msg_iov = iov };
	size_t i = c->cur_seg, done = c->seg_done;
	const struct seg *sg = (const struct seg *)c->segs.data;
	size_t nseg = c->segs.len / sizeof(*sg);
	bool more = false;

	if (c->out_sent < c->out.len) {
		iov[0].iov_base = c->out.data + c->out_sent;
		iov[0].iov_len = c->out.len - c->out_sent;
		mh.msg_iovlen = 1;
	}
	for (; sg && i < nseg && mh.msg_iovlen < 8; i++, done = 0) {
		if (sg[i].file) {
			more = true;
			break;
		}
		iov[mh.msg_iovlen].iov_base = c->body.data + sg[i].off + done;
		iov[mh.msg_iovlen++].iov_len = (size_t)(sg[i].len - (off_t)done);
	}
	/* writev is the lighter call; SIGPIPE is ignored (server.c). */
	if (more && c->fd == c->wfd)
		return sendmsg(c->wfd, &mh, MSG_NOSIGNAL | MSG_MORE);
	return writev(c->wfd, iov, (int)mh.msg_iovlen);
}

/* n bytes went out: advance through the head, then the segments. */
static void account(struct conn *c, size_t n)
{
	size_t head = c->out.len - c->out_sent;
	const struct seg *sg;

	if (n <= head) {
		c->out_sent += n;
		return;
	}
	c->out_sent = c->out.len;
	n -= head;
	c->bytes_sent += (long long)n;
	while (n && (sg = cur_seg(c)) != NULL) {
		size_t left = (size_t)sg->len - c->seg_done;
		size_t k = n < left ? n : left;

		c->seg_done += k;
		n -= k;
		if (c->seg_done == (size_t)sg->len) {
			c->cur_seg++;
			c->seg_done = 0;
		}
	}
}

static ssize_t send_file(struct conn *c, const struct seg *sg)
{
	off_t off = sg->off + (off_t)c->seg_done;
	off_t left = sg->len - (off_t)c->seg_done;
	ssize_t n = sendfile(c->wfd, c->resp.fd, &off, left > SENDFILE_CHUNK
					 ? SENDFILE_CHUNK : (size_t)left);

	if (n == 0) {
		errno = EIO; /* the file shrank under us */
		return -1;
	}
	return n;
}

/* A CGI answer: head, then output as the script gives it. */
static enum step do_stream(struct conn *c)
{
	for (;;) {
		struct iovec iov[2];
		int k = 0;
		size_t head;
		ssize_t n;

		if (c->out_sent == c->out.len && c->body_sent == c->body.len) {
			c->body.len = c->body_sent = 0;
			if (c->stream_done)
				return next_request(c);
			cgi_pump(c);
			if (c->state != C_SEND || !c->streaming)
				return STEP_AGAIN; /* the script failed: its answer is set */
			if (c->body.len == 0 && !c->stream_done)
				return STEP_WAIT;
			continue;
		}
		if (!c->can_write)
			return STEP_WAIT;
		if (c->out_sent < c->out.len) {
			iov[k].iov_base = c->out.data + c->out_sent;
			iov[k++].iov_len = c->out.len - c->out_sent;
		}
		if (c->body_sent < c->body.len) {
			iov[k].iov_base = c->body.data + c->body_sent;
			iov[k++].iov_len = c->body.len - c->body_sent;
		}
		n = writev(c->wfd, iov, k);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			c->can_write = false;
			return STEP_WAIT;
		}
		if (n < 0)
			return STEP_CLOSE;
		head = c->out.len - c->out_sent;
		if ((size_t)n <= head) {
			c->out_sent += (size_t)n;
		} else {
			c->out_sent = c->out.len;
			c->body_sent += (size_t)n - head;
			c->bytes_sent += (long long)((size_t)n - head);
		}
		server_timer_set(&c->timer, T_WRITE);
	}
}

static enum step do_send(struct conn *c)
{
	if (c->streaming)
		return do_stream(c);
	for (;;) {
		const struct seg *sg;
		ssize_t n;

		while ((sg = cur_seg(c)) != NULL && sg->len == 0)
			c->cur_seg++;
		if (c->out_sent == c->out.len && !sg)
			return next_request(c);
		if (!c->can_write)
			return STEP_WAIT;
		if (sg && sg->file && c->out_sent == c->out.len)
			n = send_file(c, sg);
		else
			n = send_buffers(c);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return STEP_CLOSE;
			c->can_write = false;
			return STEP_WAIT;
		}
		account(c, (size_t)n);
		server_timer_set(&c->timer, T_WRITE);
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
		case C_CGI:
			/* The client left (nginx does the same with its upstreams). */
			s = c->rdhup ? STEP_CLOSE : STEP_WAIT;
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
		if (c->state == C_RECV && !c->req.pipe_paused)
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

	if (c->state == C_RECV && c->in.len > 0 && !server_stopping) {
		refuse_why(c, S_REQUEST_TIMEOUT, "request head not complete in time");
		server_timer_set(&c->timer, T_WRITE);
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
		if (c->state == C_RECV && c->in.len == 0)
			conn_close(c);
	}
}

void conn_close_all(void)
{
	while (all)
		conn_close(all);
}
