/* vhost_user: the control side of kbswitch's own vhost-user backend: one
 * unix socket (we listen, or we connect to a guest that listens and
 * reconnect when it comes back), its messages, and the device it builds
 * (vhost_dev.h) once the guest has set up its memory and both rings.
 *
 * One thread per socket, blocked in poll() whenever the guest is quiet:
 * the messages come only when a guest starts, stops or goes away.  It
 * hands a ready device to the port through publish(d), and takes it back
 * with publish(NULL) -- which returns only once no worker uses it -- before
 * it changes anything the device was built on.  Then it hands the guest
 * back the transmit chains still lent out (waiting for them briefly), so
 * that the indexes it reports are true.
 *
 * Offered: VHOST_DEV_FEATURES, and VHOST_USER_F_PROTOCOL_FEATURES with no
 * protocol feature behind it (QEMU wants the bit; so no multiqueue, no
 * reply-ack, no dirty logging: no live migration).  Rings are enabled
 * unless SET_VRING_ENABLE turns them off, and start on their kick.  A message that breaks
 * the protocol (a size or fd count that does not match, a ring outside
 * guest memory) ends the connection and is counted; the guest may connect
 * again. */
#ifndef KB_SWITCH_VHOST_USER_H
#define KB_SWITCH_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "kb_err.h"
#include "vhost_dev.h"

struct vhost_user;

struct vhost_user_cfg {
	const char *path;
	bool client;          /* connect (and reconnect) instead of listening */
	uint16_t port_id;     /* stamped on the frames it receives */
	/* Publish d (NULL: none).  Returns once no worker can still be using
	 * the device published before. */
	void (*publish)(void *ctx, struct vhost_dev *d);
	void *ctx;
};

/* What `show port` prints about the connection. */
struct vhost_user_info {
	bool connected, live;
	uint64_t features;
	uint64_t connects, proto_errors, stuck;   /* stuck: chains not back in time */
	char last_error[128];
};

/* Listens (or starts connecting) and starts the thread. */
int vhost_user_start(struct vhost_user **out, const struct vhost_user_cfg *cfg, struct kb_err *err);
/* Stops the thread, unpublishes, disconnects; removes a socket it created. */
void vhost_user_stop(struct vhost_user *vu);
void vhost_user_info(struct vhost_user *vu, struct vhost_user_info *info);

#endif
