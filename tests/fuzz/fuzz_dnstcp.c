/*
 * fuzz_dnstcp: DNS over TCP as the resolver reads it (sensor/dnstcp.c):
 * the two-byte length and the reply, from a real TCP peer on 127.0.0.1.
 * The first byte of the input sets the size of the pieces the peer sends
 * the rest in (at most 8 pieces), then the peer closes.  A reply handed
 * over must be exactly the bytes the length announced; it then goes to the
 * DNS parser as the resolver's does.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "dnsmsg.h"
#include "dnstcp.h"
#include "fuzz.h"

static struct ev_loop *loop;
static int lfd = -1;
static struct sockaddr_in addr;

static const uint8_t *want;
static size_t want_len;
static int done, got_err;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	socklen_t sl = sizeof addr;
	loop = ev_default_loop(0);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	FUZZ_CHECK(lfd >= 0);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	FUZZ_CHECK(bind(lfd, (struct sockaddr *)&addr, sizeof addr) == 0);
	FUZZ_CHECK(listen(lfd, 8) == 0);
	FUZZ_CHECK(getsockname(lfd, (struct sockaddr *)&addr, &sl) == 0);
	return 0;
}

static void on_reply(struct dnstcp *t, int err, const uint8_t *reply, size_t len)
{
	done = 1;
	got_err = err;
	if (err)
		return;
	FUZZ_CHECK(want_len >= 2);
	size_t framed = (size_t)want[0] << 8 | want[1];
	FUZZ_CHECK(len == framed && len <= want_len - 2 && !memcmp(reply, want + 2, len));
	static struct dnsmsg_rr rr[64];
	static char text[8192];
	struct dnsmsg_arena a;
	struct dnsmsg_reply r;
	const char *why;
	dnsmsg_arena_init(&a, rr, 64, text, sizeof text);
	dnsmsg_parse(reply, len, &a, &r, &why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t query[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0,
					7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1};
	struct dnstcp t;

	if (size < 1)
		return 0;
	want = data + 1;
	want_len = size - 1;
	/* at most 8 pieces: each one is a round trip through the loop, and a
	   reply cut in 1-byte pieces ran at 1,700 inputs/s; short inputs are
	   still cut inside the length */
	size_t piece = 1 + data[0] * 4, least = (want_len + 7) / 8;
	if (piece < least)
		piece = least;
	done = 0;
	dnstcp_init(&t, loop);
	FUZZ_CHECK(dnstcp_start(&t, (struct sockaddr *)&addr, sizeof addr, query, sizeof query, 5.0,
				on_reply) == 0);
	int peer = -1;
	size_t sent = 0, qgot = 0;
	int shut = 0;
	uint8_t qbuf[2 + sizeof query];
	while (!done) {
		if (peer < 0) {
			peer = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			FUZZ_CHECK(peer >= 0 || errno == EAGAIN || errno == EWOULDBLOCK);
			/* small pieces: without it Nagle and delayed ACKs make each input take 40 ms */
			int one = 1;
			if (peer >= 0)
				setsockopt(peer, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		}
		if (peer >= 0 && qgot < sizeof qbuf) {
			ssize_t k = read(peer, qbuf + qgot, sizeof qbuf - qgot);
			if (k > 0)
				qgot += (size_t)k;
			if (qgot == sizeof qbuf)	/* the query went out framed */
				FUZZ_CHECK(qbuf[0] == 0 && qbuf[1] == sizeof query &&
					   !memcmp(qbuf + 2, query, sizeof query));
		}
		if (peer >= 0 && qgot == sizeof qbuf && sent < want_len) {
			size_t n = want_len - sent < piece ? want_len - sent : piece;
			ssize_t k = send(peer, want + sent, n, MSG_NOSIGNAL);
			FUZZ_CHECK(k > 0 || errno == EAGAIN || errno == EPIPE || errno == ECONNRESET);
			if (k > 0)
				sent += (size_t)k;
		}
		if (peer >= 0 && qgot == sizeof qbuf && sent == want_len && !shut) {
			shutdown(peer, SHUT_WR);
			shut = 1;
		}
		ev_run(loop, EVRUN_ONCE | (peer >= 0 && !shut ? EVRUN_NOWAIT : 0));
	}
	dnstcp_stop(&t);
	if (peer >= 0)
		close(peer);
	/* a reply is whole or refused: never one from a short or empty frame */
	if (want_len < 2 || ((size_t)want[0] << 8 | want[1]) > want_len - 2 ||
	    (want[0] == 0 && want[1] == 0))
		FUZZ_CHECK(got_err != 0);
	return 0;
}
