/* --metrics: what a Prometheus server scrapes from GET /metrics. */
#include "metrics.h"

#include <string.h>
#include <time.h>

#include "cgi.h"

enum { M_GET, M_HEAD, M_POST, M_OPTIONS, M_OTHER, M__COUNT };
static const char *const method_names[M__COUNT] = { "GET", "HEAD", "POST", "OPTIONS",
						     "other" };

/* Fixed buckets (seconds, as microseconds): one pass, no allocation. */
static const int64_t bucket_us[] = { 1000, 5000, 10000, 50000, 100000, 500000,
				     1000000, 5000000, 10000000 };
static const char *const bucket_le[] = { "0.001", "0.005", "0.01", "0.05", "0.1",
					 "0.5", "1", "5", "10" };
#define NBUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

bool metrics_enabled;
uint64_t metrics_accepted;
static int (*open_conns)(void);

static uint64_t requests[M__COUNT][5]; /* by method, by status class 1xx..5xx */
static uint64_t bytes_sent;
static uint64_t buckets[NBUCKETS];    /* not cumulative: summed when shown */
static uint64_t duration_count;
static int64_t duration_sum_us;
static time_t started;

static int method_index(int m)
{
	switch (m) {
	case HTTP_GET: return M_GET;
	case HTTP_HEAD: return M_HEAD;
	case HTTP_POST: return M_POST;
	case HTTP_OPTIONS: return M_OPTIONS;
	default: return M_OTHER;
	}
}

void metrics_answer(int method, int status, long long bytes, int64_t us)
{
	size_t i;

	if (status >= 100 && status < 600)
		requests[method_index(method)][status / 100 - 1]++;
	if (bytes > 0)
		bytes_sent += (uint64_t)bytes;
	if (us < 0)
		us = 0;
	for (i = 0; i < NBUCKETS && us > bucket_us[i]; i++)
		;
	if (i < NBUCKETS)
		buckets[i]++;
	duration_count++;
	duration_sum_us += us;
}

void metrics_init(int (*conns)(void))
{
	open_conns = conns;
	started = time(NULL);
}

bool metrics_match(const struct request *req)
{
	static const char p[] = "/metrics";

	return metrics_enabled && req->path.len == sizeof(p) - 1 &&
	       memcmp(span_ptr(req, req->path), p, sizeof(p) - 1) == 0;
}

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void show_requests(struct buf *b)
{
	int m, k;

	family(b, "httpd_requests_total", "counter",
	       "Requests answered, by method and status class.");
	for (m = 0; m < M__COUNT; m++)
		for (k = 0; k < 5; k++)
			buf_printf(b,
				   "httpd_requests_total{method=\"%s\",code=\"%dxx\"} %llu\n",
				   method_names[m], k + 1, (unsigned long long)requests[m][k]);
}

static void show_durations(struct buf *b)
{
	uint64_t cum = 0;
	size_t i;

	family(b, "httpd_request_duration_seconds", "histogram",
	       "From a complete request head to the last byte of its answer.");
	for (i = 0; i < NBUCKETS; i++) {
		cum += buckets[i];
		buf_printf(b,
			   "httpd_request_duration_seconds_bucket{le=\"%s\"} %llu\n",
			   bucket_le[i], (unsigned long long)cum);
	}
	buf_printf(b,
		   "httpd_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
		   "httpd_request_duration_seconds_sum %lld.%06lld\n"
		   "httpd_request_duration_seconds_count %llu\n",
		   (unsigned long long)duration_count, (long long)(duration_sum_us / 1000000),
		   (long long)(duration_sum_us % 1000000), (unsigned long long)duration_count);
}

enum status metrics_serve(const struct request *req, struct response *resp)
{
	struct buf *b = resp->body;

	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		buf_puts(resp->hdrs, "Allow: GET, HEAD\r\n");
		return S_METHOD_NOT_ALLOWED;
	}
	b->len = 0;
	show_requests(b);
	family(b, "httpd_response_bytes_total", "counter", "Bytes sent, heads included.");
	buf_printf(b, "httpd_response_bytes_total %llu\n",
		   (unsigned long long)bytes_sent);
	family(b, "httpd_connections_open", "gauge", "Client connections open now.");
	buf_printf(b, "httpd_connections_open %d\n",
		   open_conns ? open_conns() : 0);
	family(b, "httpd_connections_accepted_total", "counter", "Client connections accepted.");
	buf_printf(b, "httpd_connections_accepted_total %llu\n",
		   (unsigned long long)metrics_accepted);
	show_durations(b);
	family(b, "httpd_cgi_running", "gauge", "CGI scripts running now.");
	buf_printf(b, "httpd_cgi_running %d\n", cgi_running());
	family(b, "httpd_start_time_seconds", "gauge", "Start time of the process (Unix time).");
	buf_printf(b, "httpd_start_time_seconds %lld\n", (long long)started);
	family(b, "httpd_build_info", "gauge", "Version and compiler of this build.");
	buf_printf(b,
		   "httpd_build_info{version=\"%s\",compiler=\"%s\"} 1\n",
		   HTTPD_VERSION, __VERSION__);
	resp->ctype = "text/plain; version=0.0.4; charset=utf-8";
	buf_puts(resp->hdrs, "Cache-Control: no-store\r\n");
	return S_OK;
}
