/* kb_place: where kbswitch and the VMs run by default when they share a
 * few CPUs (no -l / --lcores for kbswitch, no core_list for a VM).
 *
 * Measured on a 2-CPU host: two pollers spinning on one CPU collapse, and
 * rr p50 between two VMs through the switch went from 56 us (nothing
 * pinned) to 16 us with the switch alone on CPU 1 and both VMs on CPU 0.
 * The switch's worker serves every VM, so it gets a CPU of its own: the
 * last CPU the process may run on.  VMs float over the others, so they
 * never preempt the switch; with a single CPU everything shares it. */
#ifndef KB_PLACE_H
#define KB_PLACE_H

#include <sched.h>
#include <stddef.h>

/* The switch's CPU among allowed: the highest; -1 when allowed holds fewer
 * than 2 CPUs (no choice to make). */
int kb_place_switch_cpu(const cpu_set_t *allowed);

/* The CPUs a VM floats over: allowed minus the switch's CPU (all of
 * allowed when it holds fewer than 2).  The functions below read it. */
void kb_place_vm_set(const cpu_set_t *allowed, cpu_set_t *out);

/* The same CPUs as a list "0,1,2" in buf: allowed minus the
 * switch's CPU (all of allowed when it holds fewer than 2).  Returns the
 * number of CPUs, or -1 when buf is too small. */
int kb_place_vm_cpus(const cpu_set_t *allowed, char *buf, size_t len);

/* The CPU of a VM's application core `core` when no core_list pins it: the
 * (core mod n)-th of the n CPUs kb_place_vm_cpus() lists, so thread i of
 * an mTCP application (mtcp_core_affinitize(i)) never lands on the
 * switch's CPU.  -1 when allowed is empty or core is negative. */
int kb_place_vm_cpu(const cpu_set_t *allowed, int core);

#endif
