/* One client connection: its state, buffers and limits; the I/O-free
 * engine of its exchanges (connio.h drives it in the loop). */
#ifndef CONN_H
#define CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "http.h"
#include "loop.h"
#include "request.h"
#include "route.h"
#include "send.h"

enum conn_state {
	C_RECV,   /* reading a request head, then its body */
	C_SEND,   /* writing the response head and body */
	C_LINGER, /* response sent, write side shut: drain until EOF */
	C_WAIT,   /* waiting for a stream's head (a CGI script's header block) */
	C_CLOSED, /* closed, freed after the current batch of events */
};

struct conn {
	struct timer timer;
	struct watcher w;
	struct conn *prev, *next;  /* all open connections */
	struct conn *ready_next;   /* ... with events in this batch */
	bool queued;              /* in that list */
	bool watched;             /* in the epoll set (after its first run) */
	bool can_read, can_write;
	bool rdhup;               /* the peer shut its side (EOF is pending) */
	bool eof;                 /* a read saw the end (or an error) */
	bool closing;             /* close after the current answer */
	bool streaming;           /* head out, body pulled from resp.stream */
	bool proxy_pending;       /* --proxy-protocol: its header not read yet */
	bool header_due;          /* read in this batch: T_HEADER from now, set
				   * once when the reading waits */
	union {                   /* one or the other: struct conn stays < 1 KB */
		int64_t t0;       /* util_now_us() at the complete head (0: not timed) */
		size_t lingered;  /* bytes drained in C_LINGER, after the answer */
	};
	uint64_t last_read;       /* loop_reads at the last read with bytes */
	struct reader rd;         /* the request: bytes, parser, framing */
	struct route route;       /* where it goes */
	struct response resp;
	struct sender tx;         /* the response going out */
	struct buf hdrs;          /* extra response header lines */
	struct sockaddr_in6 peer; /* IPv4 peers as v4-mapped addresses; the client
				   * (as text: util_peer_str, when needed) */
	/* after peer's 28 bytes: no hole (struct conn stays under 1 KB) */
	int fd;                   /* read side (and write side for sockets) */
	int wfd;                  /* write side: differs in inetd mode on pipes */
	enum conn_state state;
	const char *user;         /* authenticated user, for the log */
	void *watch_rec;          /* the watcher's record (conn_watch) */
	/* while peer holds whom a trusted proxy forwards for: the real one */
	struct client_orig *orig;
};

/* Watching connections from above (the inspector, --inspect), without
 * this layer knowing who watches: NULL when off, one branch per event.
 * Each callback gets the slot where the watcher keeps its record. */
struct conn_watch {
	void (*open)(void **rec, const char *peer);
	/* bytes as read from the client */
	void (*read)(void **rec, const char *p, size_t n);
	/* a request's head is parsed (not called for one refused before) */
	void (*head)(void **rec, const struct request *req);
	/* the head of its answer, as it goes out */
	void (*answer)(void **rec, const char *head, size_t n);
	/* the answer is sent; rest: bytes already read after the request */
	void (*done)(void **rec, const char *rest, size_t n);
	void (*close)(void **rec);
};
extern const struct conn_watch *conn_watch;

/* The I/O-free engine, for the loop (connio) and for tests and fuzzing: */
/* A connection not (yet) in the loop. */
struct conn *conn_new(int fd, int wfd, const struct sockaddr *sa);
void conn_free(struct conn *c);
/* The memory of a released connection (conn_release), kept for the next
 * conn_new (a few: they cost sizeof(struct conn) each) or freed. */
void conn_recycle(void *p);
/* Parse what is in c->rd.in; true when an answer is ready (state C_SEND,
 * head in c->out, body in c->segs). */
bool conn_parse(struct conn *c);
/* Drop the answered request and get ready for the next one (after
 * conn_finish, which dropped its file). */
void conn_next(struct conn *c);

/* For the loop's side (connio): */
/* Fill resp for status s and switch to SEND. */
void conn_respond(struct conn *c, enum status s);
/* A request that cannot be read further: answer s and close. */
void conn_refuse(struct conn *c, enum status s, const char *why);
/* The answer is out: the log line, the metrics, the watcher. */
void conn_finish(struct conn *c);
/* The stream answering this request, if any, ends. */
void conn_stream_stop(struct conn *c);
/* Request body bytes for the stream (a script's stdin). */
void conn_stream_feed(struct conn *c);
/* A stream's wake (set by connio): the connection runs again. */
extern void (*conn_stream_wake)(void *ctx, enum status fail);
/* A -vv line about c: its peer (as text only when shown), then what. */
void conn_debug(const struct conn *c, const char *what);
/* Idle connections hold no buffers. */
void conn_release_buffers(struct conn *c);
/* All the connection holds, before it is freed. */
void conn_release(struct conn *c);

enum conn_event { CW_OPEN, CW_READ, CW_HEAD, CW_ANSWER, CW_DONE, CW_CLOSE };
void conn_report_event(struct conn *c, enum conn_event e, size_t n);
/* Tell the watcher, if any: one predictable branch when there is none. */
static inline void conn_report(struct conn *c, enum conn_event e, size_t n)
{
	if (__builtin_expect(conn_watch != NULL, 0))
		conn_report_event(c, e, n);
}

#endif
