/* Reading one connection's requests: the input buffer scanned for the end
 * of a head, the head given whole to llhttp and checked, then the body
 * framed (kept, dropped, or passed on to a script). No I/O here. */
#ifndef REQUEST_H
#define REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* The input buffer: one whole head and a kept body (HTTP_IN_MAX, what is
 * read), plus the CRs that bare-LF normalization inserts into the head. */
#define REQUEST_IN_MAX (HTTP_IN_MAX + HTTP_HEADER_COUNT_MAX + 2)
/* Body bytes on their way to a script: what waits, plus one read. */
#define REQUEST_PIPE_MAX (HTTP_PIPE_MAX + HTTP_IN_MAX)

struct reader {
	llhttp_t parser;
	struct request req;
	struct buf in;            /* raw bytes: this request, then pipelined ones */
	struct buf raw;           /* dump mode: the head as received, if rewritten */
	struct buf pipe_in;       /* request body bytes on their way to a script */
	size_t pos;               /* bytes of in consumed by llhttp */
	size_t scan;              /* head-end search resumes here */
	size_t bare_lf;           /* LFs without CR before scan */
	bool head_parsed;         /* the head is parsed (llhttp paused after it) */
	bool fast;                /* ... by fasthead: no body, llhttp untouched */
	bool no_fast;             /* every head through llhttp (tests) */
	bool msg_done;            /* llhttp paused after the message */
};

enum rq_step {
	RQ_MORE,   /* more bytes are needed */
	RQ_HEAD,   /* the head is parsed and valid: route, then request_body */
	RQ_DONE,   /* the whole message is read */
	RQ_ERROR,  /* refused: *st and *why say why */
};

/* A reader in zeroed memory made ready for its first request (no
 * request_reset needed): its buffers get their limits. */
void request_init(struct reader *rd);
/* Drop the answered request's bytes (pipelined ones after it stay in
 * rd->in); then request_reset. */
void request_next(struct reader *rd);
/* Ready for a new request (after request_init or request_next). */
void request_reset(struct reader *rd);
/* Idle: give the buffers back. */
void request_release(struct reader *rd);

/* Look for a complete head in rd->in and parse it (keep_raw: the head as
 * received is kept in rd->raw when it has to be rewritten). */
enum rq_step request_head(struct reader *rd, bool keep_raw, enum status *st,
			  const char **why);
/* After the route (req.keep_body, req.to_pipe): does the announced body
 * fit? S_OK, or the status to refuse with. */
enum status request_check_length(const struct reader *rd, const char **why);
/* Parse the body bytes in rd->in; feed(arg) is called when bytes for the
 * script (req.to_pipe) are waiting in rd->pipe_in. */
enum rq_step request_body(struct reader *rd, void (*feed)(void *arg), void *arg,
			  enum status *st, const char **why);
/* The script took body bytes: true when parsing may go on. */
bool request_pipe_drained(struct reader *rd);

#endif
