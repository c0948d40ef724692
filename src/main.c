/* Command line (busybox httpd compatible), start-up, privileges, daemon. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <crypt.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgi.h"
#include "chat.h"
#include "client.h"
#include "config.h"
#include "conn.h"
#include "dump.h"
#include "events.h"
#include "inspect.h"
#include "health.h"
#include "metrics.h"
#include "probe.h"
#include "log.h"
#include "path.h"
#include "server.h"
#include "static.h"
#include "util.h"
#include "webapp.h"

struct options {
	bool inetd, foreground;
	const char *port, *home, *conf, *user, *realm;
	const char *probe;        /* --probe URL: a client, not a server */
	int probe_ms;
};

static void usage(FILE *f)
{
	fputs("Usage: httpd [-ifvvD] [-c CONFFILE] [-p [IP:]PORT] [-u USER[:GRP]]"
	      " [-r REALM] [-h HOME]\n"
	      "or httpd -d/-e/-m STRING\n\n"
	      "Listen for incoming HTTP requests\n\n"
	      "\t-i\t\tInetd mode: serve the connection on stdin/stdout\n"
	      "\t-f\t\tRun in foreground\n"
	      "\t-v[v]\t\tVerbose: access log on stderr (-vv: and diagnostics)\n"
	      "\t-D, --dump\tRaw-dump mode: print each request, answer with it\n"
	      "\t-p [IP:]PORT\tBind to IP:PORT (default *:80)\n"
	      "\t-u USER[:GRP]\tSet uid/gid after binding to port\n"
	      "\t-r REALM\tAuthentication Realm for Basic Authentication\n"
	      "\t-h HOME\t\tHome directory (default .)\n"
	      "\t-c FILE\t\tConfiguration file (default {/etc,HOME}/httpd.conf)\n"
	      "\t-m STRING\tMD5 crypt STRING\n"
	      "\t-e STRING\tHTML encode STRING\n"
	      "\t-d STRING\tURL decode STRING\n\n"
	      "\t--header-timeout SEC, --idle-timeout SEC, --write-timeout SEC,\n"
	      "\t--max-conns N, --grace SEC, --list (directory listings)\n"
	      "\t--cgi-timeout SEC, --cgi-max N (CGI scripts at once)\n"
	      "\t--workers N (processes sharing the port; default 1)\n"
	      "\t--inspect (/_inspect: requests live; /api/echo), --chat (/api/chat)\n"
	      "\t--spa FILE, --header 'Name: value', --cors ORIGIN, --cors-credentials,\n"
	      "\t--cors-methods LIST, --cors-headers LIST, --cors-max-age SEC (web apps)\n"
	      "\t--health (/healthz, /readyz), --metrics (/metrics),\n"
	      "\t--drain SEC (on SIGTERM/SIGQUIT: serve SEC s unready first),\n"
	      "\t--trust-proxy CIDR, --proxy-protocol, --log-format clf|json\n"
	      "\t--proxy-timeout SEC (P: upstream silent this long: 504)\n"
	      "\t--help, --version\n"
	      "or httpd --probe URL [--probe-timeout SEC] (exit 0 when GET URL answers 2xx)\n\n"
	      "See httpd(8) and httpd.conf(5).\n",
	      f);
}

static int bad(const char *what, const char *val)
{
	fprintf(stderr, "httpd: bad %s '%s'\n", what, val);
	usage(stderr);
	return 1;
}

static int parse_num(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

enum { O_HEADER = 256, O_IDLE, O_WRITE, O_MAXCONN, O_GRACE, O_LIST, O_CGI_TIMEOUT,
       O_CGI_MAX, O_WORKERS, O_HELP, O_VERSION, O_INSPECT, O_CHAT,
       O_HEALTH, O_METRICS, O_DRAIN, O_PROBE, O_TRUST_PROXY, O_PROXY_PROTOCOL, O_LOG_FORMAT,
       O_PROBE_TIMEOUT, O_PROXY_TIMEOUT,
       O_WEBAPP }; /* web-app options: O_WEBAPP + their index in webapp_opts */

/* Web-app options are their config lines ("--spa F" is "spa F"). */
static const char *const webapp_opts[] = {
	"spa", "set", "cors", "cors-credentials", "cors-methods", "cors-headers",
	"cors-max-age",
};

static const struct option longopts[] = {
	{ "dump", no_argument, NULL, 'D' },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ "header-timeout", required_argument, NULL, O_HEADER },
	{ "idle-timeout", required_argument, NULL, O_IDLE },
	{ "write-timeout", required_argument, NULL, O_WRITE },
	{ "max-conns", required_argument, NULL, O_MAXCONN },
	{ "grace", required_argument, NULL, O_GRACE },
	{ "list", no_argument, NULL, O_LIST },
	{ "cgi-timeout", required_argument, NULL, O_CGI_TIMEOUT },
	{ "cgi-max", required_argument, NULL, O_CGI_MAX },
	{ "workers", required_argument, NULL, O_WORKERS },
	{ "spa", required_argument, NULL, O_WEBAPP },
	{ "header", required_argument, NULL, O_WEBAPP + 1 },
	{ "cors", required_argument, NULL, O_WEBAPP + 2 },
	{ "cors-credentials", no_argument, NULL, O_WEBAPP + 3 },
	{ "cors-methods", required_argument, NULL, O_WEBAPP + 4 },
	{ "cors-headers", required_argument, NULL, O_WEBAPP + 5 },
	{ "cors-max-age", required_argument, NULL, O_WEBAPP + 6 },
	{ "inspect", no_argument, NULL, O_INSPECT },
	{ "chat", no_argument, NULL, O_CHAT },
	{ "health", no_argument, NULL, O_HEALTH },
	{ "metrics", no_argument, NULL, O_METRICS },
	{ "drain", required_argument, NULL, O_DRAIN },
	{ "probe", required_argument, NULL, O_PROBE },
	{ "trust-proxy", required_argument, NULL, O_TRUST_PROXY },
	{ "proxy-protocol", no_argument, NULL, O_PROXY_PROTOCOL },
	{ "log-format", required_argument, NULL, O_LOG_FORMAT },
	{ "probe-timeout", required_argument, NULL, O_PROBE_TIMEOUT },
	{ "proxy-timeout", required_argument, NULL, O_PROXY_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

/* Timeouts are given in seconds, fractions allowed ("0.5"). */
static int parse_secs(const char *s, int *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v <= 0 || v > 86400)
		return -1;
	*ms = (int)(v * 1000 + 0.5);
	return 0;
}

static int hexdigit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* -d: as busybox, '+' is a space, a malformed escape stays as it is, the
 * output stops at a decoded NUL and no newline follows. */
static int print_decoded(const char *s)
{
	for (; *s; s++) {
		int hi = *s == '%' ? hexdigit((unsigned char)s[1]) : -1;
		int lo = hi >= 0 ? hexdigit((unsigned char)s[2]) : -1;
		int c = *s == '+' ? ' ' : *s;

		if (lo >= 0) {
			c = hi << 4 | lo;
			s += 2;
		}
		if (c == '\0')
			break;
		putchar(c);
	}
	return fflush(stdout) ? 1 : 0;
}

/* -e: as busybox, every byte but [0-9A-Za-z] becomes &#N; (no newline). */
static int print_encoded(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
			putchar(c);
		else
			printf("&#%u;", c);
	}
	return fflush(stdout) ? 1 : 0;
}

/* -m: "$1$" + 8 random salt characters, MD5-crypt by libcrypt. */
static int print_md5(const char *pass)
{
	static const char b64[] =
		"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	unsigned char rnd[8];
	char salt[] = "$1$XXXXXXXX";
	const char *h;
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		log_error("-m: no random bytes: %s", strerror(errno));
		return 1;
	}
	for (i = 0; i < sizeof(rnd); i++)
		salt[3 + i] = b64[rnd[i] & 63];
	h = crypt(pass, salt);
	if (!h || h[0] == '*') {
		log_error("-m: crypt() failed");
		return 1;
	}
	puts(h);
	return fflush(stdout) ? 1 : 0;
}

/* A web-app option as its config line, checked now: 0, or -1 (said why). */
static int webapp_arg(const char *kw, const char *val)
{
	char line[2048], err[256] = "value too long";
	int n = snprintf(line, sizeof(line), "%s %s", kw, val ? val : "");

	if (n < 0 || n >= (int)sizeof(line) || webapp_option(line, err, sizeof(err)) < 0) {
		fprintf(stderr, "httpd: --%s: %s\n", strcmp(kw, "set") ? kw : "header", err);
		return -1;
	}
	return 0;
}

/* -1 on a bad option (usage printed); 0 to go on; 1.. to exit with it. */
static int parse_args(int argc, char **argv, struct options *o, int *status)
{
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "ifvDc:p:u:r:h:d:e:m:", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->inetd = o->foreground = true; break;
		case 'f': o->foreground = true; break;
		case 'v': ++log_level; break;
		case 'D': dump_mode = true; break;
		case 'c': o->conf = optarg; break;
		case 'p': {
			char host[64];
			const char *port;

			if (server_parse_addr(optarg, host, sizeof(host), &port) < 0)
				return *status = bad("address", optarg), 1;
			o->port = optarg;
			break;
		}
		case 'u': o->user = optarg; break;
		case 'r': o->realm = optarg; break;
		case 'h': o->home = optarg; break;
		case 'd': *status = print_decoded(optarg); return 1;
		case 'e': *status = print_encoded(optarg); return 1;
		case 'm': *status = print_md5(optarg); return 1;
		case O_HELP: /* asked for: stdout, success (a mistake: stderr, 1) */
			usage(stdout);
			*status = fflush(stdout) ? 1 : 0;
			return 1;
		case O_VERSION:
			puts("httpd " HTTPD_VERSION);
			*status = fflush(stdout) ? 1 : 0;
			return 1;
		case O_LIST: static_listing = true; break;
		case O_INSPECT: inspect_enabled = true; break;
		case O_CHAT: chat_enabled = true; break;
		case O_HEADER: case O_IDLE: case O_WRITE: case O_GRACE: {
			int *dst = c == O_GRACE ? &server_cfg.grace_ms
				 : &loop_timeout_ms[c == O_HEADER ? T_HEADER
						: c == O_IDLE ? T_IDLE : T_WRITE];
			if (parse_secs(optarg, dst) < 0)
				return *status = bad("timeout", optarg), 1;
			break;
		}
		case O_CGI_TIMEOUT:
			if (parse_secs(optarg, &loop_timeout_ms[T_CGI]) < 0)
				return *status = bad("timeout", optarg), 1;
			break;
		case O_PROXY_TIMEOUT:
			if (parse_secs(optarg, &loop_timeout_ms[T_PROXY]) < 0)
				return *status = bad("timeout", optarg), 1;
			break;
		case O_WORKERS:
			if (parse_num(optarg, 1, 256, &v) < 0)
				return *status = bad("worker count", optarg), 1;
			server_cfg.workers = (int)v;
			break;
		case O_CGI_MAX:
			if (parse_num(optarg, 1, 100000, &v) < 0)
				return *status = bad("script count", optarg), 1;
			cgi_max = (int)v;
			break;
		case O_HEALTH: health_enabled = true; break;
		case O_METRICS: metrics_enabled = true; break;
		case O_DRAIN:
			if (strcmp(optarg, "0") != 0 && parse_secs(optarg, &server_cfg.drain_ms) < 0)
				return *status = bad("drain time", optarg), 1;
			break;
		case O_PROBE: o->probe = optarg; break;
		case O_PROBE_TIMEOUT:
			if (parse_secs(optarg, &o->probe_ms) < 0)
				return *status = bad("timeout", optarg), 1;
			break;
		case O_TRUST_PROXY:
			if (client_trust(optarg) < 0)
				return *status = bad("network", optarg), 1;
			break;
		case O_PROXY_PROTOCOL: client_proxy_protocol = true; break;
		case O_LOG_FORMAT:
			if (strcmp(optarg, "json") != 0 && strcmp(optarg, "clf") != 0)
				return *status = bad("log format", optarg), 1;
			log_json = optarg[0] == 'j';
			break;
		case O_MAXCONN:
			if (parse_num(optarg, 1, 10000000, &v) < 0)
				return *status = bad("connection count", optarg), 1;
			server_cfg.max_conns = (int)v;
			break;
		default:
			if (c >= O_WEBAPP && c < O_WEBAPP + 7 &&
			    webapp_arg(webapp_opts[c - O_WEBAPP], optarg) == 0)
				break;
			usage(stderr);
			*status = 1;
			return 1;
		}
	}
	if ((inspect_enabled || chat_enabled) && server_cfg.workers > 1) {
		fputs("httpd: --inspect and --chat need one process (--workers 1)\n", stderr);
		*status = 1;
		return 1;
	}
	if (optind < argc) {
		fprintf(stderr, "httpd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		*status = 1;
		return 1;
	}
	if (o->probe) {
		*status = probe_run(o->probe, o->probe_ms);
		return 1;
	}
	return 0;
}

/* -u USER[:GRP], names or numbers; refuse to go on if any step fails. */
static int drop_privileges(const char *spec)
{
	char name[256], *colon;
	struct passwd *pw;
	uid_t uid;
	gid_t gid;
	long v;

	snprintf(name, sizeof(name), "%s", spec);
	colon = strchr(name, ':');
	if (colon)
		*colon++ = '\0';
	pw = getpwnam(name);
	if (pw) {
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	} else if (parse_num(name, 0, INT_MAX, &v) == 0) {
		uid = (uid_t)v;
		gid = (gid_t)v;
	} else {
		log_error("-u: unknown user '%s'", name);
		return -1;
	}
	if (colon && *colon) {
		struct group *gr = getgrnam(colon);

		if (gr)
			gid = gr->gr_gid;
		else if (parse_num(colon, 0, INT_MAX, &v) == 0)
			gid = (gid_t)v;
		else {
			log_error("-u: unknown group '%s'", colon);
			return -1;
		}
	}
	if ((pw ? initgroups(pw->pw_name, gid) : setgroups(0, NULL)) < 0 ||
	    setgid(gid) < 0 || setuid(uid) < 0) {
		log_error("-u %s: cannot drop privileges: %s", spec, strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		log_error("-u %s: privileges could be regained", spec);
		return -1;
	}
	return 0;
}

static int daemonize(void)
{
	int fd;

	switch (fork()) {
	case -1:
		return -1;
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() < 0)
		return -1;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	log_use_syslog();
	return 0;
}

/* inetd mode: the loop must never block on the inherited descriptors. */
static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* inetd mode. When stdin and stdout are one socket (inetd, systemd,
 * socat), it is served as one fd: sendmsg/sendfile, one epoll entry. */
static int serve_stdio(void)
{
	struct stat in, out;
	int wfd = STDOUT_FILENO;

	if (fstat(STDIN_FILENO, &in) < 0 || fstat(STDOUT_FILENO, &out) < 0)
		return -1;
	if (S_ISSOCK(in.st_mode) && in.st_dev == out.st_dev && in.st_ino == out.st_ino)
		wfd = STDIN_FILENO;
	if (set_nonblock(STDIN_FILENO) < 0 || set_nonblock(wfd) < 0)
		return -1;
	return server_adopt(STDIN_FILENO, wfd);
}

/* More fds than the usual 1024 soft limit: one per connection. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 1048576 ? 1048576 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	/* A few fds stay free for the files being sent and the config. */
	if (!server_cfg.max_conns)
		server_cfg.max_conns = rl.rlim_cur > 64 ? (int)(rl.rlim_cur - 32) : 16;
}

/* --inspect, --chat: their event channels; the inspector watches every
 * connection. */
static const struct conn_watch inspect_watch = {
	inspect_open, inspect_read, inspect_head, inspect_answer, inspect_done,
	inspect_close,
};

static int start_features(void)
{
	if (!inspect_enabled && !chat_enabled)
		return 0;
	if (events_init() < 0 || (inspect_enabled && inspect_init() < 0) ||
	    (chat_enabled && chat_init() < 0))
		return -1;
	if (inspect_enabled)
		conn_watch = &inspect_watch;
	server_stop_hook = events_shutdown;
	return 0;
}

/* HOME, and what hangs from it: the file cache. */
static int use_home(const char *home)
{
	return path_init(home) < 0 || static_init() < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct options o = { .port = "80", .home = ".", .probe_ms = 5000 };
	int status = 0;

	if (parse_args(argc, argv, &o, &status))
		return status;
	config_home_hook = use_home;
	if (use_home(o.home) < 0) {
		log_error("cannot open home directory '%s': %s", o.home, strerror(errno));
		return 1;
	}
	if (o.realm)
		config_set_realm(o.realm);
	if (config_load(o.conf, o.home) < 0)
		return 1;
	raise_fd_limit();
	if (!o.inetd && server_listen(o.port) < 0)
		return 1;
	if (o.user && drop_privileges(o.user) < 0)
		return 1;
	if (!o.foreground && daemonize() < 0) {
		log_error("cannot daemonize: %s", strerror(errno));
		return 1;
	}
	if (!o.inetd && (status = server_fork_workers()) >= 0)
		return status; /* the supervisor, once every worker has ended */
	if (server_init() < 0 || start_features() < 0) {
		log_error("cannot set up the event loop: %s", strerror(errno));
		return 1;
	}
	server_hup_hook = config_reload;
	server_child_hook = cgi_reap;
	if (o.inetd && serve_stdio() < 0) {
		log_error("-i: cannot serve standard input: %s", strerror(errno));
		return 1;
	}
	return server_run();
}
