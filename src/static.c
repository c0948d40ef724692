/* Static files under HOME: path resolution, files, variants, listings. */
#include "static.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgi.h"
#include "cond.h"
#include "fcache.h"
#include "config.h"
#include "mime.h"
#include "range.h"
#include "server.h"

#define PATH_MAX_LEN 4096
#define HDRS_MAX (64 * 1024)
/* A listing is one page: past these, it says it was cut short. */
#define LIST_ENTRIES_MAX 10000
#define LIST_BODY_MAX (4 * 1024 * 1024)

#define ALLOW_FILE "Allow: GET, HEAD, OPTIONS\r\n"
#define ALLOW_SERVER "Allow: GET, HEAD, POST, OPTIONS\r\n" /* OPTIONS * */

static int home_fd = -1;
static char home_real[PATH_MAX_LEN]; /* HOME's real path */
static uint64_t boundary_seed;

/* Pre-compressed variants looked for beside a file, best first on a tie. */
static const struct {
	const char *coding, *ext;
} variants[] = {
	{ "br", ".br" },
	{ "gzip", ".gz" },
};


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

enum status static_resolve(const char *path, size_t n, char *out, size_t outsz)
{
	char dec[HTTP_URL_MAX + 1]; /* a whole request target fits */
	size_t i, o = 0, seg;
	long len;

	if (n == 0 || path[0] != '/')
		return S_BAD_REQUEST;
	if (n >= sizeof(dec))
		return S_URI_TOO_LONG;
	for (i = 0; i + 2 < n; i++)
		if (path[i] == '%' && path[i + 1] == '2' &&
		    (path[i + 2] == 'f' || path[i + 2] == 'F'))
			return S_BAD_REQUEST; /* an encoded '/' */
	len = util_pct_decode(dec, path, n, 0);
	if (len < 0 || memchr(dec, '\0', (size_t)len) || !utf8_ok(dec, (size_t)len))
		return S_BAD_REQUEST;
	for (i = 0; i < (size_t)len; i = seg + 1) {
		const char *s;
		size_t sl;

		for (seg = i; seg < (size_t)len && dec[seg] != '/'; seg++)
			;
		s = dec + i;
		sl = seg - i;
		if (sl == 0 || (sl == 1 && s[0] == '.'))
			continue;
		if (sl == 2 && s[0] == '.' && s[1] == '.') {
			if (o == 0)
				return S_BAD_REQUEST; /* would rise above HOME */
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* the separator before the dropped segment */
			continue;
		}
		if (o + (o ? 1 : 0) + sl + 1 > outsz)
			return S_NOT_FOUND; /* longer than any path on disk */
		if (o)
			out[o++] = '/';
		memcpy(out + o, s, sl);
		o += sl;
	}
	if (o == 0) {
		if (outsz < 2)
			return S_NOT_FOUND;
		out[o++] = '.';
	}
	out[o] = '\0';
	return S_OK;
}

static int open_beneath(int dir, const char *rel);
static int open_servable(int dir, const char *rel);

int static_init(const char *home)
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
	fcache_init(home_fd, open_servable);
	if (getrandom(&boundary_seed, sizeof(boundary_seed), GRND_NONBLOCK) !=
	    sizeof(boundary_seed))
		boundary_seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	boundary_seed |= 1;
	return 0;
}

/* Is the file open as fd inside HOME (by its real path, as the kernel
 * resolved it)? */
static bool inside_home(int fd)
{
	char proc[64], real[PATH_MAX_LEN];
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

static int open_beneath(int dir, const char *rel)
{
	return open_home(dir, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK);
}

/* A file whose bytes may be sent: not one a script claims, by the name it
 * was asked by nor by where it really is (a symlink to a script, or to
 * cgi-bin/). Every file answer (index files, variants, ranges, HEAD,
 * conditionals) comes through the file cache, which opens with this. */
static int open_servable(int dir, const char *rel)
{
	char proc[64], real[PATH_MAX_LEN];
	size_t hl = strlen(home_real);
	int fd = open_beneath(dir, rel);
	ssize_t n;

	if (fd < 0)
		return fd;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, real, sizeof(real) - 1);
	if (n >= 0)
		real[n] = '\0';
	if (cgi_claims(rel) ||
	    (n > (ssize_t)hl && real[hl == 1 ? 0 : hl] == '/' &&
	     cgi_claims(real + (hl == 1 ? 1 : hl + 1)))) {
		close(fd);
		errno = EACCES;
		return -1;
	}
	return fd;
}

int static_open(const char *rel, int flags)
{
	return open_home(home_fd, rel, (uint64_t)flags);
}

static bool is_standard_method(int m)
{
	switch (m) {
	case HTTP_POST:
	case HTTP_PUT:
	case HTTP_DELETE:
	case HTTP_CONNECT:
	case HTTP_TRACE:
	case HTTP_PATCH:
		return true;
	default:
		return false;
	}
}

static bool is_config_file(const char *rel)
{
	const char *base = strrchr(rel, '/');

	return strcmp(base ? base + 1 : rel, "httpd.conf") == 0;
}

/* S_OK to go on (GET, HEAD, OPTIONS); anything else is the answer. */
static enum status check_method(const struct request *req, struct response *resp)
{
	if (req->method == HTTP_GET || req->method == HTTP_HEAD ||
	    req->method == HTTP_OPTIONS)
		return S_OK;
	if (!is_standard_method(req->method))
		return S_NOT_IMPLEMENTED;
	buf_puts(resp->hdrs, ALLOW_FILE, HDRS_MAX);
	return S_METHOD_NOT_ALLOWED;
}

/* The request target "*" (RFC 9110 §7.1): only OPTIONS means anything. */
static enum status serve_asterisk(const struct request *req, struct response *resp)
{
	if (req->method != HTTP_OPTIONS)
		return S_BAD_REQUEST;
	buf_puts(resp->hdrs, ALLOW_SERVER, HDRS_MAX);
	return S_NO_CONTENT;
}

/* 301 to the directory with a slash, query string kept. Built from the
 * resolved path rel, never from the request's: "//evil.com" would make a
 * Location a browser reads as another host. */
static enum status redirect_slash(const struct request *req, struct response *resp,
				  const char *rel)
{
	buf_puts(resp->hdrs, "Location: /", HDRS_MAX);
	if (strcmp(rel, ".") != 0) {
		util_pct_encode(resp->hdrs, rel, strlen(rel), HDRS_MAX);
		buf_puts(resp->hdrs, "/", HDRS_MAX);
	}
	if (req->query.len) {
		buf_puts(resp->hdrs, "?", HDRS_MAX);
		buf_append(resp->hdrs, span_ptr(req, req->query), req->query.len,
			   HDRS_MAX);
	}
	buf_puts(resp->hdrs, "\r\n", HDRS_MAX);
	return S_MOVED_PERMANENTLY;
}

/* The representation Accept-Encoding likes best among the cached ones:
 * ties go to the variant (smaller), br before gzip. */
static int choose_variant(const struct request *req, const struct fc_entry *e)
{
	const char *ae = span_ptr(req, req->hdr[H_ACCEPT_ENCODING]);
	size_t aen = req->hdr[H_ACCEPT_ENCODING].len, i;
	bool present = http_has_header(req, H_ACCEPT_ENCODING);
	int best = cond_accept_q(ae, aen, present, "identity"), pick = 0;

	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		int q;

		if (!e->rep[i + 1].exists)
			continue;
		q = cond_accept_q(ae, aen, present, variants[i].coding);
		if (q <= 0 || q < best || (pick && q == best))
			continue;
		pick = (int)i + 1;
		best = q;
	}
	return pick;
}

/* multipart/byteranges (RFC 9110 §14.6): part heads in the body buffer,
 * part contents straight from the file. */
static enum status multipart(struct response *resp, const char *ctype,
			     const struct range *rg, int n, off_t size)
{
	struct buf *b = resp->body;
	char boundary[20];
	size_t off;
	int i, rc = 0;

	boundary_seed ^= boundary_seed << 13;
	boundary_seed ^= boundary_seed >> 7;
	boundary_seed ^= boundary_seed << 17;
	snprintf(boundary, sizeof(boundary), "%016llx",
		 (unsigned long long)boundary_seed);
	b->len = 0;
	for (i = 0; i < n; i++) {
		off = b->len;
		rc |= buf_printf(b, HDRS_MAX, "%s--%s\r\nContent-Type: %s\r\n"
				 "Content-Range: bytes %lld-%lld/%lld\r\n\r\n",
				 i ? "\r\n" : "", boundary, ctype,
				 (long long)rg[i].start,
				 (long long)(rg[i].start + rg[i].len - 1),
				 (long long)size);
		rc |= http_add_seg(resp, false, (off_t)off, (off_t)(b->len - off));
		rc |= http_add_seg(resp, true, rg[i].start, rg[i].len);
	}
	off = b->len;
	rc |= buf_printf(b, HDRS_MAX, "\r\n--%s--\r\n", boundary);
	rc |= http_add_seg(resp, false, (off_t)off, (off_t)(b->len - off));
	rc |= buf_printf(resp->hdrs, HDRS_MAX,
			 "Content-Type: multipart/byteranges; boundary=%s\r\n",
			 boundary);
	if (rc)
		return S_INTERNAL_SERVER_ERROR;
	resp->ctype = NULL; /* in hdrs, with its boundary */
	return S_PARTIAL_CONTENT;
}

/* Range and If-Range (RFC 9110 §13.2.2 step 5, §14.2) on resp's file. */
static enum status apply_range(const struct request *req, struct response *resp,
			       off_t size, bool encoded)
{
	struct range rg[RANGE_MAX];
	int n;

	if ((req->method != HTTP_GET && req->method != HTTP_HEAD) ||
	    !http_has_header(req, H_RANGE))
		return S_OK;
	if (http_has_header(req, H_IF_RANGE) &&
	    !cond_if_range(span_ptr(req, req->hdr[H_IF_RANGE]),
			   req->hdr[H_IF_RANGE].len, resp->etag, resp->mtime))
		return S_OK;
	switch (range_parse(span_ptr(req, req->hdr[H_RANGE]), req->hdr[H_RANGE].len,
			    size, rg, &n)) {
	case RANGE_IGNORE:
		return S_OK;
	case RANGE_UNSATISFIABLE:
		buf_printf(resp->hdrs, HDRS_MAX, "Content-Range: bytes */%lld\r\n",
			   (long long)size);
		return S_RANGE_NOT_SATISFIABLE;
	case RANGE_OK:
		break;
	}
	if (n > 1) /* an encoded multipart body would read as encoded parts */
		return encoded ? S_OK : multipart(resp, resp->ctype, rg, n, size);
	resp->off = rg[0].start;
	resp->len = rg[0].len;
	buf_printf(resp->hdrs, HDRS_MAX, "Content-Range: bytes %lld-%lld/%lld\r\n",
		   (long long)rg[0].start, (long long)(rg[0].start + rg[0].len - 1),
		   (long long)size);
	return S_PARTIAL_CONTENT;
}

/* A small file's bytes are in memory: copy the parts the answer sends into
 * the body buffer, so head and body leave in one sendmsg. */
static int body_from_memory(struct response *resp, const char *data)
{
	struct seg *sg = (struct seg *)resp->segs->data;
	size_t i, n = resp->segs->len / sizeof(*sg);

	if (n == 0) { /* the whole file or one range */
		resp->body->len = 0;
		return buf_append(resp->body, data + resp->off, (size_t)resp->len, SIZE_MAX);
	}
	for (i = 0; i < n; i++) { /* multipart: file pieces become body pieces */
		size_t off = resp->body->len;

		if (!sg[i].file)
			continue;
		if (buf_append(resp->body, data + sg[i].off, (size_t)sg[i].len, SIZE_MAX) < 0)
			return -1;
		sg = (struct seg *)resp->segs->data;
		sg[i].file = false;
		sg[i].off = (off_t)off;
	}
	return 0;
}

/* The cached file e (named name, for its type): its variants,
 * preconditions and ranges. Takes the reference on e. */
static enum status serve_file(const struct request *req, struct response *resp,
			      const char *name, struct fc_entry *e)
{
	int v = choose_variant(req, e);
	const struct fc_rep *r = &e->rep[v];
	struct cond c;
	enum status s;

	if (e->rep[1].exists || e->rep[2].exists)
		buf_puts(resp->hdrs, "Vary: Accept-Encoding\r\n", HDRS_MAX);
	memcpy(resp->etag, r->etag, sizeof(resp->etag));
	resp->mtime = r->st.st_mtime;
	cond_from_request(&c, req);
	if ((s = cond_evaluate(&c, resp->etag, resp->mtime)) != S_OK)
		goto done;
	if (!e->ctype)
		e->ctype = mime_lookup(name);
	resp->ctype = e->ctype;
	resp->off = 0;
	resp->len = r->st.st_size;
	s = apply_range(req, resp, r->st.st_size, v != 0);
	if (s != S_OK && s != S_PARTIAL_CONTENT)
		goto done;
	buf_puts(resp->hdrs, "Accept-Ranges: bytes\r\n", HDRS_MAX);
	if (v)
		buf_printf(resp->hdrs, HDRS_MAX, "Content-Encoding: %s\r\n",
			   variants[v - 1].coding);
	if (r->data) {
		if (body_from_memory(resp, r->data) < 0)
			s = S_INTERNAL_SERVER_ERROR;
		fcache_put(e);
		return s;
	}
	resp->fd = r->fd;
	resp->cache = e; /* the core gives it back when the body is out */
	return s;
done:
	/* 304 keeps the validators; an error page gets the core's body. */
	resp->ctype = NULL;
	if (s != S_NOT_MODIFIED) {
		resp->etag[0] = '\0';
		resp->mtime = 0;
	}
	fcache_put(e);
	return s;
}

void static_release(struct response *resp)
{
	if (resp->cache)
		fcache_put(resp->cache);
	resp->cache = NULL;
	resp->fd = -1;
}

/* --- directory listings ---------------------------------------------- */

struct entry {
	char *name;
	off_t size;
	time_t mtime;
	bool dir;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Size and kind of name in dir (rel beneath HOME). A symlink is shown as
 * what it leads to, only when that stays beneath HOME; false hides it. */
static bool stat_entry(int dir, const char *rel, const char *name, struct entry *e)
{
	char path[PATH_MAX_LEN];
	struct stat st;
	int fd;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (S_ISLNK(st.st_mode)) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", rel, name) >=
		    sizeof(path))
			return false;
		fd = open_home(home_fd, path, O_PATH);
		if (fd < 0)
			return false;
		if (fstat(fd, &st) < 0) {
			close(fd);
			return false;
		}
		close(fd);
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return false;
	e->dir = S_ISDIR(st.st_mode);
	e->size = st.st_size;
	e->mtime = st.st_mtime;
	return true;
}

/* Read the visible entries of dir (dotfiles and httpd.conf hidden). */
static int read_entries(int dir, const char *rel, struct entry **out, size_t *n,
			bool *cut)
{
	struct entry *ents = NULL, *p;
	struct dirent *de;
	size_t cap = 0;
	int dfd = dup(dir);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	*n = 0;
	while ((de = readdir(d)) != NULL) {
		struct entry e;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "httpd.conf") == 0 ||
		    !stat_entry(dir, rel, de->d_name, &e))
			continue;
		if (*n == LIST_ENTRIES_MAX) {
			*cut = true;
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(p = realloc(ents, cap * sizeof(*ents))))
				goto err;
			ents = p;
		}
		if (!(e.name = strdup(de->d_name)))
			goto err;
		ents[(*n)++] = e;
	}
	closedir(d);
	if (*n) /* qsort wants an array, even of none */
		qsort(ents, *n, sizeof(*ents), entry_cmp);
	*out = ents;
	return 0;
err:
	while (*n)
		free(ents[--*n].name);
	free(ents);
	closedir(d);
	return -1;
}

static void human_size(off_t size, char out[32])
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)size / 1024;
	int u = 0;

	if (size < 1024) {
		snprintf(out, 32, "%lld B", (long long)size);
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, 32, "%.1f %s", v, units[u]);
}

static const char list_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>Index of %s</title>\n<style>\n"
	"body{font-family:system-ui,sans-serif;margin:1rem auto;padding:0 .75rem;"
	"max-width:60rem;line-height:1.4}\n"
	"h1{font-size:1.25rem;word-break:break-all}\n"
	"table{border-collapse:collapse;width:100%%}\n"
	"th,td{padding:.45rem .4rem;border-bottom:1px solid #ddd;text-align:left}\n"
	"td.n a{display:block;word-break:break-all;text-decoration:none}\n"
	".s{text-align:right;white-space:nowrap}.m{white-space:nowrap;color:#555}\n"
	"@media (max-width:30rem){.m{display:none}}\n"
	"</style></head>\n<body>\n<h1>Index of %s</h1>\n"
	"<table>\n<thead><tr><th>Name</th><th class=\"s\">Size</th>"
	"<th class=\"m\">Modified (UTC)</th></tr></thead>\n<tbody>\n";

static int list_row(struct buf *b, const struct entry *e)
{
	char size[32], when[32], iso[32];
	struct tm tm;
	size_t nl = strlen(e->name);
	int rc = 0;

	gmtime_r(&e->mtime, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	human_size(e->size, size);
	rc |= buf_puts(b, "<tr><td class=\"n\"><a href=\"", LIST_BODY_MAX);
	rc |= util_pct_encode(b, e->name, nl, LIST_BODY_MAX);
	rc |= buf_puts(b, e->dir ? "/\">" : "\">", LIST_BODY_MAX);
	rc |= util_html_escape(b, e->name, nl, LIST_BODY_MAX);
	if (e->dir)
		rc |= buf_printf(b, LIST_BODY_MAX, "/</a></td><td class=\"s\">-</td>");
	else
		rc |= buf_printf(b, LIST_BODY_MAX,
				 "</a></td><td class=\"s\" data-bytes=\"%lld\">%s</td>",
				 (long long)e->size, size);
	rc |= buf_printf(b, LIST_BODY_MAX,
			 "<td class=\"m\"><time datetime=\"%s\">%s</time></td></tr>\n",
			 iso, when);
	return rc;
}

/* The HTML page of a directory (rel beneath HOME, already open as dir). */
static enum status listing(struct response *resp, int dir, const char *rel)
{
	struct buf *b = resp->body, title = { 0 };
	struct entry *ents = NULL;
	size_t n = 0, i, row;
	bool cut = false;
	enum status s = S_INTERNAL_SERVER_ERROR;

	if (read_entries(dir, rel, &ents, &n, &cut) < 0)
		return http_status_from_errno(errno);
	if (buf_puts(&title, "/", PATH_MAX_LEN * 6) ||
	    (strcmp(rel, ".") != 0 && (util_html_escape(&title, rel, strlen(rel),
						   PATH_MAX_LEN * 6) ||
				  buf_puts(&title, "/", PATH_MAX_LEN * 6))) ||
	    buf_append(&title, "", 1, PATH_MAX_LEN * 6))
		goto out;
	b->len = 0;
	if (buf_printf(b, LIST_BODY_MAX, list_head, title.data, title.data) ||
	    (strcmp(rel, ".") != 0 &&
	     buf_puts(b, "<tr><td class=\"n\"><a href=\"../\">../</a></td>"
			 "<td class=\"s\"></td><td class=\"m\"></td></tr>\n",
		      LIST_BODY_MAX)))
		goto out;
	/* Rows stop where the page would pass its bound; the foot still fits. */
	for (i = 0; i < n; i++) {
		row = b->len;
		if (list_row(b, &ents[i]) || b->len > LIST_BODY_MAX - 1024) {
			b->len = row;
			cut = true;
			break;
		}
	}
	if (buf_printf(b, LIST_BODY_MAX, "</tbody></table>\n%s</body></html>\n",
		       cut ? "<p>Listing cut short: too many entries.</p>\n" : ""))
		goto out;
	resp->ctype = "text/html; charset=utf-8";
	s = S_OK;
out:
	for (i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
	buf_free(&title);
	return s;
}

/* A directory (with its slash): its index file, else maybe a listing. */
static enum status serve_dir(const struct request *req, struct response *resp,
			     const char *rel)
{
	const char *index = config_index_name();
	size_t rl = strlen(rel), il = strlen(index);
	char path[PATH_MAX_LEN];
	struct fc_entry *e;
	enum status s;
	int dir;

	if (rl + 1 + il >= sizeof(path))
		return S_NOT_FOUND; /* no such path on disk */
	memcpy(path, rel, rl + 1);
	path[rl] = '/';
	memcpy(path + rl + 1, index, il + 1);
	e = fcache_get(strcmp(rel, ".") ? path : index, req->stamp, server_reads);
	if (e)
		return serve_file(req, resp, index, e);
	if (errno != ENOENT && errno != EISDIR)
		return http_status_from_errno(errno);
	if (errno == EISDIR || !server_cfg.listing)
		return S_NOT_FOUND;
	dir = open_beneath(home_fd, rel);
	if (dir < 0)
		return http_status_from_errno(errno);
	s = listing(resp, dir, rel);
	close(dir);
	return s;
}

enum status static_serve(const struct request *req, struct response *resp)
{
	char rel[PATH_MAX_LEN];
	const char *path = span_ptr(req, req->path);
	struct fc_entry *e;
	enum status s;

	if (req->path.len == 1 && path[0] == '*')
		return serve_asterisk(req, resp);
	if ((s = check_method(req, resp)) != S_OK) {
		resp->why = "method not served for files";
		return s;
	}
	if ((s = static_resolve(path, req->path.len, rel, sizeof(rel))) != S_OK) {
		resp->why = "path refused (bad escape, %2F, NUL, not UTF-8, .. above HOME, "
			    "or too long for any file)";
		return s;
	}
	if (is_config_file(rel)) {
		resp->why = "httpd.conf is never served";
		return S_FORBIDDEN; /* it may hold passwords */
	}
	if (cgi_claims(rel)) { /* e.g. x.cgi.gz: a script's source, compressed */
		resp->why = "a script's file is never served";
		return S_FORBIDDEN;
	}
	if (strcmp(rel, ".") == 0) { /* HOME: the directory we hold open */
		e = NULL;
		errno = EISDIR;
	} else {
		e = fcache_get(rel, req->stamp, server_reads);
	}
	if (e) {
		if (path[req->path.len - 1] == '/') {
			s = S_NOT_FOUND; /* "a.txt/" names a directory (ENOTDIR) */
			resp->why = "a file named as a directory";
		} else if (req->method == HTTP_OPTIONS) {
			buf_puts(resp->hdrs, ALLOW_FILE, HDRS_MAX);
			s = S_NO_CONTENT;
		} else {
			return serve_file(req, resp, rel, e);
		}
		fcache_put(e);
		return s;
	}
	if (errno != EISDIR) {
		resp->why = errno == EXDEV ? "symlink leading out of HOME"
			    : errno == EACCES ? "not a regular file, or not readable"
			    : strerror(errno);
		return http_status_from_errno(errno);
	}
	if (req->method == HTTP_OPTIONS) {
		buf_puts(resp->hdrs, ALLOW_FILE, HDRS_MAX);
		return S_NO_CONTENT;
	}
	if (path[req->path.len - 1] != '/')
		return redirect_slash(req, resp, rel);
	s = serve_dir(req, resp, rel);
	if (s == S_NOT_FOUND && !resp->why)
		resp->why = "directory without an index file";
	return s;
}
