/*
 * fuzz_mime: the mail parser (store/mail.c) on arbitrary bytes.  The first
 * byte picks the limits (small ones make the depth, part, line and text
 * caps reachable by short inputs) and whether the rest is also split as an
 * mbox; the rest is one message.  Whatever the parser keeps must lie inside
 * its pool, and a rejected message must say why.
 * libFuzzer entry point; build with clang -fsanitize=fuzzer,address.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mail.h"

static void check_msg(const struct mail_msg *m, int rc)
{
	if (rc < 0) {
		FUZZ_CHECK(m->bad & MAIL_BAD_FATAL);
		return;
	}
	FUZZ_CHECK(m->n_urls <= MAIL_URLS_MAX && m->n_hosts <= MAIL_HOSTS_MAX && m->n_att <= MAIL_ATT_MAX);
	FUZZ_CHECK(m->pool_len <= MAIL_POOL);
	for (uint32_t i = 0; i < m->n_urls; i++)
		FUZZ_CHECK(m->urls[i].off + m->urls[i].len <= m->pool_len && m->urls[i].len);
	for (uint32_t i = 0; i < m->n_hosts; i++) {
		FUZZ_CHECK(m->hosts[i].off + m->hosts[i].len <= m->pool_len && m->hosts[i].len);
		FUZZ_CHECK(m->hosts[i].len <= REC_NAME_MAX);
		/* a registered domain is the tail of its host */
		if (m->domains[i].len)
			FUZZ_CHECK(m->domains[i].off + m->domains[i].len == m->hosts[i].off + m->hosts[i].len);
	}
	FUZZ_CHECK(strlen(m->subject) <= MAIL_SUBJECT_MAX);
	FUZZ_CHECK(m->sender.family == 0 || m->sender.family == 4 || m->sender.family == 6);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_opts o;
	struct mail_net net;
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	struct mail_msg *m = malloc(sizeof *m);
	if (!m)
		return 0;
	mail_opts_default(&o);
	if (mode & 1) {
		o.lim.max_text = 64 + (mode >> 2) * 16u;
		o.lim.max_line = 64;
		o.lim.max_depth = 3;
		o.lim.max_parts = 16;
		o.lim.max_msg = 512;
	} else {
		o.lim.max_text = 4096;
		o.lim.max_line = 1024;
	}
	if (mail_net_parse("192.0.2.0/24", &net) == 0) {
		o.trusted = &net;
		o.n_trusted = 1;
	}
	check_msg(m, mail_parse(data, size, &o, m));
	if (mode & 2) {
		size_t off = 0, ml, last = 0;
		const uint8_t *msg;
		while (mail_mbox_next(data, size, &off, &msg, &ml) == 1) {
			FUZZ_CHECK(msg >= data && msg + ml <= data + size && off > last);
			last = off;
			check_msg(m, mail_parse(msg, ml, &o, m));
		}
	}
	free(m);
	return 0;
}
