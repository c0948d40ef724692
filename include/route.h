/* Where a request goes, decided once right after its head is valid: the
 * dump, a P: upstream, the API, a CGI script or a static file; its path is resolved
 * once here, and ACL/auth, CGI and static all take that resolution. */
#ifndef ROUTE_H
#define ROUTE_H

#include <netinet/in.h>

#include "http.h"

enum route_kind {
	R_NONE,    /* not decided yet (the head is not valid) */
	R_DUMP,    /* -D: the request answered with itself */
	R_API,     /* /api/calcul */
	R_CGI,     /* a script under cgi-bin/ or with an interpreter */
	R_STATIC,  /* a file or directory under HOME */
	R_PREFLIGHT, /* a CORS preflight from an allowed origin: 204 */
	R_INSPECT, /* --inspect: /_inspect, its page and events (also with -D) */
	R_ECHO,    /* --inspect: /api/echo (also with -D) */
	R_CHAT,    /* --chat: /api/chat (also with -D) */
	R_HEALTH,  /* --health: /healthz, /readyz (no A:/D:, no auth) */
	R_METRICS, /* --metrics: /metrics (A:/D: and auth apply) */
	R_PROXY,   /* a P: line's upstream */
};

/* Most paths fit in the connection itself: no allocation (and struct
 * conn stays within malloc's per-size cache, 1032 bytes). */
#define ROUTE_REL_INLINE 24

struct route {
	enum route_kind kind;
	enum status path_st;      /* S_OK: rel is the path under HOME */
	const char *rel;          /* the request path resolved: small or long */
	char *long_rel;           /* PATH_REL_MAX bytes, for longer paths */
	char small[ROUTE_REL_INLINE];
};

/* Who asks: for the A:/D: rules and the CGI environment. (Passed by
 * value: two registers, and no local of the caller's whose address is
 * taken, which would cost it the stack protector's check.) */
struct route_client {
	const struct sockaddr_in6 *peer;
	int fd;                   /* the client's socket */
};

/* Decide the route of req (its head parsed and valid). */
void route_decide(struct route *rt, const struct request *req, bool dump);
/* Serve req by its route (not the dump): A:/D: rules and Basic auth,
 * then the handler. S_OK with resp->stream set when a stream answers;
 * *user gets the authenticated user. */
enum status route_serve(struct route *rt, const struct request *req,
			struct route_client cl, struct response *resp,
			const char **user);
/* The body of an answer of status resp->status, if it needs one: JSON for
 * the API (also for errors found before the route, once the head is
 * parsed), the configured page (E404:…), or ours. */
void route_error_body(const struct route *rt, const struct request *req, bool parsed,
		      struct response *resp);
/* Errors of the API are JSON (also those found before the route). */
bool route_is_api(const struct route *rt, const struct request *req);
/* Does the handler read the request body (kept in memory, 64 KiB)? */
bool route_keeps_body(const struct route *rt);
/* Next request; idle: give the buffer back. */
void route_reset(struct route *rt);
void route_release(struct route *rt);

#endif
