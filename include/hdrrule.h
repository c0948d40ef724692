/* Header rules: response header fields checked at load, and which rules
 * (a URL prefix or a glob) a request path matches (pure). */
#ifndef HDRRULE_H
#define HDRRULE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* One rule: every answer under pattern gets field ("Name: value"). */
struct hdrrule {
	char *pattern;           /* canonical prefix "/assets", or a glob */
	bool glob;               /* pattern holds * ? or [ */
	char *field;             /* "Name: value", OWS trimmed */
	size_t namelen;
};

/* Check "Name: value" for a response: a token name the server does not
 * own (framing, Date), a value with no control byte but HTAB. 0 with the
 * canonical form ("Name: value") in out and *namelen; -1 with a message
 * in err. */
int hdrrule_field(const char *in, char *out, size_t outsz, size_t *namelen, char *err,
		  size_t errsz);
/* A pattern as given: a glob (with * ? or [; '*' also matches '/') or a
 * URL prefix matched by whole segments; prefixes are made canonical in
 * place. -1 with a message when it is neither. */
int hdrrule_pattern(char *pattern, bool *glob, char *err, size_t errsz);
/* Does the decoded request path ("/a/b") fall under the rule's pattern? */
bool hdrrule_match(const char *pattern, bool glob, const char *path);
/* Append field as a header line to out[from..], replacing a line of the
 * same name there: a later rule overrides an earlier one. -1 when full. */
int hdrrule_put(struct buf *out, size_t from, const char *field, size_t namelen);
/* Every rule path matches, in order, into out (after from). */
int hdrrule_apply(const struct hdrrule *r, size_t n, const char *path, struct buf *out,
		  size_t from);

#endif
