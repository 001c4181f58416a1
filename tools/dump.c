/*
 * dump: `tip dump STORE...`: every record of every store, in (sensor,
 * segment, offset) order, as one JSON object per line on stdout:
 *
 *   {"sensor":"s1","segment":"20250101T000000Z-00000001","offset":32,
 *    "type":"dns","time":"2025-01-01T00:00:00.000000Z","ts_us":...,
 *    "clock_unset":false, ...the type's fields...}
 *
 *   dns     name, qtype (mnemonic or TYPEnnn), rcode, ttl, server (or
 *           null), a, aaaa, names (arrays); first, last, count when the
 *           record is coalesced (passive DNS style)
 *   enrich  ip, asn, as_name, country (or null), ptr
 *   score   name, n_a, n_asn, n_ns, lookups, score, margin, window
 *   event   kind, text
 *   other   type_num and payload (hex): types this version does not know
 *
 * Every string goes through the JSON writer (json.h), so hostile names
 * cannot break a line.  Faults go to stderr as FILE:OFFSET: reason and the
 * rest is still dumped.  The torn tail of the active segment (the newest,
 * without an index) is what a live sensor's store looks like: it is
 * printed as "FILE:OFFSET: warning: torn tail" and is no fault.  Exit 0,
 * 1 when there was any fault, 2 on a usage or output error.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnstype.h"
#include "json.h"
#include "seg.h"
#include "agg.h"
#include "rec_spam.h"
#include "store.h"
#include "tip.h"
#include "util.h"

struct dump {
	FILE *out;
	uint64_t records;
	uint64_t faults;
	char *hex;		/* payload hex, grown as needed */
	size_t hex_cap;
	char **active;		/* paths of the stores' active segments */
	size_t n_active;
};

/* Remember the newest segment of each store when it has no index. */
static void find_active(struct dump *dp, const struct store_set *set)
{
	dp->active = calloc(set->n ? set->n : 1, sizeof *dp->active);
	if (!dp->active)
		return;
	for (size_t i = 0; i < set->n; i++) {
		struct store_listing ls;
		char p[4200];
		if (store_list(set->dirs[i], &ls) < 0)
			continue;
		if (ls.n && !ls.segs[ls.n - 1].has_index) {
			store_seg_path(p, sizeof p, set->dirs[i], ls.segs[ls.n - 1].name, "tlog");
			dp->active[dp->n_active] = strdup(p);
			if (dp->active[dp->n_active])
				dp->n_active++;
		}
		store_listing_free(&ls);
	}
}

static int is_active(const struct dump *dp, const char *path)
{
	for (size_t i = 0; i < dp->n_active; i++)
		if (!strcmp(dp->active[i], path))
			return 1;
	return 0;
}

static void put_time(FILE *o, const char *key, int64_t us)
{
	char t[UTIL_TIME_MAX];
	if (util_fmt_time(t, sizeof t, us) == 0)
		fprintf(o, ",\"%s\":\"%s\"", key, t);
	else
		fprintf(o, ",\"%s\":null", key);
}

static void put_ip(FILE *o, int family, const uint8_t *addr)
{
	char t[INET6_ADDRSTRLEN];
	if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, t, sizeof t))
		fputs("null", o);
	else
		fprintf(o, "\"%s\"", t);
}

static void put_double(FILE *o, const char *key, double v)
{
	if (isfinite(v))
		fprintf(o, ",\"%s\":%.15g", key, v);
	else
		fprintf(o, ",\"%s\":null", key);
}

static void put_key_str(FILE *o, const char *key, const void *s, size_t n)
{
	fprintf(o, ",\"%s\":", key);
	json_put_str(o, s, n);
}

static void dump_dns(struct dump *dp, const struct rec *r)
{
	const struct rec_dns *d = &r->u.dns;
	FILE *o = dp->out;
	char qb[DNSTYPE_NAME_MAX];
	size_t off = 0, len;
	const char *nm;

	put_key_str(o, "name", d->name, d->name_len);
	fprintf(o, ",\"qtype\":\"%s\",\"rcode\":%u,\"ttl\":%lu,\"server\":",
		dnstype_name(d->qtype, qb), (unsigned)d->rcode, (unsigned long)d->ttl);
	if (d->server.family == 4 || d->server.family == 6)
		put_ip(o, d->server.family, d->server.addr);
	else
		fputs("null", o);
	fputs(",\"a\":[", o);
	for (uint32_t i = 0; i < d->n_a4; i++) {
		if (i)
			putc(',', o);
		put_ip(o, 4, d->a4 + 4 * (size_t)i);
	}
	fputs("],\"aaaa\":[", o);
	for (uint32_t i = 0; i < d->n_a6; i++) {
		if (i)
			putc(',', o);
		put_ip(o, 6, d->a6 + 16 * (size_t)i);
	}
	fputs("],\"names\":[", o);
	for (int first = 1; rec_dns_name_next(d, &off, &nm, &len); first = 0) {
		if (!first)
			putc(',', o);
		json_put_str(o, nm, len);
	}
	putc(']', o);
	if (r->flags & REC_F_COALESCED) {
		put_time(o, "first", r->ts_us);
		put_time(o, "last", d->ts_last_us);
		fprintf(o, ",\"count\":%llu", (unsigned long long)d->count);
	}
}

static void dump_raw(struct dump *dp, const struct rec *r)
{
	size_t need = 2 * r->u.raw.len + 1;
	fprintf(dp->out, ",\"type_num\":%u,\"payload\":", (unsigned)r->type);
	if (need > dp->hex_cap) {
		char *n = realloc(dp->hex, need);
		if (!n) {
			fputs("null", dp->out);
			return;
		}
		dp->hex = n;
		dp->hex_cap = need;
	}
	util_hex(dp->hex, r->u.raw.p, r->u.raw.len);
	fprintf(dp->out, "\"%s\"", dp->hex);
}

static void put_hex_key(FILE *o, const char *key, const uint8_t *p, size_t n)
{
	fprintf(o, ",\"%s\":\"", key);
	for (size_t i = 0; i < n; i++)
		fprintf(o, "%02x", p[i]);
	fputc('"', o);
}

/* A spam extract: everything it holds, strings escaped (they come from mail). */
static void dump_spam(FILE *o, const struct rec_spam *s)
{
	fprintf(o, ",\"op\":\"%s\"", s->op == REC_SPAM_EXTRACT ? "extract" : "repeat");
	put_hex_key(o, "digest", s->digest, 32);
	put_key_str(o, "source", s->source, s->source_len);
	if (s->op != REC_SPAM_EXTRACT)
		return;
	fprintf(o, ",\"bytes\":%llu,\"bad\":%lu,\"flags\":%u,\"parts\":%lu,\"sender\":",
		(unsigned long long)s->bytes, (unsigned long)s->bad, s->mflags, (unsigned long)s->parts);
	if (s->sender.family)
		put_ip(o, s->sender.family, s->sender.addr);
	else
		fputs("null", o);
	put_key_str(o, "subject", s->subject, s->subject_len);
	put_key_str(o, "from", s->from, s->from_len);
	put_key_str(o, "reply_to", s->reply, s->reply_len);
	put_key_str(o, "return_path", s->rpath, s->rpath_len);
	put_key_str(o, "message_id", s->msgid, s->msgid_len);
	size_t off = 0, len, dl;
	const char *p;
	fputs(",\"hosts\":[", o);
	for (int i = 0; rec_spam_host_next(s, &off, &p, &len, &dl); i++) {
		fputs(i ? ",{\"host\":" : "{\"host\":", o);
		json_put_str(o, p, len);
		fputs(",\"domain\":", o);
		if (dl)
			json_put_str(o, p + len - dl, dl);
		else
			fputs("null", o);
		fputc('}', o);
	}
	fputs("],\"urls\":[", o);
	off = 0;
	for (int i = 0; rec_spam_url_next(s, &off, &p, &len); i++) {
		if (i)
			fputc(',', o);
		json_put_str(o, p, len);
	}
	fprintf(o, "],\"urls_seen\":%lu,\"attachments\":[", (unsigned long)s->urls_seen);
	off = 0;
	struct rec_spam_att a;
	for (int i = 0; rec_spam_att_next(s, &off, &a); i++) {
		fputs(i ? ",{\"name\":" : "{\"name\":", o);
		json_put_str(o, a.name, a.name_len);
		fputs(",\"type\":", o);
		json_put_str(o, a.type, a.type_len);
		fprintf(o, ",\"size\":%llu", (unsigned long long)a.size);
		put_hex_key(o, "sha256", a.sha256, 32);
		fputc('}', o);
	}
	fputc(']', o);
	put_key_str(o, "name", s->name, s->name_len);
}

static const char *event_kind(uint8_t k, char buf[16])
{
	switch (k) {
	case REC_EV_START: return "start";
	case REC_EV_STOP: return "stop";
	case REC_EV_CONFIG: return "config";
	case REC_EV_NOTE: return "note";
	default:
		snprintf(buf, 16, "kind%u", (unsigned)k);
		return buf;
	}
}

static int on_rec(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		  const struct rec *r)
{
	struct dump *dp = ctx;
	FILE *o = dp->out;
	char kb[16];

	fputs("{\"sensor\":", o);
	json_put_str(o, sensor, strlen(sensor));
	put_key_str(o, "segment", seg->name, strlen(seg->name));
	fprintf(o, ",\"offset\":%llu,\"type\":\"%s\"", (unsigned long long)pos,
		rec_type_name(r->type));
	put_time(o, "time", r->ts_us);
	fprintf(o, ",\"ts_us\":%lld,\"clock_unset\":%s", (long long)r->ts_us,
		r->flags & REC_F_CLOCK_UNSET ? "true" : "false");
	switch (r->type) {
	case REC_DNS:
		dump_dns(dp, r);
		break;
	case REC_ENRICH: {
		const struct rec_enrich *e = &r->u.enrich;
		fputs(",\"ip\":", o);
		if (e->ip.family == 4 || e->ip.family == 6)
			put_ip(o, e->ip.family, e->ip.addr);
		else
			fputs("null", o);
		fprintf(o, ",\"asn\":%lu", (unsigned long)e->asn);
		put_key_str(o, "as_name", e->as_name, e->as_name_len);
		if (e->country[0] || e->country[1])
			put_key_str(o, "country", e->country, 2);
		else
			fputs(",\"country\":null", o);
		put_key_str(o, "ptr", e->ptr, e->ptr_len);
		break;
	}
	case REC_SCORE: {
		const struct rec_score *s = &r->u.score;
		put_key_str(o, "name", s->name, s->name_len);
		fprintf(o, ",\"n_a\":%lu,\"n_asn\":%lu,\"n_ns\":%lu,\"lookups\":%lu",
			(unsigned long)s->n_a, (unsigned long)s->n_asn, (unsigned long)s->n_ns,
			(unsigned long)s->lookups);
		put_double(o, "score", s->score);
		put_double(o, "margin", s->margin);
		fprintf(o, ",\"window\":\"%s\"", s->window ? "classification" : "running");
		break;
	}
	case REC_EVENT:
		fprintf(o, ",\"kind\":\"%s\"", event_kind(r->u.event.kind, kb));
		put_key_str(o, "text", r->u.event.text, r->u.event.text_len);
		break;
	case REC_FEED: {
		static const char *const ops[] = {"?", "listed", "delisted", "fetch"};
		static const char *const kinds[] = {"?", "domain", "ip", "cidr", "url"};
		static const char *const outcomes[] = {"ok", "not_modified", "failed"};
		const struct rec_feed *f = &r->u.feed;
		fprintf(o, ",\"op\":\"%s\"", ops[f->op <= 3 ? f->op : 0]);
		put_key_str(o, "source", f->source, f->source_len);
		if (f->op != REC_FEED_FETCH) {
			fprintf(o, ",\"kind\":\"%s\"", kinds[f->kind <= 4 ? f->kind : 0]);
			put_key_str(o, "value", f->value, f->value_len);
			if (f->host_len)
				put_key_str(o, "host", f->host, f->host_len);
			break;
		}
		fprintf(o, ",\"status\":%u,\"outcome\":\"%s\",\"bytes\":%llu,\"entries\":%llu,"
			   "\"added\":%llu,\"removed\":%llu,\"bad\":%llu,\"duration_us\":%llu",
			(unsigned)f->status, f->outcome <= 2 ? outcomes[f->outcome] : "?",
			(unsigned long long)f->bytes, (unsigned long long)f->entries,
			(unsigned long long)f->added, (unsigned long long)f->removed,
			(unsigned long long)f->bad, (unsigned long long)f->duration_us);
		put_key_str(o, "etag", f->etag, f->etag_len);
		put_key_str(o, "last_modified", f->last_modified, f->last_modified_len);
		put_key_str(o, "error", f->error, f->error_len);
		break;
	}
	case REC_SPAM:
		dump_spam(o, &r->u.spam);
		break;
	default:
		dump_raw(dp, r);
		break;
	}
	fputs("}\n", o);
	dp->records++;
	return ferror(o) ? 1 : 0;	/* stop when stdout is gone */
}

static void on_fault(void *ctx, const char *path, uint64_t off, const char *why)
{
	struct dump *dp = ctx;
	enum seg_fault kind = seg_fault_of(why);
	int warn = (kind == SEG_FAULT_TORN_TAIL || kind == SEG_FAULT_SHORT_HEADER) &&
		   is_active(dp, path);
	dp->faults += !warn;
	fflush(dp->out);	/* keep stdout and stderr in a readable order */
	util_fault(stderr, path, off, warn, "%s", why);
}

int cmd_dump(int argc, char **argv)
{
	struct store_set set = {0};
	struct dump dp = {.out = stdout};
	int rc = 0;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return tip_usage("dump");
	for (int i = 1, opts = 1; i < argc; i++) {
		const char *a = argv[i];
		if (opts && !strcmp(a, "--")) {
			opts = 0;
			continue;
		}
		if (opts && a[0] == '-') {
			fprintf(stderr, "tip dump: unknown option: ");
			util_put_text(stderr, a, strlen(a));
			fprintf(stderr, "\n");
			store_set_free(&set);
			return tip_usage("dump");
		}
		if (agg_cli_store(&set, "dump", a) < 0) {
			store_set_free(&set);
			return 2;
		}
	}
	if (!set.n) {
		store_set_free(&set);
		return tip_usage("dump");
	}
	find_active(&dp, &set);
	store_set_scan(&set, on_rec, on_fault, &dp);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "tip dump: write error on stdout\n");
		rc = 2;
	} else if (dp.faults) {
		rc = 1;
	}
	free(dp.hex);
	for (size_t i = 0; i < dp.n_active; i++)
		free(dp.active[i]);
	free(dp.active);
	store_set_free(&set);
	return rc;
}
