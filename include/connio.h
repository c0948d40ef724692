/* Connections in the loop: reading, waiting, sending, lingering, timers. */
#ifndef CONNIO_H
#define CONNIO_H

#include <sys/socket.h>

#include "conn.h"

/* Take a connected socket (or an inetd pair of fds) into the loop. */
struct conn *connio_open(int fd, int wfd, const struct sockaddr *sa);
/* After a batch of events: read every connection that has some, then
 * answer them (so the requests of a batch share their file checks). */
void connio_flush(void);
/* Server stopping: close the idle ones, the others after their answer. */
void connio_stop_all(void);
void connio_close_all(void);
/* Called when a connection is closed (a slot for another is free). */
extern void (*connio_closed_hook)(void);
/* Number of open connections. */
int connio_count(void);

#endif
