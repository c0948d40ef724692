/* Writing one response: head and buffers by write or writev, files by
 * sendfile. */
#include "send.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "loop.h"

#define SENDFILE_CHUNK (1 << 20)  /* keeps one big file from hogging the loop */
#define IOV_MAX_USED 8
#define STREAM_PENDING (64 * 1024) /* stream output buffered before backpressure */
#define STREAM_READ (16 * 1024)   /* one read from a stream */

void send_init(struct sender *tx)
{
	buf_init(&tx->out, HTTP_RESP_HEAD_MAX);
	buf_init(&tx->body, SEND_BODY_MAX);
}

void send_reset(struct sender *tx)
{
	send_out_clear(tx);
	tx->body.len = 0;
	tx->segs.n = 0;
	tx->cur_seg = tx->seg_done = 0;
	tx->bytes_sent = 0;
	tx->stream_left = -1;
	tx->stream_done = false;
	tx->stream_broken = false;
}

void send_release(struct sender *tx)
{
	buf_free(&tx->out);
	buf_free(&tx->body);
	http_segs_free(&tx->segs);
}

void send_head(struct sender *tx, struct response *resp, int minor)
{
	const struct seg *sg = http_segs(&tx->segs);
	const char *date = loop_date(), *h;
	size_t n;

	send_out_clear(tx);
	if (resp->head_only)
		tx->segs.n = 0;
	if (tx->segs.n == 1 && sg->front && (h = http_kept_head(resp, minor, date, &n)) != NULL &&
	    h + n == sg->mem + sg->off) {
		tx->kept = (uint16_t)n; /* n < HTTP_SEG_FRONT */
		return;
	}
	if (http_format_head(&tx->out, resp, minor, date) < 0) {
		resp->close = true; /* a header too large for us: plain 500 */
		tx->out.len = 0;
		buf_puts(&tx->out, "HTTP/1.1 500 Internal Server Error\r\n"
				   "Connection: close\r\nContent-Length: 0\r\n\r\n");
		resp->head_only = true;
		tx->segs.n = 0;
	}
}

void send_body_reset(struct sender *tx)
{
	tx->body.len = 0;
	tx->segs.n = 0;
	tx->cur_seg = tx->seg_done = 0;
}

/* Before an answer's first write: the memory pieces that come first,
 * copied behind the head while they fit in its buffer's room (a small
 * file's bytes, most often), so that the answer is one buffer and goes
 * out by write(). The kernel takes a writev of head + body for ~0.25 us
 * more than a write of the same bytes in one piece (measured on
 * loopback, more than the copy of a body under 2 KiB costs). */
static void join_body(struct sender *tx)
{
	const struct seg *sg = http_segs(&tx->segs);
	size_t room = tx->out.cap - tx->out.len;

	for (; tx->cur_seg < tx->segs.n && !sg[tx->cur_seg].file; tx->cur_seg++) {
		const struct seg *s = &sg[tx->cur_seg];
		size_t n = (size_t)s->len;

		if (n > room)
			break;
		if (n)
			memcpy(tx->out.data + tx->out.len,
			       (const char *)(s->mem ? s->mem : tx->body.data) + s->off, n);
		tx->out.len += n;
		tx->out_body += (uint32_t)n;
		room -= n;
	}
}

/* An answer's first write when its head is kept just before its only
 * piece's bytes (tx->kept: a cached file's): head and body in one write
 * from there, nothing copied. The kept head's Date changes with a later
 * second's answer, so what the write leaves (all, when it could not
 * write) goes on as any answer's: the rest of the head copied into out
 * now, the piece from where the write stopped. */
static ssize_t send_kept(struct sender *tx, int wfd)
{
	const struct seg *sg = http_segs(&tx->segs);
	size_t hl = tx->kept, all = hl + (size_t)sg->len, done;
	const char *head = sg->mem + sg->off - hl;
	ssize_t n = write(wfd, head, all);
	int e;

	tx->kept = 0;
	if (n == (ssize_t)all) { /* mostly */
		tx->bytes_sent += sg->len;
		tx->cur_seg = tx->segs.n;
		return n;
	}
	e = errno; /* the write's, kept across buf_append */
	done = n > 0 ? (size_t)n : 0;
	if (done < hl && buf_append(&tx->out, head + done, hl - done) < 0)
		return -1; /* ENOMEM: the connection closes */
	if (done > hl) {
		tx->seg_done = done - hl;
		tx->bytes_sent += (long long)tx->seg_done;
	}
	errno = e;
	return n;
}

/* Head and the buffer segments that follow, in one call (write for one
 * buffer, the lighter call); sendmsg with MSG_MORE when a file segment
 * comes next, so the head shares its packet. *all: the bytes of the call
 * when they are all that is left, else SIZE_MAX. */
static ssize_t send_buffers(const struct sender *tx, int wfd, bool sock, size_t *all)
{
	struct iovec iov[IOV_MAX_USED];
	size_t i = tx->cur_seg, done = tx->seg_done, niov = 0, total = 0;
	const struct seg *sg = http_segs(&tx->segs);
	size_t nseg = tx->segs.n;
	bool more = false;

	if (tx->out_sent < tx->out.len) {
		iov[0].iov_base = tx->out.data + tx->out_sent;
		iov[0].iov_len = total = tx->out.len - tx->out_sent;
		niov = 1;
	}
	for (; i < nseg && niov < IOV_MAX_USED; i++, done = 0) {
		if (sg[i].file) {
			more = true;
			break;
		}
		iov[niov].iov_base = (char *)(sg[i].mem ? sg[i].mem : tx->body.data) +
				     sg[i].off + done;
		total += iov[niov++].iov_len = (size_t)(sg[i].len - (off_t)done);
	}
	*all = i == nseg ? total : SIZE_MAX;
	/* SIGPIPE is ignored (server.c). The msghdr only for sendmsg: a
	 * local count stays in a register. */
	if (more && sock) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = niov };

		return sendmsg(wfd, &mh, MSG_NOSIGNAL | MSG_MORE);
	}
	if (niov == 1)
		return write(wfd, iov[0].iov_base, iov[0].iov_len);
	return writev(wfd, iov, (int)niov);
}

/* n bytes went out: advance through out, then the segments (all of
 * them at once when n is all that was left, as it mostly is); the body
 * bytes among them (those of out past the head, then the segments')
 * counted for the log. */
static void account(struct sender *tx, size_t n, size_t all)
{
	size_t left = tx->out.len - tx->out_sent;
	size_t hlen = tx->out.len - tx->out_body;
	size_t head = tx->out_sent < hlen ? hlen - tx->out_sent : 0;
	const struct seg *sg;

	tx->bytes_sent += (long long)(n > head ? n - head : 0);
	if (n == all) {
		tx->out_sent = tx->out.len;
		tx->cur_seg = tx->segs.n;
		tx->seg_done = 0;
		return;
	}
	if (n <= left) {
		tx->out_sent += n;
		return;
	}
	tx->out_sent = tx->out.len;
	n -= left;
	while (n && (sg = send_cur_seg(tx)) != NULL) {
		size_t rest = (size_t)sg->len - tx->seg_done;
		size_t k = n < rest ? n : rest;

		tx->seg_done += k;
		n -= k;
		if (tx->seg_done == (size_t)sg->len) {
			tx->cur_seg++;
			tx->seg_done = 0;
		}
	}
}

static ssize_t send_file(const struct sender *tx, const struct seg *sg, int wfd, int fd)
{
	off_t off = sg->off + (off_t)tx->seg_done;
	off_t left = sg->len - (off_t)tx->seg_done;
	ssize_t n = sendfile(wfd, fd, &off, left > SENDFILE_CHUNK
			     ? SENDFILE_CHUNK : (size_t)left);

	if (n == 0) {
		errno = EIO; /* the file shrank under us */
		return -1;
	}
	return n;
}

ssize_t send_some(struct sender *tx, int wfd, int fd, bool sock)
{
	const struct seg *sg;
	size_t all = SIZE_MAX;
	ssize_t n;

	if (tx->kept)
		return send_kept(tx, wfd);
	if (!tx->out_sent && tx->out.len) /* the first write: no piece begun */
		join_body(tx);
	sg = send_cur_seg(tx);
	if (sg && sg->file && tx->out_sent == tx->out.len)
		n = send_file(tx, sg, wfd, fd);
	else
		n = send_buffers(tx, wfd, sock, &all);
	if (n > 0)
		account(tx, (size_t)n, all);
	return n;
}

/* --- a stream's body, framed as it comes --------------------------------- */

static void stream_body(struct sender *tx, struct response *resp, const char *p, size_t n)
{
	if (resp->head_only)
		return;
	if (tx->stream_left >= 0) {
		if ((long long)n > tx->stream_left)
			n = (size_t)tx->stream_left; /* more than announced: dropped */
		tx->stream_left -= (long long)n;
	}
	if (!n)
		return;
	if (resp->chunked)
		buf_printf(&tx->body, "%zx\r\n", n);
	buf_append(&tx->body, p, n);
	if (resp->chunked)
		buf_append(&tx->body, "\r\n", 2);
}

static void stream_end(struct sender *tx, struct response *resp)
{
	if (resp->chunked)
		buf_append(&tx->body, "0\r\n\r\n", 5);
	if (tx->stream_left > 0)
		resp->close = true; /* fewer bytes than announced: only a
				       * close can tell the client */
	tx->stream_done = true;
}

void send_stream_start(struct sender *tx, struct response *resp, long long clen,
		       int minor)
{
	tx->stream_left = clen;
	tx->stream_done = false;
	if (clen >= 0)
		resp->clen = clen;
	else if (minor == 1)
		resp->chunked = !resp->head_only;
	else
		resp->unframed = resp->close = true; /* HTTP/1.0: the end is the close */
}

void send_stream_pull(struct sender *tx, struct response *resp)
{
	struct stream *s = resp->stream;
	char tmp[STREAM_READ];

	send_body_reset(tx);
	while (!tx->stream_done && tx->body.len < STREAM_PENDING) {
		size_t room = STREAM_PENDING - tx->body.len;
		ssize_t n = s->ops->read(s, tmp, room < sizeof(tmp) ? room : sizeof(tmp));

		if (n == -2)
			tx->stream_broken = true;
		if (n < 0)
			break;
		if (n == 0)
			stream_end(tx, resp);
		else
			stream_body(tx, resp, tmp, (size_t)n);
	}
	if (tx->body.len)
		http_add_seg(resp, false, 0, (off_t)tx->body.len);
}
