/*
 * asn_db: read side of the offline ASN/country table (format in asn_db.h).
 * Invariant: once asn_db_init_mem has accepted the bytes, every array
 * lies inside them, starts are strictly increasing with start <= end and
 * no overlap, name ASNs are strictly increasing, every name offset points
 * inside strings and strings ends with NUL; lookups rely on exactly this
 * and nothing else.  Loads go through buf_le32, so the file reads the
 * same on big-endian hosts.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "asn_db.h"
#include "buf.h"
#include "crc32c.h"

static int bad(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	errno = EINVAL;
	return -1;
}

static uint32_t at(const uint8_t *arr, uint32_t i)
{
	return buf_le32(arr + (size_t)i * 4);
}

/* [off, off+len) inside [hdr, size) and 4-aligned. */
static int section_ok(uint64_t off, uint64_t len, uint64_t size)
{
	return off >= ASN_DB_HDR_SIZE && off % 4 == 0 && off <= size && len <= size - off;
}

static int sorted_disjoint(const uint8_t *start, const uint8_t *end, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (at(start, i) > at(end, i))
			return 0;
		if (i > 0 && at(start, i) <= at(end, i - 1))
			return 0;
	}
	return 1;
}

int asn_db_init_mem(struct asn_db *db, const void *p, size_t len, const char **why)
{
	const uint8_t *b = p;
	memset(db, 0, sizeof *db);
	if (len < ASN_DB_HDR_SIZE || len > ASN_DB_MAX_BYTES)
		return bad(why, "size out of bounds");
	if (memcmp(b, ASN_DB_MAGIC, 8) != 0)
		return bad(why, "not an ASN table (magic)");
	if (crc32c(0, b, ASN_H_CRC_HDR) != buf_le32(b + ASN_H_CRC_HDR))
		return bad(why, "header CRC mismatch");
	if (buf_le32(b + ASN_H_VERSION) != ASN_DB_VERSION)
		return bad(why, "unsupported version");
	if (buf_le32(b + ASN_H_HDR_SIZE) != ASN_DB_HDR_SIZE || buf_le32(b + ASN_H_FILE_SIZE) != len)
		return bad(why, "header size or file size mismatch");

	uint64_t nr = buf_le32(b + ASN_H_N_RANGES), nc = buf_le32(b + ASN_H_N_CC);
	uint64_t nn = buf_le32(b + ASN_H_N_NAMES), sl = buf_le32(b + ASN_H_STRINGS_LEN);
	uint64_t o_r = buf_le32(b + ASN_H_OFF_RANGES), o_c = buf_le32(b + ASN_H_OFF_CC);
	uint64_t o_n = buf_le32(b + ASN_H_OFF_NAMES), o_s = buf_le32(b + ASN_H_OFF_STRINGS);
	if (!section_ok(o_r, nr * 12, len) || !section_ok(o_c, nc * 10, len) ||
	    !section_ok(o_n, nn * 8, len) || !section_ok(o_s, sl, len) || sl == 0)
		return bad(why, "section outside the file");
	if (crc32c(0, b + ASN_DB_HDR_SIZE, len - ASN_DB_HDR_SIZE) != buf_le32(b + ASN_H_CRC_DATA))
		return bad(why, "data CRC mismatch");

	db->base = b;
	db->size = len;
	db->n_ranges = (uint32_t)nr;
	db->n_cc = (uint32_t)nc;
	db->n_names = (uint32_t)nn;
	db->strings_len = (uint32_t)sl;
	db->r_start = b + o_r;
	db->r_end = db->r_start + nr * 4;
	db->r_asn = db->r_end + nr * 4;
	db->c_start = b + o_c;
	db->c_end = db->c_start + nc * 4;
	db->c_code = db->c_end + nc * 4;
	db->n_asn = b + o_n;
	db->n_off = db->n_asn + nn * 4;
	db->strings = (const char *)(b + o_s);

	if (!sorted_disjoint(db->r_start, db->r_end, db->n_ranges) ||
	    !sorted_disjoint(db->c_start, db->c_end, db->n_cc))
		goto out_order;
	for (uint32_t i = 0; i < db->n_cc * 2; i++)
		if (db->c_code[i] < 'A' || db->c_code[i] > 'Z')
			goto out_cc;
	for (uint32_t i = 0; i < db->n_names; i++) {
		if (i > 0 && at(db->n_asn, i) <= at(db->n_asn, i - 1))
			goto out_order;
		if (at(db->n_off, i) >= sl)
			goto out_names;
	}
	if (db->strings[sl - 1] != '\0')
		goto out_names;
	return 0;

out_order:
	memset(db, 0, sizeof *db);
	return bad(why, "ranges or names out of order");
out_names:
	memset(db, 0, sizeof *db);
	return bad(why, "name offsets or string table damaged");
out_cc:
	memset(db, 0, sizeof *db);
	return bad(why, "country code not two letters");
}

int asn_db_open(struct asn_db *db, const char *path, const char **why)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	memset(db, 0, sizeof *db);
	if (fd < 0) {
		if (why)
			*why = "cannot open";
		return -1;
	}
	if (fstat(fd, &st) < 0)
		goto out_close;
	if (st.st_size < ASN_DB_HDR_SIZE || (uint64_t)st.st_size > ASN_DB_MAX_BYTES) {
		close(fd);
		return bad(why, "size out of bounds");
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		goto out_close;
	close(fd);
	if (asn_db_init_mem(db, m, (size_t)st.st_size, why) < 0) {
		int e = errno;
		munmap(m, (size_t)st.st_size);
		errno = e;
		return -1;
	}
	db->mapped = 1;
	return 0;

out_close:;
	int e = errno;
	close(fd);
	errno = e;
	if (why)
		*why = "cannot map";
	return -1;
}

void asn_db_close(struct asn_db *db)
{
	if (db->mapped && db->base)
		munmap((void *)db->base, db->size);
	memset(db, 0, sizeof *db);
}

/* Index of the last start <= x, or -1. */
static long last_le(const uint8_t *start, uint32_t n, uint32_t x)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (at(start, mid) <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

const char *asn_db_name(const struct asn_db *db, uint32_t asn)
{
	uint32_t lo = 0, hi = db->n_names;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t v = at(db->n_asn, mid);
		if (v == asn)
			return db->strings + at(db->n_off, mid);
		if (v < asn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return db->strings ? db->strings + db->strings_len - 1 : "";
}

int asn_db_lookup(const struct asn_db *db, uint32_t ipv4, struct asn_info *out)
{
	int found = 0;
	long i;

	memset(out, 0, sizeof *out);
	out->as_name = "";
	i = last_le(db->r_start, db->n_ranges, ipv4);
	if (i >= 0 && ipv4 <= at(db->r_end, (uint32_t)i)) {
		out->asn = at(db->r_asn, (uint32_t)i);
		out->range_start = at(db->r_start, (uint32_t)i);
		out->range_end = at(db->r_end, (uint32_t)i);
		out->as_name = asn_db_name(db, out->asn);
		found = 1;
	}
	i = last_le(db->c_start, db->n_cc, ipv4);
	if (i >= 0 && ipv4 <= at(db->c_end, (uint32_t)i)) {
		const uint8_t *c = db->c_code + (size_t)i * 2;
		out->cc[0] = (char)c[0];
		out->cc[1] = (char)c[1];
		out->cc[2] = '\0';
		found = 1;
	}
	return found;
}
