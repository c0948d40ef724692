/* Request paths and HOME: the one normalizer of paths (request paths and
 * configuration prefixes) and the one owner of HOME, opened beneath it. */
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int home_fd = -1;
static char home_real[PATH_REL_MAX]; /* HOME's real path */

int path_init(const char *home)
{
	int fd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (!realpath(home, home_real)) {
		close(fd);
		return -1;
	}
	if (home_fd >= 0)
		close(home_fd);
	home_fd = fd;
	return 0;
}

int path_home_fd(void)
{
	return home_fd;
}

const char *path_home(void)
{
	return home_real;
}

/* Names are UTF-8 (RFC 3629): overlong forms, surrogates, stray or
 * missing continuation bytes are refused, raw or percent-encoded alike. */
static bool utf8_ok(const char *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += k)
		if ((k = util_utf8_len((const unsigned char *)s + i, n - i)) == 0)
			return false;
	return true;
}

/* The one normalizer: the segments of in[0..n) ('/'-separated, empty
 * ones and "." dropped, ".." taking the previous one back) into out as
 * "a/b" (no leading '/'); out may be in + 1 (in place). The length, -1
 * for a ".." above the top (clamp: it stays at the top), -2 when out is
 * too small. */
static inline long walk(const char *in, size_t n, char *out, size_t outsz, bool clamp)
{
	size_t i, o = 0, seg;

	for (i = 0; i < n; i = seg + 1) {
		const char *s;
		size_t sl;

		for (seg = i; seg < n && in[seg] != '/'; seg++)
			;
		s = in + i;
		sl = seg - i;
		if (sl == 0 || (sl == 1 && s[0] == '.'))
			continue;
		if (sl == 2 && s[0] == '.' && s[1] == '.') {
			if (o == 0 && !clamp)
				return -1;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* the separator before the dropped segment */
			continue;
		}
		if (o + (o ? 1 : 0) + sl + 1 > outsz)
			return -2;
		if (o)
			out[o++] = '/';
		memmove(out + o, s, sl);
		o += sl;
	}
	return (long)o;
}

/* path_resolve past "/": its own frame, the buffer for decoding. */
static __attribute__((noinline)) enum status resolve(const char *path, size_t n, char *out,
						     size_t outsz)
{
	char dec[HTTP_URL_MAX + 1]; /* a whole request target fits */
	const char *src = path; /* no escape (most paths): walked as it is */
	size_t i;
	long len = (long)n, o;

	if (n >= sizeof(dec))
		return S_URI_TOO_LONG;
	if (memchr(path, '%', n)) {
		for (i = 0; i + 2 < n; i++)
			if (path[i] == '%' && path[i + 1] == '2' &&
			    (path[i + 2] == 'f' || path[i + 2] == 'F'))
				return S_BAD_REQUEST; /* an encoded '/' */
		len = util_pct_decode(dec, path, n, 0);
		src = dec;
	}
	if (len < 0 || memchr(src, '\0', (size_t)len) || !utf8_ok(src, (size_t)len))
		return S_BAD_REQUEST;
	o = walk(src, (size_t)len, out, outsz, false);
	if (o == -1)
		return S_BAD_REQUEST; /* would rise above HOME */
	if (o == -2)
		return S_NOT_FOUND; /* longer than any path on disk */
	if (o == 0) {
		if (outsz < 2)
			return S_NOT_FOUND;
		out[o++] = '.';
	}
	out[o] = '\0';
	return S_OK;
}

enum status path_resolve(const char *path, size_t n, char *out, size_t outsz)
{
	if (n == 0 || path[0] != '/')
		return S_BAD_REQUEST;
	if (n == 1 && outsz >= 2) { /* "/", the most asked: HOME, no walk */
		memcpy(out, ".", 2);
		return S_OK;
	}
	return resolve(path, n, out, outsz);
}

/* Is the file open as fd inside HOME (by its real path, as the kernel
 * resolved it)? */
static bool inside_home(int fd)
{
	char proc[64], real[PATH_REL_MAX];
	size_t hl = strlen(home_real);
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, real, sizeof(real) - 1);
	if (n < 0 || (size_t)n < hl || memcmp(real, home_real, hl) != 0)
		return false;
	return (size_t)n == hl || real[hl] == '/' || (hl == 1 && real[0] == '/');
}

/* Resolve rel following links as an O_PATH fd (opening nothing, so no
 * device sees an open), and open through it only when the file reached
 * lies inside HOME. */
static int open_checked(int dir, const char *rel, uint64_t flags)
{
	char proc[64];
	int pfd = openat(dir, rel, O_PATH | O_CLOEXEC), fd, err;

	if (pfd < 0)
		return -1;
	if (!inside_home(pfd)) {
		close(pfd);
		errno = EXDEV;
		return -1;
	}
	if (flags & O_PATH)
		return pfd;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, (int)flags | O_CLOEXEC);
	err = errno;
	close(pfd);
	errno = err;
	return fd;
}

static bool no_openat2; /* old kernel, or valgrind */

/* Open rel beneath dir, never outside HOME. openat2(RESOLVE_BENEATH)
 * refuses every ".." above dir and every absolute symlink, even one that
 * lands inside HOME: for those (EXDEV), and where openat2 is missing,
 * the path is checked by where it really leads. */
static int open_home(int dir, const char *rel, uint64_t flags)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (!no_openat2) {
		fd = (int)syscall(SYS_openat2, dir, rel, &how, sizeof(how));
		if (fd >= 0 || (errno != EXDEV && errno != ENOSYS))
			return fd;
		no_openat2 = errno == ENOSYS;
	}
	return open_checked(dir, rel, flags);
}

int path_open_beneath(int dir, const char *rel)
{
	return open_home(dir, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK);
}

int path_open(const char *rel, int flags)
{
	return open_home(home_fd, rel, (uint64_t)flags);
}


void path_norm(char *p)
{
	size_t n = strlen(p);
	long o = walk(p, n, p + 1, n + 1, true); /* in place, never longer */

	p[0] = '/';
	p[o > 0 ? o + 1 : 1] = '\0';
}

bool path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return true;
	return strncmp(path, prefix, n) == 0 && (path[n] == '/' || path[n] == '\0');
}
