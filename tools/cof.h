/*
 * cof: Passive DNS Common Output Format (draft-dulaunoy-dnsop-passive-dns-cof)
 * lines into DNS observation records.
 *
 * One NDJSON line is one RRset seen between time_first and time_last:
 *     {"rrname":"www.example.com.","rrtype":"A","rdata":["192.0.2.1"],
 *      "time_first":1700000000,"time_last":1700003600,"count":7,
 *      "sensor_id":"s1"}
 * Mapping to struct rec (REC_DNS, REC_F_COALESCED):
 *   rrname      -> name, ASCII lower-cased, one final dot removed ("." is
 *                  the root, an empty name); at most 255 bytes
 *   rrtype      -> qtype: a mnemonic ("A", "mx"), "TYPEnnn", or a number
 *   rdata       -> a string or a list of strings (both accepted):
 *                  A: IPv4 addresses (a4); AAAA: IPv6 addresses (a6);
 *                  NS, CNAME, PTR, DNAME: names, normalised like rrname;
 *                  any other type: each value as it is (names), <= 255 bytes
 *   time_first  -> ts_us, time_last -> ts_last_us (Unix seconds, integral,
 *                  0..9999-12-31, time_last >= time_first)
 *   count       -> count (optional, default 1, >= 0)
 *   sensor_id   -> c->sensor_id (a string or number, optional; the store,
 *                  not the record, carries the sensor)
 *   rcode 0, ttl 0, no server.  Every other field is ignored; a field the
 *   mapping uses may not appear twice.
 *
 * Limits: a line of at most COF_LINE_MAX bytes, COF_RDATA_MAX rdata values,
 * COF_VALS_MAX JSON values in all.
 * Ownership: the record and sensor_id point into the struct cof (and, for
 * numbers, the line); they are valid until the next cof_parse_line.
 */
#ifndef TIP_COF_H
#define TIP_COF_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "rec.h"

#define COF_LINE_MAX (1u << 20)
#define COF_RDATA_MAX 8192u	/* a DNS message holds at most ~4000 A records */
#define COF_VALS_MAX 16384u	/* JSON values in one line */
#define COF_WHY_MAX 160

struct cof {
	struct json_doc doc;
	struct json_val *vals;
	char *str;
	char name[REC_NAME_MAX + 1];
	uint8_t *a4;		/* COF_RDATA_MAX * 4 */
	uint8_t *a6;		/* COF_RDATA_MAX * 16 */
	uint8_t *names;		/* COF_LINE_MAX: each name is shorter than its text */
	size_t names_cap;
	const char *sensor_id;	/* NULL when the line has none */
	size_t sensor_id_len;
	struct rec rec;
	char why[COF_WHY_MAX];
};

/* A parser with its buffers (a few MB).  NULL when out of memory. */
struct cof *cof_new(void);
void cof_free(struct cof *c);

/*
 * Map one line (without its newline; a final '\r' is ignored).  1 with
 * c->rec set; 0 when the line is blank (nothing to import, no error); -1
 * when it is malformed: *why (in c->why or static) and *col, the 1-based
 * column the reason points at (0 when it concerns the whole line).
 */
int cof_parse_line(struct cof *c, const char *line, size_t len, const char **why, size_t *col);

/* Normalise a DNS name as rrname is: 0 with out[0..*outlen), -1 too long. */
int cof_name_norm(char *out, size_t *outlen, const char *s, size_t n);

#endif
