/* fwatch.c in the loop: inotify's queue handed over first in each batch,
 * and no read of it for a request whose bytes came before a whole
 * batch's wait (the wait reported every change made before them). Its
 * own process: the queue is armed in the loop's epoll set when first
 * made, which test_fcache's tests do without a loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "fcache.h"
#include "loop.h"

static char dir[64];
static int dfd = -1;

static int open_plain(int d, const char *rel)
{
	return openat(d, rel, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
}

/* Rewritten in place, the same size: only inotify or a check tells. */
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
	strcpy(dir, "/tmp/test_fwatch.XXXXXX");
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
	fcache_init(dfd, open_plain);
	close(dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
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

	assert_non_null(e);
	assert_non_null(e->rep[0].data);
	assert_int_equal(e->rep[0].st.st_size, strlen(want));
	assert_memory_equal(e->rep[0].data, want, strlen(want));
	fcache_put(e);
}

static void test_covered_by_the_wait(void **state)
{
	uint64_t before_wait;
	unsigned long checks;

	(void)state;
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
	/* the other watcher first: fwatch's queue takes the first place */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_watcher_first),
		cmocka_unit_test_setup_teardown(test_covered_by_the_wait, setup, teardown),
	};

	if (loop_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
