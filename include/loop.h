/* The event loop: an epoll set of watchers, timer queues, deferred frees.
 * It knows nothing of HTTP; callers above it get their events through
 * the function pointers they register (a watcher, a timer). */
#ifndef LOOP_H
#define LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Kinds of deadline; each has one fixed duration, so each queue stays
 * sorted by simply appending (O(1) set, clear and expiry). */
enum timer_kind { T_HEADER, T_IDLE, T_WRITE, T_LINGER, T_CGI,
		  T_EVENTS, /* server-sent events: the keep-alive comment */
		  T_PROXY,  /* a P: upstream's silence */
		  T__COUNT };

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

/* Duration of each kind of deadline (header, keep-alive idle, write,
 * linger, cgi, proxy), in ms. */
extern int loop_timeout_ms[T__COUNT];
extern int64_t loop_now;         /* ms, monotonic, updated once per wakeup */
/* Reads of client bytes so far, and one tick per wait: a clock that
 * orders requests against the file checks made for them (fcache_get). */
extern uint64_t loop_reads;
/* The batch's wait, for what it proves about the bytes read in it: its
 * tick of loop_reads and the time (CLOCK_REALTIME, ns) just before its
 * epoll_wait, and whether the batch is whole: every ready watcher in it
 * (fewer events than the most one wait takes) and the clock not gone
 * back across the wait. In a whole batch, the first watcher (below) has
 * been handed any event that was pending when the wait began, so what it
 * reports covers whatever happened before bytes that arrived earlier. */
extern uint64_t loop_wait_reads;
extern int64_t loop_wait_ns;
extern bool loop_whole;
extern bool loop_stopping;       /* the server is stopping (SIGTERM) */
extern bool loop_draining;       /* --drain: still serving, every answer closes */

/* Create the epoll set and the timer queues. */
int loop_init(void);
/* Wait for events until the deadline (INT64_MAX: none) and hand them to
 * their watchers; then loop_now is fresh. -1 on error (not EINTR). */
int loop_wait(int64_t deadline);
/* The earliest armed deadline, INT64_MAX when none. */
int64_t loop_next_deadline(void);
/* Run the handlers of the deadlines now past. */
void loop_expire_timers(void);
/* Free what loop_defer_free was given: no event of the batch is left. */
void loop_free_dead(void);

/* epoll wrapper: w->on_event is called with the events. */
int loop_watch(int fd, struct watcher *w, uint32_t events);
/* The one watcher handed its event before the others of each batch
 * (EPOLLIN, level-triggered): fwatch's queue of file changes, read before
 * any request of the batch is answered. */
int loop_watch_first(int fd, struct watcher *w);
void loop_unwatch(int fd);
/* Free p (malloc'ed) once the current batch of events is handled: events
 * for its watchers may still be in the batch. Its watchers must have been
 * passed to loop_watcher_dead first, so those events are ignored. */
void loop_defer_free(void *p);
/* The same with release(p) instead of free(p) (a free list's). */
void loop_defer_release(void *p, void (*release)(void *p));
void loop_watcher_dead(struct watcher *w);

void loop_timer_set(struct timer *t, enum timer_kind kind);
void loop_timer_clear(struct timer *t);
/* Date header value for the current second. */
const char *loop_date(void);

#endif
