/* httpd.conf: its lines parsed, loaded (and reloaded), its rules applied.
 *
 * The file is read whole into a new struct config; only when every line is
 * good does it replace the one in force, so a SIGHUP with a broken file
 * leaves the server as it was. Requests in flight never hold pointers into
 * a config except the user name for the log, which is interned for good. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mime.h"
#include "path.h"
#include "webapp.h"

#define DEFAULT_CONF "/etc/httpd.conf"
#define DEFAULT_REALM "Web Server Authentication"
struct page {
	int status;
	int line;
	char *file;
};

struct mime_rule {
	char *ext, *type;
};

struct config {
	char *index;             /* NULL: index.html */
	char *home;              /* H: as given (relative to -h), or NULL */
	int home_line;
	char *root;              /* the home in force: H: or -h */
	struct acl_rule *acl;
	size_t nacl;
	bool deny_all;
	struct auth_rule *auth;       /* longest prefix first */
	size_t nauth;
	struct page *pages;
	size_t npages;
	struct mime_rule *mime;  /* file order */
	size_t nmime;
	struct mime_rule *interp; /* *.ext:/path/interpreter, file order */
	size_t ninterp;
	struct webapp *web;      /* spa, set, cors… lines (webapp.c) */
	struct upstream *proxy;  /* P: lines, resolved */
	size_t nproxy;
};

static struct config empty;
static struct config *cur = &empty;
struct config_uses config_uses;
static const char *conf_arg;   /* -c FILE, or NULL for the defaults */
static const char *home_arg = ".";
int (*config_home_hook)(const char *home);
static const char *realm = DEFAULT_REALM;
static bool started;           /* errors go to the log after start-up */

/* --- loading ------------------------------------------------------------- */

struct loader {
	const char *file;
	struct config *c;
	int errors;
};

static void report(struct loader *ld, int line, bool warning, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(struct loader *ld, int line, bool warning, const char *fmt, ...)
{
	char msg[512], where[16] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!warning)
		ld->errors++;
	if (line > 0)
		snprintf(where, sizeof(where), ":%d", line);
	if (!started)
		fprintf(stderr, "%s%s: %s%s\n", ld->file, where,
			warning ? "warning: " : "", msg);
	else
		log_error("%s%s: %s%s", ld->file, where, warning ? "warning: " : "", msg);
}

static void config_free(struct config *c)
{
	size_t i;

	if (!c || c == &empty)
		return;
	for (i = 0; i < c->nauth; i++) {
		free(c->auth[i].path);
		free(c->auth[i].user);
		free(c->auth[i].pass);
	}
	for (i = 0; i < c->npages; i++)
		free(c->pages[i].file);
	for (i = 0; i < c->nmime; i++) {
		free(c->mime[i].ext);
		free(c->mime[i].type);
	}
	for (i = 0; i < c->ninterp; i++) {
		free(c->interp[i].ext);
		free(c->interp[i].type);
	}
	webapp_free(c->web);
	free(c->interp);
	free(c->proxy);
	free(c->auth);
	free(c->pages);
	free(c->mime);
	free(c->acl);
	free(c->index);
	free(c->home);
	free(c->root);
	free(c);
}

/* Grow an array by one element; NULL when out of memory. */
static void *grow(void *arr, size_t *n, size_t size)
{
	char *p = realloc(arr, (*n + 1) * size);

	if (!p)
		return NULL;
	memset(p + *n * size, 0, size);
	(*n)++;
	return p;
}

static char *dup_or(char **slot, const char *s)
{
	free(*slot);
	*slot = strdup(s);
	return *slot;
}

/* Longest prefix first, so the first match is the most specific. */
static int add_auth(struct config *c, const struct confline *r)
{
	struct auth_rule *a = grow(c->auth, &c->nauth, sizeof(*a));
	size_t i, len = strlen(r->a);

	if (!a)
		return -1;
	c->auth = a;
	for (i = c->nauth - 1; i > 0 && strlen(a[i - 1].path) < len; i--)
		a[i] = a[i - 1];
	a[i].path = strdup(r->a);
	a[i].user = strdup(r->b);
	a[i].pass = strdup(r->c);
	return a[i].path && a[i].user && a[i].pass ? 0 : -1;
}

/* The host is resolved now, at load time: never in the loop. */
static int add_proxy(struct loader *ld, int line, const struct confline *r)
{
	struct config *c = ld->c;
	struct upstream *p = grow(c->proxy, &c->nproxy, sizeof(*c->proxy));
	char err[300];

	if (!p)
		return -1;
	c->proxy = p;
	p += c->nproxy - 1;
	if (upstream_parse(r->a, r->b, p, err, sizeof(err)) < 0 ||
	    upstream_resolve(p, err, sizeof(err)) < 0) {
		c->nproxy--;
		report(ld, line, false, "%s", err);
	}
	return 0;
}

static int add_rule(struct loader *ld, int line, const struct confline *r)
{
	struct config *c = ld->c;
	void *p;

	switch (r->kind) {
	case CK_NONE:
		return 0;
	case CK_ALLOW:
	case CK_DENY:
		if (r->any) {
			if (r->kind == CK_DENY)
				c->deny_all = true;
			return 0; /* A:* is the default */
		}
		if (!(p = grow(c->acl, &c->nacl, sizeof(*c->acl))))
			return -1;
		c->acl = p;
		c->acl[c->nacl - 1].net = r->net;
		c->acl[c->nacl - 1].allow = r->kind == CK_ALLOW;
		return 0;
	case CK_AUTH:
		return add_auth(c, r);
	case CK_MIME:
		if (!(p = grow(c->mime, &c->nmime, sizeof(*c->mime))))
			return -1;
		c->mime = p;
		c->mime[c->nmime - 1].ext = strdup(r->a);
		c->mime[c->nmime - 1].type = strdup(r->b);
		return c->mime[c->nmime - 1].ext && c->mime[c->nmime - 1].type ? 0 : -1;
	case CK_INDEX:
		return dup_or(&c->index, r->a) ? 0 : -1;
	case CK_HOME:
		c->home_line = line;
		return dup_or(&c->home, r->a) ? 0 : -1;
	case CK_ERROR_PAGE:
		if (!(p = grow(c->pages, &c->npages, sizeof(*c->pages))))
			return -1;
		c->pages = p;
		c->pages[c->npages - 1].status = r->status;
		c->pages[c->npages - 1].line = line;
		return dup_or(&c->pages[c->npages - 1].file, r->a) ? 0 : -1;
	case CK_INTERP:
		if (r->b[0] != '/') {
			report(ld, line, false, "interpreter '%s' is not an absolute path", r->b);
			return 0;
		}
		if (!(p = grow(c->interp, &c->ninterp, sizeof(*c->interp))))
			return -1;
		c->interp = p;
		c->interp[c->ninterp - 1].ext = strdup(r->a);
		c->interp[c->ninterp - 1].type = strdup(r->b);
		return c->interp[c->ninterp - 1].ext && c->interp[c->ninterp - 1].type ? 0 : -1;
	case CK_PROXY:
		return add_proxy(ld, line, r);
	}
	return 0;
}

/* dir relative to base unless absolute; malloc'd. */
static char *join(const char *base, const char *rel)
{
	char *s;

	if (rel[0] == '/')
		return strdup(rel);
	if (asprintf(&s, "%s/%s", base, rel) < 0)
		return NULL;
	return s;
}

static int open_page(const struct config *c, const char *file)
{
	char *path = join(c->root, file);
	struct stat st;
	int fd;

	if (!path)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	free(path);
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	return fd;
}

/* After the last line: H: decides the root the other paths hang from. */
static void check_paths(struct loader *ld)
{
	struct config *c = ld->c;
	const char *home = home_arg ? home_arg : "."; /* never NULL, in fact */
	size_t i;
	int fd;

	c->root = c->home ? join(home, c->home) : strdup(home);
	if (!c->root) {
		report(ld, 0, false, "out of memory");
		return;
	}
	if (c->home) {
		fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			report(ld, c->home_line, false, "cannot open home directory '%s': %s",
			       c->root, strerror(errno));
		else
			close(fd);
	}
	for (i = 0; i < c->npages; i++) {
		fd = open_page(c, c->pages[i].file);
		if (fd < 0)
			report(ld, c->pages[i].line, false, "cannot open error page '%s': %s",
			       c->pages[i].file, strerror(errno));
		else
			close(fd);
	}
}

static void parse_file(struct loader *ld, FILE *f)
{
	char line[CONFLINE_MAX + 2], err[256];
	int n = 0;

	while (fgets(line, sizeof(line), f)) {
		struct confline r;
		size_t len = strlen(line);

		n++;
		if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			int ch;

			while ((ch = getc(f)) != EOF && ch != '\n')
				;
			report(ld, n, false, "line longer than %d bytes", CONFLINE_MAX);
			continue;
		}
		if (webapp_is_line(line)) { /* before the busybox reading drops blanks */
			if (webapp_parse(ld->c->web, line, err, sizeof(err)) < 0)
				report(ld, n, false, "%s", err);
			continue;
		}
		if (confline_parse(line, &r, err, sizeof(err)) < 0)
			report(ld, n, false, "%s", err);
		else if (add_rule(ld, n, &r) < 0)
			report(ld, n, false, "out of memory");
	}
	if (ferror(f))
		report(ld, n, false, "read error: %s", strerror(errno));
}

/* The file to read: -c FILE, else /etc/httpd.conf, else HOME/httpd.conf.
 * NULL with *name NULL: no file at all (an empty configuration). */
static FILE *open_conf(char *name, size_t namesz, bool *failed)
{
	FILE *f;

	*failed = false;
	if (conf_arg) {
		snprintf(name, namesz, "%s", conf_arg);
	} else {
		snprintf(name, namesz, "%s", DEFAULT_CONF);
		f = fopen(name, "re");
		if (f || errno != ENOENT)
			goto out;
		snprintf(name, namesz, "%s/httpd.conf", home_arg);
		f = fopen(name, "re");
		if (!f && errno == ENOENT)
			return NULL;
		goto out;
	}
	f = fopen(name, "re");
out:
	if (!f) {
		*failed = true;
		if (started)
			log_error("%s: %s; keeping the previous configuration", name,
				  strerror(errno));
		else
			fprintf(stderr, "httpd: %s: %s\n", name, strerror(errno));
	}
	return f;
}

/* Put c in force: home, MIME types, then the pointer swap. */
static int commit(struct loader *ld)
{
	struct config *c = ld->c;
	size_t i;

	if (config_home_hook && config_home_hook(c->root) < 0) {
		report(ld, c->home_line, false, "cannot open home directory '%s': %s", c->root,
		       strerror(errno));
		return -1;
	}
	mime_reset();
	for (i = 0; i < c->nmime; i++)
		mime_add(c->mime[i].ext, c->mime[i].type);
	webapp_commit(c->web); /* webapp.c owns the set in force */
	c->web = NULL;
	config_free(cur);
	cur = c;
	config_uses.interp = c->ninterp > 0;
	config_uses.proxy = c->nproxy > 0;
	return 0;
}

int config_load(const char *file, const char *home)
{
	char name[PATH_REL_MAX];
	struct loader ld = { .file = name };
	char err[256];
	bool failed;
	FILE *f;

	conf_arg = file;
	if (home)
		home_arg = home;
	f = open_conf(name, sizeof(name), &failed);
	if (failed)
		return -1;
	ld.c = calloc(1, sizeof(*ld.c));
	if (!ld.c) {
		if (f)
			fclose(f);
		log_error("out of memory reading the configuration");
		return -1;
	}
	ld.c->web = webapp_new();
	if (!ld.c->web)
		report(&ld, 0, false, "out of memory");
	else if (f)
		parse_file(&ld, f);
	if (f)
		fclose(f);
	if (ld.c->web && webapp_finish(ld.c->web, err, sizeof(err)) < 0)
		report(&ld, 0, false, "%s", err);
	check_paths(&ld);
	if (ld.errors || commit(&ld) < 0) {
		config_free(ld.c);
		if (started)
			log_error("%s: %d error%s; keeping the previous configuration",
				  name, ld.errors, ld.errors == 1 ? "" : "s");
		started = true;
		return -1;
	}
	if (started)
		log_info("%s: configuration reloaded", f ? name : "(no file)");
	started = true;
	return 0;
}

void config_reload(void)
{
	config_load(conf_arg, home_arg);
}

void config_set_realm(const char *r)
{
	realm = r;
}

/* --- requests ------------------------------------------------------------ */

/* Basic auth of the path (its own frame: most configurations have none). */
static __attribute__((noinline)) enum status check_auth(const struct request *req,
							const char *rel,
							struct response *resp,
							const char **user)
{
	char path[PATH_REL_MAX + 1];
	const char *base;

	snprintf(path, sizeof(path), "/%s", strcmp(rel, ".") ? rel : "");
	base = strrchr(path, '/') + 1;
	if (strcmp(base, "httpd.conf") == 0)
		return S_FORBIDDEN; /* before auth, as busybox */
	return auth_check(req, path, cur->auth, cur->nauth, realm, resp, user);
}

enum status config_check(const struct request *req, const char *rel, enum status path_st,
			 const struct sockaddr_in6 *peer, struct response *resp,
			 const char **user)
{
	if (!acl_allows(cur->acl, cur->nacl, cur->deny_all, &peer->sin6_addr)) {
		resp->why = "address denied by A:/D: rules";
		return S_FORBIDDEN;
	}
	if (!cur->nauth)
		return S_OK;
	if (path_st != S_OK)
		return path_st;
	return check_auth(req, rel, resp, user);
}

const char *config_interpreter(const char *name)
{
	const char *slash, *dot;
	size_t i;

	if (!cur->ninterp)
		return NULL; /* most configurations: no name to look at */
	slash = strrchr(name, '/');
	dot = strrchr(slash ? slash : name, '.');
	for (i = cur->ninterp; dot && i-- > 0;) /* a later line wins */
		if (strcmp(cur->interp[i].ext, dot) == 0)
			return cur->interp[i].type;
	return NULL;
}

const char *config_index_name(void)
{
	return cur->index ? cur->index : "index.html";
}

int config_error_page(int status)
{
	size_t i;

	for (i = cur->npages; i-- > 0;) /* a later line wins */
		if (cur->pages[i].status == status)
			return open_page(cur, cur->pages[i].file);
	return -1;
}

const struct upstream *config_proxy(const char *path, size_t n)
{
	return upstream_match(cur->proxy, cur->nproxy, path, n);
}
