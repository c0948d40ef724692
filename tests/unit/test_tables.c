/* Pure functions on tables: a CGI script's header lines (cgi.c), the
 * dump's and the access log's escaping (dump.c, log.c), listen addresses
 * (server.c) and peer addresses (util.c); and what listening does to the
 * stop signals (server.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cgi.h"
#include "dump.h"
#include "log.h"
#include "server.h"
#include "util.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* --- cgi_header_line ------------------------------------------------------ */

static const struct {
	const char *line;
	int rc;
	int status;            /* after a good line (0: none set) */
	bool ctype;
	long long clen;
	const char *copied;    /* what goes to the response's headers */
} cgi_lines[] = {
	{ "Content-Type: text/html", 0, 0, true, -1, "Content-Type: text/html\r\n" },
	{ "content-type:text/plain", 0, 0, true, -1, "content-type:text/plain\r\n" },
	{ "Status: 404 Not Found", 0, 404, false, -1, "" },
	{ "Status: 201", 0, 201, false, -1, "" },
	{ "Status: 200 OK", 0, 200, false, -1, "" },
	{ "Status: 199 Early", -1, 199, false, -1, "" },
	{ "Status: 600 Huh", -1, 600, false, -1, "" },
	{ "Status: 20", -1, 0, false, -1, "" },
	{ "Status: 2000", -1, 0, false, -1, "" },
	{ "Status: abc", -1, 0, false, -1, "" },
	{ "Content-Length: 12", 0, 0, false, 12, "" },
	{ "Content-Length: 0", 0, 0, false, 0, "" },
	{ "Content-Length: -1", -1, 0, false, -1, "" },
	{ "Content-Length: 1x", -1, 0, false, 1, "" },
	{ "Content-Length: ", -1, 0, false, -1, "" },
	{ "Content-Length: 99999999999999999999999", -1, 0, false, -1, "" },
	/* framing is the server's: dropped */
	{ "Connection: close", 0, 0, false, -1, "" },
	{ "Transfer-Encoding: chunked", 0, 0, false, -1, "" },
	{ "Keep-Alive: timeout=5", 0, 0, false, -1, "" },
	/* a Location without Status redirects (302) */
	{ "Location: /elsewhere", 0, 302, false, -1, "Location: /elsewhere\r\n" },
	{ "Location: //evil.example/", -1, 0, false, -1, "" },
	{ "X-Other: v\tw", 0, 0, false, -1, "X-Other: v\tw\r\n" },
	{ "X-Empty:", 0, 0, false, -1, "X-Empty:\r\n" },
	/* malformed */
	{ "NoColon", -1, 0, false, -1, "" },
	{ ": no name", -1, 0, false, -1, "" },
	{ "Bad Name: v", -1, 0, false, -1, "" },
	{ "X: bell\a", -1, 0, false, -1, "" },
};

static void test_cgi_header_line(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(cgi_lines); i++) {
		struct buf hdrs = BUF_INIT(HTTP_HDRS_MAX);
		struct response resp = { .hdrs = &hdrs, .fd = -1 };
		int status = 0, rc;
		bool ctype = false;
		long long clen = -1;

		rc = cgi_header_line(cgi_lines[i].line, strlen(cgi_lines[i].line), &resp,
				     &status, &ctype, &clen);
		if (rc != cgi_lines[i].rc)
			fail_msg("\"%s\": %d, want %d", cgi_lines[i].line, rc, cgi_lines[i].rc);
		if (rc == 0 && (status != cgi_lines[i].status || ctype != cgi_lines[i].ctype ||
				clen != cgi_lines[i].clen))
			fail_msg("\"%s\": status %d ctype %d clen %lld", cgi_lines[i].line,
				 status, ctype, clen);
		if (rc == 0 && (hdrs.len != strlen(cgi_lines[i].copied) ||
				memcmp(hdrs.data ? hdrs.data : "", cgi_lines[i].copied,
				       hdrs.len) != 0))
			fail_msg("\"%s\": copied \"%.*s\"", cgi_lines[i].line, (int)hdrs.len,
				 hdrs.data ? hdrs.data : "");
		buf_free(&hdrs);
	}
}

/* --- escaping ------------------------------------------------------------- */

struct esc_case {
	const char *in;
	size_t n;
	const char *want;
};

#define E(lit, want) { lit, sizeof(lit) - 1, want }

static const struct esc_case dump_cases[] = {
	E("GET / HTTP/1.1\r\n", "GET / HTTP/1.1\n"),
	E("a\nb", "a\nb"),
	E("tab\there", "tab\there"),
	E("bare\rcr", "bare\\x0dcr"),
	E("nul\0x", "nul\\x00x"),
	E("caf\xc3\xa9", "caf\xc3\xa9"),
	E("bad \xff\xfe", "bad \\xff\\xfe"),
	E("\xc3", "\\xc3"),            /* a sequence cut short */
	E("\x1b[31m", "\\x1b[31m"),    /* no terminal escapes */
	E("del\x7f", "del\\x7f"),
};

static const struct esc_case log_cases[] = {
	E("plain", "plain"),
	E("quote\"here", "quote\\\"here"),
	E("back\\slash", "back\\\\slash"),
	E("new\nline", "new\\x0aline"),
	E("cr\r", "cr\\x0d"),
	E("\x1b[2J", "\\x1b[2J"),
	E("del\x7f", "del\\x7f"),
	E("caf\xc3\xa9", "caf\xc3\xa9"),
};

static void check_escapes(const struct esc_case *c, size_t n, bool dump)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct buf b = BUF_INIT(4096);

		if (dump)
			dump_escape(&b, c[i].in, c[i].n);
		else
			log_escape(&b, c[i].in, c[i].n);
		if (b.len != strlen(c[i].want) || memcmp(b.data ? b.data : "", c[i].want, b.len))
			fail_msg("%s case %zu: \"%.*s\", want \"%s\"", dump ? "dump" : "log", i,
				 (int)b.len, b.data ? b.data : "", c[i].want);
		buf_free(&b);
	}
}

static void test_dump_escape(void **state)
{
	(void)state;
	check_escapes(dump_cases, LEN(dump_cases), true);
}

static void test_log_escape(void **state)
{
	(void)state;
	check_escapes(log_cases, LEN(log_cases), false);
}

/* --- addresses ------------------------------------------------------------ */

static const struct {
	const char *spec;
	int rc;
	const char *host, *port;
} addrs[] = {
	{ "8080", 0, "", "8080" },
	{ "127.0.0.1:80", 0, "127.0.0.1", "80" },
	{ "[::1]:8080", 0, "::1", "8080" },
	{ ":9000", 0, "", "9000" },
	{ "0", 0, "", "0" },
	{ "65535", 0, "", "65535" },
	{ "65536", -1, NULL, NULL },
	{ "-1", -1, NULL, NULL },
	{ "80x", -1, NULL, NULL },
	{ "", -1, NULL, NULL },
	{ "host:", -1, NULL, NULL },
	{ "[::1]8080", -1, NULL, NULL },
	{ "[::1:8080", -1, NULL, NULL },
};

static void test_parse_addr(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < LEN(addrs); i++) {
		char host[64];
		const char *port = NULL;
		int rc = server_parse_addr(addrs[i].spec, host, sizeof(host), &port);

		if (rc != addrs[i].rc)
			fail_msg("\"%s\": %d, want %d", addrs[i].spec, rc, addrs[i].rc);
		if (rc == 0 && (strcmp(host, addrs[i].host) || strcmp(port, addrs[i].port)))
			fail_msg("\"%s\": host \"%s\" port \"%s\"", addrs[i].spec, host, port);
	}
}

/* A client can connect once the port listens, before the loop reads its
 * signals: a stop signal from then on must wait for the loop (and end the
 * server cleanly), not kill it by its default action. A CI run's
 * test_sigint_does_not_drain caught a server dead by SIGINT in that window. */
static void test_listening_blocks_stop_signals(void **state)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP };
	sigset_t none, now, term;
	size_t i;

	(void)state;
	sigemptyset(&none);
	assert_int_equal(sigprocmask(SIG_SETMASK, &none, NULL), 0);
	assert_int_equal(server_listen("127.0.0.1:0"), 0);
	assert_int_equal(sigprocmask(SIG_SETMASK, NULL, &now), 0);
	for (i = 0; i < LEN(sigs); i++)
		if (!sigismember(&now, sigs[i]))
			fail_msg("signal %d not blocked once listening", sigs[i]);
	/* one comes: it waits, pending */
	assert_int_equal(raise(SIGTERM), 0);
	assert_int_equal(sigpending(&now), 0);
	assert_true(sigismember(&now, SIGTERM));
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	assert_int_equal(sigtimedwait(&term, NULL, &(struct timespec){ 0 }), SIGTERM);
}

static void test_peer(void **state)
{
	struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_port = htons(1234) };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 }, peer;
	char str[UTIL_PEER_LEN];

	(void)state;
	inet_pton(AF_INET, "192.0.2.7", &v4.sin_addr);
	memset(&peer, 0, sizeof(peer));
	util_peer((struct sockaddr *)&v4, &peer);
	util_peer_str(&peer, str);
	assert_string_equal(str, "192.0.2.7");
	assert_true(IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr));
	assert_int_equal(ntohs(peer.sin6_port), 1234);

	inet_pton(AF_INET, "10.0.0.255", &v4.sin_addr);
	memset(&peer, 0, sizeof(peer));
	util_peer((struct sockaddr *)&v4, &peer);
	util_peer_str(&peer, str);
	assert_string_equal(str, "10.0.0.255");

	inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr);
	memset(&peer, 0, sizeof(peer));
	util_peer((struct sockaddr *)&v6, &peer);
	util_peer_str(&peer, str);
	assert_string_equal(str, "2001:db8::1");

	/* a v4-mapped IPv6 peer (dual-stack socket) is shown as IPv4 */
	inet_pton(AF_INET6, "::ffff:198.51.100.2", &v6.sin6_addr);
	memset(&peer, 0, sizeof(peer));
	util_peer((struct sockaddr *)&v6, &peer);
	util_peer_str(&peer, str);
	assert_string_equal(str, "198.51.100.2");

	memset(&peer, 0, sizeof(peer));
	util_peer(NULL, &peer); /* a pipe (inetd mode) */
	util_peer_str(&peer, str);
	assert_string_equal(str, "-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgi_header_line),
		cmocka_unit_test(test_dump_escape),
		cmocka_unit_test(test_log_escape),
		cmocka_unit_test(test_parse_addr),
		cmocka_unit_test(test_listening_blocks_stop_signals),
		cmocka_unit_test(test_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
