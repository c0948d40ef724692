/* Changes to cached files seen as they happen (inotify), so that a file
 * unchanged since its last check need not be checked again for each
 * batch of requests. Only what inotify reports exactly is trusted: plain
 * directories and regular files on a local file system (ext2/3/4, XFS,
 * Btrfs, tmpfs, F2FS), beneath HOME, no symbolic link on the way; for
 * everything else (and when inotify is missing or out of watches) the
 * cache checks the disk as before. Writes through a shared mmap() of a
 * file are not reported by inotify: such a writer should rename its
 * result into place (as editors and deploy tools do). */
#ifndef FWATCH_H
#define FWATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Start over (the cache is emptied; its clock may start again). */
void fwatch_reset(void);
/* A count of the changes seen so far: an entry whose watches were set
 * up when it read g is unchanged while it still reads g. */
uint32_t fwatch_gen(void);
/* Before trusting watches for a request read at clock `asked`: read the
 * changes reported up to now (one read per batch: not again while
 * `asked` <= the clock of the last one; none at all for a request read
 * before the wait of a whole batch, loop_wait_reads, whose changes the
 * loop handed over first). False when watching is off. */
bool fwatch_drain(uint64_t asked, uint64_t now);
/* Watch HOME (home, on device dev of the file), each directory of rel
 * and the file rel itself (the last component is not followed); then
 * the caller checks that rel is still the file it loaded, so nothing
 * slips between its load and the watches. False when rel cannot be
 * watched exactly (another device, a remote file system, a symbolic
 * link, too deep, out of watches, no inotify or /proc). */
bool fwatch_add(int home, const char *rel, dev_t dev);
/* Watch one more file of the same directory (a .br/.gz variant). */
bool fwatch_add_file(int home, const char *rel);

#endif
