/*
 * cof: COF NDJSON lines into DNS observations (cof.h).
 *
 * A line is parsed whole by the strict JSON parser into the struct's
 * arrays, then mapped field by field; every failure names the field and,
 * where it can, the column of the offending value.  Nothing is written to
 * the record until the whole line has checked, so a malformed line leaves
 * no half-record behind.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cof.h"
#include "dnstype.h"
#include "util.h"

#define MAX_SECONDS 253402300799LL	/* 9999-12-31T23:59:59Z */

struct cof *cof_new(void)
{
	struct cof *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->vals = calloc(COF_VALS_MAX, sizeof *c->vals);
	c->str = malloc(COF_LINE_MAX + 1);
	c->a4 = malloc((size_t)COF_RDATA_MAX * 4);
	c->a6 = malloc((size_t)COF_RDATA_MAX * 16);
	c->names_cap = COF_LINE_MAX;
	c->names = malloc(c->names_cap);
	if (!c->vals || !c->str || !c->a4 || !c->a6 || !c->names) {
		cof_free(c);
		return NULL;
	}
	return c;
}

void cof_free(struct cof *c)
{
	if (!c)
		return;
	free(c->vals);
	free(c->str);
	free(c->a4);
	free(c->a6);
	free(c->names);
	free(c);
}

int cof_name_norm(char *out, size_t *outlen, const char *s, size_t n)
{
	if (n && s[n - 1] == '.')
		n--;
	if (n > REC_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		out[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
	}
	*outlen = n;
	return 0;
}

/* A reason that quotes (escaped, shortened) part of the input. */
static const char *why_q(struct cof *c, const char *what, const char *s, size_t n)
{
	char q[64];
	util_text(q, sizeof q, s, n);
	snprintf(c->why, sizeof c->why, "%s \"%s\"", what, q);
	return c->why;
}

static int is_name_type(uint16_t t)
{
	return t == 2 || t == 5 || t == 12 || t == 39;	/* NS CNAME PTR DNAME */
}

static int get_time(const struct json_val *v, int64_t *out)
{
	int64_t t;
	if (v->type != JSON_NUMBER || json_int64(v, &t) < 0 || t < 0 || t > MAX_SECONDS)
		return -1;
	*out = t;
	return 0;
}

/* One rdata value into the answer arrays.  0, or -1 with *why. */
static int add_rdata(struct cof *c, uint16_t qtype, const struct json_val *v, struct rec_dns *d,
		     const char **why)
{
	char name[REC_NAME_MAX + 1];
	size_t nlen;
	if (v->type != JSON_STRING) {
		*why = "rdata holds a value that is not a string";
		return -1;
	}
	if (d->n_a4 + d->n_a6 + d->n_names >= COF_RDATA_MAX) {
		*why = "too many rdata values";
		return -1;
	}
	/* inet_pton stops at a NUL: a string with one inside is no address */
	int text = strlen(v->s) == v->len;
	if (qtype == 1) {
		if (!text || inet_pton(AF_INET, v->s, c->a4 + 4 * (size_t)d->n_a4) != 1) {
			*why = why_q(c, "rdata is not an IPv4 address:", v->s, v->len);
			return -1;
		}
		d->n_a4++;
		return 0;
	}
	if (qtype == 28) {
		if (!text || inet_pton(AF_INET6, v->s, c->a6 + 16 * (size_t)d->n_a6) != 1) {
			*why = why_q(c, "rdata is not an IPv6 address:", v->s, v->len);
			return -1;
		}
		d->n_a6++;
		return 0;
	}
	if (is_name_type(qtype)) {
		if (cof_name_norm(name, &nlen, v->s, v->len) < 0)
			goto long_value;
	} else {
		if (v->len > REC_NAME_MAX)
			goto long_value;
		memcpy(name, v->s, v->len);
		nlen = v->len;
	}
	if (rec_names_add(c->names, c->names_cap, &d->names_len, name, nlen) < 0) {
		*why = "rdata too large";
		return -1;
	}
	d->n_names++;
	return 0;
long_value:
	*why = "rdata value longer than 255 bytes";
	return -1;
}

int cof_parse_line(struct cof *c, const char *line, size_t len, const char **why, size_t *col)
{
	enum { F_RRNAME, F_RRTYPE, F_RDATA, F_FIRST, F_LAST, F_COUNT, F_SENSOR, NF };
	static const char *const fields[NF] = {"rrname", "rrtype", "rdata", "time_first",
					       "time_last", "count", "sensor_id"};
	const struct json_val *f[NF] = {0};
	struct rec_dns d;
	int64_t first, last, count = 1;
	uint16_t qtype;
	size_t i;

	*why = NULL;
	*col = 0;
	if (len && line[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t')
			break;
	if (i == len)
		return 0;
	if (len > COF_LINE_MAX) {
		*why = "line too long";
		return -1;
	}
	json_doc_init(&c->doc, c->vals, COF_VALS_MAX, c->str, COF_LINE_MAX + 1, 16);
	if (json_parse(&c->doc, line, len) < 0) {
		snprintf(c->why, sizeof c->why, "bad JSON: %s", c->doc.err);
		*why = c->why;
		*col = c->doc.err_col;
		return -1;
	}
	const struct json_val *root = json_root(&c->doc);
	if (root->type != JSON_OBJECT) {
		*why = "not a JSON object";
		*col = 1;
		return -1;
	}
	for (const struct json_val *m = json_first(&c->doc, root); m; m = json_next(&c->doc, m)) {
		for (int k = 0; k < NF; k++) {
			if (strlen(fields[k]) != m->key_len || memcmp(fields[k], m->key, m->key_len))
				continue;
			if (f[k]) {
				snprintf(c->why, sizeof c->why, "duplicate field \"%s\"", fields[k]);
				*why = c->why;
				*col = m->off + 1;
				return -1;
			}
			f[k] = m;
		}
	}
	for (int k = 0; k < F_COUNT; k++)
		if (!f[k]) {
			snprintf(c->why, sizeof c->why, "missing field \"%s\"", fields[k]);
			*why = c->why;
			return -1;
		}

	memset(&d, 0, sizeof d);
	/* rrname */
	if (f[F_RRNAME]->type != JSON_STRING) {
		*why = "rrname is not a string";
		goto at;
	}
	if (f[F_RRNAME]->len == 0) {
		*why = "rrname is empty";
		goto at;
	}
	if (cof_name_norm(c->name, &d.name_len, f[F_RRNAME]->s, f[F_RRNAME]->len) < 0) {
		*why = "rrname longer than 255 bytes";
		goto at;
	}
	d.name = c->name;

	/* rrtype */
	const struct json_val *v = f[F_RRTYPE];
	if (v->type == JSON_STRING) {
		if (dnstype_parse(v->s, v->len, &qtype) < 0) {
			*why = why_q(c, "unknown rrtype", v->s, v->len);
			*col = v->off + 1;
			return -1;
		}
	} else {
		int64_t t;
		if (v->type != JSON_NUMBER || json_int64(v, &t) < 0 || t < 0 || t > 65535) {
			*why = "rrtype is neither a type name nor a number 0-65535";
			*col = v->off + 1;
			return -1;
		}
		qtype = (uint16_t)t;
	}
	d.qtype = qtype;

	/* rdata: a string or a list of strings */
	v = f[F_RDATA];
	d.a4 = c->a4;
	d.a6 = c->a6;
	d.names = c->names;
	if (v->type == JSON_ARRAY) {
		if (!v->n) {
			*why = "rdata is an empty list";
			*col = v->off + 1;
			return -1;
		}
		for (const struct json_val *e = json_first(&c->doc, v); e; e = json_next(&c->doc, e))
			if (add_rdata(c, qtype, e, &d, why) < 0) {
				*col = e->off + 1;
				return -1;
			}
	} else if (add_rdata(c, qtype, v, &d, why) < 0) {
		if (v->type != JSON_STRING)
			*why = "rdata is neither a string nor a list";
		*col = v->off + 1;
		return -1;
	}

	/* times and count */
	if (get_time(f[F_FIRST], &first) < 0) {
		*why = "time_first is not a time in Unix seconds";
		*col = f[F_FIRST]->off + 1;
		return -1;
	}
	if (get_time(f[F_LAST], &last) < 0) {
		*why = "time_last is not a time in Unix seconds";
		*col = f[F_LAST]->off + 1;
		return -1;
	}
	if (last < first) {
		*why = "time_last is before time_first";
		*col = f[F_LAST]->off + 1;
		return -1;
	}
	if (f[F_COUNT]) {
		v = f[F_COUNT];
		if (v->type != JSON_NUMBER || json_int64(v, &count) < 0 || count < 0) {
			*why = "count is not a whole number >= 0";
			*col = v->off + 1;
			return -1;
		}
	}

	/* sensor_id: the importer decides what to do with it */
	c->sensor_id = NULL;
	c->sensor_id_len = 0;
	if ((v = f[F_SENSOR])) {
		if (v->type != JSON_STRING && v->type != JSON_NUMBER) {
			*why = "sensor_id is neither a string nor a number";
			*col = v->off + 1;
			return -1;
		}
		c->sensor_id = v->s;
		c->sensor_id_len = v->len;
	}

	memset(&c->rec, 0, sizeof c->rec);
	c->rec.type = REC_DNS;
	c->rec.flags = REC_F_COALESCED;
	c->rec.ts_us = first * 1000000;
	d.ts_last_us = last * 1000000;
	d.count = (uint64_t)count;
	c->rec.u.dns = d;
	return 1;
at:
	*col = f[F_RRNAME]->off + 1;
	return -1;
}
