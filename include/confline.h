/* One line of httpd.conf into a rule (pure: no file, no state). */
#ifndef CONFLINE_H
#define CONFLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "acl.h"

#define CONFLINE_MAX 1024   /* longer lines are an error */

enum confline_kind {
	CK_NONE,        /* blank line or comment */
	CK_ALLOW,       /* A:net */
	CK_DENY,        /* D:net */
	CK_AUTH,        /* /path:user:password */
	CK_MIME,        /* .ext:type */
	CK_INDEX,       /* I:file */
	CK_HOME,        /* H:dir */
	CK_ERROR_PAGE,  /* Ennn:file */
	CK_INTERP,      /* *.ext:/path/interpreter */
	CK_PROXY,       /* P:/url:[http://]host[:port]/path (checked by upstream.c) */
};

struct confline {
	enum confline_kind kind;
	struct acl_net net;     /* CK_ALLOW, CK_DENY */
	bool any;               /* A:* or D:* */
	int status;             /* CK_ERROR_PAGE */
	/* Pieces of the (rewritten) line: path/user/password, ext/type,
	 * file, dir, url/target. */
	const char *a, *b, *c;
};

/* Parse one line in place (whitespace and # comments dropped, as busybox).
 * 0 with *r filled (CK_NONE for nothing), -1 with a message in err. */
int confline_parse(char *line, struct confline *r, char *err, size_t errsz);

#endif
