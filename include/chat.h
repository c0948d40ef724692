/* --chat: a room over HTTP. POST /api/chat says something, GET /api/chat
 * listens (server-sent events, the last CHAT_BACKLOG messages first):
 * the seeds' two-nc chat and socat "echo to all", for browsers and curl. */
#ifndef CHAT_H
#define CHAT_H

#include <netinet/in.h>
#include <stdbool.h>

#include "http.h"

#define CHAT_BODY_MAX 2048   /* a POST body: 413 beyond */
#define CHAT_NAME_MAX 32     /* bytes of a name */
#define CHAT_TEXT_MAX 500    /* bytes of a message */
#define CHAT_RING 100        /* messages kept (Last-Event-ID resumes in them) */
#define CHAT_BACKLOG 20      /* messages a new listener gets first */
#define CHAT_BURST 5         /* messages a client may send at once ... */
#define CHAT_PER_SEC 1       /* ... and then per second: 429 beyond */

/* Set at start-up (--chat). */
extern bool chat_enabled;

/* The channel (after events_init). -1 when out of memory. */
int chat_init(void);
bool chat_match(const struct request *req);
enum status chat_serve(const struct request *req, const struct sockaddr_in6 *peer,
		       struct response *resp);

/* Pure, for tests: a message from a POST body (JSON object or form) into
 * *name and *text (NUL-terminated, checked: UTF-8, lengths, no control
 * bytes but in text LF and TAB); NULL, or why it is refused. */
const char *chat_parse(const char *ctype, size_t ctlen, const char *body, size_t n,
		       char name[CHAT_NAME_MAX + 1], char text[CHAT_TEXT_MAX + 1]);

#endif
