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
/* The client of req (NULL: none parsed yet): peer, or whom a trusted
 * proxy forwards for; out_str as util_peer writes it. */
void client_resolve(const struct request *req, const struct sockaddr_in6 *peer,
		    const char *peer_str, struct sockaddr_in6 *out, char *out_str);
/* --proxy-protocol: take the PROXY header off the start of in; the peer
 * becomes its source when it names one. -1: not a valid header (close);
 * 0: more bytes needed; 1: taken. */
int client_proxy_take(struct buf *in, struct sockaddr_in6 *peer, char *peer_str);

#endif
