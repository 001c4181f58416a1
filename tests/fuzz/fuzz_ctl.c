/*
 * fuzz_ctl: requests on tipd's control socket (sensor/ctl.c), split into
 * lines as the server does and run through ctl_execute against operations
 * like the daemon's (submit publishes on a bus).  Every request gets a
 * reply that ends in one "ok" or "error: " line.
 */
#include <string.h>

#include "bus.h"
#include "ctl.h"
#include "fuzz.h"

static struct bus bus;

static int op_submit(void *arg, int argc, char **argv, struct hbuf *out, char *detail, size_t len)
{
	int n = 0;
	FUZZ_CHECK(argc >= 1 && argc <= CTL_ARGS_MAX);
	for (int i = 0; i < argc; i++)
		if (bus_publish(&bus, argv[i], strlen(argv[i]), BUS_SRC_OPERATOR) == 0)
			n++;
	snprintf(detail, len, "submitted %d", n);
	return 0;
}

static int op_status(void *arg, struct hbuf *out, char *detail, size_t len)
{
	hbuf_printf(out, "published %llu\n", (unsigned long long)bus.published);
	return 0;
}

static int op_trace(void *arg, const char *module, int on, struct hbuf *out, char *detail,
		    size_t len)
{
	FUZZ_CHECK(module != NULL && (on == 0 || on == 1));
	return strcmp(module, "sched") ? -1 : 0;
}

static int op_clock(void *arg, int synced, struct hbuf *out, char *detail, size_t len)
{
	FUZZ_CHECK(synced >= -1 && synced <= 1);
	return 0;
}

static const struct ctl_ops ops = {op_submit, op_status, op_trace, op_clock};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[CTL_LINE_MAX + 1];
	struct hbuf out = {0};
	bus_init(&bus, NULL);
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p += len + (nl != NULL);
		if (len > CTL_LINE_MAX)
			continue;	/* the server closes the connection instead */
		memcpy(line, p - len - (nl != NULL), len);
		out.len = 0;
		int rc = ctl_execute(&ops, NULL, line, len, &out);
		FUZZ_CHECK(!out.err && out.len > 0 && out.p[out.len - 1] == '\n');
		/* the last line is the verdict */
		const char *last = out.p + out.len - 1;
		while (last > out.p && last[-1] != '\n')
			last--;
		FUZZ_CHECK(rc == 0 ? !strncmp(last, "ok", 2) : !strncmp(last, "error: ", 7));
	}
	hbuf_fini(&out);
	bus_fini(&bus);
	return 0;
}
