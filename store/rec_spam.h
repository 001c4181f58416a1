/*
 * rec_spam: the REC_SPAM payload (struct rec_spam in rec.h) and the glue
 * from a parsed message (mail.h) to a record.
 *
 * Payload after "u8 flags | svarint ts delta":
 *   u8 op | 32 bytes digest | u8 len, source |
 *   EXTRACT: varint bytes | varint bad | u8 mail flags | varint parts |
 *            u8 family (0, 4, 6), address | u8 len, subject |
 *            4 x (u8 len, domain): From, Reply-To, Return-Path, Message-ID |
 *            varint n, n x (u8 len, host, u8 domain length) |
 *            varint n, n x (varint len, URL) | varint URLs seen |
 *            varint n, n x (u8 len, name, u8 len, type, varint size, 32 bytes SHA-256) |
 *            u8 len, name (a maildir message's unique name, an archive's day, or empty)
 * Lists are kept as the bytes they are on disk and walked with the _next
 * iterators, as DNS names are: a decoded record points into its frame.
 */
#ifndef TIP_REC_SPAM_H
#define TIP_REC_SPAM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mail.h"
#include "rec.h"

/* Codec halves, called by rec_encode / rec_decode: 0, or -1 (invalid / does not parse). */
int rec_spam_put(struct buf_wr *b, const struct rec_spam *s);
int rec_spam_get(struct buf_rd *b, struct rec_spam *s);

/* Iterators over the lists of a checked record: 1 with the next item, 0 at the end. */
int rec_spam_host_next(const struct rec_spam *s, size_t *off, const char **host, size_t *len,
		       size_t *dom_len);
int rec_spam_url_next(const struct rec_spam *s, size_t *off, const char **url, size_t *len);

struct rec_spam_att {
	const char *name, *type;
	size_t name_len, type_len;
	uint64_t size;
	const uint8_t *sha256;
};
int rec_spam_att_next(const struct rec_spam *s, size_t *off, struct rec_spam_att *a);

/* Bytes of scratch rec_spam_from_mail needs at most. */
#define REC_SPAM_SCRATCH (MAIL_POOL + MAIL_HOSTS_MAX * 2 + MAIL_URLS_MAX * 3 + MAIL_ATT_MAX * (2 + 255 + 127 + 10 + 32) + 64)

/*
 * Fill r (type, op EXTRACT, fields; not the time) from a parsed message;
 * the lists are laid out in scratch[REC_SPAM_SCRATCH], which must outlive
 * r.  source is kept by pointer.
 */
void rec_spam_from_mail(struct rec *r, const struct mail_msg *m, const char *source,
			uint8_t *scratch);

#endif
