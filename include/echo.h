/* /api/echo (with --inspect): the request as JSON — method, target,
 * query, headers in the order and case they came, body (or its length
 * past a bound), client address: httpbin's /anything, exact. */
#ifndef ECHO_H
#define ECHO_H

#include <jansson.h>
#include <stdbool.h>

#include "http.h"

#define ECHO_BODY_MAX (16 * 1024) /* a longer body is given by its length */

bool echo_match(const struct request *req);
enum status echo_serve(const struct request *req, const char *addr, unsigned port,
		       struct response *resp);

/* Bytes as a JSON string of their base64 (for bytes that are not text). */
json_t *echo_base64(const char *p, size_t n);

#endif
