/*
 * ctl: the control socket of tipd, a UNIX stream socket (mode 0660).
 *
 * The protocol (requests, replies, the line limit) is store/ctl_proto.h,
 * shared with tip's client.  A malformed request (unknown command, bad
 * byte, a name that is no domain, too long) gets an error and changes
 * nothing: a submit line is checked whole before any name is published.
 * The server closes an idle connection after CTL_IDLE_S seconds.
 *
 * ctl_parse is the whole of the parsing, separate from the socket, so it
 * is tested (and fuzzed) alone.  What the commands do is the daemon's
 * business, through struct ctl_ops.
 */
#ifndef TIP_CTL_H
#define TIP_CTL_H

#include <stddef.h>
#include <sys/types.h>

#include "ctl_proto.h"
#include "hbuf.h"

#define CTL_ARGS_MAX 512
#define CTL_CONNS_MAX 16
#define CTL_IDLE_S 10
#define CTL_REPLY_MAX (1u << 20)

enum ctl_cmd {
	CTL_SUBMIT = 1,
	CTL_STATUS,
	CTL_TRACE,
	CTL_CLOCK,		/* clock synced|unsynced|auto: what the time source says */
};

struct ctl_req {
	int cmd;		/* enum ctl_cmd */
	int argc;
	char *argv[CTL_ARGS_MAX];	/* point into the parsed line */
};

/*
 * Parse one request line (without its newline; it is cut into words in
 * place, so line must have room for len + 1 bytes).  0, or -1 with a message for the client in err.
 */
int ctl_parse(char *line, size_t len, struct ctl_req *req, char *err, size_t errlen);

/* Operations: append reply lines to out; 0 ("ok" + detail) or -1 (err). */
struct ctl_ops {
	int (*submit)(void *arg, int argc, char **argv, struct hbuf *out, char *detail,
		      size_t len);
	int (*status)(void *arg, struct hbuf *out, char *detail, size_t len);
	int (*trace)(void *arg, const char *module, int on, struct hbuf *out, char *detail,
		     size_t len);
	/* synced: 1 set, 0 not set, -1 back to the start-up heuristic */
	int (*clock)(void *arg, int synced, struct hbuf *out, char *detail, size_t len);
};

/*
 * Run one request line through ctl_parse and ops; the reply lines go to
 * out.  line must have room for len + 1 bytes.  0 when it ended "ok".
 */
int ctl_execute(const struct ctl_ops *ops, void *arg, char *line, size_t len, struct hbuf *out);

struct ev_loop;
struct ctl;

struct ctl_stats {
	unsigned conns;		/* open now */
	unsigned long long accepted, refused, requests, errors;
};

/*
 * Listen on path (a stale socket there is removed; a live one is an
 * error), mode 0660, group gid unless (gid_t)-1.  NULL with err on failure.
 */
struct ctl *ctl_open(struct ev_loop *loop, const char *path, gid_t gid, const struct ctl_ops *ops,
		     void *arg, char *err, size_t errlen);
/* Close the socket and every connection, remove the path. */
void ctl_close(struct ctl *c);
void ctl_get_stats(const struct ctl *c, struct ctl_stats *st);

#endif
