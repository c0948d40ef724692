/* CGI/1.1 (RFC 3875) scripts, run without blocking the event loop. */
#ifndef CGI_H
#define CGI_H

#include <stdbool.h>

#include "http.h"

struct conn;

#define CGI_HEAD_MAX (16 * 1024)   /* script's header block: 502 beyond */
#define CGI_OUT_PENDING (64 * 1024) /* output buffered before backpressure */

/* Settings: HOME (absolute path taken), time limit, scripts at once. */
int cgi_init(const char *home);
extern int cgi_timeout_ms;
extern int cgi_max;

/* Does a script claim the file rel (relative to HOME, resolved): under
 * cgi-bin/, an interpreter extension, or the .gz/.br variant of such a
 * file? Its bytes are never sent as a file. */
bool cgi_claims(const char *rel);
/* The request names a script (/cgi-bin/NAME…, or an interpreter extension). */
bool cgi_match(const struct request *req);
/* Start the script for c's request: S_OK when it runs (the answer follows
 * through conn_cgi_*), else the status to answer. */
enum status cgi_start(struct conn *c);
/* A directory without an index file: run HOME/cgi-bin/index.cgi if there
 * is one, as busybox does; false when there is none (*s untouched). */
bool cgi_index(struct conn *c, enum status *s);
/* Write the request body gathered in c->pipe_in to the script's stdin
 * (what the pipe takes now); stdin is closed once the body is complete. */
void cgi_feed(struct conn *c);
/* The connection sent what it had: read more output if there is some. */
void cgi_pump(struct conn *c);
/* The connection goes away: kill the script, free its state. */
void cgi_stop(struct conn *c);
/* SIGCHLD: reap every exited script. */
void cgi_reap(void);
/* Scripts running now. */
int cgi_count(void);

/* Pure, for tests: parse one header line of a script's output into resp
 * (Status, Content-Type, Location, others copied). -1 when malformed. */
int cgi_header_line(const char *line, size_t n, struct response *resp,
		    int *status, bool *has_ctype, long long *clen);

#endif
