/* Conditional requests (RFC 9110 §13) and Accept-Encoding negotiation
 * (§12.5.3): pure evaluations of request header values. */
#ifndef COND_H
#define COND_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "http.h"

/* A header value, or s == NULL when the header is absent. */
struct cond_val {
	const char *s;
	size_t n;
};

/* The precondition headers of one request. */
struct cond {
	struct cond_val if_match, if_unmodified_since;
	struct cond_val if_none_match, if_modified_since;
	bool get_or_head;
};

/* Fill c from the request's headers. */
void cond_from_request(struct cond *c, const struct request *req);
/* Does the request have any precondition header? (Most have none: then
 * there is nothing to evaluate.) */
static inline bool cond_asked(const struct request *req)
{
	return (req->hdr[H_IF_MATCH].off | req->hdr[H_IF_UNMODIFIED_SINCE].off |
		req->hdr[H_IF_NONE_MATCH].off | req->hdr[H_IF_MODIFIED_SINCE].off) != 0;
}

/* Is etag in the entity-tag list (a "*" matches anything)? Strong
 * comparison (If-Match) or weak (If-None-Match). */
bool cond_etag_listed(const char *list, size_t n, const char *etag, bool weak);

/* RFC 9110 §13.2.2, steps 1-4, for a representation with this strong etag
 * and modification time: S_OK to go on, S_PRECONDITION_FAILED or
 * S_NOT_MODIFIED. */
enum status cond_evaluate(const struct cond *c, const char *etag, time_t mtime);

/* If-Range (§13.1.5): true when the value is this strong etag or exactly
 * this Last-Modified date, i.e. when the Range applies. */
bool cond_if_range(const char *v, size_t n, const char *etag, time_t mtime);

/* Accept-Encoding: the q-value (0..1000) the value gives to coding
 * ("br", "gzip", "identity"); absent header: identity only. A coding not
 * listed gets "*"'s weight; identity stays acceptable (weight 1, below any
 * listed coding) unless "identity;q=0" or "*;q=0" excludes it. */
int cond_accept_q(const char *v, size_t n, bool present, const char *coding);

#endif
