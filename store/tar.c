/*
 * tar: the streaming ustar reader of tar.h.  A state machine over 512-byte
 * blocks: a header block is gathered in hdr[] (it may arrive in pieces),
 * checked, then the entry's data is passed through as slices of the
 * caller's bytes and its padding to the next block skipped.  Nothing is
 * allocated; every field is read within hdr[].
 */
#include <stdio.h>
#include <string.h>

#include "tar.h"

enum { S_HDR, S_DATA, S_DATA_END, S_PAD, S_END, S_ERR };

void tar_init(struct tar_rd *t)
{
	memset(t, 0, sizeof *t);
	t->st = S_HDR;
}

static int fail(struct tar_rd *t, const char *why)
{
	snprintf(t->err, sizeof t->err, "%s at byte %llu", why, (unsigned long long)t->off);
	t->st = S_ERR;
	return TAR_ERR;
}

/* An octal field (spaces and NULs around it), or GNU base-256. */
static int num(const uint8_t *f, size_t n, uint64_t *v)
{
	size_t i = 0;
	*v = 0;
	if (f[0] & 0x80) {	/* base-256: big-endian, first byte's top bit the flag */
		if (f[0] != 0x80)
			return -1;	/* negative, or more than fits */
		for (i = 1; i < n; i++) {
			if (*v >> 56)
				return -1;
			*v = *v << 8 | f[i];
		}
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	int digits = 0;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
		if (*v >> 60)
			return -1;
		*v = *v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != 0)
			return -1;
	return digits || n == 0 ? 0 : -1;
}

/* Copy a NUL-padded field, stopping at its first NUL. */
static size_t field(char *dst, size_t cap, const uint8_t *f, size_t n)
{
	size_t l = 0;
	while (l < n && f[l] && l + 1 < cap) {
		dst[l] = (char)f[l];
		l++;
	}
	dst[l] = 0;
	return l;
}

static int header(struct tar_rd *t)
{
	const uint8_t *h = t->hdr;
	size_t i;
	for (i = 0; i < 512 && !h[i]; i++)
		;
	if (i == 512) {
		/* a zero block: two end the archive (one then EOF is accepted too) */
		if (++t->zeros == 2) {
			t->st = S_END;
			return TAR_END;
		}
		return TAR_NEED;
	}
	if (t->zeros)
		return fail(t, "data after an end-of-archive block");
	uint64_t sum, want = 0;
	if (num(h + 148, 8, &sum) < 0)
		return fail(t, "header checksum field is not octal");
	for (i = 0; i < 512; i++)
		want += i >= 148 && i < 156 ? ' ' : h[i];
	if (sum != want)
		return fail(t, "header checksum mismatch (not a tar, or corrupt)");
	if (memcmp(h + 257, "ustar", 5))
		return fail(t, "not a ustar header");
	uint64_t size;
	if (num(h + 124, 12, &size) < 0 || size > TAR_SIZE_MAX)
		return fail(t, "bad entry size");
	int tf = h[156];
	t->left = size;
	t->pad = (512 - size % 512) % 512;
	if (tf == 'L') {	/* GNU long name: the data is the next entry's name */
		t->longname = 1;
		t->ln_len = 0;
		t->st = S_DATA;
		return TAR_NEED;
	}
	if (tf == 'x' || tf == 'g' || tf == 'K') {	/* pax headers, GNU long link: skipped */
		t->longname = 2;
		t->st = S_DATA;
		return TAR_NEED;
	}
	if (t->have_ln) {
		memcpy(t->name, t->ln, t->ln_len + 1);
		t->have_ln = 0;
	} else {
		/* prefix (155) '/' name (100): at most 256 bytes, cut to TAR_NAME_MAX */
		char pre[156], nm[101];
		size_t pl = field(pre, sizeof pre, h + 345, 155);
		size_t nl = field(nm, sizeof nm, h, 100), o = 0;
		if (pl) {
			memcpy(t->name, pre, pl);
			t->name[pl] = '/';
			o = pl + 1;
		}
		if (nl > TAR_NAME_MAX - o)
			nl = TAR_NAME_MAX - o;
		memcpy(t->name + o, nm, nl);
		t->name[o + nl] = 0;
	}
	t->type = tf == '0' || tf == 0 || tf == '7' ? TAR_T_FILE : tf == '5' ? TAR_T_DIR : TAR_T_OTHER;
	if (t->type != TAR_T_FILE) {	/* links and the like carry no data we keep */
		if (tf == '1' || tf == '2' || tf == '3' || tf == '4' || tf == '6')
			t->left = t->pad = 0;
	}
	t->size = t->left;
	t->longname = 0;
	t->entries++;
	t->st = S_DATA;
	return TAR_ENTRY;
}

int tar_step(struct tar_rd *t, const uint8_t **p, size_t *n)
{
	for (;;) {
		switch (t->st) {
		case S_ERR:
			return TAR_ERR;
		case S_END:
			t->off += *n;	/* the record's padding after the end blocks */
			*p += *n;
			*n = 0;
			return TAR_NEED;
		case S_HDR: {
			if (!*n)
				return TAR_NEED;
			size_t k = 512 - t->hfill;
			if (k > *n)
				k = *n;
			memcpy(t->hdr + t->hfill, *p, k);
			t->hfill += k;
			*p += k;
			*n -= k;
			if (t->hfill < 512)
				return TAR_NEED;
			t->hfill = 0;
			int ev = header(t);	/* errors name the header's offset */
			t->off += 512;
			if (ev != TAR_NEED)
				return ev;
			continue;
		}
		case S_DATA: {
			if (!t->left) {
				t->st = S_DATA_END;
				continue;
			}
			if (!*n)
				return TAR_NEED;
			size_t k = t->left < *n ? (size_t)t->left : *n;
			const uint8_t *d = *p;
			*p += k;
			*n -= k;
			t->left -= k;
			t->off += k;
			if (t->longname == 1) {
				size_t room = TAR_NAME_MAX - t->ln_len;
				size_t c = k < room ? k : room;
				memcpy(t->ln + t->ln_len, d, c);
				t->ln_len += c;
				continue;
			}
			if (t->longname == 2)
				continue;
			t->data = d;
			t->len = k;
			return TAR_DATA;
		}
		case S_DATA_END:
			t->st = S_PAD;
			if (t->longname == 1) {
				t->ln[t->ln_len] = 0;
				t->ln_len = strlen(t->ln);	/* up to its NUL */
				if (!t->ln_len)
					return fail(t, "empty GNU long name");
				t->have_ln = 1;
				t->longname = 0;
				continue;
			}
			if (t->longname == 2) {
				t->longname = 0;
				continue;
			}
			return TAR_ENTRY_END;
		case S_PAD: {
			if (!t->pad) {
				t->st = S_HDR;
				continue;
			}
			if (!*n)
				return TAR_NEED;
			size_t k = t->pad < *n ? (size_t)t->pad : *n;
			*p += k;
			*n -= k;
			t->pad -= k;
			t->off += k;
			continue;
		}
		}
	}
}

int tar_finish(struct tar_rd *t)
{
	if (t->st == S_ERR)
		return -1;
	if (t->st == S_END || (t->st == S_HDR && !t->hfill && t->zeros))
		return 0;
	if (t->st == S_HDR && !t->hfill && !t->entries)
		return fail(t, "empty archive"), -1;
	return fail(t, t->st == S_HDR && !t->hfill ? "archive truncated (no end blocks)"
						   : "archive truncated inside an entry"), -1;
}
