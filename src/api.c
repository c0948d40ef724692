/* /api/calcul: routing and JSON glue around the exact decimal adder. */
#include "api.h"

#include <string.h>

bool api_match(const struct request *req)
{
	static const char prefix[] = "/api/calcul";
	const char *p = span_ptr(req, req->path);
	size_t n = sizeof(prefix) - 1;

	return req->path.len >= n && memcmp(p, prefix, n) == 0 &&
	       (req->path.len == n || p[n] == '/');
}

enum status api_serve(const struct request *req, struct response *resp)
{
	(void)req;
	(void)resp;
	return S_NOT_FOUND;
}
