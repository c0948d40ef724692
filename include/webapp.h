/* Web-app lines of httpd.conf and their options: the SPA fallback, header
 * rules (set), CORS; parsed at load, the set in force used per request. */
#ifndef WEBAPP_H
#define WEBAPP_H

#include <stdbool.h>
#include <stddef.h>

#include "cors.h"
#include "http.h"

struct webapp;

/* Is this raw config line one of ours (a keyword, then a blank)? Checked
 * before the busybox reading, which drops every blank. */
bool webapp_is_line(const char *line);
/* A set: the command-line options replayed first, then config lines. NULL
 * when out of memory. */
struct webapp *webapp_new(void);
/* Parse one raw line (or option) into w: 0, or -1 with a message. */
int webapp_parse(struct webapp *w, const char *line, char *err, size_t errsz);
/* After the last line: -1 with a message when the lines contradict. */
int webapp_finish(struct webapp *w, char *err, size_t errsz);
/* Put w in force (the previous set is freed); w may be NULL. */
void webapp_commit(struct webapp *w);
void webapp_free(struct webapp *w);

/* A command-line option, as its config line ("spa /index.html"): checked
 * now, replayed at every load. -1 with a message. */
int webapp_option(const char *line, char *err, size_t errsz);

/* --- per request (the set in force) ------------------------------------- */

/* Anything configured at all? */
bool webapp_active(void);
/* The CORS decision for req; with out, its lines into out. */
enum cors_kind webapp_cors(const struct request *req, struct buf *out);
/* Header lines for every answer ("set Name: value"), or NULL. */
const struct buf *webapp_always(void);
/* Lines of the rules path ("/a/b", decoded) matches, into out from from on. */
int webapp_rules(const char *path, struct buf *out, size_t from);
/* The SPA entry (relative to HOME) for a GET/HEAD of rel, which is not
 * there: when rel's last segment has no extension; else NULL. */
const char *webapp_spa(const struct request *req, const char *rel);

#endif
