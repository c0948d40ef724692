/* Static files under HOME: files, variants, directories, listings. */
#include "static.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgi.h"
#include "cond.h"
#include "fcache.h"
#include "listing.h"
#include "config.h"
#include "mime.h"
#include "path.h"
#include "range.h"
#include "loop.h"

#define ALLOW_FILE "Allow: GET, HEAD, OPTIONS\r\n"
#define ALLOW_SERVER "Allow: GET, HEAD, POST, OPTIONS\r\n" /* OPTIONS * */

static uint64_t boundary_seed;
bool static_listing;

/* Pre-compressed variants looked for beside a file, best first on a tie. */
static const struct {
	const char *coding, *ext;
	enum http_coding id;
} variants[] = {
	{ "br", ".br", HTTP_BR },
	{ "gzip", ".gz", HTTP_GZIP },
};

static int open_servable(int dir, const char *rel);

int static_init(void)
{
	fcache_init(path_home_fd(), open_servable);
	if (getrandom(&boundary_seed, sizeof(boundary_seed), GRND_NONBLOCK) !=
	    sizeof(boundary_seed))
		boundary_seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	boundary_seed |= 1;
	return 0;
}

/* A file whose bytes may be sent: not one a script claims, by the name it
 * was asked by nor by where it really is (a symlink to a script, or to
 * cgi-bin/). Every file answer (index files, variants, ranges, HEAD,
 * conditionals) comes through the file cache, which opens with this. */
static int open_servable(int dir, const char *rel)
{
	char proc[64], real[PATH_REL_MAX];
	const char *home = path_home();
	size_t hl = strlen(home);
	int fd = path_open_beneath(dir, rel);
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

	base = base ? base + 1 : rel;
	return base[0] == 'h' && strcmp(base, "httpd.conf") == 0; /* most names: no call */
}

/* S_OK to go on (GET, HEAD, OPTIONS); anything else is the answer. */
static enum status check_method(const struct request *req, struct response *resp)
{
	if (req->method == HTTP_GET || req->method == HTTP_HEAD ||
	    req->method == HTTP_OPTIONS)
		return S_OK;
	if (!is_standard_method(req->method))
		return S_NOT_IMPLEMENTED;
	buf_puts(resp->hdrs, ALLOW_FILE);
	return S_METHOD_NOT_ALLOWED;
}

/* The request target "*" (RFC 9110 §7.1): only OPTIONS means anything. */
static enum status serve_asterisk(const struct request *req, struct response *resp)
{
	if (req->method != HTTP_OPTIONS)
		return S_BAD_REQUEST;
	buf_puts(resp->hdrs, ALLOW_SERVER);
	return S_NO_CONTENT;
}

/* 301 to the directory with a slash, query string kept. Built from the
 * resolved path rel, never from the request's: "//evil.com" would make a
 * Location a browser reads as another host. */
static enum status redirect_slash(const struct request *req, struct response *resp,
				  const char *rel)
{
	buf_puts(resp->hdrs, "Location: /");
	if (strcmp(rel, ".") != 0) {
		util_pct_encode(resp->hdrs, rel, strlen(rel));
		buf_puts(resp->hdrs, "/");
	}
	if (req->query.len) {
		buf_puts(resp->hdrs, "?");
		buf_append(resp->hdrs, span_ptr(req, req->query), req->query.len);
	}
	buf_puts(resp->hdrs, "\r\n");
	return S_MOVED_PERMANENTLY;
}

static bool has_variant(const struct fc_entry *e)
{
	return e->rep[1].exists || e->rep[2].exists;
}

/* The representation Accept-Encoding likes best among the cached ones
 * (e has a variant): ties go to the variant (smaller), br before gzip.
 * (Out of line, as the other rare steps of serve_file: its own frame.) */
static __attribute__((noinline)) int choose_variant(const struct request *req,
						    const struct fc_entry *e)
{
	const char *ae = span_ptr(req, req->hdr[H_ACCEPT_ENCODING]);
	size_t aen = req->hdr[H_ACCEPT_ENCODING].len, i;
	bool present = http_has_header(req, H_ACCEPT_ENCODING);
	int best, pick = 0;

	best = cond_accept_q(ae, aen, present, "identity");
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
		rc |= buf_printf(b, "%s--%s\r\nContent-Type: %s\r\n"
				 "Content-Range: bytes %lld-%lld/%lld\r\n\r\n",
				 i ? "\r\n" : "", boundary, ctype,
				 (long long)rg[i].start,
				 (long long)(rg[i].start + rg[i].len - 1),
				 (long long)size);
		rc |= http_add_seg(resp, false, (off_t)off, (off_t)(b->len - off));
		rc |= http_add_seg(resp, true, rg[i].start, rg[i].len);
	}
	off = b->len;
	rc |= buf_printf(b, "\r\n--%s--\r\n", boundary);
	rc |= http_add_seg(resp, false, (off_t)off, (off_t)(b->len - off));
	rc |= buf_printf(resp->hdrs,
			 "Content-Type: multipart/byteranges; boundary=%s\r\n",
			 boundary);
	if (rc)
		return S_INTERNAL_SERVER_ERROR;
	resp->ctype = NULL; /* in hdrs, with its boundary */
	return S_PARTIAL_CONTENT;
}

/* Range and If-Range (RFC 9110 §13.2.2 step 5, §14.2) on resp's file,
 * for a request with a Range. */
static __attribute__((noinline)) enum status apply_range(const struct request *req,
							 struct response *resp,
							 off_t size, bool encoded)
{
	struct range rg[RANGE_MAX];
	int n;

	if (req->method != HTTP_GET && req->method != HTTP_HEAD)
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
		buf_printf(resp->hdrs, "Content-Range: bytes */%lld\r\n",
			   (long long)size);
		return S_RANGE_NOT_SATISFIABLE;
	case RANGE_OK:
		break;
	}
	if (n > 1) /* an encoded multipart body would read as encoded parts */
		return encoded ? S_OK : multipart(resp, resp->ctype, rg, n, size);
	resp->off = rg[0].start;
	resp->len = rg[0].len;
	buf_printf(resp->hdrs, "Content-Range: bytes %lld-%lld/%lld\r\n",
		   (long long)rg[0].start, (long long)(rg[0].start + rg[0].len - 1),
		   (long long)size);
	return S_PARTIAL_CONTENT;
}

/* A small file's bytes are in memory (the cache's copy, kept while the
 * answer goes out): head and body leave in one writev. */
static int body_from_memory(struct response *resp, const char *data)
{
	struct seg *sg;
	size_t i, n = resp->segs->n;

	if (n == 0) { /* the whole file or one range: sent from there, not copied */
		if (http_add_seg(resp, false, resp->off, resp->len) < 0)
			return -1;
		http_segs(resp->segs)->mem = data;
		/* the cache's room before the bytes: the whole file's */
		http_segs(resp->segs)->front = resp->off == 0;
		return 0;
	}
	sg = http_segs(resp->segs);
	for (i = 0; i < n; i++) /* multipart: file pieces are read from there too */
		if (sg[i].file) {
			sg[i].file = false;
			sg[i].mem = data;
		}
	return 0;
}

/* Preconditions (RFC 9110 §13.2.2) on resp's validators: S_OK to go on. */
static __attribute__((noinline)) enum status check_cond(const struct request *req,
							 const struct response *resp)
{
	struct cond c;

	cond_from_request(&c, req);
	return cond_evaluate(&c, resp->etag, resp->mtime);
}

/* e's type (by name) and its representations' typed lines, once. */
static __attribute__((noinline)) void type_entry(struct fc_entry *e, const char *name)
{
	int i;

	e->ctype = mime_lookup(name);
	for (i = 0; i < FC_REPS; i++)
		if (e->rep[i].exists)
			http_validators_type(&e->rep[i].val, e->ctype, e->rep[i].st.st_size);
}

/* The cached file e (named name, for its type): its variants,
 * preconditions and ranges. Takes the reference on e. */
static enum status serve_file(const struct request *req, struct response *resp,
			      const char *name, struct fc_entry *e)
{
	bool varied = has_variant(e);
	int v = varied ? choose_variant(req, e) : 0; /* the file alone: no choice */
	const struct fc_rep *r = &e->rep[v];
	enum status s = S_OK;

	if (varied)
		buf_puts(resp->hdrs, "Vary: Accept-Encoding\r\n");
	resp->etag = r->val.etag;
	resp->mtime = r->st.st_mtime;
	resp->validators = true;
	if (cond_asked(req) && (s = check_cond(req, resp)) != S_OK)
		goto done;
	if (!e->ctype)
		type_entry(e, name);
	resp->ctype = e->ctype;
	resp->off = 0;
	resp->len = r->st.st_size;
	if (http_has_header(req, H_RANGE)) {
		s = apply_range(req, resp, r->st.st_size, v != 0);
		if (s != S_OK && s != S_PARTIAL_CONTENT)
			goto done;
	}
	resp->accept_ranges = true; /* and Content-Encoding: the head's last */
	if (v)
		resp->coding = (uint8_t)variants[v - 1].id;
	resp->cache = e; /* the core gives it back when the body is out */
	if (r->data) {
		if (body_from_memory(resp, r->data) < 0)
			s = S_INTERNAL_SERVER_ERROR;
		return s;
	}
	resp->fd = r->fd;
	return s;
done:
	/* 304 keeps the validators (and e, where its ETag is); an error
	 * page gets the core's body. */
	resp->ctype = NULL;
	if (s == S_NOT_MODIFIED) {
		resp->cache = e;
		return s;
	}
	resp->etag = NULL;
	resp->mtime = 0;
	resp->validators = false;
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

/* The index file of directory rel below HOME (its own frame, the path's). */
static __attribute__((noinline)) struct fc_entry *subdir_index(const char *rel,
							       const char *index,
							       uint64_t stamp)
{
	size_t rl = strlen(rel), il = strlen(index);
	char path[PATH_REL_MAX];

	if (rl + 1 + il >= sizeof(path)) {
		errno = ENAMETOOLONG; /* no such path on disk: 404, no listing */
		return NULL;
	}
	memcpy(path, rel, rl + 1);
	path[rl] = '/';
	memcpy(path + rl + 1, index, il + 1);
	return fcache_get(path, stamp, loop_reads);
}

/* A directory (with its slash): its index file, else maybe a listing. */
static enum status serve_dir(const struct request *req, struct response *resp,
			     const char *rel)
{
	const char *index = config_index_name();
	struct fc_entry *e;
	enum status s;
	int dir;

	if (rel[0] == '.' && rel[1] == '\0') /* HOME (the most asked): no path to make */
		e = fcache_get(index, req->stamp, loop_reads);
	else
		e = subdir_index(rel, index, req->stamp);
	if (e)
		return serve_file(req, resp, index, e);
	if (errno != ENOENT && errno != EISDIR)
		return http_status_from_errno(errno);
	if (errno == EISDIR || !static_listing)
		return S_NOT_FOUND;
	dir = path_open(rel, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (dir < 0)
		return http_status_from_errno(errno);
	s = listing_page(resp, dir, rel);
	close(dir);
	return s;
}

enum status static_serve(const struct request *req, const char *rel, enum status path_st,
			 struct response *resp)
{
	const char *path = span_ptr(req, req->path);
	bool home = rel[0] == '.' && rel[1] == '\0'; /* the most asked: no name to look at */
	struct fc_entry *e;
	enum status s;

	if (req->path.len == 1 && path[0] == '*')
		return serve_asterisk(req, resp);
	if ((s = check_method(req, resp)) != S_OK) {
		resp->why = "method not served for files";
		return s;
	}
	if ((s = path_st) != S_OK) {
		resp->why = "path refused (bad escape, %2F, NUL, not UTF-8, .. above HOME, "
			    "or too long for any file)";
		return s;
	}
	if (!home && is_config_file(rel)) {
		resp->why = "httpd.conf is never served";
		return S_FORBIDDEN; /* it may hold passwords */
	}
	/* e.g. x.cgi.gz: a script's source, compressed (never HOME's ".":
	 * not in cgi-bin/, and no extension is "." alone) */
	if (!home && cgi_claims(rel)) {
		resp->why = "a script's file is never served";
		return S_FORBIDDEN;
	}
	/* home: the directory we hold open (no errno to set and read back) */
	e = home ? NULL : fcache_get(rel, req->stamp, loop_reads);
	if (e) {
		if (path[req->path.len - 1] == '/') {
			s = S_NOT_FOUND; /* "a.txt/" names a directory (ENOTDIR) */
			resp->why = "a file named as a directory";
		} else if (req->method == HTTP_OPTIONS) {
			buf_puts(resp->hdrs, ALLOW_FILE);
			s = S_NO_CONTENT;
		} else {
			return serve_file(req, resp, rel, e);
		}
		fcache_put(e);
		return s;
	}
	if (!home && errno != EISDIR) {
		resp->missing = errno == ENOENT || errno == ENOTDIR;
		resp->why = errno == EXDEV ? "symlink leading out of HOME"
			    : errno == EACCES ? "not a regular file, or not readable"
			    : strerror(errno);
		return http_status_from_errno(errno);
	}
	if (req->method == HTTP_OPTIONS) {
		buf_puts(resp->hdrs, ALLOW_FILE);
		return S_NO_CONTENT;
	}
	if (path[req->path.len - 1] != '/')
		return redirect_slash(req, resp, rel);
	s = serve_dir(req, resp, rel);
	if (s == S_NOT_FOUND && !resp->why)
		resp->why = "directory without an index file";
	return s;
}

enum status static_serve_file(const struct request *req, const char *rel,
			      struct response *resp)
{
	struct fc_entry *e;

	if (is_config_file(rel) || cgi_claims(rel)) {
		resp->why = "the SPA entry is a script or httpd.conf";
		return S_FORBIDDEN;
	}
	e = fcache_get(rel, req->stamp, loop_reads);
	if (!e) {
		resp->why = "the SPA entry cannot be opened";
		return errno == EISDIR ? S_NOT_FOUND : http_status_from_errno(errno);
	}
	return serve_file(req, resp, rel, e);
}
