/*
 * mod_fastflux: the fast-flux monitor.  Candidate domains come from the
 * bus (watch list, `tip submit`); each is resolved with resolver.h, its
 * addresses mapped to origin ASNs (Team Cymru TXT or the offline table of
 * asn_db.h), and scored with the Holz score of flux_score.h.
 *
 * Per domain: one struct ffdom in a hash table by name, with one set of
 * running totals since first seen (unique A, ASNs, NS names; answers and
 * records per answer for fluxiness), first and last seen, lookups, TTL
 * and the score last written.  The classification window is the first
 * `window` lookups with answers, which are a prefix of the running totals:
 * its verdict is the running verdict at the moment the window fills, so
 * it is kept as a snapshot (score and counts) rather than as a second copy
 * of the sets, halving the memory of a domain.  Memory per domain is
 * bounded by the set caps (refusals counted) and the number of domains by
 * max-domains and the first-lookup queue.
 *
 * Policy: NEW -> first lookup -> WINDOW, re-looked up when its TTL
 * expires (clamped to [ttl-min, ttl-max]); when the window is full (and
 * the ASNs of its addresses are known) the domain is FLUX or BENIGN.
 * FLUX domains stay watched at their TTL; BENIGN ones double their
 * interval after every lookup that brought no new address, up to
 * benign-max, and become FLUX if their running totals cross the
 * threshold.  Failed lookups back off from ttl-min.  A domain with no A
 * answer (and no new candidate) for `expire` is dropped.
 *
 * Timing: due times live in a binary heap (monotonic clock of clock.h);
 * one one-shot scheduler task is set for the earliest of them and wakes
 * the module's task, which also runs on new candidates; every answer
 * starts the next due lookups, so the resolver stays busy without a timer
 * per domain.  At most `lookups` domains are in flight.  Enrichment is
 * per address (enrich.h): a cache of at most enrich-cache entries (LRU)
 * with a TTL, fed by a bounded FIFO of TXT and PTR questions, of which
 * this module asks at most enrich-inflight at once; domains waiting for
 * an ASN keep the address in a small pending list, settled when answers
 * have come.
 *
 * Store: one REC_DNS per lookup (A, and NS for double flux) with the whole
 * answer set, TTL, rcode (or an RCODE_* outcome) and server; REC_ENRICH
 * when an address's ASN, country or PTR is learned or changes; REC_SCORE
 * (window 0) whenever the running score or nNS changes and one (window 1) when
 * the window's verdict is made.  At start the module replays its own
 * store (REC_DNS, REC_ENRICH, REC_SCORE and candidate notes) into the same
 * structures; a lookup's answer changes a domain only through the REC_DNS
 * made of it (dom_apply, live and replayed alike), so a restart loses
 * neither score nor first seen.
 *
 * Loop thread only.  Every resolver handle is owned by a struct ffjob on
 * the active list; stop cancels them all (no callbacks) before freeing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "asn_db.h"
#include "cdefs.h"
#include "clock.h"
#include "cymru.h"
#include "enrich.h"
#include "fastflux.h"
#include "list.h"
#include "flux_score.h"
#include "heap.h"
#include "log.h"
#include "module.h"
#include "rec.h"
#include "resolver.h"
#include "store.h"
#include "tipd.h"
#include "writer.h"

#define FF_SETTLE_US (200000LL)		/* enrichment answers are settled in batches */
#define FF_BACKLOG_US (1000LL)		/* how often the writer's backlog is looked at */
#define FF_PAUSE_US (2000LL)		/* no new lookup for this long when it is high */
#define FF_RETRY_US (1000000LL)		/* resolver queue full: try again */
#define FF_NOHEAP UINT32_MAX
#define FF_NAMES_BUF 8192		/* NS names of one record */
#define FF_BACKOFF_MAX 30

/* ---- configuration ---------------------------------------------------------- */

struct ff_conf {
	uint32_t queue;		/* domains waiting for their first lookup */
	uint32_t max_domains;
	uint32_t window;	/* lookups with answers in the classification window */
	uint32_t lookups;	/* domains with a lookup in flight */
	int64_t ttl_min_us, ttl_max_us, benign_max_us, expire_us, log_interval_us;
	uint32_t cap_a, cap_asn, cap_ns;
	int ns, ptr, rebuild;
	uint32_t ptr_per_domain;
	char *asn_db;		/* NULL: Cymru TXT in asn_zone */
	char *asn_zone;
	uint32_t enrich_inflight, enrich_queue, enrich_cache;
	int64_t enrich_ttl_us;
	char *servers;		/* NULL: resolv_conf */
	char *resolv_conf;
	struct resolver_config rc;
};

static void conf_release(struct ff_conf *cf)
{
	free(cf->asn_db);
	free(cf->asn_zone);
	free(cf->servers);
	free(cf->resolv_conf);
	memset(cf, 0, sizeof *cf);
}

static void conf_defaults(struct ff_conf *cf)
{
	memset(cf, 0, sizeof *cf);
	cf->queue = 4096;
	cf->max_domains = 65536;
	cf->window = 3;
	cf->lookups = 128;
	cf->ttl_min_us = 30 * 1000000LL;
	cf->ttl_max_us = 3600 * 1000000LL;
	cf->benign_max_us = 86400 * 1000000LL;
	cf->expire_us = 7 * 86400 * 1000000LL;
	cf->log_interval_us = 600 * 1000000LL;
	cf->cap_a = FLUX_CAP_A;
	cf->cap_asn = FLUX_CAP_ASN;
	cf->cap_ns = FLUX_CAP_NS;
	cf->ns = 1;
	cf->ptr = 1;
	cf->rebuild = 1;
	cf->ptr_per_domain = 8;
	cf->enrich_inflight = 32;
	cf->enrich_queue = 4096;
	cf->enrich_cache = 16384;
	cf->enrich_ttl_us = 4 * 3600 * 1000000LL;
	resolver_config_defaults(&cf->rc);
}

static int dup_str(char **dst, const char *s)
{
	char *p = strdup(s);
	if (!p)
		return -1;
	free(*dst);
	*dst = p;
	return 0;
}

static int key_servers(const struct conf *c, const struct conf_node *n, void *base, char *err,
		       size_t errlen)
{
	struct ff_conf *cf = base;
	size_t len = 0;
	if (n->argc < 1 || n->argc > RESOLVER_MAX_SERVERS)
		return conf_error(c, n, err, errlen, "servers: one to %d addresses (%d given)",
				  RESOLVER_MAX_SERVERS, n->argc);
	for (int i = 0; i < n->argc; i++)
		if (resolver_server_check(n->argv[i]) < 0) {
			char esc[LOG_ESC_MAX];
			return conf_error(c, n, err, errlen,
					  "servers: '%s' is not an address (1.2.3.4, 1.2.3.4:53, "
					  "[::1]:53; no names)",
					  log_esc(esc, sizeof esc, n->argv[i], strlen(n->argv[i])));
		}
	for (int i = 0; i < n->argc; i++)
		len += strlen(n->argv[i]) + 1;
	char *s = malloc(len + 1);
	if (!s)
		return conf_error(c, n, err, errlen, "servers: out of memory");
	s[0] = '\0';
	for (int i = 0; i < n->argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, n->argv[i]);
	}
	free(cf->servers);
	cf->servers = s;
	return 0;
}

/* resolv-conf, asn-db: an absolute path; asn-zone: a zone name. */
static int key_string(const struct conf *c, const struct conf_node *n, void *base, char *err,
		      size_t errlen)
{
	struct ff_conf *cf = base;
	int zone = !strcmp(n->key, "asn-zone");
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	const char *v = n->argv[0];
	if (zone && (!v[0] || strlen(v) > 200))
		return conf_error(c, n, err, errlen, "asn-zone: a DNS zone name");
	if (!zone && conf_arg_abspath(c, n, err, errlen) < 0)
		return -1;
	if (dup_str(zone ? &cf->asn_zone : !strcmp(n->key, "asn-db") ? &cf->asn_db
							    : &cf->resolv_conf, v) < 0)
		return conf_error(c, n, err, errlen, "%s: out of memory", n->key);
	return 0;
}

#define FF_OFF(f) offsetof(struct ff_conf, f)
#define FF_U(k, f, lo, hi) {k, CONF_K_UINT, 0, FF_OFF(f), lo, hi, {NULL}}
#define FF_D(k, f, lo) {k, CONF_K_DUR, 0, FF_OFF(f), lo, 0, {NULL}}
#define FF_B(k, f) {k, CONF_K_BOOL, 0, FF_OFF(f), 0, 0, {NULL}}
#define FF_F(k, f) {k, CONF_K_FN, 0, 0, 0, 0, .fn = f}
#define S 1000000LL

/* The keys of `module fastflux` (tipd.conf(5)); the module's common keys aside. */
static const struct conf_key ff_keys[] = {
	FF_F("servers", key_servers),
	FF_F("resolv-conf", key_string),
	FF_F("asn-db", key_string),
	FF_F("asn-zone", key_string),
	FF_U("queue", queue, 1, 1u << 24),
	FF_U("max-domains", max_domains, 1, 1u << 24),
	FF_U("window", window, 2, 1000),
	FF_U("lookups", lookups, 1, 65535),
	FF_D("ttl-min", ttl_min_us, 0),
	FF_D("ttl-max", ttl_max_us, 0),
	FF_D("benign-max", benign_max_us, 0),
	FF_D("expire", expire_us, 60 * S),
	FF_D("log-interval", log_interval_us, 0),
	FF_D("enrich-ttl", enrich_ttl_us, S),
	FF_U("cap-a", cap_a, 1, FLUX_CAP_MAX),
	FF_U("cap-asn", cap_asn, 1, FLUX_CAP_MAX),
	FF_U("cap-ns", cap_ns, 1, FLUX_CAP_MAX),
	FF_B("ns", ns),
	FF_B("ptr", ptr),
	FF_B("rebuild", rebuild),
	FF_U("ptr-per-domain", ptr_per_domain, 0, 65535),
	FF_U("enrich-inflight", enrich_inflight, 1, 4096),
	FF_U("enrich-queue", enrich_queue, 1, 1u << 20),
	FF_U("enrich-cache", enrich_cache, 16, 1u << 24),
	/* the resolver's (resolver.h) */
	{"timeout", CONF_K_SECS, CONF_F_WHOLE, FF_OFF(rc.timeout), S, 300 * S,
	 .range = "whole seconds, 1s to 300s"},
	{"silence", CONF_K_SECS, CONF_F_WHOLE, FF_OFF(rc.silence), 0, 3600 * S,
	 .range = "whole seconds, 0 (never) to 3600s"},
	{"reopen", CONF_K_SECS, 0, FF_OFF(rc.reopen_interval), 0, 0, {NULL}},
	{"rcvbuf", CONF_K_SIZE, 0, FF_OFF(rc.rcvbuf), 0, 64u << 20, .range = "at most 64M"},
	FF_U("tries", rc.tries, 1, 50),
	FF_U("edns", rc.edns_size, 0, 65535),
	FF_U("contexts", rc.contexts, 1, 64),
	FF_U("context-inflight", rc.per_ctx_inflight, 1, 4096),
	FF_U("inflight", rc.max_inflight, 1, 65535),
	FF_U("resolver-queue", rc.max_queued, 16, 1u << 20),
	FF_U("qps", rc.qps, 0, 1000000),
	FF_U("tcp", rc.tcp_max, 1, 256),
};

#undef S

/*
 * Read the module's section into cf (defaults first).  0, or -1 with a
 * "FILE:LINE: message" in err; cf owns copies of its strings.
 */
static int conf_read(const struct conf *c, const struct conf_node *sec, struct ff_conf *cf,
		     char *err, size_t errlen)
{
	conf_defaults(cf);
	if (dup_str(&cf->asn_zone, CYMRU_ZONE_ORIGIN) < 0) {
		snprintf(err, errlen, "fastflux: out of memory");
		goto fail;
	}
	if (conf_keys_read(c, sec, ff_keys, sizeof ff_keys / sizeof ff_keys[0], module_common_key,
			   "module fastflux", cf, err, errlen) < 0)
		goto fail;
	const struct conf_node *n;
	if (cf->ttl_max_us < cf->ttl_min_us) {
		n = conf_get(sec, "ttl-max");
		conf_error(c, n ? n : conf_get(sec, "ttl-min"), err, errlen,
			   "ttl-max is shorter than ttl-min");
		goto fail;
	}
	if (cf->benign_max_us < cf->ttl_max_us) {
		n = conf_get(sec, "benign-max");
		conf_error(c, n ? n : conf_get(sec, "ttl-max"), err, errlen,
			   "benign-max is shorter than ttl-max");
		goto fail;
	}
	if ((n = conf_get(sec, "inflight")) != NULL &&
	    cf->rc.max_inflight > cf->rc.contexts * cf->rc.per_ctx_inflight) {
		conf_error(c, n, err, errlen,
			   "inflight: at most contexts x context-inflight (%u)",
			   cf->rc.contexts * cf->rc.per_ctx_inflight);
		goto fail;
	}
	return 0;
fail:
	conf_release(cf);
	return -1;
}

static int ff_check(const struct conf *c, const struct conf_node *sec, char *err, size_t errlen)
{
	struct ff_conf cf;
	if (conf_read(c, sec, &cf, err, errlen) < 0)
		return -1;
	conf_release(&cf);
	return 0;
}

/* ---- state ----------------------------------------------------------------------- */

/* Domain flags. */
#define FFD_A_BUSY 0x01
#define FFD_NS_BUSY 0x02
#define FFD_CLASSIFY 0x04	/* window full, waiting for ASNs */
#define FFD_DROP 0x08		/* expired: free when its lookups are back */
#define FFD_WAITLIST 0x10	/* on ff->wait */
#define FFD_HAD_NS 0x20		/* an NS answer was seen */
#define FFD_BUSY (FFD_A_BUSY | FFD_NS_BUSY)

struct ffdom {
	struct ffdom *hnext;
	int64_t due_us;		/* monotonic, when in the heap */
	uint32_t heap_i;	/* FF_NOHEAP when not in the due heap */
	uint32_t first_s;	/* wall seconds: first lookup done (0: none) */
	uint32_t last_s;	/* last answer with A records (0: none) */
	uint32_t looked_s;	/* last lookup done */
	uint32_t cand_s;	/* last time it was published as a candidate */
	uint32_t lookups;	/* A lookups done */
	uint32_t ttl;		/* of the last A answer */
	int32_t score_x100;	/* running score last written (INT32_MIN: none) */
	int32_t win_x100;	/* window verdict (FLUX/BENIGN) */
	uint16_t win_a, win_asn, win_ns;
	uint16_t ns_rec;	/* nNS of the last running sample */
	uint16_t npend, pend_alloc;
	uint8_t state, flags, name_len, backoff, errs, ptr_sent;
	uint32_t *pend;		/* addresses waiting for an ASN */
	struct flux_sets sets;
	char name[];		/* name_len bytes and a NUL */
};

enum { JOB_A, JOB_NS, JOB_TXT, JOB_PTR, JOB_ASNAME };

struct ff;

struct ffjob {
	struct dlink link;	/* on ff.active, or ff.freejobs */
	struct ff *ff;
	struct ffdom *dom;	/* A, NS */
	struct resolver_query *q;
	uint32_t ip;		/* TXT, PTR */
	uint8_t kind;
};

struct ff_stats {
	uint64_t cand, cand_known, cand_dropped_queue, cand_dropped_full, cand_invalid;
	uint64_t lookups, answers, ns_lookups, ns_changes, new_addrs;
	uint64_t outcome[RESOLVER__OUTCOMES];	/* A and NS lookups of domains */
	uint64_t submit_busy, submit_invalid, nomem, writer_pauses;
	uint64_t classified_flux, classified_benign, promoted, expired;
	uint64_t cap_a, cap_asn, cap_ns;
	uint64_t rec_dns, rec_enrich, rec_score, rec_dropped;
	uint64_t txt, txt_fail, ptr, ptr_fail, ptr_dynamic, asn_unknown;
	uint64_t asname, asname_fail;
	uint64_t cache_hits, cache_misses;
	uint64_t rebuilt_domains, rebuilt_records, rebuild_skipped, rebuild_invalid, rebuild_ms;
};

struct ff {
	struct module *m;
	struct ff_conf cf;
	struct resolver *res;
	struct asn_db db;
	int have_db;
	struct bus_sub sub;
	struct sched_task task;		/* candidates, and what the timer wakes */
	struct sched_task timer;	/* one-shot at the next due time */
	int64_t armed_us;		/* monotonic time the timer is set for; INT64_MAX: none */
	int subscribed;

	struct ffdom **tab;
	size_t tab_cap, ndom;
	struct heap due;	/* of ffdom, by due_us */
	size_t nstate[FASTFLUX__STATES];
	unsigned busy;		/* domains with a lookup in flight */

	struct dlist active, freejobs;	/* of ffjob */
	unsigned ejobs;		/* TXT and PTR in flight */

	struct enrich en;	/* the address cache and its questions */
	struct ffdom **wait;
	size_t nwait, wait_alloc;
	int settle_needed;

	uint8_t *a4buf;
	size_t a4cap;
	int64_t next_log_us;
	uint64_t logged_lookups;
	int64_t backlog_at_us;	/* when the writer's backlog was last looked at */
	int64_t paused_until_us;	/* no new lookup before (the writer is behind) */
	struct ff_stats st;
	uint8_t names[FF_NAMES_BUF];	/* last: the counters' offsets fit MODULE_FIELD */
};

static const char state_names[FASTFLUX__STATES][7] = {"new", "window", "flux", "benign"};

/* A domain's name for a log line: escaped, as every untrusted string is (log_esc). */
#define FF_ESC (4 * REC_NAME_MAX + 8)
static const char *dom_esc(char *buf, const struct ffdom *d)
{
	return log_esc(buf, FF_ESC, d->name, d->name_len);
}

static uint32_t now_s(void)
{
	int64_t t = clock_now_us() / 1000000;
	return t > 0 ? (uint32_t)t : 1;
}

/* ---- domain table and due heap -------------------------------------------- */

static size_t dom_slot(const struct ff *ff, const char *name, size_t len)
{
	return (size_t)flux_name_hash(name, len) & (ff->tab_cap - 1);
}

static struct ffdom *dom_find(const struct ff *ff, const char *name, size_t len)
{
	if (!ff->tab_cap)
		return NULL;
	for (struct ffdom *d = ff->tab[dom_slot(ff, name, len)]; d; d = d->hnext)
		if (d->name_len == len && !memcmp(d->name, name, len))
			return d;
	return NULL;
}

static int tab_grow(struct ff *ff)
{
	size_t nc = ff->tab_cap ? ff->tab_cap * 2 : 1024;
	struct ffdom **nt = calloc(nc, sizeof *nt);
	if (!nt)
		return -1;
	for (size_t i = 0; i < ff->tab_cap; i++)
		for (struct ffdom *d = ff->tab[i], *nx; d; d = nx) {
			nx = d->hnext;
			size_t s = (size_t)flux_name_hash(d->name, d->name_len) & (nc - 1);
			d->hnext = nt[s];
			nt[s] = d;
		}
	free(ff->tab);
	ff->tab = nt;
	ff->tab_cap = nc;
	return 0;
}

/* The due heap (heap.h): the domain due first on top. */
static int due_before(const void *a, const void *b)
{
	return ((const struct ffdom *)a)->due_us < ((const struct ffdom *)b)->due_us;
}

static struct ffdom *due_top(const struct ff *ff)
{
	return heap_top(&ff->due);
}

/* Queue d at d->due_us.  The heap has room for every domain (dom_new reserved it). */
static void heap_push(struct ff *ff, struct ffdom *d)
{
	heap_insert(&ff->due, d, due_before, offsetof(struct ffdom, heap_i));
}

static void heap_remove(struct ff *ff, struct ffdom *d)
{
	if (d->heap_i == FF_NOHEAP)
		return;
	heap_delete(&ff->due, d, due_before, offsetof(struct ffdom, heap_i));
	d->heap_i = FF_NOHEAP;
}

static void set_state(struct ff *ff, struct ffdom *d, int state)
{
	ff->nstate[d->state]--;
	d->state = (uint8_t)state;
	ff->nstate[state]++;
}

static struct ffdom *dom_new(struct ff *ff, const char *name, size_t len)
{
	if (len == 0 || len > REC_NAME_MAX)
		return NULL;
	if (ff->ndom + 1 > ff->tab_cap && tab_grow(ff) < 0)
		return NULL;
	if (heap_reserve(&ff->due, ff->ndom + 1) < 0)
		return NULL;
	struct ffdom *d = calloc(1, sizeof *d + len + 1);
	if (!d)
		return NULL;
	memcpy(d->name, name, len);
	d->name[len] = '\0';
	d->name_len = (uint8_t)len;
	d->heap_i = FF_NOHEAP;
	d->score_x100 = INT32_MIN;
	flux_sets_init(&d->sets, ff->cf.cap_a, ff->cf.cap_asn, ff->cf.cap_ns);
	size_t s = dom_slot(ff, name, len);
	d->hnext = ff->tab[s];
	ff->tab[s] = d;
	ff->ndom++;
	ff->nstate[FASTFLUX_NEW]++;
	return d;
}

static void wait_remove(struct ff *ff, struct ffdom *d)
{
	if (!(d->flags & FFD_WAITLIST))
		return;
	for (size_t i = 0; i < ff->nwait; i++)
		if (ff->wait[i] == d) {
			ff->wait[i] = ff->wait[--ff->nwait];
			break;
		}
	d->flags &= (uint8_t)~FFD_WAITLIST;
}

/* Forget a domain that has no lookup in flight. */
static void dom_free(struct ff *ff, struct ffdom *d)
{
	struct ffdom **pp = &ff->tab[dom_slot(ff, d->name, d->name_len)];
	while (*pp && *pp != d)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = d->hnext;
	heap_remove(ff, d);
	wait_remove(ff, d);
	ff->nstate[d->state]--;
	ff->ndom--;
	flux_sets_fini(&d->sets);
	free(d->pend);
	free(d);
}

/* Reset a domain's observations (it expired and came back). */
static void dom_reset(struct ff *ff, struct ffdom *d)
{
	wait_remove(ff, d);
	flux_sets_fini(&d->sets);
	flux_sets_init(&d->sets, ff->cf.cap_a, ff->cf.cap_asn, ff->cf.cap_ns);
	free(d->pend);
	d->pend = NULL;
	d->npend = d->pend_alloc = 0;
	d->first_s = d->last_s = d->looked_s = 0;
	d->lookups = d->ttl = 0;
	d->score_x100 = INT32_MIN;
	d->win_x100 = 0;
	d->win_a = d->win_asn = d->win_ns = 0;
	d->backoff = d->errs = d->ptr_sent = 0;
	d->flags &= FFD_BUSY;
	set_state(ff, d, FASTFLUX_NEW);
}

/* Seconds of the last sign of life: an answer, else the first lookup, or a candidate. */
static uint32_t dom_activity(const struct ffdom *d)
{
	uint32_t a = d->last_s ? d->last_s : d->first_s;
	return d->cand_s > a ? d->cand_s : a;
}

/* ---- jobs ---------------------------------------------------------------------------- */

static struct ffjob *job_get(struct ff *ff, int kind)
{
	struct ffjob *j;
	if (ff->freejobs.head) {
		j = container_of(ff->freejobs.head, struct ffjob, link);
		dlist_remove(&ff->freejobs, &j->link);
	} else if (!(j = malloc(sizeof *j))) {
		return NULL;
	}
	memset(j, 0, sizeof *j);
	j->ff = ff;
	j->kind = (uint8_t)kind;
	dlist_push(&ff->active, &j->link);
	return j;
}

static void job_put(struct ff *ff, struct ffjob *j)
{
	dlist_remove(&ff->active, &j->link);
	dlist_push(&ff->freejobs, &j->link);
}

/* ---- records ---------------------------------------------------------------------------- */

static void put(struct ff *ff, const struct rec *r)
{
	if (tipd_record(ff->m->d, r) < 0)
		ff->st.rec_dropped++;
}

static int rcode_of(const struct resolver_answer *a)
{
	switch (a->outcome) {
	case RESOLVER_OK:
	case RESOLVER_NODATA:
		return a->rcode >= 0 ? a->rcode : 0;
	case RESOLVER_NXDOMAIN:
		return a->rcode >= 0 ? a->rcode : 3;
	case RESOLVER_SERVFAIL:
		return a->rcode >= 0 ? a->rcode : 2;
	case RESOLVER_REFUSED:
		return a->rcode >= 0 ? a->rcode : 5;
	case RESOLVER_TIMEOUT:
		return RCODE_TIMEOUT;
	case RESOLVER_MALFORMED:
		return RCODE_MALFORMED;
	case RESOLVER_TRUNCATED:
		return RCODE_TRUNCATED;
	case RESOLVER_NETERR:
		return RCODE_NETERR;
	default:
		return -1;	/* NOMEM, CANCELLED: nothing was observed */
	}
}

static void server_of(const struct resolver_answer *a, struct rec_ip *ip)
{
	memset(ip, 0, sizeof *ip);
	if (!a->server)
		return;
	if (a->server->sa_family == AF_INET && a->server_len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)a->server;
		ip->family = 4;
		memcpy(ip->addr, &s->sin_addr, 4);
	} else if (a->server->sa_family == AF_INET6 &&
		   a->server_len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)a->server;
		ip->family = 6;
		memcpy(ip->addr, &s->sin6_addr, 16);
	}
}

/*
 * The REC_DNS of one lookup of d (the whole answer set) in *r, pointing
 * into ff's buffers until the next lookup.  0, or -1 when nothing was
 * observed (cancelled, out of memory).
 */
static int dns_rec(struct ff *ff, const struct ffdom *d, uint16_t qtype,
		   const struct resolver_answer *a, struct rec *r)
{
	int rcode = rcode_of(a);
	if (rcode < 0)
		return -1;
	memset(r, 0, sizeof *r);
	r->type = REC_DNS;
	struct rec_dns *dn = &r->u.dns;
	rec_stamp(r);
	dn->name = d->name;
	dn->name_len = d->name_len;
	dn->qtype = qtype;
	dn->rcode = (uint8_t)rcode;
	dn->ttl = a->ttl;
	server_of(a, &dn->server);
	if (a->outcome == RESOLVER_OK && qtype == RESOLVER_A) {
		if (ff->a4cap < a->n) {
			void *nb = realloc(ff->a4buf, 4 * (size_t)a->n);
			if (!nb) {
				ff->st.nomem++;
				return -1;
			}
			ff->a4buf = nb;
			ff->a4cap = a->n;
		}
		for (unsigned i = 0; i < a->n; i++)
			if (a->rr[i].type == RESOLVER_A)
				memcpy(ff->a4buf + 4 * dn->n_a4++, a->rr[i].u.addr, 4);
		dn->a4 = dn->n_a4 ? ff->a4buf : NULL;
	} else if (a->outcome == RESOLVER_OK && qtype == RESOLVER_NS) {
		size_t len = 0;
		for (unsigned i = 0; i < a->n; i++)
			if (a->rr[i].type == RESOLVER_NS &&
			    rec_names_add(ff->names, sizeof ff->names, &len, a->rr[i].u.text,
					  a->rr[i].len) == 0)
				dn->n_names++;
		dn->names = dn->n_names ? ff->names : NULL;
		dn->names_len = len;
	}
	return 0;
}

static void record_score(struct ff *ff, const struct ffdom *d, const struct flux_verdict *v,
			 int window)
{
	struct rec r = {.type = REC_SCORE};
	struct rec_score *s = &r.u.score;
	rec_stamp(&r);
	s->name = d->name;
	s->name_len = d->name_len;
	s->n_a = v->n_a;
	s->n_asn = v->n_asn;
	s->n_ns = v->n_ns;
	s->lookups = d->lookups;
	s->score = v->score_x100 / 100.0;
	s->margin = v->margin_x100 / 100.0;
	s->window = (uint8_t)window;
	put(ff, &r);
	ff->st.rec_score++;
}

/* The AS name of an enrichment record: the offline table's, or the AS-name cache's. */
static void record_enrich(struct ff *ff, const struct enrich_ip *e, const char *as_name)
{
	struct rec r = {.type = REC_ENRICH};
	struct rec_enrich *en = &r.u.enrich;
	rec_stamp(&r);
	en->ip.family = 4;
	en->ip.addr[0] = (uint8_t)(e->ip >> 24);
	en->ip.addr[1] = (uint8_t)(e->ip >> 16);
	en->ip.addr[2] = (uint8_t)(e->ip >> 8);
	en->ip.addr[3] = (uint8_t)e->ip;
	en->asn = e->asn[0];
	en->as_name = as_name ? as_name : "";
	en->as_name_len = strlen(en->as_name);
	if (en->as_name_len > REC_TEXT_MAX)
		en->as_name_len = REC_TEXT_MAX;
	memcpy(en->country, e->cc, 2);
	en->ptr = e->ptr ? e->ptr : "";
	en->ptr_len = strlen(en->ptr);
	put(ff, &r);
	ff->st.rec_enrich++;
}

/* ---- scoring and policy ------------------------------------------------------------- */

static void fmt_x100(char *out, size_t cap, int32_t x)
{
	long long v = x < 0 ? -(long long)x : x;
	snprintf(out, cap, "%s%lld.%02lld", x < 0 ? "-" : "", v / 100, v % 100);
}

static void classify(struct ff *ff, struct ffdom *d)
{
	struct flux_verdict v;
	char sc[32], esc[FF_ESC];
	flux_sets_verdict(&d->sets, &v);
	d->win_x100 = v.score_x100;
	d->win_a = (uint16_t)(v.n_a > 65535 ? 65535 : v.n_a);
	d->win_asn = (uint16_t)(v.n_asn > 65535 ? 65535 : v.n_asn);
	d->win_ns = (uint16_t)(v.n_ns > 65535 ? 65535 : v.n_ns);
	d->flags &= (uint8_t)~FFD_CLASSIFY;
	d->backoff = 0;
	set_state(ff, d, v.flux ? FASTFLUX_FLUX : FASTFLUX_BENIGN);
	if (v.flux)
		ff->st.classified_flux++;
	else
		ff->st.classified_benign++;
	record_score(ff, d, &v, 1);
	fmt_x100(sc, sizeof sc, v.score_x100);
	dom_esc(esc, d);
	if (v.flux)
		log_info("fastflux: %s: fast flux, score %s (%u hosts in %u ASNs, %u NS) after %u "
			 "lookups", esc, sc, v.n_a, v.n_asn, v.n_ns, d->lookups);
	else
		log_trace(ff->m->trace, "fastflux: %s: benign, score %s (%u hosts in %u ASNs)",
			  esc, sc, v.n_a, v.n_asn);
}

/*
 * Write a running-totals sample when the score moved, or the NS set (double
 * flux is recorded, not scored); promote a benign domain that crossed.
 */
static void score_update(struct ff *ff, struct ffdom *d)
{
	struct flux_verdict v;
	flux_sets_verdict(&d->sets, &v);
	if (v.score_x100 != d->score_x100 || v.n_ns != d->ns_rec) {
		record_score(ff, d, &v, 0);
		d->score_x100 = v.score_x100;
		d->ns_rec = (uint16_t)v.n_ns;
	}
	if (d->state == FASTFLUX_BENIGN && v.flux) {
		char sc[32], esc[FF_ESC];
		fmt_x100(sc, sizeof sc, v.score_x100);
		set_state(ff, d, FASTFLUX_FLUX);
		d->backoff = 0;
		ff->st.promoted++;
		log_info("fastflux: %s: fast flux by its running totals, score %s (%u hosts in %u "
			 "ASNs)", dom_esc(esc, d), sc, v.n_a, v.n_asn);
	}
}

/* The time to the next lookup of d after the one that just ended. */
static int64_t next_interval(const struct ff *ff, const struct ffdom *d)
{
	const struct ff_conf *cf = &ff->cf;
	int64_t cap = cf->benign_max_us, base;
	if (d->errs) {
		base = cf->ttl_min_us > 0 ? cf->ttl_min_us : FF_RETRY_US;
		for (unsigned i = 1; i < d->errs && base < cap; i++)
			base *= 2;
		return base < cap || cap == 0 ? base : cap;
	}
	base = (int64_t)d->ttl * 1000000;
	if (base < cf->ttl_min_us)
		base = cf->ttl_min_us;
	if (base > cf->ttl_max_us)
		base = cf->ttl_max_us;
	if (d->state == FASTFLUX_BENIGN) {
		for (unsigned i = 0; i < d->backoff && base < cap; i++)
			base *= 2;
		if (base > cap)
			base = cap;
	}
	return base;
}

/* ---- enrichment ------------------------------------------------------------------------ */

/*
 * Write what was learned of an address once nothing about it is still
 * asked, its AS name included (Cymru mode: the record waits while the
 * name of its ASN is asked; it goes without one when that fails).
 */
static void maybe_write_enrich(struct ff *ff, struct enrich_ip *e)
{
	const char *as_name = NULL;
	if (!e->dirty || !enrich_settled(e))
		return;
	if (ff->have_db && e->asn[0]) {
		as_name = asn_db_name(&ff->db, e->asn[0]);
	} else if (e->asn[0]) {
		int st = enrich_as_want(&ff->en, e->asn[0], now_s(), &as_name);
		if (st == ENRICH_QUEUED || st == ENRICH_BUSY)
			return;	/* written when the name has come (asname_settled) */
	}
	e->dirty = 0;
	if (!e->asn[0] && !e->cc[0] && !e->ptr)
		return;	/* nothing learned */
	record_enrich(ff, e, as_name);
}

/* The name of asn is known or failed: write the addresses that waited for it. */
static void asname_settled(struct ff *ff, uint32_t asn)
{
	for (struct enrich_ip *e = enrich_next(&ff->en, NULL); e; e = enrich_next(&ff->en, e))
		if (e->dirty && e->asn[0] == asn)
			maybe_write_enrich(ff, e);
}

/* The zone of AS-name questions: the origin zone's parent ("origin.asn.cymru.com" -> "asn.cymru.com"). */
static const char *asname_zone(const struct ff_conf *cf)
{
	const char *dot = strchr(cf->asn_zone, '.');
	return dot && dot[1] ? dot + 1 : cf->asn_zone;
}

/*
 * The origin ASN of an address counts once, the first one of a MOAS
 * answer: the store keeps one ASN per address (REC_ENRICH), and tip query
 * and the rebuild at start count from the store, so the sensor counts
 * alike and a restart finds the same nASN.
 */
static void add_asns(struct ff *ff, struct ffdom *d, const struct enrich_ip *e)
{
	if (e->asn[0] && flux_sets_add_asn(&d->sets, e->asn[0]) < 0 && errno == ENOSPC)
		ff->st.cap_asn++;
}

static int pend_add(struct ff *ff, struct ffdom *d, uint32_t ip)
{
	for (unsigned i = 0; i < d->npend; i++)
		if (d->pend[i] == ip)
			return 0;
	if (d->npend == d->pend_alloc) {
		unsigned na = d->pend_alloc ? d->pend_alloc * 2u : 4u;
		if (na > 65535)
			return -1;
		void *np = realloc(d->pend, na * sizeof *d->pend);
		if (!np)
			return -1;
		d->pend = np;
		d->pend_alloc = (uint16_t)na;
	}
	if (!(d->flags & FFD_WAITLIST)) {
		if (ff->nwait == ff->wait_alloc) {
			size_t na = ff->wait_alloc ? ff->wait_alloc * 2 : 64;
			void *nw = realloc(ff->wait, na * sizeof *ff->wait);
			if (!nw)
				return -1;
			ff->wait = nw;
			ff->wait_alloc = na;
		}
		ff->wait[ff->nwait++] = d;
		d->flags |= FFD_WAITLIST;
	}
	d->pend[d->npend++] = ip;
	return 0;
}

static void set_asn_from_db(struct ff *ff, struct enrich_ip *e, uint32_t t)
{
	if (!enrich_set_db(e, &ff->db, t, (uint32_t)(ff->cf.enrich_ttl_us / 1000000)))
		ff->st.asn_unknown++;
}

/* A new address of d: its ASN now (table, cache) or later (TXT), and its PTR. */
static void enrich_addr(struct ff *ff, struct ffdom *d, uint32_t ip, uint32_t t)
{
	struct enrich_ip *e = enrich_get(&ff->en, ip);
	if (!e) {
		ff->st.nomem++;
		return;
	}
	int stale = e->expires_s <= t;
	if (ff->have_db) {
		if (stale || (e->asn_st != ENRICH_DONE && e->asn_st != ENRICH_FAIL))
			set_asn_from_db(ff, e, t);
		else
			ff->st.cache_hits++;
		add_asns(ff, d, e);
	} else {
		if (e->asn_st == ENRICH_DONE) {
			add_asns(ff, d, e);	/* a stale one counts while it is refreshed */
			ff->st.cache_hits++;
		} else {
			ff->st.cache_misses++;
		}
		if (e->asn_st == ENRICH_NONE ||
		    (stale && (e->asn_st == ENRICH_DONE || e->asn_st == ENRICH_FAIL))) {
			if (enrich_push(&ff->en, ip, ENRICH_Q_TXT) == 0)
				e->asn_st = ENRICH_QUEUED;
		}
		if (e->asn_st != ENRICH_DONE && (e->asn_st != ENRICH_FAIL || stale) &&
		    pend_add(ff, d, ip) < 0)
			ff->st.nomem++;
	}
	if (ff->cf.ptr && d->ptr_sent < ff->cf.ptr_per_domain &&
	    (e->ptr_st == ENRICH_NONE || (stale && (e->ptr_st == ENRICH_DONE || e->ptr_st == ENRICH_FAIL)))) {
		if (enrich_push(&ff->en, ip, ENRICH_Q_PTR) == 0) {
			e->ptr_st = ENRICH_QUEUED;
			if (d->ptr_sent < 255)
				d->ptr_sent++;
		}
	}
	maybe_write_enrich(ff, e);
}

static void ff_on_txt(struct resolver_query *q, const struct resolver_answer *a, void *arg);
static void ff_on_asname(struct resolver_query *q, const struct resolver_answer *a, void *arg);
static void arm(struct ff *ff);
static void ff_on_ptr(struct resolver_query *q, const struct resolver_answer *a, void *arg);

static void enrich_dispatch(struct ff *ff)
{
	char qn[320];	/* a name of 255 bytes in text form, with room to spare */
	struct enrich_q rq;
	while (ff->res && ff->ejobs < ff->cf.enrich_inflight && enrich_peek(&ff->en, &rq)) {
		int txt = rq.kind == ENRICH_Q_TXT;
		struct enrich_ip *e = enrich_find(&ff->en, rq.ip);
		uint8_t *st = e ? (txt ? &e->asn_st : &e->ptr_st) : NULL;
		int n;
		if (txt) {
			n = cymru_origin_qname(rq.ip, ff->cf.asn_zone, qn, sizeof qn);
		} else {
			uint8_t b[4] = {(uint8_t)(rq.ip >> 24), (uint8_t)(rq.ip >> 16),
					(uint8_t)(rq.ip >> 8), (uint8_t)rq.ip};
			n = resolver_ptr_name(4, b, qn, sizeof qn);
		}
		struct ffjob *j = n > 0 && (!st || *st == ENRICH_QUEUED)
				  ? job_get(ff, txt ? JOB_TXT : JOB_PTR) : NULL;
		if (j) {
			j->ip = rq.ip;
			j->q = resolver_submit(ff->res, txt ? RESOLVER_TXT : RESOLVER_PTR, qn,
					       txt ? ff_on_txt : ff_on_ptr, j);
			if (!j->q) {
				int err = errno;
				job_put(ff, j);
				if (err == EAGAIN || err == ENOMEM) {
					ff->st.submit_busy++;
					break;	/* the resolver is full: later */
				}
				j = NULL;
			}
		}
		enrich_pop(&ff->en);
		if (j) {
			ff->ejobs++;
			if (st)
				*st = ENRICH_BUSY;
		} else if (st && *st == ENRICH_QUEUED) {
			*st = ENRICH_FAIL;	/* cannot be asked */
		}
	}
	uint32_t asn;
	while (ff->res && ff->ejobs < ff->cf.enrich_inflight &&
	       enrich_as_next(&ff->en, clock_mono_us(), &asn)) {
		int n = cymru_asname_qname(asn, asname_zone(&ff->cf), qn, sizeof qn);
		struct ffjob *j = n > 0 ? job_get(ff, JOB_ASNAME) : NULL;
		if (j) {
			j->ip = asn;
			j->q = resolver_submit(ff->res, RESOLVER_TXT, qn, ff_on_asname, j);
			if (!j->q) {
				job_put(ff, j);
				j = NULL;
			}
		}
		if (j) {
			ff->ejobs++;
		} else {
			/* cannot be asked now: unknown for a while, its addresses go without */
			struct resolver_answer none = {.outcome = RESOLVER_SERVFAIL};
			enrich_set_asname(&ff->en, asn, &none, now_s(), 0, NULL);
			ff->st.asname_fail++;
			asname_settled(ff, asn);
		}
	}
	if (enrich_as_waiting(&ff->en) && ff->ejobs < ff->cf.enrich_inflight && ff->res) {
		ff->settle_needed = 1;	/* out of tokens: look again in a moment */
		arm(ff);
	}
}

static void settle(struct ff *ff);

static void enrich_done(struct ff *ff, struct enrich_ip *e)
{
	if (e)
		maybe_write_enrich(ff, e);
	ff->settle_needed = 1;
	if (ff->ejobs == 0 && ff->en.q_n == 0)
		settle(ff);
	else
		arm(ff);
	enrich_dispatch(ff);
}

static void ff_on_txt(struct resolver_query *q TIP_UNUSED, const struct resolver_answer *a,
		      void *arg)
{
	struct ffjob *j = arg;
	struct ff *ff = j->ff;
	uint32_t ip = j->ip;
	job_put(ff, j);
	ff->ejobs--;
	if (a->outcome == RESOLVER_CANCELLED)
		return;
	ff->st.txt++;
	struct enrich_ip *e = enrich_get(&ff->en, ip);
	if (!e) {
		ff->st.nomem++;
		enrich_done(ff, NULL);
		return;
	}
	struct cymru_err ce;
	if (!enrich_set_txt(e, a, now_s(), (uint32_t)(ff->cf.enrich_ttl_us / 1000000), &ce)) {
		ff->st.txt_fail++;
		if (e->asn_st == ENRICH_FAIL)
			ff->st.asn_unknown++;
		if (ce.why)
			log_trace(ff->m->trace, "fastflux: %u.%u.%u.%u TXT: %s at byte %zu", ip >> 24,
				  (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff, ce.why, ce.off);
	}
	enrich_done(ff, e);
}

static void ff_on_asname(struct resolver_query *q TIP_UNUSED, const struct resolver_answer *a,
			 void *arg)
{
	struct ffjob *j = arg;
	struct ff *ff = j->ff;
	uint32_t asn = j->ip;
	job_put(ff, j);
	ff->ejobs--;
	if (a->outcome == RESOLVER_CANCELLED)
		return;
	ff->st.asname++;
	struct cymru_err ce;
	if (!enrich_set_asname(&ff->en, asn, a, now_s(), (uint32_t)(ff->cf.enrich_ttl_us / 1000000),
			       &ce)) {
		ff->st.asname_fail++;
		if (ce.why)
			log_trace(ff->m->trace, "fastflux: AS%u TXT: %s at byte %zu", asn, ce.why,
				  ce.off);
	}
	asname_settled(ff, asn);
	enrich_done(ff, NULL);
}

static void ff_on_ptr(struct resolver_query *q TIP_UNUSED, const struct resolver_answer *a,
		      void *arg)
{
	struct ffjob *j = arg;
	struct ff *ff = j->ff;
	uint32_t ip = j->ip;
	job_put(ff, j);
	ff->ejobs--;
	if (a->outcome == RESOLVER_CANCELLED)
		return;
	ff->st.ptr++;
	struct enrich_ip *e = enrich_get(&ff->en, ip);
	if (!e) {
		ff->st.nomem++;
		enrich_done(ff, NULL);
		return;
	}
	int dynamic, r = enrich_set_ptr(e, a, &dynamic);
	if (dynamic)
		ff->st.ptr_dynamic++;
	if (r < 0)
		ff->st.nomem++;
	else if (r == 0)
		ff->st.ptr_fail++;
	enrich_done(ff, e);
}

/* Give waiting domains the ASNs that have come; classify those that were waiting. */
static void settle(struct ff *ff)
{
	uint32_t t = now_s();
	ff->settle_needed = 0;
	for (size_t i = 0; i < ff->nwait;) {
		struct ffdom *d = ff->wait[i];
		unsigned k = 0, got = 0;
		for (unsigned p = 0; p < d->npend; p++) {
			uint32_t ip = d->pend[p];
			struct enrich_ip *e = enrich_find(&ff->en, ip);
			if (e && e->asn_st == ENRICH_DONE) {
				add_asns(ff, d, e);
				got++;
				continue;
			}
			if (e && e->asn_st == ENRICH_FAIL && e->expires_s > t)
				continue;	/* unknown: not counted */
			if (!e || e->asn_st == ENRICH_NONE || e->asn_st == ENRICH_FAIL) {
				/* dropped from a full queue, or evicted: ask again */
				e = enrich_get(&ff->en, ip);
				if (e && enrich_push(&ff->en, ip, ENRICH_Q_TXT) == 0)
					e->asn_st = ENRICH_QUEUED;
			}
			d->pend[k++] = ip;
		}
		d->npend = (uint16_t)k;
		if (got)
			score_update(ff, d);
		if (k) {
			i++;
			continue;
		}
		free(d->pend);
		d->pend = NULL;
		d->pend_alloc = 0;
		ff->wait[i] = ff->wait[--ff->nwait];
		d->flags &= (uint8_t)~FFD_WAITLIST;
		if (d->flags & FFD_CLASSIFY)
			classify(ff, d);
	}
	enrich_dispatch(ff);
}

/* ---- timing ------------------------------------------------------------------------------- */

/*
 * Set the timer task for the earliest thing due: the next lookup, a batch
 * of enrichment answers to settle, the status line.  The scheduler plans
 * one-shot tasks in wall time, converted to its monotonic clock at once.
 * A timer set too early only wakes the module for nothing; one is never
 * left later than what is due, since every change of the heap calls this.
 */
static void arm(struct ff *ff)
{
	int64_t now = clock_mono_us(), due = INT64_MAX;
	if (due_top(ff) && ff->busy < ff->cf.lookups)
		due = due_top(ff)->due_us;	/* when all are busy, answers dispatch */
	if (due < ff->paused_until_us)
		due = ff->paused_until_us;
	if (ff->settle_needed && now + FF_SETTLE_US < due)
		due = now + FF_SETTLE_US;
	if (ff->cf.log_interval_us > 0 && ff->next_log_us < due)
		due = ff->next_log_us;
	if (due >= ff->armed_us || !ff->timer.s || ff->timer.state == SCHED_RUNNING)
		return;
	int64_t wall = clock_now_us() + (due > now ? due - now : 0);
	sched_at(&ff->timer, wall > 0 ? wall : 1);
	sched_reschedule(&ff->timer);
	ff->armed_us = due;
}

static int ff_timer_run(struct sched_task *t)
{
	struct ff *ff = t->arg;
	ff->armed_us = INT64_MAX;
	sched_trigger(&ff->task);	/* it runs next, and sets the timer again */
	return SCHED_OK;
}

static uint32_t secs_of(int64_t us)
{
	int64_t s = us / 1000000;
	return s > 0 ? (s > UINT32_MAX ? UINT32_MAX : (uint32_t)s) : 1;
}

/* A new address of d, live: enrich_addr.  The replay passes none (rb_finish enriches). */
typedef void ff_fresh_fn(struct ff *ff, struct ffdom *d, uint32_t ip, uint32_t t);

/*
 * Apply one DNS observation of d, as it is stored (REC_DNS, perhaps
 * coalesced: `count` lookups with the same answer from ts to ts_last), to
 * its sets, counts, times and state: the one state update of the live
 * path (which builds the record it stores and applies it) and the replay
 * at start (which applies the stored one), so a restart finds what the
 * running module had.  What only the live module does (enrichment of new
 * addresses through `fresh`, stats, score records, the verdict, expiry,
 * the next due time) stays with the caller.  A full window sets
 * FFD_CLASSIFY; the caller judges it.  Returns the new A addresses or NS
 * names.
 */
static unsigned dom_apply(struct ff *ff, struct ffdom *d, const struct rec *r, ff_fresh_fn *fresh_fn)
{
	const struct rec_dns *dn = &r->u.dns;
	int64_t last_us = r->ts_us;
	uint64_t count = 1;
	unsigned fresh = 0;
	if (r->flags & REC_F_COALESCED) {
		if (dn->ts_last_us > r->ts_us)
			last_us = dn->ts_last_us;
		count = dn->count ? dn->count : 1;
	}
	uint32_t t0 = secs_of(r->ts_us), t = secs_of(last_us);
	if (dn->qtype == RESOLVER_NS) {
		size_t off = 0, len;
		const char *nm;
		while (rec_dns_name_next(dn, &off, &nm, &len)) {
			int rr = flux_sets_add_ns(&d->sets, nm, len);
			if (rr == 1)
				fresh++;
			else if (rr < 0 && errno == ENOSPC)
				ff->st.cap_ns++;
		}
		if (dn->n_names)
			d->flags |= FFD_HAD_NS;
		return fresh;
	}
	if (dn->qtype != RESOLVER_A)
		return 0;
	for (uint32_t i = 0; i < dn->n_a4; i++) {
		const uint8_t *p = dn->a4 + 4 * i;
		uint32_t ip = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		int rr = flux_sets_add_a(&d->sets, ip);
		if (rr == 1) {
			fresh++;
			if (fresh_fn)
				fresh_fn(ff, d, ip, t0);
		} else if (rr < 0 && errno == ENOSPC) {
			ff->st.cap_a++;
		} else if (rr < 0) {
			ff->st.nomem++;
		}
	}
	int ok = dn->rcode == 0 && dn->n_a4 > 0;
	if (!d->first_s)
		d->first_s = t0;
	d->looked_s = t;
	d->lookups += count > UINT32_MAX - d->lookups ? UINT32_MAX - d->lookups : (uint32_t)count;
	if (ok) {
		for (uint64_t k = 0; k < count; k++)
			flux_sets_answer(&d->sets, dn->n_a4);
		d->last_s = t;
		d->ttl = dn->ttl;
		d->errs = 0;
	} else {
		d->errs = (uint8_t)(count >= 255u - d->errs ? 255 : d->errs + count);
	}
	if (d->state == FASTFLUX_NEW)
		set_state(ff, d, FASTFLUX_WINDOW);
	if (d->state == FASTFLUX_BENIGN && ok) {
		/* a coalesced record is count lookups with one answer: new addresses
		 * in the first only */
		uint64_t idle = fresh ? count - 1 : count;
		if (fresh)
			d->backoff = 0;
		d->backoff = (uint8_t)(idle >= (uint64_t)(FF_BACKOFF_MAX - d->backoff)
				       ? FF_BACKOFF_MAX : d->backoff + idle);
	}
	if (d->state == FASTFLUX_WINDOW && ok && d->sets.answers >= ff->cf.window)
		d->flags |= FFD_CLASSIFY;
	return fresh;
}

/* ---- lookups ------------------------------------------------------------------------------- */

static void ff_on_a(struct resolver_query *q, const struct resolver_answer *a, void *arg);
static void ff_on_ns(struct resolver_query *q, const struct resolver_answer *a, void *arg);
static void dispatch(struct ff *ff);

static int lookup_start(struct ff *ff, struct ffdom *d)
{
	struct ffjob *j = job_get(ff, JOB_A);
	if (!j) {
		errno = ENOMEM;
		return -1;
	}
	j->dom = d;
	j->q = resolver_submit(ff->res, RESOLVER_A, d->name, ff_on_a, j);
	if (!j->q) {
		int err = errno;
		job_put(ff, j);
		errno = err;
		return -1;
	}
	d->flags |= FFD_A_BUSY;
	ff->busy++;
	if (ff->cf.ns && (j = job_get(ff, JOB_NS)) != NULL) {
		j->dom = d;
		j->q = resolver_submit(ff->res, RESOLVER_NS, d->name, ff_on_ns, j);
		if (j->q)
			d->flags |= FFD_NS_BUSY;
		else
			job_put(ff, j);	/* no NS this round; the next one asks again */
	}
	return 0;
}

/*
 * 1 while the store writer is more than half full: no new lookup starts
 * (the answers in flight still come and are stored), so a loop faster
 * than the disk slows down instead of losing records.  The writer is
 * asked at most once a millisecond.
 */
static int writer_behind(struct ff *ff, int64_t now)
{
	struct writer *w = ff->m->d->writer;
	if (!w)
		return 0;
	if (now < ff->paused_until_us)
		return 1;
	if (now - ff->backlog_at_us < FF_BACKLOG_US)
		return 0;
	struct writer_stats ws;
	ff->backlog_at_us = now;
	writer_stats(w, &ws);
	if (ws.queued * 2 <= ws.max_queue)
		return 0;
	ff->paused_until_us = now + FF_PAUSE_US;
	ff->st.writer_pauses++;
	return 1;
}

static void dispatch(struct ff *ff)
{
	if (!ff->res)
		return;
	int64_t now = clock_mono_us();
	if (due_top(ff) && due_top(ff)->due_us <= now && writer_behind(ff, now)) {
		arm(ff);
		enrich_dispatch(ff);
		return;
	}
	struct ffdom *d;
	while (ff->busy < ff->cf.lookups && (d = due_top(ff)) && d->due_us <= now) {
		heap_remove(ff, d);
		if (lookup_start(ff, d) == 0)
			continue;
		if (errno == EAGAIN || errno == ENOMEM) {
			ff->st.submit_busy++;
			d->due_us = now + FF_RETRY_US;
			heap_push(ff, d);
			arm(ff);
			break;
		}
		char esc[FF_ESC];
		log_warnx("fastflux: %s: the resolver refuses the name; dropped", dom_esc(esc, d));
		ff->st.submit_invalid++;
		dom_free(ff, d);
	}
	enrich_dispatch(ff);
}

/* A lookup of d is back: when both are, plan the next one (or forget d). */
static void lookup_end(struct ff *ff, struct ffdom *d)
{
	if (d->flags & FFD_BUSY)
		return;
	ff->busy--;
	if (d->flags & FFD_DROP) {
		ff->st.expired++;
		char esc[FF_ESC];
		log_info("fastflux: %s: no answer for %llds: no longer watched", dom_esc(esc, d),
			 (long long)(ff->cf.expire_us / 1000000));
		dom_free(ff, d);
		return;
	}
	heap_push(ff, d);
	if (d->due_us < ff->armed_us)
		arm(ff);
}

static void count_outcome(struct ff *ff, const struct resolver_answer *a)
{
	if ((unsigned)a->outcome < RESOLVER__OUTCOMES)
		ff->st.outcome[a->outcome]++;
}

static void trace_lookup(struct ff *ff, const struct ffdom *d, const char *type,
			 const struct resolver_answer *a)
{
	if (!log_trace_on(ff->m->trace))
		return;
	char srv[INET6_ADDRSTRLEN] = "-";
	struct rec_ip ip;
	server_of(a, &ip);
	if (ip.family)
		inet_ntop(ip.family == 4 ? AF_INET : AF_INET6, ip.addr, srv, sizeof srv);
	char esc[FF_ESC];
	log_trace(ff->m->trace, "fastflux: %s %s: %s rcode=%d n=%u ttl=%u server=%s%s%s", dom_esc(esc, d),
		  type, resolver_outcome_name(a->outcome), a->rcode, a->n, a->ttl, srv,
		  a->why ? " why=" : "", a->why ? a->why : "");
}

static void ff_on_a(struct resolver_query *q TIP_UNUSED, const struct resolver_answer *a, void *arg)
{
	struct ffjob *j = arg;
	struct ff *ff = j->ff;
	struct ffdom *d = j->dom;
	struct rec r;
	job_put(ff, j);
	d->flags &= (uint8_t)~FFD_A_BUSY;
	if (a->outcome == RESOLVER_CANCELLED || a->outcome == RESOLVER_NOMEM ||
	    dns_rec(ff, d, RESOLVER_A, a, &r) < 0) {
		d->due_us = clock_mono_us() + FF_RETRY_US;
		lookup_end(ff, d);
		return;
	}
	count_outcome(ff, a);
	trace_lookup(ff, d, "A", a);
	/* a window that waited too long for its ASNs is judged before new answers
	 * count, and its verdict is stored before this lookup's record, so the
	 * replay meets them in the order they took effect here */
	if (d->flags & FFD_CLASSIFY)
		classify(ff, d);
	put(ff, &r);
	ff->st.rec_dns++;
	ff->st.lookups++;
	unsigned fresh = dom_apply(ff, d, &r, enrich_addr);
	int ok = r.u.dns.rcode == 0 && r.u.dns.n_a4 > 0;
	uint32_t t = secs_of(r.ts_us);
	if (ok) {
		ff->st.answers++;
		ff->st.new_addrs += fresh;
	}
	score_update(ff, d);
	if ((d->flags & FFD_CLASSIFY) && !d->npend)
		classify(ff, d);
	if (!ok && t > dom_activity(d) && (int64_t)(t - dom_activity(d)) * 1000000 > ff->cf.expire_us)
		d->flags |= FFD_DROP;
	d->due_us = clock_mono_us() + next_interval(ff, d);
	lookup_end(ff, d);
	dispatch(ff);
}

static void ff_on_ns(struct resolver_query *q TIP_UNUSED, const struct resolver_answer *a,
		     void *arg)
{
	struct ffjob *j = arg;
	struct ff *ff = j->ff;
	struct ffdom *d = j->dom;
	struct rec r;
	job_put(ff, j);
	d->flags &= (uint8_t)~FFD_NS_BUSY;
	if (a->outcome != RESOLVER_CANCELLED && a->outcome != RESOLVER_NOMEM &&
	    dns_rec(ff, d, RESOLVER_NS, a, &r) == 0) {
		count_outcome(ff, a);
		trace_lookup(ff, d, "NS", a);
		put(ff, &r);
		ff->st.rec_dns++;
		ff->st.ns_lookups++;
		int had = d->flags & FFD_HAD_NS;
		unsigned fresh = dom_apply(ff, d, &r, NULL);
		if (had)
			ff->st.ns_changes += fresh;	/* double flux: the NS set moves */
		if (fresh && d->lookups)
			score_update(ff, d);
	}
	lookup_end(ff, d);
	dispatch(ff);
}

/* ---- candidates ------------------------------------------------------------------------------ */

static void ff_on_candidate(struct bus_sub *sub, const struct bus_cand *c)
{
	struct ff *ff = sub->arg;
	uint32_t t = now_s();
	ff->st.cand++;
	struct ffdom *d = dom_find(ff, c->name, c->len);
	if (d) {
		ff->st.cand_known++;
		d->cand_s = t;
		return;
	}
	if (ff->nstate[FASTFLUX_NEW] >= ff->cf.queue) {
		ff->st.cand_dropped_queue++;
		return;
	}
	if (ff->ndom >= ff->cf.max_domains) {
		ff->st.cand_dropped_full++;
		return;
	}
	d = dom_new(ff, c->name, c->len);
	if (!d) {
		ff->st.cand_invalid++;
		return;
	}
	d->cand_s = t;
	d->due_us = clock_mono_us();
	heap_push(ff, d);
	char esc[FF_ESC];
	log_trace(ff->m->trace, "fastflux: %s: new candidate from %s", dom_esc(esc, d),
		  bus_source_name(c->source));
}

/* ---- rebuild from the store ------------------------------------------------------------------ */

struct rebuild {
	struct ff *ff;
	uint64_t records, skipped, invalid;
	uint32_t swept_s;	/* record time of the last sweep for room */
};

/* The domain of a replayed record, created when room is left. */
static struct ffdom *rb_dom(struct rebuild *rb, const char *name, size_t len, uint32_t t)
{
	struct ff *ff = rb->ff;
	char norm[BUS_NAME_MAX + 1];
	/* the live module watches only names the bus normalised: a stored name
	 * that is not one (a damaged or foreign store) is no domain of ours */
	if (bus_name_norm(name, len, norm) != (int)len || memcmp(norm, name, len)) {
		rb->invalid++;
		return NULL;
	}
	struct ffdom *d = dom_find(ff, name, len);
	if (d) {
		/* what the live module would have done: it expired and came back */
		uint32_t act = dom_activity(d);
		if (act && t > act && (int64_t)(t - act) * 1000000 > ff->cf.expire_us)
			dom_reset(ff, d);
		return d;
	}
	if (ff->ndom >= ff->cf.max_domains && t >= rb->swept_s + 3600) {
		/* forget the domains that were idle at this point of the past (at
		 * most once an hour of the past, so a full table costs no sweep
		 * per record) */
		rb->swept_s = t;
		for (size_t i = 0; i < ff->tab_cap; i++)
			for (struct ffdom *x = ff->tab[i], *nx; x; x = nx) {
				nx = x->hnext;
				uint32_t act = dom_activity(x);
				if (t > act && (int64_t)(t - act) * 1000000 > ff->cf.expire_us)
					dom_free(ff, x);
			}
	}
	if (ff->ndom >= ff->cf.max_domains) {
		rb->skipped++;
		return NULL;
	}
	return dom_new(ff, name, len);
}

static void rb_dns(struct rebuild *rb, const struct rec *r)
{
	const struct rec_dns *dn = &r->u.dns;
	if (dn->qtype != RESOLVER_A && dn->qtype != RESOLVER_NS)
		return;
	struct ffdom *d = rb_dom(rb, dn->name, dn->name_len, secs_of(r->ts_us));
	if (d)	/* a full window's window=1 sample follows, or rb_finish judges it */
		dom_apply(rb->ff, d, r, NULL);
}

static void rb_score(struct rebuild *rb, const struct rec *r)
{
	struct ff *ff = rb->ff;
	const struct rec_score *s = &r->u.score;
	struct ffdom *d = dom_find(ff, s->name, s->name_len);
	if (!d)
		return;
	if (s->window == 0) {
		d->score_x100 = flux_x100_of(s->score);
		d->ns_rec = (uint16_t)(s->n_ns > 65535 ? 65535 : s->n_ns);
		return;
	}
	d->win_x100 = flux_x100_of(s->score);
	d->win_a = (uint16_t)(s->n_a > 65535 ? 65535 : s->n_a);
	d->win_asn = (uint16_t)(s->n_asn > 65535 ? 65535 : s->n_asn);
	d->win_ns = (uint16_t)(s->n_ns > 65535 ? 65535 : s->n_ns);
	d->flags &= (uint8_t)~FFD_CLASSIFY;
	if (d->state == FASTFLUX_NEW || d->state == FASTFLUX_WINDOW)
		set_state(ff, d, flux_is_flux(d->win_x100) ? FASTFLUX_FLUX : FASTFLUX_BENIGN);
}

static void rb_enrich(struct rebuild *rb, const struct rec *r)
{
	struct ff *ff = rb->ff;
	const struct rec_enrich *en = &r->u.enrich;
	if (en->ip.family != 4)
		return;
	const uint8_t *p = en->ip.addr;
	uint32_t ip = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	struct enrich_ip *e = enrich_get(&ff->en, ip);
	if (!e)
		return;
	e->asn[0] = en->asn;
	e->asn[1] = 0;
	memcpy(e->cc, en->country, 2);
	e->asn_st = en->asn ? ENRICH_DONE : ENRICH_FAIL;
	if (en->ptr_len && en->ptr_len <= REC_NAME_MAX) {
		char *s = malloc(en->ptr_len + 1);
		if (s) {
			memcpy(s, en->ptr, en->ptr_len);
			s[en->ptr_len] = '\0';
			free(e->ptr);
			e->ptr = s;
			e->ptr_st = ENRICH_DONE;
		}
	}
	e->expires_s = secs_of(r->ts_us) + (uint32_t)(ff->cf.enrich_ttl_us / 1000000);
	e->dirty = 0;
	if (!ff->have_db && en->asn && en->as_name_len)
		enrich_as_seed(&ff->en, en->asn, en->as_name, en->as_name_len, e->expires_s);
}

/* "candidate SOURCE NAME": a name submitted and perhaps never looked up. */
static void rb_note(struct rebuild *rb, const struct rec *r)
{
	const struct rec_event *ev = &r->u.event;
	static const char pfx[] = "candidate ";
	if (ev->kind != REC_EV_NOTE || ev->text_len <= sizeof pfx ||
	    memcmp(ev->text, pfx, sizeof pfx - 1))
		return;
	const char *s = ev->text + sizeof pfx - 1, *end = ev->text + ev->text_len;
	const char *sp = memchr(s, ' ', (size_t)(end - s));
	if (!sp || sp + 1 >= end)
		return;
	char norm[BUS_NAME_MAX + 1];
	int n = bus_name_norm(sp + 1, (size_t)(end - sp - 1), norm);
	if (n <= 0)
		return;
	uint32_t t = secs_of(r->ts_us);
	struct ffdom *d = rb_dom(rb, norm, (size_t)n, t);
	if (d)
		d->cand_s = t;
}

static int rb_on_rec(void *ctx, const char *sensor TIP_UNUSED,
		     const struct store_seg *seg TIP_UNUSED, uint64_t pos TIP_UNUSED,
		     const struct rec *r)
{
	struct rebuild *rb = ctx;
	switch (r->type) {
	case REC_DNS:
		rb_dns(rb, r);
		break;
	case REC_SCORE:
		rb_score(rb, r);
		break;
	case REC_ENRICH:
		rb_enrich(rb, r);
		break;
	case REC_EVENT:
		rb_note(rb, r);
		break;
	default:
		return 0;
	}
	rb->records++;
	return 0;
}

static void rb_on_fault(void *ctx TIP_UNUSED, const char *path, uint64_t off, const char *why)
{
	if (seg_fault_of(why) == SEG_FAULT_TORN_TAIL)	/* the active segment's write in progress */
		return;
	log_warnx("fastflux: rebuild: %s:%llu: %s", path, (unsigned long long)off,
		  why ? why : "fault");
}

/* After the replay: ASNs of the addresses, verdicts, due times, idle domains dropped. */
static void rb_finish(struct ff *ff)
{
	uint32_t t = now_s();
	int64_t mono = clock_mono_us();
	for (size_t i = 0; i < ff->tab_cap; i++)
		for (struct ffdom *d = ff->tab[i], *nx; d; d = nx) {
			nx = d->hnext;
			uint32_t act = dom_activity(d);
			if (t > act && (int64_t)(t - act) * 1000000 > ff->cf.expire_us) {
				dom_free(ff, d);
				continue;
			}
			const uint32_t *a = d->sets.a.v;
			for (unsigned k = 0; k < d->sets.a.n; k++) {
				if (ff->have_db) {
					struct enrich_ip *e = enrich_get(&ff->en, a[k]);
					if (e && e->asn_st != ENRICH_DONE)
						set_asn_from_db(ff, e, t);
					if (e)
						add_asns(ff, d, e);
					continue;
				}
				struct enrich_ip *e = enrich_find(&ff->en, a[k]);
				if (e && e->asn_st == ENRICH_DONE) {
					add_asns(ff, d, e);
				} else if (!e || e->asn_st != ENRICH_FAIL) {
					e = enrich_get(&ff->en, a[k]);
					if (e && e->asn_st == ENRICH_NONE && enrich_push(&ff->en, a[k], ENRICH_Q_TXT) == 0)
						e->asn_st = ENRICH_QUEUED;
					if (pend_add(ff, d, a[k]) < 0)
						ff->st.nomem++;
				}
			}
			if ((d->flags & FFD_CLASSIFY) && !d->npend)
				classify(ff, d);
			if (!d->npend) {
				struct flux_verdict v;
				flux_sets_verdict(&d->sets, &v);
				if (v.score_x100 != d->score_x100 || v.n_ns != d->ns_rec ||
				    (d->state == FASTFLUX_BENIGN && v.flux))
					score_update(ff, d);
			}
			if (d->state == FASTFLUX_NEW) {
				d->due_us = mono;
			} else {
				int64_t due_wall = (int64_t)d->looked_s * 1000000 + next_interval(ff, d);
				int64_t delta = due_wall - clock_now_us();
				d->due_us = mono + (delta > 0 ? delta : 0);
			}
			heap_push(ff, d);
			ff->st.rebuilt_domains++;
			if (log_trace_on(ff->m->trace)) {
				struct flux_verdict v;
				char sc[32], wc[32], esc[FF_ESC];
				flux_sets_verdict(&d->sets, &v);
				fmt_x100(sc, sizeof sc, v.score_x100);
				fmt_x100(wc, sizeof wc, d->win_x100);
				log_trace(ff->m->trace, "fastflux: %s: rebuilt %s first=%u last=%u "
					  "lookups=%u nA=%u nASN=%u nNS=%u score=%s window=%s",
					  dom_esc(esc, d), state_names[d->state], d->first_s, d->last_s,
					  d->lookups, v.n_a, v.n_asn, v.n_ns, sc,
					  d->state >= FASTFLUX_FLUX ? wc : "-");
			}
		}
}

static void rebuild(struct ff *ff)
{
	const char *dir = ff->m->d->conf.store_dir;
	struct store_set set = {0};
	char err[512];
	if (!dir || !store_is_store(dir))
		return;
	if (store_set_add(&set, dir, err, sizeof err) < 0) {
		log_warnx("fastflux: rebuild: %s", err);
		return;
	}
	struct rebuild rb = {ff, 0, 0, 0, 0};
	int64_t t0 = clock_mono_us();
	store_set_scan(&set, rb_on_rec, rb_on_fault, &rb);
	store_set_free(&set);
	rb_finish(ff);
	ff->st.rebuilt_records = rb.records;
	ff->st.rebuild_skipped = rb.skipped;
	ff->st.rebuild_ms = (uint64_t)(clock_mono_us() - t0) / 1000;
	ff->st.rebuild_invalid = rb.invalid;
	if (rb.records)
		log_info("fastflux: rebuilt %llu domains (%zu flux) from %llu records in %llu ms%s",
			 (unsigned long long)ff->st.rebuilt_domains, ff->nstate[FASTFLUX_FLUX],
			 (unsigned long long)rb.records, (unsigned long long)ff->st.rebuild_ms,
			 rb.skipped ? "; some skipped: max-domains reached" : "");
	if (rb.invalid)
		log_warnx("fastflux: rebuild: %llu records of names that are no domain names skipped",
			  (unsigned long long)rb.invalid);
}

/* ---- the task --------------------------------------------------------------------------------- */

static void log_stats(struct ff *ff, const char *why)
{
	struct resolver_stats rs = {0};
	if (ff->res)
		resolver_stats(ff->res, &rs);
	const uint64_t *o = ff->st.outcome;
	log_info("fastflux: %s: domains=%zu flux=%zu benign=%zu window=%zu queued=%zu lookups=%llu "
		 "ns_lookups=%llu "
		 "ok=%llu nxdomain=%llu nodata=%llu servfail=%llu refused=%llu timeout=%llu "
		 "malformed=%llu truncated=%llu neterr=%llu; udns: sent=%llu replies=%llu "
		 "bad_replies=%llu unmatched=%llu wrong_server=%llu tcp=%llu tcp_failed=%llu",
		 why, ff->ndom, ff->nstate[FASTFLUX_FLUX], ff->nstate[FASTFLUX_BENIGN],
		 ff->nstate[FASTFLUX_WINDOW], ff->nstate[FASTFLUX_NEW],
		 /* the counts `tip status` shows under the same names */
		 (unsigned long long)ff->st.lookups, (unsigned long long)ff->st.ns_lookups,
		 (unsigned long long)o[RESOLVER_OK], (unsigned long long)o[RESOLVER_NXDOMAIN],
		 (unsigned long long)o[RESOLVER_NODATA], (unsigned long long)o[RESOLVER_SERVFAIL],
		 (unsigned long long)o[RESOLVER_REFUSED], (unsigned long long)o[RESOLVER_TIMEOUT],
		 (unsigned long long)o[RESOLVER_MALFORMED],
		 (unsigned long long)o[RESOLVER_TRUNCATED], (unsigned long long)o[RESOLVER_NETERR],
		 (unsigned long long)rs.udp_sent, (unsigned long long)rs.udp_replies,
		 (unsigned long long)rs.udp_bad_replies, (unsigned long long)rs.udp_unmatched,
		 (unsigned long long)rs.udp_wrong_server, (unsigned long long)rs.tcp_started,
		 (unsigned long long)rs.tcp_failed);
}

static int ff_run(struct sched_task *task)
{
	struct ff *ff = task->arg;
	if (ff->settle_needed)
		settle(ff);
	dispatch(ff);
	int64_t now = clock_mono_us();
	if (ff->cf.log_interval_us > 0 && now >= ff->next_log_us) {
		uint64_t n = ff->st.lookups + ff->st.ns_lookups;
		if (n != ff->logged_lookups && ff->next_log_us)
			log_stats(ff, "status");
		ff->logged_lookups = n;
		ff->next_log_us = now + ff->cf.log_interval_us;
	}
	arm(ff);
	return SCHED_OK;
}

/* ---- module operations ------------------------------------------------------------------------ */

static int open_db(struct ff *ff)
{
	const char *why = NULL;
	if (!ff->cf.asn_db)
		return 0;
	if (asn_db_open(&ff->db, ff->cf.asn_db, &why) < 0) {
		log_warnx("fastflux: asn-db %s: %s", ff->cf.asn_db, why ? why : strerror(errno));
		return -1;
	}
	ff->have_db = 1;
	return 0;
}

static int ff_init(struct module *m)
{
	char err[512];
	struct ff *ff = calloc(1, sizeof *ff);
	if (!ff)
		return -1;
	ff->m = m;
	heap_init(&ff->due);
	m->priv = ff;
	if (conf_read(&m->d->conf, m->sec, &ff->cf, err, sizeof err) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	if (enrich_init(&ff->en, ff->cf.enrich_cache, ff->cf.enrich_queue) < 0 || open_db(ff) < 0)
		return -1;
	sched_task_init(&ff->task, "fastflux", ff_run, ff);
	sched_task_init(&ff->timer, "fastflux-timer", ff_timer_run, ff);
	ff->armed_us = INT64_MAX;
	if (module_sched_conf(&m->d->conf, m->sec, &ff->task, 0, err, sizeof err) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	sched_on(&ff->task, SCHED_EV_CANDIDATES);
	if (ff->cf.rebuild)
		rebuild(ff);
	return 0;
}

static int ff_start(struct module *m)
{
	struct ff *ff = m->priv;
	struct resolver_config rc = ff->cf.rc;
	const char *why = NULL;
	rc.servers = ff->cf.servers;
	rc.resolv_conf = ff->cf.resolv_conf;
	ff->res = resolver_new(m->d->loop, &rc, &why);
	if (!ff->res) {
		int e = errno;
		log_warnx("fastflux: resolver: %s (%s %s)", why ? why : strerror(e),
			  ff->cf.servers ? "servers" : "resolv-conf",
			  ff->cf.servers ? ff->cf.servers
					 : (ff->cf.resolv_conf ? ff->cf.resolv_conf : "/etc/resolv.conf"));
		errno = 0;	/* the reason is in the line above */
		return -1;
	}
	if (sched_add(&m->d->sched, &ff->task) < 0 || sched_add(&m->d->sched, &ff->timer) < 0)
		return -1;
	ff->sub = (struct bus_sub){.name = "fastflux", .on_candidate = ff_on_candidate, .arg = ff};
	bus_subscribe(&m->d->bus, &ff->sub);
	ff->subscribed = 1;
	log_info("fastflux: watching %zu domains; servers %s; ASNs from %s", ff->ndom,
		 ff->cf.servers ? ff->cf.servers
				: (ff->cf.resolv_conf ? ff->cf.resolv_conf : "/etc/resolv.conf"),
		 ff->have_db ? ff->cf.asn_db : ff->cf.asn_zone);
	sched_trigger(&ff->task);
	return 0;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int ff_reload(struct module *m)
{
	struct ff *ff = m->priv;
	struct ff_conf nc, old;
	char err[512];
	if (conf_read(&m->d->conf, m->sec, &nc, err, sizeof err) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	if (module_sched_conf(&m->d->conf, m->sec, NULL, 0, err, sizeof err) < 0) {
		log_warnx("%s", err);
		conf_release(&nc);
		return -1;
	}
	old = ff->cf;
	if (!same(nc.servers, old.servers) || !same(nc.resolv_conf, old.resolv_conf) ||
	    memcmp(&nc.rc, &old.rc, sizeof nc.rc) || nc.enrich_queue != old.enrich_queue)
		log_warnx("fastflux: reload: resolver settings and enrich-queue take effect at "
			  "restart");
	/* what the running resolver and queue were made with stays */
	nc.rc = old.rc;
	nc.enrich_queue = old.enrich_queue;
	free(nc.servers);
	free(nc.resolv_conf);
	nc.servers = old.servers;
	nc.resolv_conf = old.resolv_conf;
	old.servers = old.resolv_conf = NULL;
	if (!same(nc.asn_db, old.asn_db)) {
		struct asn_db ndb;
		const char *why = NULL;
		if (nc.asn_db && asn_db_open(&ndb, nc.asn_db, &why) < 0) {
			log_warnx("fastflux: reload: asn-db %s: %s; keeping the previous ASN source",
				  nc.asn_db, why ? why : strerror(errno));
			free(nc.asn_db);
			nc.asn_db = old.asn_db;
			old.asn_db = NULL;
		} else {
			if (ff->have_db)
				asn_db_close(&ff->db);
			ff->have_db = nc.asn_db != NULL;
			if (ff->have_db)
				ff->db = ndb;
			/* what the cache knows came from the other source: ask again */
			enrich_expire_all(&ff->en);
		}
	}
	ff->cf = nc;
	ff->en.cap = nc.enrich_cache;
	conf_release(&old);
	if (module_sched_conf(&m->d->conf, m->sec, &ff->task, 0, err, sizeof err) < 0)
		return -1;
	sched_reschedule(&ff->task);
	ff->armed_us = INT64_MAX;	/* intervals may have changed: set the timer anew */
	arm(ff);
	return 0;
}

/* the keys of ff_stats, in order: ff_stat_fields0 to 3 */
static const char ff_stat_names[] =
	"domains\0"
	"queued\0"
	"window\0"
	"flux\0"
	"benign\0"
	"busy\0"
	"candidates\0"
	"cand_known\0"
	"cand_dropped_queue\0"
	"cand_dropped_full\0"
	"lookups\0"
	"answers\0"
	"ns_lookups\0"
	"ns_changes\0"
	"new_addrs\0"
	"classified_flux\0"
	"classified_benign\0"
	"promoted\0"
	"expired\0"
	"cap_a\0"
	"cap_asn\0"
	"cap_ns\0"
	"rec_dns\0"
	"rec_enrich\0"
	"rec_score\0"
	"rec_dropped\0"
	"txt\0"
	"txt_fail\0"
	"ptr\0"
	"ptr_fail\0"
	"ptr_dynamic\0"
	"asn_unknown\0"
	"asname\0"
	"asname_fail\0"
	"asname_cache\0"
	"asname_dropped\0"
	"asn_waiting\0"
	"enrich_inflight\0"
	"enrich_queued\0"
	"enrich_dropped\0"
	"cache\0"
	"cache_hits\0"
	"cache_misses\0"
	"cache_evicted\0"
	"submit_busy\0"
	"writer_pauses\0"
	"nomem\0"
	"rebuilt_domains\0"
	"rebuilt_records\0"
	"rebuild_ms\0"
	"rebuild_invalid\0"
	"res_submitted\0"
	"res_servers_silent\0"
	"res_refused_full\0"
	"res_udp_sent\0"
	"res_udp_replies\0"
	"res_udp_truncated\0"
	"res_udp_bad_replies\0"
	"res_udp_unmatched\0"
	"res_udp_wrong_server\0"
	"res_tcp_started\0"
	"res_tcp_failed\0"
	"res_reopens\0"
	"res_inflight\0"
	"res_queued\0";
static const uint16_t ff_stat_fields0[] = {
	MODULE_FIELD(struct ff, ndom),
	MODULE_FIELD(struct ff, nstate[FASTFLUX_NEW]),
	MODULE_FIELD(struct ff, nstate[FASTFLUX_WINDOW]),
	MODULE_FIELD(struct ff, nstate[FASTFLUX_FLUX]),
	MODULE_FIELD(struct ff, nstate[FASTFLUX_BENIGN]),
	MODULE_FIELD(struct ff, busy),
	MODULE_FIELD(struct ff, st.cand),
	MODULE_FIELD(struct ff, st.cand_known),
	MODULE_FIELD(struct ff, st.cand_dropped_queue),
	MODULE_FIELD(struct ff, st.cand_dropped_full),
	MODULE_FIELD(struct ff, st.lookups),
	MODULE_FIELD(struct ff, st.answers),
	MODULE_FIELD(struct ff, st.ns_lookups),
	MODULE_FIELD(struct ff, st.ns_changes),
	MODULE_FIELD(struct ff, st.new_addrs)
};
static const uint16_t ff_stat_fields1[] = {
	MODULE_FIELD(struct ff, st.classified_flux),
	MODULE_FIELD(struct ff, st.classified_benign),
	MODULE_FIELD(struct ff, st.promoted),
	MODULE_FIELD(struct ff, st.expired),
	MODULE_FIELD(struct ff, st.cap_a),
	MODULE_FIELD(struct ff, st.cap_asn),
	MODULE_FIELD(struct ff, st.cap_ns),
	MODULE_FIELD(struct ff, st.rec_dns),
	MODULE_FIELD(struct ff, st.rec_enrich),
	MODULE_FIELD(struct ff, st.rec_score),
	MODULE_FIELD(struct ff, st.rec_dropped),
	MODULE_FIELD(struct ff, st.txt),
	MODULE_FIELD(struct ff, st.txt_fail),
	MODULE_FIELD(struct ff, st.ptr),
	MODULE_FIELD(struct ff, st.ptr_fail),
	MODULE_FIELD(struct ff, st.ptr_dynamic),
	MODULE_FIELD(struct ff, st.asn_unknown),
	MODULE_FIELD(struct ff, st.asname),
	MODULE_FIELD(struct ff, st.asname_fail),
	MODULE_FIELD(struct ff, en.as_n),
	MODULE_FIELD(struct ff, en.as_dropped),
	MODULE_FIELD(struct ff, nwait),
	MODULE_FIELD(struct ff, ejobs),
	MODULE_FIELD(struct ff, en.q_n),
	MODULE_FIELD(struct ff, en.dropped),
	MODULE_FIELD(struct ff, en.n),
	MODULE_FIELD(struct ff, st.cache_hits),
	MODULE_FIELD(struct ff, st.cache_misses),
	MODULE_FIELD(struct ff, en.evicted),
	MODULE_FIELD(struct ff, st.submit_busy),
	MODULE_FIELD(struct ff, st.writer_pauses),
	MODULE_FIELD(struct ff, st.nomem),
	MODULE_FIELD(struct ff, st.rebuilt_domains),
	MODULE_FIELD(struct ff, st.rebuilt_records),
	MODULE_FIELD(struct ff, st.rebuild_ms),
	MODULE_FIELD(struct ff, st.rebuild_invalid)
};
static const uint16_t ff_stat_fields2[] = {
	MODULE_FIELD(struct resolver_stats, submitted),
	MODULE_FIELD(struct resolver_stats, silent)
};
static const uint16_t ff_stat_fields3[] = {
	MODULE_FIELD(struct resolver_stats, refused_full),
	MODULE_FIELD(struct resolver_stats, udp_sent),
	MODULE_FIELD(struct resolver_stats, udp_replies),
	MODULE_FIELD(struct resolver_stats, udp_truncated),
	MODULE_FIELD(struct resolver_stats, udp_bad_replies),
	MODULE_FIELD(struct resolver_stats, udp_unmatched),
	MODULE_FIELD(struct resolver_stats, udp_wrong_server),
	MODULE_FIELD(struct resolver_stats, tcp_started),
	MODULE_FIELD(struct resolver_stats, tcp_failed),
	MODULE_FIELD(struct resolver_stats, reopens),
	MODULE_FIELD(struct resolver_stats, inflight),
	MODULE_FIELD(struct resolver_stats, queued)
};
_Static_assert(offsetof(struct ff, names) < 1 << 15, "ff_stat_fields: offsets over 15 bits");
#define FF_EMIT(i, base) \
	(k = module_emit_fields(emit, ctx, base, k, ff_stat_fields##i, \
				sizeof ff_stat_fields##i / sizeof ff_stat_fields##i[0]))

static void ff_stats(struct module *m, module_emit_fn emit, void *ctx)
{
	struct ff *ff = m->priv;
	struct ff_stats *s = &ff->st;
	const char *k = ff_stat_names;
	FF_EMIT(0, ff);
	for (int o = 0; o < RESOLVER__OUTCOMES; o++) {
		char key[32];
		if (o == RESOLVER_CANCELLED)
			continue;
		snprintf(key, sizeof key, "dns_%s", resolver_outcome_name((enum resolver_outcome)o));
		emit(ctx, key, s->outcome[o]);
	}
	FF_EMIT(1, ff);
	if (ff->res) {
		struct resolver_stats rs;
		resolver_stats(ff->res, &rs);
		FF_EMIT(2, &rs);
		for (int o = 0; o < RESOLVER__OUTCOMES; o++) {
			char key[32];
			snprintf(key, sizeof key, "res_%s",
				 resolver_outcome_name((enum resolver_outcome)o));
			emit(ctx, key, rs.outcome[o]);
		}
		FF_EMIT(3, &rs);
	}
}

static void ff_stop(struct module *m)
{
	struct ff *ff = m->priv;
	if (!ff)
		return;
	if (ff->subscribed)
		bus_unsubscribe(&m->d->bus, &ff->sub);
	sched_del(&ff->task);
	sched_del(&ff->timer);
	if (ff->res && (ff->st.lookups || ff->st.ns_lookups))
		log_stats(ff, "stopping");
	/* every handle in flight is cancelled: no callback comes after this */
	while (ff->active.head) {
		struct ffjob *j = container_of(ff->active.head, struct ffjob, link);
		if (ff->res && j->q)
			resolver_cancel(ff->res, j->q);
		job_put(ff, j);
	}
	resolver_free(ff->res);
	ff->res = NULL;
	for (size_t i = 0; i < ff->tab_cap; i++)
		for (struct ffdom *d = ff->tab[i], *nx; d; d = nx) {
			nx = d->hnext;
			flux_sets_fini(&d->sets);
			free(d->pend);
			free(d);
		}
	free(ff->tab);
	heap_fini(&ff->due);
	free(ff->wait);
	enrich_fini(&ff->en);
	while (ff->freejobs.head) {
		struct ffjob *j = container_of(ff->freejobs.head, struct ffjob, link);
		dlist_remove(&ff->freejobs, &j->link);
		free(j);
	}
	free(ff->a4buf);
	if (ff->have_db)
		asn_db_close(&ff->db);
	conf_release(&ff->cf);
	free(ff);
	m->priv = NULL;
}

int fastflux_domain(const struct module *m, const char *name, struct fastflux_info *out)
{
	const struct ff *ff = m->priv;
	if (!ff)
		return 0;
	const struct ffdom *d = dom_find(ff, name, strlen(name));
	if (!d)
		return 0;
	memset(out, 0, sizeof *out);
	out->state = d->state;
	out->lookups = d->lookups;
	out->answers = d->sets.answers;
	flux_sets_verdict(&d->sets, &out->v);
	out->window_closed = d->state == FASTFLUX_FLUX || d->state == FASTFLUX_BENIGN;
	if (out->window_closed) {
		out->w.n_a = d->win_a;
		out->w.n_asn = d->win_asn;
		out->w.n_ns = d->win_ns;
		out->w.score_x100 = d->win_x100;
		out->w.margin_x100 = d->win_x100 - FLUX_THRESHOLD;
		out->w.flux = flux_is_flux(d->win_x100);
	}
	out->first_us = (int64_t)d->first_s * 1000000;
	out->last_us = (int64_t)d->last_s * 1000000;
	out->due_in_us = d->heap_i == FF_NOHEAP ? -1 : d->due_us - clock_mono_us();
	out->ttl = d->ttl;
	out->asn_pending = d->npend;
	out->backoff = d->backoff;
	out->errors = d->errs;
	out->fluxiness = flux_sets_fluxiness(&d->sets);
	return 1;
}

const struct module_ops mod_fastflux_ops = {
	.name = "fastflux",
	.default_on = 0,
	.check = ff_check,
	.init = ff_init,
	.start = ff_start,
	.reload = ff_reload,
	.stats = ff_stats,
	.stop = ff_stop,
};
