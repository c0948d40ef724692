/* Static files under HOME: path resolution, files, variants, listings. */
#ifndef STATIC_H
#define STATIC_H

#include <stddef.h>

#include "http.h"

/* Decode a request path (percent-encoded, starting with '/') once and
 * resolve "." and ".." into a path relative to HOME, written to out
 * ("." for HOME itself). S_BAD_REQUEST for a malformed escape, an encoded
 * '/' or NUL, or a ".." that would rise above HOME; S_URI_TOO_LONG when
 * it does not fit in out. Pure: no file system access. */
enum status static_resolve(const char *path, size_t n, char *out, size_t outsz);

/* Open HOME once at start-up (relative paths are opened beneath it) and
 * note its real path (a symlink is followed only when it ends inside). */
int static_init(const char *home);
/* Serve req from HOME into resp: GET/HEAD of a file (pre-compressed
 * FILE.br/FILE.gz when Accept-Encoding allows, conditional requests,
 * ranges), a directory's index file or listing (static_listing),
 * OPTIONS on a path or on "*"; other methods get 405 with Allow. */
/* --list: directories without an index file get a listing. */
extern bool static_listing;

enum status static_serve(const struct request *req, struct response *resp);

/* Open rel (relative to HOME) never outside HOME: -1 with errno EXDEV for a
 * symlink that leads out. */
int static_open(const char *rel, int flags);
/* The answer's body is out (or abandoned): give back what resp holds. */
void static_release(struct response *resp);

#endif
