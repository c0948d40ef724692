/* events.c (the ring, read positions, drops, Last-Event-ID, framing),
 * chat.c (message parsing, escaping, the rate limit), base64, and the
 * header walk /api/echo uses. No loop: subscribers are read directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "events.h"
#include "loop.h"
#include "util.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Everything a subscriber can read now, as one string. */
static char *drain(struct events_sub *s, size_t chunk)
{
	static char out[1 << 16];
	size_t len = 0;
	ssize_t n;

	while (len + chunk < sizeof(out) && (n = events_take(s, out + len, chunk)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	return out;
}

/* The ids of the "id: N" lines in text, and the dropped counts, in order,
 * as "1 2 d3 4" ("dN": N events dropped). */
static const char *ids(const char *text)
{
	static char out[4096];
	const char *p = text;
	size_t len = 0;

	out[0] = '\0';
	while (*p) {
		const char *nl = strchr(p, '\n');
		unsigned long long v;

		if (sscanf(p, "id: %llu", &v) == 1)
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%llu",
						len ? " " : "", v);
		else if (sscanf(p, "data: {\"dropped\":%llu}", &v) == 1)
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%sd%llu",
						len ? " " : "", v);
		if (!nl)
			break;
		p = nl + 1;
	}
	return out;
}

static void publish_n(struct events_channel *ch, int n)
{
	char d[32];
	int i;

	for (i = 0; i < n; i++) {
		int k = snprintf(d, sizeof(d), "{\"i\":%d}", i);

		assert_true(events_publish(ch, "m", d, (size_t)k) > 0);
	}
}

struct ring_case {
	const char *what;
	unsigned ring, backlog;
	int before, after;        /* published before joining, after */
	bool has_last;
	uint64_t last;
	const char *want;         /* ids read, "dN" for a drop marker */
};

static const struct ring_case ring_cases[] = {
	{ "empty channel", 4, 10, 0, 0, false, 0, "" },
	{ "new events only", 4, 0, 3, 2, false, 0, "4 5" },
	{ "backlog within the ring", 8, 2, 5, 1, false, 0, "4 5 6" },
	{ "backlog larger than the ring", 4, 100, 6, 0, false, 0, "3 4 5 6" },
	{ "falls behind: a drop marker, then the ring", 4, 0, 0, 10, false, 0, "d6 7 8 9 10" },
	{ "exactly the ring: no drop", 4, 0, 0, 4, false, 0, "1 2 3 4" },
	{ "Last-Event-ID in the ring", 8, 0, 6, 1, true, 3, "4 5 6 7" },
	{ "Last-Event-ID fallen off: told how many", 4, 0, 8, 0, true, 2, "d2 5 6 7 8" },
	{ "Last-Event-ID of the last event", 4, 4, 3, 1, true, 3, "4" },
	{ "Last-Event-ID from the future (a restart): backlog", 4, 2, 3, 0, true, 99, "2 3" },
	{ "Last-Event-ID 0: everything kept", 4, 0, 3, 0, true, 0, "1 2 3" },
};

static void test_ring(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(ring_cases); i++) {
		const struct ring_case *c = &ring_cases[i];
		struct events_channel *ch = events_channel_new(c->ring);
		struct events_sub *s;

		assert_non_null(ch);
		publish_n(ch, c->before);
		s = events_join(ch, c->has_last, c->last, c->backlog);
		assert_non_null(s);
		publish_n(ch, c->after);
		const char *got = ids(drain(s, 16384));

		if (strcmp(got, c->want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", c->what, got, c->want);
		/* caught up: nothing now, a wake follows */
		assert_int_equal(events_take(s, (char[64]){ 0 }, 64), -1);
		assert_int_equal(events_subscribers(ch), 1);
		events_leave(s);
		assert_int_equal(events_subscribers(ch), 0);
	}
}

/* The SSE text itself: the retry line first, whole events, one data line;
 * a read too small for the next event takes none of it. */
static void test_framing(void **state)
{
	struct events_channel *ch = events_channel_new(4);
	struct events_sub *s = events_join(ch, false, 0, 0);
	char small[24];

	(void)state;
	assert_true(events_publish(ch, "message", "{\"a\":1}", 7) == 1);
	assert_true(events_publish(ch, NULL, "x", 1) == 2);
	assert_int_equal(events_take(s, small, 14), 13); /* "retry: 3000\n\n" */
	assert_memory_equal(small, "retry: 3000\n\n", 13);
	assert_int_equal(events_take(s, small, 10), -1); /* the event does not fit */
	assert_string_equal(drain(s, 4096),
			    "id: 1\nevent: message\ndata: {\"a\":1}\n\nid: 2\ndata: x\n\n");
	events_leave(s);
}

/* Refused: a line break would end the event early; too large for one read. */
static void test_publish_refused(void **state)
{
	struct events_channel *ch = events_channel_new(2);
	static char big[EVENTS_EVENT_MAX];
	uint64_t first, next;

	(void)state;
	memset(big, 'a', sizeof(big));
	assert_true(events_publish(ch, "m", "a\nb", 3) == 0);
	assert_true(events_publish(ch, "m", "a\rb", 3) == 0);
	assert_true(events_publish(ch, "m\n", "ab", 2) == 0);
	assert_true(events_publish(ch, "m", big, sizeof(big)) == 0);
	assert_true(events_publish(ch, "m", big, sizeof(big) - 64) == 1);
	events_range(ch, &first, &next);
	assert_true(first == 1 && next == 2);
}

/* Many subscribers read one ring: none holds a copy, each its position. */
static void test_many_positions(void **state)
{
	struct events_channel *ch = events_channel_new(16);
	struct events_sub *s[100];
	size_t i;

	(void)state;
	for (i = 0; i < LEN(s); i++)
		s[i] = events_join(ch, false, 0, 0);
	publish_n(ch, 3);
	for (i = 0; i < LEN(s); i++) {
		assert_string_equal(ids(drain(s[i], 16384)), "1 2 3");
		events_leave(s[i]);
	}
	assert_int_equal(events_subscribers(ch), 0);
}

struct chat_case {
	const char *ctype, *body;
	const char *why;          /* NULL: accepted */
	const char *name, *text;
};

static const struct chat_case chat_cases[] = {
	{ "application/x-www-form-urlencoded", "name=ann&text=hello+there", NULL, "ann",
	  "hello there" },
	{ "", "text=hi", NULL, "anonymous", "hi" },
	{ "", "text=%3Cscript%3E&name=%3Cb%3E", NULL, "<b>", "<script>" },
	{ "", "text=line1%0Aline2", NULL, "anonymous", "line1\nline2" },
	{ "", "text=%01", "control character", "", "" },
	{ "", "name=a%0Ab&text=x", "control character", "", "" },
	{ "", "text=%FF", "not UTF-8", "", "" },
	{ "", "text=%C0%AF", "not UTF-8", "", "" },
	{ "", "text=%zz", "malformed percent-escape", "", "" },
	{ "", "name=ann", "empty message", "", "" },
	{ "", "text=+++", "empty message", "", "" },
	{ "", "name=123456789012345678901234567890123&text=x", "name too long", "", "" },
	{ "application/json", "{\"name\":\"bob\",\"text\":\"<img onerror=x>\"}", NULL, "bob",
	  "<img onerror=x>" },
	{ "application/json; charset=utf-8", "{\"text\":\"caf\\u00e9\"}", NULL, "anonymous",
	  "caf\xc3\xa9" },
	{ "application/json", "[1]", "send a JSON object {\"name\":…,\"text\":…}", "", "" },
	{ "application/json", "{\"text\":1}", "name and text are strings", "", "" },
	{ "application/json", "{\"text\":\"a\",\"text\":\"b\"}", "invalid JSON", "", "" },
	{ "application/json", "{\"text\":\"\\u0000\"}", "invalid JSON", "", "" },
	{ "application/json", "{\"text\":\"\\u0007\"}", "control character", "", "" },
	{ "application/json", "{\"text\":", "invalid JSON", "", "" },
};

static void test_chat_parse(void **state)
{
	char name[CHAT_NAME_MAX + 1], text[CHAT_TEXT_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < LEN(chat_cases); i++) {
		const struct chat_case *c = &chat_cases[i];
		const char *why = chat_parse(c->ctype, strlen(c->ctype), c->body,
					     strlen(c->body), name, text);

		if (!c->why) {
			if (why)
				fail_msg("case %zu (%s): refused: %s", i, c->body, why);
			assert_string_equal(name, c->name);
			assert_string_equal(text, c->text);
		} else if (!why || strcmp(why, c->why) != 0) {
			fail_msg("case %zu (%s): got %s, want %s", i, c->body,
				 why ? why : "accepted", c->why);
		}
	}
}

/* A message of exactly CHAT_TEXT_MAX bytes passes, one more does not. */
static void test_chat_text_bound(void **state)
{
	char name[CHAT_NAME_MAX + 1], text[CHAT_TEXT_MAX + 1];
	char body[CHAT_TEXT_MAX + 16];

	(void)state;
	memcpy(body, "text=", 5);
	memset(body + 5, 'a', CHAT_TEXT_MAX + 1);
	assert_null(chat_parse("", 0, body, 5 + CHAT_TEXT_MAX, name, text));
	assert_string_equal(chat_parse("", 0, body, 5 + CHAT_TEXT_MAX + 1, name, text),
			    "message too long");
}

struct b64_case {
	const char *in, *out;
};

static const struct b64_case b64_cases[] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" }, /* RFC 4648 §10 */
	{ "\r\n", "DQo=" }, { "\xff\xfe\xfd", "//79" },
};

static void test_base64(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(b64_cases); i++) {
		size_t n = strlen(b64_cases[i].in);
		struct buf b = BUF_INIT(n / 3 * 4 + 9);

		assert_int_equal(util_base64(&b, (const unsigned char *)b64_cases[i].in, n), 0);
		buf_append(&b, "", 1);
		assert_string_equal(b.data, b64_cases[i].out);
		buf_free(&b);
	}
}

/* The header walk: order and case as received, values without OWS. */
static void test_header_walk(void **state)
{
	static const char head[] = "POST /x HTTP/1.1\r\nhOsT: a\r\nX-B:  two words \t\r\n"
				   "x-b:\r\nLast-Event-ID: 7\r\n\r\nbody";
	struct request r = { 0 };
	struct span n, v;
	size_t pos = 0;
	static const char *const want[][2] = {
		{ "hOsT", "a" }, { "X-B", "two words" }, { "x-b", "" }, { "Last-Event-ID", "7" },
	};
	size_t i = 0;

	(void)state;
	r.base = head;
	r.head_end = (uint32_t)(strstr(head, "\r\n\r\n") - head + 4);
	while (http_header_next(&r, &pos, &n, &v)) {
		assert_true(i < LEN(want));
		assert_int_equal(n.len, strlen(want[i][0]));
		assert_memory_equal(span_ptr(&r, n), want[i][0], n.len);
		assert_int_equal(v.len, strlen(want[i][1]));
		assert_memory_equal(span_ptr(&r, v), want[i][1], v.len);
		i++;
	}
	assert_int_equal(i, LEN(want));
	assert_true(http_header_find(&r, "last-event-id", &v));
	assert_memory_equal(span_ptr(&r, v), "7", 1);
	assert_false(http_header_find(&r, "body", &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_publish_refused),
		cmocka_unit_test(test_many_positions),
		cmocka_unit_test(test_chat_parse),
		cmocka_unit_test(test_chat_text_bound),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_header_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
