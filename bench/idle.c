/* Open N keep-alive connections to 127.0.0.1:PORT, send one full request on
 * each and read its whole response, so each is a real idle keep-alive
 * connection; then print "ready OK" (OK = connections still open) and hold
 * them until stdin closes or a signal comes.
 * Usage: idle PORT N [PATH] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 200 /* connections in flight at once: no backlog overflow */

struct c {
	int fd;
	int state; /* 0 connecting/sending, 1 reading, 2 done, -1 dead */
	size_t got, need;
	char head[1024];
	size_t hlen;
};

static size_t content_length(const char *h)
{
	const char *p = h;

	while ((p = strchr(p, '\n'))) {
		p++;
		if (strncasecmp(p, "content-length:", 15) == 0)
			return (size_t)strtoul(p + 15, NULL, 10);
	}
	return 0;
}

/* Read what is there; 1 when the response is complete, 0 for more, -1 dead. */
static int on_read(struct c *c)
{
	char buf[8192];

	for (;;) {
		ssize_t r = read(c->fd, buf, sizeof(buf));

		if (r == 0)
			return -1;
		if (r < 0)
			return errno == EAGAIN ? 0 : -1;
		if (!c->need) {
			size_t k = (size_t)r < sizeof(c->head) - 1 - c->hlen
					   ? (size_t)r : sizeof(c->head) - 1 - c->hlen;
			char *e;

			memcpy(c->head + c->hlen, buf, k);
			c->hlen += k;
			c->head[c->hlen] = '\0';
			e = strstr(c->head, "\r\n\r\n");
			if (!e)
				continue;
			c->need = (size_t)(e + 4 - c->head) + content_length(c->head);
		}
		c->got += (size_t)r;
		if (c->got >= c->need)
			return 1;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct rlimit rl;
	char req[256];
	struct c *cs;
	int n, i, ep, open_next = 0, inflight = 0, done = 0, dead = 0;
	time_t start = time(NULL);

	if (argc < 3) {
		fprintf(stderr, "usage: idle PORT N [PATH]\n");
		return 2;
	}
	n = atoi(argv[2]);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		 argc > 3 ? argv[3] : "/");
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cs = calloc((size_t)n, sizeof(*cs));
	ep = epoll_create1(0);
	if (!cs || ep < 0)
		return 1;
	while (done + dead < n) {
		struct epoll_event evs[256];
		int k;

		while (inflight < BATCH && open_next < n) {
			struct c *c = &cs[open_next++];
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

			c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
			if (c->fd < 0 || (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
					  errno != EINPROGRESS)) {
				if (c->fd >= 0)
					close(c->fd);
				c->state = -1;
				dead++;
				continue;
			}
			ev.events = EPOLLOUT;
			epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
			inflight++;
		}
		k = epoll_wait(ep, evs, 256, 1000);
		if (k == 0 && time(NULL) - start > 30)
			break; /* a server that never answers some: report what we have */
		for (i = 0; i < k; i++) {
			struct c *c = evs[i].data.ptr;
			int r;

			if (c->state == 0) {
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

				if (write(c->fd, req, strlen(req)) != (ssize_t)strlen(req)) {
					r = -1;
				} else {
					c->state = 1;
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
					continue;
				}
			} else {
				r = on_read(c);
				if (r == 0)
					continue;
			}
			epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			inflight--;
			if (r > 0) {
				c->state = 2;
				done++;
			} else {
				close(c->fd);
				c->state = -1;
				dead++;
			}
		}
	}
	/* Are they still open (a server may close right after answering)? */
	usleep(300 * 1000);
	{
		int alive = 0;

		for (i = 0; i < n; i++) {
			struct pollfd p = { .fd = cs[i].fd, .events = POLLIN | POLLRDHUP };

			if (cs[i].state != 2)
				continue;
			if (poll(&p, 1, 0) == 0)
				alive++;
		}
		printf("ready %d\n", alive);
		fflush(stdout);
	}
	/* Hold until told to stop. */
	{
		char b[64];

		while (read(0, b, sizeof(b)) > 0)
			;
	}
	return 0;
}
