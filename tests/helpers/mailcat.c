/*
 * mailcat: print what store/mail.c extracts from mail files, one fact a
 * line, for tests/integration/mail.sh to compare with an independent
 * parser.
 *
 *     mailcat [-m] [-t CIDR]... FILE...
 *
 * -m reads each FILE as an mbox.  Per message:
 *     msg FILE ok|bad:REASON sender=IP from=D reply=D rpath=D msgid=D
 *         urls=N hosts=N att=N parts=N
 *     host FILE HOST DOMAIN|-
 *     url FILE URL
 *     att FILE SIZE SHA256 TYPE NAME
 *     digest FILE HEX
 *     subject FILE TEXT
 * Text is printed with bytes outside printable ASCII as \xHH.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail.h"

static void put_esc(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch > 0x20 && ch < 0x7f && ch != '\\')
			putchar(ch);
		else
			printf("\\x%02x", ch);
	}
}

static void one(const char *name, const uint8_t *p, size_t n, const struct mail_opts *o,
		struct mail_msg *m)
{
	int rc = mail_parse(p, n, o, m);
	char ip[64] = "-";
	if (m->sender.family)
		inet_ntop(m->sender.family == 4 ? AF_INET : AF_INET6, m->sender.addr, ip, sizeof ip);
	printf("msg %s %s%s sender=%s from=%s reply=%s rpath=%s msgid=%s urls=%u hosts=%u att=%u parts=%u\n",
	       name, rc == 0 ? "ok" : "bad:", rc == 0 ? "" : mail_bad_name(m->bad), ip,
	       m->from_dom[0] ? m->from_dom : "-", m->reply_dom[0] ? m->reply_dom : "-",
	       m->rpath_dom[0] ? m->rpath_dom : "-", m->msgid_dom[0] ? m->msgid_dom : "-",
	       m->urls_seen, m->n_hosts, m->n_att, m->parts);
	if (rc < 0)
		return;
	for (uint32_t i = 0; i < m->n_hosts; i++) {
		printf("host %s ", name);
		put_esc(mail_str_ptr(m, m->hosts[i]), m->hosts[i].len);
		putchar(' ');
		if (m->domains[i].len)
			put_esc(mail_str_ptr(m, m->domains[i]), m->domains[i].len);
		else
			putchar('-');
		putchar('\n');
	}
	for (uint32_t i = 0; i < m->n_urls; i++) {
		printf("url %s ", name);
		put_esc(mail_str_ptr(m, m->urls[i]), m->urls[i].len);
		putchar('\n');
	}
	for (uint32_t i = 0; i < m->n_att; i++) {
		printf("att %s %llu ", name, (unsigned long long)m->att[i].size);
		for (int k = 0; k < 32; k++)
			printf("%02x", m->att[i].sha256[k]);
		printf(" %s ", m->att[i].type);
		put_esc(m->att[i].name, strlen(m->att[i].name));
		putchar('\n');
	}
	printf("digest %s ", name);
	for (int k = 0; k < 32; k++)
		printf("%02x", m->digest[k]);
	printf("\nsubject %s ", name);
	put_esc(m->subject, strlen(m->subject));
	putchar('\n');
}

int main(int argc, char **argv)
{
	struct mail_opts o;
	struct mail_net nets[16];
	int mbox = 0, c;
	mail_opts_default(&o);
	o.trusted = nets;
	while ((c = getopt(argc, argv, "mt:")) != -1) {
		if (c == 'm') {
			mbox = 1;
		} else if (c == 't' && o.n_trusted < 16 && mail_net_parse(optarg, &nets[o.n_trusted]) == 0) {
			o.n_trusted++;
		} else {
			fprintf(stderr, "usage: mailcat [-m] [-t CIDR]... FILE...\n");
			return 2;
		}
	}
	struct mail_msg *m = malloc(sizeof *m);
	if (!m)
		return 1;
	for (int i = optind; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0) {
			perror(argv[i]);
			return 1;
		}
		const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
		void *p = st.st_size ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
		if (st.st_size && p == MAP_FAILED) {
			perror(argv[i]);
			return 1;
		}
		if (mbox) {
			size_t off = 0, ml;
			const uint8_t *msg;
			unsigned k = 0;
			char nm[4096];
			while (mail_mbox_next(p, (size_t)st.st_size, &off, &msg, &ml) == 1) {
				snprintf(nm, sizeof nm, "%s#%u", base, ++k);
				one(nm, msg, ml, &o, m);
			}
		} else {
			one(base, p, (size_t)st.st_size, &o, m);
		}
		if (p)
			munmap(p, (size_t)st.st_size);
		close(fd);
	}
	free(m);
	return 0;
}
