/* CGI/1.1 (RFC 3875) scripts, run without blocking the event loop: the
 * request body goes to the script's stdin and its stdout comes back
 * through non-blocking pipes watched by the same epoll loop. */
#include "cgi.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "loop.h"
#include "log.h"
#include "path.h"


int cgi_max = 32;

struct cgi {
	struct stream stream;      /* what the connection sees */
	struct timer timer;
	struct watcher win, wout;  /* stdin and stdout pipes */
	struct cgi *next;
	pid_t pid;
	int in_fd, out_fd;
	struct buf head;           /* the script's header block, then leftovers */
	size_t body_off;           /* leftovers (body bytes) start here */
	bool can_read;
	bool head_done, eof;
};

static struct cgi *running;
static int nrunning;

int cgi_running(void)
{
	return nrunning;
}

/* What runs: the file (relative to HOME), its interpreter if any, and the
 * CGI names for it. */
struct target {
	char rel[PATH_REL_MAX];
	char info[PATH_REL_MAX];     /* PATH_INFO */
	const char *interp;      /* NULL: the file is the program */
};

/* Under cgi-bin/ (the first byte tells most paths apart, no call). */
static inline bool in_cgi_bin(const char *rel)
{
	return rel[0] == 'c' && strncmp(rel, "cgi-bin/", 8) == 0;
}

/* rel without its last n bytes (a coding's suffix): a script's name? The
 * copy's room apart from cgi_claims, which most names leave at once. */
static __attribute__((noinline)) bool claims_stem(const char *rel, size_t n)
{
	char base[PATH_REL_MAX];

	if (n >= sizeof(base))
		return false;
	memcpy(base, rel, n);
	base[n] = '\0';
	return cgi_claims(base);
}

bool cgi_claims(const char *rel)
{
	size_t n;

	if (in_cgi_bin(rel))
		return true;
	if (!config_uses.interp)
		return false; /* a stem without its suffix starts as rel does */
	if (config_interpreter(rel) != NULL)
		return true;
	/* A pre-compressed variant is the script's source too. */
	n = strlen(rel);
	if (n > 3 && (strcmp(rel + n - 3, ".gz") == 0 || strcmp(rel + n - 3, ".br") == 0))
		return claims_stem(rel, n - 3);
	return false;
}

/* A directory named with its slash whose index file (I:) is a script:
 * t->rel becomes that file, so the script answers as for its own name.
 * Otherwise t->rel is left as it was. */
static void index_target(struct target *t)
{
	const char *index = config_index_name();
	size_t rl = strlen(t->rel), il = strlen(index), at = rl;
	struct stat st;

	if (rl + 1 + il >= sizeof(t->rel) ||
	    fstatat(path_home_fd(), t->rel, &st, 0) < 0 || !S_ISDIR(st.st_mode))
		return;
	if (strcmp(t->rel, ".") == 0)
		at = 0;
	else
		t->rel[at++] = '/';
	memcpy(t->rel + at, index, il + 1);
	if (!cgi_claims(t->rel) || fstatat(path_home_fd(), t->rel, &st, 0) < 0 ||
	    !S_ISREG(st.st_mode))
		t->rel[rl] = '\0';
}

/* /cgi-bin/NAME[/PATH_INFO], or any file with an interpreter extension. */
static bool target_of(const char *rel, bool slash_dir, struct target *t)
{
	size_t n = strlen(rel);
	char *slash;

	if (n >= sizeof(t->rel))
		return false;
	memcpy(t->rel, rel, n + 1);
	t->info[0] = '\0';
	t->interp = NULL;
	if (slash_dir && config_interpreter(config_index_name()))
		index_target(t);
	/* The resolved path decides (as busybox does): "//cgi-bin/x" or
	 * "/a/../cgi-bin/x" run x too, never send it as a file. */
	if (in_cgi_bin(t->rel)) {
		slash = strchr(t->rel + 8, '/');
		if (slash) {
			snprintf(t->info, sizeof(t->info), "%s", slash);
			*slash = '\0';
		}
		return true;
	}
	t->interp = config_interpreter(t->rel);
	return t->interp != NULL;
}

/* Was the directory named with its slash? */
static bool slash_dir(const struct request *req)
{
	return req->path.len && span_ptr(req, req->path)[req->path.len - 1] == '/';
}

/* Out of line: its target's room costs the files' fast path nothing. */
static __attribute__((noinline)) bool match_target(const struct request *req, const char *rel)
{
	struct target t;

	return target_of(rel, slash_dir(req), &t);
}

bool cgi_match(const struct request *req, const char *rel)
{
	/* Most requests are for files: without interpreter lines, only a path
	 * under cgi-bin/ can name a script. */
	if (!config_uses.interp && !in_cgi_bin(rel))
		return false;
	return match_target(req, rel);
}

/* --- output: the script's header block --------------------------------- */

static bool name_is(const char *line, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && line[k] == ':' && strncasecmp(line, name, k) == 0;
}

int cgi_header_line(const char *line, size_t n, struct response *resp,
		    int *status, bool *has_ctype, long long *clen)
{
	const char *colon = memchr(line, ':', n);
	const char *v;
	size_t vn, i;

	if (!colon || colon == line)
		return -1;
	for (i = 0; line + i < colon; i++)
		if (line[i] <= ' ' || line[i] >= 0x7f)
			return -1;
	for (v = colon + 1; v < line + n && (*v == ' ' || *v == '\t'); v++)
		;
	vn = (size_t)(line + n - v);
	for (i = 0; i < vn; i++)
		if ((unsigned char)v[i] < ' ' && v[i] != '\t')
			return -1;
	if (name_is(line, n, "Status")) {
		if (vn < 3 || !isdigit((unsigned char)v[0]) || !isdigit((unsigned char)v[1]) ||
		    !isdigit((unsigned char)v[2]) || (vn > 3 && v[3] != ' '))
			return -1;
		*status = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
		return *status >= 200 && *status <= 599 ? 0 : -1;
	}
	if (name_is(line, n, "Content-Length")) {
		char *end;
		char tmp[24];

		if (vn == 0 || vn >= sizeof(tmp))
			return -1;
		memcpy(tmp, v, vn);
		tmp[vn] = '\0';
		errno = 0;
		*clen = strtoll(tmp, &end, 10);
		return errno || *end || *clen < 0 || !isdigit((unsigned char)tmp[0]) ? -1 : 0;
	}
	/* Framing is ours to decide. */
	if (name_is(line, n, "Connection") || name_is(line, n, "Transfer-Encoding") ||
	    name_is(line, n, "Keep-Alive"))
		return 0;
	if (name_is(line, n, "Content-Type"))
		*has_ctype = true;
	if (name_is(line, n, "Location")) {
		/* "//host" or "/\\host" is another host to a browser, not the
		 * local path RFC 3875 §6.2.2 allows: not passed on. */
		if (vn >= 2 && v[0] == '/' && (v[1] == '/' || v[1] == '\\'))
			return -1;
		if (*status == 0)
			*status = S_FOUND; /* local redirects too: the client follows them */
	}
	if (resp->hdrs->len + n + 2 > CGI_HEAD_MAX || /* the script's lines: 502 beyond */
	    buf_append(resp->hdrs, line, n) < 0 ||
	    buf_append(resp->hdrs, "\r\n", 2) < 0)
		return -1;
	return 0;
}

/* --- processes ------------------------------------------------------------ */

static void unlink_cgi(struct cgi *g)
{
	struct cgi **pp;

	for (pp = &running; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			nrunning--;
			return;
		}
}

static void close_pipe(int *fd)
{
	if (*fd >= 0) {
		loop_unwatch(*fd);
		close(*fd);
		*fd = -1;
	}
}

static void stop(struct stream *s)
{
	struct cgi *g = container_of(s, struct cgi, stream);

	loop_timer_clear(&g->timer);
	close_pipe(&g->in_fd);
	close_pipe(&g->out_fd);
	/* The whole process group: a script's children go with it. The
	 * zombie is reaped on SIGCHLD (cgi_reap). */
	if (g->pid > 0)
		kill(-g->pid, SIGKILL);
	unlink_cgi(g);
	buf_free(&g->head);
	loop_watcher_dead(&g->win);
	loop_watcher_dead(&g->wout);
	loop_defer_free(g);
}

void cgi_reap(void)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct cgi *g;

		for (g = running; g; g = g->next)
			if (g->pid == pid)
				g->pid = 0; /* exited: nothing left to kill */
		if (WIFSIGNALED(st))
			log_debug("cgi %d: killed by signal %d", (int)pid, WTERMSIG(st));
	}
}

/* In the child: pipes on 0 and 1, signals as a fresh process, exec. */
static void child(int in, int out, const char *dir, char *const argv[], char *const envp[])
{
	sigset_t none;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || chdir(dir) < 0)
		_exit(127);
	execve(argv[0], argv, envp);
	_exit(127);
}

static pid_t spawn(const char *script, const char *interp, char *const envp[],
		   int *in_fd, int *out_fd)
{
	char dir[PATH_REL_MAX], *slash;
	char *argv[] = { (char *)(interp ? interp : script), (char *)script, NULL };
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	size_t len = strlen(script);
	pid_t pid;

	if (len >= sizeof(dir))
		return -1;
	memcpy(dir, script, len + 1);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		goto err;
	pid = fork();
	if (pid < 0)
		goto err;
	if (pid == 0) {
		if (!interp)
			argv[1] = NULL;
		child(in[0], out[1], dir, argv, envp);
	}
	setpgid(pid, pid); /* also in the parent: no race with kill(-pid) */
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	*in_fd = in[1];
	*out_fd = out[0];
	return pid;
err:
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
	return -1;
}

/* --- the running script ---------------------------------------------------- */

/* Write what the script's stdin takes now; the rest stays in b. */
static void feed(struct stream *s, struct buf *b, bool done)
{
	struct cgi *g = container_of(s, struct cgi, stream);
	size_t sent = 0;

	while (g->in_fd >= 0 && sent < b->len) {
		ssize_t n = write(g->in_fd, b->data + sent, b->len - sent);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			close_pipe(&g->in_fd); /* EPIPE: the script does not read it */
			break;
		}
		sent += (size_t)n;
	}
	if (g->in_fd < 0 || sent == b->len) {
		b->len = 0; /* all taken, or nobody to take it: the rest is dropped */
	} else if (sent) {
		memmove(b->data, b->data + sent, b->len - sent);
		b->len -= sent;
	}
	if (done && b->len == 0)
		close_pipe(&g->in_fd); /* the whole body: the script sees EOF */
}

static void on_stdin(struct watcher *w, uint32_t events)
{
	struct cgi *g = container_of(w, struct cgi, win);

	(void)events;
	g->stream.wake(g->stream.ctx, 0); /* feeds more, may go on reading */
}

/* The header block is complete in g->head: fill resp from it. */
static int parse_head(struct cgi *g, struct response *resp, size_t end, long long *clen)
{
	int status = 0;
	bool ctype = false;
	size_t i = 0;

	while (i < end) {
		const char *nl = memchr(g->head.data + i, '\n', end - i);
		size_t n = (nl ? (size_t)(nl - g->head.data) : end) - i;

		if (n && g->head.data[i + n - 1] == '\r')
			n--;
		if (n && cgi_header_line(g->head.data + i, n, resp, &status,
					 &ctype, clen) < 0)
			return -1;
		i = nl ? (size_t)(nl - g->head.data) + 1 : end;
	}
	if (!ctype && status != S_NOT_MODIFIED && status != S_NO_CONTENT)
		resp->ctype = "application/octet-stream";
	resp->status = status ? (enum status)status : S_OK;
	g->head_done = true;
	return 0;
}

static int fail(struct cgi *g, struct response *resp, const char *log_why)
{
	log_debug("cgi %d: %s", (int)g->pid, log_why);
	g->stream.why = "CGI script gave no valid header block";
	resp->status = S_BAD_GATEWAY;
	return -1;
}

/* Read the script's header block: 1 once it is whole and parsed. */
static int head(struct stream *s, struct response *resp, long long *clen)
{
	struct cgi *g = container_of(s, struct cgi, stream);

	*clen = -1;
	while (!g->head_done) {
		size_t end;
		ssize_t n;

		if (!g->can_read)
			return 0;
		if (buf_reserve(&g->head, 4096) < 0)
			return fail(g, resp, "header block too large");
		n = read(g->out_fd, g->head.data + g->head.len, 4096);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			g->can_read = false;
			return 0;
		}
		if (n <= 0)
			return fail(g, resp, "no valid header before end of output");
		g->head.len += (size_t)n;
		end = http_head_end(g->head.data, g->head.len);
		if (end && parse_head(g, resp, end, clen) < 0)
			return fail(g, resp, "bad header line");
		g->body_off = end;
	}
	return 1;
}

/* The body: what came with the header block, then the pipe. */
static ssize_t body(struct stream *s, char *p, size_t n)
{
	struct cgi *g = container_of(s, struct cgi, stream);

	if (g->body_off < g->head.len) {
		size_t k = g->head.len - g->body_off;

		k = k < n ? k : n;
		memcpy(p, g->head.data + g->body_off, k);
		g->body_off += k;
		return (ssize_t)k;
	}
	while (!g->eof) {
		ssize_t r;

		if (!g->can_read)
			return -1;
		r = read(g->out_fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			g->can_read = false;
			return -1;
		}
		if (r > 0)
			return r;
		g->eof = true;
		close_pipe(&g->out_fd);
	}
	return 0;
}

static const struct stream_ops cgi_ops = { head, body, feed, stop };

static void on_stdout(struct watcher *w, uint32_t events)
{
	struct cgi *g = container_of(w, struct cgi, wout);

	(void)events;
	g->can_read = true;
	g->stream.wake(g->stream.ctx, 0);
}

static void on_timeout(struct timer *t)
{
	struct cgi *g = container_of(t, struct cgi, timer);

	log_debug("cgi %d: time limit reached, killed", (int)g->pid);
	g->stream.why = "CGI script past its time limit";
	g->stream.wake(g->stream.ctx, S_GATEWAY_TIMEOUT);
}

static enum status run(const struct request *req, const struct cgi_client *cl,
		       struct response *resp, struct target *t)
{
	char script[PATH_REL_MAX * 2], name[PATH_REL_MAX + 1];
	struct cgienv env = { .n = 0, .b = BUF_INIT(CGIENV_BYTES) };
	struct stat st;
	struct cgi *g;
	int fd;

	if (nrunning >= cgi_max)
		return S_SERVICE_UNAVAILABLE;
	fd = path_open(t->rel, O_PATH);
	if (fd < 0)
		return http_status_from_errno(errno);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (!t->interp && !(st.st_mode & 0111))) {
		close(fd);
		return S_FORBIDDEN;
	}
	close(fd);
	g = calloc(1, sizeof(*g));
	if (!g)
		return S_SERVICE_UNAVAILABLE;
	buf_init(&g->head, CGI_HEAD_MAX + 4096); /* a block over CGI_HEAD_MAX, and one read */
	snprintf(script, sizeof(script), "%s/%s", path_home(), t->rel);
	snprintf(name, sizeof(name), "/%s", t->rel);
	cgienv_build(&env, req, cl, script, name, strlen(name), t->info);
	g->pid = spawn(script, t->interp, env.vars, &g->in_fd, &g->out_fd);
	buf_free(&env.b);
	if (g->pid < 0) {
		free(g);
		return S_SERVICE_UNAVAILABLE;
	}
	g->stream.ops = &cgi_ops;
	g->timer.kind = -1;
	g->timer.on_expire = on_timeout;
	g->win.on_event = on_stdin;
	g->wout.on_event = on_stdout;
	g->next = running;
	running = g;
	nrunning++;
	resp->stream = &g->stream;
	loop_watch(g->out_fd, &g->wout, EPOLLIN | EPOLLRDHUP | EPOLLET);
	if (req->has_body)
		loop_watch(g->in_fd, &g->win, EPOLLOUT | EPOLLET);
	else
		close_pipe(&g->in_fd);
	loop_timer_set(&g->timer, T_CGI);
	return S_OK;
}

enum status cgi_start(const struct request *req, const char *rel,
		      const struct cgi_client *cl, struct response *resp)
{
	struct target t;

	if (!target_of(rel, slash_dir(req), &t))
		return S_NOT_FOUND;
	return run(req, cl, resp, &t);
}

bool cgi_index(const struct request *r, const char *rel, const struct cgi_client *cl,
	       struct response *resp, enum status *s)
{
	struct target t = { .rel = "cgi-bin/index.cgi" };
	struct stat st;

	if (path_home_fd() < 0 || !r->path.len || span_ptr(r, r->path)[r->path.len - 1] != '/' ||
	    fstatat(path_home_fd(), rel, &st, 0) < 0 || !S_ISDIR(st.st_mode) ||
	    fstatat(path_home_fd(), t.rel, &st, 0) < 0 || !S_ISREG(st.st_mode))
		return false;
	*s = run(r, cl, resp, &t);
	return true;
}
