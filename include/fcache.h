/* Open-file cache: a regular file and its pre-compressed variants, kept
 * open (the small ones read into memory), so a request for a known file
 * costs one fstatat instead of opens, fstats and closes. */
#ifndef FCACHE_H
#define FCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#define FC_REPS 3                  /* identity, .br, .gz */
#define FC_SMALL (16 * 1024)       /* files kept in memory up to this size */
#define FC_ENTRIES 1024            /* bounds: entries, open fds, bytes */
#define FC_FDS 256
#define FC_BYTES (16 * 1024 * 1024)
#define FC_VARIANT_CHECK_MS 1000   /* variants appearing/going: seen within 1 s */

struct fc_rep {
	bool exists;
	int fd;                    /* -1 when the content is in data */
	struct stat st;
	char *data;
	char etag[48];             /* strong, from mtime and size (+ coding) */
};

struct fc_entry {
	struct fc_entry *hnext;    /* hash chain */
	struct fc_entry *prev, *next; /* LRU, most recent first */
	char *key;
	uint32_t hash;
	int refs;
	bool dead;                 /* out of the table: freed on the last put */
	bool is_dir;               /* a directory: remembered, never handed out */
	int64_t variants_checked;  /* ms */
	const char *ctype;         /* set by the user on first use */
	struct fc_rep rep[FC_REPS];
};

/* Opens rel beneath dir securely (never outside HOME). */
typedef int (*fc_open_fn)(int dir, const char *rel);

/* Start over with this directory (HOME); drops every entry. */
void fcache_init(int dir, fc_open_fn open_fn);
/* The regular file rel (relative to HOME), checked against the file
 * system now; a reference the caller gives back with fcache_put. NULL
 * with errno set: EISDIR for a directory (directories are cached too, so
 * telling them apart costs one fstatat), EACCES for another non-regular
 * file, or the error of the open. */
struct fc_entry *fcache_get(const char *rel);
void fcache_put(struct fc_entry *e);
/* Entries held now (for tests). */
int fcache_count(void);

#endif
