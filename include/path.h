/* Request paths and HOME: paths resolved once, files opened never outside
 * HOME (the one owner of HOME). */
#ifndef PATH_H
#define PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* Room for a path relative to HOME (and for a decoded request path). */
#define PATH_REL_MAX 4096

/* Decode a request path (percent-encoded, starting with '/') once and
 * resolve "." and ".." into a path relative to HOME, written to out
 * ("." for HOME itself). S_BAD_REQUEST for a malformed escape, an encoded
 * '/' or NUL, a name not UTF-8, or a ".." that would rise above HOME;
 * S_URI_TOO_LONG past a request target's length; S_NOT_FOUND when it
 * does not fit in out (no file has a longer name). Pure: no file system
 * access. */
enum status path_resolve(const char *path, size_t n, char *out, size_t outsz);

/* Open HOME (relative paths are opened beneath it) and note its real path
 * (a symlink is followed only when it ends inside). Again on a reload. */
int path_init(const char *home);
/* HOME as an open directory (-1 before path_init), and its real path. */
int path_home_fd(void);
const char *path_home(void);
/* Open rel (relative to HOME) never outside HOME: -1 with errno EXDEV for a
 * symlink that leads out. */
int path_open(const char *rel, int flags);
/* The same beneath dir (a directory of HOME), for reading. */
int path_open_beneath(int dir, const char *rel);

/* Make an absolute URL path canonical in place: no "//", ".", ".." or
 * trailing '/' ("/" stays "/"): configuration prefixes. */
void path_norm(char *p);
/* Does a URL path (canonical) fall under the prefix (canonical)? */
bool path_under(const char *path, const char *prefix);

#endif
