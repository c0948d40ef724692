/* Routing, once per request: the path resolved once, the handler chosen. */
#include "route.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "cgi.h"
#include "chat.h"
#include "config.h"
#include "echo.h"
#include "inspect.h"
#include "health.h"
#include "metrics.h"
#include "path.h"
#include "proxy.h"
#include "static.h"
#include "webapp.h"

/* Routes of features turned on by an option: they answer in -D mode too.
 * Out of line: off, they cost the hot path one branch. */
__attribute__((cold, noinline)) static enum route_kind feature(const struct request *req)
{
	if (inspect_enabled && inspect_match(req))
		return R_INSPECT;
	if (inspect_enabled && echo_match(req))
		return R_ECHO;
	if (chat_enabled && chat_match(req))
		return R_CHAT;
	return R_NONE;
}

void route_decide(struct route *rt, const struct request *req, bool dump)
{
	const char *path = span_ptr(req, req->path);
	size_t room = (size_t)req->path.len + 2; /* resolving never lengthens */
	char *out;
	enum route_kind f = __builtin_expect(inspect_enabled || chat_enabled, 0) ? feature(req)
									   : R_NONE;

	if (dump && f == R_NONE) {
		rt->kind = R_DUMP;
		return;
	}
	if (room > PATH_REL_MAX)
		room = PATH_REL_MAX;
	rt->rel = "";
	if (room <= sizeof(rt->small)) {
		out = rt->small;
	} else if (rt->long_rel || (rt->long_rel = malloc(PATH_REL_MAX)) != NULL) {
		out = rt->long_rel;
	} else {
		out = NULL;
		rt->path_st = S_SERVICE_UNAVAILABLE; /* out of memory */
	}
	if (out && (rt->path_st = path_resolve(path, req->path.len, out, room)) == S_OK)
		rt->rel = out;
	if (health_match(req))
		rt->kind = R_HEALTH;
	else if (metrics_match(req))
		rt->kind = R_METRICS;
	else if (f != R_NONE)
		rt->kind = f;
	/* P: lines before the rest, on the path as sent (busybox's prefixes) */
	else if (config_uses.proxy && config_proxy(path, req->path.len))
		rt->kind = R_PROXY;
	else if (req->method == HTTP_OPTIONS && webapp_active() &&
	    webapp_cors(req, NULL) == CORS_PREFLIGHT)
		rt->kind = R_PREFLIGHT; /* from an allowed origin, whatever the path */
	else if (api_match(req))
		rt->kind = R_API;
	else if (rt->path_st == S_OK && cgi_match(req, rt->rel))
		rt->kind = R_CGI;
	else
		rt->kind = R_STATIC;
}

/* Put n bytes of header lines at offset at of hdrs: how many went in (0
 * when there is no room: the answer goes without them). */
static uint32_t insert_lines(struct buf *hdrs, size_t at, const char *p, size_t n)
{
	if (!n || buf_reserve(hdrs, n) < 0)
		return 0;
	memmove(hdrs->data + at + n, hdrs->data + at, hdrs->len - at);
	memcpy(hdrs->data + at, p, n);
	hdrs->len += n;
	return (uint32_t)n;
}

/* Lines for every answer and CORS's, first in hdrs (the handler's come
 * after them). */
static void webapp_first(const struct request *req, struct response *resp)
{
	const struct buf *always = webapp_always();

	if (always)
		buf_append(resp->hdrs, always->data, always->len);
	webapp_cors(req, resp->hdrs);
	resp->xhdr_all = resp->xhdr_ok = (uint32_t)resp->hdrs->len;
}

/* The rules of the path asked for, after those lines: for answers < 400.
 * (Out of line: its path buffer would cost every route_serve the stack
 * protector's check.) */
static __attribute__((noinline)) void webapp_rules_of(const char *rel, struct response *resp)
{
	static struct buf rules = BUF_INIT(HTTP_HDRS_MAX); /* reused: no allocation per request */
	char path[PATH_REL_MAX + 2];

	rules.len = 0;
	snprintf(path, sizeof(path), "/%s", strcmp(rel, ".") ? rel : "");
	webapp_rules(path, &rules, 0);
	resp->xhdr_ok = resp->xhdr_all + insert_lines(resp->hdrs, resp->xhdr_all, rules.data,
						      rules.len);
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
	resp->hdrs->len = resp->xhdr_all;
	resp->why = NULL;
	resp->missing = false;
	s = static_serve_file(req, spa, resp);
	if (s < S_BAD_REQUEST && http_file_lines_to_hdrs(resp) == 0) /* in their order */
		buf_puts(resp->hdrs, "Cache-Control: no-cache\r\n");
	return s;
}

/* The handlers that see the client's address as text (a script's
 * environment, a proxied request's X-Forwarded-For, the echo): it is made
 * here, out of line, so that the others never pay for it. */
__attribute__((noinline))
static enum status serve_client(const struct route *rt, const struct request *req,
				struct route_client cl, const char *user,
				struct response *resp, enum status s)
{
	char addr[UTIL_PEER_LEN];
	struct cgi_client cc = { util_peer_str(cl.peer, addr), ntohs(cl.peer->sin6_port),
				 user, cl.fd };

	switch (rt->kind) {
	case R_CGI:
		return cgi_start(req, rt->rel, &cc, resp);
	case R_PROXY: /* the rule found again: no reload comes in between */
		return proxy_start(req, config_proxy(span_ptr(req, req->path), req->path.len),
				   addr, resp);
	case R_ECHO:
		return echo_serve(req, addr, cc.port, resp);
	default: /* a directory without an index: busybox runs cgi-bin/index.cgi */
		cgi_index(req, rt->rel, &cc, resp, &s);
		return s;
	}
}

enum status route_serve(struct route *rt, const struct request *req,
			struct route_client cl, struct response *resp,
			const char **user)
{
	const char *rel = rt->rel;
	bool web = webapp_active();
	enum status s;

	if (rt->kind == R_HEALTH)
		return health_serve(req, resp); /* probes need no credentials */
	if (web)
		webapp_first(req, resp);
	s = config_check(req, rel, rt->path_st, cl.peer, resp, user);
	if (s == S_UNAUTHORIZED && rt->kind == R_PREFLIGHT) {
		resp->hdrs->len = resp->xhdr_all; /* a preflight never carries credentials */
		s = S_OK;
	}
	if (s != S_OK)
		goto out; /* refused by an A:/D: rule or Basic auth */
	switch (rt->kind) {
	case R_API:
		s = api_serve(req, resp);
		break;
	case R_METRICS:
		s = metrics_serve(req, resp);
		break;
	case R_CGI:
	case R_PROXY:
	case R_ECHO:
		s = serve_client(rt, req, cl, *user, resp, s);
		break;
	case R_PREFLIGHT:
		s = S_NO_CONTENT;
		break;
	case R_INSPECT:
		s = inspect_serve(req, resp);
		break;
	case R_CHAT:
		s = chat_serve(req, cl.peer, resp);
		break;
	default:
		s = static_serve(req, rel, rt->path_st, resp);
		if (s == S_NOT_FOUND && resp->fd < 0 && rt->path_st == S_OK)
			s = serve_client(rt, req, cl, *user, resp, s);
		if (s == S_NOT_FOUND && resp->missing && web)
			s = spa_fallback(req, rel, resp, s);
	}
out:
	if (web && rt->path_st == S_OK)
		webapp_rules_of(rel, resp);
	return s;
}

/* The body of an error answer: the configured page (E404:…) or ours.
 * (Out of line: its struct stat would cost every answer the stack
 * protector's check.) */
static __attribute__((noinline)) void error_page(struct response *r)
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

	/* Most answers: no web app (so no lines for every answer) and no
	 * error page. */
	if (r->status < 300 && !webapp_active())
		return;
	if (rt->kind != R_DUMP && !r->xhdr_all && (always = webapp_always())) {
		/* refused before the route served it: the lines for every answer */
		r->xhdr_all = r->xhdr_ok = insert_lines(r->hdrs, 0, always->data, always->len);
	}
	if (r->status >= S_BAD_REQUEST && parsed && !r->ctype && route_is_api(rt, req))
		api_error_body(r, r->status); /* the API speaks JSON, even for our limits */
	else if (r->status >= 300 && r->status != S_NOT_MODIFIED && r->fd < 0 && !r->ctype)
		error_page(r);
}

bool route_is_api(const struct route *rt, const struct request *req)
{
	return rt->kind == R_API || rt->kind == R_ECHO || rt->kind == R_CHAT ||
	       (rt->kind == R_NONE && api_match(req));
}

bool route_keeps_body(const struct route *rt)
{
	return rt->kind == R_DUMP || rt->kind == R_API || rt->kind == R_ECHO ||
	       rt->kind == R_CHAT;
}

void route_reset(struct route *rt)
{
	rt->kind = R_NONE;
	rt->path_st = S_OK;
	rt->rel = "";
}

void route_release(struct route *rt)
{
	if (rt->long_rel) { /* most paths fit in small: no call */
		free(rt->long_rel);
		rt->long_rel = NULL;
	}
}
