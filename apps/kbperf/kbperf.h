/* kbperf: throughput, request/response latency and connection rate, over
 * kbnet's mTCP API or (--kernel) Linux sockets, through one code path
 * (kb_netops).  See docs/apps.md. */
#ifndef KBPERF_H
#define KBPERF_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "kb_hist.h"
#include "kb_netops.h"

enum kbperf_test { KBPERF_BULK = 1, KBPERF_RR = 2, KBPERF_CRR = 3 };

/* What a client sends first on every connection, in network byte order:
 * the server needs nothing else (no control connection). */
struct kbperf_hdr {
	uint32_t magic;
	uint32_t test;
	uint32_t req;      /* rr/crr: request bytes */
	uint32_t resp;     /* rr/crr: response bytes */
	uint64_t bytes;    /* bulk: bytes to send, 0 = until the client closes */
} __attribute__((packed));

#define KBPERF_MAGIC 0x6b627066u   /* "kbpf" */
#define KBPERF_MAX_MSG (1u << 20)
#define KBPERF_MAX_FLOWS 4096

struct kbperf_opts {
	const struct kb_netops *ops;
	const char *conf;
	struct sockaddr_in addr;     /* server: bind address; client: server */
	int cores;
	enum kbperf_test test;
	int flows;
	double seconds;
	uint64_t bytes;              /* bulk: total per flow (0: use seconds) */
	uint32_t msg;                /* rr/crr message size */
	bool json;
	bool verbose;
	bool keepalive;              /* SO_KEEPALIVE on every connection */
	double interval;             /* client: seconds between reports (0: none) */
};

/* One -i report: what all flows did in [start, end), seconds from the start. */
struct kbperf_interval {
	double start, end;
	uint64_t bytes, transactions, conns;
};

/* Per worker thread results; the main thread merges them. */
struct kbperf_result {
	uint64_t bytes;              /* payload received (client) */
	uint64_t transactions;
	uint64_t conns;
	uint64_t errors;             /* connect/reset/short reads during the test */
	uint64_t start_ns, end_ns;
	struct kb_hist lat;          /* rr: per transaction; crr: per connection */
	struct kbperf_interval *iv;  /* -i: the reports, in order */
	int n_iv;
	struct kb_netstat ns;        /* the stack's bytes and RTOs */
};

int kbperf_server(const struct kbperf_opts *o);
int kbperf_client(const struct kbperf_opts *o, struct kbperf_result *total);
/* Prints one -i report line (text mode), as iperf3 does. */
void kbperf_print_interval(const struct kbperf_opts *o, const struct kbperf_interval *v);

/* Shared with both sides: a buffer of payload bytes to send from. */
extern const char kbperf_payload[65536];

#endif
