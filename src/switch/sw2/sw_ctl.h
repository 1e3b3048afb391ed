/* sw_ctl: the control socket kbctl talks to.
 *
 * Served by its own thread, never a worker: one request line per
 * connection ("show port|module|pipeline" or "call STATEMENT"), the answer,
 * then close.  Commands reach modules through their command table; the
 * modules swap tables so the data path takes no lock. */
#ifndef SW_CTL_H
#define SW_CTL_H

#include <pthread.h>
#include <stdbool.h>

#include "sw_pipeline.h"

#define SW_CTL_DEFAULT "/tmp/kbswitch.ctl"

struct sw_ctl {
	struct sw_pipeline *pl;
	char path[108];
	int fd;
	bool running;
	volatile bool quit;
	pthread_t thr;
};

int sw_ctl_start(struct sw_ctl *c, struct sw_pipeline *pl, const char *path,
		 struct kb_err *err);
void sw_ctl_stop(struct sw_ctl *c);

#endif
