/* File extension → Content-Type. */
#ifndef MIME_H
#define MIME_H

/* The type for a file name; "application/octet-stream" when unknown. */
const char *mime_lookup(const char *name);
/* Add or override an extension (".ext:type" config lines); 0 or -1. */
int mime_add(const char *ext, const char *type);
/* Forget the types added by mime_add (before a config reload). */
void mime_reset(void);

#endif
