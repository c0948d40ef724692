/* Listening sockets, the epoll loop, timers, settings shared by the loop. */
#ifndef SERVER_H
#define SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kinds of deadline; each has one fixed duration, so each queue stays
 * sorted by simply appending (O(1) set, clear and expiry). */
enum timer_kind { T_HEADER, T_IDLE, T_WRITE, T_LINGER, T_CGI, T__COUNT };

struct timer {
	struct timer *prev, *next;
	int64_t deadline;
	int kind;             /* -1 when not armed */
	void (*on_expire)(struct timer *t);
};

/* Anything in the epoll set: the loop hands it its events. */
struct watcher {
	void (*on_event)(struct watcher *w, uint32_t events);
};

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

struct server_cfg {
	int timeout_ms[T__COUNT]; /* header, keep-alive idle, write, linger, cgi */
	int grace_ms;             /* SIGTERM: time left to responses in flight */
	int max_conns;
	int verbose;
	bool dump;                /* raw-dump mode */
	bool listing;             /* directory listings */
	int workers;              /* processes sharing the listening sockets */
};

extern struct server_cfg server_cfg;
extern int64_t server_now;       /* ms, monotonic, updated once per wakeup */
/* Reads of client bytes so far: a clock that orders requests against the
 * file checks made for them (fcache_get). */
extern uint64_t server_reads;
extern bool server_stopping;

/* Split "[IP:]PORT" / "[IPv6]:PORT" (host "" for any); -1 if malformed. */
int server_parse_addr(const char *spec, char *host, size_t hsz, const char **port);
/* Parse "[IP:]PORT" / "[IPv6]:PORT"; bind and listen. -1 with a message. */
int server_listen(const char *spec);
/* --workers N > 1: fork the workers. Returns -1 in a worker (go on with
 * server_init and server_run), or, in the supervisor that passes signals
 * on and waits for them all, the exit status. */
int server_fork_workers(void);
/* Create the epoll set and signal handling; after server_listen. */
int server_init(void);
/* Serve one already connected socket or fd pair (inetd mode). */
int server_adopt(int rfd, int wfd);
/* Called on SIGHUP (configuration reload) and SIGCHLD (reaping). */
extern void (*server_hup_hook)(void);
extern void (*server_child_hook)(void);
/* Run the loop until SIGTERM/SIGINT and the grace period; exit status. */
int server_run(void);

/* epoll wrapper: w->on_event is called with the events. */
int server_watch(int fd, struct watcher *w, uint32_t events);
void server_unwatch(int fd);
/* Free p (malloc'ed) once the current batch of events is handled: events
 * for its watchers may still be in the batch. Its watchers must have been
 * passed to server_watcher_dead first, so those events are ignored. */
void server_defer_free(void *p);
void server_watcher_dead(struct watcher *w);

void server_timer_set(struct timer *t, enum timer_kind kind);
void server_timer_clear(struct timer *t);
/* A connection slot was freed: accepting may resume. */
void server_conn_closed(void);
/* Date header value for the current second. */
const char *server_date(void);

#endif
