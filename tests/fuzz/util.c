/* util.c: helpers shared by the fuzz targets (linked into both builds). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "crc32c.h"
#include "fuzz.h"
#include "rec.h"
#include "seg.h"

static char tmpdir[256];

static void rm_tmpdir(void)
{
	char cmd[300];
	if (tmpdir[0] && snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir) < (int)sizeof cmd)
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz: could not remove %s\n", tmpdir);
}

const char *fuzz_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *t = getenv("TMPDIR");
		snprintf(tmpdir, sizeof tmpdir, "%s/tipfuzz.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(rm_tmpdir);
	}
	return tmpdir;
}

int fuzz_write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *c = p;
	if (fd < 0)
		return -1;
	while (n > 0) {
		ssize_t k = write(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			close(fd);
			return -1;
		}
		c += k;
		n -= (size_t)k;
	}
	return close(fd);
}

/*
 * A fuzzer cannot forge a CRC-32C: left alone it would test little beyond
 * the CRC checks.  A hostile file has correct CRCs (anyone can compute
 * them), so the targets that read store files fix them first.
 */
size_t fuzz_fix_frames(uint8_t *p, size_t n)
{
	size_t off = 0, frames = 0;
	while (n - off >= REC_FRAME_HDR) {
		uint32_t w = buf_le32(p + off + 4);
		size_t plen = w & REC_MAX_PAYLOAD;
		if (plen > n - off - REC_FRAME_HDR)
			break;
		buf_set_le32(p + off, crc32c(0, p + off + 4, 4 + plen));
		off += REC_FRAME_HDR + plen;
		frames++;
	}
	return frames;
}

void fuzz_fix_seg(uint8_t *p, size_t n)
{
	if (n < SEG_HDR_SIZE)
		return;
	buf_set_le32(p + SEG_HDR_SIZE - 4, crc32c(0, p, SEG_HDR_SIZE - 4));
	fuzz_fix_frames(p + SEG_HDR_SIZE, n - SEG_HDR_SIZE);
}
