/* fcache.c: what a hit is checked against, and when (the read clock);
 * fwatch.c in the loop: inotify's queue handed over first in each batch,
 * and no read of it for a request whose bytes came before a whole
 * batch's wait (the wait reported every change made before them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fcache.h"
#include "loop.h"

static char dir[64];
static int dfd = -1;

static int open_plain(int d, const char *rel)
{
	return openat(d, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
}

static void put_file(const char *name, const char *content)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_fcache.XXXXXX");
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	fcache_init(dfd, open_plain);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	fcache_init(dfd, open_plain); /* drops every entry */
	close(dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* The body of the identity representation of rel, as the cache has it. */
static const char *body(struct fc_entry *e)
{
	assert_non_null(e);
	assert_non_null(e->rep[0].data);
	e->rep[0].data[e->rep[0].st.st_size] = '\0';
	return e->rep[0].data;
}

struct clock_step {
	const char *write;   /* new content before the get, or NULL */
	uint64_t asked, now; /* the request's read, the clock at the get */
	const char *want;    /* the body served */
};

/* A check made at clock N answers every request read by N, even if the
 * file changed since; a request read after N gets the file as it is. */
static const struct clock_step steps[] = {
	{ "one", 1, 1, "one" },
	{ "second", 1, 5, "one" },      /* read before the check at 1 */
	{ NULL, 2, 5, "second" },       /* read after it: checked again (at 5) */
	{ "third!!", 5, 5, "second" },  /* read before the check at 5 */
	{ NULL, 4, 9, "second" },
	{ NULL, 6, 9, "third!!" },
	{ "4", 9, 9, "third!!" },
	{ NULL, 10, 10, "4" },
	{ NULL, 10, 10, "4" },
};

static void test_clock(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct fc_entry *e;

		if (steps[i].write)
			put_file("a.txt", steps[i].write);
		e = fcache_get("a.txt", steps[i].asked, steps[i].now);
		assert_string_equal(body(e), steps[i].want);
		fcache_put(e);
	}
	assert_int_equal(fcache_count(), 1);
}

/* Variants appearing, changing and going are seen by the next check. */
static void test_variants(void **state)
{
	struct fc_entry *e;

	(void)state;
	put_file("v.js", "plain");
	e = fcache_get("v.js", 1, 1);
	assert_false(e->rep[1].exists);
	assert_false(e->rep[2].exists);
	fcache_put(e);
	put_file("v.js.gz", "gz");
	e = fcache_get("v.js", 1, 2); /* read before the check at 1 */
	assert_false(e->rep[2].exists);
	fcache_put(e);
	e = fcache_get("v.js", 2, 2);
	assert_true(e->rep[2].exists);
	assert_false(e->rep[1].exists);
	assert_int_equal(e->rep[2].st.st_size, 2);
	fcache_put(e);
	put_file("v.js.gz", "gzip");
	put_file("v.js.br", "br");
	e = fcache_get("v.js", 3, 3);
	assert_int_equal(e->rep[2].st.st_size, 4);
	assert_true(e->rep[1].exists);
	fcache_put(e);
	assert_int_equal(unlinkat(dfd, "v.js.br", 0), 0);
	e = fcache_get("v.js", 4, 4);
	assert_false(e->rep[1].exists);
	assert_true(e->rep[2].exists);
	fcache_put(e);
}

/* Last-Modified and ETag lines are formatted when the file is opened:
 * a file whose mtime changed gets new ones. */
static void test_validator_lines(void **state)
{
	struct timespec t[2] = { { 784111777, 0 }, { 784111777, 0 } };
	struct fc_entry *e;

	(void)state;
	put_file("m.txt", "x");
	assert_int_equal(utimensat(dfd, "m.txt", t, 0), 0);
	e = fcache_get("m.txt", 1, 1);
	assert_non_null(e);
	assert_string_equal(e->rep[0].val.lines + HTTP_VLINES_AT,
			    "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			    "ETag: \"ae1b981bc490a00-1\"\r\n");
	assert_int_equal(e->rep[0].val.len, strlen(e->rep[0].val.lines + HTTP_VLINES_AT));
	fcache_put(e);
	t[0].tv_sec = t[1].tv_sec = 784111778;
	assert_int_equal(utimensat(dfd, "m.txt", t, 0), 0);
	e = fcache_get("m.txt", 2, 2);
	assert_string_equal(e->rep[0].val.lines + HTTP_VLINES_AT,
			    "Last-Modified: Sun, 06 Nov 1994 08:49:38 GMT\r\n"
			    "ETag: \"ae1b981f7e3d400-1\"\r\n");
	fcache_put(e);
}

/* An entry still held (a response being sent) outlives its replacement:
 * its bytes and fd stay what they were until it is put. */
static void test_held_entry_survives(void **state)
{
	struct fc_entry *old, *cur;
	char big[FC_SMALL + 100];
	int fd;

	(void)state;
	put_file("h.txt", "old");
	old = fcache_get("h.txt", 1, 1);
	put_file("h.txt", "newer");
	cur = fcache_get("h.txt", 2, 2);
	assert_ptr_not_equal(old, cur);
	assert_string_equal(body(old), "old");
	assert_string_equal(body(cur), "newer");
	fcache_put(old);
	fcache_put(cur);
	assert_int_equal(fcache_count(), 1);

	/* a large file is kept open, not in memory */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put_file("big.bin", big);
	old = fcache_get("big.bin", 3, 3);
	assert_non_null(old);
	assert_null(old->rep[0].data);
	fd = old->rep[0].fd;
	assert_true(fd >= 0);
	put_file("big.bin", "small now");
	cur = fcache_get("big.bin", 4, 4);
	assert_string_equal(body(cur), "small now");
	assert_true(fcntl(fd, F_GETFD) >= 0); /* still open for its sender */
	fcache_put(old);
	fcache_put(cur);
}

static void test_not_files(void **state)
{
	(void)state;
	assert_int_equal(mkdirat(dfd, "d", 0755), 0);
	errno = 0;
	assert_null(fcache_get("d", 1, 1));
	assert_int_equal(errno, EISDIR);
	errno = 0;
	assert_null(fcache_get("d", 1, 1)); /* remembered as a directory */
	assert_int_equal(errno, EISDIR);
	errno = 0;
	assert_null(fcache_get("missing", 1, 1));
	assert_int_equal(errno, ENOENT);
	/* a directory replaced by a file is seen by the next check */
	assert_int_equal(unlinkat(dfd, "d", AT_REMOVEDIR), 0);
	put_file("d", "now a file");
	assert_null(fcache_get("d", 1, 2));
	{
		struct fc_entry *e = fcache_get("d", 2, 2);

		assert_string_equal(body(e), "now a file");
		fcache_put(e);
	}
	/* a deleted file is gone at the next check */
	assert_int_equal(unlinkat(dfd, "d", 0), 0);
	errno = 0;
	assert_null(fcache_get("d", 3, 3));
	assert_int_equal(errno, ENOENT);
}

/* A watched file is not checked again while inotify reports nothing;
 * every kind of change is still seen by the next request: a write
 * through a hard link elsewhere, a rename over it, its directory
 * swapped, a variant appearing. A path through a symbolic link is not
 * watched: checked at every batch, as before. */
static void test_watched(void **state)
{
	struct fc_entry *e;
	unsigned long before;
	uint64_t t = 1;
	int fd;

	(void)state;
	assert_int_equal(mkdirat(dfd, "sub", 0755), 0);
	assert_int_equal(mkdirat(dfd, "other", 0755), 0);
	put_file("sub/f.txt", "one");
	e = fcache_get("sub/f.txt", t, t);
	assert_true(e->watched);
	fcache_put(e);
	/* what the earlier tests' directories left in the queue: read once */
	fcache_put(fcache_get("sub/f.txt", 2, 2));
	before = fcache_checks();
	for (t = 3; t < 6; t++) {
		e = fcache_get("sub/f.txt", t, t);
		assert_string_equal(body(e), "one");
		fcache_put(e);
	}
	assert_int_equal(fcache_checks(), before); /* three batches, no check */

	assert_int_equal(linkat(dfd, "sub/f.txt", dfd, "other/link", 0), 0);
	fd = openat(dfd, "other/link", O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "two", 3), 3);
	close(fd);
	e = fcache_get("sub/f.txt", t, t);
	assert_string_equal(body(e), "two");
	fcache_put(e);

	put_file("other/new", "three");
	assert_int_equal(renameat(dfd, "other/new", dfd, "sub/f.txt"), 0);
	t++;
	e = fcache_get("sub/f.txt", t, t);
	assert_string_equal(body(e), "three");
	fcache_put(e);

	assert_int_equal(renameat(dfd, "sub", dfd, "old"), 0);
	assert_int_equal(mkdirat(dfd, "sub", 0755), 0);
	put_file("sub/f.txt", "four");
	t++;
	e = fcache_get("sub/f.txt", t, t);
	assert_string_equal(body(e), "four");
	assert_true(e->watched);
	fcache_put(e);

	put_file("sub/f.txt.gz", "gz");
	t++;
	e = fcache_get("sub/f.txt", t, t);
	assert_true(e->rep[2].exists);
	fcache_put(e);

	/* its directory moved and a symbolic link left in its place: the
	 * same file, but no longer watched (checked per batch from now) */
	assert_int_equal(renameat(dfd, "sub", dfd, "moved"), 0);
	assert_int_equal(symlinkat("moved", dfd, "sub"), 0);
	t++;
	e = fcache_get("sub/f.txt", t, t);
	assert_string_equal(body(e), "four");
	assert_false(e->watched);
	fcache_put(e);

	assert_int_equal(symlinkat("moved", dfd, "ln"), 0);
	e = fcache_get("ln/f.txt", t, t);
	assert_false(e->watched);
	fcache_put(e);
	before = fcache_checks();
	t++;
	fcache_put(fcache_get("ln/f.txt", t, t));
	assert_int_equal(fcache_checks(), before + 1);
}

/* A batch that waits for nothing: what is pending is handed over. */
static void batch(void)
{
	assert_int_equal(loop_wait(loop_now), 0);
}

/* The body of rel for a request read at clock asked (a check, if one
 * is made, at the clock now). */
static void expect(uint64_t asked, const char *want)
{
	struct fc_entry *e = fcache_get("f.txt", asked, loop_reads);

	assert_string_equal(body(e), want);
	fcache_put(e);
}

static void test_covered_by_the_wait(void **state)
{
	uint64_t before_wait;
	unsigned long checks;

	(void)state;
	batch(); /* what the earlier tests' directories left in the queue */
	put_file("f.txt", "one");
	expect(++loop_reads, "one"); /* loaded, watched: the queue is armed */
	batch(); /* whatever loading it left in the queue */
	checks = fcache_checks();

	/* a change after the wait: not for a request whose bytes came
	 * before it (no read of the queue, which holds the change) ... */
	batch();
	before_wait = loop_wait_reads;
	assert_true(loop_whole);
	put_file("f.txt", "two");
	expect(before_wait, "one");
	assert_int_equal(fcache_checks(), checks);
	/* ... but read for one read after the wait, which sees it */
	expect(++loop_reads, "two");

	/* a change before the wait: the wait hands it over first, so the
	 * request whose bytes came before the wait sees it, queue unread */
	put_file("f.txt", "six");
	batch();
	expect(loop_wait_reads, "six");

	/* a batch not whole (the wait's events could not all be taken):
	 * the queue is read for that request too */
	batch();
	put_file("f.txt", "ten");
	loop_whole = false;
	expect(loop_wait_reads, "ten");
}

/* The first watcher's event comes before the others of its batch,
 * wherever epoll put it among them. */
static int order[4], norder;

static void note(struct watcher *w, uint32_t events);
static struct watcher other = { .on_event = note }, first = { .on_event = note };

static void note(struct watcher *w, uint32_t events)
{
	(void)events;
	if (norder < 4)
		order[norder++] = w == &first ? 1 : 2;
}

static void test_first_watcher_first(void **state)
{
	int a[2], b[2];

	(void)state;
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	assert_int_equal(loop_watch(a[0], &other, EPOLLIN), 0);
	assert_int_equal(loop_watch_first(b[0], &first), 0);
	/* ready in this order: epoll reports the other one first */
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	norder = 0;
	batch();
	assert_int_equal(norder, 2);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	loop_unwatch(a[0]);
	loop_unwatch(b[0]);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

int main(void)
{
	/* the other watcher first: fwatch's queue, armed in the loop's epoll
	 * set at the first watch (test_clock), then takes the first place */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_watcher_first),
		cmocka_unit_test_setup_teardown(test_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validator_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_held_entry_survives, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_covered_by_the_wait, setup, teardown),
	};

	if (loop_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
