/*
 * spam: "seen in spam" for a key (spam.h).  Two passes: the extracts that
 * carry the key give the messages; one batched lookup of their digests
 * ('g' keys) gives every record of each message, repeats included, which
 * is its count and its first and last seen.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdefs.h"
#include "csv.h"
#include "json.h"
#include "util.h"
#include "index.h"
#include "rec_spam.h"
#include "spam.h"

struct ctx {
	struct agg_faults *faults;	/* first: agg_on_fault's contract */
	struct spam_result *res;
	int64_t since, until;
	int oom;
};

static struct spam_message *find(struct spam_result *res, const uint8_t *digest)
{
	for (size_t i = 0; i < res->n; i++)
		if (!memcmp(res->msgs[i].digest, digest, 32))
			return &res->msgs[i];
	return NULL;
}

static int on_extract(void *vc, const char *sensor, const struct store_seg *seg TIP_UNUSED,
		      uint64_t pos TIP_UNUSED, const struct rec *r)
{
	struct ctx *c = vc;
	struct spam_result *res = c->res;
	const struct rec_spam *s = &r->u.spam;
	if (r->type != REC_SPAM || s->op != REC_SPAM_EXTRACT || r->ts_us < c->since ||
	    r->ts_us > c->until || find(res, s->digest))
		return 0;
	if (res->n == res->cap) {
		size_t nc = res->cap ? res->cap * 2 : 16;
		struct spam_message *m = realloc(res->msgs, nc * sizeof *m);
		if (!m) {
			c->oom = 1;
			return 1;
		}
		res->msgs = m;
		res->cap = nc;
	}
	struct spam_message *m = &res->msgs[res->n++];
	memset(m, 0, sizeof *m);
	memcpy(m->digest, s->digest, 32);
	m->sender = s->sender;
	m->subject_len = s->subject_len < sizeof m->subject ? s->subject_len : sizeof m->subject - 1;
	memcpy(m->subject, s->subject, m->subject_len);
	size_t fl = s->from_len < sizeof m->from ? s->from_len : sizeof m->from - 1;
	memcpy(m->from, s->from, fl);
	snprintf(m->sensor, sizeof m->sensor, "%s", sensor);
	m->first_us = INT64_MAX;
	m->last_us = INT64_MIN;
	return 0;
}

static int on_digest(void *vc, size_t key_i, const char *sensor TIP_UNUSED,
		     const struct store_seg *seg TIP_UNUSED, uint64_t pos TIP_UNUSED, const struct rec *r)
{
	struct ctx *c = vc;
	if (r->type != REC_SPAM || key_i >= c->res->n ||
	    memcmp(r->u.spam.digest, c->res->msgs[key_i].digest, 32))
		return 0;
	struct spam_message *m = &c->res->msgs[key_i];
	m->count++;
	if (r->ts_us < m->first_us)
		m->first_us = r->ts_us;
	if (r->ts_us > m->last_us)
		m->last_us = r->ts_us;
	return 0;
}

static int by_first(const void *a, const void *b)
{
	const struct spam_message *x = a, *y = b;
	return x->first_us < y->first_us ? -1 : x->first_us > y->first_us;
}

int spam_lookup(const struct store_set *set, const uint8_t *key, size_t klen, int64_t since_us,
		int64_t until_us, struct spam_result *res, struct agg_faults *faults)
{
	struct ctx c = {faults, res, since_us, until_us, 0};
	memset(res, 0, sizeof *res);
	store_set_lookup(set, key, klen, on_extract, agg_on_fault, &c);
	if (c.oom)
		return -1;
	if (!res->n)
		return 0;
	uint8_t *kb = malloc(res->n * 33);
	const uint8_t **keys = malloc(res->n * sizeof *keys);
	size_t *lens = malloc(res->n * sizeof *lens);
	if (!kb || !keys || !lens) {
		free(kb);
		free(keys);
		free(lens);
		return -1;
	}
	for (size_t i = 0; i < res->n; i++) {
		lens[i] = index_key_bytes(kb + 33 * i, IX_DIGEST, res->msgs[i].digest, 32);
		keys[i] = kb + 33 * i;
	}
	store_set_lookup_many(set, keys, lens, res->n, on_digest, agg_on_fault, &c);
	free(kb);
	free(keys);
	free(lens);
	qsort(res->msgs, res->n, sizeof *res->msgs, by_first);
	res->first_us = INT64_MAX;
	res->last_us = INT64_MIN;
	for (size_t i = 0; i < res->n; i++) {
		res->count += res->msgs[i].count;
		if (res->msgs[i].first_us < res->first_us)
			res->first_us = res->msgs[i].first_us;
		if (res->msgs[i].last_us > res->last_us)
			res->last_us = res->msgs[i].last_us;
	}
	return 0;
}

void spam_result_free(struct spam_result *res)
{
	free(res->msgs);
	memset(res, 0, sizeof *res);
}

size_t spam_key_parse(uint8_t *out, uint8_t kind, const char *text)
{
	uint8_t a[32];
	if (kind == IX_SENDER) {
		if (inet_pton(AF_INET, text, a) == 1)
			return index_key_bytes(out, IX_SENDER, a, 4);
		if (inet_pton(AF_INET6, text, a) == 1)
			return index_key_bytes(out, IX_SENDER, a, 16);
		return 0;
	}
	if (kind == IX_ATTACH) {
		if (strlen(text) != 64)
			return 0;
		for (int i = 0; i < 32; i++) {
			unsigned v;
			char h[3] = {text[2 * i], text[2 * i + 1], 0};
			char *end;
			if (!((h[0] >= '0' && h[0] <= '9') || ((h[0] | 32) >= 'a' && (h[0] | 32) <= 'f')))
				return 0;
			v = (unsigned)strtoul(h, &end, 16);
			if (*end)
				return 0;
			a[i] = (uint8_t)v;
		}
		return index_key_bytes(out, IX_ATTACH, a, 32);
	}
	return index_key_kind(out, IX_MAILNAME, text, strlen(text));
}

/* ---- export (tip export --records spam) ----------------------------------------------------- */

static void sx_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void sx_ip(FILE *f, const struct rec_ip *ip)
{
	char t[INET6_ADDRSTRLEN] = "";
	if (ip->family)
		inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->addr, t, sizeof t);
	fputs(t, f);
}

/*
 * The next item of one list of a spam extract: 'h' hosts, 'd' their
 * registered domains ("" for an address), 'u' URLs (in *p, *len), or any
 * other letter, attachments (in *a).  0 at the end.
 */
static int sx_next(const struct rec_spam *s, int what, size_t *off, const char **p, size_t *len,
		   struct rec_spam_att *a)
{
	size_t dl;
	if (what == 'h' || what == 'd') {
		if (!rec_spam_host_next(s, off, p, len, &dl))
			return 0;
		if (what == 'd') {
			*p += *len - dl;
			*len = dl;
		}
		return 1;
	}
	if (what == 'u')
		return rec_spam_url_next(s, off, p, len);
	return rec_spam_att_next(s, off, a);
}

#define SX_IS_LIST_OF_NAMES(what) ((what) == 'h' || (what) == 'd' || (what) == 'u')

/* A CSV field of items joined by spaces (names and URLs carry none). */
static void sx_csv_list(FILE *f, const struct rec_spam *s, int what)
{
	size_t off = 0, len = 0;
	const char *p = NULL;
	char *buf = NULL;
	size_t blen = 0;
	FILE *m = open_memstream(&buf, &blen);
	if (!m)
		return;
	struct rec_spam_att a;
	for (int i = 0; sx_next(s, what, &off, &p, &len, &a); i++) {
		if (!SX_IS_LIST_OF_NAMES(what)) {
			if (i)
				fputc(' ', m);
			sx_hex(m, a.sha256, 32);
			continue;
		}
		if (!len)
			continue;
		if (i)
			fputc(' ', m);
		fwrite(p, 1, len, m);
	}
	fclose(m);
	csv_put(f, buf ? buf : "", blen);
	free(buf);
}

/* A JSON array of one list; domains keep "" for an address, so the arrays stay parallel. */
static void sx_json_list(FILE *f, const char *key, const struct rec_spam *s, int what)
{
	size_t off = 0, len = 0;
	const char *p = NULL;
	struct rec_spam_att a;
	fprintf(f, ",\"%s\":[", key);
	for (int i = 0; sx_next(s, what, &off, &p, &len, &a); i++) {
		fputs(i ? "," : "", f);
		if (SX_IS_LIST_OF_NAMES(what)) {
			json_put_str(f, p, len);
		} else if (what == 'n') {
			json_put_str(f, a.name, a.name_len);
		} else if (what == 't') {
			json_put_str(f, a.type, a.type_len);
		} else if (what == 'z') {
			fprintf(f, "%llu", (unsigned long long)a.size);
		} else {
			fputc('"', f);
			sx_hex(f, a.sha256, 32);
			fputc('"', f);
		}
	}
	fputc(']', f);
}

/* One spam record as a row (agg_row_fn). */
static int spam_row(FILE *f, int clickhouse, const char *sensor, const struct rec *r)
{
	const struct rec_spam *s = &r->u.spam;
	const char *op = s->op == REC_SPAM_EXTRACT ? "extract" : "repeat";
	int ex = s->op == REC_SPAM_EXTRACT;
	if (clickhouse) {
		fputs("{\"sensor\":", f);
		json_put_str(f, sensor, strlen(sensor));
		fprintf(f, ",\"time\":%lld,\"time_us\":%lld,\"op\":\"%s\",\"digest\":\"",
			(long long)(r->ts_us >= 0 ? r->ts_us / 1000000 : 0), (long long)r->ts_us, op);
		sx_hex(f, s->digest, 32);
		fputs("\",\"source\":", f);
		json_put_str(f, s->source, s->source_len);
		fputs(",\"name\":", f);
		json_put_str(f, s->name, s->name_len);
		fprintf(f, ",\"bytes\":%llu,\"bad\":%lu,\"flags\":%u,\"parts\":%lu,\"sender\":\"",
			(unsigned long long)(ex ? s->bytes : 0), (unsigned long)(ex ? s->bad : 0),
			ex ? s->mflags : 0, (unsigned long)(ex ? s->parts : 0));
		if (ex)
			sx_ip(f, &s->sender);
		fputs("\",\"subject\":", f);
		json_put_str(f, s->subject, ex ? s->subject_len : 0);
		fputs(",\"from\":", f);
		json_put_str(f, s->from, ex ? s->from_len : 0);
		fputs(",\"reply_to\":", f);
		json_put_str(f, s->reply, ex ? s->reply_len : 0);
		fputs(",\"return_path\":", f);
		json_put_str(f, s->rpath, ex ? s->rpath_len : 0);
		fputs(",\"message_id\":", f);
		json_put_str(f, s->msgid, ex ? s->msgid_len : 0);
		struct rec_spam none = {0};
		const struct rec_spam *l = ex ? s : &none;
		sx_json_list(f, "hosts", l, 'h');
		sx_json_list(f, "domains", l, 'd');
		sx_json_list(f, "urls", l, 'u');
		fprintf(f, ",\"urls_seen\":%lu", (unsigned long)(ex ? s->urls_seen : 0));
		sx_json_list(f, "att_name", l, 'n');
		sx_json_list(f, "att_type", l, 't');
		sx_json_list(f, "att_size", l, 'z');
		sx_json_list(f, "att_sha256", l, 's');
		fputs("}\n", f);
	} else {
		char t[40];
		util_fmt_time(t, sizeof t, r->ts_us);
		csv_puts(f, sensor);
		fprintf(f, ",%s,%s,", t, op);
		sx_hex(f, s->digest, 32);
		fputc(',', f);
		csv_put(f, s->source, s->source_len);
		fputc(',', f);
		csv_put(f, s->name, s->name_len);
		if (!ex) {
			fputs(",,,,,,,,,,,,\r\n", f);
		} else {
			fprintf(f, ",%llu,", (unsigned long long)s->bytes);
			sx_ip(f, &s->sender);
			fputc(',', f);
			csv_put(f, s->subject, s->subject_len);
			fputc(',', f);
			csv_put(f, s->from, s->from_len);
			fputc(',', f);
			csv_put(f, s->reply, s->reply_len);
			fputc(',', f);
			csv_put(f, s->rpath, s->rpath_len);
			fputc(',', f);
			csv_put(f, s->msgid, s->msgid_len);
			fputc(',', f);
			sx_csv_list(f, s, 'h');
			fputc(',', f);
			sx_csv_list(f, s, 'd');
			fputc(',', f);
			sx_csv_list(f, s, 'u');
			fprintf(f, ",%lu,", (unsigned long)s->urls_seen);
			sx_csv_list(f, s, 's');
			fputs("\r\n", f);
		}
	}
	return ferror(f) ? 1 : 0;
}

uint64_t spam_export(const struct store_set *set, FILE *out, int clickhouse, int64_t since,
		     int64_t until, struct agg_faults *faults)
{
	return agg_export(set, REC_SPAM,
			  "sensor,time,op,digest,source,name,bytes,sender,subject,from,reply_to,"
			  "return_path,message_id,hosts,domains,urls,urls_seen,attachments_sha256\r\n",
			  spam_row, out, clickhouse, since, until, faults);
}
