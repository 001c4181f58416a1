/*
 * module: the table of built-in modules and what all module sections of
 * the configuration have in common (module.h).
 */
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
static const char *const known[] = {"watchlist", "fastflux", "blacklist", "spamtrap", "share"};

static const char *const common_keys[] = {"enable",      "interval",    "jitter",
					  "at",          "backoff-min", "backoff-max"};

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
	for (size_t i = 0; i < sizeof common_keys / sizeof common_keys[0]; i++)
		if (!strcmp(key, common_keys[i]))
			return 1;
	return 0;
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
	int64_t interval = def_interval_us, jitter = 0;
	int64_t bmin = SCHED_BACKOFF_MIN_US, bmax = SCHED_BACKOFF_MAX_US;
	int at = -1, on;
	const struct conf_node *n;

	for (n = sec ? sec->child : NULL; n; n = n->next) {
		if (!module_common_key(n->key))
			continue;
		if (n->section)
			return conf_error(c, n, err, errlen, "'%s' is not a section", n->key);
		for (const struct conf_node *q = sec->child; q != n; q = q->next)
			if (!strcmp(q->key, n->key))
				return conf_error(c, n, err, errlen,
						  "'%s' given twice (first at line %d)", n->key,
						  q->line);
		if (!strcmp(n->key, "enable")) {
			if (conf_get_bool(c, n, &on, err, errlen) < 0)
				return -1;
		} else if (!strcmp(n->key, "interval")) {
			if (conf_get_duration(c, n, &interval, err, errlen) < 0)
				return -1;
			if (interval < 1000000)
				return conf_error(c, n, err, errlen, "interval: at least 1s");
		} else if (!strcmp(n->key, "jitter")) {
			if (conf_get_duration(c, n, &jitter, err, errlen) < 0)
				return -1;
		} else if (!strcmp(n->key, "at")) {
			if (conf_arg1(c, n, err, errlen) < 0)
				return -1;
			if (conf_clock_time(n->argv[0], &at) < 0)
				return conf_error(c, n, err, errlen, "at: '%s' is not HH:MM (UTC)",
						  n->argv[0]);
		} else if (!strcmp(n->key, "backoff-min")) {
			if (conf_get_duration(c, n, &bmin, err, errlen) < 0)
				return -1;
			if (bmin < 1000)
				return conf_error(c, n, err, errlen, "backoff-min: at least 1ms");
		} else if (!strcmp(n->key, "backoff-max")) {
			if (conf_get_duration(c, n, &bmax, err, errlen) < 0)
				return -1;
		}
	}
	if (bmax < bmin) {
		n = conf_get(sec, "backoff-max");
		return conf_error(c, n ? n : sec, err, errlen,
				  "backoff-max is shorter than backoff-min");
	}
	if (at >= 0 && !conf_get(sec, "interval"))
		interval = 86400 * 1000000LL;
	if (interval > 0 && jitter > interval / 2) {
		n = conf_get(sec, "jitter");
		return conf_error(c, n, err, errlen, "jitter: at most half the interval");
	}
	if (!t)
		return 0;
	sched_every(t, interval, jitter);
	sched_at(t, at >= 0 ? next_daily(at) : 0);
	sched_backoff(t, bmin, bmax);
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
