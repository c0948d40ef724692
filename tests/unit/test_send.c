/* send.c: an answer's bytes out through a socket, whole and in order,
 * and the body bytes counted for the log, however the socket splits the
 * writes. A small memory body goes behind the head in one buffer (one
 * write); a larger one stays a piece of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "send.h"

static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: ...\r\n\r\n";
/* A cached file's room before its bytes (struct seg's front), where its
 * whole head is kept; rewritten after every write, as a new second's Date
 * would: no byte of an answer may come from it after its first write.
 * NULL: no room. */
static char *front;
/* The body's bytes, after HTTP_SEG_FRONT bytes of room. */
static char block[HTTP_SEG_FRONT + 16000];
/* pair(): small buffers, not filled first */
static bool no_fill;

/* A sender with head in out and one body piece of n bytes at body. */
static void answer(struct sender *tx, const char *body, size_t n)
{
	memset(tx, 0, sizeof(*tx));
	send_init(tx);
	send_reset(tx);
	tx->segs.one = (struct seg){ false, front != NULL, 0, (off_t)n, body };
	tx->segs.n = 1;
	if (front) { /* the head kept just before the bytes, as a cached file's */
		memcpy(front + HTTP_SEG_FRONT - (sizeof(head) - 1), head, sizeof(head) - 1);
		tx->kept = sizeof(head) - 1;
	} else {
		assert_int_equal(buf_puts(&tx->out, head), 0);
	}
}

/* A TCP connection on 127.0.0.1: sv[0] the server's end, non-blocking;
 * small: the least buffers, and full of `fill` bytes already, so that
 * writes are cut wherever room comes back. Returns how many fill bytes. */
static size_t pair(int sv[2], bool small)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	static const char fill[512];
	size_t filled = 0;

	assert_true(l >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &al), 0);
	sv[1] = socket(AF_INET, SOCK_STREAM, 0);
	if (small)
		assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)), 0);
	assert_int_equal(connect(sv[1], (struct sockaddr *)&a, sizeof(a)), 0);
	sv[0] = accept(l, NULL, NULL);
	assert_true(sv[0] >= 0);
	close(l);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	if (!small)
		return 0;
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)), 0);
	if (no_fill)
		return 0;
	for (;;) {
		ssize_t n = write(sv[0], fill, sizeof(fill));

		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			return filled;
		}
		filled += (size_t)n;
		assert_true(filled < 1 << 20);
	}
}

/* Send it all, the reader taking `step` bytes between writes; after
 * each write the body bytes counted are those of the bytes written past
 * the head. The answer's bytes (after `skip` bytes of fill) are returned
 * in got; *cuts: the writes that took less than was left. */
static size_t send_all(struct sender *tx, int sv[2], size_t skip, size_t step, char *got,
		       size_t cap, int *cuts)
{
	size_t written = 0, have = 0, hl = sizeof(head) - 1;
	int rounds;

	for (rounds = 0; !send_done(tx) && rounds < 100000; rounds++) {
		ssize_t n = send_some(tx, sv[0], -1, true);

		if (front)
			memset(front, 'X', HTTP_SEG_FRONT);
		if (n > 0) {
			written += (size_t)n;
			*cuts += !send_done(tx);
		} else {
			assert_int_equal(errno, EAGAIN);
		}
		assert_int_equal(tx->bytes_sent, written > hl ? (long long)(written - hl) : 0);
		if (have < skip + written) { /* the fill, then the answer */
			char *to = have < skip ? got : got + have - skip;
			size_t room = have < skip ? skip - have : cap - (have - skip);
			ssize_t r = read(sv[1], to, step < room ? step : room);

			assert_true(r > 0);
			have += (size_t)r;
		}
	}
	assert_true(send_done(tx));
	while (have < skip + written) {
		char *to = have < skip ? got : got + have - skip;
		size_t room = have < skip ? skip - have : cap - (have - skip);
		ssize_t r = read(sv[1], to, room);

		assert_true(r > 0);
		have += (size_t)r;
	}
	return have - skip;
}

#define HL (sizeof(head) - 1)
#define OUT_ANY SIZE_MAX /* a first write cut where the socket wants */

/* out_len: what out holds at the end (the head, with the body when it
 * was joined behind it; nothing when it went from the kept head). */
static void check(size_t body_len, bool small, size_t step, size_t out_len)
{
	static char got[32768], want[32768];
	char *body = block + HTTP_SEG_FRONT;
	struct sender tx;
	int sv[2], cuts = 0;
	size_t hl = sizeof(head) - 1, n, skip;

	assert_true(body_len <= sizeof(block) - HTTP_SEG_FRONT);
	for (n = 0; n < body_len; n++)
		body[n] = (char)('a' + n % 26);
	memcpy(want, head, hl);
	memcpy(want + hl, body, body_len);
	skip = pair(sv, small);
	answer(&tx, body, body_len);
	n = send_all(&tx, sv, skip, step, got, sizeof(got), &cuts);
	assert_int_equal(n, hl + body_len);
	assert_memory_equal(got, want, n);
	assert_int_equal(tx.bytes_sent, (long long)body_len);
	if (out_len != OUT_ANY)
		assert_int_equal(tx.out.len, out_len);
	if (small)
		assert_true(cuts > 0); /* the writes were cut, as meant */
	send_release(&tx);
	close(sv[0]);
	close(sv[1]);
}

static void test_small_body_joined(void **state)
{
	(void)state;
	check(612, false, 65536, HL + 612); /* one buffer */
}

static void test_empty_body(void **state)
{
	(void)state;
	check(0, false, 65536, HL);
}

static void test_large_body_own_piece(void **state)
{
	(void)state;
	check(4000, false, 65536, HL); /* more than the head's block has room for */
}

/* A small send buffer and a slow reader: writes cut anywhere, in the
 * head or the body; each cut counted right. */
static void test_partial_writes(void **state)
{
	(void)state;
	check(1800, true, 97, HL + 1800);
	check(4000, true, 97, HL);
}

/* A cached file's bytes with its head kept just before them: head and
 * body leave in one write from there, nothing copied into out; a write
 * cut anywhere goes on from out (the head's rest copied there) and the
 * piece, the kept head rewritten meanwhile, as a new Date would. */
static void test_front_room(void **state)
{
	(void)state;
	front = block;
	check(612, false, 65536, 0);
	check(0, false, 65536, 0);
	check(4000, false, 65536, 0);
	/* a full socket: the first try writes nothing, the rest is as for
	 * any answer (the head copied, the body joined when it fits) */
	check(1800, true, 97, HL + 1800);
	check(4000, true, 97, HL);
	/* room in the socket, less than the answer: the first try's write is
	 * cut, the rest goes from out and the piece */
	no_fill = true;
	check(16000, true, 97, OUT_ANY);
	no_fill = false;
	front = NULL;
}

/* A kept head's first write cut inside the head: a one-page pipe with
 * 10 bytes of room, the answer 10 bytes over a page (a pipe takes the
 * bytes past the last whole page first, into its last page's room). The
 * head's rest goes to out, and the answer ends whole with the kept head
 * rewritten after that write. */
#define CUT_BODY (4096 - HL + 10)
static void test_front_cut_in_head(void **state)
{
	static char fill[4096 - 10], got[HL + CUT_BODY];
	char *body = block + HTTP_SEG_FRONT;
	struct sender tx;
	size_t have = 0;
	int p[2], rounds;
	ssize_t n;

	(void)state;
	for (n = 0; n < (ssize_t)CUT_BODY; n++)
		body[n] = (char)('a' + n % 26);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(fcntl(p[1], F_SETPIPE_SZ, 4096), 4096);
	assert_int_equal(fcntl(p[1], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(write(p[1], fill, sizeof(fill)), (ssize_t)sizeof(fill));
	front = block;
	answer(&tx, body, CUT_BODY);
	n = send_some(&tx, p[1], -1, false);
	memset(front, 'X', HTTP_SEG_FRONT);
	assert_int_equal(n, 10);
	assert_int_equal(tx.out.len, HL - 10);
	assert_int_equal(tx.bytes_sent, 0);
	assert_int_equal(read(p[0], fill, sizeof(fill)), (ssize_t)sizeof(fill));
	assert_int_equal(read(p[0], got, 10), 10); /* the pipe empty again */
	have = 10;
	for (rounds = 0; !send_done(&tx) && rounds < 100; rounds++) {
		assert_true(send_some(&tx, p[1], -1, false) > 0);
		memset(front, 'X', HTTP_SEG_FRONT);
		assert_true((n = read(p[0], got + have, sizeof(got) - have)) > 0);
		have += (size_t)n;
	}
	while (have < sizeof(got) && (n = read(p[0], got + have, sizeof(got) - have)) > 0)
		have += (size_t)n;
	assert_true(send_done(&tx));
	assert_int_equal(have, sizeof(got));
	assert_memory_equal(got, head, HL);
	assert_memory_equal(got + HL, body, CUT_BODY);
	assert_int_equal(tx.bytes_sent, CUT_BODY);
	front = NULL;
	send_release(&tx);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_body_joined),
		cmocka_unit_test(test_empty_body),
		cmocka_unit_test(test_large_body_own_piece),
		cmocka_unit_test(test_partial_writes),
		cmocka_unit_test(test_front_room),
		cmocka_unit_test(test_front_cut_in_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
