/* Static files under HOME: files, variants, directories, listings. */
#ifndef STATIC_H
#define STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* After path_init (at start-up, and when HOME changes): the file cache
 * opens beneath the new HOME. */
int static_init(void);
/* --list: directories without an index file get a listing. */
extern bool static_listing;

/* Serve req (its path resolved once: rel, or path_st when it could not
 * be) from HOME into resp: GET/HEAD of a file (pre-compressed
 * FILE.br/FILE.gz when Accept-Encoding allows, conditional requests,
 * ranges), a directory's index file or listing (static_listing),
 * OPTIONS on a path or on "*"; other methods get 405 with Allow. */
enum status static_serve(const struct request *req, const char *rel, enum status path_st,
			 struct response *resp);

/* GET/HEAD of the file rel (not what the request names: the SPA entry
 * answering a path that is not there), with the same checks as any file:
 * a script's source or httpd.conf is never sent. */
enum status static_serve_file(const struct request *req, const char *rel,
			      struct response *resp);

/* The answer's body is out (or abandoned): give back what resp holds. */
void static_release(struct response *resp);

#endif
