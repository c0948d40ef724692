/* Open-file cache. A check compares the file and its .br/.gz variants
 * with the file system (presence, device, inode, size, mtime and ctime),
 * so a changed, replaced, added or deleted file is never served stale. A
 * check is made again only for a request read after the last one: the
 * loop reads a whole batch of ready connections before answering any, so
 * the requests of one batch share one check (h2o keeps its open files for
 * one loop iteration too; nginx and lighttpd trust theirs for seconds).
 * A file fwatch can watch exactly is not checked while inotify reports no
 * change at all: instead of three fstatat (the file, its .br and .gz
 * names), at most one read of inotify's queue per batch, none when every
 * request of the batch arrived before its wait (fwatch.h). Bounded in entries, open fds
 * and bytes; least recently used entries go first, and an entry still
 * being sent stays until put. */
#include "fcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fwatch.h"
#include "path.h"


#define NBUCKETS 2048

static const char *const suffix[FC_REPS] = { "", ".br", ".gz" };
static const uint8_t suffix_len[FC_REPS] = { 0, 3, 3 }; /* checked every batch: no strlen */
static const char *const etag_suffix[FC_REPS] = { "", "-br", "-gz" };

static struct fc_entry *table[NBUCKETS];
static struct fc_entry *lru_head, *lru_tail;
static int nentries, nfds;
static unsigned long nchecks;
static size_t nbytes;
static int home = -1;
static fc_open_fn open_file;

/* The hash of s and, in *n, its length: eight bytes a step (the last
 * word overlapping the one before), a multiply and a shift each. */
static uint32_t hash_key(const char *s, size_t *n)
{
	const uint64_t k = 0x9e3779b97f4a7c15u;
	size_t len = strlen(s), i;
	uint64_t h = len * k, w;

	if (len < 8) {
		for (i = 0; i < len; i++)
			h = (h ^ (unsigned char)s[i]) * k;
	} else {
		for (i = 0; i + 8 < len; i += 8) {
			memcpy(&w, s + i, 8);
			h = (h ^ w) * k;
			h ^= h >> 29;
		}
		memcpy(&w, s + len - 8, 8);
		h = (h ^ w) * k;
	}
	*n = len;
	return (uint32_t)(h ^ h >> 32);
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void free_rep(struct fc_rep *r)
{
	if (r->fd >= 0) {
		close(r->fd);
		nfds--;
	}
	if (r->data)
		nbytes -= (size_t)r->st.st_size + HTTP_SEG_FRONT;
	free(r->block);
	r->block = NULL;
	r->val.front = NULL;
	r->fd = -1;
	r->data = NULL;
	r->exists = false;
}

static void free_entry(struct fc_entry *e)
{
	int i;

	for (i = 0; i < FC_REPS; i++)
		free_rep(&e->rep[i]);
	free(e->key);
	free(e);
}

static void lru_unlink(struct fc_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		lru_tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct fc_entry *e)
{
	e->next = lru_head;
	e->prev = NULL;
	if (lru_head)
		lru_head->prev = e;
	lru_head = e;
	if (!lru_tail)
		lru_tail = e;
}

/* Out of the table; freed now or when its last user puts it. */
static void drop(struct fc_entry *e)
{
	struct fc_entry **pp = &table[e->hash % NBUCKETS];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(e);
	nentries--;
	e->dead = true;
	if (e->refs == 0)
		free_entry(e);
}

static void evict(void)
{
	struct fc_entry *e = lru_tail;

	while (e && (nentries > FC_ENTRIES || nfds > FC_FDS || nbytes > FC_BYTES)) {
		struct fc_entry *prev = e->prev;

		drop(e);
		e = prev;
	}
}

void fcache_init(int dir, fc_open_fn open_fn)
{
	while (lru_head)
		drop(lru_head);
	home = dir;
	open_file = open_fn;
	fwatch_reset();
}

/* Load one representation: small contents into memory, else keep the fd. */
static int load_rep(struct fc_rep *r, const char *path, int i)
{
	int fd = open_file(home, path);

	r->fd = -1;
	r->block = r->data = NULL;
	r->exists = false;
	memset(&r->st, 0, sizeof(r->st));
	if (fd < 0)
		return -1;
	if (fstat(fd, &r->st) < 0 || !S_ISREG(r->st.st_mode)) {
		errno = S_ISDIR(r->st.st_mode) ? EISDIR : EACCES;
		close(fd);
		return -1;
	}
	r->exists = true;
	snprintf(r->val.etag, sizeof(r->val.etag), "\"%llx-%llx%s\"",
		 (unsigned long long)r->st.st_mtim.tv_sec * 1000000000ULL +
			 (unsigned long long)r->st.st_mtim.tv_nsec,
		 (unsigned long long)r->st.st_size, etag_suffix[i]);
	http_validators_format(&r->val, r->st.st_mtime);
	/* after room for the whole head (struct http_validators' front) */
	if (r->st.st_size <= FC_SMALL &&
	    (r->block = malloc(HTTP_SEG_FRONT + (size_t)r->st.st_size + 1)) != NULL &&
	    pread(fd, r->block + HTTP_SEG_FRONT, (size_t)r->st.st_size, 0) == r->st.st_size) {
		r->data = r->block + HTTP_SEG_FRONT;
		r->val.front = r->data; /* the whole head goes there */
		nbytes += (size_t)r->st.st_size + HTTP_SEG_FRONT;
		close(fd);
		return 0;
	}
	free(r->block);
	r->block = NULL;
	r->fd = fd;
	nfds++;
	return 0;
}

/* The name of e's representation i; false when too long. */
static bool rep_path(const struct fc_entry *e, int i, char path[PATH_REL_MAX])
{
	size_t k = e->klen, n = suffix_len[i];

	if (k + n >= PATH_REL_MAX)
		return false;
	memcpy(path, e->key, k);
	memcpy(path + k, suffix[i], n + 1);
	return true;
}

/* A new entry's variants (a changed one makes a new entry). */
static void load_variants(struct fc_entry *e)
{
	char path[PATH_REL_MAX];
	int i;

	for (i = 1; i < FC_REPS; i++)
		if (rep_path(e, i, path))
			load_rep(&e->rep[i], path, i);
}

/* Is each cached variant still what is on disk (present or absent)? */
static bool variants_fresh(const struct fc_entry *e)
{
	char path[PATH_REL_MAX];
	struct stat st;
	int i;

	for (i = 1; i < FC_REPS; i++) {
		bool there = rep_path(e, i, path) && fstatat(home, path, &st, 0) == 0 &&
			     S_ISREG(st.st_mode);

		if (there != e->rep[i].exists || (there && !same_file(&st, &e->rep[i].st)))
			return false;
	}
	return true;
}

/* The same inode we opened beneath HOME, unchanged: whatever a path
 * component became meanwhile, this is still that file. A changed variant
 * makes a new entry: this one may still be sending the old one. */
static __attribute__((noinline)) bool still_fresh(struct fc_entry *e, uint64_t now)
{
	struct stat st;

	nchecks++;
	if (fstatat(home, e->key, &st, 0) < 0 || !same_file(&st, &e->rep[0].st) ||
	    (!e->is_dir && !variants_fresh(e)))
		return false;
	e->checked = now;
	return true;
}

/* Every representation is, by its own name (no symbolic link followed),
 * the regular file loaded, and every absent one is absent. */
static bool loaded_as_named(const struct fc_entry *e)
{
	char path[PATH_REL_MAX];
	struct stat st;
	int i;

	for (i = 0; i < FC_REPS; i++) {
		int r;

		if (!rep_path(e, i, path))
			return false;
		r = fstatat(home, path, &st, AT_SYMLINK_NOFOLLOW);
		if (e->rep[i].exists ? r < 0 || !S_ISREG(st.st_mode) ||
					       !same_file(&st, &e->rep[i].st)
				     : r == 0 || errno != ENOENT)
			return false;
	}
	return true;
}

/* Watch a new file's directories, itself and its variants, then make
 * sure it was not changed before the watches were set: from then on,
 * inotify reports any change. */
static void watch_entry(struct fc_entry *e)
{
	char path[PATH_REL_MAX];
	uint32_t g = fwatch_gen();
	int i;

	if (!fwatch_add(home, e->key, e->rep[0].st.st_dev))
		return;
	for (i = 1; i < FC_REPS; i++)
		if (e->rep[i].exists && (!rep_path(e, i, path) || !fwatch_add_file(home, path)))
			return;
	if (!loaded_as_named(e))
		return;
	e->watched = true;
	e->gen = g;
}

/* Out of line, as still_fresh: their frames (struct stat, paths) would
 * cost every fcache_get the stack protector's check. */
static __attribute__((noinline)) struct fc_entry *load(const char *rel, uint32_t h,
							size_t n, uint64_t now)
{
	struct fc_entry *e = calloc(1, sizeof(*e));
	int i, err;

	if (!e)
		return NULL;
	for (i = 0; i < FC_REPS; i++)
		e->rep[i].fd = -1;
	e->key = strdup(rel);
	e->klen = (uint32_t)n;
	if (!e->key || load_rep(&e->rep[0], rel, 0) < 0) {
		err = e->key ? errno : ENOMEM;
		if (err != EISDIR) {
			free_entry(e);
			errno = err;
			return NULL;
		}
		e->is_dir = true;
	} else {
		load_variants(e);
		watch_entry(e);
	}
	e->hash = h;
	e->checked = now;
	e->hnext = table[h % NBUCKETS];
	table[h % NBUCKETS] = e;
	lru_push(e);
	nentries++;
	if (e->is_dir) {
		evict();
		errno = EISDIR;
		return NULL;
	}
	e->refs = 1;
	evict();
	return e;
}

struct fc_entry *fcache_get(const char *rel, uint64_t asked, uint64_t now)
{
	struct fc_entry *e = lru_head;
	uint32_t h;
	size_t n;

	/* the file asked last, asked again (most often): one compare, no hash */
	if (!e || strcmp(e->key, rel) != 0) {
		h = hash_key(rel, &n);
		for (e = table[h % NBUCKETS]; e; e = e->hnext)
			if (e->hash == h && e->klen == n && memcmp(e->key, rel, n) == 0)
				break;
		if (!e)
			return load(rel, h, n, now);
	}
	if (e->checked < asked) {
		if (e->watched && fwatch_drain(asked, now) && e->gen == fwatch_gen()) {
			e->checked = now; /* nothing reported since it was watched */
		} else if (still_fresh(e, now)) {
			/* a change somewhere: watched again, its path may
			 * have become one inotify cannot follow */
			if (e->watched) {
				e->watched = false;
				watch_entry(e);
			}
		} else {
			h = e->hash;
			n = e->klen;
			drop(e);
			return load(rel, h, n, now);
		}
	}
	if (e->is_dir) {
		errno = EISDIR;
		return NULL;
	}
	if (e != lru_head) { /* a file asked again and again: already first */
		lru_unlink(e);
		lru_push(e);
	}
	e->refs++;
	return e;
}

void fcache_put(struct fc_entry *e)
{
	if (--e->refs == 0 && e->dead)
		free_entry(e);
}

int fcache_count(void)
{
	return nentries;
}

unsigned long fcache_checks(void)
{
	return nchecks;
}
