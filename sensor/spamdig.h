/*
 * spamdig: the spamtrap's memory of message digests, so a message seen
 * again (delivered twice, to two traps, in the maildir and an archive) is
 * a repeat: counted, not stored twice.  The last `cap` distinct digests
 * are kept, oldest forgotten first, in a ring with a hash index (lookups
 * O(1)); each new one is appended to a file in state/, so the memory
 * survives restarts.  The file is rewritten (temporary, fsync, rename)
 * with the ring's digests once it holds twice the bound.
 *
 * Bounds: memory cap * 40 bytes (the ring and an index of twice cap
 * slots); the file at most 2 * cap * 32 bytes.  A crash can lose the
 * digests appended since the kernel last wrote the file; the cost is a
 * later copy of those messages stored as an extract instead of a repeat.
 * Caller-allocated; loop thread only.
 */
#ifndef TIP_SPAMDIG_H
#define TIP_SPAMDIG_H

#include <stddef.h>
#include <stdint.h>

#define SPAMDIG_DEFAULT 16384
#define SPAMDIG_MIN 256
#define SPAMDIG_MAX (1u << 20)

struct spamdig {
	uint8_t (*ring)[32];
	uint32_t *idx;		/* ring position + 1; 0 empty */
	size_t cap, n, head;	/* head: the oldest, replaced next when full */
	size_t mask;
	int fd;			/* the file, -1 when not persisted */
	size_t in_file;		/* digests in the file */
	char path[4200];
};

/*
 * A set of at most cap digests, loaded from path (the last cap of it) when
 * path is not NULL; the file is created when missing.  0, or -1 with
 * errno (ENOMEM; a file that cannot be opened only logs and leaves the
 * set in memory).
 */
int spamdig_init(struct spamdig *d, size_t cap, const char *path);
void spamdig_fini(struct spamdig *d);

/* 1 when digest was seen (a repeat); else 0 and it is remembered. */
int spamdig_seen(struct spamdig *d, const uint8_t digest[32]);

#endif
