/*
 * resolver: the udns 0.4 implementation of resolver.h, on libev.
 *
 * A query moves QUEUED -> UDP -> (TCPWAIT -> TCP) -> done, and is on
 * exactly one of the lists queue, udp, tcpwait, tcp while alive; it goes
 * back to the free list only after its callback has returned (state DONE
 * during the callback, so a stray resolver_cancel of it is harmless).
 *
 * How udns is driven, and what it does not tell us:
 * - udns reports timeout, SERVFAIL, REFUSED and a truncated reply all as
 *   DNS_E_TEMPFAIL.  Its debug hook is called for every packet sent and
 *   every reply matched to a query, with the query's callback data; we
 *   keep the last RCODE and TC bit there, and the server that sent it,
 *   which is how the outcomes are told apart and how TCP finds its server.
 * - Queries are submitted without a parse routine, so udns hands back a
 *   copy of the raw reply and dnsmsg.c parses it (one parser for UDP and
 *   TCP, bounds-checked).
 * - udns 0.4's dns_cancel unlinks a query but does not free it (checked in
 *   its source and in Debian's binary): we free it.  dns_close frees the
 *   queries still in flight without calling them back, so a context is
 *   re-opened only once drained, and never from inside a udns callback
 *   (udns still uses its buffers after calling us): re-opens, dispatch and
 *   TCP starts happen in an ev_prepare watcher ("kick").
 * - udns keeps time in whole seconds from the `now` we pass (ev_now).
 * - Nothing here calls a user callback from resolver_submit: submit only
 *   queues and arms the kick.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>
#include <udns.h>

#include "cdefs.h"
#include "dnsmsg.h"
#include "dnstcp.h"
#include "dnstype.h"
#include "list.h"
#include "log.h"
#include "resolver.h"

#define MAX_SERVERS 6		/* DNS_MAXSERV */
#define MAX_CONTEXTS 64

enum qstate { Q_FREE, Q_QUEUED, Q_UDP, Q_TCPWAIT, Q_TCP, Q_DONE };

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

struct rctx {
	struct resolver *r;
	struct dns_ctx *dc;
	ev_io io;
	ev_timer tm;
	unsigned active;	/* our queries on this context */
	int draining;		/* no new queries: re-open when active reaches 0 */
	int open;
};

struct tcpq {
	struct dnstcp t;
	struct resolver_query *q;
	uint16_t id;
};

struct resolver_query {
	struct dlink link;	/* on the list of its state, or the free list */
	struct resolver *r;
	struct rctx *ctx;
	struct dns_query *dq;
	struct tcpq *tcp;
	resolver_cb *cb;
	void *arg;
	double t0;
	enum qstate state;
	uint16_t type;
	int16_t last_rcode;	/* of the last reply udns matched; -1 none */
	uint8_t saw_tc;
	uint8_t wire_len;
	uint16_t sent;
	socklen_t from_len;
	union sockaddr_any from;	/* who sent the last reply */
	uint8_t wire[DNSMSG_WIRE_NAME_MAX];
};


struct resolver {
	struct ev_loop *loop;
	struct resolver_config cfg;
	struct rctx ctx[MAX_CONTEXTS];
	unsigned nctx, next_ctx, reopen_next;
	union sockaddr_any serv[MAX_SERVERS];
	socklen_t serv_len[MAX_SERVERS];
	unsigned nserv;
	/* silence: ev_now of the first packet sent to a server since its last reply (0: none) */
	double serv_waiting[MAX_SERVERS];
	uint8_t serv_silent[MAX_SERVERS];
	ev_timer silence_timer;
	struct dlist queue, udp, tcpwait, tcp;
	struct dlist freelist;
	unsigned allocated;
	ev_prepare kick;
	ev_timer rate_timer;
	ev_timer reopen_timer;
	double tokens, tokens_at;
	int shutting;
	struct resolver_stats st;
	/* one answer at a time is delivered: its storage lives here */
	struct dnsmsg_arena arena;
	struct dnsmsg_rr *arena_rr;
	char *arena_text;
	struct resolver_rr *out_rr;
	char qname[DNSMSG_TEXT_NAME_MAX];
	uint64_t rand_state;
	int trace;		/* log trace flag "resolver" */
};

static void kick_start(struct resolver *r);

/* ---- small helpers ---------------------------------------------------------- */

static struct resolver_query *q_of(struct dlink *l)
{
	return container_of(l, struct resolver_query, link);
}

static struct dlist *list_of(struct resolver *r, enum qstate s)
{
	switch (s) {
	case Q_QUEUED: return &r->queue;
	case Q_UDP: return &r->udp;
	case Q_TCPWAIT: return &r->tcpwait;
	case Q_TCP: return &r->tcp;
	default: return NULL;
	}
}

/* A background watcher must not keep ev_run alive on its own. */
static void bg_start_io(struct ev_loop *loop, ev_io *w)
{
	ev_io_start(loop, w);
	ev_unref(loop);
}

static void bg_stop_io(struct ev_loop *loop, ev_io *w)
{
	if (ev_is_active(w)) {
		ev_ref(loop);
		ev_io_stop(loop, w);
	}
}

static uint16_t rand16(struct resolver *r)
{
	/* xorshift64*, seeded from getrandom (IDs of TCP queries only) */
	uint64_t x = r->rand_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->rand_state = x;
	return (uint16_t)((x * 2685821657736338717ull) >> 48);
}

const char *resolver_outcome_name(enum resolver_outcome o)
{
	static const char names[RESOLVER__OUTCOMES][10] = {
		"ok", "nxdomain", "nodata", "servfail", "refused", "timeout",
		"malformed", "truncated", "neterr", "nomem", "cancelled",
	};
	return (unsigned)o < RESOLVER__OUTCOMES ? names[o] : "?";
}

void resolver_config_defaults(struct resolver_config *c)
{
	memset(c, 0, sizeof *c);
	c->resolv_conf = "/etc/resolv.conf";
	c->timeout = 2;
	c->tries = 2;
	c->edns_size = 4096;
	c->contexts = 4;
	c->per_ctx_inflight = 128;
	c->max_inflight = 256;
	c->max_queued = 4096;
	c->reopen_interval = 60;
	c->rcvbuf = 1 << 20;
	c->tcp_max = 8;
	c->tcp_timeout = 5.0;
	c->max_rr = 256;
	c->text_bytes = 16384;
	c->silence = 60;
}

int resolver_ptr_name(int family, const uint8_t *addr, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	int n;
	if (family == 4) {
		n = snprintf(buf, cap, "%u.%u.%u.%u.in-addr.arpa", addr[3], addr[2], addr[1], addr[0]);
	} else if (family == 6) {
		char nib[64];
		size_t k = 0;
		for (int i = 15; i >= 0; i--) {
			nib[k++] = hex[addr[i] & 0xf];
			nib[k++] = '.';
			nib[k++] = hex[addr[i] >> 4];
			nib[k++] = '.';
		}
		n = snprintf(buf, cap, "%.*sip6.arpa", (int)k, nib);
	} else {
		return -1;
	}
	return (n < 0 || (size_t)n >= cap) ? -1 : n;
}

/* ---- servers ---------------------------------------------------------------- */

/* "1.2.3.4", "1.2.3.4:53", "::1", "[::1]", "[::1]:5353" */
static int parse_server(const char *s, size_t n, union sockaddr_any *sa, socklen_t *len)
{
	char host[64];
	unsigned long port = 53;
	const char *colon = NULL;

	memset(sa, 0, sizeof *sa);
	if (n == 0 || n >= sizeof host)
		return -1;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (!close || close == s + 1 || (size_t)(close - s - 1) >= sizeof host)
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		if (close + 1 < s + n) {
			if (close[1] != ':')
				return -1;
			colon = close + 1;
		}
	} else {
		const char *first = memchr(s, ':', n);
		const char *last = first;
		for (const char *p = first; p && p < s + n; p = memchr(p + 1, ':', (size_t)(s + n - p - 1)))
			last = p;
		/* one colon: IPv4 with a port; several: a bare IPv6 address */
		size_t hl = (first && first == last) ? (size_t)(first - s) : n;
		if (first && first == last)
			colon = first;
		memcpy(host, s, hl);
		host[hl] = '\0';
	}
	if (colon) {
		char *end;
		char pbuf[8];
		size_t pl = (size_t)(s + n - colon - 1);
		if (pl == 0 || pl >= sizeof pbuf)
			return -1;
		memcpy(pbuf, colon + 1, pl);
		pbuf[pl] = '\0';
		errno = 0;
		port = strtoul(pbuf, &end, 10);
		if (*end || errno || port == 0 || port > 65535)
			return -1;
	}
	if (inet_pton(AF_INET, host, &sa->sin.sin_addr) == 1) {
		sa->sin.sin_family = AF_INET;
		sa->sin.sin_port = htons((uint16_t)port);
		*len = sizeof sa->sin;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sa->sin6.sin6_addr) == 1) {
		sa->sin6.sin6_family = AF_INET6;
		sa->sin6.sin6_port = htons((uint16_t)port);
		*len = sizeof sa->sin6;
		return 0;
	}
	return -1;
}

static int add_servers(struct resolver *r, const char *list, const char **why)
{
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\t' && *p != ',')
			p++;
		if (p == s)
			break;
		if (r->nserv == MAX_SERVERS) {
			*why = "more than 6 servers";
			return -1;
		}
		if (parse_server(s, (size_t)(p - s), &r->serv[r->nserv], &r->serv_len[r->nserv]) < 0) {
			*why = "bad server address";
			return -1;
		}
		r->nserv++;
	}
	return 0;
}

int resolver_server_check(const char *s)
{
	union sockaddr_any sa;
	socklen_t len;
	return parse_server(s, strlen(s), &sa, &len);
}

static int read_resolv_conf(struct resolver *r, const char *path, const char **why)
{
	FILE *f = fopen(path, "r");
	char line[512];
	if (!f) {
		*why = "cannot read resolv.conf";
		return -1;
	}
	while (fgets(line, sizeof line, f) && r->nserv < MAX_SERVERS) {
		char addr[128];
		/* "nameserver ADDR"; a %scope suffix is dropped */
		if (sscanf(line, " nameserver %127s", addr) != 1)
			continue;
		char *pct = strchr(addr, '%');
		if (pct)
			*pct = '\0';
		union sockaddr_any sa;
		socklen_t len;
		char br[132];
		snprintf(br, sizeof br, strchr(addr, ':') ? "[%s]" : "%s", addr);
		if (parse_server(br, strlen(br), &sa, &len) == 0) {
			r->serv[r->nserv] = sa;
			r->serv_len[r->nserv++] = len;
		}
	}
	fclose(f);
	return 0;
}

/* ---- silent servers --------------------------------------------------------------
 * A server that was sent queries and has not answered any of them for
 * cfg.silence seconds is reported once, by name, and once more when it
 * answers again.  Timeouts alone say nothing about which server is mute.
 */

/* Index of the server sa is (udns may hand an IPv4 server as v4-mapped IPv6), or -1. */
static int serv_index(const struct resolver *r, const struct sockaddr *sa)
{
	struct sockaddr_in v4;
	if (!sa)
		return -1;
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			memset(&v4, 0, sizeof v4);
			v4.sin_family = AF_INET;
			v4.sin_port = s6->sin6_port;
			memcpy(&v4.sin_addr, s6->sin6_addr.s6_addr + 12, 4);
			sa = (const struct sockaddr *)&v4;
		}
	}
	for (unsigned i = 0; i < r->nserv; i++) {
		const union sockaddr_any *s = &r->serv[i];
		if (s->sa.sa_family != sa->sa_family)
			continue;
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
			if (a->sin_port == s->sin.sin_port &&
			    a->sin_addr.s_addr == s->sin.sin_addr.s_addr)
				return (int)i;
		} else if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
			if (a->sin6_port == s->sin6.sin6_port &&
			    !memcmp(&a->sin6_addr, &s->sin6.sin6_addr, 16))
				return (int)i;
		}
	}
	return -1;
}

static void serv_name(const struct resolver *r, unsigned i, char *out, size_t cap)
{
	char a[INET6_ADDRSTRLEN] = "?";
	const union sockaddr_any *s = &r->serv[i];
	if (s->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &s->sin6.sin6_addr, a, sizeof a);
		snprintf(out, cap, "[%s]:%u", a, ntohs(s->sin6.sin6_port));
	} else {
		inet_ntop(AF_INET, &s->sin.sin_addr, a, sizeof a);
		snprintf(out, cap, "%s:%u", a, ntohs(s->sin.sin_port));
	}
}

static void serv_sent(struct resolver *r, const struct sockaddr *sa)
{
	int i = serv_index(r, sa);
	if (i >= 0 && r->serv_waiting[i] == 0)
		r->serv_waiting[i] = ev_now(r->loop);
}

static void serv_answered(struct resolver *r, const struct sockaddr *sa)
{
	int i = serv_index(r, sa);
	if (i < 0)
		return;
	if (r->serv_silent[i]) {
		char name[INET6_ADDRSTRLEN + 8];
		serv_name(r, (unsigned)i, name, sizeof name);
		log_warnx("resolver: %s answers again after %.0f s", name,
			  ev_now(r->loop) - r->serv_waiting[i]);
		r->serv_silent[i] = 0;
		r->st.silent--;
	}
	r->serv_waiting[i] = 0;
}

static void on_silence(struct ev_loop *loop, ev_timer *w, int revents TIP_UNUSED)
{
	struct resolver *r = container_of(w, struct resolver, silence_timer);
	double now = ev_now(loop);
	for (unsigned i = 0; i < r->nserv; i++) {
		if (r->serv_silent[i] || r->serv_waiting[i] == 0 ||
		    now - r->serv_waiting[i] < r->cfg.silence)
			continue;
		char name[INET6_ADDRSTRLEN + 8];
		serv_name(r, i, name, sizeof name);
		log_warnx("resolver: no reply from %s in %u s", name, r->cfg.silence);
		r->serv_silent[i] = 1;
		r->st.silent++;
		r->st.silences++;
	}
}

/* ---- udns contexts ------------------------------------------------------------ */

static void ctx_on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rctx *c = container_of(w, struct rctx, io);
	(void)revents;
	dns_ioevent(c->dc, (time_t)ev_now(loop));
}

static void ctx_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rctx *c = container_of(w, struct rctx, tm);
	(void)revents;
	dns_timeouts(c->dc, -1, (time_t)ev_now(loop));
}

/* udns asks for its timer: timeout < 0 none, else seconds from now. */
static void ctx_utm(struct dns_ctx *dc, int timeout, void *data)
{
	struct rctx *c = data;
	/* dns_close drops the timer with our data, then calls again with NULL */
	if (!c)
		return;
	struct ev_loop *loop = c->r->loop;
	ev_timer_stop(loop, &c->tm);
	if (dc && timeout >= 0) {
		ev_timer_set(&c->tm, timeout, 0.);
		ev_timer_start(loop, &c->tm);
	}
}

/* udns' debug hook: every packet sent and every reply it matched or dropped. */
static void ctx_dbg(int code, const struct sockaddr *sa, unsigned salen, dnscc_t *pkt, int plen,
		    const struct dns_query *dq, void *data)
{
	struct resolver_query *q = data;
	(void)dq;
	if (code == 1) {
		if (q) {
			q->r->st.udp_sent++;
			q->sent++;
			serv_sent(q->r, sa);
		}
		return;
	}
	if (code != 0 || !q) {
		/* -1 bad reply, -2 wrong server, -5 no matching query: no query to blame */
		return;
	}
	q->r->st.udp_replies++;
	serv_answered(q->r, sa);
	if (plen >= DNSMSG_HDR) {
		q->last_rcode = pkt[3] & 0x0f;
		if (pkt[2] & 0x02) {
			q->saw_tc = 1;
			q->r->st.udp_truncated++;
		}
	}
	if (sa && salen <= sizeof q->from) {
		memcpy(&q->from, sa, salen);
		q->from_len = (socklen_t)(sa->sa_family == AF_INET6 ? sizeof q->from.sin6 : sizeof q->from.sin);
	}
}

/*
 * The same hook, for events no query owns (a reply udns could not parse
 * or match): udns passes neither the context nor our data then, so these
 * three counters go to the most recently created resolver.  tipd has one;
 * with several, only these counters are shared out wrongly.
 */
static struct resolver *dbg_owner;

static void ctx_dbg_any(int code, const struct sockaddr *sa, unsigned salen, dnscc_t *pkt, int plen,
			const struct dns_query *dq, void *data)
{
	if (data) {
		ctx_dbg(code, sa, salen, pkt, plen, dq, data);
		return;
	}
	if (!dbg_owner)
		return;
	if (code == -1 || code == -5)
		serv_answered(dbg_owner, sa);	/* late or garbled, but the server speaks */
	if (code == -1)
		dbg_owner->st.udp_bad_replies++;
	else if (code == -2)
		dbg_owner->st.udp_wrong_server++;
	else if (code == -5)
		dbg_owner->st.udp_unmatched++;
}

static void ctx_set_rcvbuf(struct resolver *r, int fd)
{
	if (r->cfg.rcvbuf) {
		int v = (int)r->cfg.rcvbuf;
		/* SO_RCVBUFFORCE passes rmem_max when privileged; else the capped SO_RCVBUF */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
	}
	int got = 0;
	socklen_t gl = sizeof got;
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0)
		r->st.rcvbuf = got;
}

static int ctx_open(struct resolver *r, struct rctx *c)
{
	/* dns_close forgets the timer hook: set it again on every open */
	dns_set_tmcbck(c->dc, ctx_utm, c);
	int fd = dns_open(c->dc);
	if (fd < 0)
		return -1;
	ctx_set_rcvbuf(r, fd);
	ev_io_set(&c->io, fd, EV_READ);
	bg_start_io(r->loop, &c->io);
	c->open = 1;
	return 0;
}

static void ctx_close(struct resolver *r, struct rctx *c)
{
	bg_stop_io(r->loop, &c->io);
	ev_timer_stop(r->loop, &c->tm);
	if (c->open)
		dns_close(c->dc);
	c->open = 0;
}

static int ctx_init(struct resolver *r, struct rctx *c, const char **why)
{
	c->r = r;
	c->dc = dns_new(NULL);
	if (!c->dc) {
		*why = "out of memory";
		return -1;
	}
	ev_init(&c->io, ctx_on_io);
	ev_init(&c->tm, ctx_on_timer);
	dns_add_serv(c->dc, NULL);
	for (unsigned i = 0; i < r->nserv; i++)
		if (dns_add_serv_s(c->dc, &r->serv[i].sa) < 0) {
			*why = "udns refused a server";
			return -1;
		}
	if (dns_set_opt(c->dc, DNS_OPT_TIMEOUT, (int)r->cfg.timeout) < 0 ||
	    dns_set_opt(c->dc, DNS_OPT_NTRIES, (int)r->cfg.tries) < 0 ||
	    dns_set_opt(c->dc, DNS_OPT_UDPSIZE, r->cfg.edns_size > 512 ? (int)r->cfg.edns_size : 512) < 0 ||
	    dns_set_opt(c->dc, DNS_OPT_FLAGS, DNS_NOSRCH) < 0) {
		*why = "udns refused an option";
		return -1;
	}
	dns_set_dbgfn(c->dc, ctx_dbg_any);
	if (ctx_open(r, c) < 0) {
		*why = "cannot open a UDP socket";
		return -1;
	}
	return 0;
}

/* ---- completion ---------------------------------------------------------------- */

static void recycle(struct resolver *r, struct resolver_query *q)
{
	q->state = Q_FREE;
	q->cb = NULL;
	dlist_push(&r->freelist, &q->link);
}

static void deliver(struct resolver *r, struct resolver_query *q, struct resolver_answer *a)
{
	struct dlist *l = list_of(r, q->state);
	if (l)
		dlist_remove(l, &q->link);
	q->state = Q_DONE;
	if (dnsmsg_wire_to_text(q->wire, q->wire_len, r->qname, sizeof r->qname) < 0)
		r->qname[0] = '\0';
	a->qname = r->qname;
	a->qtype = q->type;
	a->sent = q->sent;
	a->elapsed = ev_now(r->loop) - q->t0;
	if ((unsigned)a->outcome < RESOLVER__OUTCOMES)
		r->st.outcome[a->outcome]++;
	r->st.dropped_rr += a->dropped;
	if (log_trace_on(r->trace)) {
		char esc[LOG_ESC_MAX], tb[DNSTYPE_NAME_MAX];
		log_trace(r->trace, "resolver: %s %s: %s rcode=%d n=%u ttl=%u sent=%u tcp=%d %.3fs%s%s",
			  log_esc(esc, sizeof esc, r->qname, strlen(r->qname)), dnstype_name(q->type, tb),
			  resolver_outcome_name(a->outcome), a->rcode, a->n, a->ttl, a->sent, a->tcp,
			  a->elapsed, a->why ? ": " : "", a->why ? a->why : "");
	}
	if (q->cb)
		q->cb(q, a, q->arg);
	recycle(r, q);
}

static void deliver_simple(struct resolver *r, struct resolver_query *q, enum resolver_outcome o,
			   int rcode, const char *why)
{
	struct resolver_answer a;
	memset(&a, 0, sizeof a);
	a.outcome = o;
	a.rcode = rcode;
	a.why = why;
	if (rcode >= 0 && q->from_len) {
		a.server = &q->from.sa;
		a.server_len = q->from_len;
	}
	deliver(r, q, &a);
}

static enum resolver_outcome rcode_outcome(int rcode)
{
	switch (rcode) {
	case DNS_RCODE_NOERROR: return RESOLVER_NODATA;
	case DNS_RCODE_NXDOMAIN: return RESOLVER_NXDOMAIN;
	case DNS_RCODE_SERVFAIL: return RESOLVER_SERVFAIL;
	default: return RESOLVER_REFUSED;
	}
}

/* A whole reply (UDP via udns, or TCP): parse, match, deliver. */
static void deliver_reply(struct resolver *r, struct resolver_query *q, const uint8_t *pkt, size_t len,
			  int tcp, int want_id)
{
	struct dnsmsg_reply rep;
	struct resolver_answer a;
	const char *why = NULL;

	memset(&a, 0, sizeof a);
	a.tcp = tcp;
	if (q->from_len) {
		a.server = &q->from.sa;
		a.server_len = q->from_len;
	}
	a.rcode = -1;
	if (dnsmsg_parse(pkt, len, &r->arena, &rep, &why) < 0) {
		a.outcome = RESOLVER_MALFORMED;
		a.why = why;
		deliver(r, q, &a);
		return;
	}
	a.rcode = rep.rcode;
	if (dnsmsg_wire_to_text(q->wire, q->wire_len, r->qname, sizeof r->qname) < 0 ||
	    !dnsmsg_question_is(&rep, r->qname, q->type) || (want_id >= 0 && rep.id != want_id)) {
		a.outcome = RESOLVER_MALFORMED;
		a.why = "reply does not match the query";
		deliver(r, q, &a);
		return;
	}
	if (rep.tc) {
		a.outcome = tcp ? RESOLVER_MALFORMED : RESOLVER_TRUNCATED;
		a.why = "truncated reply";
		deliver(r, q, &a);
		return;
	}
	if (rep.rcode != DNS_RCODE_NOERROR || rep.n == 0) {
		a.outcome = rcode_outcome(rep.rcode);
		a.cname = rep.cname;
		a.dropped = rep.dropped;
		deliver(r, q, &a);
		return;
	}
	for (unsigned i = 0; i < rep.n; i++) {
		struct resolver_rr *o = &r->out_rr[i];
		const struct dnsmsg_rr *in = &rep.rr[i];
		o->ttl = in->ttl;
		o->type = in->type;
		o->len = in->len;
		if (in->type == DNS_TYPE_A || in->type == DNS_TYPE_AAAA)
			memcpy(o->u.addr, in->u.addr, sizeof o->u.addr);
		else
			o->u.text = in->u.text;
	}
	a.outcome = RESOLVER_OK;
	a.n = rep.n;
	a.rr = r->out_rr;
	a.ttl = rep.min_ttl;
	a.dropped = rep.dropped;
	a.cname = rep.cname;
	deliver(r, q, &a);
}

/* ---- TCP fallback ----------------------------------------------------------------- */

static void tcp_on_done(struct dnstcp *t, int err, const uint8_t *reply, size_t len)
{
	struct tcpq *tq = container_of(t, struct tcpq, t);
	struct resolver_query *q = tq->q;
	struct resolver *r = q->r;
	uint16_t id = tq->id;

	free(tq);
	q->tcp = NULL;
	r->st.tcp_active--;
	kick_start(r);	/* a TCP slot is free */
	if (err) {
		r->st.tcp_failed++;
		deliver_simple(r, q, RESOLVER_TRUNCATED, -1,
			       err == ETIMEDOUT ? "tcp: timeout" :
			       err == ECONNREFUSED ? "tcp: connection refused" :
			       err == EPROTO ? "tcp: closed early" : "tcp: failed");
		return;
	}
	deliver_reply(r, q, reply, len, 1, id);
}

static void tcp_start(struct resolver *r, struct resolver_query *q)
{
	uint8_t msg[DNSMSG_QUERY_MAX];
	char name[DNSMSG_TEXT_NAME_MAX];
	struct tcpq *tq;
	int len;

	dlist_remove(&r->tcpwait, &q->link);
	q->state = Q_TCP;
	dlist_push(&r->tcp, &q->link);
	tq = malloc(sizeof *tq);
	if (!tq) {
		deliver_simple(r, q, RESOLVER_NOMEM, -1, NULL);
		return;
	}
	tq->q = q;
	tq->id = rand16(r);
	dnstcp_init(&tq->t, r->loop);
	if (dnsmsg_wire_to_text(q->wire, q->wire_len, name, sizeof name) < 0 ||
	    (len = dnsmsg_query(msg, sizeof msg, tq->id, name, q->type, 1, 0)) < 0 ||
	    dnstcp_start(&tq->t, &q->from.sa, q->from_len, msg, (size_t)len, r->cfg.tcp_timeout,
			 tcp_on_done) < 0) {
		free(tq);
		deliver_simple(r, q, RESOLVER_TRUNCATED, -1, "tcp: cannot start");
		return;
	}
	q->tcp = tq;
	r->st.tcp_started++;
	r->st.tcp_active++;
}

/* ---- UDP via udns ----------------------------------------------------------------- */

static void udp_on_done(struct dns_ctx *dc, void *result, void *data)
{
	struct resolver_query *q = data;
	struct resolver *r = q->r;
	struct rctx *c = q->ctx;
	int status = dns_status(dc);

	q->dq = NULL;
	q->ctx = NULL;
	c->active--;
	r->st.inflight--;
	kick_start(r);	/* a slot is free, maybe a context drained */

	if (result) {
		/* no parse routine: result is a malloc'd copy of the reply, status its length */
		deliver_reply(r, q, result, status > 0 ? (size_t)status : 0, 0, -1);
		free(result);
		return;
	}
	switch (status) {
	case DNS_E_NXDOMAIN:
		deliver_simple(r, q, RESOLVER_NXDOMAIN, DNS_RCODE_NXDOMAIN, NULL);
		return;
	case DNS_E_NODATA:
		deliver_simple(r, q, RESOLVER_NODATA, DNS_RCODE_NOERROR, NULL);
		return;
	case DNS_E_NOMEM:
		deliver_simple(r, q, RESOLVER_NOMEM, -1, NULL);
		return;
	case DNS_E_PROTOCOL:
	case DNS_E_BADQUERY:
		deliver_simple(r, q, RESOLVER_MALFORMED, q->last_rcode, "udns: protocol error");
		return;
	default:
		break;
	}
	/* DNS_E_TEMPFAIL: what the debug hook saw decides */
	if (q->saw_tc && q->from_len && !r->shutting) {
		dlist_remove(&r->udp, &q->link);
		q->state = Q_TCPWAIT;
		dlist_push(&r->tcpwait, &q->link);
		return;
	}
	if (q->last_rcode <= 0)
		deliver_simple(r, q, q->sent ? RESOLVER_TIMEOUT : RESOLVER_NETERR, -1,
			       q->sent ? NULL : "udns: could not send");
	else if (q->last_rcode == DNS_RCODE_SERVFAIL)
		deliver_simple(r, q, RESOLVER_SERVFAIL, q->last_rcode, NULL);
	else
		deliver_simple(r, q, RESOLVER_REFUSED, q->last_rcode, NULL);
}

static struct rctx *pick_ctx(struct resolver *r)
{
	for (unsigned k = 0; k < r->nctx; k++) {
		struct rctx *c = &r->ctx[(r->next_ctx + k) % r->nctx];
		if (c->open && !c->draining && c->active < r->cfg.per_ctx_inflight) {
			r->next_ctx = (unsigned)(c - r->ctx + 1) % r->nctx;
			return c;
		}
	}
	return NULL;
}

static int take_token(struct resolver *r)
{
	double now = ev_now(r->loop), burst = r->cfg.qps / 20.0 + 1.0;
	if (!r->cfg.qps)
		return 1;
	r->tokens += (now - r->tokens_at) * r->cfg.qps;
	r->tokens_at = now;
	if (r->tokens > burst)
		r->tokens = burst;
	if (r->tokens >= 1.0) {
		r->tokens -= 1.0;
		return 1;
	}
	if (!ev_is_active(&r->rate_timer)) {
		ev_timer_set(&r->rate_timer, (1.0 - r->tokens) / r->cfg.qps, 0.);
		ev_timer_start(r->loop, &r->rate_timer);
		r->st.rate_waits++;
	}
	return 0;
}

static void dispatch(struct resolver *r)
{
	while (r->queue.head && r->st.inflight < r->cfg.max_inflight) {
		struct rctx *c = pick_ctx(r);
		if (!c || !take_token(r))
			return;
		struct resolver_query *q = q_of(r->queue.head);
		dlist_remove(&r->queue, &q->link);
		q->state = Q_UDP;
		dlist_push(&r->udp, &q->link);
		q->dq = dns_submit_dn(c->dc, q->wire, DNS_C_IN, q->type, DNS_NOSRCH, NULL, udp_on_done, q);
		if (!q->dq) {
			deliver_simple(r, q, dns_status(c->dc) == DNS_E_NOMEM ? RESOLVER_NOMEM : RESOLVER_MALFORMED,
				       -1, "udns: submit failed");
			continue;
		}
		q->ctx = c;
		c->active++;
		r->st.inflight++;
	}
}

static void on_kick(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct resolver *r = container_of(w, struct resolver, kick);
	(void)revents;
	ev_prepare_stop(loop, w);
	for (unsigned i = 0; i < r->nctx; i++) {
		struct rctx *c = &r->ctx[i];
		if (c->draining && c->active == 0 && !r->shutting) {
			/* a new socket, so a new source port */
			ctx_close(r, c);
			if (ctx_open(r, c) == 0) {
				r->st.reopens++;
				c->draining = 0;
			}	/* else: tried again at the next kick */
		}
	}
	while (r->tcpwait.head && r->st.tcp_active < r->cfg.tcp_max)
		tcp_start(r, q_of(r->tcpwait.head));
	dispatch(r);
}

static void kick_start(struct resolver *r)
{
	if (!r->shutting && !ev_is_active(&r->kick))
		ev_prepare_start(r->loop, &r->kick);
}

static void on_rate(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolver *r = container_of(w, struct resolver, rate_timer);
	(void)loop;
	(void)revents;
	dispatch(r);
}

static void on_reopen(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct resolver *r = container_of(w, struct resolver, reopen_timer);
	(void)loop;
	(void)revents;
	struct rctx *c = &r->ctx[r->reopen_next++ % r->nctx];
	c->draining = 1;
	kick_start(r);
}

/* ---- public ------------------------------------------------------------------------- */

struct resolver *resolver_new(struct ev_loop *loop, const struct resolver_config *cfg, const char **why)
{
	const char *dummy;
	struct resolver *r;

	if (!why)
		why = &dummy;
	r = calloc(1, sizeof *r);
	if (!r) {
		*why = "out of memory";
		return NULL;
	}
	r->loop = loop;
	r->cfg = *cfg;
	r->trace = log_trace_id("resolver");
	struct resolver_config *c = &r->cfg;
	if (c->contexts == 0 || c->contexts > MAX_CONTEXTS || c->per_ctx_inflight == 0 ||
	    c->timeout < 1 || c->timeout > 300 || c->tries < 1 || c->tries > 50 ||
	    c->max_rr == 0 || c->text_bytes < DNSMSG_TEXT_NAME_MAX || c->edns_size > 65535 ||
	    c->silence > 86400) {
		*why = "configuration out of range";
		goto out_inval;
	}
	if (c->max_inflight == 0 || c->max_inflight > c->contexts * c->per_ctx_inflight)
		c->max_inflight = c->contexts * c->per_ctx_inflight;
	if (c->tcp_max == 0)
		c->tcp_max = 1;
	if (c->tcp_timeout <= 0)
		c->tcp_timeout = 5.0;

	if (c->servers && *c->servers) {
		if (add_servers(r, c->servers, why) < 0)
			goto out_inval;
	} else if (read_resolv_conf(r, c->resolv_conf ? c->resolv_conf : "/etc/resolv.conf", why) < 0) {
		goto out_inval;
	}
	if (r->nserv == 0) {
		*why = "no nameserver";
		goto out_inval;
	}

	r->arena_rr = calloc(c->max_rr, sizeof *r->arena_rr);
	r->out_rr = calloc(c->max_rr, sizeof *r->out_rr);
	r->arena_text = malloc(c->text_bytes);
	if (!r->arena_rr || !r->out_rr || !r->arena_text) {
		*why = "out of memory";
		goto out_free;
	}
	dnsmsg_arena_init(&r->arena, r->arena_rr, c->max_rr, r->arena_text, c->text_bytes);
	if (getrandom(&r->rand_state, sizeof r->rand_state, GRND_NONBLOCK) != sizeof r->rand_state)
		r->rand_state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	r->rand_state |= 1;

	ev_prepare_init(&r->kick, on_kick);
	ev_init(&r->rate_timer, on_rate);
	ev_init(&r->reopen_timer, on_reopen);
	ev_init(&r->silence_timer, on_silence);
	r->tokens_at = ev_now(loop);
	r->tokens = 1.0;

	/* a default context with udns' defaults (no resolv.conf read) to copy from */
	dns_reset(NULL);
	dbg_owner = r;
	for (r->nctx = 0; r->nctx < c->contexts; r->nctx++)
		if (ctx_init(r, &r->ctx[r->nctx], why) < 0) {
			if (r->ctx[r->nctx].dc)
				dns_free(r->ctx[r->nctx].dc);
			goto out_free;
		}
	if (c->reopen_interval) {
		/* spread over the contexts: each socket lives about reopen_interval * contexts */
		ev_timer_set(&r->reopen_timer, c->reopen_interval, c->reopen_interval);
		ev_timer_start(loop, &r->reopen_timer);
		ev_unref(loop);
	}
	if (c->silence) {
		/* checked 20 times per period: a mute server is named within 5% of it */
		double every = c->silence / 20.0;
		ev_timer_set(&r->silence_timer, every, every);
		ev_timer_start(loop, &r->silence_timer);
		ev_unref(loop);
	}
	r->st.contexts = r->nctx;
	r->st.servers = r->nserv;
	return r;

out_inval:
	free(r);
	errno = EINVAL;
	return NULL;
out_free:
	resolver_free(r);
	errno = EINVAL;
	return NULL;
}

static void cancel_one(struct resolver *r, struct resolver_query *q)
{
	switch (q->state) {
	case Q_UDP:
		if (q->dq && q->ctx) {
			dns_cancel(q->ctx->dc, q->dq);
			free(q->dq);	/* udns 0.4 does not */
			q->ctx->active--;
			r->st.inflight--;
		}
		q->dq = NULL;
		q->ctx = NULL;
		break;
	case Q_TCP:
		if (q->tcp) {
			dnstcp_stop(&q->tcp->t);
			free(q->tcp);
			q->tcp = NULL;
			r->st.tcp_active--;
		}
		break;
	default:
		break;
	}
	struct dlist *l = list_of(r, q->state);
	if (l)
		dlist_remove(l, &q->link);
}

void resolver_cancel(struct resolver *r, struct resolver_query *q)
{
	if (!q || q->r != r)
		return;
	if (q->state == Q_FREE || q->state == Q_DONE)
		return;	/* already answered: nothing to cancel */
	cancel_one(r, q);
	r->st.cancelled++;
	recycle(r, q);
	kick_start(r);
}

struct resolver_query *resolver_submit(struct resolver *r, enum resolver_type type, const char *name,
				       resolver_cb *cb, void *arg)
{
	struct resolver_query *q;
	uint8_t wire[DNSMSG_WIRE_NAME_MAX];
	int wl;

	if (r->shutting) {
		errno = ESHUTDOWN;
		return NULL;
	}
	if (!cb || !name || (type != RESOLVER_A && type != RESOLVER_AAAA && type != RESOLVER_NS &&
			     type != RESOLVER_PTR && type != RESOLVER_TXT)) {
		errno = EINVAL;
		return NULL;
	}
	wl = dnsmsg_name_to_wire(name, wire, sizeof wire);
	if (wl < 2) {	/* not the root either: nothing here asks for it */
		errno = EINVAL;
		return NULL;
	}
	if (r->queue.n >= r->cfg.max_queued) {
		r->st.refused_full++;
		errno = EAGAIN;
		return NULL;
	}
	if (r->freelist.head) {
		q = q_of(r->freelist.head);
		dlist_remove(&r->freelist, &q->link);
	} else {
		q = malloc(sizeof *q);
		if (!q) {
			errno = ENOMEM;
			return NULL;
		}
		r->allocated++;
	}
	memset(q, 0, offsetof(struct resolver_query, wire));
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	q->type = (uint16_t)type;
	q->last_rcode = -1;
	q->t0 = ev_now(r->loop);
	memcpy(q->wire, wire, (size_t)wl);
	q->wire_len = (uint8_t)wl;
	q->state = Q_QUEUED;
	dlist_push(&r->queue, &q->link);
	r->st.submitted++;
	kick_start(r);
	return q;
}

void resolver_shutdown(struct resolver *r)
{
	struct dlist *lists[] = {&r->queue, &r->udp, &r->tcpwait, &r->tcp};
	r->shutting = 1;
	if (ev_is_active(&r->kick))
		ev_prepare_stop(r->loop, &r->kick);
	ev_timer_stop(r->loop, &r->rate_timer);
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		while (lists[i]->head) {
			struct resolver_query *q = q_of(lists[i]->head);
			cancel_one(r, q);	/* unlinks it */
			q->state = Q_FREE;	/* nothing left to unlink in deliver */
			deliver_simple(r, q, RESOLVER_CANCELLED, -1, NULL);
		}
	}
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;	/* before &r->...: a module that failed to start frees a NULL one */
	struct dlist *lists[] = {&r->queue, &r->udp, &r->tcpwait, &r->tcp};
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		while (lists[i]->head) {
			struct resolver_query *q = q_of(lists[i]->head);
			cancel_one(r, q);
			free(q);
		}
	if (ev_is_active(&r->kick))
		ev_prepare_stop(r->loop, &r->kick);
	ev_timer_stop(r->loop, &r->rate_timer);
	if (ev_is_active(&r->reopen_timer)) {
		ev_ref(r->loop);
		ev_timer_stop(r->loop, &r->reopen_timer);
	}
	if (ev_is_active(&r->silence_timer)) {
		ev_ref(r->loop);
		ev_timer_stop(r->loop, &r->silence_timer);
	}
	for (unsigned i = 0; i < r->nctx; i++) {
		ctx_close(r, &r->ctx[i]);
		dns_free(r->ctx[i].dc);
	}
	while (r->freelist.head) {
		struct resolver_query *q = q_of(r->freelist.head);
		dlist_remove(&r->freelist, &q->link);
		free(q);
	}
	if (dbg_owner == r)
		dbg_owner = NULL;
	free(r->arena_rr);
	free(r->out_rr);
	free(r->arena_text);
	free(r);
}

void resolver_stats(const struct resolver *r, struct resolver_stats *st)
{
	*st = r->st;
	st->queued = r->queue.n + r->tcpwait.n;
}
