/* One pass over a plain request head, in place of llhttp and the
 * callbacks of parse.c, for the requests that make most of the traffic. */
#ifndef FASTHEAD_H
#define FASTHEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* d[0..n) is the input from the start of a request line, and d[n] a NUL
 * (the caller's). When it begins with a whole head that is plain — GET
 * or HEAD, an origin-form target of pchar, '/' and '?', HTTP/1.0 or 1.1,
 * CRLF line ends, header lines of a token, a colon and VCHAR/SP/HTAB,
 * none that frames a body (Content-Length, Transfer-Encoding) or asks
 * for another protocol (Upgrade), Connection only "close" or
 * "keep-alive", one Host of reg-name [":" port] (required in 1.1),
 * within the limits: a head that passes every check of parse.c — fill r
 * (cleared before) as llhttp and parse.c's callbacks would, to the byte,
 * and return the head's length.
 * Otherwise return 0 with r as it was: llhttp reads it (and answers what
 * is wrong with it), or it is not whole yet. tests/fuzz/fuzz_fasthead.c
 * holds the two readings to being the same. */
size_t fasthead_parse(struct request *r, const char *d, size_t n);

#endif
