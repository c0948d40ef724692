/* CGI/1.1 (RFC 3875) scripts, run without blocking the event loop. */
#ifndef CGI_H
#define CGI_H

#include <stdbool.h>

#include "cgienv.h"
#include "http.h"

#define CGI_HEAD_MAX (16 * 1024)   /* script's header block: 502 beyond */

/* Scripts running at once (--cgi-max). */
extern int cgi_max;

/* Does a script claim the file rel (relative to HOME, resolved): under
 * cgi-bin/, an interpreter extension, or the .gz/.br variant of such a
 * file? Its bytes are never sent as a file. */
bool cgi_claims(const char *rel);
/* The request, its path resolved (rel, relative to HOME), names a script:
 * cgi-bin/NAME[/PATH_INFO], a file with an interpreter extension, or a
 * directory (named with its slash) whose index file (I:) is one. */
bool cgi_match(const struct request *req, const char *rel);
/* Start the script for req: S_OK when it runs, its answer a stream in
 * resp->stream (request body bytes go to it through the stream's feed),
 * else the status to answer. */
enum status cgi_start(const struct request *req, const char *rel,
		      const struct cgi_client *cl, struct response *resp);
/* A directory without an index file: run HOME/cgi-bin/index.cgi if there
 * is one, as busybox does; false when there is none (*s untouched). */
bool cgi_index(const struct request *req, const char *rel, const struct cgi_client *cl,
	       struct response *resp, enum status *s);
/* Scripts running now (metrics). */
int cgi_running(void);
/* SIGCHLD: reap every exited script. */
void cgi_reap(void);

/* Pure, for tests: parse one header line of a script's output into resp
 * (Status, Content-Type, Location, others copied). -1 when malformed. */
int cgi_header_line(const char *line, size_t n, struct response *resp,
		    int *status, bool *has_ctype, long long *clen);

#endif
