/* --probe URL: one GET, blocking (it runs instead of the server). */
#include "probe.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

#define PROBE_HOST_MAX 64
#define PROBE_PATH_MAX 2048

int probe_parse_url(const char *url, char *host, size_t hsz, unsigned *port,
		    char *path, size_t psz)
{
	static const char scheme[] = "http://";
	const char *h = url + sizeof(scheme) - 1, *end, *p;
	size_t n;

	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return -1;
	if (*h == '[') {
		end = strchr(++h, ']');
		if (!end)
			return -1;
		p = end + 1;
	} else {
		end = h + strcspn(h, ":/?#");
		p = end;
	}
	n = (size_t)(end - h);
	if (n == 0 || n >= hsz)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = 80;
	if (*p == ':') {
		const char *e;

		if (util_parse_uint(p + 1, &e, 65535, port) < 0 || *port == 0)
			return -1;
		p = e;
	}
	if (*p && *p != '/')
		return -1; /* a query needs a path: "http://h?x" is not ours */
	n = strcspn(p, "#");
	if (n + 2 > psz || memchr(p, ' ', n) || strpbrk(p, "\r\n"))
		return -1;
	if (n == 0)
		memcpy(path, "/", 2);
	else {
		memcpy(path, p, n);
		path[n] = '\0';
	}
	return 0;
}

/* host: an IPv4 or IPv6 literal, or "localhost" (127.0.0.1): no resolver. */
static int probe_addr(const char *host, unsigned port, struct sockaddr_in6 *sa,
		      socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;

	memset(sa, 0, sizeof(*sa));
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sa->sin6_addr) == 1) {
		sa->sin6_family = AF_INET6;
		sa->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sa);
		return 0;
	}
	return -1;
}

/* Wait for fd to be ready for events, until deadline (util_now_ms). */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left = deadline - util_now_ms();
	int r;

	if (left <= 0)
		return errno = ETIMEDOUT, -1;
	r = poll(&pfd, 1, (int)left);
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

/* Connect, send, and read the status line: the status, or -1 (errno). */
static int exchange(const struct sockaddr_in6 *sa, socklen_t len, const char *req,
		    int64_t deadline, char *line, size_t lsz)
{
	size_t got = 0, sent = 0, n = strlen(req);
	int fd = socket(sa->sin6_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0, status = -1;
	socklen_t el = sizeof(err);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, len) < 0 &&
	    (errno != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) < 0 ||
	     getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || (errno = err) != 0))
		goto out;
	while (sent < n) {
		ssize_t w = write(fd, req + sent, n - sent);

		if (w < 0 && (errno != EAGAIN || wait_fd(fd, POLLOUT, deadline) < 0))
			goto out;
		sent += w > 0 ? (size_t)w : 0;
	}
	while (got + 1 < lsz && !memchr(line, '\n', got)) {
		ssize_t r = read(fd, line + got, lsz - 1 - got);

		if (r == 0) {
			errno = ECONNRESET;
			break;
		}
		if (r < 0 && (errno != EAGAIN || wait_fd(fd, POLLIN, deadline) < 0))
			goto out;
		got += r > 0 ? (size_t)r : 0;
		line[got] = '\0';
	}
	line[strcspn(line, "\r\n")] = '\0';
	if (strncmp(line, "HTTP/1.", 7) == 0 && line[7] && line[8] == ' ' &&
	    isdigit((unsigned char)line[9]) && isdigit((unsigned char)line[10]) &&
	    isdigit((unsigned char)line[11]) && (line[12] == ' ' || !line[12])) {
		status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
		goto out;
	}
	status = -1;
	errno = EPROTO;
out:
	err = errno;
	close(fd);
	errno = err;
	return status;
}

int probe_run(const char *url, int timeout_ms)
{
	char host[PROBE_HOST_MAX], path[PROBE_PATH_MAX], req[PROBE_PATH_MAX + 256];
	char line[512] = "";
	struct sockaddr_in6 sa;
	socklen_t len;
	unsigned port;
	int status;

	if (probe_parse_url(url, host, sizeof(host), &port, path, sizeof(path)) < 0 ||
	    probe_addr(host, port, &sa, &len) < 0) {
		fprintf(stderr, "probe: %s: not http://IP[:PORT]/PATH (IPv4, [IPv6], localhost)\n",
			url);
		return 1;
	}
	snprintf(req, sizeof(req),
		 "GET %s HTTP/1.1\r\nHost: %s%s%s:%u\r\nUser-Agent: httpd-probe\r\n"
		 "Connection: close\r\n\r\n",
		 path, strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port);
	status = exchange(&sa, len, req, util_now_ms() + timeout_ms, line, sizeof(line));
	if (status < 0) {
		fprintf(stderr, "probe: %s: %s\n", url, strerror(errno));
		return 1;
	}
	fprintf(stderr, "probe: %s: %s\n", url, line);
	return status >= 200 && status <= 299 ? 0 : 1;
}
