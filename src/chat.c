/* --chat: messages in, a stream of everyone's messages out. */
#include "chat.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "loop.h"

#define CHAT_PATH "/api/chat"
#define ALLOW "Allow: GET, HEAD, POST\r\n"
#define BUCKETS 256           /* clients remembered by the rate limit */
#define PROBE 4               /* slots a client may take */
#define MILLI 1000

bool chat_enabled;

/* Token bucket of one client address (milli-messages). */
struct bucket {
	struct in6_addr addr;
	int64_t at;               /* loop_now of the last refill */
	int64_t tokens;
	bool used;
};

static struct events_channel *channel;
static struct bucket buckets[BUCKETS];

int chat_init(void)
{
	channel = events_channel_new(CHAT_RING);
	return channel ? 0 : -1;
}

bool chat_match(const struct request *req)
{
	return req->path.len == sizeof(CHAT_PATH) - 1 &&
	       memcmp(span_ptr(req, req->path), CHAT_PATH, req->path.len) == 0;
}

/* May this client send one more message now? Memory is BUCKETS slots
 * whatever the number of clients: a new one takes the stalest of its
 * PROBE slots. */
static bool rate_ok(const struct in6_addr *a)
{
	unsigned h = 2166136261u, i;
	struct bucket *b = NULL, *oldest = NULL;

	for (i = 0; i < sizeof(*a); i++)
		h = (h ^ a->s6_addr[i]) * 16777619u;
	for (i = 0; i < PROBE && !b; i++) {
		struct bucket *s = &buckets[(h + i) % BUCKETS];

		if (s->used && memcmp(&s->addr, a, sizeof(*a)) == 0)
			b = s;
		else if (!oldest || !s->used || (oldest->used && s->at < oldest->at))
			oldest = s;
	}
	if (!b) {
		b = oldest;
		b->addr = *a;
		b->used = true;
		b->at = loop_now;
		b->tokens = CHAT_BURST * MILLI;
	}
	b->tokens += (loop_now - b->at) * CHAT_PER_SEC;
	if (b->tokens > CHAT_BURST * MILLI)
		b->tokens = CHAT_BURST * MILLI;
	b->at = loop_now;
	if (b->tokens < MILLI)
		return false;
	b->tokens -= MILLI;
	return true;
}

/* A name or a message: UTF-8, no control bytes (but LF and TAB in text). */
static const char *check(const char *s, size_t n, size_t max, bool text, char *out)
{
	size_t i = 0, u;

	if (n > max)
		return text ? "message too long" : "name too long";
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && !(text && (c == '\n' || c == '\t'))) || c == 0x7f)
			return "control character";
		u = util_utf8_len((const unsigned char *)s + i, n - i);
		if (!u)
			return "not UTF-8";
		i += u;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return NULL;
}

/* "name=...&text=..." ('+' a space); other fields ignored. */
static const char *form(const char *body, size_t n, char *name, char *text)
{
	char dec[CHAT_BODY_MAX];
	const char *why = NULL;
	size_t i = 0;

	while (i < n && !why) {
		size_t e = i, eq;
		long dn;

		while (e < n && body[e] != '&')
			e++;
		for (eq = i; eq < e && body[eq] != '='; eq++)
			;
		if (eq < e && e - eq - 1 <= sizeof(dec)) {
			dn = util_pct_decode(dec, body + eq + 1, e - eq - 1, 1);
			if (dn < 0)
				why = "malformed percent-escape";
			else if (util_ieq(body + i, eq - i, "name"))
				why = check(dec, (size_t)dn, CHAT_NAME_MAX, false, name);
			else if (util_ieq(body + i, eq - i, "text"))
				why = check(dec, (size_t)dn, CHAT_TEXT_MAX, true, text);
		}
		i = e + 1;
	}
	return why;
}

static const char *json(const char *body, size_t n, char *name, char *text)
{
	json_t *o = json_loadb(body, n, JSON_REJECT_DUPLICATES, NULL);
	json_t *jn = json_object_get(o, "name"), *jt = json_object_get(o, "text");
	const char *why = NULL;

	if (!o)
		why = "invalid JSON";
	else if (!json_is_object(o))
		why = "send a JSON object {\"name\":…,\"text\":…}";
	else if ((jn && !json_is_string(jn)) || (jt && !json_is_string(jt)))
		why = "name and text are strings";
	if (!why && jn)
		why = check(json_string_value(jn), json_string_length(jn), CHAT_NAME_MAX,
			    false, name);
	if (!why && jt)
		why = check(json_string_value(jt), json_string_length(jt), CHAT_TEXT_MAX,
			    true, text);
	json_decref(o);
	return why;
}

static bool blank(const char *s)
{
	return s[strspn(s, " \t\n")] == '\0';
}

const char *chat_parse(const char *ctype, size_t ctlen, const char *body, size_t n,
		       char name[CHAT_NAME_MAX + 1], char text[CHAT_TEXT_MAX + 1])
{
	const char *why;

	name[0] = text[0] = '\0';
	if (ctlen >= 16 && util_ieq(ctype, 16, "application/json"))
		why = json(body, n, name, text);
	else
		why = form(body, n, name, text);
	if (!why && blank(text))
		why = "empty message";
	if (!why && blank(name))
		memcpy(name, "anonymous", sizeof("anonymous"));
	return why;
}

static enum status fail(struct response *resp, enum status s, const char *why)
{
	json_t *o = json_pack("{s:s}", "error", why);
	char *t = o ? json_dumps(o, JSON_COMPACT) : NULL;

	resp->body->len = 0;
	if (t)
		buf_puts(resp->body, t);
	free(t);
	json_decref(o);
	resp->ctype = "application/json";
	return s;
}

static bool form_or_json(const char *t, size_t n)
{
	return !n || (n >= 16 && util_ieq(t, 16, "application/json")) ||
	       (n >= 33 && util_ieq(t, 33, "application/x-www-form-urlencoded")) ||
	       (n >= 10 && util_ieq(t, 10, "text/plain"));
}

static enum status say(const struct request *req, const struct sockaddr_in6 *peer,
		       struct response *resp)
{
	const char *ct = span_ptr(req, req->hdr[H_CONTENT_TYPE]);
	size_t ctlen = req->hdr[H_CONTENT_TYPE].len;
	char name[CHAT_NAME_MAX + 1], text[CHAT_TEXT_MAX + 1];
	const char *why;
	json_t *o;
	char *t;
	uint64_t id = 0;

	if (req->body.len > CHAT_BODY_MAX)
		return fail(resp, S_PAYLOAD_TOO_LARGE, "message over 2048 bytes");
	if (!form_or_json(ct, ctlen))
		return fail(resp, S_UNSUPPORTED_MEDIA_TYPE,
			    "send application/json or a form (curl -d)");
	why = chat_parse(ct, ctlen, req->body.len ? span_ptr(req, req->body) : "",
			 req->body.len, name, text);
	if (why)
		return fail(resp, S_BAD_REQUEST, why);
	if (!rate_ok(&peer->sin6_addr)) {
		buf_puts(resp->hdrs, "Retry-After: 1\r\n");
		return fail(resp, S_TOO_MANY_REQUESTS, "too many messages: wait a second");
	}
	o = json_pack("{s:s,s:s,s:I}", "name", name, "text", text, "at",
		      (json_int_t)time(NULL) * 1000);
	t = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (t)
		id = events_publish(channel, "message", t, strlen(t));
	free(t);
	json_decref(o);
	if (!id)
		return fail(resp, S_INTERNAL_SERVER_ERROR, "not sent");
	resp->body->len = 0;
	buf_printf(resp->body, "{\"id\":%llu}\n", (unsigned long long)id);
	resp->ctype = "application/json";
	return S_OK;
}

enum status chat_serve(const struct request *req, const struct sockaddr_in6 *peer,
		       struct response *resp)
{
	if (req->method == HTTP_POST)
		return say(req, peer, resp);
	if (req->method == HTTP_GET || req->method == HTTP_HEAD)
		return events_subscribe(channel, req, resp, CHAT_BACKLOG);
	buf_puts(resp->hdrs, ALLOW);
	return fail(resp, S_METHOD_NOT_ALLOWED, "use GET to listen, POST to talk");
}
