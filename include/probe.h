/* httpd --probe URL: a tiny blocking HTTP/1.1 client for health checks
 * (a scratch image has no curl or wget). */
#ifndef PROBE_H
#define PROBE_H

#include <stddef.h>

/* GET url (http://HOST[:PORT]/PATH, HOST an IPv4 or [IPv6] literal or
 * localhost), no redirects followed, the whole exchange within
 * timeout_ms. 0 on a 2xx answer, 1 otherwise; one line on stderr. */
int probe_run(const char *url, int timeout_ms);

/* Pure, for tests: split url into host (brackets removed), port and path
 * (at least "/"). -1 when it is not such a URL. */
int probe_parse_url(const char *url, char *host, size_t hsz, unsigned *port,
		    char *path, size_t psz);

#endif
