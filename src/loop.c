/* The event loop: epoll, timer queues, deferred frees. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

#include "util.h"

#define MAX_EVENTS 256

int loop_timeout_ms[T__COUNT] = {
	[T_HEADER] = 10000, /* a whole request head (slowloris) */
	[T_IDLE] = 30000,   /* keep-alive between requests */
	[T_WRITE] = 30000,  /* no progress writing a response */
	[T_LINGER] = 2000,  /* draining after an error answer */
	[T_CGI] = 60000,    /* a CGI script's whole run */
	[T_EVENTS] = 15000, /* a comment on idle event streams, for proxies */
	[T_PROXY] = 60000,  /* an upstream's silence (connect, answer) */
};
int64_t loop_now;
uint64_t loop_reads;
uint64_t loop_wait_reads;
int64_t loop_wait_ns;
bool loop_whole;
bool loop_stopping;
bool loop_draining;

static int epfd = -1;
/* The second of the last wakeup, for the Date of the answers it brings:
 * one time() per batch, not per answer (a batch takes milliseconds). */
static time_t wall;
static struct timer queues[T__COUNT]; /* circular lists, head sentinels */

int loop_init(void)
{
	int k;

	for (k = 0; k < T__COUNT; k++) {
		queues[k].next = queues[k].prev = &queues[k];
		queues[k].kind = -1;
	}
	loop_now = util_now_ms();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	return epfd < 0 ? -1 : 0;
}

int loop_watch(int fd, struct watcher *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static struct watcher *first;

int loop_watch_first(int fd, struct watcher *w)
{
	if (loop_watch(fd, w, EPOLLIN) < 0)
		return -1;
	first = w;
	return 0;
}

void loop_unwatch(int fd)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void ignore_event(struct watcher *w, uint32_t events)
{
	(void)w;
	(void)events;
}

void loop_watcher_dead(struct watcher *w)
{
	w->on_event = ignore_event;
}

struct dead {
	void *p;
	void (*release)(void *p);
};
static struct dead *dead;
static size_t ndead, dead_cap;

void loop_defer_release(void *p, void (*release)(void *p))
{
	if (ndead == dead_cap) {
		size_t cap = dead_cap ? dead_cap * 2 : 64;
		struct dead *d = realloc(dead, cap * sizeof(*d));

		if (!d) {
			/* Out of memory: leaking p is safer than freeing it early. */
			return;
		}
		dead = d;
		dead_cap = cap;
	}
	dead[ndead].p = p;
	dead[ndead++].release = release;
}

void loop_defer_free(void *p)
{
	loop_defer_release(p, free);
}

void loop_free_dead(void)
{
	while (ndead) {
		ndead--;
		dead[ndead].release(dead[ndead].p);
	}
}

void loop_timer_clear(struct timer *t)
{
	if (t->kind < 0)
		return;
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->kind = -1;
}

void loop_timer_set(struct timer *t, enum timer_kind kind)
{
	struct timer *q = &queues[kind];

	loop_timer_clear(t);
	t->kind = (int)kind;
	t->deadline = loop_now + loop_timeout_ms[kind];
	t->prev = q->prev;
	t->next = q;
	q->prev->next = t;
	q->prev = t;
}

int64_t loop_next_deadline(void)
{
	int64_t d = INT64_MAX;
	int k;

	for (k = 0; k < T__COUNT; k++)
		if (queues[k].next != &queues[k] && queues[k].next->deadline < d)
			d = queues[k].next->deadline;
	return d;
}

void loop_expire_timers(void)
{
	int k;

	for (k = 0; k < T__COUNT; k++) {
		struct timer *q = &queues[k];

		while (q->next != q && q->next->deadline <= loop_now) {
			struct timer *t = q->next;

			loop_timer_clear(t);
			t->on_expire(t);
		}
	}
}

int loop_wait(int64_t d)
{
	struct epoll_event ev[MAX_EVENTS];
	int n, i, wait = -1;

	if (d != INT64_MAX)
		wait = d <= loop_now ? 0 : (int)(d - loop_now);
	loop_wait_ns = util_real_ns();
	/* a tick of its own: checks made before the wait stay before the
	 * reads it stamps (connio.c) */
	loop_wait_reads = ++loop_reads;
	n = epoll_wait(epfd, ev, MAX_EVENTS, wait);
	if (n < 0 && errno != EINTR)
		return -1;
	loop_now = util_now_ms();
	{
		int64_t t = util_real_ns();

		wall = (time_t)(t / 1000000000);
		loop_whole = n >= 0 && n < MAX_EVENTS && t >= loop_wait_ns;
	}
	for (i = 0; i < n; i++) /* the first watcher's event first */
		if (ev[i].data.ptr == first)
			first->on_event(first, ev[i].events);
	for (i = 0; i < n; i++) {
		struct watcher *w = ev[i].data.ptr;

		if (w != first)
			w->on_event(w, ev[i].events);
	}
	return 0;
}

const char *loop_date(void)
{
	static char date[HTTP_DATE_LEN];
	static time_t last;
	time_t now = wall ? wall : time(NULL); /* no loop (tests): asked */

	if (now != last) {
		util_http_date(now, date);
		last = now;
	}
	return date;
}
