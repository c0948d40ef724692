/* Reverse-proxy rules (busybox's P: lines), pure parts: the line's target
 * parsed, the longest prefix found, the path rewritten, the head sent to
 * the upstream and the one sent back with hop-by-hop headers removed. */
#ifndef UPSTREAM_H
#define UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http.h"

#define UPSTREAM_HOST_MAX 256
#define UPSTREAM_PATH_MAX 1024
#define UPSTREAM_ADDRS 4           /* addresses of a host name tried in turn */

/* P:/url:[http://]host[:port]/new/path */
struct upstream {
	char prefix[UPSTREAM_PATH_MAX];   /* /url */
	char host[UPSTREAM_HOST_MAX];     /* as written; IPv6 without [] */
	char authority[UPSTREAM_HOST_MAX + 8]; /* Host header: [v6]:port */
	char path[UPSTREAM_PATH_MAX];     /* /new/path */
	unsigned port;
	/* resolved when the configuration is loaded (upstream_resolve) */
	struct sockaddr_storage addr[UPSTREAM_ADDRS];
	socklen_t addrlen[UPSTREAM_ADDRS];
	int naddr;
};

/* Parse prefix and target ("[http://]host[:port]/path") into *u (not
 * resolved); -1 with a message in err. */
int upstream_parse(const char *prefix, const char *target, struct upstream *u,
		   char *err, size_t errsz);
/* getaddrinfo for u->host: at load time only, never in the loop. */
extern bool upstream_numeric_only; /* IP literals only (the fuzzer: no DNS) */
int upstream_resolve(struct upstream *u, char *err, size_t errsz);
/* The rule whose prefix is the longest one path[0..n) starts with, or NULL
 * (busybox's prefix: "/api" takes "/apix" too). */
const struct upstream *upstream_match(const struct upstream *u, size_t nu, const char *path,
				      size_t n);
/* Does path[0..n) hold a "." or ".." segment (also percent-encoded)? The
 * upstream would resolve it, maybe above the rule's path: refused. */
bool upstream_dot_segment(const char *path, size_t n);
/* The request head for the upstream: method, the path with the prefix
 * replaced (query kept), HTTP/1.1, Host of the upstream, the client's
 * headers without hop-by-hop ones, X-Forwarded-For/-Proto/-Host, Via,
 * the body's framing and Connection: close. -1 when out is full. */
int upstream_request_head(struct buf *out, const struct request *req,
			  const struct upstream *u, const char *client_addr);
/* Header lines p[0..n) ("Name: value" CRLF each) of an upstream's answer
 * appended to out, without hop-by-hop headers, framing (ours) and the
 * Server and Date we send ourselves; Via added. -1 when out is full. */
int upstream_response_headers(struct buf *out, const char *p, size_t n);

#endif
