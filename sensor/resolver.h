/*
 * resolver: asynchronous DNS lookups for the sensor's modules.
 *
 * The interface is small and names no library type, so another stub
 * resolver could replace the udns 0.4 one in resolver.c (and a test can
 * link a fake in its place).  One struct ev_loop, passed explicitly; loop
 * thread only.
 *
 * Behind it: several udns contexts, each with its own UDP socket and at
 * most `per_ctx_inflight` queries (udns walks its whole in-flight list
 * per query and per reply); sockets re-opened on a schedule so the source
 * port keeps changing (a context drains first: udns drops what is in
 * flight on close); SO_RCVBUF raised; a cap on queries per second and on
 * queries in flight, with a bounded FIFO before them; truncated replies
 * asked again over TCP (dnstcp.c); every reply, UDP or TCP, parsed by
 * dnsmsg.c.  Outcomes are recorded and counted, never fatal.
 *
 * Lifetime rules:
 * - resolver_submit returns a handle; the callback is called exactly once
 *   for it, never before resolver_submit has returned, unless the handle
 *   is cancelled first.  After the callback starts, the handle is dead.
 * - resolver_cancel: no callback, the handle is dead at once.
 * - resolver_shutdown: every live handle gets RESOLVER_CANCELLED, then
 *   submits fail (ESHUTDOWN).  resolver_free cancels whatever is left
 *   without callbacks and frees everything.  Neither from a callback.
 * - struct resolver_answer and everything it points to belong to the
 *   resolver and live only during the callback: copy what you keep.
 */
#ifndef TIP_RESOLVER_H
#define TIP_RESOLVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ev_loop;
struct resolver;
struct resolver_query;

enum resolver_type {
	RESOLVER_A = 1,
	RESOLVER_NS = 2,
	RESOLVER_PTR = 12,
	RESOLVER_TXT = 16,
	RESOLVER_AAAA = 28,
};

enum resolver_outcome {
	RESOLVER_OK = 0,	/* records of the type asked (n >= 1) */
	RESOLVER_NXDOMAIN,	/* the name does not exist */
	RESOLVER_NODATA,	/* the name exists, no records of this type */
	RESOLVER_SERVFAIL,	/* every server answered SERVFAIL */
	RESOLVER_REFUSED,	/* REFUSED (or NOTIMP/FORMERR after the EDNS0 retry): see rcode */
	RESOLVER_TIMEOUT,	/* no answer within timeout and tries */
	RESOLVER_MALFORMED,	/* an answer came that does not parse or does not match */
	RESOLVER_TRUNCATED,	/* truncated over UDP, and TCP failed too */
	RESOLVER_NETERR,	/* the query could not be sent */
	RESOLVER_NOMEM,
	RESOLVER_CANCELLED,	/* resolver_shutdown */
	RESOLVER__OUTCOMES
};

struct resolver_rr {
	uint32_t ttl;
	uint16_t type;
	uint16_t len;		/* 4 or 16 for addresses, else strlen(text) */
	union {
		uint8_t addr[16];	/* A, AAAA: network byte order */
		const char *text;	/* NS, PTR: a name without the final dot, RFC 1035
					   escapes; TXT: the record's strings joined (may hold NUL: use len) */
	} u;
};

struct resolver_answer {
	enum resolver_outcome outcome;
	int rcode;		/* RCODE of the deciding reply, -1 when none came */
	uint16_t qtype;
	const char *qname;	/* as submitted */
	unsigned n;		/* records in rr */
	const struct resolver_rr *rr;
	uint32_t ttl;		/* smallest TTL in rr; 0 when n == 0 */
	unsigned dropped;	/* records beyond the parse caps, not in rr */
	const char *cname;	/* the CNAME chain's end when one was followed, else NULL */
	int tcp;		/* 1: the answer came over TCP after a truncated one */
	unsigned sent;		/* UDP packets sent for it (tries x servers) */
	const struct sockaddr *server;	/* who gave the deciding reply; NULL when none */
	socklen_t server_len;
	double elapsed;		/* seconds from submit to outcome */
	const char *why;	/* RESOLVER_MALFORMED and others: a static reason, else NULL */
};

typedef void resolver_cb(struct resolver_query *q, const struct resolver_answer *a, void *arg);

struct resolver_config {
	const char *servers;	/* "127.0.0.1:5300 [::1]:53 10.0.0.1", at most 6;
				   NULL: the nameserver lines of resolv_conf */
	const char *resolv_conf;	/* default /etc/resolv.conf */
	unsigned timeout;	/* seconds for the first try (udns doubles it per round); 1..300 */
	unsigned tries;		/* rounds over the servers; 1..50 */
	unsigned edns_size;	/* EDNS0 UDP size advertised; 0 or 512 turn EDNS0 off */
	unsigned contexts;	/* udns contexts (sockets) */
	unsigned per_ctx_inflight;	/* queries in flight per context */
	unsigned max_inflight;	/* over all contexts (<= contexts * per_ctx_inflight) */
	unsigned max_queued;	/* waiting for a slot or a token; beyond it submit fails EAGAIN */
	unsigned qps;		/* queries started per second; 0 = no cap */
	unsigned reopen_interval;	/* seconds between two socket re-opens (round robin); 0 = never */
	unsigned rcvbuf;	/* SO_RCVBUF bytes asked for each socket; 0 = system default */
	unsigned tcp_max;	/* TCP fallbacks at once; more wait */
	double tcp_timeout;	/* seconds for one TCP exchange */
	unsigned max_rr;	/* records kept per answer (more are counted in dropped) */
	unsigned text_bytes;	/* bytes for names and TXT per answer */
	unsigned silence;	/* seconds a server that was sent queries may stay mute before
				   "no reply from ADDR in N s" is logged; 0 = never */
};

/* Counters since resolver_new; what `tip status` and the logs show. */
struct resolver_stats {
	uint64_t submitted;
	uint64_t outcome[RESOLVER__OUTCOMES];
	uint64_t refused_full;	/* submits refused: queue full */
	uint64_t cancelled;	/* by resolver_cancel */
	uint64_t udp_sent;	/* UDP packets, retries included */
	uint64_t udp_replies;	/* replies udns matched to a query */
	uint64_t udp_truncated;	/* of which TC=1 */
	uint64_t udp_bad_replies;	/* udns: unparsable header or question (not attributable) */
	uint64_t udp_unmatched;	/* udns: late or unknown replies */
	uint64_t udp_wrong_server;	/* udns: reply from an address not asked */
	uint64_t tcp_started, tcp_failed;
	uint64_t rate_waits;	/* times dispatch waited for a token */
	uint64_t reopens;	/* sockets re-opened */
	uint64_t dropped_rr;	/* records over the parse caps */
	uint32_t inflight, queued, tcp_active;	/* now */
	uint32_t contexts, servers;
	int rcvbuf;		/* SO_RCVBUF the kernel granted (last socket opened) */
	uint32_t silent;	/* servers mute now (see silence) */
	uint64_t silences;	/* times a server went mute */
};

/* Defaults: resolv.conf servers, timeout 2, tries 2, EDNS0 4096, 4 contexts
 * x 128, 256 in flight, 4096 queued, no qps cap, re-open every 60 s,
 * SO_RCVBUF 1 MiB, 8 TCP at 5 s, 256 records and 16 KiB of text per answer,
 * a mute server named after 60 s. */
void resolver_config_defaults(struct resolver_config *c);

/*
 * One server as `servers` takes it ("1.2.3.4", "1.2.3.4:53", "::1",
 * "[::1]:5353"; an address, never a name): 0, or -1.  For checkers, so a
 * configuration that passes cannot fail at start.  At most
 * RESOLVER_MAX_SERVERS servers.
 */
int resolver_server_check(const char *s);
#define RESOLVER_MAX_SERVERS 6

/* NULL with errno (EINVAL with a reason in *why: bad server, no server). */
struct resolver *resolver_new(struct ev_loop *loop, const struct resolver_config *c, const char **why);
void resolver_free(struct resolver *r);

/*
 * Ask for name/type.  The handle, or NULL with errno: EINVAL (a name that
 * does not encode, a type not listed), EAGAIN (queue full), ESHUTDOWN.
 */
struct resolver_query *resolver_submit(struct resolver *r, enum resolver_type type, const char *name,
				       resolver_cb *cb, void *arg);
void resolver_cancel(struct resolver *r, struct resolver_query *q);
void resolver_shutdown(struct resolver *r);

void resolver_stats(const struct resolver *r, struct resolver_stats *st);
const char *resolver_outcome_name(enum resolver_outcome o);

/*
 * The reverse name of an address for a PTR query: "31.108.90.216.in-addr.arpa"
 * (family 4, 4 bytes) or the ip6.arpa nibbles (family 6, 16 bytes), network
 * order.  Length written, or -1.
 */
int resolver_ptr_name(int family, const uint8_t *addr, char *buf, size_t cap);

#endif
