/*
 * fuzz_conf: tipd.conf (sensor/conf.c), parsed and then checked by every
 * module's key table as `tipd -t` does, with the value readers (durations,
 * sizes, booleans, numbers, clock times) run on every argument.
 */
#include <string.h>

#include "conf.h"
#include "fuzz.h"
#include "module.h"

static void values(const struct conf_node *n)
{
	for (; n; n = n->next) {
		for (int i = 0; i < n->argc; i++) {
			int64_t us;
			uint64_t v;
			int b, secs;
			conf_duration(n->argv[i], &us);
			conf_size(n->argv[i], &v);
			conf_bool(n->argv[i], &b);
			conf_uint(n->argv[i], 1000000, &v);
			conf_clock_time(n->argv[i], &secs);
		}
		values(n->child);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	char err[512];

	err[0] = 0;
	if (conf_parse(&c, "fuzz.conf", (const char *)data, size, err, sizeof err) < 0) {
		FUZZ_CHECK(err[0] != 0);
		conf_free(&c);
		return 0;
	}
	values(c.root);
	if (module_conf_check(&c, err, sizeof err) < 0)
		FUZZ_CHECK(err[0] != 0);
	conf_free(&c);
	return 0;
}
