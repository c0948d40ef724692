/* Server-sent events (text/event-stream): channels with a ring of recent
 * events, and subscribers that are stream sources. A subscriber is a read
 * position into its channel's ring, never a copy of the events: an idle
 * stream costs its small struct, and one that falls behind the ring gets
 * an explicit "dropped" event instead of holding memory. */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "http.h"

/* Largest event (its SSE text): one read of a stream always takes it. */
#define EVENTS_EVENT_MAX (12 * 1024)

struct events_channel;
struct events_sub;

/* Make the wake-up and keep-alive machinery live (after loop_init). */
int events_init(void);
/* A channel keeping the last `ring` events. NULL when out of memory. */
struct events_channel *events_channel_new(unsigned ring);
/* Append an event: "id: N", "event: type" (NULL: none), one data line
 * (data must hold no CR or LF, e.g. compact JSON). Its id, 0 when refused
 * (too large, or a line break in it). Subscribers waiting are woken from
 * the loop, never from inside this call. */
uint64_t events_publish(struct events_channel *ch, const char *type, const char *data,
			size_t n);
/* Ids in the ring: [*first, *next). */
void events_range(const struct events_channel *ch, uint64_t *first, uint64_t *next);
size_t events_subscribers(const struct events_channel *ch);

/* A subscriber reading from the event after last_id (when has_last and it
 * can still be told what it missed), else from the last `backlog` events. */
struct events_sub *events_join(struct events_channel *ch, bool has_last, uint64_t last_id,
			       unsigned backlog);
/* Up to n bytes of whole events (and comments) into p: how many; 0 at the
 * end (shutting down); -1 when none now (a wake follows). */
ssize_t events_take(struct events_sub *s, char *p, size_t n);
void events_leave(struct events_sub *s);

/* Answer req (GET or HEAD) with a stream of ch: resp->stream set, S_OK;
 * Last-Event-ID honoured, else the last `backlog` events first. */
enum status events_subscribe(struct events_channel *ch, const struct request *req,
			     struct response *resp, unsigned backlog);
/* The server stops: every stream ends cleanly after what it has. */
void events_shutdown(void);

#endif
