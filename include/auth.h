/* Basic authentication (RFC 7617) for the /path:user:password rules. */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

#define AUTH_CRED_MAX 512    /* decoded "user:password" of a request */

/* One /path:user:password line; path canonical (path_norm). */
struct auth_rule {
	char *path, *user, *pass;
};

/* The first (longest: rules come longest first) prefix that covers path
 * (canonical, from '/') decides; any user of it. S_OK or S_UNAUTHORIZED
 * (with WWW-Authenticate for realm added to resp->hdrs); *user gets the
 * user's name, kept for good (the log). */
enum status auth_check(const struct request *req, const char *path,
		       const struct auth_rule *rules, size_t nrules, const char *realm,
		       struct response *resp, const char **user);

/* Decode standard base64 (padding optional) into out; -1 when malformed
 * or longer than outsz - 1. The result is NUL-terminated. */
long auth_base64_decode(const char *in, size_t n, char *out, size_t outsz);
/* "Basic <base64 of user:password>" → "user:password" in out, *pass
 * pointing after the first ':'. 0 or -1 (not Basic, malformed, no ':'). */
int auth_basic_credentials(const char *v, size_t n, char *out, size_t outsz,
			   char **pass);
/* Stored password (plain, or a crypt() hash "$id$…") against the given
 * one; constant time in the stored value. */
bool auth_password_ok(const char *given, const char *stored);
/* A stored value crypt() can check (plain passwords always). */
bool auth_hash_supported(const char *stored);

#endif
