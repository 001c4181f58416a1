/*
 * asn_db: the offline IPv4 -> origin ASN, AS name and country table.
 *
 * `tip asn import` (tools/asn.c) builds the file from ip2asn-style CSVs;
 * tipd maps it read-only and answers lookups in O(log n) with no
 * allocation and no system call; `tip query` and `tip graph` look
 * addresses up in the same table through the same code.  This header is
 * the contract of the file format for both sides.
 *
 * File layout, every integer little-endian, every section 4-aligned:
 *   header (ASN_DB_HDR_SIZE bytes)
 *     0  magic "TIPASN1\n"          32 off_ranges
 *     8  u32 version (1)            36 off_cc
 *    12  u32 header size (64)       40 off_names
 *    16  u32 n_ranges               44 off_strings
 *    20  u32 n_cc                   48 u32 file size
 *    24  u32 n_names                52 u32 crc32c of bytes [64, file size)
 *    28  u32 strings_len            56 u32 reserved (0)
 *                                   60 u32 crc32c of bytes [0, 60)
 *   ranges: u32 start[n_ranges], u32 end[n_ranges], u32 asn[n_ranges]
 *           sorted by start, disjoint, inclusive
 *   cc:     u32 start[n_cc], u32 end[n_cc], u16 code[n_cc] (two ASCII
 *           letters, first letter in the low byte), padded to 4
 *   names:  u32 asn[n_names] sorted unique, u32 offset[n_names] into strings
 *   strings: NUL-terminated AS names; strings[0] is "" (no name)
 * asn_db_open checks all of it (sizes, offsets, both CRCs, order, every
 * name offset and the final NUL) once, so lookups need no bounds checks
 * of their own and a damaged or hostile file is refused, never trusted.
 */
#ifndef TIP_ASN_DB_H
#define TIP_ASN_DB_H

#include <stddef.h>
#include <stdint.h>

#define ASN_DB_MAGIC "TIPASN1\n"
#define ASN_DB_VERSION 1
#define ASN_DB_HDR_SIZE 64
#define ASN_DB_MAX_BYTES (1u << 30)	/* refuse anything larger */

/* Header field offsets. */
enum {
	ASN_H_VERSION = 8, ASN_H_HDR_SIZE = 12, ASN_H_N_RANGES = 16, ASN_H_N_CC = 20,
	ASN_H_N_NAMES = 24, ASN_H_STRINGS_LEN = 28, ASN_H_OFF_RANGES = 32, ASN_H_OFF_CC = 36,
	ASN_H_OFF_NAMES = 40, ASN_H_OFF_STRINGS = 44, ASN_H_FILE_SIZE = 48, ASN_H_CRC_DATA = 52,
	ASN_H_RESERVED = 56, ASN_H_CRC_HDR = 60,
};

/* An open table; caller-allocated, filled by asn_db_open or asn_db_init_mem. */
struct asn_db {
	const uint8_t *base;	/* the file's bytes */
	size_t size;
	int mapped;		/* 1: base is an mmap that asn_db_close unmaps */
	uint32_t n_ranges, n_cc, n_names, strings_len;
	const uint8_t *r_start, *r_end, *r_asn;
	const uint8_t *c_start, *c_end, *c_code;
	const uint8_t *n_asn, *n_off;
	const char *strings;
};

struct asn_info {
	uint32_t asn;		/* 0 when no range holds the address */
	const char *as_name;	/* points into the table, "" when unknown; valid until close */
	uint32_t range_start;	/* the ASN range, host byte order (0/0 when none) */
	uint32_t range_end;
	char cc[3];		/* "US"; "" when no country range holds the address */
};

/*
 * Map path read-only and check it.  0, or -1 with errno (EINVAL: not a
 * valid table, with a static reason in *why when why is not NULL).
 */
int asn_db_open(struct asn_db *db, const char *path, const char **why);
/* The same over bytes the caller keeps alive (tests, fuzzing). */
int asn_db_init_mem(struct asn_db *db, const void *p, size_t len, const char **why);
void asn_db_close(struct asn_db *db);

/*
 * Look up an IPv4 address (host byte order): 1 when a range of either
 * kind holds it (fields of the other kind may be empty), 0 when none.
 */
int asn_db_lookup(const struct asn_db *db, uint32_t ipv4, struct asn_info *out);

/* The name of an AS number: the string ("" when the table has none). */
const char *asn_db_name(const struct asn_db *db, uint32_t asn);

#endif
