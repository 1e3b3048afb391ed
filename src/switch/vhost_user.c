/* vhost_user: the vhost-user protocol, backend side (vhost_user.h).
 * Messages and their numbers: QEMU's docs/interop/vhost-user.rst. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/vhost_types.h>

#include "kb_unix.h"
#include "vhost_user.h"

enum {
	VU_GET_FEATURES = 1, VU_SET_FEATURES = 2, VU_SET_OWNER = 3, VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5, VU_SET_LOG_BASE = 6, VU_SET_LOG_FD = 7, VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9, VU_SET_VRING_BASE = 10, VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12, VU_SET_VRING_CALL = 13, VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15, VU_SET_PROTOCOL_FEATURES = 16, VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
};

/* Offered, with no protocol feature behind it: QEMU 7.2 refuses to start
 * a vhost-user net backend without (it asks for the protocol features and
 * the queue count, and enables the rings explicitly). */
#define VU_F_PROTOCOL_FEATURES (1ULL << 30)
#define VU_VERSION 0x1
#define VU_REPLY 0x4
#define VU_NOFD 0x100
#define MAX_FDS 8
#define RECONNECT_MS 200      /* a restarted guest is found again this fast */
#define DRAIN_MS 100          /* how long lent chains may take to come back */

struct vu_msg {
	uint32_t request, flags, size;
	union {
		uint64_t u64;
		struct vhost_vring_state state;
		struct vhost_vring_addr addr;
		struct {
			uint32_t nregions, padding;
			struct vhost_mem_desc r[VHOST_MAX_REGIONS];
		} mem;
	} p;
} __attribute__((packed));

#define HDR_SIZE 12u

struct vu_ring {
	struct vhost_vq_setup s;
	bool num_set, addr_set, kick_set;
	bool disabled;   /* SET_VRING_ENABLE 0 (rings are enabled unless told) */
};

struct vhost_user {
	struct vhost_user_cfg cfg;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd, stop_fd;
	pthread_t thread;
	bool thread_up, created_socket;
	/* the connection (this thread's only) */
	int fd;
	uint64_t features;
	struct vhost_mem *mem;
	struct vu_ring ring[2];
	struct vhost_dev *dev;        /* published, or NULL */
	/* read by `show port` (this thread writes) */
	struct vhost_user_info info;
};

static void set_error(struct vhost_user *vu, const char *fmt, const char *what)
{
	snprintf(vu->info.last_error, sizeof(vu->info.last_error), fmt, what);
}

/* ---- the device ---- */

/* Takes the device back from the workers and gives the guest back what
 * they still hold of its transmit ring; the rings' next indexes become
 * the base of the next device. */
static void unpublish(struct vhost_user *vu)
{
	struct vhost_dev *d = vu->dev;
	struct vhost_stats scratch;   /* the port's counters have one writer: the worker */
	struct timespec t0, t;

	if (!d)
		return;
	vu->cfg.publish(vu->cfg.ctx, NULL);
	__atomic_store_n(&vu->info.live, false, __ATOMIC_RELAXED);
	vu->dev = NULL;
	memset(&scratch, 0, sizeof(scratch));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		vhost_dev_complete(d, &scratch);
		if (__atomic_load_n(&d->refcnt, __ATOMIC_ACQUIRE) == 1)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > DRAIN_MS) {
			__atomic_add_fetch(&vu->info.stuck, 1, __ATOMIC_RELAXED);
			break;
		}
		usleep(100);
	}
	for (int q = 0; q < 2; q++)
		vu->ring[q].s.base = d->vq[q].last_avail;
	vhost_dev_put(d);
}

/* -1: the guest set up rings that cannot work (the connection ends). */
static int try_publish(struct vhost_user *vu)
{
	struct vhost_vq_setup s[2];
	const char *why = NULL;
	struct vhost_dev *d;

	if (vu->dev || !vu->mem)
		return 0;
	for (int q = 0; q < 2; q++) {
		if (!vu->ring[q].num_set || !vu->ring[q].addr_set || !vu->ring[q].kick_set ||
		    vu->ring[q].disabled)
			return 0;
		s[q] = vu->ring[q].s;
	}
	if (!(d = vhost_dev_new(vu->mem, vu->features, vu->cfg.port_id, s, &why))) {
		set_error(vu, "device not started: %s", why);
		return -1;
	}
	vu->dev = d;
	vu->cfg.publish(vu->cfg.ctx, d);
	__atomic_store_n(&vu->info.live, true, __ATOMIC_RELAXED);
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The guest went away (or broke the protocol): back to nothing. */
static void disconnect(struct vhost_user *vu)
{
	unpublish(vu);
	for (int q = 0; q < 2; q++) {
		close_fd(&vu->ring[q].s.kickfd);
		close_fd(&vu->ring[q].s.callfd);
		memset(&vu->ring[q], 0, sizeof(vu->ring[q]));
		vu->ring[q].s.kickfd = vu->ring[q].s.callfd = -1;
	}
	vhost_mem_put(vu->mem);
	vu->mem = NULL;
	vu->features = 0;
	close_fd(&vu->fd);
	__atomic_store_n(&vu->info.connected, false, __ATOMIC_RELAXED);
	__atomic_store_n(&vu->info.features, 0, __ATOMIC_RELAXED);
}

/* ---- messages ---- */

static int reply(struct vhost_user *vu, struct vu_msg *m, uint32_t size)
{
	m->flags = VU_VERSION | VU_REPLY;
	m->size = size;
	/* a guest that does not read its replies ends the connection, it
	 * does not stop this thread */
	return send(vu->fd, m, HDR_SIZE + size, MSG_NOSIGNAL | MSG_DONTWAIT) ==
		(ssize_t)(HDR_SIZE + size) ? 0 : -1;
}

static bool wait_readable(struct vhost_user *vu, int fd, int timeout_ms);

/* 0: a message in m (fds[] filled, *nfds of them); 1: the guest hung up
 * (or we were told to stop); -1: broken. */
static int recv_msg(struct vhost_user *vu, struct vu_msg *m, int *fds, int *nfds)
{
	char cbuf[CMSG_SPACE(MAX_FDS * sizeof(int))];
	struct iovec iov = { .iov_base = m, .iov_len = HDR_SIZE };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	ssize_t r;

	*nfds = 0;
	do
		r = recvmsg(vu->fd, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			for (int i = 0; i < n; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (*nfds < MAX_FDS)
					fds[(*nfds)++] = fd;
				else
					close(fd);
			}
		}
	if (r == 0 || (r < 0 && errno == ECONNRESET))
		return 1;   /* gone (a guest that exits as we connect resets) */
	if (r != HDR_SIZE || (mh.msg_flags & MSG_CTRUNC) || m->size > sizeof(m->p))
		return -1;
	for (uint32_t got = 0; got < m->size;) {
		/* a guest that stops halfway must not keep vhost_user_stop() waiting */
		if (!wait_readable(vu, vu->fd, -1))
			return 1;
		r = recv(vu->fd, (char *)&m->p + got, m->size - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (uint32_t)r;
	}
	return 0;
}

static int ring_index(struct vhost_user *vu, uint32_t idx)
{
	if (idx < 2)
		return (int)idx;
	set_error(vu, "%s", "the guest named a ring other than 0 and 1 (no multiqueue)");
	return -1;
}

/* SET_VRING_KICK / CALL: the fd for ring (u64 & 0xff), or none. */
static int take_ring_fd(struct vhost_user *vu, const struct vu_msg *m, int *fds, int nfds,
			int **slot)
{
	int q = ring_index(vu, (uint32_t)(m->p.u64 & 0xff));
	bool nofd = m->p.u64 & VU_NOFD;

	if (q < 0 || m->size != 8 || nfds != (nofd ? 0 : 1))
		return -1;
	unpublish(vu);
	*slot = m->request == VU_SET_VRING_KICK ? &vu->ring[q].s.kickfd : &vu->ring[q].s.callfd;
	close_fd(*slot);
	**slot = nofd ? -1 : fds[0];
	if (**slot >= 0) {
		/* drained without blocking (eventfd: the guest's writes stay fine) */
		int fl = fcntl(**slot, F_GETFL);

		if (fl >= 0)
			fcntl(**slot, F_SETFL, fl | O_NONBLOCK);
	}
	if (m->request == VU_SET_VRING_KICK)
		vu->ring[q].kick_set = true;   /* the ring starts (no protocol features) */
	return 0;
}

/* Returns -1 when the connection must end. */
static int handle(struct vhost_user *vu, struct vu_msg *m, int *fds, int nfds)
{
	int q, *slot;
	bool fds_used = false;
	int rc = 0;

	switch (m->request) {
	case VU_GET_FEATURES:
	case VU_GET_PROTOCOL_FEATURES:
		m->p.u64 = m->request == VU_GET_FEATURES ? VHOST_DEV_FEATURES | VU_F_PROTOCOL_FEATURES : 0;
		rc = reply(vu, m, 8);
		break;
	case VU_GET_QUEUE_NUM:
		m->p.u64 = 1;
		rc = reply(vu, m, 8);
		break;
	case VU_SET_FEATURES:
		if (m->size != 8) {
			rc = -1;
			break;
		}
		unpublish(vu);
		vu->features = m->p.u64 & VHOST_DEV_FEATURES;   /* (the protocol bit is the channel's) */
		__atomic_store_n(&vu->info.features, vu->features, __ATOMIC_RELAXED);
		break;
	case VU_SET_OWNER:
	case VU_SET_PROTOCOL_FEATURES:
		break;
	case VU_SET_VRING_ENABLE:
		if (m->size != sizeof(m->p.state) || (q = ring_index(vu, m->p.state.index)) < 0) {
			rc = -1;
			break;
		}
		if (vu->ring[q].disabled != !m->p.state.num) {
			unpublish(vu);
			vu->ring[q].disabled = !m->p.state.num;
		}
		break;
	case VU_RESET_OWNER:
		unpublish(vu);
		break;
	case VU_SET_MEM_TABLE: {
		uint32_t n = m->p.mem.nregions;
		struct vhost_mem *mem;

		if (n > VHOST_MAX_REGIONS || (int)n != nfds ||
		    m->size != 8 + n * sizeof(struct vhost_mem_desc)) {
			set_error(vu, "%s", "SET_MEM_TABLE: region count, size and fds disagree");
			rc = -1;
			break;
		}
		struct vhost_mem_desc r[VHOST_MAX_REGIONS];

		memcpy(r, m->p.mem.r, n * sizeof(r[0]));   /* the message is packed */
		unpublish(vu);
		if (!(mem = vhost_mem_map(r, fds, n))) {
			set_error(vu, "SET_MEM_TABLE: cannot map the guest's memory: %s", strerror(errno));
			rc = -1;
			break;
		}
		vhost_mem_put(vu->mem);   /* devices and frames keep their own reference */
		vu->mem = mem;
		break;
	}
	case VU_SET_VRING_NUM:
	case VU_SET_VRING_BASE:
		if (m->size != sizeof(m->p.state) || (q = ring_index(vu, m->p.state.index)) < 0) {
			rc = -1;
			break;
		}
		unpublish(vu);
		if (m->request == VU_SET_VRING_NUM) {
			vu->ring[q].s.num = m->p.state.num;
			vu->ring[q].num_set = true;
		} else {
			vu->ring[q].s.base = (uint16_t)m->p.state.num;
		}
		break;
	case VU_SET_VRING_ADDR:
		if (m->size != sizeof(m->p.addr) || (q = ring_index(vu, m->p.addr.index)) < 0) {
			rc = -1;
			break;
		}
		unpublish(vu);
		vu->ring[q].s.desc = m->p.addr.desc_user_addr;
		vu->ring[q].s.avail = m->p.addr.avail_user_addr;
		vu->ring[q].s.used = m->p.addr.used_user_addr;
		vu->ring[q].addr_set = true;
		break;
	case VU_GET_VRING_BASE:
		if (m->size != sizeof(m->p.state) || (q = ring_index(vu, m->p.state.index)) < 0) {
			rc = -1;
			break;
		}
		unpublish(vu);   /* the ring stops until its next kick */
		vu->ring[q].kick_set = false;
		close_fd(&vu->ring[q].s.kickfd);
		m->p.state.num = vu->ring[q].s.base;
		rc = reply(vu, m, sizeof(m->p.state));
		break;
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
		rc = take_ring_fd(vu, m, fds, nfds, &slot);
		fds_used = rc == 0;
		break;
	case VU_SET_VRING_ERR:
	case VU_SET_LOG_FD:
		break;   /* not offered; its fd is closed below */
	default:
		/* unknown or not offered (SET_LOG_BASE, ...): answered by no
		 * reply, which a frontend that needs one reports itself */
		set_error(vu, "%s", "the guest sent a message we do not offer");
		__atomic_add_fetch(&vu->info.proto_errors, 1, __ATOMIC_RELAXED);
		break;
	}
	if (m->request == VU_SET_MEM_TABLE || !fds_used)
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
	if (rc < 0)
		return -1;
	return try_publish(vu);
}

/* ---- the thread ---- */

/* Waits for fd to be readable; false when told to stop. */
static bool wait_readable(struct vhost_user *vu, int fd, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = vu->stop_fd, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
	int n;

	do
		n = poll(p, fd >= 0 ? 2 : 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return !(p[0].revents & POLLIN);
}

static int connect_once(struct vhost_user *vu)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memcpy(a.sun_path, vu->path, sizeof(vu->path));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void *vu_thread(void *arg)
{
	struct vhost_user *vu = arg;

	for (;;) {
		if (vu->cfg.client) {
			while ((vu->fd = connect_once(vu)) < 0)
				if (!wait_readable(vu, -1, RECONNECT_MS))
					return NULL;
		} else {
			if (!wait_readable(vu, vu->listen_fd, -1))
				return NULL;
			if ((vu->fd = accept4(vu->listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
				continue;
		}
		__atomic_add_fetch(&vu->info.connects, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&vu->info.connected, true, __ATOMIC_RELAXED);
		for (;;) {
			struct vu_msg m;
			int fds[MAX_FDS], nfds, r;

			if (!wait_readable(vu, vu->fd, -1)) {
				disconnect(vu);
				return NULL;
			}
			memset(&m, 0, sizeof(m));
			r = recv_msg(vu, &m, fds, &nfds);
			if (r == 0 && handle(vu, &m, fds, nfds) == 0)
				continue;
			if (r != 0)
				for (int i = 0; i < nfds; i++)
					close(fds[i]);
			if (r < 0 || r == 0) {
				if (r < 0)
					set_error(vu, "%s", "a malformed message: connection closed");
				__atomic_add_fetch(&vu->info.proto_errors, 1, __ATOMIC_RELAXED);
			}
			break;
		}
		disconnect(vu);
	}
}

int vhost_user_start(struct vhost_user **out, const struct vhost_user_cfg *cfg, struct kb_err *err)
{
	struct vhost_user *vu = calloc(1, sizeof(*vu));
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (!vu)
		return kb_err_set(err, "out of memory");
	vu->cfg = *cfg;
	vu->fd = vu->listen_fd = -1;
	for (int q = 0; q < 2; q++)
		vu->ring[q].s.kickfd = vu->ring[q].s.callfd = -1;
	snprintf(vu->path, sizeof(vu->path), "%s", cfg->path);
	vu->cfg.path = vu->path;
	if ((vu->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
		free(vu);
		return kb_err_set(err, "eventfd: %s", strerror(errno));
	}
	if (!cfg->client) {
		memcpy(a.sun_path, vu->path, sizeof(vu->path));
		kb_unix_remove_stale(vu->path);
		vu->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (vu->listen_fd < 0 || bind(vu->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    listen(vu->listen_fd, 1) < 0) {
			kb_err_set(err, "vhost-user socket %s: %s", vu->path, strerror(errno));
			close_fd(&vu->listen_fd);
			close(vu->stop_fd);
			free(vu);
			return -1;
		}
		vu->created_socket = true;
	}
	if (pthread_create(&vu->thread, NULL, vu_thread, vu) != 0) {
		vu->thread_up = false;
		vhost_user_stop(vu);
		return kb_err_set(err, "cannot start the vhost-user thread");
	}
	vu->thread_up = true;
	pthread_setname_np(vu->thread, "kb-vhost-user");
	*out = vu;
	return 0;
}

void vhost_user_stop(struct vhost_user *vu)
{
	uint64_t one = 1;

	if (!vu)
		return;
	if (vu->thread_up) {
		if (write(vu->stop_fd, &one, sizeof(one)) != sizeof(one))
			perror("kbswitch: vhost-user stop");
		pthread_join(vu->thread, NULL);
	}
	disconnect(vu);
	if (vu->listen_fd >= 0) {
		close(vu->listen_fd);
		if (vu->created_socket)
			unlink(vu->path);
	}
	close(vu->stop_fd);
	free(vu);
}

void vhost_user_info(struct vhost_user *vu, struct vhost_user_info *info)
{
	info->connected = __atomic_load_n(&vu->info.connected, __ATOMIC_RELAXED);
	info->live = __atomic_load_n(&vu->info.live, __ATOMIC_RELAXED);
	info->features = __atomic_load_n(&vu->info.features, __ATOMIC_RELAXED);
	info->connects = __atomic_load_n(&vu->info.connects, __ATOMIC_RELAXED);
	info->proto_errors = __atomic_load_n(&vu->info.proto_errors, __ATOMIC_RELAXED);
	info->stuck = __atomic_load_n(&vu->info.stuck, __ATOMIC_RELAXED);
	memcpy(info->last_error, vu->info.last_error, sizeof(info->last_error));
	info->last_error[sizeof(info->last_error) - 1] = 0;
}
