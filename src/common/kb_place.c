#include "kb_place.h"

#include <stdio.h>

int kb_place_switch_cpu(const cpu_set_t *allowed)
{
	if (CPU_COUNT(allowed) < 2)
		return -1;
	for (int i = CPU_SETSIZE - 1; i >= 0; i--)
		if (CPU_ISSET(i, allowed))
			return i;
	return -1;
}

int kb_place_vm_cpus(const cpu_set_t *allowed, char *buf, size_t len)
{
	int sw = kb_place_switch_cpu(allowed), n = 0;
	size_t o = 0;

	if (!len)
		return -1;
	buf[0] = '\0';
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, allowed) || i == sw)
			continue;
		int w = snprintf(buf + o, len - o, "%s%d", n ? "," : "", i);

		if (w < 0 || (size_t)w >= len - o)
			return -1;
		o += (size_t)w;
		n++;
	}
	return n;
}

int kb_place_vm_cpu(const cpu_set_t *allowed, int core)
{
	int sw = kb_place_switch_cpu(allowed), n = CPU_COUNT(allowed) - (sw >= 0);

	if (core < 0 || n <= 0)
		return -1;
	for (int i = 0, k = core % n; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, allowed) || i == sw)
			continue;
		if (k-- == 0)
			return i;
	}
	return -1;
}
