/*
 * mod_share: serves the store, read-only, to peers pinned by key
 * fingerprint, over TLS (doc/sharing.md has the protocol; tip pull is the
 * client).
 *
 *     module share {
 *         listen 0.0.0.0:8443
 *         key /etc/tip/share            # key.pem and cert.pem (tip keygen)
 *         peer analysis=AAAA-BBBB-...   # [NAME=]FINGERPRINT, one or more
 *     }
 *
 * Invariants:
 *  - TLS only, and only with a client certificate whose key is listed
 *    (struct peer_pin); everything a peer can do is read.  Plain text sent
 *    to the port gets a plain "HTTP/1.1 400" saying so and nothing else.
 *  - A request names a segment; the name is looked up in the module's own
 *    listing and the file opened is the one that listing named.  No path
 *    from a request ever reaches open().
 *  - Sealed segments are served whole; the active one only up to the end
 *    of its last durable record (the writer's seg_writer_stats), so what
 *    a peer fetched is always a prefix of what the segment will be.
 *  - Nothing blocks the loop: the listing (readdir, stat, the SHA-256 of
 *    each sealed segment, computed once) is built by a thread at nice 10
 *    and handed over whole; on the loop a connection reads at most
 *    SH_READ_PER_CB bytes of a file per callback, straight into the TLS
 *    engine's buffer, from the page cache.
 *  - Bounded: connections (max-conn), a request head (SHARE_REQ_MAX),
 *    idle time (timeout) and a connection's lifetime (session-max).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tip_config.h"

#if ENABLE_MODULE_SHARE
#include <ev.h>

#include "cdefs.h"
#include "clock.h"
#include "list.h"
#include "log.h"
#include "module.h"
#include "peer.h"
#include "sha256.h"
#include "share.h"
#include "store.h"
#include "tipd.h"
#include "tls.h"
#include "writer.h"
/* after sched.h: <pthread.h> brings <sched.h>, whose SCHED_IDLE macro would
 * otherwise clash with the scheduler's enum */
#include <pthread.h>

#define SH_PEERS_MAX 64
#define SH_DEFAULT_MAXCONN 8
#define SH_DEFAULT_TIMEOUT (30 * 1000000LL)
#define SH_DEFAULT_SESSION (3600 * 1000000LL)
#define SH_READ_PER_CB (256u << 10)
#define SH_RESCAN_MS 1000
#define SH_LINE_MAX 320		/* a listing line, at most (share_list_line) */

struct sh_peer {
	uint8_t fp[SHARE_FP_LEN];
	char name[64];
};

/* A listing made by the thread; immutable once handed to the loop. */
struct sh_snap {
	int refs;			/* loop thread only */
	struct share_seg *segs;		/* sealed ones, ascending seq */
	size_t n;
	int have_tail;			/* the highest segment is unsealed: maybe active */
	struct share_seg tail;
	char *text;			/* listing lines of segs */
	size_t text_len;
};

struct share;

struct sconn {
	struct share *s;
	struct link link;	/* on share.conns */
	ev_io io;
	int fd;
	char addr[64];
	br_ssl_server_context sc;
	struct peer_pin pin;
	uint8_t allowed[SH_PEERS_MAX][SHARE_FP_LEN];
	struct tls_conn tc;
	int64_t started, last;
	int greeted;			/* first bytes checked for plain text */
	int lingering;			/* refused: alert sent, draining until the peer closes */
	int ready_logged;
	uint8_t in[SHARE_REQ_MAX];
	size_t in_len;
	/* the answer being sent */
	int sending;
	char *head;			/* response head (and a small body), malloc'd */
	size_t head_len, head_off;
	char *body;			/* listing body, malloc'd */
	size_t body_len, body_off;
	int file_fd;			/* segment being sent, -1 none */
	uint64_t file_off, file_end;
	int close_after;
	uint64_t requests, bytes;
	size_t budget;			/* file bytes this callback may still read */
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

struct share {
	struct module *m;
	/* configuration */
	char listen_addr[80];
	struct sockaddr_storage sa;
	socklen_t salen;
	char key_dir[1024];
	struct sh_peer peers[SH_PEERS_MAX];
	size_t n_peers;
	uint32_t max_conn;
	int64_t timeout_us, session_us;
	/* identity */
	struct peer_id id;
	br_x500_name ta_name;
	uint8_t dn[512];
	/* loop side */
	int lfd;
	ev_io accept_io;
	ev_timer sweep;
	ev_async snap_ready;
	struct fifo conns;	/* of sconn */
	struct sh_snap *snap;
	/* thread */
	pthread_t thread;
	int thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	struct sh_snap *fresh;		/* made by the thread, not yet taken */
	char store_dir[4096];
	/* counters */
	uint64_t accepted, refused_busy, refused_tls, plain_text, requests, bytes_sent, bad_requests;
	int trace;
};

/* ---- configuration -------------------------------------------------------------- */

static int parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *port;
	memset(ss, 0, sizeof *ss);
	if (text[0] == '[') {
		const char *e = strchr(text, ']');
		if (!e || e[1] != ':' || (size_t)(e - text - 1) >= sizeof host)
			return -1;
		memcpy(host, text + 1, (size_t)(e - text - 1));
		host[e - text - 1] = '\0';
		port = e + 2;
	} else {
		const char *c = strrchr(text, ':');
		if (!c || (size_t)(c - text) >= sizeof host)
			return -1;
		memcpy(host, text, (size_t)(c - text));
		host[c - text] = '\0';
		port = c + 1;
	}
	char *end;
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 1 || p > 65535)
		return -1;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		*len = sizeof *s4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		*len = sizeof *s6;
		return 0;
	}
	return -1;
}

static int key_listen(const struct conf *c, const struct conf_node *n, void *base, char *err,
		      size_t errlen)
{
	struct share *s = base;
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	if (parse_listen(n->argv[0], &s->sa, &s->salen) < 0)
		return conf_error(c, n, err, errlen,
				  "listen: '%s' is not ADDRESS:PORT or [ADDRESS]:PORT "
				  "(a numeric address)", n->argv[0]);
	snprintf(s->listen_addr, sizeof s->listen_addr, "%s", n->argv[0]);
	return 0;
}

static int key_key(const struct conf *c, const struct conf_node *n, void *base, char *err,
		   size_t errlen)
{
	struct share *s = base;
	if (conf_arg_abspath(c, n, err, errlen) < 0)
		return -1;
	snprintf(s->key_dir, sizeof s->key_dir, "%s", n->argv[0]);
	return 0;
}

/* each word FINGERPRINT or NAME=FINGERPRINT (a UCI list is one line); peer lines add up */
static int key_peer(const struct conf *c, const struct conf_node *n, void *base, char *err,
		    size_t errlen)
{
	struct share *s = base;
	if (n->argc < 1)
		return conf_error(c, n, err, errlen, "peer: [NAME=]FINGERPRINT...");
	for (int a = 0; a < n->argc; a++) {
		uint8_t fp[SHARE_FP_LEN];
		const char *w = n->argv[a], *eq = strchr(w, '=');
		const char *f = eq ? eq + 1 : w;
		size_t nl = eq ? (size_t)(eq - w) : 0, np = s->n_peers;
		if (eq && (!nl || nl >= sizeof s->peers[0].name))
			return conf_error(c, n, err, errlen, "peer: a name of 1-63 characters "
					  "before '='");
		if (share_fp_parse(f, fp) < 0)
			return conf_error(c, n, err, errlen,
					  "peer: '%s' is not a key fingerprint (tip keygen "
					  "prints them)", f);
		if (np == SH_PEERS_MAX)
			return conf_error(c, n, err, errlen, "peer: at most %d peers", SH_PEERS_MAX);
		memcpy(s->peers[np].fp, fp, sizeof fp);
		if (eq)
			snprintf(s->peers[np].name, sizeof s->peers[np].name, "%.*s", (int)nl, w);
		else
			snprintf(s->peers[np].name, sizeof s->peers[np].name, "peer%zu", np + 1);
		s->n_peers++;
	}
	return 0;
}

#define SH_OFF(f) offsetof(struct share, f)

/* The keys of `module share` besides the module's common keys (tipd.conf(5)). */
static const struct conf_key sh_keys[] = {
	{"listen", CONF_K_FN, 0, 0, 0, 0, .fn = key_listen},
	{"key", CONF_K_FN, 0, 0, 0, 0, .fn = key_key},
	{"peer", CONF_K_FN, CONF_F_REPEAT, 0, 0, 0, .fn = key_peer},
	{"max-conn", CONF_K_UINT, 0, SH_OFF(max_conn), 1, 1024, {NULL}},
	{"timeout", CONF_K_DUR, 0, SH_OFF(timeout_us), 100000, 0, {NULL}},
	{"session-max", CONF_K_DUR, 0, SH_OFF(session_us), 100000, 0, {NULL}},
};

/* Read the section into s's configuration (defaults first).  0 or -1 with err. */
static int sh_read_conf(const struct conf *c, const struct conf_node *sec, struct share *s,
			char *err, size_t errlen)
{
	s->max_conn = SH_DEFAULT_MAXCONN;
	s->timeout_us = SH_DEFAULT_TIMEOUT;
	s->session_us = SH_DEFAULT_SESSION;
	s->n_peers = 0;
	s->listen_addr[0] = s->key_dir[0] = '\0';
	const struct conf_table t = {
		.keys = sh_keys,
		.n = CONF_NKEYS(sh_keys),
		.skip = module_common_key,
		.once = 1,
	};
	if (conf_table_read(c, sec, &t, s, err, errlen) < 0)
		return -1;
	int on = 1;
	const struct conf_node *en = conf_get(sec, "enable");
	if (en && en->argc == 1)
		conf_bool(en->argv[0], &on);
	if (sec && on) {
		if (!conf_get(sec, "listen"))
			return conf_error(c, sec, err, errlen, "module share: 'listen' is missing");
		if (!conf_get(sec, "key"))
			return conf_error(c, sec, err, errlen, "module share: 'key' is missing");
		if (!s->n_peers)
			return conf_error(c, sec, err, errlen,
					  "module share: no 'peer': nobody could connect");
	}
	return 0;
}

static int sh_check(const struct conf *c, const struct conf_node *sec, char *err, size_t errlen)
{
	struct share tmp;
	memset(&tmp, 0, sizeof tmp);
	return sh_read_conf(c, sec, &tmp, err, errlen);
}

/* ---- the listing thread ----------------------------------------------------------- */

static void snap_unref(struct sh_snap *sn)
{
	if (sn && --sn->refs <= 0) {
		free(sn->segs);
		free(sn->text);
		free(sn);
	}
}

/*
 * The thread's memory of digests: a segment's name and size -> its SHA-256,
 * and its index's size and mtime -> the index's SHA-256 (an index can be
 * rebuilt, a sealed segment never changes).
 */
struct dent {
	struct share_seg e;
	int64_t imtime_ns;
};

struct dcache {
	struct dent *e;
	size_t n, cap;
};

static struct dent *dcache_find(const struct dcache *c, const char *name, uint64_t size)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].e.size == size && !strcmp(c->e[i].e.name, name))
			return &c->e[i];
	return NULL;
}

static int digest_file(const char *path, uint64_t size, uint8_t out[32])
{
	uint8_t buf[65536];
	struct sha256 h;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	sha256_init(&h, 0);
	uint64_t off = 0;
	while (off < size) {
		size_t want = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
		ssize_t n = pread(fd, buf, want, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		sha256_update(&h, buf, (size_t)n);
		off += (uint64_t)n;
	}
	close(fd);
	sha256_out(&h, out);
	return 0;
}

/*
 * One listing: NULL on failure.  Sealed = indexed, or below the highest
 * sequence (the writer seals a segment before it opens the next, and
 * recovery seals every unsealed one at start).  Every sealed segment gets
 * its digest before the listing is handed over, so a listing never has a
 * gap a puller could step over.
 */
static struct sh_snap *snap_make(struct share *s, struct dcache *dc)
{
	struct store_listing ls;
	char path[4200];
	if (store_list(s->store_dir, &ls) < 0)
		return NULL;
	struct sh_snap *sn = calloc(1, sizeof *sn);
	if (!sn)
		goto fail;
	sn->segs = calloc(ls.n + 1, sizeof *sn->segs);
	sn->text = malloc(ls.n * SH_LINE_MAX + 1);
	if (!sn->segs || !sn->text)
		goto fail;
	uint32_t top = ls.n ? ls.segs[ls.n - 1].seq : 0;
	for (size_t i = 0; i < ls.n; i++) {
		const struct store_seg *g = &ls.segs[i];
		struct share_seg e;
		memset(&e, 0, sizeof e);
		snprintf(e.name, sizeof e.name, "%s", g->name);
		e.seq = g->seq;
		e.size = g->size;
		if (!g->has_index && g->seq == top) {
			sn->have_tail = 1;
			sn->tail = e;
			break;	/* the last one */
		}
		if (g->size < SEG_HDR_SIZE)
			continue;
		e.sealed = 1;
		struct dent *c = dcache_find(dc, e.name, e.size);
		if (c) {
			memcpy(e.digest, c->e.digest, 32);
		} else {
			store_seg_path(path, sizeof path, s->store_dir, g->name, "tlog");
			if (digest_file(path, e.size, e.digest) < 0)
				continue;	/* removed meanwhile (retention) */
			if (dc->n == dc->cap) {
				size_t nc = dc->cap ? dc->cap * 2 : 64;
				struct dent *ne = realloc(dc->e, nc * sizeof *ne);
				if (!ne)
					goto fail;
				dc->e = ne;
				dc->cap = nc;
			}
			c = &dc->e[dc->n++];
			memset(c, 0, sizeof *c);
			c->e = e;
		}
		/* its index, served so that a puller need not build it again */
		struct stat ist;
		store_seg_path(path, sizeof path, s->store_dir, g->name, "cdb");
		if (g->has_index && stat(path, &ist) == 0 && ist.st_size > 0) {
			int64_t mt = (int64_t)ist.st_mtim.tv_sec * 1000000000LL + ist.st_mtim.tv_nsec;
			if (!c->e.has_index || c->e.index_size != (uint64_t)ist.st_size ||
			    c->imtime_ns != mt) {
				c->e.has_index = 0;
				if (digest_file(path, (uint64_t)ist.st_size, c->e.index_digest) == 0) {
					c->e.has_index = 1;
					c->e.index_size = (uint64_t)ist.st_size;
					c->imtime_ns = mt;
				}
			}
			if (c->e.has_index) {
				e.has_index = 1;
				e.index_size = c->e.index_size;
				memcpy(e.index_digest, c->e.index_digest, 32);
			}
		}
		sn->segs[sn->n++] = e;
		sn->text_len += share_list_line(sn->text + sn->text_len, SH_LINE_MAX + 1, &e);
	}
	/* forget digests of segments that are gone */
	for (size_t i = 0; i < dc->n;) {
		int found = 0;
		for (size_t j = 0; j < sn->n && !found; j++)
			found = !strcmp(sn->segs[j].name, dc->e[i].e.name);
		if (!found)
			dc->e[i] = dc->e[--dc->n];
		else
			i++;
	}
	store_listing_free(&ls);
	return sn;
fail:
	store_listing_free(&ls);
	if (sn) {
		free(sn->segs);
		free(sn->text);
		free(sn);
	}
	return NULL;
}

static int snap_same(const struct sh_snap *a, const struct sh_snap *b)
{
	if (!a || !b || a->n != b->n || a->have_tail != b->have_tail)
		return 0;
	if (a->have_tail && strcmp(a->tail.name, b->tail.name))
		return 0;
	return a->text_len == b->text_len && !memcmp(a->text, b->text, a->text_len);
}

static void *sh_thread(void *arg)
{
	struct share *s = arg;
	struct dcache dc = {0};
	struct sh_snap *last = NULL;
#ifdef __linux__
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);
#endif
	pthread_mutex_lock(&s->mu);
	while (!s->stop) {
		pthread_mutex_unlock(&s->mu);
		struct sh_snap *sn = snap_make(s, &dc);
		pthread_mutex_lock(&s->mu);
		if (sn && !snap_same(sn, last)) {
			if (s->fresh)
				snap_unref(s->fresh);
			s->fresh = sn;
			last = sn;
			ev_async_send(s->m->d->loop, &s->snap_ready);
		} else if (sn) {
			free(sn->segs);
			free(sn->text);
			free(sn);
		}
		if (s->stop)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += SH_RESCAN_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
	free(dc.e);
	return NULL;
}

/*
 * `last` above is only compared, never dereferenced after the loop frees
 * it: the loop takes s->fresh and owns it from then on; the thread keeps a
 * pointer to compare text with, so the loop frees a snapshot only when a
 * newer one replaced it as s->snap (the thread then holds that newer one).
 */
static void sh_on_snap(struct ev_loop *loop TIP_UNUSED, ev_async *w, int revents TIP_UNUSED)
{
	struct share *s = container_of(w, struct share, snap_ready);
	pthread_mutex_lock(&s->mu);
	struct sh_snap *sn = s->fresh;
	s->fresh = NULL;
	if (sn) {
		sn->refs++;	/* the module's reference */
		struct sh_snap *old = s->snap;
		s->snap = sn;
		/* the thread compares against sn from now on; old is no longer its `last` */
		snap_unref(old);
	}
	pthread_mutex_unlock(&s->mu);
}

/* ---- connections ---------------------------------------------------------------- */

static void conn_free(struct sconn *c)
{
	struct share *s = c->s;
	(void)fifo_remove(&s->conns, &c->link);
	ev_io_stop(s->m->d->loop, &c->io);
	close(c->fd);
	if (c->file_fd >= 0)
		close(c->file_fd);
	free(c->head);
	free(c->body);
	free(c);
}

static const char *peer_name(const struct sconn *c)
{
	if (c->pin.matched >= 0 && (size_t)c->pin.matched < c->s->n_peers)
		return c->s->peers[c->pin.matched].name;
	return "?";
}

/* After a refusal: read and drop what the peer still sends, until it closes. */
static void linger_cb(struct ev_loop *loop TIP_UNUSED, ev_io *w, int revents TIP_UNUSED)
{
	struct sconn *c = container_of(w, struct sconn, io);
	uint8_t b[4096];
	for (int i = 0; i < 16; i++) {
		ssize_t k = recv(c->fd, b, sizeof b, 0);
		if (k > 0)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		break;
	}
	conn_free(c);
}

/*
 * Send the alert the engine has ready, half-close, and keep reading for a
 * moment (the sweep ends it): closing with the client's last flight
 * unread would reset the connection before the client reads the alert,
 * and it would see "connection reset" instead of why it was refused.
 */
static void conn_linger(struct sconn *c)
{
	br_ssl_engine_context *eng = &c->sc.eng;
	size_t len;
	unsigned char *buf;
	while ((buf = br_ssl_engine_sendrec_buf(eng, &len)) && len) {
		ssize_t k = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (k <= 0)
			break;
		br_ssl_engine_sendrec_ack(eng, (size_t)k);
	}
	shutdown(c->fd, SHUT_WR);
	c->lingering = 1;
	c->last = clock_mono_us();
	struct ev_loop *loop = c->s->m->d->loop;
	ev_io_stop(loop, &c->io);
	ev_io_init(&c->io, linger_cb, c->fd, EV_READ);
	ev_io_start(loop, &c->io);
}

static void conn_end(struct sconn *c, const char *why)
{
	struct share *s = c->s;
	int e = tls_conn_error(&c->tc);
	if (!c->ready_logged) {
		s->refused_tls++;
		char fpt[SHARE_FP_TEXT] = "none";
		if (c->pin.have_seen)
			share_fp_format(fpt, c->pin.seen);
		if (e == BR_ERR_X509_NOT_TRUSTED)
			log_warnx("share: %s: refused: key %s is not a listed peer", c->addr, fpt);
		else if (e)
			log_warnx("share: %s: handshake failed: %s (key %s)", c->addr,
				  peer_ssl_strerror(e), fpt);
		else
			log_info("share: %s: closed before the handshake (%s)", c->addr,
				 why ? why : "no TLS");
		if (e && !c->tc.io_failed && !c->lingering) {
			conn_linger(c);
			return;
		}
	} else {
		log_info("share: %s: %s: %llu requests, %llu bytes%s%s", c->addr, peer_name(c),
			 (unsigned long long)c->requests, (unsigned long long)c->bytes,
			 why ? ", " : "", why ? why : "");
	}
	conn_free(c);
}

/* Queue an answer: head (and a small text body in the same buffer). */
static int answer(struct sconn *c, int status, const char *reason, const char *extra,
		  uint64_t content_length, const char *small_body)
{
	char h[1024];
	int n = snprintf(h, sizeof h,
			 "HTTP/1.1 %d %s\r\nServer: tipd/%s\r\nContent-Length: %llu\r\n%s%s\r\n%s",
			 status, reason, TIP_VERSION, (unsigned long long)content_length,
			 extra ? extra : "", c->close_after ? "Connection: close\r\n" : "",
			 small_body ? small_body : "");
	if (n < 0 || (size_t)n >= sizeof h)
		return -1;
	free(c->head);
	c->head = malloc((size_t)n);
	if (!c->head)
		return -1;
	memcpy(c->head, h, (size_t)n);
	c->head_len = (size_t)n;
	c->head_off = 0;
	c->sending = 1;
	return 0;
}

static void answer_error(struct sconn *c, int status, const char *why)
{
	static const struct {
		int code;
		const char *text;
	} reasons[] = {{400, "Bad Request"}, {404, "Not Found"}, {405, "Method Not Allowed"},
		       {413, "Request Header Fields Too Large"}, {416, "Range Not Satisfiable"},
		       {503, "Service Unavailable"}, {505, "HTTP Version Not Supported"}};
	const char *r = "Error";
	char body[256];
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].code == status)
			r = reasons[i].text;
	snprintf(body, sizeof body, "%s\n", why);
	if (status != 404 && status != 416 && status != 503)
		c->close_after = 1;
	c->s->bad_requests++;
	if (answer(c, status, r, "Content-Type: text/plain\r\n", strlen(body), body) < 0)
		c->close_after = 1;
}

/* The active segment's durable end, 0 when seq is not the writer's active one. */
static uint64_t durable_end(struct share *s, uint32_t seq)
{
	struct writer_stats st;
	if (!s->m->d->writer)
		return 0;
	writer_stats(s->m->d->writer, &st);
	if (st.seg.seq != seq || st.seg.durable_bytes < SEG_HDR_SIZE)
		return 0;
	return st.seg.durable_bytes;
}

static void serve_list(struct sconn *c)
{
	struct share *s = c->s;
	struct sh_snap *sn = s->snap;
	char sensor[STORE_ID_MAX], tail[200], headl[128], endl[64];
	size_t tl = 0;
	if (!sn) {
		answer_error(c, 503, "listing not ready yet (digests being computed); retry");
		return;
	}
	if (store_sensor_id(s->store_dir, sensor, sizeof sensor) < 0)
		snprintf(sensor, sizeof sensor, "unknown");
	int hl = snprintf(headl, sizeof headl, "tip-share %d\nsensor %s\n", SHARE_PROTO_VERSION, sensor);
	size_t count = sn->n;
	if (sn->have_tail) {
		struct share_seg t = sn->tail;
		t.size = durable_end(s, t.seq);
		if (t.size) {
			tl = share_list_line(tail, sizeof tail, &t);
			count++;
		}
	}
	int el = snprintf(endl, sizeof endl, "end %zu\n", count);
	size_t len = (size_t)hl + sn->text_len + tl + (size_t)el;
	char *b = malloc(len);
	if (!b) {
		answer_error(c, 503, "out of memory");
		return;
	}
	memcpy(b, headl, (size_t)hl);
	memcpy(b + hl, sn->text, sn->text_len);
	memcpy(b + hl + sn->text_len, tail, tl);
	memcpy(b + hl + sn->text_len + tl, endl, (size_t)el);
	free(c->body);
	c->body = b;
	c->body_len = len;
	c->body_off = 0;
	if (answer(c, 200, "OK", "Content-Type: text/plain\r\n", len, NULL) < 0)
		c->close_after = 1;
}

static void serve_seg(struct sconn *c, const struct share_req *r)
{
	struct share *s = c->s;
	struct sh_snap *sn = s->snap;
	const struct share_seg *e = NULL;
	uint64_t size = 0;
	char path[4200], extra[160];
	if (!sn) {
		answer_error(c, 503, "listing not ready yet; retry");
		return;
	}
	int idx = r->what == SHARE_GET_IDX;
	for (size_t i = 0; i < sn->n && !e; i++)
		if (!strcmp(sn->segs[i].name, r->name))
			e = &sn->segs[i];
	if (e && idx) {
		size = e->has_index ? e->index_size : 0;
	} else if (e) {
		size = e->size;
	} else if (!idx && sn->have_tail && !strcmp(sn->tail.name, r->name)) {
		e = &sn->tail;
		size = durable_end(s, e->seq);
	}
	if (!e || !size) {
		answer_error(c, 404, idx ? "no such index" : "no such segment");
		return;
	}
	store_seg_path(path, sizeof path, s->store_dir, e->name, idx ? "cdb" : "tlog");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	/* an index rebuilt since it was listed is another file: not the one listed */
	if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size < size ||
	    (idx && (uint64_t)st.st_size != size)) {
		if (fd >= 0)
			close(fd);
		answer_error(c, 404, idx ? "index gone or rebuilt since it was listed"
					 : "segment gone (retention or compaction)");
		return;
	}
	uint64_t first = 0, last = size - 1;
	if (r->has_range) {
		if (r->range_first >= size) {
			snprintf(extra, sizeof extra, "Content-Range: bytes */%llu\r\n",
				 (unsigned long long)size);
			close(fd);
			c->s->bad_requests++;
			answer(c, 416, "Range Not Satisfiable", extra, 0, NULL);
			return;
		}
		first = r->range_first;
		if (r->range_last < last)
			last = r->range_last;
		snprintf(extra, sizeof extra,
			 "Content-Type: application/octet-stream\r\nContent-Range: bytes %llu-%llu/%llu\r\n",
			 (unsigned long long)first, (unsigned long long)last, (unsigned long long)size);
	} else {
		snprintf(extra, sizeof extra, "Content-Type: application/octet-stream\r\n");
	}
	if (c->file_fd >= 0)
		close(c->file_fd);
	c->file_fd = fd;
	c->file_off = first;
	c->file_end = last + 1;
	if (answer(c, r->has_range ? 206 : 200, r->has_range ? "Partial Content" : "OK", extra,
		   last + 1 - first, NULL) < 0)
		c->close_after = 1;
}

/* Parse and start answering the request in c->in, if a whole one is there. */
static void take_request(struct sconn *c)
{
	struct share_req r;
	int status;
	const char *why;
	int k = share_req_parse(c->in, c->in_len, &r, &status, &why);
	if (k == 0)
		return;
	c->requests++;
	c->s->requests++;
	if (k < 0) {
		char esc[LOG_ESC_MAX];
		size_t ll = strcspn((const char *)c->in, "\r\n");
		log_info("share: %s: %s: refused (%d %s): \"%s\"", c->addr, peer_name(c), status, why,
			 log_esc(esc, sizeof esc, c->in, ll < c->in_len ? ll : c->in_len));
		c->in_len = 0;
		answer_error(c, status, why);
		return;
	}
	memmove(c->in, c->in + r.head_len, c->in_len - r.head_len);
	c->in_len -= r.head_len;
	c->close_after = r.close;
	log_trace(c->s->trace, "share: %s: GET %s%s", c->addr,
		  r.what == SHARE_GET_LIST ? "/segments" : r.what == SHARE_GET_IDX ? "/idx/" : "/seg/",
		  r.what == SHARE_GET_LIST ? "" : r.name);
	if (r.what == SHARE_GET_LIST)
		serve_list(c);
	else
		serve_seg(c, &r);
}

/* Move the answer into the engine; 1 when all of it went in. */
static int push_answer(struct sconn *c)
{
	br_ssl_engine_context *eng = &c->sc.eng;
	while (c->sending) {
		size_t room;
		unsigned char *buf = br_ssl_engine_sendapp_buf(eng, &room);
		if (!buf || !room)
			return 0;
		size_t n = 0;
		if (c->head_off < c->head_len) {
			n = c->head_len - c->head_off;
			if (n > room)
				n = room;
			memcpy(buf, c->head + c->head_off, n);
			c->head_off += n;
		} else if (c->body && c->body_off < c->body_len) {
			n = c->body_len - c->body_off;
			if (n > room)
				n = room;
			memcpy(buf, c->body + c->body_off, n);
			c->body_off += n;
		} else if (c->file_fd >= 0 && c->file_off < c->file_end) {
			if (!c->budget)
				return 0;
			n = room;
			if (n > c->file_end - c->file_off)
				n = (size_t)(c->file_end - c->file_off);
			if (n > c->budget)
				n = c->budget;
			ssize_t k = pread(c->file_fd, buf, n, (off_t)c->file_off);
			if (k <= 0) {
				/* the file shrank under us: end the connection, the peer resumes */
				log_warnx("share: %s: segment read failed at %llu", c->addr,
					  (unsigned long long)c->file_off);
				c->sending = 0;
				c->close_after = 1;
				return -1;
			}
			n = (size_t)k;
			c->file_off += n;
			c->budget -= n;
		} else {
			/* done */
			c->sending = 0;
			free(c->body);
			c->body = NULL;
			if (c->file_fd >= 0)
				close(c->file_fd);
			c->file_fd = -1;
			br_ssl_engine_flush(eng, 0);
			return 1;
		}
		br_ssl_engine_sendapp_ack(eng, n);
		c->bytes += n;
		c->s->bytes_sent += n;
	}
	return 1;
}

/* Plain text on the TLS port: say so in plain HTTP and close. */
static int plain_text(struct sconn *c)
{
	uint8_t b[8];
	ssize_t k = recv(c->fd, b, sizeof b, MSG_PEEK);
	if (k <= 0)
		return 0;
	c->greeted = 1;
	if (b[0] == 0x16)	/* a TLS handshake record */
		return 0;
	static const char msg[] =
		"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 73\r\n"
		"Connection: close\r\n\r\n"
		"this port speaks TLS only (tip pull with a key the sensor lists: tipd.conf)\n";
	(void)!send(c->fd, msg, sizeof msg - 1, MSG_NOSIGNAL);
	c->s->plain_text++;
	log_warnx("share: %s: plain text on the TLS port: refused", c->addr);
	return -1;
}

/* Wait for events ev. */
static void conn_wait(struct ev_loop *loop, struct sconn *c, int ev)
{
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, ev);
	ev_io_start(loop, &c->io);
}

/*
 * One callback: the handshake, then requests in and the answer out, a TLS
 * record after another until the socket is full or SH_READ_PER_CB bytes
 * of files were read (then the loop's other watchers get their turn).
 */
static void conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sconn *c = container_of(w, struct sconn, io);
	c->last = clock_mono_us();
	if (!c->greeted && (revents & EV_READ) && plain_text(c) < 0) {
		conn_free(c);
		return;
	}
	c->budget = SH_READ_PER_CB;
	for (int round = 0; round < 256; round++) {
		int want = tls_conn_pump(&c->tc);
		if (want < 0) {
			conn_end(c, c->tc.peer_closed ? "closed by the peer" : NULL);
			return;
		}
		if (!tls_conn_ready(&c->tc)) {
			conn_wait(loop, c, want ? want : EV_READ);
			return;
		}
		if (!c->ready_logged) {
			c->ready_logged = 1;
			char fpt[SHARE_FP_TEXT];
			share_fp_format(fpt, c->pin.seen);
			log_info("share: %s: peer %s (%s) connected", c->addr, peer_name(c), fpt);
		}
		int progressed = 0;
		/* requests in */
		size_t n;
		const unsigned char *p;
		while (!c->sending && (p = tls_conn_recv(&c->tc, &n)) && n) {
			size_t take = sizeof c->in - c->in_len;
			if (take > n)
				take = n;
			memcpy(c->in + c->in_len, p, take);
			c->in_len += take;
			tls_conn_recv_ack(&c->tc, take);
			progressed = 1;
			take_request(c);
		}
		if (!c->sending && c->in_len)
			take_request(c);	/* a pipelined request already buffered */
		/* the answer out */
		if (c->sending) {
			uint64_t before = c->bytes;
			int done = push_answer(c);
			if (done < 0) {
				conn_end(c, "read error");
				return;
			}
			if (c->bytes != before || done)
				progressed = 1;
			if (done && c->close_after) {
				tls_conn_close(&c->tc);
				(void)tls_conn_pump(&c->tc);
				conn_end(c, NULL);
				return;
			}
		}
		want = tls_conn_pump(&c->tc);
		if (want < 0) {
			conn_end(c, c->tc.peer_closed ? "closed by the peer" : NULL);
			return;
		}
		if (c->sending && (want & TLS_WANT_WRITE || !c->budget)) {
			/* the socket is full, or this callback's read budget is spent */
			conn_wait(loop, c, EV_READ | EV_WRITE);
			return;
		}
		if (!progressed && !c->sending) {
			/* the last pump may have decrypted the next request: no event
			 * will come for bytes already out of the socket */
			size_t m;
			if (tls_conn_recv(&c->tc, &m) && m)
				progressed = 1;
		}
		if (!progressed) {
			conn_wait(loop, c, (want ? want : 0) | EV_READ | (c->sending ? EV_WRITE : 0));
			return;
		}
	}
	conn_wait(loop, c, EV_READ | EV_WRITE);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents TIP_UNUSED)
{
	struct share *s = container_of(w, struct share, accept_io);
	for (int i = 0; i < 16; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		int fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		char addr[64] = "?";
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			char h[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &a->sin_addr, h, sizeof h);
			snprintf(addr, sizeof addr, "%s:%u", h, ntohs(a->sin_port));
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			char h[INET6_ADDRSTRLEN];
			inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof h);
			snprintf(addr, sizeof addr, "[%s]:%u", h, ntohs(a->sin6_port));
		}
		if (s->conns.n >= s->max_conn) {
			s->refused_busy++;
			log_warnx("share: %s: refused: %zu connections already (max-conn)", addr,
				  s->conns.n);
			close(fd);
			continue;
		}
		struct sconn *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->s = s;
		c->fd = fd;
		c->file_fd = -1;
		snprintf(c->addr, sizeof c->addr, "%s", addr);
		c->started = c->last = clock_mono_us();
		for (size_t k = 0; k < s->n_peers; k++)
			memcpy(c->allowed[k], s->peers[k].fp, SHARE_FP_LEN);
		br_ssl_server_init_full_ec(&c->sc, s->id.chain, 1, BR_KEYTYPE_EC, &s->id.sk);
		br_ssl_engine_set_versions(&c->sc.eng, BR_TLS12, BR_TLS12);
		peer_set_suites(&c->sc.eng, 1);
		/* ECDSA verification of the client's CertificateVerify; without it
		 * the CertificateRequest offers no algorithm a P-256 key can use */
		br_ssl_engine_set_default_ecdsa(&c->sc.eng);
		peer_pin_init(&c->pin, (const uint8_t(*)[SHARE_FP_LEN])c->allowed, s->n_peers);
		br_ssl_server_set_trust_anchor_names(&c->sc, &s->ta_name, 1);
		br_ssl_engine_set_x509(&c->sc.eng, &c->pin.vtable);
		br_ssl_engine_set_buffer(&c->sc.eng, c->iobuf, sizeof c->iobuf, 1);
		if (!br_ssl_server_reset(&c->sc)) {
			log_warnx("share: %s: TLS setup failed", addr);
			close(fd);
			free(c);
			continue;
		}
		tls_conn_init(&c->tc, &c->sc.eng, fd);
		fifo_push(&s->conns, &c->link);
		s->accepted++;
		ev_io_init(&c->io, conn_cb, fd, EV_READ);
		ev_io_start(loop, &c->io);
	}
}

static void sweep_cb(struct ev_loop *loop TIP_UNUSED, ev_timer *w, int revents TIP_UNUSED)
{
	struct share *s = container_of(w, struct share, sweep);
	int64_t now = clock_mono_us();
	if (!s->thread_started) {
		/* started here, after tipd dropped its privileges */
		if (pthread_create(&s->thread, NULL, sh_thread, s) == 0)
			s->thread_started = 1;
		else
			log_warn("share: listing thread");
	}
	fifo_each_safe(l, &s->conns) {
		struct sconn *c = container_of(l, struct sconn, link);
		if (c->lingering) {
			if (now - c->last > 2000000)
				conn_free(c);
		} else if (now - c->started > s->session_us)
			conn_end(c, "session time limit (session-max)");
		else if (now - c->last > s->timeout_us)
			conn_end(c, "idle (timeout)");
	}
}

/* ---- the module ------------------------------------------------------------------- */

static int sh_listen(struct share *s)
{
	int fd = socket(s->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (s->sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&s->sa, s->salen) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	s->lfd = fd;
	return 0;
}

static int sh_load_key(struct share *s)
{
	char err[512];
	if (peer_load(&s->id, s->key_dir, err, sizeof err) < 0) {
		log_warnx("share: key: %s (make one with: tip keygen --out %s)", err, s->key_dir);
		return -1;
	}
	if (memcmp(s->id.fp, s->id.key_fp, SHARE_FP_LEN) != 0) {
		log_warnx("share: key: %s: key.pem is not the key of cert.pem", s->key_dir);
		return -1;
	}
	size_t dl = peer_cert_subject(s->id.cert, s->id.chain[0].data_len, s->dn, sizeof s->dn);
	if (!dl) {
		log_warnx("share: key: %s: cannot read the certificate's name", s->key_dir);
		return -1;
	}
	s->ta_name.data = s->dn;
	s->ta_name.len = dl;
	return 0;
}

static int sh_init(struct module *m)
{
	char err[512];
	struct share *s = calloc(1, sizeof *s);
	if (!s)
		return -1;
	fifo_init(&s->conns);
	s->m = m;
	s->lfd = -1;
	s->trace = log_trace_id("share");
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	m->priv = s;
	snprintf(s->store_dir, sizeof s->store_dir, "%s", m->d->conf.store_dir);
	if (sh_read_conf(&m->d->conf, m->sec, s, err, sizeof err) < 0) {
		log_warnx("share: %s", err);
		return -1;
	}
	if (sh_load_key(s) < 0)
		return -1;
	if (sh_listen(s) < 0) {
		log_warn("share: listen %s", s->listen_addr);
		return -1;
	}
	char fpt[SHARE_FP_TEXT];
	share_fp_format(fpt, s->id.fp);
	log_info("share: listening on %s, key %s, %zu peers", s->listen_addr, fpt, s->n_peers);
	return 0;
}

static int sh_start(struct module *m)
{
	struct share *s = m->priv;
	struct ev_loop *loop = m->d->loop;
	ev_io_init(&s->accept_io, accept_cb, s->lfd, EV_READ);
	ev_io_start(loop, &s->accept_io);
	ev_async_init(&s->snap_ready, sh_on_snap);
	ev_async_start(loop, &s->snap_ready);
	ev_timer_init(&s->sweep, sweep_cb, 0.0, 1.0);
	ev_timer_start(loop, &s->sweep);
	return 0;
}

static int sh_reload(struct module *m)
{
	struct share *s = m->priv;
	struct share tmp;
	char err[512];
	memset(&tmp, 0, sizeof tmp);
	if (sh_read_conf(&m->d->conf, m->sec, &tmp, err, sizeof err) < 0) {
		log_warnx("share: %s", err);
		return -1;
	}
	/* peers and limits take effect for new connections; the address and key at restart */
	memcpy(s->peers, tmp.peers, sizeof s->peers);
	s->n_peers = tmp.n_peers;
	s->max_conn = tmp.max_conn;
	s->timeout_us = tmp.timeout_us;
	s->session_us = tmp.session_us;
	if (strcmp(tmp.listen_addr, s->listen_addr) || strcmp(tmp.key_dir, s->key_dir))
		log_warnx("share: a new listen address or key takes effect at restart");
	return 0;
}

static void sh_stats(struct module *m, module_emit_fn emit, void *ctx)
{
	struct share *s = m->priv;
	emit(ctx, "connections", s->conns.n);
	emit(ctx, "accepted", s->accepted);
	emit(ctx, "refused_busy", s->refused_busy);
	emit(ctx, "refused_tls", s->refused_tls);
	emit(ctx, "plain_text", s->plain_text);
	emit(ctx, "requests", s->requests);
	emit(ctx, "bad_requests", s->bad_requests);
	emit(ctx, "bytes_sent", s->bytes_sent);
	emit(ctx, "segments_listed", s->snap ? s->snap->n : 0);
}

static void sh_stop(struct module *m)
{
	struct share *s = m->priv;
	if (!s)
		return;
	struct ev_loop *loop = m->d->loop;
	while (!fifo_empty(&s->conns)) {
		struct sconn *c = container_of(s->conns.first, struct sconn, link);
		if (c->lingering || !c->ready_logged)
			conn_free(c);
		else
			conn_end(c, "tipd stopping");
	}
	if (s->thread_started) {
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	ev_io_stop(loop, &s->accept_io);
	ev_async_stop(loop, &s->snap_ready);
	ev_timer_stop(loop, &s->sweep);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->fresh)
		snap_unref(s->fresh);
	snap_unref(s->snap);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	memset(&s->id, 0, sizeof s->id);
	free(s);
	m->priv = NULL;
}

const struct module_ops mod_share_ops = {
	.name = "share",
	.default_on = 0,
	.check = sh_check,
	.init = sh_init,
	.start = sh_start,
	.reload = sh_reload,
	.stats = sh_stats,
	.stop = sh_stop,
};
#endif
