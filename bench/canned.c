/* The physical-limit reference for the benchmark: one thread, one epoll loop,
 * every request answered with the same 612-byte page, keep-alive. No parsing
 * (a request is counted at each "\r\n\r\n"), no files, no Date, no timers.
 * A read holding "Connection: close" is answered with it and the connection
 * closed; new connections are accepted with their request (TCP_DEFER_ACCEPT)
 * and read at once: accept4, read, write, close, the least a new connection
 * can cost.
 * With FILE, a read starting "GET /<FILE's name> " is answered with a canned
 * head and a sendfile of FILE (open once, its size taken at start): the
 * limit for the 64 KiB keep-alive scenario.
 * Usage: canned PORT [FILE]   (listens on 127.0.0.1 only) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define BODY_LEN 612
#define MAX_EVENTS 256
#define RBUF 16384

static char resp[1024], resp_close[1024];
static size_t resp_len, resp_close_len;
/* The file answer: "GET /name " selects it; head then the file. */
static char file_get[300], file_head[256];
static size_t file_get_len, file_head_len;
static int file_fd = -1;
static off_t file_size;

/* Per connection: the tail of the previous read, to find a "\r\n\r\n"
 * split across two reads; for the file answer, how far it is sent and how
 * many more are owed (a full socket buffer waits for EPOLLOUT). */
struct conn {
	int fd;
	unsigned tail; /* how many of "\r\n\r\n" matched at the end so far */
	unsigned files; /* file answers still to send, the current one included */
	off_t pos; /* of the current one: head bytes, then file bytes */
};

static void build_response(void)
{
	char body[BODY_LEN];
	int n;

	memset(body, 'x', sizeof(body));
	body[BODY_LEN - 1] = '\n';
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 200 OK\r\nServer: canned\r\n"
		     "Content-Type: text/html\r\nContent-Length: %d\r\n\r\n",
		     BODY_LEN);
	memcpy(resp + n, body, BODY_LEN);
	resp_len = (size_t)n + BODY_LEN;
	n = snprintf(resp_close, sizeof(resp_close),
		     "HTTP/1.1 200 OK\r\nServer: canned\r\nContent-Type: text/html\r\n"
		     "Content-Length: %d\r\nConnection: close\r\n\r\n", BODY_LEN);
	memcpy(resp_close + n, body, BODY_LEN);
	resp_close_len = (size_t)n + BODY_LEN;
}

static void open_file(const char *path)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct stat st;
	int n;

	file_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (file_fd < 0 || fstat(file_fd, &st) < 0) {
		perror(path);
		exit(1);
	}
	file_size = st.st_size;
	n = snprintf(file_get, sizeof(file_get), "GET /%s ", name);
	file_get_len = n > 0 && (size_t)n < sizeof(file_get) ? (size_t)n : 0;
	n = snprintf(file_head, sizeof(file_head),
		     "HTTP/1.1 200 OK\r\nServer: canned\r\n"
		     "Content-Type: application/octet-stream\r\nContent-Length: %lld\r\n\r\n",
		     (long long)file_size);
	file_head_len = (size_t)n;
}

/* Count the requests ending in buf, carrying the partial match across reads. */
static unsigned count_requests(struct conn *c, const char *buf, size_t n)
{
	static const char pat[4] = { '\r', '\n', '\r', '\n' };
	unsigned k = c->tail, found = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == pat[k]) {
			if (++k == 4) {
				found++;
				k = 0;
			}
		} else {
			k = buf[i] == '\r' ? 1 : 0;
		}
	}
	c->tail = k;
	return found;
}

static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

/* Answer the requests just read; a client that does not drain its socket
 * (wrk always does) would just be cut. */
static int answer(int fd, unsigned nreq)
{
	static char out[64 * 1024];
	size_t per = sizeof(out) / resp_len, len = 0;

	while (nreq) {
		unsigned k = nreq < per ? nreq : (unsigned)per;
		unsigned i;

		for (len = 0, i = 0; i < k; i++, len += resp_len)
			memcpy(out + len, resp, resp_len);
		if (write(fd, out, len) != (ssize_t)len)
			return -1;
		nreq -= k;
	}
	return 0;
}

/* Send the file answers owed: 1 when the socket is full (wait for
 * EPOLLOUT), 0 when all are sent, -1 on an error. */
static int send_files(struct conn *c)
{
	while (c->files) {
		ssize_t w;

		if (c->pos < (off_t)file_head_len) {
			w = send(c->fd, file_head + c->pos, file_head_len - (size_t)c->pos,
				 MSG_MORE);
		} else {
			off_t off = c->pos - (off_t)file_head_len;

			w = sendfile(c->fd, file_fd, &off, (size_t)(file_size - off));
		}
		if (w < 0)
			return errno == EAGAIN ? 1 : errno == EINTR ? 0 : -1;
		c->pos += w;
		if (c->pos == (off_t)file_head_len + file_size) {
			c->pos = 0;
			c->files--;
		}
	}
	return 0;
}

/* Read and answer what is there; -1 when the connection is to be closed:
 * EOF, an error, or after a "Connection: close" request; 1 when a file
 * answer waits for room in the socket. */
static int serve(struct conn *c)
{
	static char buf[RBUF];

	if (c->files) {
		int w = send_files(c);

		if (w)
			return w;
	}
	for (;;) {
		ssize_t r = read(c->fd, buf, sizeof(buf));

		if (r > 0) {
			unsigned k = count_requests(c, buf, (size_t)r);

			if (k && file_get_len && (size_t)r >= file_get_len &&
			    !memcmp(buf, file_get, file_get_len)) {
				int w;

				c->files += k; /* a pipelined batch: all of it is the file */
				w = send_files(c);
				if (w)
					return w;
				if ((size_t)r < sizeof(buf))
					return 0;
				continue;
			}

			if (k && memmem(buf, (size_t)r, "Connection: close", 17)) {
				if (write(c->fd, resp_close, resp_close_len) < 0)
					perror("write");
				return -1;
			}
			if (k && answer(c->fd, k) < 0)
				return -1;
			if ((size_t)r < sizeof(buf))
				return 0; /* level-triggered: no need to hit EAGAIN */
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 && errno == EAGAIN ? 0 : -1;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct epoll_event evs[MAX_EVENTS], ev = { .events = EPOLLIN };
	int one = 1, lfd, ep;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: canned PORT [FILE]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	build_response();
	if (argc == 3)
		open_file(argv[2]);
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return perror("socket"), 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4096) < 0)
		return perror("bind/listen"), 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.ptr = NULL; /* NULL tags the listening socket */
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, -1), i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return perror("epoll_wait"), 1;
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			int w, was;

			if (!c) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL,
						     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					struct epoll_event cev = { .events = EPOLLIN };

					c = calloc(1, sizeof(*c));
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					w = serve(c);
					if (w < 0) { /* answered at once */
						close(fd);
						free(c);
						continue;
					}
					cev.events = w ? EPOLLOUT : EPOLLIN;
					cev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
				}
				continue;
			}
			was = c->files != 0;
			w = serve(c);
			if (w < 0) {
				conn_close(ep, c);
			} else if (was != (w == 1)) { /* waiting for room, or done */
				struct epoll_event cev = { .events = w ? EPOLLOUT : EPOLLIN,
							   .data.ptr = c };

				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &cev);
			}
		}
	}
}
