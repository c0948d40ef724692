/* Open-file cache: a regular file and its pre-compressed variants, kept
 * open (the small ones read into memory). A hit is checked against the
 * file system unless a check was made after the request was read, so a
 * batch of requests for one file costs one check, and no answer is older
 * than its request; a file fwatch watches is checked only when inotify
 * has reported a change since (one read of its queue per batch). */
#ifndef FCACHE_H
#define FCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "http.h"

#define FC_REPS 3                  /* identity, .br, .gz */
#define FC_SMALL (16 * 1024)       /* files kept in memory up to this size */
#define FC_ENTRIES 1024            /* bounds: entries, open fds, bytes */
#define FC_FDS 256
#define FC_BYTES (16 * 1024 * 1024)

struct fc_rep {
	bool exists;
	int fd;                    /* -1 when the content is in data */
	struct stat st;
	char *block;               /* small contents' memory: HTTP_SEG_FRONT
				    * bytes of room (the whole head), then data */
	char *data;                /* small contents, in block */
	struct http_validators val; /* ETag: strong, from mtime and size (+ coding) */
};

struct fc_entry {
	struct fc_entry *hnext;    /* hash chain */
	struct fc_entry *prev, *next; /* LRU, most recent first */
	char *key;
	uint32_t hash;
	uint32_t klen;             /* strlen(key) */
	int refs;
	bool dead;                 /* out of the table: freed on the last put */
	bool is_dir;               /* a directory: remembered, never handed out */
	bool watched;              /* fwatch reports its changes: trusted while gen holds */
	uint32_t gen;              /* fwatch_gen() just before its watches were set */
	uint64_t checked;          /* clock of the last check (fcache_get) */
	const char *ctype;         /* set by the user on first use */
	struct fc_rep rep[FC_REPS];
};

/* Opens rel beneath dir securely (never outside HOME). */
typedef int (*fc_open_fn)(int dir, const char *rel);

/* Start over with this directory (HOME); drops every entry. */
void fcache_init(int dir, fc_open_fn open_fn);
/* The regular file rel (relative to HOME) as the file system had it at
 * some time after `asked`: `now` and `asked` are readings of one clock
 * that the caller advances at each read of a request (loop_reads), and
 * a check made at `now` serves every request read by then. A reference
 * the caller gives back with fcache_put. NULL with errno set: EISDIR for
 * a directory (directories are cached too), EACCES for another
 * non-regular file, or the error of the open. */
struct fc_entry *fcache_get(const char *rel, uint64_t asked, uint64_t now);
void fcache_put(struct fc_entry *e);
/* Entries held now; checks made against the disk so far (for tests). */
int fcache_count(void);
unsigned long fcache_checks(void);

#endif
