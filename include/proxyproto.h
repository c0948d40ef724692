/* The PROXY protocol header (v1 text, v2 binary) that HAProxy, AWS NLB
 * and others put before the client's bytes: parsed, pure. */
#ifndef PROXYPROTO_H
#define PROXYPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>

/* The longest header we take (v2 with its TLVs); longer ones are refused. */
#define PROXYPROTO_MAX 1024

enum proxyproto_result {
	PP_BAD = -1,  /* not a valid header: close the connection */
	PP_MORE = 0,  /* a valid beginning: read more */
	PP_OK = 1,    /* *used bytes are the header */
};

/* p[0..n), the first bytes of a connection. On PP_OK, *used is the
 * header's length and *has_src tells whether it names a source (TCP over
 * IPv4/IPv6, then in *src, IPv4 as v4-mapped, with its port) or not
 * (v1 UNKNOWN, v2 LOCAL or another family: the connection's own peer
 * stands). */
enum proxyproto_result proxyproto_parse(const char *p, size_t n, struct sockaddr_in6 *src,
					bool *has_src, size_t *used);

#endif
