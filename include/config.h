/* httpd.conf: parsing, ACLs, Basic auth, index and error pages. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <netinet/in.h>

#include "http.h"

/* Load FILE (or the busybox defaults /etc/httpd.conf then HOME/httpd.conf
 * when file is NULL); every bad line is reported as FILE:LINE: message.
 * 0 when the new configuration is in force, -1 when the old one stays. */
int config_load(const char *file, const char *home);
/* SIGHUP: load the same file again. */
void config_reload(void);

#endif
