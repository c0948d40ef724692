/* Raw-dump mode: show each request exactly as it arrived. */
#ifndef DUMP_H
#define DUMP_H

#include <stdbool.h>
#include <stddef.h>

#include "request.h"
#include "util.h"

/* -D: every request is answered with itself (set at start-up). */
extern bool dump_mode;

/* The answer of the dump: the bytes of the current request up to end, as
 * received (the original head if it was rewritten), into resp->body and
 * to stdout. */
void dump_echo(struct response *resp, const struct reader *rd, size_t end);
/* Escape the raw bytes for a terminal: printable ASCII and UTF-8 as is,
 * CR LF and LF as line ends, TAB as is, any other byte as \xHH. */
void dump_escape(struct buf *out, const char *p, size_t n);
/* Write one request, escaped and followed by a separator line, to stdout
 * in one write so requests of different connections never interleave. */
void dump_write(const char *p, size_t n);

#endif
