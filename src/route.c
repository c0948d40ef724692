/* Routing, once per request: the path resolved once, the handler chosen. */
#include "route.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "cgi.h"
#include "config.h"
#include "path.h"
#include "static.h"
#include "webapp.h"

#define EXTRA_MAX (64 * 1024)

/* Header lines for every answer and the CORS decision: a preflight from
 * an allowed origin is answered here, whatever the path. */
static void decide_webapp(struct route *rt, const struct request *req)
{
	const struct buf *always = webapp_always();

	rt->extra.len = 0;
	if (always)
		buf_append(&rt->extra, always->data, always->len, EXTRA_MAX);
	if (webapp_cors(req, &rt->extra, EXTRA_MAX) == CORS_PREFLIGHT)
		rt->kind = R_PREFLIGHT;
	rt->extra_err = rt->extra.len;
}

/* A GET/HEAD of a path that is not there and does not look like a file:
 * the SPA entry answers (the same checks as any file; auth and ACLs were
 * those of the path asked for), never cached without asking again. */
static enum status spa_fallback(const struct request *req, const char *rel,
				struct response *resp, enum status s)
{
	const char *spa = webapp_spa(req, rel);

	if (!spa)
		return s;
	resp->hdrs->len = 0;
	resp->why = NULL;
	resp->missing = false;
	s = static_serve_file(req, spa, resp);
	if (s < S_BAD_REQUEST)
		buf_puts(resp->hdrs, "Cache-Control: no-cache\r\n", EXTRA_MAX);
	return s;
}

/* Header rules of the path asked for, after the lines for every answer. */
static void add_rules(struct route *rt, const char *rel, struct response *resp)
{
	char path[PATH_REL_MAX + 2];

	if (rt->path_st == S_OK) {
		snprintf(path, sizeof(path), "/%s", strcmp(rel, ".") ? rel : "");
		webapp_rules(path, &rt->extra, rt->extra_err, EXTRA_MAX);
	}
	if (rt->extra.len) {
		resp->extra = &rt->extra;
		resp->extra_err = rt->extra_err;
	}
}

void route_decide(struct route *rt, const struct request *req, bool dump)
{
	const char *path = span_ptr(req, req->path);
	size_t room = (size_t)req->path.len + 2; /* resolving never lengthens */

	if (dump) {
		rt->kind = R_DUMP;
		return;
	}
	if (room > PATH_REL_MAX)
		room = PATH_REL_MAX;
	rt->rel.len = 0;
	if (buf_reserve(&rt->rel, room, PATH_REL_MAX) < 0)
		rt->path_st = S_URI_TOO_LONG;
	else
		rt->path_st = path_resolve(path, req->path.len, rt->rel.data, room);
	if (api_match(req))
		rt->kind = R_API;
	else if (rt->path_st == S_OK && cgi_match(req, rt->rel.data))
		rt->kind = R_CGI;
	else
		rt->kind = R_STATIC;
	if (webapp_active())
		decide_webapp(rt, req);
}

enum status route_serve(struct route *rt, const struct request *req,
			const struct route_client *cl, struct response *resp,
			const char **user)
{
	const char *rel = rt->path_st == S_OK ? rt->rel.data : "";
	struct cgi_client cc;
	enum status s;

	s = config_check(req, rel, rt->path_st, cl->peer, resp, user);
	if (s == S_UNAUTHORIZED && rt->kind == R_PREFLIGHT) {
		resp->hdrs->len = 0; /* a preflight never carries credentials (Fetch) */
		s = S_OK;
	}
	if (s != S_OK)
		goto out; /* refused by an A:/D: rule or Basic auth */
	cc = (struct cgi_client){ cl->addr, ntohs(cl->peer->sin6_port), *user, cl->fd };
	switch (rt->kind) {
	case R_API:
		s = api_serve(req, resp);
		break;
	case R_CGI:
		s = cgi_start(req, rel, &cc, resp);
		break;
	case R_PREFLIGHT:
		s = S_NO_CONTENT;
		break;
	default:
		s = static_serve(req, rel, rt->path_st, resp);
		/* a directory without an index: busybox runs cgi-bin/index.cgi */
		if (s == S_NOT_FOUND && resp->fd < 0 && rt->path_st == S_OK)
			cgi_index(req, rel, &cc, resp, &s);
		if (s == S_NOT_FOUND && resp->missing)
			s = spa_fallback(req, rel, resp, s);
	}
out:
	if (webapp_active())
		add_rules(rt, rel, resp);
	return s;
}

/* The body of an error answer: the configured page (E404:…) or ours. */
static void error_page(struct response *r)
{
	struct stat st;
	int fd = config_error_page(r->status);

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		r->fd = fd;
		r->off = 0;
		r->len = st.st_size;
		r->ctype = "text/html; charset=utf-8";
		return;
	}
	if (fd >= 0)
		close(fd);
	http_error_body(r);
}

void route_error_body(const struct route *rt, const struct request *req, bool parsed,
		      struct response *r)
{
	const struct buf *always;

	if (rt->kind == R_NONE && !r->extra && (always = webapp_always())) {
		r->extra = always; /* refused before a route: the lines for every answer */
		r->extra_err = always->len;
	}
	if (r->status >= 400 && parsed && !r->ctype && route_is_api(rt, req))
		api_error_body(r, r->status); /* the API speaks JSON, even for our limits */
	else if (r->status >= 300 && r->status != S_NOT_MODIFIED && r->fd < 0 && !r->ctype)
		error_page(r);
}

bool route_is_api(const struct route *rt, const struct request *req)
{
	return rt->kind == R_API || (rt->kind == R_NONE && api_match(req));
}

void route_reset(struct route *rt)
{
	rt->kind = R_NONE;
	rt->path_st = S_OK;
	rt->rel.len = 0;
	rt->extra.len = 0;
	rt->extra_err = 0;
}

void route_release(struct route *rt)
{
	buf_free(&rt->rel);
	buf_free(&rt->extra);
}
