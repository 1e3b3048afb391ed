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

void kb_place_vm_set(const cpu_set_t *allowed, cpu_set_t *out)
{
	int sw = kb_place_switch_cpu(allowed);

	CPU_ZERO(out);
	CPU_OR(out, out, allowed);
	if (sw >= 0)
		CPU_CLR(sw, out);
}

int kb_place_vm_cpus(const cpu_set_t *allowed, char *buf, size_t len)
{
	cpu_set_t vm;
	int n = 0;
	size_t o = 0;

	if (!len)
		return -1;
	kb_place_vm_set(allowed, &vm);
	buf[0] = '\0';
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, &vm))
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
	cpu_set_t vm;

	kb_place_vm_set(allowed, &vm);
	if (core < 0 || CPU_COUNT(&vm) == 0)
		return -1;
	for (int i = 0, k = core % CPU_COUNT(&vm); i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &vm) && k-- == 0)
			return i;
	return -1;
}
