/*
 * page: the pages of `tip serve` (page.c), the contract between them and
 * the server (serve.c).  The server parses a request into a page_job,
 * asks page_on_worker where to run it, runs page_run there (the loop
 * thread or a worker) and writes the answer the job then holds.  A page
 * sees the job and the context: the stores and the ASN table, read-only,
 * and the flux cache under cache_mu.  Any number of threads may run
 * page_run at once on different jobs of one context.
 */
#ifndef TIP_PAGE_H
#define TIP_PAGE_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "agg.h"
#include "asn_db.h"
#include "http.h"
#include "store.h"

#define PAGE_BODY_MAX (64u << 20)	/* one response, headers and body */

/* What the flux cache knows of one store's listing (page.c's). */
struct page_sigcache {
	int valid;
	struct timespec mt;	/* of <store>/log */
	char active[PATH_MAX];	/* the newest segment */
	uint64_t active_size;
	uint64_t sig;
};

/* One cached flux scan (page.c's). */
struct page_fcache {
	int valid;
	int64_t since, until;
	uint64_t sig;
	struct agg_flux fl;
};

/* What every page reads: filled by the server before the first request. */
struct page_ctx {
	struct store_set set;
	struct asn_db db;
	int have_db;
	struct page_fcache cache[2];	/* [0]: no time window, [1]: the last window asked */
	struct page_sigcache *sigs;	/* one per store */
	pthread_mutex_t cache_mu;	/* held while a page uses the cache */
};

/* One request and its answer. */
struct page_job {
	struct page_ctx *s;
	struct http_req req;	/* parsed by the server */
	int head_only;		/* the server sends no body (HEAD) */
	int status;
	int close_after;	/* the answer asks the server to close the connection */
	char ctype[64];		/* "" none */
	char extra[640];	/* whole header lines */
	struct hbuf body;
	struct agg_faults faults;
};

/* Zero x and set up its lock; then the server fills set, db and have_db. */
void page_ctx_init(struct page_ctx *x);
/* Once the stores are given: the per-store cache.  0, or -1 out of memory. */
int page_ctx_open(struct page_ctx *x);
/* Free the caches, the ASN table, the store set. */
void page_ctx_fini(struct page_ctx *x);

void page_job_init(struct page_job *j, struct page_ctx *x);
void page_job_fini(struct page_job *j);

/* 1 when r's page reads the stores (run it on a worker), 0 when it is answered at once. */
int page_on_worker(const struct http_req *r);
/* Answer j->req into j (status, type, header lines, body).  Always 0. */
int page_run(struct page_job *j);
/* An error page into j; msg is trusted text, detail untrusted (escaped).  0. */
int page_error(struct page_job *j, int status, const char *msg, const char *detail);

#endif
