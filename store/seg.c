/*
 * seg: segment names and the segment reader (seg.h).  The reader maps a
 * file read-only and decodes frame after frame; a damaged frame is a
 * fault with its offset, never a crash, and resync finds the next frame
 * that checks.  Nothing here writes: the writer is seg_writer.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "crc32c.h"
#include "seg.h"

/* ---- names ------------------------------------------------------------ */

void seg_name_make(char *out, size_t cap, uint32_t seq, int64_t start_us)
{
	time_t t = (time_t)(start_us / 1000000);
	struct tm tm;
	if (start_us < 0 || !gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof tm), tm.tm_year = 70, tm.tm_mday = 1;
	snprintf(out, cap, "%04d%02d%02dT%02d%02d%02dZ-%08u", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, seq);
}

int seg_name_parse(const char *name, uint32_t *seq, int64_t *start_us)
{
	struct tm tm;
	unsigned long s;
	char *end;
	memset(&tm, 0, sizeof tm);
	/* YYYYmmddTHHMMSSZ-NNNNNNNN */
	for (int i = 0; i < 16; i++) {
		char c = name[i];
		int digit = c >= '0' && c <= '9';
		if (i == 8 ? c != 'T' : i == 15 ? c != 'Z' : !digit)
			return 0;
	}
	if (name[16] != '-' || name[17] < '0' || name[17] > '9')
		return 0;
	errno = 0;
	s = strtoul(name + 17, &end, 10);
	if (errno || s > UINT32_MAX || end - (name + 17) < 8)
		return 0;
	if (*end != '\0' && *end != '.')
		return 0;
#define D(o, n) (int)strtol((char[]){name[o], n > 1 ? name[o + 1] : 0, n > 2 ? name[o + 2] : 0, \
				      n > 3 ? name[o + 3] : 0, 0}, NULL, 10)
	tm.tm_year = D(0, 4) - 1900;
	tm.tm_mon = D(4, 2) - 1;
	tm.tm_mday = D(6, 2);
	tm.tm_hour = D(9, 2);
	tm.tm_min = D(11, 2);
	tm.tm_sec = D(13, 2);
#undef D
	*seq = (uint32_t)s;
	*start_us = (int64_t)timegm(&tm) * 1000000;
	return 1;
}

uint32_t seg_name_first(const char *name, uint32_t seq)
{
	const char *p = name + 17;	/* after "YYYYmmddTHHMMSSZ-" */
	while (*p >= '0' && *p <= '9')
		p++;
	if (p[0] != '.' || p[1] != 'c')
		return seq;
	p += 2;
	uint64_t v = 0;
	int n = 0;
	for (; *p >= '0' && *p <= '9' && n < 11; p++, n++)
		v = v * 10 + (uint64_t)(*p - '0');
	return *p || n < 8 || v >= seq ? seq : (uint32_t)v;
}

/* ---- reader ----------------------------------------------------------- */

static int parse_header(const uint8_t *p, size_t size, struct seg_header *h, const char **why)
{
	struct buf_rd b;
	if (size < SEG_HDR_SIZE) {
		*why = seg_fault_name(SEG_FAULT_SHORT_HEADER);
		return -1;
	}
	if (memcmp(p, SEG_MAGIC, 8) != 0) {
		*why = "not a TIP segment (bad magic)";
		return -1;
	}
	if (crc32c(0, p, SEG_HDR_SIZE - 4) != buf_le32(p + SEG_HDR_SIZE - 4)) {
		*why = "bad segment header CRC";
		return -1;
	}
	buf_rd_init(&b, p + 8, SEG_HDR_SIZE - 8);
	h->version = buf_get_le16(&b);
	uint16_t hsize = buf_get_le16(&b);
	h->flags = buf_get_le32(&b);
	h->seq = buf_get_le32(&b);
	h->base_us = (int64_t)buf_get_le64(&b);
	if (h->version != SEG_VERSION || hsize != SEG_HDR_SIZE) {
		*why = "unsupported segment version";
		return -1;
	}
	return 0;
}

static const char *const fault_names[] = {
	[SEG_FAULT_NONE] = "sound",
	[SEG_FAULT_OPEN] = "cannot open",
	[SEG_FAULT_SHORT_HEADER] = "short segment header",
	[SEG_FAULT_HEADER] = "bad segment header",
	[SEG_FAULT_TORN_TAIL] = "torn tail",
	[SEG_FAULT_FRAME] = "damaged records",
	[SEG_FAULT_AFTER_SEAL] = "data after the seal",
	[SEG_FAULT_SEAL_COUNT] = "seal counts a different number of records",
};

const char *seg_fault_name(enum seg_fault f)
{
	return (unsigned)f < sizeof fault_names / sizeof *fault_names ? fault_names[f] : "fault";
}

enum seg_fault seg_fault_of(const char *why)
{
	if (!why)
		return SEG_FAULT_NONE;
	for (size_t i = 1; i < sizeof fault_names / sizeof *fault_names; i++)
		if (why == fault_names[i])
			return (enum seg_fault)i;
	return SEG_FAULT_FRAME;
}

int seg_reader_open(struct seg_reader *r, const char *path)
{
	struct stat sb;
	memset(r, 0, sizeof *r);
	r->fd = -1;
	snprintf(r->path, sizeof r->path, "%s", path);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		r->fault_kind = SEG_FAULT_OPEN;
		r->fault = strerror(errno);
		return -1;
	}
	if (fstat(r->fd, &sb) < 0)
		goto fail_errno;
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		r->fault_kind = SEG_FAULT_OPEN;
		r->fault = "not a regular file";
		goto fail;
	}
	r->size = (size_t)sb.st_size;
	if ((off_t)r->size != sb.st_size) {
		errno = EFBIG;
		r->fault_kind = SEG_FAULT_OPEN;
		r->fault = "segment too large for this host";
		goto fail;
	}
	if (r->size >= SEG_HDR_SIZE) {
		void *m = mmap(NULL, r->size, PROT_READ, MAP_SHARED, r->fd, 0);
		if (m == MAP_FAILED)
			goto fail_errno;
		r->map = m;
	}
	if (parse_header(r->map, r->size, &r->hdr, &r->fault) < 0) {
		errno = EINVAL;
		r->fault_kind = r->fault == seg_fault_name(SEG_FAULT_SHORT_HEADER) ? SEG_FAULT_SHORT_HEADER
										    : SEG_FAULT_HEADER;
		goto fail;
	}
	r->off = SEG_HDR_SIZE;
	return 0;
fail_errno:
	r->fault_kind = SEG_FAULT_OPEN;
	r->fault = strerror(errno);
fail:;
	int e = errno;
	seg_reader_close(r);
	r->fault_off = 0;
	errno = e;
	return -1;
}

void seg_reader_close(struct seg_reader *r)
{
	if (r->map)
		munmap((void *)r->map, r->size);
	if (r->fd >= 0)
		close(r->fd);
	r->map = NULL;
	r->fd = -1;
}

int seg_reader_next(struct seg_reader *r, struct rec *rec, uint64_t *pos)
{
	size_t flen;
	const char *why;
	if (!r->map)
		return 0;
	if (r->off >= r->size)
		return 0;
	if (r->sealed) {
		r->fault_off = r->off;
		r->fault_kind = SEG_FAULT_AFTER_SEAL;
		r->fault = seg_fault_name(SEG_FAULT_AFTER_SEAL);
		return -1;
	}
	int c = rec_frame_check(r->map + r->off, r->size - r->off, &flen, &why);
	if (c == 0) {
		r->fault_off = r->off;
		r->fault_kind = SEG_FAULT_TORN_TAIL;
		r->fault = seg_fault_name(SEG_FAULT_TORN_TAIL);
		return -1;
	}
	if (c < 0 || rec_decode(r->map + r->off, flen, r->hdr.base_us, rec, &why) < 0) {
		r->fault_off = r->off;
		r->fault_kind = SEG_FAULT_FRAME;
		r->fault = why;
		return -1;
	}
	if (pos)
		*pos = r->off;
	r->off += flen;
	if (rec->type == REC_SEAL) {
		r->sealed = 1;
		r->seal_off = r->off - flen;
		r->seal_crc = buf_le32(r->map + r->seal_off);
		if (rec->u.seal.records != r->records) {
			r->fault_off = r->off - flen;
			r->fault_kind = SEG_FAULT_SEAL_COUNT;
			r->fault = seg_fault_name(SEG_FAULT_SEAL_COUNT);
			return -1;
		}
		return seg_reader_next(r, rec, pos);
	}
	r->records++;
	return 1;
}

int seg_reader_check_frames(struct seg_reader *r)
{
	size_t flen;
	const char *why;
	struct rec rec;
	while (r->map && r->off < r->size) {
		if (r->sealed) {
			r->fault_off = r->off;
			r->fault = "data after the seal";
			return -1;
		}
		int c = rec_frame_check(r->map + r->off, r->size - r->off, &flen, &why);
		if (c <= 0) {
			r->fault_off = r->off;
			r->fault = c == 0 ? "torn tail" : why;
			return -1;
		}
		if (r->map[r->off + 7] != REC_SEAL) {
			r->records++;
			r->off += flen;
			continue;
		}
		if (rec_decode(r->map + r->off, flen, r->hdr.base_us, &rec, &why) < 0) {
			r->fault_off = r->off;
			r->fault = why;
			return -1;
		}
		r->sealed = 1;
		r->seal_off = r->off;
		r->seal_crc = buf_le32(r->map + r->off);
		if (rec.u.seal.records != r->records) {
			r->fault_off = r->off;
			r->fault = "seal counts a different number of records";
			return -1;
		}
		r->off += flen;
	}
	return 0;
}

int seg_reader_resync(struct seg_reader *r)
{
	size_t flen;
	const char *why;
	for (size_t o = r->fault_off + 1; o + REC_FRAME_HDR <= r->size; o++) {
		/* a resync candidate longer than 1 MiB is not worth a CRC */
		if ((buf_le32(r->map + o + 4) & REC_MAX_PAYLOAD) > (1u << 20))
			continue;
		if (rec_frame_check(r->map + o, r->size - o, &flen, &why) == 1) {
			r->off = o;
			r->sealed = 0;
			return 1;
		}
	}
	r->off = r->size;
	return 0;
}

int seg_reader_at(struct seg_reader *r, uint64_t pos, struct rec *rec)
{
	size_t flen;
	const char *why = "offset outside the segment";
	if (!r->map || pos < SEG_HDR_SIZE || pos >= r->size)
		goto bad;
	int c = rec_frame_check(r->map + pos, r->size - (size_t)pos, &flen, &why);
	if (c == 0)
		why = seg_fault_name(SEG_FAULT_TORN_TAIL);
	if (c <= 0 || rec_decode(r->map + pos, flen, r->hdr.base_us, rec, &why) < 0)
		goto bad;
	return 1;
bad:
	r->fault_off = (size_t)pos;
	r->fault_kind = seg_fault_of(why);
	r->fault = why;
	return -1;
}

int seg_scan(struct seg_reader *r, struct seg_summary *s,
	     int (*on_rec)(void *ctx, const struct rec *rec, uint64_t pos),
	     void (*on_fault)(void *ctx, const struct seg_reader *r), void *ctx)
{
	struct rec rec;
	uint64_t pos;
	memset(s, 0, sizeof *s);
	s->first_us = INT64_MAX;
	s->last_us = INT64_MIN;
	for (;;) {
		int c = seg_reader_next(r, &rec, &pos);
		if (c == 0)
			return 0;
		if (c < 0) {
			s->faults++;
			s->last_fault = r->fault_kind;
			if (on_fault)
				on_fault(ctx, r);
			if (!seg_reader_resync(r))
				return 0;
			continue;
		}
		s->records++;
		int64_t last = rec.ts_us;
		if (rec.type == REC_DNS && (rec.flags & REC_F_COALESCED) && rec.u.dns.ts_last_us > last)
			last = rec.u.dns.ts_last_us;
		if (rec.ts_us < s->first_us)
			s->first_us = rec.ts_us;
		if (last > s->last_us)
			s->last_us = last;
		if (on_rec && on_rec(ctx, &rec, pos))
			return -1;
	}
}
