/* Directory listings (--list): one HTML page per directory. */
#include "listing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "path.h"

/* A listing is one page: past these, it says it was cut short. */
#define LIST_ENTRIES_MAX 10000
#define LIST_BODY_MAX (4 * 1024 * 1024)

struct entry {
	char *name;
	off_t size;
	time_t mtime;
	bool dir;
};

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Size and kind of name in dir (rel beneath HOME). A symlink is shown as
 * what it leads to, only when that stays beneath HOME; false hides it. */
static bool stat_entry(int dir, const char *rel, const char *name, struct entry *e)
{
	char path[PATH_REL_MAX];
	struct stat st;
	int fd;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (S_ISLNK(st.st_mode)) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", rel, name) >=
		    sizeof(path))
			return false;
		fd = path_open(path, O_PATH);
		if (fd < 0)
			return false;
		if (fstat(fd, &st) < 0) {
			close(fd);
			return false;
		}
		close(fd);
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return false;
	e->dir = S_ISDIR(st.st_mode);
	e->size = st.st_size;
	e->mtime = st.st_mtime;
	return true;
}

/* Read the visible entries of dir (dotfiles and httpd.conf hidden). */
static int read_entries(int dir, const char *rel, struct entry **out, size_t *n,
			bool *cut)
{
	struct entry *ents = NULL, *p;
	struct dirent *de;
	size_t cap = 0;
	int dfd = dup(dir);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	*n = 0;
	while ((de = readdir(d)) != NULL) {
		struct entry e;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "httpd.conf") == 0 ||
		    !stat_entry(dir, rel, de->d_name, &e))
			continue;
		if (*n == LIST_ENTRIES_MAX) {
			*cut = true;
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(p = realloc(ents, cap * sizeof(*ents))))
				goto err;
			ents = p;
		}
		if (!(e.name = strdup(de->d_name)))
			goto err;
		ents[(*n)++] = e;
	}
	closedir(d);
	if (*n) /* qsort wants an array, even of none */
		qsort(ents, *n, sizeof(*ents), entry_cmp);
	*out = ents;
	return 0;
err:
	while (*n)
		free(ents[--*n].name);
	free(ents);
	closedir(d);
	return -1;
}

static void human_size(off_t size, char out[32])
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)size / 1024;
	int u = 0;

	if (size < 1024) {
		snprintf(out, 32, "%lld B", (long long)size);
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, 32, "%.1f %s", v, units[u]);
}

static const char list_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>Index of %s</title>\n<style>\n"
	"body{font-family:system-ui,sans-serif;margin:1rem auto;padding:0 .75rem;"
	"max-width:60rem;line-height:1.4}\n"
	"h1{font-size:1.25rem;word-break:break-all}\n"
	"table{border-collapse:collapse;width:100%%}\n"
	"th,td{padding:.45rem .4rem;border-bottom:1px solid #ddd;text-align:left}\n"
	"td.n a{display:block;word-break:break-all;text-decoration:none}\n"
	".s{text-align:right;white-space:nowrap}.m{white-space:nowrap;color:#555}\n"
	"@media (max-width:30rem){.m{display:none}}\n"
	"</style></head>\n<body>\n<h1>Index of %s</h1>\n"
	"<table>\n<thead><tr><th>Name</th><th class=\"s\">Size</th>"
	"<th class=\"m\">Modified (UTC)</th></tr></thead>\n<tbody>\n";

static int list_row(struct buf *b, const struct entry *e)
{
	char size[32], when[32], iso[32];
	struct tm tm;
	size_t nl = strlen(e->name);
	int rc = 0;

	gmtime_r(&e->mtime, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	human_size(e->size, size);
	rc |= buf_puts(b, "<tr><td class=\"n\"><a href=\"");
	rc |= util_pct_encode(b, e->name, nl);
	rc |= buf_puts(b, e->dir ? "/\">" : "\">");
	rc |= util_html_escape(b, e->name, nl);
	if (e->dir)
		rc |= buf_printf(b, "/</a></td><td class=\"s\">-</td>");
	else
		rc |= buf_printf(b,
				 "</a></td><td class=\"s\" data-bytes=\"%lld\">%s</td>",
				 (long long)e->size, size);
	rc |= buf_printf(b,
			 "<td class=\"m\"><time datetime=\"%s\">%s</time></td></tr>\n",
			 iso, when);
	return rc;
}

/* The HTML page of a directory (rel beneath HOME, already open as dir).
 * Out of line (LTO would inline it into route_serve): its frame would
 * cost every request the stack protector's check. */
__attribute__((noinline))
enum status listing_page(struct response *resp, int dir, const char *rel)
{
	struct buf *b = resp->body, title = BUF_INIT(PATH_REL_MAX * 6);
	struct entry *ents = NULL;
	size_t n = 0, i, row;
	bool cut = false;
	enum status s = S_INTERNAL_SERVER_ERROR;

	if (read_entries(dir, rel, &ents, &n, &cut) < 0)
		return http_status_from_errno(errno);
	if (buf_puts(&title, "/") ||
	    (strcmp(rel, ".") != 0 && (util_html_escape(&title, rel, strlen(rel)) ||
				  buf_puts(&title, "/"))) ||
	    buf_append(&title, "", 1))
		goto out;
	b->len = 0;
	if (buf_printf(b, list_head, title.data, title.data) ||
	    (strcmp(rel, ".") != 0 &&
	     buf_puts(b, "<tr><td class=\"n\"><a href=\"../\">../</a></td>"
			 "<td class=\"s\"></td><td class=\"m\"></td></tr>\n")))
		goto out;
	/* Rows stop where the page would pass its bound; the foot still fits. */
	for (i = 0; i < n; i++) {
		row = b->len;
		if (list_row(b, &ents[i]) || b->len > LIST_BODY_MAX - 1024) {
			b->len = row;
			cut = true;
			break;
		}
	}
	if (buf_printf(b, "</tbody></table>\n%s</body></html>\n",
		       cut ? "<p>Listing cut short: too many entries.</p>\n" : ""))
		goto out;
	resp->ctype = "text/html; charset=utf-8";
	s = S_OK;
out:
	for (i = 0; i < n; i++)
		free(ents[i].name);
	free(ents);
	buf_free(&title);
	return s;
}
