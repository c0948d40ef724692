/* Range requests (RFC 9110 §14): parse "bytes=..." against a size. Pure. */
#ifndef RANGE_H
#define RANGE_H

#include <stddef.h>
#include <sys/types.h>

/* Range-specs we take in one header; a longer list is served as the whole
 * file (RFC 9110 §14.2 lets a server ignore Range; nginx does the same past
 * max_ranges). Bounds the multipart plan: 2 * RANGE_MAX + 1 segments. */
#define RANGE_MAX 16

/* One satisfiable range: bytes [start, start + len) of the file. */
struct range {
	off_t start, len;
};

enum range_result {
	RANGE_IGNORE,        /* no usable Range: serve the whole file (200) */
	RANGE_OK,            /* 206 with the ranges written to out */
	RANGE_UNSATISFIABLE, /* 416 with Content-Range: bytes * / SIZE */
};

/* Parse a Range value (s, n) for a file of size bytes. Overlapping or
 * adjacent ranges are merged into one; the others keep the client's order.
 * Numbers too big for 64 bits saturate (a huge last-pos means "to the end",
 * a huge first-pos is past the end), they never wrap. On RANGE_OK, *count
 * (1..RANGE_MAX) ranges are in out. */
enum range_result range_parse(const char *s, size_t n, off_t size,
			      struct range out[RANGE_MAX], int *count);

#endif
