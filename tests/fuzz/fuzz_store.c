/*
 * fuzz_store: a whole store opened as `tip` opens one (store/store.c): a
 * sensor.id, one segment and its index, all from the input (le32 length
 * of the segment, the segment, then the index; the segment's CRCs set by
 * fuzz_fix_seg).  The set is scanned, and looked up by a domain and an
 * address one at a time and many at once, as the query commands do.
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fuzz.h"
#include "store.h"

static char dir[512], logdir[600];
static unsigned long n_rec, n_fault;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[700];
	snprintf(dir, sizeof dir, "%s/store", fuzz_tmpdir());
	snprintf(logdir, sizeof logdir, "%s/log", dir);
	FUZZ_CHECK(mkdir(dir, 0700) == 0 && mkdir(logdir, 0700) == 0);
	snprintf(p, sizeof p, "%s/sensor.id", dir);
	FUZZ_CHECK(fuzz_write_file(p, "fuzz\n", 5) == 0);
	return 0;
}

static int on_rec(void *ctx, const char *sensor, const struct store_seg *seg, uint64_t pos,
		  const struct rec *r)
{
	FUZZ_CHECK(sensor && !strcmp(sensor, "fuzz") && pos < seg->size);
	n_rec++;
	return n_rec > 100000;
}

static int on_key(void *ctx, size_t key_i, const char *sensor, const struct store_seg *seg,
		  uint64_t pos, const struct rec *r)
{
	FUZZ_CHECK(key_i < 3);
	return on_rec(ctx, sensor, seg, pos, r);
}

static void on_fault(void *ctx, const char *path, uint64_t off, const char *why)
{
	FUZZ_CHECK(path && why);
	n_fault++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char seg[700], cdb[700];
	if (size < 4)
		return 0;
	struct buf_rd b;
	buf_rd_init(&b, data, 4);
	size_t sl = buf_get_le32(&b);
	data += 4;
	size -= 4;
	if (sl > size)
		sl = size;
	uint8_t *s = malloc(sl ? sl : 1);
	FUZZ_CHECK(s != NULL);
	memcpy(s, data, sl);
	fuzz_fix_seg(s, sl);
	/* seq 1 and the name's time agree with a header the fuzzer may keep */
	snprintf(seg, sizeof seg, "%s/20260101T000000Z-1.tlog", logdir);
	snprintf(cdb, sizeof cdb, "%s/20260101T000000Z-1.cdb", logdir);
	FUZZ_CHECK(fuzz_write_file(seg, s, sl) == 0);
	free(s);
	if (size > sl)
		FUZZ_CHECK(fuzz_write_file(cdb, data + sl, size - sl) == 0);
	else
		unlink(cdb);

	struct store_set set = {0};
	char err[256];
	FUZZ_CHECK(store_set_add(&set, dir, err, sizeof err) == 0);
	n_rec = n_fault = 0;
	store_set_scan(&set, on_rec, on_fault, NULL);
	uint8_t k[3][INDEX_KEY_MAX];
	static const uint8_t ip4[4] = {192, 0, 2, 1};
	size_t kl[3] = {index_key_parse(k[0], "example.com"), index_key_parse(k[1], "192.0.2.1"),
			index_key_enrich(k[2], 4, ip4)};
	for (int i = 0; i < 3; i++)
		store_set_lookup(&set, k[i], kl[i], on_rec, on_fault, NULL);
	const uint8_t *keys[3] = {k[0], k[1], k[2]};
	store_set_lookup_many(&set, keys, kl, 3, on_key, on_fault, NULL);
	store_set_free(&set);
	return 0;
}
