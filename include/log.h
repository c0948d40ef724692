/* Access log lines and diagnostics. */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"

/* 0: errors only; 1 (-v): access log; 2 (-vv): also connections and reasons. */
extern int log_level;

void log_use_syslog(void);
void log_error(const char *fmt, ...) __attribute__((cold, format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((cold, format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((cold, format(printf, 1, 2)));

/* --log-format json: access lines as JSON objects. */
extern bool log_json;

/* One Combined Log Format line (or JSON object), us the duration; req->base may hold a partial request. */
void log_access(const char *peer, const char *user, const struct request *req,
		size_t avail, int status, long long bytes, int64_t us);
/* Escape control bytes, '"' and '\\' as \xHH / \" / \\ (for log fields). */
void log_escape(struct buf *out, const char *s, size_t n);

#endif
