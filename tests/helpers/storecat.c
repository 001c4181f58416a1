/*
 * storecat: print everything a store holds, canonically, one fact a line.
 *
 *     storecat [-k] STORE...
 *
 * For the cross-architecture check (tests/cross/run.sh): the same store
 * must print the same bytes on every host, so the output depends on the
 * store's bytes only: no host paths (file names only), integers in
 * decimal, doubles as %.17g plus their IEEE bits, text escaped byte by
 * byte.  It prints the listing (segments, foreign files), the meta entry of
 * every index, every record found by store_set_scan with its segment and
 * offset, and every fault met.  With -k it then looks every key that the
 * records carry up through store_set_lookup (the CDB indexes of sealed
 * segments, a scan of the active one) and prints where it was found, and
 * "MISMATCH" when that differs from where the scan saw the key.
 * Exit status: 0, or 1 when a lookup disagreed with the scan.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "rec.h"
#include "seg.h"
#include "store.h"

static void put_text(const void *p, size_t n)
{
	const uint8_t *s = p;
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\')
			putchar(s[i]);
		else
			printf("\\x%02x", s[i]);
	}
	putchar('"');
}

static void put_ip(int family, const uint8_t *a)
{
	char t[64];
	if (family == 4 || family == 6)
		fputs(inet_ntop(family == 4 ? AF_INET : AF_INET6, a, t, sizeof t), stdout);
	else
		fputs("-", stdout);
}

static void put_double(double d)
{
	uint64_t bits;
	memcpy(&bits, &d, 8);
	printf("%.17g/0x%016" PRIx64, d, bits);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

static void put_rec(const char *sensor, const struct store_seg *seg, uint64_t pos,
		    const struct rec *r)
{
	printf("rec %s %" PRIu32 " %" PRIu64 " %s/%u f=0x%02x ts=%" PRId64, sensor, seg->seq, pos,
	       rec_type_name(r->type), r->type, r->flags, r->ts_us);
	switch (r->type) {
	case REC_DNS: {
		const struct rec_dns *d = &r->u.dns;
		size_t off = 0, len;
		const char *nm;
		printf(" name=");
		put_text(d->name, d->name_len);
		printf(" qtype=%u rcode=%u ttl=%" PRIu32 " server=", d->qtype, d->rcode, d->ttl);
		put_ip(d->server.family, d->server.addr);
		printf(" a4=[");
		for (uint32_t i = 0; i < d->n_a4; i++) {
			printf(i ? "," : "");
			put_ip(4, d->a4 + 4 * i);
		}
		printf("] a6=[");
		for (uint32_t i = 0; i < d->n_a6; i++) {
			printf(i ? "," : "");
			put_ip(6, d->a6 + 16 * i);
		}
		printf("] names=[");
		for (int i = 0; rec_dns_name_next(d, &off, &nm, &len); i++) {
			printf(i ? "," : "");
			put_text(nm, len);
		}
		printf("] n_names=%" PRIu32 " last=%" PRId64 " count=%" PRIu64, d->n_names,
		       d->ts_last_us, d->count);
		break;
	}
	case REC_ENRICH: {
		const struct rec_enrich *e = &r->u.enrich;
		printf(" ip=");
		put_ip(e->ip.family, e->ip.addr);
		printf(" asn=%" PRIu32 " as=", e->asn);
		put_text(e->as_name, e->as_name_len);
		printf(" cc=");
		put_text(e->country, 2);
		printf(" ptr=");
		put_text(e->ptr, e->ptr_len);
		break;
	}
	case REC_SCORE: {
		const struct rec_score *s = &r->u.score;
		printf(" name=");
		put_text(s->name, s->name_len);
		printf(" nA=%" PRIu32 " nASN=%" PRIu32 " nNS=%" PRIu32 " lookups=%" PRIu32 " score=",
		       s->n_a, s->n_asn, s->n_ns, s->lookups);
		put_double(s->score);
		printf(" margin=");
		put_double(s->margin);
		printf(" window=%u", s->window);
		break;
	}
	case REC_EVENT:
		printf(" kind=%u text=", r->u.event.kind);
		put_text(r->u.event.text, r->u.event.text_len);
		break;
	case REC_FEED: {
		const struct rec_feed *f = &r->u.feed;
		printf(" op=%u source=", f->op);
		put_text(f->source, f->source_len);
		if (f->op != REC_FEED_FETCH) {
			printf(" kind=%u value=", f->kind);
			put_text(f->value, f->value_len);
			printf(" host=");
			put_text(f->host, f->host_len);
			break;
		}
		printf(" status=%u outcome=%u bytes=%llu entries=%llu added=%llu removed=%llu "
		       "bad=%llu us=%llu etag=",
		       f->status, f->outcome, (unsigned long long)f->bytes,
		       (unsigned long long)f->entries, (unsigned long long)f->added,
		       (unsigned long long)f->removed, (unsigned long long)f->bad,
		       (unsigned long long)f->duration_us);
		put_text(f->etag, f->etag_len);
		printf(" lm=");
		put_text(f->last_modified, f->last_modified_len);
		printf(" error=");
		put_text(f->error, f->error_len);
		break;
	}
	case REC_SPAM: {
		const struct rec_spam *sp = &r->u.spam;
		printf(" op=%u digest=", sp->op);
		put_text(sp->digest, 32);
		printf(" source=");
		put_text(sp->source, sp->source_len);
		if (sp->op != REC_SPAM_EXTRACT)
			break;
		printf(" bytes=%llu bad=%lu flags=%u parts=%lu sender=%u:", (unsigned long long)sp->bytes,
		       (unsigned long)sp->bad, sp->mflags, (unsigned long)sp->parts, sp->sender.family);
		put_text(sp->sender.addr, sp->sender.family == 4 ? 4 : sp->sender.family == 6 ? 16 : 0);
		const char *f[5] = {sp->subject, sp->from, sp->reply, sp->rpath, sp->msgid};
		size_t fl[5] = {sp->subject_len, sp->from_len, sp->reply_len, sp->rpath_len, sp->msgid_len};
		for (int i = 0; i < 5; i++) {
			putchar(' ');
			put_text(f[i], fl[i]);
		}
		printf(" hosts=%lu:", (unsigned long)sp->n_hosts);
		put_text(sp->hosts, sp->hosts_len);
		printf(" urls=%lu:", (unsigned long)sp->n_urls);
		put_text(sp->urls, sp->urls_len);
		printf(" seen=%lu att=%lu:", (unsigned long)sp->urls_seen, (unsigned long)sp->n_att);
		put_text(sp->att, sp->att_len);
		printf(" name=");
		put_text(sp->name, sp->name_len);
		break;
	}
	default:
		printf(" raw=");
		put_text(r->u.raw.p, r->u.raw.len);
		break;
	}
	putchar('\n');
}

/* ---- keys seen by the scan ---------------------------------------------- */

struct ref {
	uint8_t key[INDEX_KEY_MAX];
	uint16_t klen;
	uint32_t store;		/* index in the set */
	uint32_t seq;
	uint64_t pos;
};

static struct ref *refs;
static size_t nrefs, caprefs;
static int collect;

static const struct store_set *the_set;

static uint32_t store_of(const char *sensor)
{
	for (size_t i = 0; i < the_set->n; i++)
		if (!strcmp(the_set->ids[i], sensor))
			return (uint32_t)i;
	return 0;
}

static struct ref ref_now;

static int add_key(void *ctx, const uint8_t *key, size_t klen)
{
	if (nrefs == caprefs) {
		caprefs = caprefs ? caprefs * 2 : 4096;
		refs = realloc(refs, caprefs * sizeof *refs);
		if (!refs) {
			perror("storecat");
			exit(2);
		}
	}
	struct ref *f = &refs[nrefs++];
	*f = ref_now;
	memcpy(f->key, key, klen);
	f->klen = (uint16_t)klen;
	return 0;
}

static int ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);
	if (c)
		return c;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	if (x->store != y->store)
		return x->store < y->store ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int on_rec(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		  const struct rec *r)
{
	put_rec(sensor, seg, pos, r);
	if (collect) {
		ref_now.store = store_of(sensor);
		ref_now.seq = seg->seq;
		ref_now.pos = pos;
		index_rec_keys(r, add_key, NULL);
	}
	return 0;
}

static void on_fault(void *ctx, const char *path, uint64_t off, const char *why)
{
	printf("fault %s %" PRIu64 " %s\n", base_name(path), off, why);
}

/* ---- lookups ------------------------------------------------------------ */

struct found {
	struct ref *v;
	size_t n, cap;
	unsigned faults;
};

static int on_found(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		    const struct rec *r)
{
	struct found *f = ctx;
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->v = realloc(f->v, f->cap * sizeof *f->v);
		if (!f->v) {
			perror("storecat");
			exit(2);
		}
	}
	f->v[f->n].store = store_of(sensor);
	f->v[f->n].seq = seg->seq;
	f->v[f->n].pos = pos;
	f->n++;
	return 0;
}

static void on_found_fault(void *ctx, const char *path, uint64_t off, const char *why)
{
	((struct found *)ctx)->faults++;
}

static int check_keys(const struct store_set *set)
{
	struct found f = {0};
	int bad = 0;
	qsort(refs, nrefs, sizeof *refs, ref_cmp);
	for (size_t i = 0; i < nrefs;) {
		size_t j = i + 1, k, m = 0;
		while (j < nrefs && refs[j].klen == refs[i].klen &&
		       !memcmp(refs[j].key, refs[i].key, refs[i].klen))
			j++;
		f.n = 0;
		f.faults = 0;
		store_set_lookup(set, refs[i].key, refs[i].klen, on_found, on_found_fault, &f);
		printf("key ");
		put_text(refs[i].key, refs[i].klen);
		printf(" found=%zu faults=%u:", f.n, f.faults);
		for (k = 0; k < f.n; k++)
			printf(" %" PRIu32 ":%" PRIu32 ":%" PRIu64, f.v[k].store, f.v[k].seq, f.v[k].pos);
		/* the scan's places, without repeats of one key in one record */
		int same = 1;
		for (k = i; k < j; k++) {
			if (k > i && !ref_cmp(&refs[k], &refs[k - 1]))
				continue;
			if (m >= f.n || f.v[m].store != refs[k].store || f.v[m].seq != refs[k].seq ||
			    f.v[m].pos != refs[k].pos)
				same = 0;
			m++;
		}
		if (!same || m != f.n) {
			printf(" MISMATCH scan:");
			for (k = i; k < j; k++)
				printf(" %" PRIu32 ":%" PRIu32 ":%" PRIu64, refs[k].store, refs[k].seq,
				       refs[k].pos);
			bad = 1;
		}
		putchar('\n');
		i = j;
	}
	free(f.v);
	return bad;
}

/* ---- listing ------------------------------------------------------------ */

static void list_store(const char *dir, const char *id)
{
	struct store_listing ls;
	char p[4200];
	if (store_list(dir, &ls) < 0) {
		printf("store %s unlistable\n", id);
		return;
	}
	printf("store %s segments=%zu foreign=%zu\n", id, ls.n, ls.n_foreign);
	for (size_t i = 0; i < ls.n_foreign; i++)
		printf("foreign %s\n", ls.foreign[i]);
	for (size_t i = 0; i < ls.n; i++) {
		const struct store_seg *s = &ls.segs[i];
		struct index ix;
		printf("seg %s seq=%" PRIu32 " start=%" PRId64 " size=%" PRIu64 " index=%d\n", s->name,
		       s->seq, s->start_us, s->size, s->has_index);
		if (!s->has_index)
			continue;
		store_seg_path(p, sizeof p, dir, s->name, "cdb");
		if (index_open(&ix, p) < 0) {
			printf("index %s unreadable\n", s->name);
			continue;
		}
		const struct index_meta *m = &ix.meta;
		printf("index %s v=%" PRIu32 " seq=%" PRIu32 " seg_size=%" PRIu64 " seal_off=%" PRIu64
		       " seal_crc=%08" PRIx32 " records=%" PRIu64 " ts=%" PRId64 "..%" PRId64
		       " keys=%" PRIu64 " types=",
		       s->name, m->version, m->seq, m->seg_size, m->seal_off, m->seal_crc, m->records,
		       m->ts_first_us, m->ts_last_us, m->keys);
		for (int t = 0; t < 8; t++)
			printf(t ? ",%" PRIu64 : "%" PRIu64, m->per_type[t]);
		putchar('\n');
		index_close(&ix);
	}
	store_listing_free(&ls);
}

int main(int argc, char **argv)
{
	struct store_set set = {0};
	char err[512];
	int i = 1, rc = 0;
	if (i < argc && !strcmp(argv[i], "-k")) {
		collect = 1;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: storecat [-k] STORE...\n");
		return 2;
	}
	for (; i < argc; i++)
		if (store_set_add(&set, argv[i], err, sizeof err) < 0) {
			fprintf(stderr, "storecat: %s\n", err);
			return 2;
		}
	the_set = &set;
	for (size_t s = 0; s < set.n; s++)
		list_store(set.dirs[s], set.ids[s]);
	store_set_scan(&set, on_rec, on_fault, NULL);
	if (collect)
		rc = check_keys(&set);
	store_set_free(&set);
	free(refs);
	return rc;
}
