/* Writing one response: the head, with a small body joined behind it, by
 * write; the head and body buffers by writev (sendmsg with MSG_MORE
 * before a file piece); file pieces by sendfile. */
#ifndef SEND_H
#define SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "http.h"

/* A generated body (a directory listing, a dump) or a stream's pieces. */
#define SEND_BODY_MAX (4 * 1024 * 1024)

struct sender {
	struct buf out;           /* response head (+ out_body bytes of body) */
	struct buf body;          /* generated response body (or a stream's piece) */
	struct segs segs;         /* response body pieces */
	size_t cur_seg, seg_done; /* progress through segs */
	size_t out_sent;          /* bytes of out written */
	long long bytes_sent;     /* body bytes, for the access log */
	long long stream_left;    /* length a stream announced, or -1 */
	bool stream_done;         /* ... and its end is in body */
	bool stream_broken;       /* ... or it broke off: close */
	uint32_t out_body;        /* body bytes joined behind the head in out */
	uint16_t kept;            /* not 0: the head is these bytes kept just
				   * before the only piece's (a cached file's),
				   * not in out, until the first write */
};

/* out emptied, for a new head. */
static inline void send_out_clear(struct sender *tx)
{
	tx->out.len = tx->out_sent = 0;
	tx->out_body = 0;
	tx->kept = 0;
}

/* Its buffers made (tx zeroed), with their limits. */
void send_init(struct sender *tx);
/* Ready for a new response. */
void send_reset(struct sender *tx);
/* Idle: give the buffers back. */
void send_release(struct sender *tx);
/* resp's head: the one its cached file keeps before the only piece's
 * bytes when it is that (tx->kept), else formatted into out (a plain 500
 * when it does not fit); no body pieces for a HEAD. */
void send_head(struct sender *tx, struct response *resp, int minor);
/* The head just made by send_head, *n bytes long. */
static inline const char *send_head_bytes(const struct sender *tx, size_t *n)
{
	const struct seg *sg = http_segs(&tx->segs);

	*n = tx->kept ? tx->kept : tx->out.len;
	return tx->kept ? sg->mem + sg->off - tx->kept : tx->out.data;
}
/* The body piece being written, NULL when none is left. */
static inline const struct seg *send_cur_seg(const struct sender *tx)
{
	if (tx->cur_seg >= tx->segs.n)
		return NULL;
	return http_segs(&tx->segs) + tx->cur_seg;
}

/* Head and every piece written? (Empty pieces are stepped over.) */
static inline bool send_done(struct sender *tx)
{
	const struct seg *sg;

	if (tx->kept || tx->out_sent < tx->out.len)
		return false; /* the head first (a new answer: no piece looked at) */
	while ((sg = send_cur_seg(tx)) != NULL && sg->len == 0)
		tx->cur_seg++;
	return tx->out_sent == tx->out.len && !sg;
}
/* Write what wfd takes now (file pieces from fd; sock: wfd is a socket):
 * bytes written, or -1 with errno. */
ssize_t send_some(struct sender *tx, int wfd, int fd, bool sock);
/* Drop the body pieces written, for the next piece of a stream. */
void send_body_reset(struct sender *tx);

/* A stream's answer (resp->stream) follows, clen bytes long; -1:
 * unknown, so chunked (HTTP/1.1) or ended by the close (1.0). */
void send_stream_start(struct sender *tx, struct response *resp, long long clen,
		       int minor);
/* The stream's next piece into the body, framed (chunked when
 * resp->chunked; no more than announced): what it has now, up to 64 KiB. */
void send_stream_pull(struct sender *tx, struct response *resp);

#endif
