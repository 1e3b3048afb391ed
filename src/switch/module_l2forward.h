/* L2Forward's edits for kbctl (the script uses its commands). */
#ifndef KB_SWITCH_MODULE_L2FORWARD_H
#define KB_SWITCH_MODULE_L2FORWARD_H

#include "module.h"

extern const struct module_class mod_l2forward;

int l2fwd_add(struct module *m, const uint8_t mac[6], int gate, struct kb_err *err);
int l2fwd_del(struct module *m, const uint8_t mac[6], struct kb_err *err);

#endif
