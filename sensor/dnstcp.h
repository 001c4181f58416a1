/*
 * dnstcp: one DNS query over TCP (RFC 1035 4.2.2, RFC 7766), non-blocking
 * on libev.  The resolver uses it when a UDP reply came back truncated
 * (udns 0.4 has no TCP).  One connection per query: connect, write the
 * two-byte length and the query, read the two-byte length and the reply,
 * close.  A timer bounds the whole exchange.
 *
 * Ownership: struct dnstcp is caller-allocated (embed it; recover the
 * owner with container_of in the callback).  The reply buffer belongs to
 * dnstcp and is valid only during the callback.  dnstcp_start never calls
 * the callback before it returns: a connect that fails at once is reported
 * from the loop.  The callback runs after the socket is closed and the
 * watchers stopped, so it may start the struct again or free it.
 * dnstcp_stop cancels without a callback.  Loop thread only.
 */
#ifndef TIP_DNSTCP_H
#define TIP_DNSTCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <ev.h>

#define DNSTCP_QUERY_MAX 512

struct dnstcp;

/*
 * err 0 with the reply, or an errno value: ETIMEDOUT, ECONNREFUSED,
 * ECONNRESET, EPROTO (the peer closed early or sent a zero length),
 * ENOMEM, or whatever connect/write/read reported.
 */
typedef void dnstcp_cb(struct dnstcp *t, int err, const uint8_t *reply, size_t len);

struct dnstcp {
	/* private */
	struct ev_loop *loop;
	ev_io io;
	ev_timer timer;
	int fd;
	int state;
	int pending_err;	/* a start-time failure, delivered from the loop */
	dnstcp_cb *cb;
	uint8_t out[2 + DNSTCP_QUERY_MAX];
	size_t out_len, out_off;
	uint8_t lenbuf[2];
	size_t len_got;
	uint8_t *reply;
	size_t reply_len, reply_got;
};

void dnstcp_init(struct dnstcp *t, struct ev_loop *loop);

/*
 * Send query q (a whole DNS message, at most DNSTCP_QUERY_MAX bytes) to
 * sa over TCP; the answer comes to cb within timeout seconds.  0, or -1
 * with errno EINVAL/EMSGSIZE/EBUSY (already running) and no callback.
 */
int dnstcp_start(struct dnstcp *t, const struct sockaddr *sa, socklen_t salen, const uint8_t *q,
		 size_t qlen, double timeout, dnstcp_cb *cb);

/* Cancel: close, free, no callback.  Harmless when not running. */
void dnstcp_stop(struct dnstcp *t);

/* 1 while started and not yet reported. */
int dnstcp_active(const struct dnstcp *t);

#endif
