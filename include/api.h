/* /api/calcul: routing and glue around the exact decimal adder. */
#ifndef API_H
#define API_H

#include <stdbool.h>

#include "http.h"

/* The request is for /api/calcul or below it. */
bool api_match(const struct request *req);
/* Answer it: JSON body in resp->body, or an error status with a JSON body. */
enum status api_serve(const struct request *req, struct response *resp);
/* A JSON error body for status s refused by the core (413, 400...). */
void api_error_body(struct response *resp, enum status s);

#endif
