/* Static files under HOME: path resolution, open/fstat, the file response. */
#include "static.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "mime.h"

#define PATH_MAX_LEN 4096

static int home_fd = -1;

enum status static_resolve(const char *path, size_t n, char *out, size_t outsz)
{
	char dec[PATH_MAX_LEN];
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
	if (len < 0 || memchr(dec, '\0', (size_t)len))
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
			return S_URI_TOO_LONG;
		if (o)
			out[o++] = '/';
		memcpy(out + o, s, sl);
		o += sl;
	}
	if (o == 0) {
		if (outsz < 2)
			return S_URI_TOO_LONG;
		out[o++] = '.';
	}
	out[o] = '\0';
	return S_OK;
}

int static_init(const char *home)
{
	int fd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (home_fd >= 0)
		close(home_fd);
	home_fd = fd;
	return 0;
}

/* Open beneath dir: no "..", absolute link or magic link may lead out. */
static int open_beneath(int dir, const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dir, rel, &how, sizeof(how));
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

/* S_OK to go on; anything else is the answer (OPTIONS included). */
static enum status check_method(const struct request *req, struct response *resp)
{
	const char *allow = "Allow: GET, HEAD, OPTIONS\r\n";

	if (req->method == HTTP_GET || req->method == HTTP_HEAD)
		return S_OK;
	if (!is_standard_method(req->method) && req->method != HTTP_OPTIONS)
		return S_NOT_IMPLEMENTED;
	buf_puts(resp->hdrs, allow, 4096);
	if (req->method == HTTP_OPTIONS)
		return S_NO_CONTENT;
	return S_METHOD_NOT_ALLOWED;
}

/* 301 to the same path with a slash, query string kept. */
static enum status redirect_slash(const struct request *req, struct response *resp)
{
	buf_puts(resp->hdrs, "Location: ", 64 * 1024);
	buf_append(resp->hdrs, span_ptr(req, req->path), req->path.len, 64 * 1024);
	buf_puts(resp->hdrs, "/", 64 * 1024);
	if (req->query.len) {
		buf_puts(resp->hdrs, "?", 64 * 1024);
		buf_append(resp->hdrs, span_ptr(req, req->query), req->query.len,
			   64 * 1024);
	}
	buf_puts(resp->hdrs, "\r\n", 64 * 1024);
	return S_MOVED_PERMANENTLY;
}

static bool etag_listed(const char *list, size_t n, const char *etag)
{
	size_t el = strlen(etag), i = 0;

	while (i < n) {
		while (i < n && (list[i] == ' ' || list[i] == '\t' || list[i] == ','))
			i++;
		if (i < n && list[i] == '*')
			return true;
		if (n - i >= 2 && list[i] == 'W' && list[i + 1] == '/')
			i += 2; /* weak comparison (RFC 9110 §13.1.2) */
		if (n - i >= el && memcmp(list + i, etag, el) == 0)
			return true;
		while (i < n && list[i] != ',')
			i++;
	}
	return false;
}

/* RFC 9110 §13.1.2-3: If-None-Match wins over If-Modified-Since. */
static bool not_modified(const struct request *req, const struct stat *st,
			 const char *etag)
{
	time_t since;

	if (http_has_header(req, H_IF_NONE_MATCH))
		return etag_listed(span_ptr(req, req->hdr[H_IF_NONE_MATCH]),
				   req->hdr[H_IF_NONE_MATCH].len, etag);
	if (!http_has_header(req, H_IF_MODIFIED_SINCE))
		return false;
	since = util_parse_http_date(span_ptr(req, req->hdr[H_IF_MODIFIED_SINCE]),
				     req->hdr[H_IF_MODIFIED_SINCE].len);
	return since != -1 && st->st_mtime <= since;
}

static enum status serve_file(const struct request *req, struct response *resp,
			      int fd, const struct stat *st, const char *name)
{
	snprintf(resp->etag, sizeof(resp->etag), "\"%llx-%llx\"",
		 (unsigned long long)st->st_mtim.tv_sec * 1000000000ULL +
			 (unsigned long long)st->st_mtim.tv_nsec,
		 (unsigned long long)st->st_size);
	resp->mtime = st->st_mtime;
	resp->ctype = mime_lookup(name);
	if (not_modified(req, st, resp->etag)) {
		close(fd);
		return S_NOT_MODIFIED;
	}
	resp->fd = fd;
	resp->off = 0;
	resp->len = st->st_size;
	return S_OK;
}

enum status static_serve(const struct request *req, struct response *resp)
{
	char rel[PATH_MAX_LEN];
	const char *path = span_ptr(req, req->path);
	struct stat st;
	enum status s;
	int fd, idx;

	if ((s = check_method(req, resp)) != S_OK)
		return s;
	if ((s = static_resolve(path, req->path.len, rel, sizeof(rel))) != S_OK)
		return s;
	if (is_config_file(rel))
		return S_FORBIDDEN; /* it may hold passwords */
	fd = open_beneath(home_fd, rel);
	if (fd < 0)
		return http_status_from_errno(errno);
	if (fstat(fd, &st) < 0)
		goto err;
	if (S_ISDIR(st.st_mode)) {
		if (path[req->path.len - 1] != '/') {
			close(fd);
			return redirect_slash(req, resp);
		}
		idx = open_beneath(fd, config_index_name());
		close(fd);
		if (idx < 0)
			return errno == ENOENT ? S_NOT_FOUND
					       : http_status_from_errno(errno);
		fd = idx;
		if (fstat(fd, &st) < 0)
			goto err;
		return S_ISREG(st.st_mode) ? serve_file(req, resp, fd, &st,
							config_index_name())
					   : (close(fd), S_FORBIDDEN);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_FORBIDDEN;
	}
	return serve_file(req, resp, fd, &st, rel);
err:
	s = http_status_from_errno(errno);
	close(fd);
	return s;
}
