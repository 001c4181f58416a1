/*
 * fuzz_mime: libFuzzer entry point for the mail parser (store/mail.c):
 * one input is one message; the same bytes are also split as an mbox.
 * Small limits make depth, part and size caps reachable by short inputs.
 *
 *     clang -fsanitize=fuzzer,address,undefined -iquote store \
 *         tests/fuzz/fuzz_mime.c store/mail.c store/buf.c -lbearssl
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mail_msg *m;
	struct mail_opts o;
	struct mail_net net;
	if (!m && !(m = malloc(sizeof *m)))
		return 0;
	mail_opts_default(&o);
	o.lim.max_text = 4096;
	o.lim.max_line = 1024;
	o.lim.max_depth = 4;
	o.lim.max_parts = 64;
	if (mail_net_parse("192.0.2.0/24", &net) == 0) {
		o.trusted = &net;
		o.n_trusted = 1;
	}
	if (mail_parse(data, size, &o, m) == 0) {
		/* everything kept must lie inside the pool */
		for (uint32_t i = 0; i < m->n_urls; i++)
			if (m->urls[i].off + m->urls[i].len > m->pool_len)
				abort();
		for (uint32_t i = 0; i < m->n_hosts; i++)
			if (m->hosts[i].off + m->hosts[i].len > m->pool_len || !m->hosts[i].len)
				abort();
	}
	size_t off = 0, ml;
	const uint8_t *msg;
	while (mail_mbox_next(data, size, &off, &msg, &ml) == 1) {
		if (msg < data || msg + ml > data + size)
			abort();
		mail_parse(msg, ml, &o, m);
	}
	return 0;
}
