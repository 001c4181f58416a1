/*
 * ctl: the control socket on libev (ctl.h).
 *
 * Each connection owns one ev_io (read, then write while a reply is
 * pending) and one idle ev_timer, embedded in struct conn and recovered
 * with container_of.  Input is cut into lines in a fixed buffer of
 * CTL_LINE_MAX + 1 bytes; replies go to an hbuf bounded by CTL_REPLY_MAX.
 * Nothing blocks: the sockets are non-blocking and a slow reader only
 * holds its own buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <ev.h>

#include "bus.h"
#include "cdefs.h"
#include "ctl.h"
#include "list.h"
#include "log.h"

/* ---- parsing -------------------------------------------------------------- */

int ctl_parse(char *line, size_t len, struct ctl_req *req, char *err, size_t errlen)
{
	char *words[CTL_ARGS_MAX + 1];
	int n = 0;

	req->cmd = 0;
	req->argc = 0;
	if (len > CTL_LINE_MAX) {
		snprintf(err, errlen, "request longer than %d bytes", CTL_LINE_MAX);
		return -1;
	}
	if (len && line[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c >= 0x7f) {
			snprintf(err, errlen, "bad byte 0x%02x at column %zu", c, i + 1);
			return -1;
		}
	}
	for (size_t i = 0; i < len;) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			line[i++] = 0;
		if (i == len)
			break;
		if (n == CTL_ARGS_MAX + 1) {
			snprintf(err, errlen, "more than %d arguments", CTL_ARGS_MAX);
			return -1;
		}
		words[n++] = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
	}
	if (len < CTL_LINE_MAX + 1)
		line[len] = 0;	/* the caller's buffer has room for it */
	if (n == 0) {
		snprintf(err, errlen, "empty request");
		return -1;
	}
	if (!strcmp(words[0], "submit")) {
		if (n < 2) {
			snprintf(err, errlen, "usage: submit NAME...");
			return -1;
		}
		for (int i = 1; i < n; i++) {
			char norm[BUS_NAME_MAX + 1], esc[LOG_ESC_MAX];
			if (bus_name_norm(words[i], strlen(words[i]), norm) < 0) {
				snprintf(err, errlen, "not a domain name: \"%s\" (argument %d)",
					 log_esc(esc, sizeof esc, words[i], strlen(words[i])), i);
				return -1;
			}
		}
		req->cmd = CTL_SUBMIT;
	} else if (!strcmp(words[0], "status")) {
		if (n != 1) {
			snprintf(err, errlen, "usage: status");
			return -1;
		}
		req->cmd = CTL_STATUS;
	} else if (!strcmp(words[0], "trace")) {
		if (n != 3 || (strcmp(words[2], "on") && strcmp(words[2], "off"))) {
			snprintf(err, errlen, "usage: trace MODULE on|off");
			return -1;
		}
		req->cmd = CTL_TRACE;
	} else if (!strcmp(words[0], "clock")) {
		if (n != 2 || (strcmp(words[1], "synced") && strcmp(words[1], "unsynced") &&
			       strcmp(words[1], "auto"))) {
			snprintf(err, errlen, "usage: clock synced|unsynced|auto");
			return -1;
		}
		req->cmd = CTL_CLOCK;
	} else {
		char esc[LOG_ESC_MAX];
		snprintf(err, errlen, "unknown command \"%s\"",
			 log_esc(esc, 40, words[0], strlen(words[0])));
		return -1;
	}
	req->argc = n - 1;
	for (int i = 1; i < n; i++)
		req->argv[i - 1] = words[i];
	return 0;
}

int ctl_execute(const struct ctl_ops *ops, void *arg, char *line, size_t len, struct hbuf *out)
{
	struct ctl_req *req = malloc(sizeof *req);	/* 4 KB: not on the stack */
	char msg[512] = "";
	int rc = -1;

	if (!req) {
		hbuf_printf(out, "error: out of memory\n");
		return -1;
	}
	if (ctl_parse(line, len, req, msg, sizeof msg) == 0) {
		switch (req->cmd) {
		case CTL_SUBMIT:
			rc = ops->submit(arg, req->argc, req->argv, out, msg, sizeof msg);
			break;
		case CTL_STATUS:
			rc = ops->status(arg, out, msg, sizeof msg);
			break;
		case CTL_TRACE:
			rc = ops->trace(arg, req->argv[0], !strcmp(req->argv[1], "on"), out, msg,
					sizeof msg);
			break;
		case CTL_CLOCK:
			rc = ops->clock ? ops->clock(arg, !strcmp(req->argv[0], "synced")     ? 1
							  : !strcmp(req->argv[0], "unsynced") ? 0
											      : -1,
						     out, msg, sizeof msg)
					: -1;
			break;
		}
	}
	if (rc == 0)
		hbuf_printf(out, "ok%s%s\n", msg[0] ? " " : "", msg);
	else
		hbuf_printf(out, "error: %s\n", msg[0] ? msg : "failed");
	free(req);
	return rc;
}

/* ---- the socket ------------------------------------------------------------ */

struct conn {
	ev_io io;
	ev_timer idle;
	struct ctl *ctl;
	struct link link;	/* on ctl.conns */
	char in[CTL_LINE_MAX + 1];
	size_t in_len;
	struct hbuf out;
	int eof;		/* the client is done sending */
	int closing;		/* close once out is written */
};

struct ctl {
	struct ev_loop *loop;
	ev_io listen;
	int fd;
	char path[sizeof ((struct sockaddr_un *)0)->sun_path];
	const struct ctl_ops *ops;
	void *arg;
	struct fifo conns;
	struct ctl_stats st;
};

static void conn_free(struct conn *k)
{
	struct ctl *c = k->ctl;
	ev_io_stop(c->loop, &k->io);
	ev_timer_stop(c->loop, &k->idle);
	close(k->io.fd);
	(void)fifo_remove(&c->conns, &k->link);
	c->st.conns--;
	hbuf_fini(&k->out);
	free(k);
}

/* Try to write the reply; 0 while the connection lives, -1 when freed. */
static int conn_flush(struct conn *k)
{
	struct ctl *c = k->ctl;
	while (k->out.len) {
		ssize_t w = send(k->io.fd, k->out.p, k->out.len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w <= 0) {
			conn_free(k);
			return -1;
		}
		hbuf_consume(&k->out, (size_t)w);
	}
	if (!k->out.len && (k->closing || k->eof)) {
		conn_free(k);
		return -1;
	}
	int want = k->out.len ? EV_WRITE : EV_READ;
	if (k->closing || k->eof)
		want = EV_WRITE;
	if ((k->io.events & (EV_READ | EV_WRITE)) != want) {
		ev_io_stop(c->loop, &k->io);
		ev_io_set(&k->io, k->io.fd, want);
		ev_io_start(c->loop, &k->io);
	}
	return 0;
}

static void conn_line(struct conn *k, char *line, size_t len)
{
	struct ctl *c = k->ctl;
	size_t before = k->out.len;
	c->st.requests++;
	if (ctl_execute(c->ops, c->arg, line, len, &k->out) < 0)
		c->st.errors++;
	if (k->out.err) {
		/* The reply outgrew its bound: say so instead of a torn reply. */
		k->out.err = 0;
		k->out.len = before;
		hbuf_printf(&k->out, "error: reply too large\n");
	}
}

static void conn_read(struct conn *k)
{
	for (;;) {
		ssize_t r = recv(k->io.fd, k->in + k->in_len, CTL_LINE_MAX - k->in_len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (r <= 0) {
			k->eof = 1;
			if (k->in_len) {	/* a last line without its newline */
				conn_line(k, k->in, k->in_len);
				k->in_len = 0;
			}
			break;
		}
		k->in_len += (size_t)r;
		size_t start = 0;
		for (size_t i = 0; i < k->in_len; i++) {
			if (k->in[i] != '\n')
				continue;
			k->in[i] = 0;
			conn_line(k, k->in + start, i - start);
			start = i + 1;
		}
		memmove(k->in, k->in + start, k->in_len - start);
		k->in_len -= start;
		if (k->in_len == CTL_LINE_MAX) {
			hbuf_printf(&k->out, "error: request longer than %d bytes\n", CTL_LINE_MAX);
			k->ctl->st.errors++;
			k->closing = 1;
			k->in_len = 0;
			break;
		}
		if (k->out.len > CTL_REPLY_MAX)
			break;	/* let the client read first */
	}
}

static void conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *k = container_of(w, struct conn, io);
	ev_timer_again(loop, &k->idle);
	if ((revents & EV_READ) && !k->eof && !k->closing)
		conn_read(k);
	conn_flush(k);
}

static void idle_cb(struct ev_loop *loop TIP_UNUSED, ev_timer *w, int revents TIP_UNUSED)
{
	struct conn *k = container_of(w, struct conn, idle);
	conn_free(k);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents TIP_UNUSED)
{
	struct ctl *c = container_of(w, struct ctl, listen);
	for (;;) {
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("ctl: accept");
			return;
		}
		struct conn *k = NULL;
		if (c->st.conns >= CTL_CONNS_MAX || !(k = calloc(1, sizeof *k))) {
			static const char busy[] = "error: busy\n";
			ssize_t r = send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)r;
			close(fd);
			c->st.refused++;
			continue;
		}
		k->ctl = c;
		k->out.max = CTL_REPLY_MAX;
		ev_io_init(&k->io, conn_cb, fd, EV_READ);
		ev_init(&k->idle, idle_cb);
		k->idle.repeat = CTL_IDLE_S;
		ev_io_start(loop, &k->io);
		ev_timer_again(loop, &k->idle);
		fifo_push(&c->conns, &k->link);
		c->st.conns++;
		c->st.accepted++;
	}
}

/* 1 when something answers on path (another tipd), 0 when nothing does. */
static int path_alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int alive = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0;
	close(fd);
	return alive;
}

struct ctl *ctl_open(struct ev_loop *loop, const char *path, gid_t gid, const struct ctl_ops *ops,
		     void *arg, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	struct ctl *c;

	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "ctl: %s: path too long", path);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "ctl: %s: exists and is no socket", path);
			return NULL;
		}
		if (path_alive(&sa)) {
			snprintf(err, errlen, "ctl: %s: another daemon answers there", path);
			return NULL;
		}
		unlink(path);
	}
	c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "ctl: out of memory");
		return NULL;
	}
	fifo_init(&c->conns);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		goto fail;
	mode_t old = umask(0117);	/* created 0660, never wider for an instant */
	int rc = bind(c->fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc < 0)
		goto fail_close;
	if (chmod(path, 0660) < 0 || (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0))
		goto fail_unlink;
	if (listen(c->fd, 16) < 0)
		goto fail_unlink;
	memcpy(c->path, path, strlen(path) + 1);
	c->loop = loop;
	c->ops = ops;
	c->arg = arg;
	ev_io_init(&c->listen, accept_cb, c->fd, EV_READ);
	ev_io_start(loop, &c->listen);
	return c;
fail_unlink:
	unlink(path);
fail_close:
	snprintf(err, errlen, "ctl: %s: %s", path, strerror(errno));
	close(c->fd);
	free(c);
	return NULL;
fail:
	snprintf(err, errlen, "ctl: socket: %s", strerror(errno));
	free(c);
	return NULL;
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	while (!fifo_empty(&c->conns))
		conn_free(container_of(c->conns.first, struct conn, link));
	ev_io_stop(c->loop, &c->listen);
	close(c->fd);
	unlink(c->path);
	free(c);
}

void ctl_get_stats(const struct ctl *c, struct ctl_stats *st)
{
	*st = c->st;
}
