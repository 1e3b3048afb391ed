/* kb_parse: value parsers shared by the switch script, the VM config and the
 * apps, so a MAC or an address means the same thing everywhere. All return 0
 * on success and -1 on malformed input, touching *out only on success. */
#ifndef KB_PARSE_H
#define KB_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* "02:00:00:00:00:01" (also '-' separated). */
int kb_parse_mac(const char *s, uint8_t mac[6]);
/* Dotted quad into network byte order. */
int kb_parse_ipv4(const char *s, uint32_t *ip_be);
/* "a.b.c.d/len" (len 0..32); a bare address means /32. */
int kb_parse_cidr(const char *s, uint32_t *ip_be, uint8_t *prefix);
/* Decimal, 0x hex; whole string; min <= v <= max. */
int kb_parse_int(const char *s, long long min, long long max, long long *out);
/* yes/no, true/false, on/off, 1/0 */
int kb_parse_bool(const char *s, bool *out);

/* "02:00:00:00:00:01" into buf (18 bytes at least). */
const char *kb_fmt_mac(const uint8_t mac[6], char *buf);
/* Dotted quad into buf (16 bytes at least). */
const char *kb_fmt_ipv4(uint32_t ip_be, char *buf);

static inline bool kb_is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

#endif
