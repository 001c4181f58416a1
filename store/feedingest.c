/*
 * feedingest: parse, keep, diff and record one fetch of a source
 * (feedingest.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedingest.h"

static int on_entry(void *arg, const struct feed_entry *e)
{
	struct feed_ingest *g = arg;
	if (g->max_entries && g->build.n >= g->max_entries) {
		snprintf(g->error, sizeof g->error, "more than %llu entries",
			 (unsigned long long)g->max_entries);
		return -1;
	}
	if (feedset_build_add(&g->build, e->kind, e->value, e->len, e->host,
			      e->host ? e->host_len : 0) < 0) {
		snprintf(g->error, sizeof g->error, "state: %s", strerror(errno));
		return -1;
	}
	return 0;
}

struct feed_ingest *feed_ingest_new(const char *dir, const char *source,
				    const struct feed_opts *opts, uint64_t max_entries)
{
	if (!feedset_name_ok(source) || strlen(dir) >= sizeof ((struct feed_ingest *)0)->dir) {
		errno = EINVAL;
		return NULL;
	}
	struct feed_ingest *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	strcpy(g->source, source);
	strcpy(g->dir, dir);
	g->max_entries = max_entries;
	g->build.fd = -1;
	if (feed_parser_init(&g->parser, opts, on_entry, g) < 0)
		goto fail;
	if (feedset_build_open(&g->build, dir, source) < 0)
		goto fail;
	return g;
fail:;
	int e = errno;
	feedset_build_abort(&g->build);
	free(g);
	errno = e;
	return NULL;
}

static int fail(struct feed_ingest *g)
{
	g->failed = 1;
	if (!g->error[0])
		snprintf(g->error, sizeof g->error, "%s",
			 g->parser.error ? g->parser.error : "parse stopped");
	return -1;
}

int feed_ingest_data(struct feed_ingest *g, const void *p, size_t n)
{
	if (g->failed || g->state != 0)
		return -1;
	return feed_parser_feed(&g->parser, p, n) < 0 ? fail(g) : 0;
}

int feed_ingest_end(struct feed_ingest *g)
{
	if (g->failed || g->state != 0)
		return -1;
	if (feed_parser_finish(&g->parser) < 0)
		return fail(g);
	if (feedset_build_seal(&g->build) < 0) {
		snprintf(g->error, sizeof g->error, "state: %s", strerror(errno));
		return fail(g);
	}
	int r = feedset_open(&g->old, g->dir, g->source);
	if (r < 0) {
		/* a damaged last list: start over (everything is listed again) */
		memset(&g->old, 0, sizeof g->old);
	}
	feedset_diff_init(&g->diff, r == 1 ? &g->old : NULL, &g->build);
	g->state = 1;
	return 0;
}

int feed_ingest_next(struct feed_ingest *g, struct rec *r)
{
	struct feedset_change c;
	if (g->failed || g->state != 1)
		return g->state == 2 ? 0 : -1;
	int n = feedset_diff_next(&g->diff, &c);
	if (n < 0) {
		snprintf(g->error, sizeof g->error, "state: diff: %s", strerror(errno));
		return fail(g);
	}
	if (n == 0) {
		g->state = 2;
		return 0;
	}
	memset(r, 0, sizeof *r);
	r->type = REC_FEED;
	r->u.feed.op = c.listed ? REC_FEED_LISTED : REC_FEED_DELISTED;
	r->u.feed.source = g->source;
	r->u.feed.source_len = strlen(g->source);
	r->u.feed.kind = c.kind;
	r->u.feed.value = c.value;
	r->u.feed.value_len = c.len;
	r->u.feed.host = c.host;
	r->u.feed.host_len = c.host_len;
	if (c.listed)
		g->added++;
	else
		g->removed++;
	return 1;
}

void feed_ingest_fetch(struct feed_ingest *g, struct rec *r, int outcome, int status,
		       uint64_t duration_us, const char *etag, const char *last_modified,
		       const char *error)
{
	memset(r, 0, sizeof *r);
	r->type = REC_FEED;
	struct rec_feed *f = &r->u.feed;
	f->op = REC_FEED_FETCH;
	f->source = g->source;
	f->source_len = strlen(g->source);
	f->outcome = (uint8_t)outcome;
	f->status = (uint16_t)(status < 0 || status > 0xffff ? 0 : status);
	f->duration_us = duration_us;
	f->bytes = g->parser.bytes;
	f->bad = g->parser.bad;
	if (outcome == REC_FETCH_OK) {
		f->entries = g->build.n;
		f->added = g->added;
		f->removed = g->removed;
	}
	snprintf(g->fetch_text[0], REC_VALIDATOR_MAX + 1, "%s", etag ? etag : "");
	snprintf(g->fetch_text[1], REC_VALIDATOR_MAX + 1, "%s", last_modified ? last_modified : "");
	snprintf(g->fetch_text[2], sizeof g->fetch_text[2], "%s", error ? error : "");
	f->etag = g->fetch_text[0];
	f->etag_len = strlen(g->fetch_text[0]);
	f->last_modified = g->fetch_text[1];
	f->last_modified_len = strlen(g->fetch_text[1]);
	f->error = g->fetch_text[2];
	f->error_len = strlen(g->fetch_text[2]);
}

int feed_ingest_commit(struct feed_ingest *g)
{
	if (g->failed || g->state != 2) {
		errno = EINVAL;
		return -1;
	}
	feedset_close(&g->old);
	if (feedset_build_commit(&g->build) < 0)
		return -1;
	g->state = 3;
	return 0;
}

uint64_t feed_ingest_entries(const struct feed_ingest *g)
{
	return g->build.n;
}

void feed_ingest_free(struct feed_ingest *g)
{
	if (!g)
		return;
	feedset_close(&g->old);
	if (g->state != 3)
		feedset_build_abort(&g->build);
	free(g);
}
