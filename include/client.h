/* The real client address behind proxies: --trust-proxy networks and the
 * Forwarded / X-Forwarded-For / X-Real-IP headers from them; the PROXY
 * protocol switch (the header itself: proxyproto.h). */
#ifndef CLIENT_H
#define CLIENT_H

#include <stdbool.h>
#include <netinet/in.h>

#include "http.h"

#define CLIENT_TRUST_MAX 64

/* --proxy-protocol: every connection starts with a PROXY header. */
extern bool client_proxy_protocol;

/* --trust-proxy CIDR (A:/D: address syntax); -1 when malformed or too many. */
int client_trust(const char *cidr);
/* Forget every trusted network (tests). */
void client_trust_clear(void);
/* From a trusted peer: the address its headers name (Forwarded, else
 * X-Forwarded-For, else X-Real-IP), the rightmost one that is not itself
 * trusted (all trusted: the leftmost). False, *out untouched, when the
 * peer is not trusted or no usable address is given. */
bool client_forwarded(const struct request *req, const struct in6_addr *peer,
		      struct in6_addr *out);
/* The connection's own peer, kept while its peer fields name a client. */
struct client_orig;
/* After a request head: when a trusted proxy forwards req for someone,
 * peer becomes that client, the port kept,
 * and *orig (allocated once, free() it with the connection) keeps the
 * real peer; otherwise they are the real peer again. Nothing to do when
 * no network is trusted. */
void client_apply(const struct request *req, struct sockaddr_in6 *peer,
		  struct client_orig **orig);
/* --proxy-protocol: take the PROXY header off the start of in; the peer
 * becomes its source when it names one. -1: not a valid header (close);
 * 0: more bytes needed; 1: taken. */
int client_proxy_take(struct buf *in, struct sockaddr_in6 *peer);

#endif
