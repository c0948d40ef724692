/* CORS (the Fetch standard's CORS protocol): which origins may read our
 * answers, and the header lines that say so (pure). */
#ifndef CORS_H
#define CORS_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define CORS_METHODS_DEFAULT "GET, HEAD, POST"
#define CORS_MAX_AGE_DEFAULT 600

struct cors {
	char **origins;          /* exact serialized origins ("https://a.example") */
	size_t norigins;
	bool any;                /* "*": every origin, never with credentials */
	bool credentials;        /* Access-Control-Allow-Credentials: true */
	char *methods;           /* preflight answer; NULL: CORS_METHODS_DEFAULT */
	char *headers;           /* preflight answer; NULL: those asked for */
	long max_age;            /* preflight cache, seconds; -1: the default */
};

/* What the request says: its method (llhttp) and CORS headers. */
struct cors_req {
	int method;
	const char *origin;      /* NULL: no Origin header */
	size_t origin_len;
	bool has_acrm;           /* Access-Control-Request-Method present */
	const char *acrh;        /* Access-Control-Request-Headers, or NULL */
	size_t acrh_len;
};

enum cors_kind {
	CORS_OFF,       /* no policy: nothing to add */
	CORS_NONE,      /* no CORS headers (no Origin, or one not allowed) */
	CORS_SIMPLE,    /* an allowed origin: Allow-Origin on the answer */
	CORS_PREFLIGHT, /* an allowed preflight: 204 with the lines in out */
};

/* The decision for r under c. */
enum cors_kind cors_kind(const struct cors *c, const struct cors_req *r);
/* The same, and the header lines it needs go to out (Vary:
 * Origin also for CORS_NONE when the answer depends on the origin). */
enum cors_kind cors_decide(const struct cors *c, const struct cors_req *r, struct buf *out);
/* A configured origin: "*", or scheme://host[:port] in lower case as
 * browsers send it. -1 with a message. */
int cors_origin_check(const char *origin, char *err, size_t errsz);
/* A list of tokens for Allow-Methods / Allow-Headers ("GET, POST"). */
bool cors_list_ok(const char *s, size_t n);

#endif
