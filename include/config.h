/* httpd.conf: parsing, loading, the rules in force (ACLs, Basic auth,
 * index and error pages, interpreters, reverse-proxy rules). */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "auth.h"
#include "confline.h"
#include "http.h"
#include "upstream.h"

/* Load FILE (or the busybox defaults /etc/httpd.conf then HOME/httpd.conf
 * when file is NULL); every bad line is reported as FILE:LINE: message.
 * 0 when the new configuration is in force, -1 when the old one stays. */
int config_load(const char *file, const char *home);
/* Put a new HOME in force (the caller composes what depends on it); -1
 * with errno keeps the old configuration. */
extern int (*config_home_hook)(const char *home);
/* SIGHUP: load the same file again. */
void config_reload(void);

/* -r REALM for Basic authentication. */
void config_set_realm(const char *realm);
/* A:/D: rules and Basic auth for this request (its path resolved once:
 * rel, or path_st when it could not be): S_OK to serve it, else the
 * status to answer (401 adds WWW-Authenticate to resp->hdrs); *user gets
 * the authenticated user for the log. */
enum status config_check(const struct request *req, const char *rel, enum status path_st,
			 const struct sockaddr_in6 *peer, struct response *resp,
			 const char **user);
/* The interpreter of a file by its extension (*.php:/usr/bin/php-cgi), or NULL. */
const char *config_interpreter(const char *name);
/* Which optional rules the configuration in force has: set once per load,
 * so that a request skips the checks of what is not configured. */
struct config_uses {
	bool interp; /* *.ext:interpreter lines */
	bool proxy;  /* P: lines */
};
extern struct config_uses config_uses;
/* Index file of a directory (I: line), "index.html" by default. */
const char *config_index_name(void);
/* An open fd of the custom page for this status (E404:…), or -1. */
int config_error_page(int status);
/* The P: rule for a request path (longest prefix), or NULL; valid until
 * the next reload. */
const struct upstream *config_proxy(const char *path, size_t n);

#endif
