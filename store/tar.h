/*
 * tar: a small streaming reader of ustar archives (POSIX ustar, GNU tar's
 * "ustar  " magic, its 'L' long names and base-256 sizes; pax headers are
 * skipped), for the spamtrap's daily maildir archives.  Bytes are pushed
 * in pieces of any size as they arrive; the reader hands back events:
 * an entry's head, slices of its data (pointers into the caller's bytes,
 * no copy), its end, the archive's end.
 *
 * Invariants: memory is the struct tar_rd (one 512-byte header block and
 * a 256-byte long name), whatever the archive; every header is checked
 * (checksum, magic, octal fields) before use and a bad one is an error
 * with its byte offset; names are NUL-free, at most TAR_NAME_MAX bytes.
 * The caller owns the struct and the bytes it feeds.
 */
#ifndef TIP_TAR_H
#define TIP_TAR_H

#include <stddef.h>
#include <stdint.h>

#define TAR_NAME_MAX 255
#define TAR_SIZE_MAX (1ull << 40)	/* larger entries are refused as corrupt */

enum tar_ev {
	TAR_NEED = 0,		/* every byte given is consumed: feed more */
	TAR_ENTRY,		/* an entry's head: name, size, type */
	TAR_DATA,		/* data of the current entry: data, len */
	TAR_ENTRY_END,		/* the current entry's data is complete */
	TAR_END,		/* the end-of-archive blocks: nothing after them matters */
	TAR_ERR = -1,		/* corrupt: err says what, at which offset; sticky */
};

/* Entry types (tar_rd.type). */
#define TAR_T_FILE '0'
#define TAR_T_DIR '5'
#define TAR_T_OTHER '?'		/* links, devices, fifos... (their data, if any, is skipped) */

struct tar_rd {
	/* the current entry, valid from TAR_ENTRY to TAR_ENTRY_END */
	char name[TAR_NAME_MAX + 1];
	uint64_t size;
	int type;		/* TAR_T_* */
	const uint8_t *data;	/* TAR_DATA: a slice of the bytes fed */
	size_t len;
	char err[96];
	uint64_t off;		/* bytes consumed from the start of the archive */
	uint64_t entries;	/* entries reported */

	/* private */
	int st, zeros;
	uint8_t hdr[512];
	size_t hfill;
	uint64_t left, pad;	/* data bytes of the entry left; padding after it */
	int longname;		/* reading a GNU 'L' name's data */
	size_t ln_len;
	char ln[TAR_NAME_MAX + 1];
	int have_ln;
};

void tar_init(struct tar_rd *t);

/*
 * Consume from *p (*n bytes), advancing both, until an event: returns it.
 * TAR_NEED when all was consumed; call again (with *n == 0 too) after
 * every other event until TAR_NEED.
 */
int tar_step(struct tar_rd *t, const uint8_t **p, size_t *n);

/*
 * At the end of the input: 0 when the archive ended properly (its end
 * blocks, or at least one zero block, were read), -1 with err set when it
 * is truncated or corrupt.
 */
int tar_finish(struct tar_rd *t);

#endif
