/* conn.c, the I/O-free engine: raw bytes in (conn_new, conn_parse,
 * conn_next, as the loop and the fuzzer drive it), status lines and the
 * close decision out. HOME is a fresh directory with one page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "path.h"
#include "static.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ANSWERS 4

static char dir[64];

static int setup(void **state)
{
	char path[128];
	FILE *f;

	(void)state;
	strcpy(dir, "/tmp/test_conn.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/index.html", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("<p>hello</p>\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(path_init(dir), 0);
	assert_int_equal(static_init(), 0);
	/* an empty configuration: no file named, none in HOME */
	snprintf(path, sizeof(path), "%s/none.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(config_load(path, dir), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[96];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* What the engine answers to these bytes: each answer's status code and
 * whether the connection closes after it; the number of answers. */
struct answer {
	int status;
	int close;
};

static int drive(const char *bytes, size_t n, struct answer *a, size_t max)
{
	struct conn *c = conn_new(-1, -1, NULL);
	size_t k = 0;

	assert_non_null(c);
	assert_int_equal(buf_append(&c->rd.in, bytes, n), 0);
	c->rd.req.base = c->rd.in.data;
	while (k < max && conn_parse(c)) {
		size_t hn;
		const char *h = send_head_bytes(&c->tx, &hn);

		assert_int_equal(c->state, C_SEND);
		assert_true(hn > 12);
		assert_memory_equal(h, c->rd.req.minor ? "HTTP/1.1 " : "HTTP/1.", 7);
		a[k].status = atoi(h + 9);
		assert_int_equal(a[k].status, c->resp.status);
		a[k].close = c->resp.close;
		k++;
		if (c->resp.close)
			break;
		conn_next(c);
	}
	conn_free(c);
	return (int)k;
}

struct case_ {
	const char *name;
	const char *bytes;
	int n;                 /* answers expected */
	struct answer want[MAX_ANSWERS];
};

static const struct case_ cases[] = {
	{ "plain GET", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1, { { 200, 0 } } },
	{ "HTTP/1.0 closes", "GET / HTTP/1.0\r\n\r\n", 1, { { 200, 1 } } },
	{ "Connection: close", "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 1,
	  { { 200, 1 } } },
	/* hand-typed requests: bare LF line ends are read as CRLF */
	{ "bare LF", "GET / HTTP/1.1\nHost: x\n\n", 1, { { 200, 0 } } },
	{ "bare LF, then CRLF", "GET / HTTP/1.1\nHost: x\r\nUser-Agent: u\n\r\n", 1,
	  { { 200, 0 } } },
	{ "bare LF pipelined", "GET / HTTP/1.1\nHost: x\n\nGET /nope HTTP/1.1\nHost: x\n\n", 2,
	  { { 200, 0 }, { 404, 0 } } },
	/* RFC 9112 §2.2: empty lines before a request line are skipped */
	{ "leading CRLF", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 1, { { 200, 0 } } },
	{ "pipelined, in order", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
	  "HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /sub HTTP/1.1\r\nHost: x\r\n\r\n", 3,
	  { { 404, 0 }, { 200, 0 }, { 301, 0 } } },
	{ "not found", "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 1, { { 404, 0 } } },
	{ "above HOME", "GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 1, { { 400, 0 } } },
	{ "encoded slash", "GET /a%2fb HTTP/1.1\r\nHost: x\r\n\r\n", 1, { { 400, 0 } } },
	{ "garbage closes", "FOO\r\n\r\n", 1, { { 400, 1 } } },
	{ "bad version closes", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 1, { { 505, 1 } } },
	{ "body too large closes", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
	  1, { { 413, 1 } } },
	{ "a refused request ends the pipeline", "FOO\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
	  1, { { 400, 1 } } },
	{ "incomplete head: no answer yet", "GET / HTTP/1.1\r\nHost: x\r\n", 0, { { 0, 0 } } },
};

static void test_answers(void **state)
{
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < LEN(cases); i++) {
		struct answer got[MAX_ANSWERS] = { { 0, 0 } };
		int n = drive(cases[i].bytes, strlen(cases[i].bytes), got, MAX_ANSWERS), k;

		if (n != cases[i].n) {
			print_error("%s: %d answers, want %d\n", cases[i].name, n, cases[i].n);
			bad++;
			continue;
		}
		for (k = 0; k < n; k++)
			if (got[k].status != cases[i].want[k].status ||
			    got[k].close != cases[i].want[k].close) {
				print_error("%s: answer %d: %d%s, want %d%s\n", cases[i].name, k,
					    got[k].status, got[k].close ? " close" : "",
					    cases[i].want[k].status,
					    cases[i].want[k].close ? " close" : "");
				bad++;
			}
	}
	assert_int_equal(bad, 0);
}

/* The head arrives a byte at a time: no answer before its blank line. */
static void test_byte_by_byte(void **state)
{
	static const char req[] = "GET / HTTP/1.1\nHost: x\r\n\n";
	struct conn *c = conn_new(-1, -1, NULL);
	size_t i;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < sizeof(req) - 1; i++) {
		assert_false(conn_parse(c));
		assert_int_equal(buf_append(&c->rd.in, req + i, 1), 0);
		c->rd.req.base = c->rd.in.data;
	}
	assert_true(conn_parse(c));
	assert_int_equal(c->resp.status, 200);
	assert_false(c->resp.close);
	conn_free(c);
}

/* conn_new sets only the fields of a fresh request that are not zero:
 * what it makes is what conn_next makes of an answered request. */
static void test_new_is_fresh(void **state)
{
	struct conn *c = conn_new(-1, -1, NULL);
	struct request req;
	struct response resp;
	struct route route;
	struct sender tx;

	(void)state;
	assert_non_null(c);
	req = c->rd.req;
	resp = c->resp;
	route = c->route;
	tx = c->tx;
	conn_next(c);
	assert_memory_equal(&req, &c->rd.req, sizeof(req));
	assert_memory_equal(&resp, &c->resp, sizeof(resp));
	assert_memory_equal(&route, &c->route, sizeof(route));
	assert_memory_equal(&tx, &c->tx, sizeof(tx));
	assert_int_equal(c->state, C_RECV);
	assert_false(c->rd.head_parsed);
	conn_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_new_is_fresh),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
