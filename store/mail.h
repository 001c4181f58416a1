/*
 * mail: the one mail parser of TIP, shared by tipd's spamtrap and tip's
 * offline import.  It mines one message (RFC 5322 headers, MIME to a
 * bounded depth, base64, quoted-printable, text and HTML parts) for what a
 * threat-intelligence sensor wants: URLs and their hosts and registered
 * domains, the domains of From / Reply-To / Return-Path / Message-ID, the
 * sender IP (the first hop a trusted relay recorded), the Subject,
 * attachments (name, type, size, SHA-256) and a message digest.
 *
 * Invariants: every byte of the message is read through the bounds-checked
 * cursor of buf.h; memory is bounded per message (struct mail_msg has a
 * fixed size; a parse allocates at most limits.max_text bytes for one
 * decoded text part at a time and nothing else); recursion is bounded by
 * limits.max_depth.  Bytes past limits.max_msg are not parsed (the message
 * is flagged MAIL_F_TRUNCATED).  Malformed mail never crashes the parser:
 * anomalies set bits in mail_msg.bad, and the fatal ones (MAIL_BAD_FATAL)
 * make mail_parse return -1 so the caller counts and skips the message.
 */
#ifndef TIP_MAIL_H
#define TIP_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "rec.h"

#define MAIL_URLS_MAX 128	/* distinct URLs kept per message */
#define MAIL_HOSTS_MAX 64	/* distinct URL hosts kept per message */
#define MAIL_ATT_MAX 16		/* attachments kept per message */
#define MAIL_URL_MAX 1024	/* longest URL kept (longer ones are cut) */
#define MAIL_SUBJECT_MAX 200	/* bytes of the decoded Subject kept */
#define MAIL_POOL 49152		/* bytes of URL text per message */

/* Anomalies (mail_msg.bad). */
#define MAIL_BAD_HEADER_LINE 0x0001	/* a header line over max_line (fatal) */
#define MAIL_BAD_DEPTH 0x0002		/* MIME nesting over max_depth (fatal) */
#define MAIL_BAD_PARTS 0x0004		/* more parts than max_parts (fatal) */
#define MAIL_BAD_NUL 0x0008		/* NUL bytes in a header block (fatal) */
#define MAIL_BAD_NOT_MAIL 0x0010	/* no header at all (fatal) */
#define MAIL_BAD_BOUNDARY 0x0100	/* multipart without its boundary, or unclosed */
#define MAIL_BAD_BASE64 0x0200		/* broken base64: the part is skipped */
#define MAIL_BAD_QP 0x0400		/* broken quoted-printable escapes (decoded as is) */
#define MAIL_BAD_BODY_NUL 0x0800	/* NUL bytes in a text part */
#define MAIL_BAD_FATAL 0x00ff

/* Flags (mail_msg.flags). */
#define MAIL_F_TRUNCATED 0x01	/* the message was over max_msg: parsed to the cap */
#define MAIL_F_TEXT_CUT 0x02	/* a text part was over max_text: scanned to the cap */
#define MAIL_F_URLS_CUT 0x04	/* more URLs, hosts or attachments than kept */
#define MAIL_F_BAD_DATE 0x08	/* a Date header that does not parse (date_us stays 0) */

struct mail_limits {
	size_t max_msg;		/* bytes of a message parsed (default 32 MiB) */
	size_t max_text;	/* decoded bytes of one text part scanned (1 MiB) */
	size_t max_line;	/* longest header line, folded lines joined (64 KiB) */
	unsigned max_depth;	/* MIME nesting (8) */
	unsigned max_parts;	/* MIME parts (512) */
};

/* A trusted relay: an address prefix. */
struct mail_net {
	struct rec_ip net;
	uint8_t plen;
};

struct mail_opts {
	struct mail_limits lim;
	const struct mail_net *trusted;	/* trusted-relays */
	size_t n_trusted;
	int trust_private;	/* loopback and private ranges count as trusted (default 1) */
};

/* A string kept in mail_msg.pool. */
struct mail_str {
	uint32_t off;
	uint16_t len;
};

struct mail_att {
	char name[256];		/* decoded file name (encoded words, RFC 2231), may be empty */
	char type[128];		/* content type, lower case */
	uint64_t size;		/* decoded bytes */
	uint8_t sha256[32];
};

struct mail_msg {
	uint8_t digest[32];	/* SHA-256 of Message-ID, Subject, From and the body */
	uint32_t bad;		/* MAIL_BAD_* */
	uint32_t flags;		/* MAIL_F_* */
	uint64_t bytes;		/* size of the message as given */
	uint32_t parts;		/* MIME leaves seen */
	uint32_t received;	/* Received headers seen */
	struct rec_ip sender;	/* family 0 when none was found */
	int64_t date_us;	/* the Date header, UTC; 0 when none or bad */
	int64_t envelope_us;	/* the date of an mbox "From " line; 0 when none or bad */
	char subject[MAIL_SUBJECT_MAX + 1];
	char from_dom[REC_NAME_MAX + 1];	/* lower case, "" when none */
	char reply_dom[REC_NAME_MAX + 1];
	char rpath_dom[REC_NAME_MAX + 1];
	char msgid_dom[REC_NAME_MAX + 1];
	uint32_t n_urls, urls_seen;	/* kept / distinct found */
	struct mail_str urls[MAIL_URLS_MAX];
	uint32_t n_hosts;
	struct mail_str hosts[MAIL_HOSTS_MAX];	/* lower case, distinct */
	struct mail_str domains[MAIL_HOSTS_MAX];	/* registered domain of hosts[i], len 0 for an address */
	uint32_t n_att, att_seen;
	struct mail_att att[MAIL_ATT_MAX];
	uint32_t pool_len;
	char pool[MAIL_POOL];
};

/* Defaults of every limit and option. */
void mail_opts_default(struct mail_opts *o);

/*
 * Parse the message at p[0..len) (an mbox "From " first line is skipped)
 * into *m, which the caller owns.  0 on success (m->bad may still hold
 * non-fatal anomalies), -1 when the message is malformed beyond use
 * (m->bad & MAIL_BAD_FATAL says why) or out of memory (m->bad == 0, errno
 * ENOMEM).
 */
int mail_parse(const void *p, size_t len, const struct mail_opts *o, struct mail_msg *m);

/* The text of a kept string (not NUL-terminated). */
static inline const char *mail_str_ptr(const struct mail_msg *m, struct mail_str s)
{
	return m->pool + s.off;
}

/* A short name of the first anomaly in bad ("header line too long"). */
const char *mail_bad_name(uint32_t bad);

/*
 * The registered domain of host[0..len) by the built-in public-suffix
 * rules (doc/decisions.md): its offset in host, and *dlen; -1 when host is
 * an address or a bare suffix.
 */
long mail_reg_domain(const char *host, size_t len, size_t *dlen);

/*
 * A mail date: RFC 5322 ("Thu, 1 Jan 2026 10:00:00 +0100", with the
 * obsolete forms: no weekday or seconds, two-digit years, zone names
 * such as GMT or EST, comments) or an mbox From line's asctime form
 * ("Thu Jan  1 10:00:00 2026").  0 with *us (UTC microseconds), or -1
 * when it does not read as a date between 1970 and 9999.
 */
int mail_date_parse(const char *s, size_t n, int64_t *us);

/* Parse "A.B.C.D[/N]" or "X::Y[/N]" into *n: 0, or -1. */
int mail_net_parse(const char *text, struct mail_net *n);
int mail_net_match(const struct mail_net *n, const struct rec_ip *ip);

/*
 * mbox: split a file of messages at "From " lines that follow an empty
 * line (or start the file); that empty line, and one ending the file, is
 * the separator's, not the message's.  Call with *off = 0; 1 with the next message
 * in msg and mlen (its "From " line included), 0 at the end.
 */
int mail_mbox_next(const void *p, size_t len, size_t *off, const uint8_t **msg, size_t *mlen);

#endif
