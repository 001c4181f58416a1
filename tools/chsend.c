/*
 * chsend: POST to ClickHouse's HTTP interface (chsend.h).  Blocking, one
 * connection a request (Connection: close), so an answer ends at EOF.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chsend.h"

int ch_url_parse(const char *url, struct ch_url *u, const char **why)
{
	memset(u, 0, sizeof *u);
	*why = "not http://HOST[:PORT]/";
	if (strncmp(url, "http://", 7))
		return -1;
	const char *h = url + 7, *end;
	if (*h == '[') {
		end = strchr(h, ']');
		if (!end || (size_t)(end - h - 1) >= sizeof u->host || end == h + 1)
			return -1;
		memcpy(u->host, h + 1, (size_t)(end - h - 1));
		end++;
	} else {
		end = h + strcspn(h, ":/");
		if (end == h || (size_t)(end - h) >= sizeof u->host)
			return -1;
		memcpy(u->host, h, (size_t)(end - h));
	}
	snprintf(u->port, sizeof u->port, "8123");
	if (*end == ':') {
		const char *p = end + 1;
		size_t n = strspn(p, "0123456789");
		if (n == 0 || n > 5 || atoi(p) > 65535 || atoi(p) == 0)
			return -1;
		memcpy(u->port, p, n);
		u->port[n] = '\0';
		end = p + n;
	}
	if (*end && *end != '/')
		return -1;
	if (strlen(*end ? end : "/") >= sizeof u->path || strpbrk(end, "?# \r\n"))
		return -1;
	snprintf(u->path, sizeof u->path, "%s", *end ? end : "/");
	return 0;
}

static void url_escape(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (; *s && o + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int ch_post(const struct ch_url *u, const char *query, const char *query_id, const char *body,
	    size_t len, char *out, size_t cap, int timeout_s, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai, *a;
	int fd = -1, g;
	char q[4096], head[5000];
	if ((g = getaddrinfo(u->host, u->port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "%s: %s", u->host, gai_strerror(g));
		return -1;
	}
	for (a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0) {
		snprintf(err, errlen, "connect to %s:%s: %s", u->host, u->port, strerror(errno));
		return -1;
	}
	q[0] = '\0';
	if (query) {
		char e[2000], id[1000];
		url_escape(e, sizeof e, query);
		url_escape(id, sizeof id, query_id ? query_id : "");
		snprintf(q, sizeof q, "?query=%s%s%s", e, query_id ? "&query_id=" : "", id);
	}
	int hl = snprintf(head, sizeof head,
			  "POST %s%s HTTP/1.1\r\nHost: %s:%s\r\nContent-Length: %zu\r\n"
			  "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
			  u->path, q, u->host, u->port, len);
	if (hl < 0 || (size_t)hl >= sizeof head || write_all(fd, head, (size_t)hl) < 0 ||
	    write_all(fd, body, len) < 0) {
		snprintf(err, errlen, "send to %s:%s: %s", u->host, u->port, strerror(errno));
		close(fd);
		return -1;
	}
	/*
	 * The answer: status line, headers, then a body framed by
	 * Content-Length, by chunks, or by EOF; the server may keep the
	 * connection open, so the framing, not EOF, ends it.  64 KiB kept.
	 */
	size_t cap_r = 65536, n = 0;
	char *r = malloc(cap_r + 1);
	if (!r) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	char ans[4096];
	size_t blen = 0;
	int done = 0;
	while (!done) {
		struct pollfd p = {fd, POLLIN, 0};
		int pr = poll(&p, 1, timeout_s * 1000);
		if (pr <= 0) {
			snprintf(err, errlen, "%s:%s: %s", u->host, u->port,
				 pr == 0 ? "no answer in time" : strerror(errno));
			free(r);
			close(fd);
			return -1;
		}
		ssize_t got = recv(fd, r + n, cap_r - n, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "%s:%s: %s", u->host, u->port, strerror(errno));
			free(r);
			close(fd);
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		r[n] = '\0';
		if (n == cap_r)
			break;
		char *hend = strstr(r, "\r\n\r\n");
		if (!hend)
			continue;
		const char *b = hend + 4;
		size_t have = (size_t)(r + n - b);
		char *cl = strcasestr(r, "\r\ncontent-length:");
		if (cl && cl < hend) {
			done = have >= strtoul(cl + 17, NULL, 10);
		} else if (strcasestr(r, "\r\ntransfer-encoding: chunked")) {
			/* walk the chunks: done at the zero-length one */
			const char *c = b;
			blen = 0;
			for (;;) {
				char *e;
				if (!memchr(c, '\n', (size_t)(r + n - c)))
					break;
				unsigned long clen = strtoul(c, &e, 16);
				if (e[0] != '\r' || e[1] != '\n')
					break;
				c = e + 2;
				if (clen == 0) {
					done = 1;
					break;
				}
				if ((size_t)(r + n - c) < clen + 2)
					break;
				size_t take = clen < sizeof ans - 1 - blen ? clen : sizeof ans - 1 - blen;
				memcpy(ans + blen, c, take);
				blen += take;
				c += clen + 2;
			}
		}
	}
	close(fd);
	r[n] = '\0';
	int status = 0;
	if (n < 12 || sscanf(r, "HTTP/1.%*d %d", &status) != 1) {
		snprintf(err, errlen, "%s:%s: not an HTTP answer", u->host, u->port);
		free(r);
		return -1;
	}
	const char *b = strstr(r, "\r\n\r\n");
	b = b ? b + 4 : r + n;
	if (strcasestr(r, "\r\ntransfer-encoding: chunked")) {
		ans[blen] = '\0';
		b = ans;
	}
	snprintf(out, cap, "%s", b);
	free(r);
	return status;
}
