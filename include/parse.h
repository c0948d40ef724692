/* llhttp glue: the request filled by callbacks; the checks llhttp leaves
 * to us. */
#ifndef PARSE_H
#define PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

/* Parser glue: one settings table, the request filled by callbacks. */
void parse_init(llhttp_t *p, struct request *req);
/* Clear the request for the next message of a keep-alive connection. */
void parse_clear(struct request *req);
/* Checks llhttp leaves to us; S_OK when the head is acceptable, else the
 * status and *why. */
enum status parse_validate(const struct request *req, const char **why);
/* Host's value is uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2). */
bool parse_host_valid(const char *h, size_t n);
/* Can p[0..n), the first bytes after any empty lines, still begin a
 * request line? False as soon as the method part holds a byte that is not
 * a token character (a TLS record, binary) or the line starts with SP. */
bool parse_line_start_ok(const char *p, size_t n);
/* Map an llhttp error on the head in line[0..n) to the status to answer. */
enum status parse_error_status(llhttp_errno_t err, const char *line, size_t n);

#endif
