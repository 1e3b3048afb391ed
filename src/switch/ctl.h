/* ctl: the control socket, served by its own thread (never a worker), one
 * request line per connection; the answer is text, the first line
 * "error: ..." on failure. */
#ifndef KB_SWITCH_CTL_H
#define KB_SWITCH_CTL_H

#include <pthread.h>

#include "pipeline.h"

struct ctl {
	struct pipeline *pl;
	char path[108];
	int fd;
	volatile int stop;
	pthread_t thread;
	bool running;
};

int ctl_start(struct ctl *c, struct pipeline *pl, const char *path, struct kb_err *err);
void ctl_stop(struct ctl *c);

#endif
