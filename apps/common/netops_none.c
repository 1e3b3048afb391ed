/* Built when libkbnet is not available: apps run over Linux sockets only. */
#include "kb_netops.h"

const struct kb_netops *const kb_netops_mtcp = NULL;
