/* Directory listings (--list): one HTML page per directory. */
#ifndef LISTING_H
#define LISTING_H

#include "http.h"

/* The page of a directory (rel beneath HOME, open as dir) into resp->body:
 * names sorted, sizes, dates; symlinks shown only when they stay in HOME.
 * S_OK, or the status of the failure. */
enum status listing_page(struct response *resp, int dir, const char *rel);

#endif
