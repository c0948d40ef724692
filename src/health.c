/* --health: liveness (/healthz) and readiness (/readyz) for load balancers. */
#include "health.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loop.h"
#include "path.h"

bool health_enabled;

static bool path_is(const struct request *req, const char *p)
{
	size_t n = strlen(p);

	return req->path.len == n && memcmp(span_ptr(req, req->path), p, n) == 0;
}

bool health_match(const struct request *req)
{
	return health_enabled && (path_is(req, "/healthz") || path_is(req, "/readyz"));
}

/* HOME still there and readable: a vanished volume makes the pod unready. */
static bool home_readable(void)
{
	struct stat st;
	int fd = path_home_fd();

	return fd >= 0 && fstat(fd, &st) == 0 && st.st_nlink > 0 &&
	       faccessat(fd, ".", R_OK | X_OK, AT_EACCESS) == 0;
}

/* Out of line (LTO would inline it into route_serve): its struct stat
 * would cost every request the stack protector's check. */
__attribute__((noinline))
enum status health_serve(const struct request *req, struct response *resp)
{
	const char *why = NULL;

	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		buf_puts(resp->hdrs, "Allow: GET, HEAD\r\n");
		return S_METHOD_NOT_ALLOWED;
	}
	if (path_is(req, "/readyz")) {
		if (loop_draining || loop_stopping)
			why = "draining";
		else if (!home_readable())
			why = "home directory not readable";
	}
	resp->body->len = 0;
	buf_printf(resp->body, "%s\n", why ? why : "ok");
	resp->ctype = "text/plain; charset=utf-8";
	buf_puts(resp->hdrs, "Cache-Control: no-store\r\n");
	resp->why = why;
	return why ? S_SERVICE_UNAVAILABLE : S_OK;
}
