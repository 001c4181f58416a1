/*
 * dnstcp: DNS over TCP on libev (see dnstcp.h).  States: CONNECTING
 * (waiting for writability), WRITING, READING_LEN, READING, and IDLE.
 * The reply length comes from the peer: it is at most 65535 by
 * construction, zero is refused, and the buffer is exactly that long.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdefs.h"
#include "dnstcp.h"

enum { ST_IDLE, ST_CONNECTING, ST_WRITING, ST_READING_LEN, ST_READING, ST_FAILING };

static void finish(struct dnstcp *t, int err)
{
	dnstcp_cb *cb = t->cb;
	uint8_t *reply = t->reply;
	size_t len = t->reply_len;

	ev_io_stop(t->loop, &t->io);
	ev_timer_stop(t->loop, &t->timer);
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->state = ST_IDLE;
	t->reply = NULL;
	t->reply_len = t->reply_got = 0;
	cb(t, err, err ? NULL : reply, err ? 0 : len);
	free(reply);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dnstcp *t = container_of(w, struct dnstcp, timer);
	(void)loop;
	(void)revents;
	finish(t, t->state == ST_FAILING ? t->pending_err : ETIMEDOUT);
}

static void set_events(struct dnstcp *t, int events)
{
	ev_io_stop(t->loop, &t->io);
	ev_io_set(&t->io, t->fd, events);
	ev_io_start(t->loop, &t->io);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dnstcp *t = container_of(w, struct dnstcp, io);
	ssize_t n;
	(void)loop;
	(void)revents;

	switch (t->state) {
	case ST_CONNECTING: {
		int err = 0;
		socklen_t sl = sizeof err;
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0)
			err = errno;
		if (err) {
			finish(t, err);
			return;
		}
		/* connected: the socket is writable, so write at once */
		t->state = ST_WRITING;
	}
		/* fall through */
	case ST_WRITING:
		n = send(t->fd, t->out + t->out_off, t->out_len - t->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				finish(t, errno);
			return;
		}
		t->out_off += (size_t)n;
		if (t->out_off == t->out_len) {
			t->state = ST_READING_LEN;
			set_events(t, EV_READ);
		}
		return;
	case ST_READING_LEN:
		n = recv(t->fd, t->lenbuf + t->len_got, 2 - t->len_got, 0);
		if (n <= 0)
			goto out_read_err;
		t->len_got += (size_t)n;
		if (t->len_got < 2)
			return;
		t->reply_len = (size_t)t->lenbuf[0] << 8 | t->lenbuf[1];
		if (t->reply_len == 0) {
			finish(t, EPROTO);
			return;
		}
		t->reply = malloc(t->reply_len);
		if (!t->reply) {
			finish(t, ENOMEM);
			return;
		}
		t->state = ST_READING;
		return;
	case ST_READING:
		n = recv(t->fd, t->reply + t->reply_got, t->reply_len - t->reply_got, 0);
		if (n <= 0)
			goto out_read_err;
		t->reply_got += (size_t)n;
		if (t->reply_got == t->reply_len)
			finish(t, 0);
		return;
	default:
		return;
	}

out_read_err:
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	finish(t, n == 0 ? EPROTO : errno);
}

void dnstcp_init(struct dnstcp *t, struct ev_loop *loop)
{
	memset(t, 0, sizeof *t);
	t->loop = loop;
	t->fd = -1;
	t->state = ST_IDLE;
	ev_init(&t->io, on_io);
	ev_init(&t->timer, on_timer);
}

int dnstcp_active(const struct dnstcp *t)
{
	return t->state != ST_IDLE;
}

int dnstcp_start(struct dnstcp *t, const struct sockaddr *sa, socklen_t salen, const uint8_t *q,
		 size_t qlen, double timeout, dnstcp_cb *cb)
{
	if (t->state != ST_IDLE) {
		errno = EBUSY;
		return -1;
	}
	if (!sa || !cb || !q || qlen < 12 || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)) {
		errno = EINVAL;
		return -1;
	}
	if (qlen > DNSTCP_QUERY_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	t->cb = cb;
	t->out[0] = (uint8_t)(qlen >> 8);
	t->out[1] = (uint8_t)qlen;
	memcpy(t->out + 2, q, qlen);
	t->out_len = qlen + 2;
	t->out_off = 0;
	t->len_got = 0;
	t->reply = NULL;
	t->reply_len = t->reply_got = 0;
	ev_timer_set(&t->timer, timeout > 0 ? timeout : 5.0, 0.);

	t->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0)
		goto out_fail_later;
	if (connect(t->fd, sa, salen) < 0 && errno != EINPROGRESS)
		goto out_fail_later;
	t->state = ST_CONNECTING;
	ev_io_set(&t->io, t->fd, EV_WRITE);
	ev_io_start(t->loop, &t->io);
	ev_timer_start(t->loop, &t->timer);
	return 0;

out_fail_later:
	/* report from the loop, never from inside start */
	t->pending_err = errno;
	t->state = ST_FAILING;
	ev_timer_set(&t->timer, 0., 0.);
	ev_timer_start(t->loop, &t->timer);
	return 0;
}

void dnstcp_stop(struct dnstcp *t)
{
	if (t->state == ST_IDLE)
		return;
	ev_io_stop(t->loop, &t->io);
	ev_timer_stop(t->loop, &t->timer);
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	free(t->reply);
	t->reply = NULL;
	t->state = ST_IDLE;
}
