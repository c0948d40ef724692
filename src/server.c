/* Listening sockets, accepting, signals, start and stop, workers. */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "connio.h"
#include "log.h"
#include "metrics.h"

#define MAX_LISTEN 4
#define ACCEPT_BATCH 64
#define ACCEPT_RETRY_MS 100 /* after EMFILE: no spinning on a full table */

struct server_cfg server_cfg = {
	.grace_ms = 5000,
	.max_conns = 0,
};

struct listener {
	struct watcher w;
	int fd;
};

static struct listener listeners[MAX_LISTEN];
static int nlisten;
static int sigfd = -1;
static bool accepting;
void (*server_hup_hook)(void);
void (*server_child_hook)(void);
void (*server_stop_hook)(void);
static void on_signal(struct watcher *w, uint32_t events);
static struct watcher sig_watcher = { on_signal };
static int64_t accept_retry_at;

/* Split "[IP:]PORT", "[v6]:PORT" or "v6:PORT"; host NULL for any address. */
static int valid_port(const char *s)
{
	char *end;
	long p = strtol(s, &end, 10);

	return *s >= '0' && *s <= '9' && !*end && p >= 0 && p <= 65535 ? 0 : -1;
}

int server_parse_addr(const char *spec, char *host, size_t hsz, const char **port)
{
	const char *colon = strrchr(spec, ':');

	host[0] = '\0';
	if (!colon) {
		*port = spec;
		return valid_port(spec);
	}
	*port = colon + 1;
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');

		if (!end || end + 1 != colon || (size_t)(end - spec - 1) >= hsz)
			return -1;
		memcpy(host, spec + 1, (size_t)(end - spec - 1));
		host[end - spec - 1] = '\0';
	} else {
		if ((size_t)(colon - spec) >= hsz)
			return -1;
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = '\0';
	}
	return valid_port(*port);
}

static int listen_on(const struct addrinfo *ai)
{
	int one = 1, zero = 0;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Whole answers go out in one sendmsg: Nagle would only delay them.
	 * Accepted sockets inherit it, saving a call per connection. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Be woken for a connection once its request is there: one wakeup,
	 * and a connection answered and closed in its first run never enters
	 * the epoll set. A silent client is handed over anyway after about a
	 * second (the kernel's first SYN-ACK retransmission), and the head
	 * timeout runs from then. */
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one));
	/* Each read tells when its bytes arrived (inherited too): those that
	 * came before a batch's wait need no read of the file-change queue
	 * (fwatch.h). Without it every batch reads the queue, as before. */
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	/* A bare port serves IPv4 and IPv6 on one dual-stack socket. */
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The signals the loop reads from its signalfd (the supervisor waits for
 * them), blocked: set is filled with them. */
static int block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
	return sigprocmask(SIG_BLOCK, set, NULL);
}

int server_listen(const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char host[64], *end;
	const char *port;
	long p;
	int rc, fd = -1, err = 0;
	sigset_t set;

	/* From the moment a client can connect, a stop signal waits for the
	 * loop (its signalfd) to end the server cleanly, rather than kill it
	 * by its default action before the loop is set up. */
	if (block_signals(&set) < 0)
		return -1;
	if (server_parse_addr(spec, host, sizeof(host), &port) < 0 || nlisten == MAX_LISTEN)
		goto bad;
	p = strtol(port, &end, 10);
	if (!host[0])
		hints.ai_family = AF_INET6; /* then AF_INET if IPv6 is off */
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc != 0 && !host[0]) {
		hints.ai_family = AF_INET;
		rc = getaddrinfo(NULL, port, &hints, &res);
	}
	if (rc != 0)
		goto bad;
	for (ai = res; ai && fd < 0; ai = ai->ai_next)
		if ((fd = listen_on(ai)) < 0)
			err = errno;
	if (fd < 0 && !host[0]) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_port = htons((uint16_t)p) };
		struct addrinfo v4 = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM,
				       .ai_addr = (struct sockaddr *)&sin,
				       .ai_addrlen = sizeof(sin) };

		fd = listen_on(&v4);
	}
	freeaddrinfo(res);
	if (fd < 0) {
		log_error("cannot listen on %s: %s", spec, strerror(err ? err : errno));
		return -1;
	}
	listeners[nlisten++].fd = fd;
	return 0;
bad:
	log_error("bad address '%s' (expected [IP:]PORT)", spec);
	return -1;
}

/* Workers share the listening sockets: EPOLLEXCLUSIVE wakes one of them
 * per connection, not all. It only allows ADD and DEL, hence pausing by
 * removal. */
static uint32_t listen_events(void)
{
	return server_cfg.workers > 1 ? EPOLLIN | EPOLLEXCLUSIVE : EPOLLIN;
}

static void set_accepting(bool on)
{
	int i;

	if (accepting == on)
		return;
	accepting = on;
	for (i = 0; i < nlisten; i++) {
		if (on)
			loop_watch(listeners[i].fd, &listeners[i].w, listen_events());
		else
			loop_unwatch(listeners[i].fd);
	}
}

/* A connection slot was freed: accepting may resume. */
static void conn_slot_freed(void)
{
	if (!accepting && !loop_stopping)
		set_accepting(true);
}

static void accept_batch(struct watcher *w, uint32_t events)
{
	int lfd = container_of(w, struct listener, w)->fd;
	int i;

	(void)events;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd;

		if (connio_count() >= server_cfg.max_conns) {
			set_accepting(false); /* resumes when a slot frees */
			accept_retry_at = 0;
			return;
		}
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				log_debug("accept: %s; pausing", strerror(errno));
				set_accepting(false);
				accept_retry_at = loop_now + ACCEPT_RETRY_MS;
			}
			return; /* EAGAIN, or a connection already gone */
		}
		metrics_accepted++;
		if (!connio_open(fd, fd, (struct sockaddr *)&ss))
			close(fd);
	}
}

static int setup_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	if (block_signals(&set) < 0)
		return -1;
	sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return sigfd < 0 ? -1 : loop_watch(sigfd, &sig_watcher, EPOLLIN);
}

static int64_t stop_deadline, drain_deadline;

/* Stop accepting; answers in flight get --grace. */
static void stop(void)
{
	int i;

	loop_stopping = true;
	stop_deadline = loop_now + server_cfg.grace_ms;
	for (i = 0; i < nlisten; i++) {
		loop_unwatch(listeners[i].fd);
		close(listeners[i].fd);
	}
	nlisten = 0;
	if (server_stop_hook)
		server_stop_hook();
	connio_stop_all();
}

/* SIGTERM/SIGQUIT with --drain: serve on, unready and closing every
 * connection after its answer, so load balancers move away first. A
 * second signal (or SIGINT) stops at once. */
static bool drain(unsigned sig)
{
	if (!server_cfg.drain_ms || loop_draining || (sig != SIGTERM && sig != SIGQUIT))
		return false;
	loop_draining = true;
	drain_deadline = loop_now + server_cfg.drain_ms;
	log_info("signal %u: draining for %d ms", sig, server_cfg.drain_ms);
	return true;
}

static void on_signal(struct watcher *w, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)w;
	(void)events;
	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (server_hup_hook)
				server_hup_hook();
			continue;
		}
		if (si.ssi_signo == SIGCHLD) {
			if (server_child_hook)
				server_child_hook();
			continue;
		}
		if (loop_stopping || drain(si.ssi_signo))
			continue;
		log_debug("signal %u: stopping", si.ssi_signo);
		stop();
	}
}

int server_init(void)
{
	int i;

	if (loop_init() < 0 || setup_signals() < 0)
		return -1;
	connio_closed_hook = conn_slot_freed;
	metrics_init(connio_count);
	for (i = 0; i < nlisten; i++) {
		listeners[i].w.on_event = accept_batch;
		if (loop_watch(listeners[i].fd, &listeners[i].w, listen_events()) < 0)
			return -1;
	}
	accepting = true;
	return 0;
}

int server_adopt(int rfd, int wfd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getpeername(rfd, (struct sockaddr *)&ss, &sl) < 0)
		ss.ss_family = AF_UNSPEC; /* a pipe: no peer address */
	/* The loop ends when this connection does: no listener is left. */
	if (!connio_open(rfd, wfd, (struct sockaddr *)&ss))
		return -1;
	connio_flush();
	return 0;
}

int server_run(void)
{
	for (;;) {
		int64_t d = loop_next_deadline();

		if (connio_count() == 0 && (loop_stopping || nlisten == 0))
			break;
		if (!accepting && accept_retry_at && accept_retry_at < d)
			d = accept_retry_at;
		if (loop_stopping && stop_deadline < d)
			d = stop_deadline;
		if (loop_draining && !loop_stopping && drain_deadline < d)
			d = drain_deadline;
		if (loop_wait(d) < 0) {
			log_error("epoll_wait: %s", strerror(errno));
			return 1;
		}
		connio_flush();
		loop_free_dead(); /* nothing of this batch can name them any more */
		if (!accepting && accept_retry_at && loop_now >= accept_retry_at &&
		    !loop_stopping) {
			accept_retry_at = 0;
			set_accepting(true);
		}
		loop_expire_timers();
		loop_free_dead();
		if (loop_draining && !loop_stopping && loop_now >= drain_deadline)
			stop();
		if (loop_stopping && loop_now >= stop_deadline) {
			connio_close_all();
			break;
		}
	}
	loop_free_dead();
	return 0;
}

/* --- worker processes ------------------------------------------------------ */

static pid_t *workers;
static int nworkers;

static void signal_workers(int sig)
{
	int i;

	for (i = 0; i < nworkers; i++)
		if (workers[i] > 0)
			kill(workers[i], sig);
}

/* The supervisor: passes signals on, reaps; done when no worker is left. */
static int supervise(int live)
{
	sigset_t set;
	int status = 0;

	block_signals(&set);
	while (live > 0) {
		int sig = sigwaitinfo(&set, NULL), st, i;
		pid_t pid;

		if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT || sig == SIGHUP) {
			signal_workers(sig);
			continue;
		}
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			for (i = 0; i < nworkers; i++)
				if (workers[i] == pid)
					workers[i] = 0;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				log_error("worker %d ended abnormally (status %d)", (int)pid, st);
				status = 1;
			}
			live--;
		}
	}
	return status;
}

int server_fork_workers(void)
{
	sigset_t set;
	int i;

	if (server_cfg.workers <= 1)
		return -1;
	block_signals(&set); /* before fork: no signal is lost */
	workers = calloc((size_t)server_cfg.workers, sizeof(*workers));
	if (!workers)
		return 1;
	for (i = 0; i < server_cfg.workers; i++) {
		pid_t self = getpid(), pid = fork();

		if (pid < 0) {
			log_error("cannot start worker %d: %s", i + 1, strerror(errno));
			signal_workers(SIGTERM);
			supervise(nworkers);
			return 1;
		}
		if (pid == 0) {
			free(workers);
			workers = NULL;
			nworkers = 0;
			prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the supervisor */
			/* it may have died between fork and prctl: no signal then */
			if (getppid() != self)
				_exit(0);
			return -1;
		}
		workers[nworkers++] = pid;
	}
	return supervise(nworkers);
}
