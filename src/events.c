/* Server-sent events: a ring per channel, a read position per subscriber. */
#include "events.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "loop.h"

#define PING_MS 15000         /* a comment this often keeps proxies from timing out */
#define RETRY_MS 3000         /* the client reconnects after this */
#define ID_MAX 20             /* digits of a uint64_t */

struct event {
	uint64_t id;
	struct buf text;          /* the whole SSE text of the event */
};

struct events_channel {
	struct event *ring;
	unsigned cap;
	uint64_t first, next;     /* ids in the ring: [first, next) */
	struct events_sub *subs;
	size_t nsubs;
	bool dirty;               /* published since the last wake-up */
	struct timer ping;
	struct events_channel *next_ch;
};

struct events_sub {
	struct stream stream;     /* what the connection sees (first member) */
	struct events_channel *ch;
	struct events_sub *prev, *next;
	uint64_t pos;             /* id of the next event to send */
	bool waiting;             /* took everything: wake it on publish */
	bool hello, ping, head_only;
};

static struct events_channel *channels;
static bool live, stopping;
static int efd = -1;
static bool efd_armed;
static struct watcher efd_watcher;

static void wake_waiting(struct events_channel *ch)
{
	struct events_sub *s, *next;

	for (s = ch->subs; s; s = next) {
		next = s->next; /* s may leave during its wake */
		if (s->waiting && s->stream.wake) {
			s->waiting = false;
			s->stream.wake(s->stream.ctx, 0);
		}
	}
}

/* Publishing only marks the channel: the wake-ups come from the loop, so
 * a publisher (a connection's handler) never runs another connection. */
static void on_efd(struct watcher *w, uint32_t events)
{
	struct events_channel *ch;
	uint64_t v;

	(void)w;
	(void)events;
	if (read(efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was pending */
	}
	efd_armed = false;
	for (ch = channels; ch; ch = ch->next_ch) {
		if (ch->dirty) {
			ch->dirty = false;
			wake_waiting(ch);
		}
	}
}

static void on_ping(struct timer *t)
{
	struct events_channel *ch = container_of(t, struct events_channel, ping);
	struct events_sub *s;

	for (s = ch->subs; s; s = s->next)
		s->ping = true;
	wake_waiting(ch);
	if (!stopping)
		loop_timer_set(&ch->ping, T_EVENTS);
}

int events_init(void)
{
	struct events_channel *ch;
	int w = loop_timeout_ms[T_WRITE];

	/* A stream with nothing to say must still make progress within the
	 * write timeout. */
	loop_timeout_ms[T_EVENTS] = w / 2 < PING_MS ? (w / 2 > 0 ? w / 2 : 1) : PING_MS;
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	efd_watcher.on_event = on_efd;
	if (efd < 0 || loop_watch(efd, &efd_watcher, EPOLLIN) < 0)
		return -1;
	live = true;
	for (ch = channels; ch; ch = ch->next_ch)
		loop_timer_set(&ch->ping, T_EVENTS);
	return 0;
}

struct events_channel *events_channel_new(unsigned ring)
{
	struct events_channel *ch = calloc(1, sizeof(*ch));
	unsigned i;

	if (!ch || !ring || !(ch->ring = calloc(ring, sizeof(*ch->ring)))) {
		free(ch);
		return NULL;
	}
	ch->cap = ring;
	for (i = 0; i < ring; i++)
		buf_init(&ch->ring[i].text, EVENTS_EVENT_MAX);
	ch->first = ch->next = 1; /* 0 is no id */
	ch->ping.kind = -1;
	ch->ping.on_expire = on_ping;
	ch->next_ch = channels;
	channels = ch;
	if (live)
		loop_timer_set(&ch->ping, T_EVENTS);
	return ch;
}

uint64_t events_publish(struct events_channel *ch, const char *type, const char *data,
			size_t n)
{
	struct event *ev;
	uint64_t id = ch->next;

	size_t need = 4 + ID_MAX + 1 + (type ? 8 + strlen(type) : 0) + 6 + n + 2;

	if (need > EVENTS_EVENT_MAX || memchr(data, '\n', n) || memchr(data, '\r', n) ||
	    (type && strpbrk(type, "\r\n")))
		return 0;
	ev = &ch->ring[id % ch->cap];
	ev->text.len = 0;
	if (buf_printf(&ev->text, "id: %" PRIu64 "\n", id) < 0 ||
	    (type && buf_printf(&ev->text, "event: %s\n", type) < 0) ||
	    buf_puts(&ev->text, "data: ") < 0 ||
	    buf_append(&ev->text, data, n) < 0 ||
	    buf_puts(&ev->text, "\n\n") < 0) {
		ev->text.len = 0;
		if (ev->id && ev->id >= ch->first)
			ch->first = ev->id + 1; /* its old event is gone too */
		ev->id = 0;
		return 0;
	}
	ev->id = id;
	ch->next = id + 1;
	if (ch->next - ch->first > ch->cap)
		ch->first = ch->next - ch->cap;
	ch->dirty = true;
	if (live && !efd_armed) {
		uint64_t one = 1;

		efd_armed = write(efd, &one, sizeof(one)) == sizeof(one);
	}
	return id;
}

void events_range(const struct events_channel *ch, uint64_t *first, uint64_t *next)
{
	*first = ch->first;
	*next = ch->next;
}

size_t events_subscribers(const struct events_channel *ch)
{
	return ch->nsubs;
}

struct events_sub *events_join(struct events_channel *ch, bool has_last, uint64_t last_id,
			       unsigned backlog)
{
	struct events_sub *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ch = ch;
	s->hello = true;
	if (has_last && last_id < ch->next)
		s->pos = last_id + 1; /* resume: what fell off the ring is reported */
	else
		s->pos = ch->next - ch->first > backlog ? ch->next - backlog : ch->first;
	s->next = ch->subs;
	if (ch->subs)
		ch->subs->prev = s;
	ch->subs = s;
	ch->nsubs++;
	return s;
}

void events_leave(struct events_sub *s)
{
	struct events_channel *ch = s->ch;

	if (s->prev)
		s->prev->next = s->next;
	else
		ch->subs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	ch->nsubs--;
	free(s);
}

/* Copy text if it fits whole. */
static bool put(char *p, size_t n, size_t *k, const char *t, size_t len)
{
	if (len > n - *k)
		return false;
	memcpy(p + *k, t, len);
	*k += len;
	return true;
}

ssize_t events_take(struct events_sub *s, char *p, size_t n)
{
	struct events_channel *ch = s->ch;
	char line[96];
	size_t k = 0;
	int len;

	if (s->head_only)
		return 0;
	if (s->hello) {
		len = snprintf(line, sizeof(line), "retry: %d\n\n", RETRY_MS);
		if (!put(p, n, &k, line, (size_t)len))
			return -1;
		s->hello = false;
	}
	if (s->ping && put(p, n, &k, ": keep-alive\n\n", 14))
		s->ping = false;
	if (s->pos < ch->first) {
		/* Fell behind the ring: say how much, go on from the oldest. */
		len = snprintf(line, sizeof(line), "event: dropped\ndata: {\"dropped\":%" PRIu64
			       "}\n\n", ch->first - s->pos);
		if (!put(p, n, &k, line, (size_t)len))
			return k ? (ssize_t)k : -1;
		s->pos = ch->first;
	}
	while (s->pos < ch->next) {
		const struct event *ev = &ch->ring[s->pos % ch->cap];

		if (!put(p, n, &k, ev->text.data, ev->text.len))
			break; /* the rest on the next read: the connection has bytes */
		s->pos++;
	}
	if (k)
		return (ssize_t)k;
	if (stopping)
		return 0;
	s->waiting = s->pos == ch->next;
	return -1;
}

/* --- the stream interface ------------------------------------------------ */

static struct events_sub *sub_of(struct stream *st)
{
	return container_of(st, struct events_sub, stream);
}

static int sub_head(struct stream *st, struct response *resp, long long *clen)
{
	(void)st;
	resp->status = S_OK;
	resp->ctype = "text/event-stream";
	/* no caching; no buffering in proxies that honour it (nginx) */
	buf_puts(resp->hdrs, "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n");
	*clen = -1;
	return 1;
}

static ssize_t sub_read(struct stream *st, char *p, size_t n)
{
	return events_take(sub_of(st), p, n);
}

static void sub_stop(struct stream *st)
{
	events_leave(sub_of(st));
}

static const struct stream_ops sub_ops = { sub_head, sub_read, NULL, sub_stop };

/* Last-Event-ID: a decimal id, as we send them. */
static bool last_event_id(const struct request *req, uint64_t *id)
{
	struct span v;
	const char *p;
	uint32_t i;

	if (!http_header_find(req, "Last-Event-ID", &v) || !v.len || v.len > ID_MAX)
		return false;
	p = span_ptr(req, v);
	*id = 0;
	for (i = 0; i < v.len; i++) {
		if (p[i] < '0' || p[i] > '9' || *id > (UINT64_MAX - 9) / 10)
			return false;
		*id = *id * 10 + (uint64_t)(p[i] - '0');
	}
	return true;
}

enum status events_subscribe(struct events_channel *ch, const struct request *req,
			     struct response *resp, unsigned backlog)
{
	uint64_t last = 0;
	bool has_last = last_event_id(req, &last);
	struct events_sub *s;

	if (stopping)
		return S_SERVICE_UNAVAILABLE;
	s = events_join(ch, has_last, last, backlog);
	if (!s)
		return S_SERVICE_UNAVAILABLE;
	s->head_only = req->method == HTTP_HEAD;
	s->stream.ops = &sub_ops;
	resp->stream = &s->stream;
	return S_OK;
}

void events_shutdown(void)
{
	struct events_channel *ch;
	struct events_sub *s;

	stopping = true;
	for (ch = channels; ch; ch = ch->next_ch) {
		loop_timer_clear(&ch->ping);
		for (s = ch->subs; s; s = s->next)
			s->waiting = true;
		wake_waiting(ch);
	}
}
