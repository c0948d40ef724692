/* --health: GET/HEAD /healthz (the loop runs) and /readyz (not draining,
 * HOME readable), answered before A:/D: rules and Basic auth. */
#ifndef HEALTH_H
#define HEALTH_H

#include <stdbool.h>

#include "http.h"

extern bool health_enabled;

/* Is req for /healthz or /readyz (and --health on)? */
bool health_match(const struct request *req);
/* The answer: 200 "ok", 503 with the reason, 405 for other methods. */
enum status health_serve(const struct request *req, struct response *resp);

#endif
