/* The training run of the release build (make release): starts the
 * server built with -fprofile-generate on a port of 127.0.0.1, sends it a
 * fixed mix of requests shaped like its common traffic, checks every
 * answer's status, and stops it with SIGTERM, on which it writes its
 * profile. Most of the mix is what the benchmark's scenarios ask (a small
 * file kept alive and on new connections, 64 KiB kept alive); the rest
 * (a browser's head, 304, 206, HEAD, 404, a redirect, /api/calcul, a
 * head without Host) keeps those paths in the profile too. Everything the
 * mix leaves out is still optimized as without a profile
 * (-fprofile-partial-training).
 * Usage: train HTTPD          (exits 0 when every answer was as expected) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CONNS 10
#define BIG (64 * 1024)

static char docroot[] = "/tmp/httpd-train.XXXXXX";
static pid_t server = -1;
static int port;
static char etag[128], last_modified[64];
static char buf[BIG + 4096];

static void cleanup(void)
{
	static const char *const files[] = { "index.html", "big.bin", "dir/index.html", "dir" };
	char path[sizeof(docroot) + 32];
	size_t i;

	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", docroot, files[i]);
		remove(path);
	}
	rmdir(docroot);
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("train: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(1);
}

static void put(const char *name, size_t n, char c)
{
	char path[sizeof(docroot) + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", docroot, name);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	while (n--)
		putc(c, f);
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* A connected socket, or -1 (refused: the server is not up yet). */
static int dial(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	/* a server that stops answering fails the run, never hangs it */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int must_dial(void)
{
	int fd = dial();

	if (fd < 0)
		die("connect to 127.0.0.1:%d: %s", port, strerror(errno));
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			die("send: %s", w < 0 ? strerror(errno) : "closed");
		p += w;
		n -= (size_t)w;
	}
}

/* A header's value in the head h (NUL-terminated), copied into out. */
static int header(const char *h, const char *name, char *out, size_t size)
{
	size_t n = strlen(name);
	const char *p, *e;

	for (p = strstr(h, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
			p += 3 + n;
			p += strspn(p, " ");
			e = strstr(p, "\r\n");
			if (!e) /* the last line, its CRLF cut off */
				e = p + strlen(p);
			if ((size_t)(e - p) >= size)
				return -1;
			memcpy(out, p, (size_t)(e - p));
			out[e - p] = '\0';
			return 0;
		}
	return -1;
}

/* One answer from fd: its status, which must be want; its body is read
 * (none for HEAD and 304) and dropped. The head stays in buf. */
static void answer(int fd, int want, int head_only)
{
	size_t got = 0, hlen, need;
	char *end = NULL, cl[32];
	int status;

	while (!end) {
		ssize_t r;

		if (got == BIG)
			die("a head over %d bytes", BIG);
		r = recv(fd, buf + got, BIG - got, 0);
		if (r <= 0)
			die("reading an answer (%d wanted): %s", want,
			    r < 0 ? strerror(errno) : "closed");
		got += (size_t)r;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || status != want) {
		*end = '\0';
		die("wanted %d, got: %s", want, buf);
	}
	hlen = (size_t)(end + 4 - buf);
	need = head_only || status == 304 ? 0 : header(buf, "Content-Length", cl, sizeof(cl)) == 0 ? strtoul(cl, NULL, 10) : 0;
	*end = '\0'; /* the head, for header() */
	if (got - hlen > need)
		die("more than one answer's bytes for one request");
	for (need -= got - hlen; need;) {
		static char sink[BIG];
		ssize_t r = recv(fd, sink, need < sizeof(sink) ? need : sizeof(sink), 0);

		if (r <= 0)
			die("reading a body: %s", r < 0 ? strerror(errno) : "closed");
		need -= (size_t)r;
	}
}

/* rounds times: the request on each of n kept-alive connections, then
 * each answer (the server sees them together, as a loaded one does). */
static void kept_alive(int n, int rounds, const char *req, int want, int head_only)
{
	int fds[CONNS], i;

	for (i = 0; i < n; i++)
		fds[i] = must_dial();
	while (rounds--) {
		for (i = 0; i < n; i++)
			send_all(fds[i], req, strlen(req));
		for (i = 0; i < n; i++)
			answer(fds[i], want, head_only);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* rounds times: n new connections, one request each, the answer, then
 * the server's close. */
static void one_each(int n, int rounds, const char *req, int want)
{
	int fds[CONNS], i;

	while (rounds--) {
		for (i = 0; i < n; i++) {
			fds[i] = must_dial();
			send_all(fds[i], req, strlen(req));
		}
		for (i = 0; i < n; i++) {
			answer(fds[i], want, 0);
			if (recv(fds[i], buf, 1, 0) != 0)
				die("the connection stayed open after %d", want);
			close(fds[i]);
		}
	}
}

static void start(const char *httpd)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	char p[16];
	int fd, i;

	/* a free port: the kernel's pick, given back for the server to take */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		die("a free port: %s", strerror(errno));
	port = ntohs(a.sin_port);
	close(fd);
	snprintf(p, sizeof(p), "127.0.0.1:%d", port);
	server = fork();
	if (server < 0)
		die("fork: %s", strerror(errno));
	if (server == 0) {
		execl(httpd, httpd, "-f", "-p", p, "-h", docroot, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) { /* 10 s at most */
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		if ((fd = dial()) >= 0) {
			close(fd);
			return;
		}
		if (waitpid(server, NULL, WNOHANG) == server) {
			server = -1;
			die("%s exited before it listened on %s", httpd, p);
		}
		nanosleep(&ts, NULL);
	}
	die("%s did not listen on %s in 10 s", httpd, p);
}

int main(int argc, char **argv)
{
	static const char host[] = "Host: 127.0.0.1\r\n";
	char req[1024];
	int status, fd;

	if (argc != 2) {
		fprintf(stderr, "usage: train HTTPD\n");
		return 2;
	}
	if (!mkdtemp(docroot))
		die("mkdtemp: %s", strerror(errno));
	put("index.html", 612, 'x');
	put("big.bin", BIG, 'y');
	snprintf(req, sizeof(req), "%s/dir", docroot);
	if (mkdir(req, 0755) < 0)
		die("%s: %s", req, strerror(errno));
	put("dir/index.html", 100, 'z');
	start(argv[1]);

	/* the benchmark's three scenarios, most of the mix */
	kept_alive(CONNS, 2000, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		   "User-Agent: train\r\nAccept: */*\r\n\r\n", 200, 0);
	one_each(CONNS, 300, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		 "User-Agent: train\r\nAccept: */*\r\nConnection: close\r\n\r\n", 200);
	kept_alive(4, 250, "GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200, 0);
	/* what a browser sends for a page */
	snprintf(req, sizeof(req),
		 "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: keep-alive\r\n"
		 "Cache-Control: max-age=0\r\n"
		 "sec-ch-ua: \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n"
		 "sec-ch-ua-mobile: ?0\r\nsec-ch-ua-platform: \"Linux\"\r\n"
		 "Upgrade-Insecure-Requests: 1\r\n"
		 "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
		 "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n"
		 "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,"
		 "image/avif,image/webp,*/*;q=0.8\r\n"
		 "Sec-Fetch-Site: none\r\nSec-Fetch-Mode: navigate\r\n"
		 "Sec-Fetch-User: ?1\r\nSec-Fetch-Dest: document\r\n"
		 "Accept-Encoding: gzip, deflate, br, zstd\r\n"
		 "Accept-Language: en-US,en;q=0.9\r\n\r\n", port);
	kept_alive(CONNS, 100, req, 200, 0);
	/* revalidation, with the validators of the last answer */
	fd = must_dial();
	send_all(fd, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 35);
	answer(fd, 200, 0);
	close(fd);
	if (header(buf, "ETag", etag, sizeof(etag)) < 0 ||
	    header(buf, "Last-Modified", last_modified, sizeof(last_modified)) < 0)
		die("no ETag or Last-Modified in: %s", buf);
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n%sIf-None-Match: %s\r\n\r\n", host, etag);
	kept_alive(CONNS, 50, req, 304, 0);
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n%sIf-Modified-Since: %s\r\n\r\n", host,
		 last_modified);
	kept_alive(CONNS, 20, req, 304, 0);
	kept_alive(CONNS, 30, "GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		   "Range: bytes=0-99\r\n\r\n", 206, 0);
	kept_alive(CONNS, 30, "HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200, 1);
	kept_alive(CONNS, 30, "GET /missing.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404, 0);
	kept_alive(CONNS, 10, "GET /dir HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 301, 0);
	kept_alive(CONNS, 10, "GET /dir/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 200, 0);
	kept_alive(CONNS, 30, "GET /api/calcul?a=0.1&b=0.2 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
		   200, 0);
	kept_alive(CONNS, 20, "POST /api/calcul HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		   "Content-Type: application/x-www-form-urlencoded\r\n"
		   "Content-Length: 11\r\n\r\na=1.5&b=2.5", 200, 0);
	one_each(CONNS, 5, "GET / HTTP/1.1\r\n\r\n", 400); /* HTTP/1.1 needs a Host */

	/* SIGTERM: the server exits through exit(), which writes the profile */
	if (kill(server, SIGTERM) < 0 || waitpid(server, &status, 0) != server)
		die("stopping the server: %s", strerror(errno));
	server = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("the server did not exit cleanly (status 0x%x)", status);
	cleanup();
	return 0;
}
