/*
 * dnstype: DNS type mnemonics (dnstype.c): "A", "AAAA", ... and RFC 3597's
 * "TYPEnnn" for the rest, both ways.  No state: any thread may call them.
 */
#ifndef TIP_DNSTYPE_H
#define TIP_DNSTYPE_H

#include <stddef.h>
#include <stdint.h>

#define DNSTYPE_NAME_MAX 16	/* "TYPE65535" and a NUL, or a mnemonic */

/* The mnemonic of qtype, or "TYPEnnn" written into buf; the result is buf or a constant. */
const char *dnstype_name(uint16_t qtype, char buf[DNSTYPE_NAME_MAX]);

/*
 * Parse a DNS type mnemonic (case-insensitive), "*" (ANY) or "TYPEnnn"
 * from s[0..n).  0 with *qtype, or -1 when it is neither.
 */
int dnstype_parse(const char *s, size_t n, uint16_t *qtype);

#endif
