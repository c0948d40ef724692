/* A CGI script's environment (RFC 3875 §4.1): the request's meta-variables
 * and its headers as HTTP_*, in one buffer. */
#include "cgienv.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void env_add(struct cgienv *e, const char *name, const char *val, size_t vlen)
{
	size_t off = e->b.len;

	if (e->n == ENV_MAX)
		return;
	if (buf_printf(&e->b, "%s=", name) < 0 ||
	    buf_append(&e->b, val, vlen) < 0 ||
	    buf_append(&e->b, "", 1) < 0) {
		e->b.len = off;
		return;
	}
	e->vars[e->n++] = (char *)(uintptr_t)off; /* offsets until the end */
}

static void env_str(struct cgienv *e, const char *name, const char *val)
{
	env_add(e, name, val, strlen(val));
}

static void env_span(struct cgienv *e, const char *name, const struct request *r,
		     struct span s)
{
	env_add(e, name, span_ptr(r, s), s.len);
}

/* Every request header as HTTP_NAME, except Proxy (httpoxy) and the two
 * that have their own variables. */
static void env_headers(struct cgienv *e, const struct request *r)
{
	const char *p = r->base, *end = r->base + r->head_end;
	const char *line = memchr(p, '\n', (size_t)(end - p));

	while (line && ++line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *colon = memchr(line, ':', nl ? (size_t)(nl - line) : 0);
		char name[64] = "HTTP_";
		size_t i, k = 5;
		const char *v, *ve;

		if (!nl || !colon || colon - line >= (long)sizeof(name) - 6)
			goto next;
		for (i = 0; line + i < colon; i++)
			name[k++] = (char)(line[i] == '-' ? '_' : toupper((unsigned char)line[i]));
		name[k] = '\0';
		if (!strcmp(name, "HTTP_PROXY") || !strcmp(name, "HTTP_CONTENT_TYPE") ||
		    !strcmp(name, "HTTP_CONTENT_LENGTH"))
			goto next;
		for (v = colon + 1; v < nl && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = nl; ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		env_add(e, name, v, (size_t)(ve - v));
next:
		line = nl;
	}
}

/* SERVER_NAME from Host (port removed), else "localhost"; SERVER_PORT. */
static void server_addr(const struct request *r, int fd, char *name, size_t nsz,
			char *port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl = sizeof(ss);
	size_t n = 0;

	name[0] = '\0';
	memcpy(port, "0", 2);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6)
			snprintf(port, 8, "%u", ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
		else if (ss.ss_family == AF_INET)
			snprintf(port, 8, "%u", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	if (r->base && http_has_header(r, H_HOST)) {
		const char *h = span_ptr(r, r->hdr[H_HOST]);
		const char *end = h + r->hdr[H_HOST].len;
		const char *colon = h[0] == '[' ? memchr(h, ']', r->hdr[H_HOST].len) : h;

		colon = colon ? memchr(colon, ':', (size_t)(end - colon)) : NULL;
		n = (size_t)((colon ? colon : end) - h);
		if (n >= nsz)
			n = 0;
		if (n)
			memcpy(name, h, n);
		name[n] = '\0';
	}
	if (!n) /* HTTP/1.0 without Host */
		snprintf(name, nsz, "localhost");
}

void cgienv_build(struct cgienv *e, const struct request *r, const struct cgi_client *cl,
		      const char *script, const char *name, size_t name_len,
		      const char *info)
{
	const char *path = getenv("PATH");
	char num[32], sname[256], sport[8];
	size_t i;

	server_addr(r, cl->fd, sname, sizeof(sname), sport);
	env_str(e, "GATEWAY_INTERFACE", "CGI/1.1");
	env_str(e, "SERVER_SOFTWARE", "httpd");
	env_str(e, "SERVER_PROTOCOL", r->minor ? "HTTP/1.1" : "HTTP/1.0");
	env_span(e, "REQUEST_METHOD", r, r->method_s);
	env_span(e, "REQUEST_URI", r, r->url);
	env_add(e, "SCRIPT_NAME", name, name_len);
	env_str(e, "SCRIPT_FILENAME", script);
	env_str(e, "PATH_INFO", info);
	env_span(e, "QUERY_STRING", r, r->query);
	env_str(e, "REMOTE_ADDR", cl->addr);
	snprintf(num, sizeof(num), "%u", cl->port);
	env_str(e, "REMOTE_PORT", num);
	env_str(e, "SERVER_NAME", sname);
	env_str(e, "SERVER_PORT", sport);
	env_str(e, "PATH", path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (cl->user) {
		env_str(e, "REMOTE_USER", cl->user);
		env_str(e, "AUTH_TYPE", "Basic");
	}
	if (http_has_header(r, H_CONTENT_TYPE))
		env_span(e, "CONTENT_TYPE", r, r->hdr[H_CONTENT_TYPE]);
	if (r->has_body) {
		snprintf(num, sizeof(num), "%llu", r->to_pipe
			 ? (unsigned long long)r->content_length
			 : (unsigned long long)r->body.len);
		env_str(e, "CONTENT_LENGTH", num);
	}
	env_headers(e, r);
	for (i = 0; i < e->n; i++)
		e->vars[i] = e->b.data + (uintptr_t)e->vars[i];
	e->vars[e->n] = NULL;
}
