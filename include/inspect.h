/* --inspect: every request as received, byte-exact, with the answer's
 * head and timings, published to a channel of server-sent events that
 * the page /_inspect shows live. The connection layer reports to it
 * through its watch callbacks (set by main), never by name. */
#ifndef INSPECT_H
#define INSPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

#define INSPECT_RAW_MAX 4096      /* request bytes kept; beyond: "cut" */
#define INSPECT_HEAD_MAX 2048     /* response head bytes kept */
#define INSPECT_RING 256          /* requests a new viewer is shown */

/* Set at start-up (--inspect). */
extern bool inspect_enabled;

/* The page and its files, embedded in the binary (generated from
 * www/_inspect/ at build time). The last entry has name NULL. */
struct inspect_asset {
	const char *name;
	const unsigned char *data;
	size_t len;
};
extern const struct inspect_asset inspect_assets[];

/* The channel (after events_init). -1 when out of memory. */
int inspect_init(void);
/* /_inspect and below: the page, its files, its events. Never listed. */
bool inspect_match(const struct request *req);
enum status inspect_serve(const struct request *req, struct response *resp);

/* The connection's watch callbacks (struct conn_watch). */
void inspect_open(void **rec, const char *peer);
void inspect_read(void **rec, const char *p, size_t n);
void inspect_head(void **rec, const struct request *req);
void inspect_answer(void **rec, const char *head, size_t n);
void inspect_done(void **rec, const char *rest, size_t n);
void inspect_close(void **rec);

#endif
