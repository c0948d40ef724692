/* One line of httpd.conf into a rule, checked as busybox reads it. */
#include "confline.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "path.h"
#include "upstream.h"
#include "util.h"

static void set_err(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* Busybox drops every space and tab, and a '#' starts a comment anywhere. */
static void strip_line(char *line)
{
	char *w = line, *r;

	for (r = line; *r && *r != '#' && *r != '\n'; r++)
		if (*r != ' ' && *r != '\t' && *r != '\r')
			*w++ = *r;
	*w = '\0';
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* "/path:user:password" */
static int parse_auth(char *line, char *colon, struct confline *r, char *err,
		      size_t errsz)
{
	char *user = colon + 1, *pass = strchr(user, ':');

	if (!pass) {
		set_err(err, errsz, "expected /path:user:password");
		return -1;
	}
	*colon = *pass++ = '\0';
	if (!*user) {
		set_err(err, errsz, "empty user name");
		return -1;
	}
	if (!*pass) {
		set_err(err, errsz, "empty password for user '%s'", user);
		return -1;
	}
	if (strcmp(user, "*") == 0 || strcmp(pass, "*") == 0) {
		set_err(err, errsz, "'*' (system accounts) is not supported");
		return -1;
	}
	if (!auth_hash_supported(pass)) {
		set_err(err, errsz, "password hash '%.20s' is not supported by crypt()",
			pass);
		return -1;
	}
	path_norm(line);
	r->kind = CK_AUTH;
	r->a = line;
	r->b = user;
	r->c = pass;
	return 0;
}

/* ".ext:type" and "*.ext:/path/interpreter" */
static int parse_ext(char *line, char *colon, struct confline *r, char *err,
		     size_t errsz)
{
	char *ext = line[0] == '*' ? line + 1 : line;

	*colon = '\0';
	if (ext[1] == '\0' || strchr(ext, '/')) {
		set_err(err, errsz, "bad extension '%s'", ext);
		return -1;
	}
	r->a = ext;
	r->b = colon + 1;
	if (line[0] == '*') {
		r->kind = CK_INTERP;
		return 0;
	}
	if (!strchr(r->b, '/') || r->b[0] == '/') {
		set_err(err, errsz, "bad MIME type '%s' (expected type/subtype)", r->b);
		return -1;
	}
	r->kind = CK_MIME;
	return 0;
}

static int parse_acl(char ch, const char *val, struct confline *r, char *err,
		     size_t errsz)
{
	r->kind = ch == 'A' ? CK_ALLOW : CK_DENY;
	if (strcmp(val, "*") == 0) {
		r->any = true;
		return 0;
	}
	if (acl_parse_net(val, &r->net) < 0) {
		set_err(err, errsz, "bad address '%s' (expected 1.2.3.4, 172.20., "
			"10.0.0.0/25, 10.0.0.0/255.255.255.128, 2001:db8::/32 or *)",
			val);
		return -1;
	}
	return 0;
}

static int parse_error_page(const char *line, const char *val, struct confline *r,
			    char *err, size_t errsz)
{
	const char *e;
	unsigned st;

	if (util_parse_uint(line + 1, &e, 999, &st) < 0 || *e != ':' || st < 400 ||
	    st > 599) {
		set_err(err, errsz, "expected Ennn:file with nnn an error status "
			"(400-599)");
		return -1;
	}
	r->kind = CK_ERROR_PAGE;
	r->status = (int)st;
	r->a = val;
	return 0;
}

/* P:/url:[http://]host[:port]/path, checked as busybox does. */
static int parse_proxy(char *val, struct confline *r, char *err, size_t errsz)
{
	char *host = strchr(val, ':');
	struct upstream u;

	if (!host || host == val) {
		set_err(err, errsz, "expected P:/url:[http://]host[:port]/path");
		return -1;
	}
	*host++ = '\0';
	if (strncasecmp(host, "http://", 7) == 0)
		host += 7;
	if (upstream_parse(val, host, &u, err, errsz) < 0)
		return -1;
	r->kind = CK_PROXY;
	r->a = val;
	r->b = host;
	return 0;
}

int confline_parse(char *line, struct confline *r, char *err, size_t errsz)
{
	char *colon, *val;
	char ch;

	memset(r, 0, sizeof(*r));
	strip_line(line);
	if (!*line)
		return 0;
	if (has_ctl(line)) {
		set_err(err, errsz, "control character in line");
		return -1;
	}
	colon = strchr(line, ':');
	if (!colon || colon == line || !colon[1]) {
		set_err(err, errsz, !colon || colon == line ? "expected TYPE:VALUE, got '%s'"
				: "nothing after ':' in '%s'", line);
		return -1;
	}
	val = colon + 1;
	if (line[0] == '/')
		return parse_auth(line, colon, r, err, errsz);
	if (line[0] == '.' || (line[0] == '*' && line[1] == '.'))
		return parse_ext(line, colon, r, err, errsz);
	ch = (char)toupper((unsigned char)line[0]);
	switch (isalpha((unsigned char)line[0]) ? ch : 0) {
	case 'I':
		if (val[0] == '/' || strstr(val, "..")) {
			set_err(err, errsz, "index '%s' must be a name inside the directory",
				val);
			return -1;
		}
		r->kind = CK_INDEX;
		r->a = val;
		return 0;
	case 'H':
		r->kind = CK_HOME;
		r->a = val;
		return 0;
	case 'A':
	case 'D':
		return parse_acl(ch, val, r, err, errsz);
	case 'E':
		return parse_error_page(line, val, r, err, errsz);
	case 'P':
		return parse_proxy(val, r, err, errsz);
	}
	*colon = '\0';
	set_err(err, errsz, "unknown line type '%s:'", line);
	return -1;
}
