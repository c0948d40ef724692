/* Web-app lines: "spa", "set", "cors…" in httpd.conf and as options.
 *
 * Each keyword is a word busybox never reads as a line type (its types
 * are A D E H I P, '/', '.', '*'), followed by a blank: busybox and our
 * busybox reading refuse such a line, so no working busybox file changes
 * meaning. Options are kept as lines and replayed before the file's at
 * every load, so both say the same thing the same way. */
#include "webapp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdrrule.h"
#include "path.h"

#define FIELD_MAX 1024
#define ALWAYS_MAX (FIELD_MAX * 64) /* the "set" lines for every answer */
#define OPT_MAX 64

struct webapp {
	char *spa;               /* the SPA entry relative to HOME, or NULL */
	struct hdrrule *rules;   /* "set PATH Name: value", in order */
	size_t nrules;
	struct buf always;       /* "set Name: value" lines, for every answer */
	struct cors cors;
};

static struct webapp *cur;
static bool active;            /* cur holds anything: checked per request */
static char *options[OPT_MAX];
static size_t noptions;

enum keyword { K_SPA, K_SET, K_CORS, K_CREDENTIALS, K_METHODS, K_HEADERS, K_MAX_AGE };

static const char *const keywords[] = {
	[K_SPA] = "spa", [K_SET] = "set", [K_CORS] = "cors",
	[K_CREDENTIALS] = "cors-credentials", [K_METHODS] = "cors-methods",
	[K_HEADERS] = "cors-headers", [K_MAX_AGE] = "cors-max-age",
};

/* The keyword at line (after blanks): its index, and *rest past it. */
static int keyword(const char *line, const char **rest)
{
	size_t i, n;

	line += strspn(line, " \t");
	n = strcspn(line, " \t\r\n");
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strlen(keywords[i]) == n && strncmp(line, keywords[i], n) == 0) {
			*rest = line + n;
			return (int)i;
		}
	return -1;
}

bool webapp_is_line(const char *line)
{
	const char *rest;

	return keyword(line, &rest) >= 0;
}

struct webapp *webapp_new(void)
{
	struct webapp *w = calloc(1, sizeof(*w));
	char err[256];
	size_t i;

	if (!w)
		return NULL;
	buf_init(&w->always, ALWAYS_MAX);
	w->cors.max_age = -1;
	for (i = 0; i < noptions; i++)
		if (webapp_parse(w, options[i], err, sizeof(err)) < 0) { /* checked before */
			webapp_free(w);
			return NULL;
		}
	return w;
}

void webapp_free(struct webapp *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->nrules; i++) {
		free(w->rules[i].pattern);
		free(w->rules[i].field);
	}
	for (i = 0; i < w->cors.norigins; i++)
		free(w->cors.origins[i]);
	free(w->cors.origins);
	free(w->cors.methods);
	free(w->cors.headers);
	free(w->rules);
	free(w->spa);
	buf_free(&w->always);
	free(w);
}

void webapp_commit(struct webapp *w)
{
	webapp_free(cur);
	cur = w;
	active = w && (w->spa || w->nrules || w->always.len || w->cors.any ||
		       w->cors.norigins);
}

/* The value: blanks trimmed, a comment ('#' after a blank) dropped; -1
 * when it does not fit. */
static int value(const char *rest, char *out, size_t outsz)
{
	size_t n;
	const char *p;

	rest += strspn(rest, " \t");
	for (p = rest; *p && *p != '\n' && !(*p == '#' && (p == rest || p[-1] == ' ' ||
							   p[-1] == '\t')); p++)
		;
	n = (size_t)(p - rest);
	while (n && (rest[n - 1] == ' ' || rest[n - 1] == '\t' || rest[n - 1] == '\r'))
		n--;
	return snprintf(out, outsz, "%.*s", (int)n, rest) < (int)outsz ? 0 : -1;
}

static int set_rule(struct webapp *w, char *v, char *err, size_t errsz)
{
	char field[FIELD_MAX], *pat = NULL;
	struct hdrrule *r;
	size_t nl, wl = strcspn(v, " \t");
	bool glob = false;

	/* a path first (a word without ':' before more), else the field */
	if (v[0] == '/' || v[0] == '*' || (!memchr(v, ':', wl) && v[wl])) {
		pat = v;
		v += wl;
		if (*v)
			*v++ = '\0';
		v += strspn(v, " \t");
		if (hdrrule_pattern(pat, &glob, err, errsz) < 0)
			return -1;
	}
	if (hdrrule_field(v, field, sizeof(field), &nl, err, errsz) < 0)
		return -1;
	if (!pat)
		return hdrrule_put(&w->always, 0, field, nl) < 0 ? -2 : 0;
	r = realloc(w->rules, (w->nrules + 1) * sizeof(*r));
	if (!r)
		return -2;
	w->rules = r;
	r += w->nrules++;
	r->pattern = strdup(pat);
	r->field = strdup(field);
	r->glob = glob;
	r->namelen = nl;
	return r->pattern && r->field ? 0 : -2;
}

static int add_origins(struct cors *c, char *v, char *err, size_t errsz)
{
	char *o, *save = NULL;
	char **p;

	for (o = strtok_r(v, " \t", &save); o; o = strtok_r(NULL, " \t", &save)) {
		if (cors_origin_check(o, err, errsz) < 0)
			return -1;
		if (strcmp(o, "*") == 0) {
			c->any = true;
			continue;
		}
		if (!(p = realloc(c->origins, (c->norigins + 1) * sizeof(*p))))
			return -2;
		c->origins = p;
		if (!(p[c->norigins++] = strdup(o)))
			return -2;
	}
	return 0;
}

static int set_list(char **slot, const char *v, char *err, size_t errsz)
{
	if (!cors_list_ok(v, strlen(v))) {
		snprintf(err, errsz, "expected a list of names such as 'GET, POST', got '%.40s'",
			 v);
		return -1;
	}
	free(*slot);
	*slot = strdup(v);
	return *slot ? 0 : -2;
}

static int set_spa(struct webapp *w, const char *v, char *err, size_t errsz)
{
	char rel[PATH_REL_MAX];

	if (v[0] != '/' || strpbrk(v, " \t") ||
	    path_resolve(v, strlen(v), rel, sizeof(rel)) != S_OK || strcmp(rel, ".") == 0) {
		snprintf(err, errsz, "expected the app's entry file as a URL path such as "
			 "/index.html, got '%.60s'", v);
		return -1;
	}
	free(w->spa);
	w->spa = strdup(rel);
	return w->spa ? 0 : -2;
}

int webapp_parse(struct webapp *w, const char *line, char *err, size_t errsz)
{
	char v[FIELD_MAX + 64];
	const char *rest;
	long age;
	char *end;
	int k = keyword(line, &rest), rc;

	if (value(rest, v, sizeof(v)) < 0) {
		snprintf(err, errsz, "value longer than %zu bytes", sizeof(v) - 1);
		return -1;
	}
	for (end = v; *end; end++)
		if (((unsigned char)*end < 0x20 && *end != '\t') || *end == 0x7f) {
			snprintf(err, errsz, "control character in line");
			return -1;
		}
	if (k != K_CREDENTIALS && !v[0]) {
		snprintf(err, errsz, "'%s' needs a value", k >= 0 ? keywords[k] : "?");
		return -1;
	}
	switch (k) {
	case K_SPA:
		rc = set_spa(w, v, err, errsz);
		break;
	case K_SET:
		rc = set_rule(w, v, err, errsz);
		break;
	case K_CORS:
		rc = add_origins(&w->cors, v, err, errsz);
		break;
	case K_CREDENTIALS:
		if (v[0]) {
			snprintf(err, errsz, "cors-credentials takes no value");
			return -1;
		}
		w->cors.credentials = true;
		return 0;
	case K_METHODS:
		rc = set_list(&w->cors.methods, v, err, errsz);
		break;
	case K_HEADERS:
		rc = set_list(&w->cors.headers, v, err, errsz);
		break;
	case K_MAX_AGE:
		age = strtol(v, &end, 10);
		if (end == v || *end || age < 0 || age > 86400) {
			snprintf(err, errsz, "expected seconds (0-86400), got '%.20s'", v);
			return -1;
		}
		w->cors.max_age = age;
		return 0;
	default:
		snprintf(err, errsz, "not a web-app line");
		return -1;
	}
	if (rc == -2)
		snprintf(err, errsz, "out of memory");
	return rc < 0 ? -1 : 0;
}

int webapp_finish(struct webapp *w, char *err, size_t errsz)
{
	if (w->cors.credentials && w->cors.any) {
		snprintf(err, errsz, "cors '*' with cors-credentials: the Fetch standard "
			 "forbids it; list the origins");
		return -1;
	}
	return 0;
}

int webapp_option(const char *line, char *err, size_t errsz)
{
	struct webapp *w;
	size_t i;
	int rc = 0;

	if (noptions == OPT_MAX) {
		snprintf(err, errsz, "too many web-app options (%d at most)", OPT_MAX);
		return -1;
	}
	if (!(options[noptions] = strdup(line)) || !(w = calloc(1, sizeof(*w)))) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	buf_init(&w->always, ALWAYS_MAX);
	noptions++;
	/* all of them so far: a contradiction shows at the option making it */
	for (i = 0; i < noptions && rc == 0; i++)
		rc = webapp_parse(w, options[i], err, errsz);
	if (rc == 0)
		rc = webapp_finish(w, err, errsz);
	webapp_free(w);
	return rc;
}

/* --- per request --------------------------------------------------------- */

bool webapp_active(void)
{
	return active;
}

enum cors_kind webapp_cors(const struct request *req, struct buf *out)
{
	size_t n;
	struct cors_req r = { .method = req->method };

	if (!cur || (!cur->cors.any && !cur->cors.norigins))
		return CORS_OFF; /* no scan of the head for nothing */
	r.origin = http_header_scan(req, "Origin", &r.origin_len);
	r.has_acrm = r.origin && req->method == HTTP_OPTIONS &&
		     http_header_scan(req, "Access-Control-Request-Method", &n);
	if (r.has_acrm)
		r.acrh = http_header_scan(req, "Access-Control-Request-Headers", &r.acrh_len);
	return out ? cors_decide(&cur->cors, &r, out) : cors_kind(&cur->cors, &r);
}

const struct buf *webapp_always(void)
{
	return cur && cur->always.len ? &cur->always : NULL;
}

int webapp_rules(const char *path, struct buf *out, size_t from)
{
	return cur ? hdrrule_apply(cur->rules, cur->nrules, path, out, from) : 0;
}

const char *webapp_spa(const struct request *req, const char *rel)
{
	const char *last = strrchr(rel, '/');

	if (!cur || !cur->spa || (req->method != HTTP_GET && req->method != HTTP_HEAD))
		return NULL;
	return strchr(last ? last + 1 : rel, '.') ? NULL : cur->spa;
}
