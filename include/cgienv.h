/* A CGI script's environment (RFC 3875 §4.1). */
#ifndef CGIENV_H
#define CGIENV_H

#include <stddef.h>

#include "http.h"

#define ENV_MAX 128        /* variables passed to a script */
#define CGIENV_BYTES (64 * 1024) /* ... and their bytes (struct cgienv b) */

/* Who asks, for the script's environment. */
struct cgi_client {
	const char *addr;          /* REMOTE_ADDR */
	unsigned port;             /* REMOTE_PORT */
	const char *user;          /* REMOTE_USER (Basic auth), or NULL */
	int fd;                    /* the client's socket: SERVER_PORT */
};

struct cgienv {
	char *vars[ENV_MAX + 1];   /* NULL-terminated, into b */
	size_t n;
	struct buf b;
};

/* The variables for the script at script (absolute), named name (its URL
 * path) with PATH_INFO info, answering req from cl: GATEWAY_INTERFACE,
 * SERVER_*, REQUEST_*, SCRIPT_*, QUERY_STRING, REMOTE_*, CONTENT_*, every
 * request header as HTTP_* (but Proxy). Free e->b after use. */
void cgienv_build(struct cgienv *e, const struct request *r, const struct cgi_client *cl,
		  const char *script, const char *name, size_t name_len,
		  const char *info);

#endif
