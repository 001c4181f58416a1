/*
 * passivedns: gamelinux/passivedns log lines into DNS observation records.
 *
 * One line is one resource record of one answer, fields separated by "||":
 *     ts||client||server||class||query||type||answer||ttl||count
 *     1322849924.408856||10.1.1.1||8.8.8.8||IN||upload.youtube.com.||A||74.125.43.117||46587||5
 * (count may be missing: older versions print eight fields).  A response
 * with several answers is several consecutive lines; consecutive lines of
 * the same query name, type, server, outcome and second are grouped into
 * one observation, as the sensor would have recorded the lookup.
 * Mapping to struct rec (REC_DNS):
 *   ts       -> ts_us (seconds and up to six decimals)
 *   client   -> checked to be an address, not stored (it is a user's)
 *   server   -> server (IPv4 or IPv6)
 *   class    -> only IN is imported; another class is reported and skipped
 *   query    -> name, normalised like COF rrnames (cof_name_norm)
 *   type     -> qtype: a mnemonic, "TYPEnnn" or a number
 *   answer   -> A: a4, AAAA: a6, NS/CNAME/PTR/DNAME: names (normalised),
 *               any other type: the text as a name (<= 255 bytes);
 *               "NXDOMAIN" (passivedns's NXDOMAIN logging): rcode 3, no answer
 *   ttl      -> the smallest TTL of the group
 *   count    -> the largest count of the group; above 1 the record is
 *               coalesced (REC_F_COALESCED, last seen = ts, count)
 * Limits: PDNS_ANSWERS_MAX addresses and PDNS_NAMES_MAX bytes of names per
 * observation; a larger group is split into several observations.
 * Ownership: the record handed out points into the struct pdns and is
 * valid until the next pdns_feed or pdns_flush.
 */
#ifndef TIP_PASSIVEDNS_H
#define TIP_PASSIVEDNS_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

#define PDNS_ANSWERS_MAX 4096u
#define PDNS_NAMES_MAX 65536u
#define PDNS_WHY_MAX 160

struct pdns;

/* A parser (about 200 KB).  NULL when out of memory. */
struct pdns *pdns_new(void);
void pdns_free(struct pdns *p);

/*
 * Feed one line (without its newline; a final '\r' is ignored).
 *  1: the line began a new observation and the previous one is complete:
 *     *out is it;
 *  0: the line joined the pending observation, or was blank;
 * -1: the line is malformed (or of a class other than IN): *why says why
 *     (static or in the parser) and *col the 1-based column it points at
 *     (0: the whole line); the pending observation is untouched.
 */
int pdns_feed(struct pdns *p, const char *line, size_t len, const struct rec **out,
	      const char **why, size_t *col);

/* End of a file: 1 with the pending observation in *out, 0 when none. */
int pdns_flush(struct pdns *p, const struct rec **out);

#endif
