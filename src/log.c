/* Access log lines (Combined Log Format) and diagnostics. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX (16 * 1024)  /* one access log line */
#define LOG_REQUEST_MAX 2048      /* of the request line in it */

int log_level;
bool log_json;
static bool to_syslog;

void log_use_syslog(void)
{
	openlog("httpd", LOG_PID, LOG_DAEMON);
	to_syslog = true;
}

static void vlog(int prio, const char *fmt, va_list ap)
{
	if (to_syslog) {
		vsyslog(prio, fmt, ap);
		return;
	}
	fputs("httpd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < 2)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void log_escape(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

		if (c == '"' || c == '\\') {
			e[1] = (char)c;
			buf_append(out, e, 2);
		} else if (c < 0x20 || c == 0x7f) {
			buf_append(out, e, 4);
		} else {
			buf_append(out, &s[i], 1);
		}
	}
}

static void field(struct buf *b, const struct request *req, enum hdr h)
{
	buf_puts(b, " \"");
	if (req && http_has_header(req, h) && req->hdr[h].len)
		log_escape(b, span_ptr(req, req->hdr[h]), req->hdr[h].len);
	else
		buf_puts(b, "-");
	buf_puts(b, "\"");
}

/* A JSON string value, or null when absent. */
static void json_field(struct buf *b, const char *name, const char *s, size_t n, bool have)
{
	buf_printf(b, ",\"%s\":", name);
	if (!have) {
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, "\"");
	util_json_escape(b, s, n > LOG_REQUEST_MAX ? LOG_REQUEST_MAX : n);
	buf_puts(b, "\"");
}

static void json_header(struct buf *b, const char *name, const struct request *req,
			enum hdr h)
{
	bool have = req && http_has_header(req, h);

	json_field(b, name, have ? span_ptr(req, req->hdr[h]) : NULL,
		   have ? req->hdr[h].len : 0, have);
}

/* --log-format json: one object per line, for log shippers. */
static void json_line(struct buf *b, const char *peer, const char *user,
		      const struct request *req, int status, long long bytes, int64_t us)
{
	char stamp[40];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_printf(b, "{\"time\":\"%s.%03ldZ\"", stamp, ts.tv_nsec / 1000000);
	json_field(b, "client", peer, strlen(peer), true);
	json_field(b, "method", req ? span_ptr(req, req->method_s) : NULL,
		   req ? req->method_s.len : 0, req != NULL);
	json_field(b, "target", req ? span_ptr(req, req->url) : NULL,
		   req ? req->url.len : 0, req != NULL);
	buf_printf(b, ",\"status\":%d,\"bytes\":%lld,\"duration\":%lld.%06lld",
		   status, bytes, (long long)(us / 1000000), (long long)(us % 1000000));
	json_header(b, "referer", req, H_REFERER);
	json_header(b, "user_agent", req, H_USER_AGENT);
	json_field(b, "user", user, user ? strlen(user) : 0, user != NULL);
	buf_puts(b, "}\n");
}

/* Combined Log Format; req->base may hold a partial request. */
static void clf_line(struct buf *b, const char *peer, const char *user,
		     const struct request *req, size_t avail, int status, long long bytes)
{
	static char stamp[40];
	static time_t last;
	time_t now = time(NULL);
	const char *line = req ? req->base : NULL;
	const char *nl;
	size_t n = 0;

	if (now != last) {
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%d/%b/%Y:%H:%M:%S %z", &tm);
		last = now;
	}
	if (line && avail) {
		nl = memchr(line, '\n', avail);
		n = nl ? (size_t)(nl - line) : avail;
		if (n && line[n - 1] == '\r')
			n--;
	}
	buf_printf(b, "%s - %s [%s] \"", peer, user ? user : "-", stamp);
	if (n)
		log_escape(b, line, n > LOG_REQUEST_MAX ? LOG_REQUEST_MAX : n);
	else
		buf_puts(b, "-");
	buf_printf(b, "\" %d %lld", status, bytes);
	field(b, req && req->head_end ? req : NULL, H_REFERER);
	field(b, req && req->head_end ? req : NULL, H_USER_AGENT);
	buf_puts(b, "\n");
}

void log_access(const char *peer, const char *user, const struct request *req,
		size_t avail, int status, long long bytes, int64_t us)
{
	struct buf b = BUF_INIT(LOG_LINE_MAX);

	if (log_level < 1)
		return;
	if (log_json)
		json_line(&b, peer, user, req && req->head_end ? req : NULL, status, bytes, us);
	else
		clf_line(&b, peer, user, req, avail, status, bytes);
	if (to_syslog)
		syslog(LOG_INFO, "%.*s", (int)b.len - 1, b.data);
	else if (b.data)
		fwrite(b.data, 1, b.len, stderr);
	buf_free(&b);
}
