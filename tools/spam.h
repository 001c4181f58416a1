/*
 * spam: what a store set knows of a name, an address or an attachment
 * from spam extracts (REC_SPAM): the messages that carry it, each with how
 * often it was seen (its extract and repeats, found by digest), first and
 * last seen, and a few subjects.  Shared by `tip query spam` and the domain
 * and IP pages of `tip serve`.
 *
 * The result owns its memory (spam_result_free).  Subjects and names are
 * bytes from mail: every output escapes them.
 */
#ifndef TIP_SPAM_H
#define TIP_SPAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agg.h"
#include "store.h"

#define SPAM_SAMPLES 5		/* subjects kept for a summary */

struct spam_message {
	uint8_t digest[32];
	uint64_t count;		/* records of the digest: the extract and its repeats */
	int64_t first_us, last_us;
	struct rec_ip sender;
	char subject[256];	/* bytes, subject_len of them */
	size_t subject_len;
	char from[REC_NAME_MAX + 1];
	char sensor[STORE_ID_MAX];
};

struct spam_result {
	struct spam_message *msgs;	/* by first seen */
	size_t n, cap;
	uint64_t count;		/* sum of counts */
	int64_t first_us, last_us;
};

/*
 * Look key up (index.h: 'm' + name, 'a' + address, 'h' + hash) in every
 * store of set, keep the extracts whose time is in [since, until], and
 * count each message's records by its digest.  0, or -1 out of memory.
 */
int spam_lookup(const struct store_set *set, const uint8_t *key, size_t klen, int64_t since_us,
		int64_t until_us, struct spam_result *res, struct agg_faults *faults);
void spam_result_free(struct spam_result *res);

/* A key from what a user typed: kind 'm' name, 'a' address, 'h' 64 hex digits.  Its length or 0. */
size_t spam_key_parse(uint8_t *out, uint8_t kind, const char *text);

/*
 * Every spam record of set (extracts and repeats) with its time in
 * [since, until], one row each, to out: CSV (RFC 4180, with a header;
 * hosts, domains, URLs and attachment hashes space-separated) or
 * ClickHouse JSONEachRow for tip.spam in doc/clickhouse.sql (lists as
 * arrays; hosts and domains parallel, "" for an address).  Rows written.
 */
uint64_t spam_export(const struct store_set *set, FILE *out, int clickhouse, int64_t since,
		     int64_t until, struct agg_faults *faults);

#endif
