/*
 * module: the table of built-in modules and what all module sections of
 * the configuration have in common (module.h).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "module.h"
#include "tip_config.h"

extern const struct module_ops mod_watchlist_ops;
extern const struct module_ops mod_fastflux_ops;
extern const struct module_ops mod_blacklist_ops;
extern const struct module_ops mod_share_ops;
extern const struct module_ops mod_spamtrap_ops;

/*
 * Order matters: modules start in this order and stop in the reverse, so
 * consumers of the bus (fastflux) come before producers (watchlist) and
 * see the first candidates.
 */
const struct module_ops *const module_table[] = {
	ENABLE_MODULE_FASTFLUX ? &mod_fastflux_ops : NULL,
	ENABLE_MODULE_WATCHLIST ? &mod_watchlist_ops : NULL,
	ENABLE_MODULE_BLACKLIST ? &mod_blacklist_ops : NULL,
	ENABLE_MODULE_SHARE ? &mod_share_ops : NULL,
	ENABLE_MODULE_SPAMTRAP ? &mod_spamtrap_ops : NULL,
};
const size_t module_table_len = sizeof module_table / sizeof module_table[0];

/* Modules Kconfig knows, built in or not, for a clear error message. */
static const char known[][10] = {"watchlist", "fastflux", "blacklist", "spamtrap", "share"};

/* The keys every module section has: when and how often it runs. */
struct sched_keys {
	int on, at;
	int64_t interval, jitter, bmin, bmax;
};

static int key_at(const struct conf *c, const struct conf_node *n, void *base, char *err,
		  size_t errlen)
{
	struct sched_keys *k = base;
	if (conf_arg1(c, n, err, errlen) < 0)
		return -1;
	if (conf_clock_time(n->argv[0], &k->at) < 0)
		return conf_error(c, n, err, errlen, "at: '%s' is not HH:MM (UTC)", n->argv[0]);
	return 0;
}

#define SK_OFF(f) ((uint32_t)offsetof(struct sched_keys, f))
static const struct conf_key common_keys[] = {
	{"enable", CONF_K_BOOL, 0, SK_OFF(on), 0, 0, {NULL}},
	{"interval", CONF_K_DUR, 0, SK_OFF(interval), 1000000, 0, {NULL}},
	{"jitter", CONF_K_DUR, 0, SK_OFF(jitter), 0, 0, {NULL}},
	{"at", CONF_K_FN, 0, 0, 0, 0, .fn = key_at},
	{"backoff-min", CONF_K_DUR, 0, SK_OFF(bmin), 1000, 0, {NULL}},
	{"backoff-max", CONF_K_DUR, 0, SK_OFF(bmax), 0, 0, {NULL}},
};

const struct module_ops *module_find(const char *name)
{
	for (size_t i = 0; i < module_table_len; i++)
		if (module_table[i] && !strcmp(module_table[i]->name, name))
			return module_table[i];
	return NULL;
}

const char *module_state_name(int state)
{
	switch (state) {
	case MODULE_RUNNING:
		return "running";
	case MODULE_FAILED:
		return "failed";
	default:
		return "off";
	}
}

int module_common_key(const char *key)
{
	for (size_t i = 0; i < CONF_NKEYS(common_keys); i++)
		if (!strcmp(key, common_keys[i].key))
			return 1;
	return 0;
}

/* The module's own keys are its check's: left alone here. */
static int own_key(const char *key)
{
	return !module_common_key(key);
}

int module_enabled(const struct conf *c, const struct module_ops *ops)
{
	const struct conf_node *sec = conf_module(c, ops->name);
	int on;
	if (!sec)
		return ops->default_on;
	const struct conf_node *n = conf_get(sec, "enable");
	if (n && n->argc == 1 && conf_bool(n->argv[0], &on) == 0)
		return on;
	return 1;	/* a section without `enable no` turns it on */
}

/* Seconds to the next HH:MM UTC (at least 1 s ahead). */
static int64_t next_daily(int secs)
{
	int64_t now = clock_now_us() / 1000000;
	int64_t day = now - now % 86400;
	int64_t t = day + secs;
	if (t <= now)
		t += 86400;
	return t * 1000000;
}

int module_sched_conf(const struct conf *c, const struct conf_node *sec, struct sched_task *t,
		      int64_t def_interval_us, char *err, size_t errlen)
{
	struct sched_keys k = {.at = -1, .interval = def_interval_us,
			       .bmin = SCHED_BACKOFF_MIN_US, .bmax = SCHED_BACKOFF_MAX_US};
	static const struct conf_table table = {
		.keys = common_keys, .n = CONF_NKEYS(common_keys), .skip = own_key, .once = 1};
	const struct conf_node *n;

	if (sec && conf_table_read(c, sec, &table, &k, err, errlen) < 0)
		return -1;
	if (k.bmax < k.bmin) {
		n = conf_get(sec, "backoff-max");
		return conf_error(c, n ? n : sec, err, errlen,
				  "backoff-max is shorter than backoff-min");
	}
	if (k.at >= 0 && !conf_get(sec, "interval"))
		k.interval = 86400 * 1000000LL;
	if (k.interval > 0 && k.jitter > k.interval / 2) {
		n = conf_get(sec, "jitter");
		return conf_error(c, n, err, errlen, "jitter: at most half the interval");
	}
	if (!t)
		return 0;
	sched_every(t, k.interval, k.jitter);
	sched_at(t, k.at >= 0 ? next_daily(k.at) : 0);
	sched_backoff(t, k.bmin, k.bmax);
	return 0;
}

int module_conf_check(const struct conf *c, char *err, size_t errlen)
{
	for (const struct conf_node *n = c->root; n; n = n->next) {
		if (!n->section || strcmp(n->key, "module") || n->argc != 1)
			continue;
		const char *name = n->argv[0];
		const struct module_ops *ops = module_find(name);
		if (!ops) {
			/* a section that turns off a module this build lacks is harmless:
			 * one file (the OpenWrt UCI one) serves every build */
			const struct conf_node *en = conf_get(n, "enable");
			int on = 1;
			if (en && en->argc == 1 && conf_bool(en->argv[0], &on) == 0 && !on) {
				for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
					if (!strcmp(known[i], name))
						goto next;
			}
			for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
				if (!strcmp(known[i], name))
					return conf_error(c, n, err, errlen,
							  "module '%s' is not built in (Kconfig)",
							  name);
			char esc[LOG_ESC_MAX], list[256] = "";
			size_t len = 0;
			for (size_t i = 0; i < module_table_len && len < sizeof list; i++)
				if (module_table[i])
					len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
								len ? ", " : "",
								module_table[i]->name);
			return conf_error(c, n, err, errlen,
					  "unknown module '%s' (built in: %s)",
					  log_esc(esc, sizeof esc, name, strlen(name)),
					  len ? list : "none");
		}
		if (module_sched_conf(c, n, NULL, 0, err, errlen) < 0)
			return -1;
		if (ops->check && ops->check(c, n, err, errlen) < 0)
			return -1;
next:;
	}
	return 0;
}

const char *module_emit_fields(module_emit_fn emit, void *ctx, const void *base,
			       const char *names, const uint16_t *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const unsigned char *at = (const unsigned char *)base + (fields[i] >> 1);
		uint64_t v;
		if (fields[i] & 1) {
			memcpy(&v, at, sizeof v);
		} else {
			uint32_t w;
			memcpy(&w, at, sizeof w);
			v = w;
		}
		emit(ctx, names, v);
		names += strlen(names) + 1;
	}
	return names;
}
