/* Listening sockets, accepting, signals, start and stop, workers. */
#ifndef SERVER_H
#define SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

struct server_cfg {
	int grace_ms;             /* SIGTERM: time left to responses in flight */
	int drain_ms;             /* --drain: serving on (unready) before that */
	int max_conns;
	int workers;              /* processes sharing the listening sockets */
};

extern struct server_cfg server_cfg;

/* Split "[IP:]PORT" / "[IPv6]:PORT" (host "" for any); -1 if malformed. */
int server_parse_addr(const char *spec, char *host, size_t hsz, const char **port);
/* Parse "[IP:]PORT" / "[IPv6]:PORT"; bind and listen. -1 with a message. */
int server_listen(const char *spec);
/* --workers N > 1: fork the workers. Returns -1 in a worker (go on with
 * server_init and server_run), or, in the supervisor that passes signals
 * on and waits for them all, the exit status. */
int server_fork_workers(void);
/* Create the epoll set and signal handling; after server_listen. */
int server_init(void);
/* Serve one already connected socket or fd pair (inetd mode). */
int server_adopt(int rfd, int wfd);
/* Called on SIGHUP (configuration reload) and SIGCHLD (reaping). */
extern void (*server_hup_hook)(void);
extern void (*server_child_hook)(void);
/* Called when the server starts stopping (SIGTERM/SIGINT), before the
 * idle connections are closed: long answers (event streams) end here. */
extern void (*server_stop_hook)(void);
/* Run the loop until SIGTERM/SIGINT and the grace period; exit status. */
int server_run(void);

#endif
