/* The reverse proxy (P: lines): an upstream's answer as a stream source. */
#ifndef PROXY_H
#define PROXY_H

#include "http.h"
#include "upstream.h"

/* Connect to u (without blocking) and send it req, rewritten: S_OK with
 * the answer a stream in resp->stream (request body bytes go to the
 * upstream through the stream's feed), else the status to answer. */
enum status proxy_start(const struct request *req, const struct upstream *u,
			const char *client_addr, struct response *resp);

#endif
