/* --inspect: requests as received, their answers' heads and timings,
 * published as server-sent events; the page that shows them. */
#include "inspect.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "echo.h"
#include "events.h"

#define PREFIX "/_inspect"
#define EVENTS_PATH PREFIX "/events"

bool inspect_enabled;

/* One connection, and the request on it being received or answered. */
struct rec {
	unsigned long long conn;  /* connection number */
	char peer[48];
	long long accepted;       /* µs since the epoch */
	unsigned nreq;            /* requests of it shown so far */
	bool hidden;              /* the request is the inspector's own */
	struct buf raw;           /* its first INSPECT_RAW_MAX bytes */
	unsigned long long raw_total;
	long long t_first, t_head, t_answer, t_read;
	struct buf head;          /* the answer's head */
};

static struct events_channel *channel;
static unsigned long long nconns;

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int inspect_init(void)
{
	channel = events_channel_new(INSPECT_RING);
	return channel ? 0 : -1;
}

bool inspect_match(const struct request *req)
{
	const char *p = span_ptr(req, req->path);
	size_t n = sizeof(PREFIX) - 1;

	return req->path.len >= n && memcmp(p, PREFIX, n) == 0 &&
	       (req->path.len == n || p[n] == '/');
}

static const struct inspect_asset *asset(const char *name, size_t n)
{
	const struct inspect_asset *a;

	for (a = inspect_assets; a->name; a++)
		if (strlen(a->name) == n && memcmp(a->name, name, n) == 0)
			return a;
	return NULL;
}

static const char *asset_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot && strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (dot && strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	return "text/html; charset=utf-8";
}

enum status inspect_serve(const struct request *req, struct response *resp)
{
	const char *p = span_ptr(req, req->path) + sizeof(PREFIX) - 1;
	size_t n = req->path.len - (sizeof(PREFIX) - 1);
	const struct inspect_asset *a;

	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		buf_puts(resp->hdrs, "Allow: GET, HEAD\r\n");
		return S_METHOD_NOT_ALLOWED;
	}
	if (n == sizeof("/events") - 1 && memcmp(p, "/events", n) == 0)
		return events_subscribe(channel, req, resp, INSPECT_RING);
	if (n <= 1) /* "/_inspect" or "/_inspect/" */
		a = asset("index.html", 10);
	else
		a = asset(p + 1, n - 1);
	if (!a)
		return S_NOT_FOUND;
	if (buf_append(resp->body, a->data, a->len) < 0)
		return S_INTERNAL_SERVER_ERROR;
	resp->ctype = asset_type(a->name);
	/* Client bytes are shown with textContent; this stops any script
	 * that got in anyway. */
	buf_puts(resp->hdrs, "Content-Security-Policy: default-src 'self'; "
			     "style-src 'self'; script-src 'self'; object-src 'none'\r\n"
			     "X-Content-Type-Options: nosniff\r\nCache-Control: no-cache\r\n");
	return S_OK;
}

/* --- the connection's watch callbacks ------------------------------------ */

/* Between requests a record holds no buffer (idle keep-alive connections
 * stay small with --inspect too). */
static void clear_request(struct rec *r)
{
	buf_free(&r->raw);
	r->raw_total = 0;
	buf_free(&r->head);
	r->t_first = r->t_head = r->t_answer = 0;
	r->hidden = false;
}

static void add_raw(struct rec *r, const char *p, size_t n)
{
	size_t room = INSPECT_RAW_MAX - r->raw.len;

	if (!r->raw_total)
		r->t_first = r->t_read;
	buf_append(&r->raw, p, n < room ? n : room);
	r->raw_total += n;
}

/* The request of r (its first len bytes), as one event. */
static void publish(struct rec *r, unsigned long long len, long long sent)
{
	size_t kept = r->raw.len < len ? r->raw.len : (size_t)len;
	json_t *o;
	char *text;
	int status = 0;

	if (r->hidden || !channel || (!len && !r->head.len))
		return;
	if (r->head.len > 12)
		status = (int)strtol(r->head.data + 9, NULL, 10);
	o = json_pack("{s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:b,s:o,s:i}",
		      "conn", (json_int_t)r->conn, "peer", r->peer,
		      "n", (json_int_t)++r->nreq, "accepted", (json_int_t)r->accepted,
		      "first", (json_int_t)r->t_first, "head", (json_int_t)r->t_head,
		      "answer", (json_int_t)r->t_answer, "sent", (json_int_t)sent,
		      "raw", echo_base64(r->raw.data, kept), "raw_len", (json_int_t)len,
		      "cut", kept < len, "response", echo_base64(r->head.data, r->head.len),
		      "status", status);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text)
		events_publish(channel, "request", text, strlen(text));
	free(text);
	json_decref(o);
}

void inspect_open(void **rec, const char *peer)
{
	struct rec *r = calloc(1, sizeof(*r));

	*rec = r;
	if (!r)
		return;
	buf_init(&r->raw, INSPECT_RAW_MAX);
	buf_init(&r->head, INSPECT_HEAD_MAX);
	r->conn = ++nconns;
	snprintf(r->peer, sizeof(r->peer), "%s", peer);
	r->accepted = r->t_read = now_us();
}

void inspect_read(void **rec, const char *p, size_t n)
{
	struct rec *r = *rec;

	if (!r)
		return;
	r->t_read = now_us();
	add_raw(r, p, n);
}

void inspect_head(void **rec, const struct request *req)
{
	struct rec *r = *rec;

	if (!r)
		return;
	r->t_head = now_us();
	r->hidden = inspect_match(req);
}

void inspect_answer(void **rec, const char *head, size_t n)
{
	struct rec *r = *rec;

	if (!r)
		return;
	r->t_answer = now_us();
	r->head.len = 0;
	buf_append(&r->head, head, n < INSPECT_HEAD_MAX ? n : INSPECT_HEAD_MAX);
}

void inspect_done(void **rec, const char *rest, size_t n)
{
	struct rec *r = *rec;

	if (!r)
		return;
	publish(r, r->raw_total > n ? r->raw_total - n : 0, now_us());
	clear_request(r);
	if (n)
		add_raw(r, rest, n); /* pipelined: read with the one before */
}

void inspect_close(void **rec)
{
	struct rec *r = *rec;
	char text[96];

	if (!r)
		return;
	publish(r, r->raw_total, 0); /* cut short: no answer, or not all of it */
	if (r->nreq && channel) {
		int n = snprintf(text, sizeof(text), "{\"conn\":%llu,\"at\":%lld}", r->conn,
				 now_us());

		events_publish(channel, "close", text, (size_t)n);
	}
	buf_free(&r->raw);
	buf_free(&r->head);
	free(r);
	*rec = NULL;
}
