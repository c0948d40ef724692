/* libFuzzer: httpd.conf, line by line (confline_parse) and whole
 * (config_load on a temporary file holding the input).
 * A line is either accepted with a well-formed rule (pieces inside the
 * line, no blanks or controls, the promises of each kind kept) or refused
 * with a message; the same line gives the same answer twice. config_load
 * refuses a file with a bad or overlong line, reporting FILE:LINE and the
 * message of each; any refusal has a message; nothing leaks, not even an
 * fd; a loaded file's I: and .ext: lines are in force. Web-app lines
 * (spa, set, cors…) are read by webapp_parse, with the same reporting. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "mime.h"
#include "webapp.h"

static char dir[] = "/tmp/fuzz-conf-XXXXXX";
static char conf[64];
static int out_fd = -1; /* what config_load writes to stderr */

static void cleanup(void)
{
	static const char *names[] = { "index.html", "404.html", "www/index.html",
				       "www", "httpd.conf", "stderr" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		remove(path);
	}
	rmdir(dir);
}

static void setup(void)
{
	static const char *files[] = { "index.html", "404.html", "www/index.html" };
	char path[128];
	size_t i;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/www", dir);
	mkdir(path, 0755);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (!(f = fopen(path, "w")))
			abort();
		fputs("<p>page</p>\n", f);
		fclose(f);
	}
	snprintf(conf, sizeof(conf), "%s/httpd.conf", dir);
	snprintf(path, sizeof(path), "%s/stderr", dir);
	out_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out_fd < 0)
		abort();
	atexit(cleanup);
}

static bool inside(const char *p, const char *line, size_t size)
{
	return p >= line && p < line + size && memchr(p, '\0', (size_t)(line + size - p));
}

static bool clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '#')
			return false;
	return true;
}

/* One line: 0 or -1 (with a message); *err gets the message. */
static int check_line(const char *text, size_t n, char *err, size_t errsz)
{
	char *line = malloc(n + 1), *again = malloc(n + 1);
	struct confline r, r2;
	char err2[256];
	int rc, rc2;

	if (!line || !again)
		abort();
	memcpy(line, text, n);
	line[n] = '\0';
	memcpy(again, line, n + 1);
	err[0] = err2[0] = '\0';
	rc = confline_parse(line, &r, err, errsz);
	rc2 = confline_parse(again, &r2, err2, errsz);
	if (rc != rc2 || strcmp(err, err2) != 0 || (rc == 0 && r.kind != r2.kind))
		abort(); /* deterministic */
	if (rc < 0) {
		if (rc != -1 || !err[0])
			abort();
		goto out;
	}
	if (rc != 0 || err[0])
		abort();
	switch (r.kind) {
	case CK_NONE:
		break;
	case CK_ALLOW:
	case CK_DENY: {
		size_t i;

		for (i = 0; i < 16 && !r.any; i++)
			if (r.net.addr[i] & ~r.net.mask[i])
				abort(); /* stored already masked */
		break;
	}
	case CK_AUTH:
		if (!inside(r.a, line, n + 1) || !inside(r.b, line, n + 1) ||
		    !inside(r.c, line, n + 1) || r.a[0] != '/' || !r.b[0] || !r.c[0] ||
		    strstr(r.a, "//") || strstr(r.a, "/./") || strstr(r.a, "/../") ||
		    (strlen(r.a) > 1 && r.a[strlen(r.a) - 1] == '/') ||
		    strchr(r.b, ':') || !clean(r.a) || !clean(r.b) || !clean(r.c))
			abort();
		break;
	case CK_MIME:
		if (!inside(r.a, line, n + 1) || !inside(r.b, line, n + 1) ||
		    r.a[0] != '.' || !r.a[1] || strchr(r.a, '/') || !strchr(r.b, '/') ||
		    r.b[0] == '/' || !clean(r.a) || !clean(r.b))
			abort();
		break;
	case CK_INTERP:
		if (!inside(r.a, line, n + 1) || !inside(r.b, line, n + 1) ||
		    r.a[0] != '.' || !r.a[1] || strchr(r.a, '/') || !clean(r.b))
			abort();
		break;
	case CK_INDEX:
		if (!inside(r.a, line, n + 1) || !r.a[0] || r.a[0] == '/' ||
		    strstr(r.a, "..") || !clean(r.a))
			abort();
		break;
	case CK_HOME:
		if (!inside(r.a, line, n + 1) || !r.a[0] || !clean(r.a))
			abort();
		break;
	case CK_ERROR_PAGE:
		if (!inside(r.a, line, n + 1) || !r.a[0] || r.status < 400 ||
		    r.status > 599 || !clean(r.a))
			abort();
		break;
	case CK_PROXY: {
		struct upstream u;
		char e2[256];

		/* accepted lines give a rule upstream.c takes, with a plain path */
		if (!inside(r.a, line, n + 1) || !inside(r.b, line, n + 1) ||
		    r.a[0] != '/' || !r.b[0] || !clean(r.a) || !clean(r.b) ||
		    upstream_parse(r.a, r.b, &u, e2, sizeof(e2)) != 0 || u.path[0] != '/' ||
		    strpbrk(u.path, "?# ") || !u.host[0] || u.port == 0 || u.port > 65535)
			abort();
		break;
	}
	default:
		abort();
	}
out:
	free(line);
	free(again);
	return rc;
}

/* A web-app line: -1 with the message webapp_parse gives; 0 with err
 * "-" when it is one and good; 0 with err empty when it is not one. */
static int web_line(const char *text, size_t n, char *err, size_t errsz)
{
	char line[CONFLINE_MAX + 2];
	struct webapp *w;
	int rc;

	err[0] = '\0';
	memcpy(line, text, n);
	line[n] = '\0';
	if (!webapp_is_line(line))
		return 0;
	if (!(w = webapp_new()))
		abort();
	rc = webapp_parse(w, line, err, errsz);
	webapp_free(w);
	if (rc == 0)
		snprintf(err, errsz, "-");
	else if (rc != -1 || !err[0])
		abort();
	return rc;
}


static int lowest_free_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* The report starting with where ("FILE:N: "), at the start of a line of
 * out: a message may quote the line, and the line may hold such text. */
static const char *report_at(const char *out, const char *where)
{
	const char *p = out;

	for (; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, "httpd: ", 7) == 0)
			p += 7;
		if (strncmp(p, where, strlen(where)) == 0)
			return p;
	}
	return NULL;
}

/* Every error line the parser finds is reported by config_load. */
static void check_load(const uint8_t *data, size_t size)
{
	/* fds before this load: libFuzzer may open its own between runs (the
	 * symbolizer's pipes when it prints NEW_FUNC), so not a global base */
	int fd_base = lowest_free_fd();
	char err[256], where[96], *out;
	const char *s = (const char *)data, *end = s + size, *nl;
	const char *last_index = NULL, *last_ext = NULL, *last_proxy = NULL;
	char proxy[CONFLINE_MAX + 1];
	char index[CONFLINE_MAX + 1], ext[CONFLINE_MAX + 1];
	char type[CONFLINE_MAX + 1];
	bool bad = false, has_nul = memchr(data, '\0', size) != NULL;
	int fd, saved, rc, lineno = 0;
	struct stat st;
	ssize_t got;

	fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	/* config_load talks on stderr: catch it */
	if (ftruncate(out_fd, 0) < 0 || lseek(out_fd, 0, SEEK_SET) < 0)
		abort();
	fflush(stderr);
	saved = dup(2);
	dup2(out_fd, 2);
	rc = config_load(conf, dir);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if (rc != 0 && rc != -1)
		abort();
	if (fstat(out_fd, &st) < 0 || !(out = calloc(1, (size_t)st.st_size + 1)))
		abort();
	got = pread(out_fd, out, (size_t)st.st_size, 0);
	if (got != st.st_size)
		abort();
	if (rc < 0 && got == 0)
		abort(); /* a refusal always says why */

	index[0] = ext[0] = '\0';
	for (; s < end && !has_nul; s = nl + 1) {
		size_t len;

		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		len = (size_t)(nl - s);
		lineno++;
		snprintf(where, sizeof(where), "%s:%d: ", conf, lineno);
		if (len > CONFLINE_MAX) {
			bad = true;
			if (!report_at(out, where))
				abort();
			continue;
		}
		if (web_line(s, len, err, sizeof(err)) < 0 ||
		    (!err[0] && check_line(s, len, err, sizeof(err)) < 0)) {
			const char *w = report_at(out, where);

			bad = true;
			if (!w || strncmp(w + strlen(where), err, strlen(err)) != 0)
				abort(); /* reported with its line number */
		} else if (!err[0]) {
			struct confline r;
			char line[CONFLINE_MAX + 2];

			memcpy(line, s, len);
			line[len] = '\0';
			if (confline_parse(line, &r, err, sizeof(err)) < 0)
				abort();
			if (r.kind == CK_PROXY) {
				snprintf(proxy, sizeof(proxy), "%s", r.a);
				last_proxy = proxy;
			} else if (r.kind == CK_INDEX) {
				snprintf(index, sizeof(index), "%s", r.a);
				last_index = index;
			} else if (r.kind == CK_MIME && !strchr(r.a + 1, '.')) {
				/* (".tar.gz" never matches: names are looked
				 * up by their last extension, as busybox) */
				snprintf(ext, sizeof(ext), "x%s", r.a);
				snprintf(type, sizeof(type), "%s", r.b);
				last_ext = ext;
			}
		}
	}
	if (bad && rc == 0)
		abort();
	if (rc == 0 && !has_nul) {
		if (strcmp(config_index_name(), last_index ? last_index : "index.html") != 0)
			abort();
		if (last_ext && strcmp(mime_lookup(last_ext), type) != 0)
			abort(); /* the last .ext: line wins */
		if (last_proxy && !config_proxy(last_proxy, strlen(last_proxy)))
			abort(); /* a P: line in force takes its own prefix */
	}
	free(out);
	if (lowest_free_fd() != fd_base)
		abort(); /* an fd leaked */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	char err[256];
	const char *nl;

	if (!ready) {
		upstream_numeric_only = true; /* a fuzzed host name never reaches DNS */
		setup();
		/* Reached here, in the first run: a function first reached later
		 * makes libFuzzer start its symbolizer (pipes), which the fd
		 * leak check below would take for ours. */
		config_proxy("/", 1);
		ready = true;
	}
	/* The first line alone, with a small error buffer too. */
	nl = memchr(data, '\n', size);
	check_line((const char *)data, nl ? (size_t)(nl - (const char *)data) : size,
		   err, size && data[0] & 1 ? 8 : sizeof(err));
	check_load(data, size);
	return 0;
}
