/* port_pmd: PMDPort, a DPDK ethdev (any vdev, PCI device or port id) whose
 * queues are claimed by exactly one QueueInc/QueueOut/PortInc/PortOut each
 * (port.h). */
#ifndef KB_SWITCH_PORT_PMD_H
#define KB_SWITCH_PORT_PMD_H

#include "port.h"

#endif
