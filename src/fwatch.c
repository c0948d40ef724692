/* inotify for the open-file cache: watches set when a file is loaded,
 * any reported change invalidates every watched entry at once (changes
 * are rare; telling them apart is not worth the bookkeeping). Watches
 * are never removed: their number is bounded (FWATCH_MAX) and a stale
 * one costs at most a needless check. The queue is in the loop's epoll
 * set, its event handed over before the batch's others: a batch that
 * brings no event from it proves that nothing changed before its wait,
 * and so before any bytes that arrived earlier (a request read in an
 * earlier batch, or whose bytes the kernel stamped before the wait): no
 * read of the queue for those (one system call per batch saved). */
#include "fwatch.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "loop.h"

#define FWATCH_MAX 4096   /* watches of one process, at most */
#define FWATCH_DEPTH 16   /* directories beneath HOME on the way */

#define DIR_EVENTS (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MOVE_SELF | \
		    IN_DELETE_SELF | IN_ATTRIB)
#define FILE_EVENTS (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVE_SELF | IN_DELETE_SELF)

static int ifd = -1;
static bool broken;          /* inotify failed once: off for good */
static uint32_t gen;
static uint64_t drained_at;
static bool armed;           /* the queue is in the loop's epoll set */
static dev_t home_dev;

/* The file systems whose every change inotify sees (no remote writer). */
static bool local_fs(long type)
{
	switch (type) {
	case 0xEF53:     /* ext2/3/4 */
	case 0x58465342: /* XFS */
	case 0x9123683E: /* Btrfs */
	case 0x01021994: /* tmpfs */
	case 0xF2F52010: /* F2FS */
		return true;
	default:
		return false;
	}
}

/* No queue: every watched entry is checked again. */
static void close_queue(void)
{
	if (ifd >= 0)
		close(ifd);
	ifd = -1;
	armed = false;
	gen++;
}

static void off(void)
{
	if (armed)
		loop_unwatch(ifd);
	close_queue();
	broken = true;
}

/* A forked worker makes its own queue: the parent's would be shared,
 * each event read by one process only. (Not out of the epoll set: a
 * child shares the parent's until it makes its own.) */
static void forked(void)
{
	close_queue();
	drained_at = 0;
}

/* Read every change the queue holds (at clock now): true when it is
 * empty. */
static bool drain_queue(uint64_t now)
{
	char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(ifd, events, sizeof(events))) > 0)
		gen++; /* any change, IN_Q_OVERFLOW and IN_IGNORED alike */
	if (n < 0 && errno != EAGAIN) {
		if (errno != EINTR)
			off();
		return false; /* not all read: this time, check */
	}
	drained_at = now;
	return true;
}

/* The queue's event, before the batch's requests are answered. */
static void queue_event(struct watcher *w, uint32_t events)
{
	(void)w;
	(void)events;
	if (ifd >= 0)
		drain_queue(loop_reads);
}

static struct watcher queue_watcher = { .on_event = queue_event };

__attribute__((constructor)) static void fwatch_atfork(void)
{
	pthread_atfork(NULL, NULL, forked);
}

/* The inotify descriptor of this process, made at its first watch. */
static bool ready(int home)
{
	struct statfs fs;
	struct stat st;

	if (broken)
		return false;
	if (ifd >= 0)
		return true;
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd < 0 || fstatfs(home, &fs) < 0 || !local_fs((long)fs.f_type) ||
	    fstat(home, &st) < 0) {
		off();
		return false;
	}
	home_dev = st.st_dev;
	drained_at = 0;
	/* without a loop (tests, tools) each batch reads the queue instead */
	armed = loop_watch_first(ifd, &queue_watcher) == 0;
	return true;
}

void fwatch_reset(void)
{
	drained_at = 0;
	gen++;
}

uint32_t fwatch_gen(void)
{
	return gen;
}

bool fwatch_drain(uint64_t asked, uint64_t now)
{
	if (ifd < 0)
		return false;
	/* read after the last drain; or, in a whole batch, before its wait */
	if (drained_at >= asked || (armed && loop_whole && asked <= loop_wait_reads))
		return true;
	return drain_queue(now);
}

/* Watch HOME's descendant rel (HOME itself when n == 0): by a path
 * through /proc, which names HOME by its descriptor, not by a path that
 * may have been renamed. */
static bool watch(int home, const char *rel, size_t n, uint32_t mask)
{
	char path[PATH_MAX];
	int k, wd;

	if (n)
		k = snprintf(path, sizeof(path), "/proc/self/fd/%d/%.*s", home, (int)n, rel);
	else
		k = snprintf(path, sizeof(path), "/proc/self/fd/%d", home);
	if (k < 0 || (size_t)k >= sizeof(path))
		return false;
	if (n)
		mask |= IN_DONT_FOLLOW; /* a symbolic link: watched as itself, refused below */
	wd = inotify_add_watch(ifd, path, mask);
	if (wd < 0) {
		if (errno == EBADF || errno == EINVAL)
			off();
		return false;
	}
	return wd <= FWATCH_MAX;
}

bool fwatch_add(int home, const char *rel, dev_t dev)
{
	const char *s;
	int depth = 0;

	if (!ready(home) || dev != home_dev || !watch(home, rel, 0, DIR_EVENTS | IN_ONLYDIR))
		return false;
	for (s = strchr(rel, '/'); s; s = strchr(s + 1, '/'))
		if (++depth > FWATCH_DEPTH ||
		    !watch(home, rel, (size_t)(s - rel), DIR_EVENTS | IN_ONLYDIR))
			return false;
	return watch(home, rel, strlen(rel), FILE_EVENTS);
}

bool fwatch_add_file(int home, const char *rel)
{
	return ifd >= 0 && watch(home, rel, strlen(rel), FILE_EVENTS);
}
