/* --metrics: counters of answers and connections, GET /metrics in the
 * Prometheus text exposition format (A:/D: rules and auth apply). */
#ifndef METRICS_H
#define METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"

extern bool metrics_enabled;
/* Connections accepted since the start (counted by the server). */
extern uint64_t metrics_accepted;
/* At start-up: the start time, and how to count open connections. */
void metrics_init(int (*open_conns)(void));

/* The one place an answer is counted: when its last byte is out. method
 * is llhttp's (or -1 when the head was never parsed), us its duration. */
void metrics_answer(int method, int status, long long bytes, int64_t us);
bool metrics_match(const struct request *req);
enum status metrics_serve(const struct request *req, struct response *resp);

#endif
