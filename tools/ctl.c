/*
 * tip submit / tip status: clients of tipd's control socket.
 *
 * The protocol is text lines (see doc/tipd.8): each request line gets
 * reply lines and a final "ok ..." or "error: ...".  `submit` packs the
 * names into lines under the server's 4096-byte limit, sends them all,
 * closes its side and reads every reply: data lines and the text of each
 * "ok ..." (`submitted 2`) go to stdout, errors to stderr.  Exit 0 when every request ended "ok", 1 when tipd refused
 * one, 2 on usage or connection errors.  Depends on nothing in sensor/:
 * the protocol is the contract, its constants in store/ctl_proto.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "ctl_proto.h"
#include "tip.h"

#define LINE_BUDGET (CTL_LINE_MAX - 96)	/* under the server's limit, newline included */

struct ctl_client {
	const char *cmd;
	int fd;
	int finals, errors;
};

static const char *socket_path(const char *opt)
{
	const char *env = getenv("TIP_SOCKET");
	return opt ? opt : env && *env ? env : CTL_SOCKET_DEFAULT;
}

static int ctl_connect(struct ctl_client *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "tip %s: %s: path too long\n", c->cmd, path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "tip %s: %s: %s (is tipd running?)\n", c->cmd, path,
			strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		return -1;
	}
	return 0;
}

static int send_all(struct ctl_client *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "tip %s: send: %s\n", c->cmd, strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void reply_line(struct ctl_client *c, const char *line)
{
	if (!strncmp(line, "error:", 6)) {
		c->finals++;
		c->errors++;
		fprintf(stderr, "tip %s: tipd: %s\n", c->cmd, line + 6 + (line[6] == ' '));
	} else if (!strcmp(line, "ok") || !strncmp(line, "ok ", 3)) {
		c->finals++;
		if (line[2])
			printf("%s\n", line + 3);
	} else {
		printf("%s\n", line);
	}
}

/* Read replies until the server closes; 0, or -1 on a read error. */
static int read_replies(struct ctl_client *c)
{
	char buf[8192];
	size_t len = 0;
	for (;;) {
		ssize_t r = recv(c->fd, buf + len, sizeof buf - 1 - len, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "tip %s: recv: %s\n", c->cmd, strerror(errno));
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		/* the whole lines received, through the cursor; a partial one waits */
		struct buf_rd b;
		size_t start = 0, n;
		buf_rd_init(&b, buf, len);
		for (;;) {
			buf_take_until(&b, '\n', &n);
			if (!buf_take_byte(&b, '\n'))
				break;
			buf[b.off - 1] = 0;
			reply_line(c, buf + start);
			start = b.off;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
		if (len == sizeof buf - 1) {	/* a line longer than we care for */
			buf[len] = 0;
			printf("%s", buf);
			len = 0;
		}
	}
	if (len) {
		buf[len] = 0;
		reply_line(c, buf);
	}
	return 0;
}

static int finish(struct ctl_client *c, int requests)
{
	shutdown(c->fd, SHUT_WR);
	int rc = read_replies(c);
	close(c->fd);
	if (rc < 0)
		return 2;
	if (c->finals < requests) {
		fprintf(stderr, "tip %s: tipd closed the connection early\n", c->cmd);
		return 2;
	}
	return c->errors ? 1 : 0;
}

static int parse_socket_opt(int *argc, char ***argv, const char **sock)
{
	int i = 1;
	for (; i < *argc; i++) {
		if (!strcmp((*argv)[i], "-s")) {
			if (i + 1 >= *argc)
				return -1;
			*sock = (*argv)[++i];
		} else if (!strcmp((*argv)[i], "--")) {
			i++;
			break;
		} else if ((*argv)[i][0] == '-' && (*argv)[i][1]) {
			return -1;
		} else {
			break;
		}
	}
	*argc -= i;
	*argv += i;
	return 0;
}

int cmd_submit(int argc, char **argv)
{
	struct ctl_client c = {.cmd = "submit"};
	const char *sock = NULL;
	char line[LINE_BUDGET + 300];
	size_t len = 0;
	int requests = 0;

	if (parse_socket_opt(&argc, &argv, &sock) < 0 || argc < 1)
		return tip_usage("submit");
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (n == 0 || n > 255 || strpbrk(argv[i], " \t\r\n")) {
			fprintf(stderr, "tip submit: not a domain name: %s\n", argv[i]);
			return 2;
		}
	}
	if (ctl_connect(&c, socket_path(sock)) < 0)
		return 2;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (len && len + 1 + n + 1 > LINE_BUDGET) {
			line[len++] = '\n';
			if (send_all(&c, line, len) < 0)
				goto fail;
			requests++;
			len = 0;
		}
		if (!len) {
			memcpy(line, "submit", 6);
			len = 6;
		}
		line[len++] = ' ';
		memcpy(line + len, argv[i], n);
		len += n;
	}
	line[len++] = '\n';
	if (send_all(&c, line, len) < 0)
		goto fail;
	requests++;
	return finish(&c, requests);	/* tipd's answer ("submitted 2") is the result */
fail:
	close(c.fd);
	return 2;
}

int cmd_status(int argc, char **argv)
{
	struct ctl_client c = {.cmd = "status"};
	const char *sock = NULL;

	if (parse_socket_opt(&argc, &argv, &sock) < 0 || argc != 0)
		return tip_usage("status");
	if (ctl_connect(&c, socket_path(sock)) < 0)
		return 2;
	if (send_all(&c, "status\n", 7) < 0) {
		close(c.fd);
		return 2;
	}
	return finish(&c, 1);
}

int cmd_clock(int argc, char **argv)
{
	struct ctl_client c = {.cmd = "clock"};
	const char *sock = NULL;
	char line[32];

	if (parse_socket_opt(&argc, &argv, &sock) < 0 || argc != 1 ||
	    (strcmp(argv[0], "synced") && strcmp(argv[0], "unsynced") && strcmp(argv[0], "auto")))
		return tip_usage("clock");
	if (ctl_connect(&c, socket_path(sock)) < 0)
		return 2;
	int n = snprintf(line, sizeof line, "clock %s\n", argv[0]);
	if (send_all(&c, line, (size_t)n) < 0) {
		close(c.fd);
		return 2;
	}
	return finish(&c, 1);
}
