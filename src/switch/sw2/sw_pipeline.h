/* sw_pipeline: the graph a script builds, validated before anything starts.
 *
 * Life cycle: sw_pipeline_builder() feeds the script evaluator (every
 * callback validates fully, no DPDK); sw_pipeline_start() after
 * rte_eal_init() opens ports, the mbuf pool and starts modules;
 * sw_pipeline_run() runs the workers until *stop; sw_pipeline_stop() closes
 * ports (pcap output is flushed at close) and sw_pipeline_stats() prints. */
#ifndef SW_PIPELINE_H
#define SW_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "script_builder.h"
#include "sw_module.h"

#define SW_MAX_PORTS 32
#define SW_MAX_QUEUES 16
#define SW_MAX_MODULES 1024
#define SW_MAX_WORKERS 16

struct sw_port {
	char name[SW_NAME_LEN];
	struct script_pos pos;
	char *devargs;            /* vdev= or pci=; NULL with port_id= */
	int port_id;              /* given, or found at start */
	int n_inc_q, n_out_q, size_inc_q, size_out_q;
	const char *rx_owner[SW_MAX_QUEUES];   /* module names claiming queues */
	const char *tx_owner[SW_MAX_QUEUES];
	bool started, probed;
};

struct sw_worker {
	int wid, core;
	bool defined;
	struct sw_module *tasks[SW_MAX_MODULES];
	int n_tasks;
	struct sw_pipeline *pl;
	uint64_t loops, idle_sleeps;
};

struct sw_pipeline {
	struct sw_port ports[SW_MAX_PORTS];
	int n_ports;
	struct sw_module *mods[SW_MAX_MODULES];
	int n_mods;
	struct sw_worker workers[SW_MAX_WORKERS];
	int anon_seq;
	struct rte_mempool *pool;
	bool pure_poll;
	unsigned idle_max_us;
	volatile sig_atomic_t *stop;
	_Atomic bool running;     /* workers started: commands must quiesce */
	/* Bumped by workers each loop; the control thread waits for it to move
	 * before freeing a table it swapped out (RCU-style, no data-path lock). */
	_Atomic uint64_t epoch[SW_MAX_WORKERS];
};

void sw_pipeline_init(struct sw_pipeline *pl);
struct script_builder sw_pipeline_builder(struct sw_pipeline *pl);
struct sw_port *sw_port_find(struct sw_pipeline *pl, const char *name);
struct sw_module *sw_module_find(struct sw_pipeline *pl, const char *name);
/* Claim queue qid of port for module `who` (rx or tx); positioned error. */
int sw_port_claim(struct sw_pipeline *pl, struct sw_port *p, bool rx, int qid,
		  const char *who, const struct script_pos *pos, struct kb_err *err);
/* Which port a module's "port" argument names. */
int sw_arg_port(struct sw_pipeline *pl, const struct script_args *a,
		const char *what, struct sw_port **out, struct kb_err *err);

int sw_pipeline_start(struct sw_pipeline *pl, struct kb_err *err);
int sw_pipeline_run(struct sw_pipeline *pl, struct kb_err *err);
void sw_pipeline_stop(struct sw_pipeline *pl);
void sw_pipeline_stats(struct sw_pipeline *pl, FILE *f);
void sw_pipeline_show(struct sw_pipeline *pl, FILE *f, bool ports, bool modules,
		      bool graph);
void sw_pipeline_free(struct sw_pipeline *pl);

/* Wait until every running worker has passed a loop boundary. */
void sw_pipeline_quiesce(struct sw_pipeline *pl);

/* PMDPort (sw_port.c) */
int sw_port_create(struct sw_pipeline *pl, const char *name,
		   const struct script_args *a, const struct script_pos *pos,
		   struct kb_err *err);
int sw_port_open(struct sw_pipeline *pl, struct sw_port *p, struct kb_err *err);
void sw_port_close(struct sw_port *p);
void sw_port_show(struct sw_port *p, FILE *f);

/* Worker loop (sw_worker.c) */
int sw_worker_main(void *arg);

#endif
