/* Routing, once per request: the path resolved once, the handler chosen. */
#include "route.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "cgi.h"
#include "config.h"
#include "path.h"
#include "proxy.h"
#include "static.h"

void route_decide(struct route *rt, const struct request *req, bool dump)
{
	const char *path = span_ptr(req, req->path);
	size_t room = (size_t)req->path.len + 2; /* resolving never lengthens */
	char *out;

	if (dump) {
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
	/* P: lines first, on the path as sent (busybox's prefixes) */
	if (config_proxy(path, req->path.len))
		rt->kind = R_PROXY;
	else if (api_match(req))
		rt->kind = R_API;
	else if (rt->path_st == S_OK && cgi_match(req, rt->rel))
		rt->kind = R_CGI;
	else
		rt->kind = R_STATIC;
}

enum status route_serve(struct route *rt, const struct request *req,
			const struct route_client *cl, struct response *resp,
			const char **user)
{
	const char *rel = rt->rel;
	struct cgi_client cc;
	enum status s;

	s = config_check(req, rel, rt->path_st, cl->peer, resp, user);
	if (s != S_OK)
		return s; /* refused by an A:/D: rule or Basic auth */
	cc = (struct cgi_client){ cl->addr, ntohs(cl->peer->sin6_port), *user, cl->fd };
	switch (rt->kind) {
	case R_API:
		return api_serve(req, resp);
	case R_CGI:
		return cgi_start(req, rel, &cc, resp);
	case R_PROXY: /* the rule found again: no reload comes in between */
		return proxy_start(req, config_proxy(span_ptr(req, req->path), req->path.len),
				   cl->addr, resp);
	default:
		s = static_serve(req, rel, rt->path_st, resp);
		/* a directory without an index: busybox runs cgi-bin/index.cgi */
		if (s == S_NOT_FOUND && resp->fd < 0 && rt->path_st == S_OK)
			cgi_index(req, rel, &cc, resp, &s);
		return s;
	}
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
	rt->rel = "";
}

void route_release(struct route *rt)
{
	free(rt->long_rel);
	rt->long_rel = NULL;
}
