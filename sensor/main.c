/*
 * tipd: the sensor daemon.  Start-up reads and checks the configuration,
 * opens what needs privileges (pidfile, store, control socket), starts
 * the modules, drops privileges as the last step and runs the loop.
 *
 * One libev loop drives everything: an ev_prepare hands the records of
 * the iteration to the writer thread and arms one ev_timer at the
 * scheduler's next due time; signals are ev_signal watchers, so handlers
 * never run inside other code.  SIGHUP re-reads the configuration into a
 * new struct conf and swaps it in only when it checked; SIGTERM/SIGINT
 * leave the loop, and the writer syncs and seals before exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "cdefs.h"
#include "clock.h"
#include "ctl.h"
#include "lock.h"
#include "log.h"
#include "sandbox.h"
#include "hbuf.h"
#include "tip_config.h"
#include "tipd.h"
#include "writer.h"

struct daemon {
	struct tipd d;
	const char *conf_opt;	/* -c FILE */
	int debug;
	ev_prepare prepare;
	ev_timer timer;
	ev_signal sig_hup, sig_term, sig_int, sig_usr1;
	ev_async wake;		/* the writer's disk state changed */
	struct bus_sub journal;
	int pid_fd;
	int lock_fd;		/* the store's writer lock, held for the daemon's life */
	int ready_fd;		/* detaching: tell the waiting parent we run; -1 none */
	struct conf boot;	/* the configuration tipd started with: restart-only keys */
	int boot_kept;		/* boot is no longer d->conf: it owns its tree */
	uint64_t episodes_noted;	/* store faults written down as notes */
};

static const char core_trace[][9] = {"sched", "bus", "ctl", "writer", "conf", "resolver"};

static void usage(void)
{
	fprintf(stderr, "usage: tipd [-dfnV] [-c file]\n");
	exit(2);
}

static void version(void)
{
	printf("tipd %s\n", TIP_VERSION);
	printf("modules:");
	for (size_t i = 0; i < module_table_len; i++)
		if (module_table[i])
			printf(" %s", module_table[i]->name);
	printf("\nfeatures: %ctls %cipv6 %cfsync\n", ENABLE_TLS ? '+' : '-',
	       ENABLE_IPV6 ? '+' : '-', ENABLE_STORE_FSYNC ? '+' : '-');
}

/* ---- configuration ------------------------------------------------------------ */

/* The file to read: -c, else the default path when it exists, else none. */
static const char *conf_path(const char *opt)
{
	if (opt)
		return opt;
	return access(CONF_DEFAULT_PATH, F_OK) == 0 ? CONF_DEFAULT_PATH : NULL;
}

/*
 * -c as an absolute path, resolved once at start: the daemon chdirs to /
 * when it detaches, and a reload must find the same file.  A file that
 * does not exist (yet) keeps its name made absolute, for the message.
 */
static const char *conf_opt_abs(const char *opt)
{
	static char abs[PATH_MAX];
	char cwd[PATH_MAX];
	if (!opt || opt[0] == '/')
		return opt;
	if (realpath(opt, abs))
		return abs;
	if (getcwd(cwd, sizeof cwd) && snprintf(abs, sizeof abs, "%s/%s", cwd, opt) < (int)sizeof abs)
		return abs;
	return opt;
}

/* The node of a core key, for a file:line in a message. */
static const struct conf_node *core_node(const struct conf *c, const char *sec, const char *key)
{
	for (const struct conf_node *n = c->root; n; n = n->next) {
		if (!sec && !n->section && !strcmp(n->key, key))
			return n;
		if (sec && n->section && !strcmp(n->key, sec))
			return conf_get(n, key);
	}
	return NULL;
}

static int conf_check_all(struct conf *c, char *err, size_t errlen)
{
	/* what tipd looks up at start is looked up by -n too */
	if (c->user && !getpwnam(c->user))
		return conf_error(c, core_node(c, NULL, "user"), err, errlen,
				  "user: no such user '%s'", c->user);
	if (c->socket_group && !getgrnam(c->socket_group))
		return conf_error(c, core_node(c, "control", "group"), err, errlen,
				  "group: no such group '%s'", c->socket_group);
	if (module_conf_check(c, err, errlen) < 0)
		return -1;
	if (c->trace)
		for (int i = 0; i < c->trace->argc; i++) {
			const char *name = c->trace->argv[i];
			int known = !strcmp(name, "all");
			for (size_t k = 0; !known && k < module_table_len; k++)
				known = module_table[k] && !strcmp(module_table[k]->name, name);
			for (size_t k = 0; !known && k < sizeof core_trace / sizeof *core_trace; k++)
				known = !strcmp(core_trace[k], name);
			if (!known)
				return conf_error(c, c->trace, err, errlen,
						  "trace: unknown module '%s'", name);
		}
	return 0;
}

static int config_load(const char *path, struct conf *c, char *err, size_t errlen)
{
	if (!path) {
		conf_init(c);
		return 0;
	}
	if (conf_load(c, path, err, errlen) < 0)
		return -1;
	if (conf_check_all(c, err, errlen) < 0) {
		conf_free(c);
		return -1;
	}
	return 0;
}

static void apply_trace(const struct conf *c)
{
	log_trace_clear();
	if (c->trace)
		for (int i = 0; i < c->trace->argc; i++)
			log_trace_set(c->trace->argv[i], 1);
}

/* ---- records -------------------------------------------------------------------- */

int tipd_record(struct tipd *d, const struct rec *r)
{
	if (!d->writer) {
		errno = ENODEV;
		return -1;
	}
	return writer_put(d->writer, r);
}

void tipd_event(struct tipd *d, int kind, const char *fmt, ...)
{
	char text[REC_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	struct rec r = {.type = REC_EVENT};
	r.u.event.kind = (uint8_t)kind;
	r.u.event.text = text;
	r.u.event.text_len = (size_t)n < sizeof text ? (size_t)n : sizeof text - 1;
	rec_stamp(&r);
	tipd_record(d, &r);
}

/* Candidates go into the store as notes, so nothing an operator submits is lost. */
static void journal_on_candidate(struct bus_sub *sub, const struct bus_cand *c)
{
	struct daemon *dm = sub->arg;
	if (!dm->d.conf.record_candidates)
		return;
	tipd_event(&dm->d, REC_EV_NOTE, "candidate %s %s", bus_source_name(c->source), c->name);
	dm->d.candidates_recorded++;
}

/* ---- status ------------------------------------------------------------------------ */

/* Whole seconds between a monotonic time and now: "12s", or "-" for never. */
static void fmt_secs(char *buf, size_t cap, int64_t a, int64_t b)
{
	int64_t d = a - b;
	snprintf(buf, cap, "%llds", (long long)((d < 0 ? 0 : d) / 1000000));
}

static void task_line(struct hbuf *out, const struct sched_task *t, const char *parent,
		      int64_t now)
{
	char last[32] = "-", next[32];
	if (t->runs)
		fmt_secs(last, sizeof last, now, t->last_start_us);
	if (t->state == SCHED_QUEUED)
		fmt_secs(next, sizeof next, t->due_us, now);
	else
		snprintf(next, sizeof next, "%s", t->state == SCHED_IDLE ? "event" : "running");
	hbuf_printf(out,
		    "task name=%s%s%s state=%s runs=%llu fails=%llu failures=%u last_ago=%s "
		    "last_ok=%s next_in=%s\n",
		    parent ? parent : "", parent ? "/" : "", t->name, sched_state_name(t),
		    (unsigned long long)t->runs, (unsigned long long)t->fails, t->failures, last,
		    t->runs ? (t->last_ok ? "yes" : "no") : "-", next);
}

struct emit_ctx {
	struct hbuf *out;
};

static void emit_stat(void *ctx, const char *key, uint64_t v)
{
	struct emit_ctx *e = ctx;
	hbuf_printf(e->out, " %s=%llu", key, (unsigned long long)v);
}

static void status_report(struct daemon *dm, struct hbuf *out)
{
	struct tipd *d = &dm->d;
	int64_t now = clock_mono_us();
	char tr[256];

	log_trace_list(tr, sizeof tr);
	hbuf_printf(out, "tipd version=%s pid=%d uptime=%llds config=%s level=%s trace=%s\n",
		    TIP_VERSION, (int)getpid(),
		    (long long)((clock_now_us() - d->started_us) / 1000000),
		    d->conf_path ? d->conf_path : "(built-in)", log_level_name(log_get_level()),
		    tr[0] ? tr : "-");
	for (size_t i = 0; i < d->nmods; i++) {
		struct module *m = &d->mods[i];
		hbuf_printf(out, "module name=%s state=%s", m->ops->name,
			    module_state_name(m->state));
		if (m->state == MODULE_RUNNING && m->ops->stats) {
			struct emit_ctx e = {out};
			m->ops->stats(m, emit_stat, &e);
		}
		hbuf_printf(out, "\n");
	}
	for (const struct sched_task *t = sched_first(&d->sched); t; t = sched_next(t)) {
		task_line(out, t, NULL, now);
		for (const struct sched_task *c = sched_first_child(t); c; c = sched_next(c))
			task_line(out, c, t->name, now);
	}
	hbuf_printf(out, "sched queued=%zu dispatched=%llu\n", sched_queued(&d->sched),
		    (unsigned long long)d->sched.dispatched);
	unsigned subs = (unsigned)d->bus.subs.n;
	hbuf_printf(out, "bus published=%llu invalid=%llu dropped=%llu subscribers=%u\n",
		    (unsigned long long)d->bus.published, (unsigned long long)d->bus.invalid,
		    (unsigned long long)d->bus.dropped, subs);
	if (d->writer) {
		struct writer_stats ws;
		writer_stats(d->writer, &ws);
		hbuf_printf(out,
			    "writer queued=%llu max=%u accepted=%llu dropped=%llu lost=%llu "
			    "stored=%llu durable=%llu segments=%llu seq=%u errors=%llu disk=%s\n",
			    (unsigned long long)ws.queued, ws.max_queue,
			    (unsigned long long)ws.accepted, (unsigned long long)ws.dropped,
			    (unsigned long long)ws.lost, (unsigned long long)ws.stored,
			    (unsigned long long)ws.seg.durable, (unsigned long long)ws.seg.segments,
			    ws.seg.seq, (unsigned long long)ws.seg.write_errors,
			    ws.disk_error ? "error" : "ok");
	}
	if (d->ctl) {
		struct ctl_stats cs;
		ctl_get_stats(d->ctl, &cs);
		hbuf_printf(out, "ctl conns=%u accepted=%llu refused=%llu requests=%llu errors=%llu\n",
			    cs.conns, cs.accepted, cs.refused, cs.requests, cs.errors);
	}
	hbuf_printf(out, "conf reloads=%llu reload_errors=%llu candidates_recorded=%llu\n",
		    (unsigned long long)d->reloads, (unsigned long long)d->reload_errors,
		    (unsigned long long)d->candidates_recorded);
}

/* ---- control socket operations ---------------------------------------------------- */

static int op_submit(void *arg, int argc, char **argv, struct hbuf *out TIP_UNUSED, char *detail,
		     size_t len)
{
	struct daemon *dm = arg;
	int n = 0;
	for (int i = 0; i < argc; i++)
		if (bus_publish(&dm->d.bus, argv[i], strlen(argv[i]), BUS_SRC_OPERATOR) == 0)
			n++;
	log_trace(log_trace_id("ctl"), "ctl: submit: %d of %d names published", n, argc);
	snprintf(detail, len, "submitted %d", n);
	return 0;
}

static int op_status(void *arg, struct hbuf *out, char *detail TIP_UNUSED, size_t len TIP_UNUSED)
{
	status_report(arg, out);
	return 0;
}

static int op_trace(void *arg TIP_UNUSED, const char *module, int on, struct hbuf *out TIP_UNUSED,
		    char *detail,
		    size_t len)
{
	char esc[LOG_ESC_MAX];
	if (log_trace_set(module, on) < 0) {
		snprintf(detail, len, "no trace flag \"%s\"",
			 log_esc(esc, sizeof esc, module, strlen(module)));
		return -1;
	}
	log_info("ctl: trace %s %s", module, on ? "on" : "off");
	return 0;
}

/*
 * The time source (OpenWrt's NTP hotplug hook, a systemd timer) tells tipd
 * whether the wall clock can be trusted; until then records carry
 * REC_F_CLOCK_UNSET (a router boots with the time of its newest file).
 */
static int op_clock(void *arg, int synced, struct hbuf *out TIP_UNUSED, char *detail, size_t len)
{
	struct daemon *dm = arg;
	int was = clock_is_set();
	clock_set_synced(synced);
	int now = clock_is_set();
	log_info("ctl: clock %s (%s)", synced > 0 ? "synced" : synced == 0 ? "unsynced" : "auto",
		 now ? "trusted" : "not trusted");
	if (was != now)
		tipd_event(&dm->d, REC_EV_NOTE, "clock %s", now ? "set" : "not set");
	snprintf(detail, len, "clock %s", now ? "trusted" : "not trusted");
	return 0;
}

static const struct ctl_ops ctl_ops = {op_submit, op_status, op_trace, op_clock};

/* ---- modules ---------------------------------------------------------------------- */

/*
 * Start one module: 0, or -1 (state failed, stopped again, the reason
 * logged by the module and this line).  Whatever module it is, the
 * caller decides: fatal at start, a logged error on reload.
 */
static int module_up(struct tipd *d, struct module *m)
{
	m->sec = conf_module(&d->conf, m->ops->name);
	errno = 0;
	if ((m->ops->init && m->ops->init(m) < 0) || (m->ops->start && m->ops->start(m) < 0)) {
		int e = errno;
		log_errx("%s: cannot start%s%s", m->ops->name, e ? ": " : "", e ? strerror(e) : "");
		if (m->ops->stop)
			m->ops->stop(m);
		m->priv = NULL;
		m->state = MODULE_FAILED;
		return -1;
	}
	m->state = MODULE_RUNNING;
	log_debug("%s: started", m->ops->name);
	return 0;
}

static void module_down(struct module *m)
{
	if (m->state == MODULE_RUNNING && m->ops->stop)
		m->ops->stop(m);
	m->state = MODULE_OFF;
	m->priv = NULL;
}

static void modules_start(struct tipd *d)
{
	for (size_t i = 0; i < module_table_len && d->nmods < TIPD_MODULES_MAX; i++) {
		const struct module_ops *ops = module_table[i];
		if (!ops)
			continue;
		struct module *m = &d->mods[d->nmods++];
		*m = (struct module){.ops = ops, .d = d, .trace = log_trace_id(ops->name)};
		/* the configuration asked for it: running without it is no option */
		if (module_enabled(&d->conf, ops) && module_up(d, m) < 0)
			fatalx("tipd: module %s cannot start; see the lines above", ops->name);
	}
}

static void modules_stop(struct tipd *d)
{
	for (size_t i = d->nmods; i-- > 0;)
		module_down(&d->mods[i]);
}

/*
 * Settings read only at start: say so when a reload's file differs from
 * what tipd started with (o, the start-time configuration: a reload that
 * goes back to it changes nothing and says nothing).
 */
static void restart_only(const struct conf *o, const struct conf *n)
{
#define SAME(a, b) ((!(a) && !(b)) || ((a) && (b) && !strcmp((a), (b))))
	char what[160] = "";
	size_t len = 0;
#define DIFF(cond, name)                                                                 \
	do {                                                                             \
		if (cond)                                                                \
			len += (size_t)snprintf(what + len, len < sizeof what ? sizeof what - len : 0, \
						"%s%s", len ? ", " : "", name);          \
	} while (0)
	DIFF(!SAME(o->store_dir, n->store_dir), "store dir");
	DIFF(!SAME(o->sensor, n->sensor), "store sensor");
	DIFF(memcmp(&o->policy, &n->policy, sizeof o->policy) || o->queue != n->queue,
	     "store policy");
	DIFF(!SAME(o->socket, n->socket) || !SAME(o->socket_group, n->socket_group),
	     "control socket");
	DIFF(!SAME(o->user, n->user), "user");
	DIFF(!SAME(o->pidfile, n->pidfile), "pidfile");
	if (len)
		log_warnx("conf: reload: %s: changed in the file; in force from the next restart",
			  what);
#undef DIFF
#undef SAME
}

static void reload(struct daemon *dm)
{
	struct tipd *d = &dm->d;
	const char *path = conf_path(dm->conf_opt);
	struct conf nc, old;
	char err[512];

	if (config_load(path, &nc, err, sizeof err) < 0) {
		d->reload_errors++;
		log_warnx("conf: reload: %s; keeping the running configuration", err);
		return;
	}
	restart_only(&dm->boot, &nc);
	old = d->conf;
	d->conf = nc;
	d->conf_path = path;
	if (!dm->debug)
		log_set_level(d->conf.log_level);
	apply_trace(&d->conf);
	for (size_t i = 0; i < d->nmods; i++) {
		struct module *m = &d->mods[i];
		int on = module_enabled(&d->conf, m->ops);
		if (m->state == MODULE_RUNNING && on) {
			m->sec = conf_module(&d->conf, m->ops->name);
			if (m->ops->reload && m->ops->reload(m) < 0)
				log_warnx("%s: reload failed; it keeps running as it was",
					  m->ops->name);
		} else if (m->state == MODULE_RUNNING) {
			module_down(m);
			log_info("%s: stopped by the new configuration", m->ops->name);
		} else if (on && module_up(d, m) < 0) {
			log_errx("conf: reload: module %s is configured but not running; "
				 "fix the configuration and reload", m->ops->name);
		}
	}
	/* Modules now point into the new tree only; the start-time one stays. */
	if (dm->boot_kept)
		conf_free(&old);
	dm->boot_kept = 1;
	d->reloads++;
	sched_event(&d->sched, SCHED_EV_RELOAD);
	tipd_event(d, REC_EV_CONFIG, "configuration reloaded from %s", path ? path : "(built-in)");
	log_info("conf: reloaded %s", path ? path : "(built-in defaults)");
}

/* ---- loop callbacks ----------------------------------------------------------------- */

static void prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents TIP_UNUSED)
{
	struct daemon *dm = container_of(w, struct daemon, prepare);
	if (dm->d.writer)
		writer_kick(dm->d.writer);
	int64_t due = sched_next_due(&dm->d.sched);
	ev_timer_stop(loop, &dm->timer);
	if (due < 0)
		return;
	ev_now_update(loop);
	ev_timer_set(&dm->timer, clock_us_to_s(due - clock_mono_us()), 0);
	ev_timer_start(loop, &dm->timer);
}

static void timer_cb(struct ev_loop *loop TIP_UNUSED, ev_timer *w, int revents TIP_UNUSED)
{
	struct daemon *dm = container_of(w, struct daemon, timer);
	unsigned n = sched_run(&dm->d.sched);
	if (n)
		log_trace(log_trace_id("sched"), "sched: %u runs", n);
}

static void hup_cb(struct ev_loop *loop TIP_UNUSED, ev_signal *w, int revents TIP_UNUSED)
{
	reload(container_of(w, struct daemon, sig_hup));
}

static void term_cb(struct ev_loop *loop, ev_signal *w, int revents TIP_UNUSED)
{
	log_info("tipd: signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void usr1_cb(struct ev_loop *loop TIP_UNUSED, ev_signal *w, int revents TIP_UNUSED)
{
	struct daemon *dm = container_of(w, struct daemon, sig_usr1);
	struct hbuf out = {0};
	status_report(dm, &out);
	for (char *line = out.p, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = 0;
		log_info("status: %s", line);
	}
	hbuf_fini(&out);
}

/*
 * The writer's disk state changed: when a fault ended, leave its trace in
 * the store itself, with the counts the log line gave.
 */
static void wake_cb(struct ev_loop *loop TIP_UNUSED, ev_async *w, int revents TIP_UNUSED)
{
	struct daemon *dm = container_of(w, struct daemon, wake);
	struct writer_stats ws;
	writer_stats(dm->d.writer, &ws);
	if (ws.episodes > dm->episodes_noted) {
		tipd_event(&dm->d, REC_EV_NOTE,
			   "store refused %llu records (%s); %llu records lost in all",
			   (unsigned long long)ws.episode_lost, strerror(ws.episode_err),
			   (unsigned long long)ws.episode_total);
		dm->episodes_noted = ws.episodes;
	}
}

static void writer_notify(void *arg)
{
	struct daemon *dm = arg;
	ev_async_send(dm->d.loop, &dm->wake);
}

/* ---- start-up helpers ----------------------------------------------------------------- */

static int pidfile_open(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		fatal("tipd: pidfile %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		fatalx("tipd: %s: another tipd runs (pid %s)", path, buf);
	}
	int n = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		fatal("tipd: pidfile %s", path);
	return fd;
}

static int path_none(const char *p)
{
	return !p || !*p || !strcmp(p, "none");
}

/* The store's directories belong to the user tipd runs as after the drop. */
static void store_chown(const char *dir, uid_t uid, gid_t gid)
{
	static const char sub[][12] = {"", "/log", "/state", "/sensor.id", ("/" STORE_LOCK_NAME)};
	char path[4096];
	for (size_t i = 0; i < sizeof sub / sizeof *sub; i++) {
		snprintf(path, sizeof path, "%s%s", dir, sub[i]);
		if (chown(path, uid, gid) < 0 && errno != ENOENT)
			log_warn("tipd: chown %s", path);
	}
}

static void drop_privileges(const struct passwd *pw)
{
	if (pw) {
		if (setgroups(1, &pw->pw_gid) < 0)
			fatal("tipd: setgroups");
		if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0)
			fatal("tipd: setresgid");
		if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0)
			fatal("tipd: setresuid");
		if (pw->pw_uid != 0 && setuid(0) == 0)
			fatalx("tipd: could regain root after dropping it");
		log_info("tipd: running as %s (uid %d)", pw->pw_name, (int)pw->pw_uid);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fatal("tipd: PR_SET_NO_NEW_PRIVS");
}

/*
 * Detach like daemon(3), but the parent waits for the child's word: it
 * exits 0 once the child runs (detach_done), 1 when start-up failed, so
 * `tipd` on a terminal or in an init script fails visibly.  Until then
 * the child's log lines go to stderr too.  Returns the pipe's write end.
 */
static int detach(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		fatal("tipd: pipe");
	pid_t pid = fork();
	if (pid < 0)
		fatal("tipd: fork");
	if (pid > 0) {
		char c;
		ssize_t n;
		close(p[1]);
		do
			n = read(p[0], &c, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		fatal("tipd: setsid");
	if (chdir("/") < 0)
		fatal("tipd: chdir /");
	log_copy_stderr(1);
	return p[1];
}

static void detach_done(struct daemon *dm)
{
	if (dm->ready_fd < 0)
		return;
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	log_copy_stderr(0);
	ssize_t w = write(dm->ready_fd, "", 1);
	(void)w;
	close(dm->ready_fd);
	dm->ready_fd = -1;
}

int main(int argc, char **argv)
{
	static struct daemon dm;	/* static: the loop's watchers live as long as the process */
	struct tipd *d = &dm.d;
	int foreground = 0, check = 0, ch, rc = 0;
	char err[512];

	while ((ch = getopt(argc, argv, "c:dfnVh")) != -1) {
		switch (ch) {
		case 'c':
			dm.conf_opt = conf_opt_abs(optarg);
			break;
		case 'd':
			dm.debug = 1;
			foreground = 1;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'V':
			version();
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	for (size_t i = 0; i < sizeof core_trace / sizeof *core_trace; i++)
		log_trace_id(core_trace[i]);
	for (size_t i = 0; i < module_table_len; i++)
		if (module_table[i])
			log_trace_id(module_table[i]->name);

	d->conf_path = conf_path(dm.conf_opt);
	if (config_load(d->conf_path, &d->conf, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", d->conf_path ? d->conf_path : "(built-in defaults)");
		conf_free(&d->conf);
		return 0;
	}

	struct passwd *pw = NULL;
	gid_t sock_gid = (gid_t)-1;
	if (d->conf.user) {
		pw = getpwnam(d->conf.user);
		if (!pw) {
			fprintf(stderr, "tipd: user %s: no such user\n", d->conf.user);
			return 1;
		}
		if (geteuid() != 0) {
			if (pw->pw_uid != geteuid())
				fprintf(stderr, "tipd: not root: staying uid %d, not %s\n",
					(int)geteuid(), d->conf.user);
			pw = NULL;
		} else {
			sock_gid = pw->pw_gid;
		}
	}
	if (d->conf.socket_group) {
		struct group *gr = getgrnam(d->conf.socket_group);
		if (!gr) {
			fprintf(stderr, "tipd: group %s: no such group\n", d->conf.socket_group);
			return 1;
		}
		sock_gid = gr->gr_gid;
	}

	log_init("tipd", foreground, dm.debug ? LOG_LVL_DEBUG : d->conf.log_level);
	apply_trace(&d->conf);
	dm.ready_fd = foreground ? -1 : detach();
	signal(SIGPIPE, SIG_IGN);
	dm.boot = d->conf;

	d->loop = ev_default_loop(EVFLAG_AUTO);
	if (!d->loop)
		fatalx("tipd: cannot start the event loop");
	d->started_us = clock_now_us();
	dm.pid_fd = path_none(d->conf.pidfile) ? -1 : pidfile_open(d->conf.pidfile);

	/* one writer per store, before anything (recovery included) touches it */
	dm.lock_fd = store_lock_open(d->conf.store_dir, "tipd", err, sizeof err);
	if (dm.lock_fd < 0)
		fatalx("tipd: store: %s", err);
	d->writer = writer_new(d->conf.store_dir, d->conf.sensor, &d->conf.policy, d->conf.queue,
			       err, sizeof err);
	if (!d->writer)
		fatalx("tipd: store: %s", err);
	if (pw)
		store_chown(d->conf.store_dir, pw->pw_uid, pw->pw_gid);
	if (!path_none(d->conf.socket)) {
		d->ctl = ctl_open(d->loop, d->conf.socket, sock_gid, &ctl_ops, &dm, err, sizeof err);
		if (!d->ctl)
			fatalx("tipd: %s", err);
	}

	sched_init(&d->sched);
	sched_seed(&d->sched, (uint64_t)clock_now_us() ^ ((uint64_t)getpid() << 32));
	bus_init(&d->bus, &d->sched);
	dm.journal = (struct bus_sub){.name = "journal", .on_candidate = journal_on_candidate,
				      .arg = &dm};
	modules_start(d);
	bus_subscribe(&d->bus, &dm.journal);	/* after the modules: they see candidates first */

	ev_prepare_init(&dm.prepare, prepare_cb);
	ev_prepare_start(d->loop, &dm.prepare);
	ev_init(&dm.timer, timer_cb);
	ev_signal_init(&dm.sig_hup, hup_cb, SIGHUP);
	ev_signal_init(&dm.sig_term, term_cb, SIGTERM);
	ev_signal_init(&dm.sig_int, term_cb, SIGINT);
	ev_signal_init(&dm.sig_usr1, usr1_cb, SIGUSR1);
	ev_signal_start(d->loop, &dm.sig_hup);
	ev_signal_start(d->loop, &dm.sig_term);
	ev_signal_start(d->loop, &dm.sig_int);
	ev_signal_start(d->loop, &dm.sig_usr1);
	ev_async_init(&dm.wake, wake_cb);
	ev_async_start(d->loop, &dm.wake);
	writer_set_notify(d->writer, writer_notify, &dm);
	writer_set_report(d->writer, d->conf.report_ms);

	tipd_event(d, REC_EV_START, "tipd %s started, config %s", TIP_VERSION,
		   d->conf_path ? d->conf_path : "(built-in)");
	log_info("tipd: %s started (config %s, store %s)", TIP_VERSION,
		 d->conf_path ? d->conf_path : "built-in", d->conf.store_dir);

	/* The last steps before the loop: drop privileges, then start the writer thread
	 * (no_new_privs is per thread: the writer inherits it). */
	drop_privileges(pw);
	char sberr[128];
	int sb = sandbox_enter(sberr, sizeof sberr);
	if (sb < 0)
		fatalx("tipd: %s", sberr);
	log_info("tipd: %s", sb == 0 ? "seccomp filter on" : sberr);
	if (writer_start(d->writer) < 0)
		fatal("tipd: writer thread");
	detach_done(&dm);

	ev_run(d->loop, 0);

	modules_stop(d);
	bus_unsubscribe(&d->bus, &dm.journal);
	tipd_event(d, REC_EV_STOP, "tipd stopped");
	ctl_close(d->ctl);
	if (writer_close(d->writer) < 0) {
		log_errx("tipd: the store could not be made durable: records were lost");
		rc = 1;
	}
	store_lock_close(dm.lock_fd);
	sched_fini(&d->sched);
	bus_fini(&d->bus);
	if (dm.pid_fd >= 0) {
		unlink(d->conf.pidfile);	/* may fail after the drop: harmless */
		close(dm.pid_fd);
	}
	log_info("tipd: stopped");
	conf_free(&d->conf);
	if (dm.boot_kept)
		conf_free(&dm.boot);
	ev_loop_destroy(d->loop);
	return rc;
}
