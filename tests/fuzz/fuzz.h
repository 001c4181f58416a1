/*
 * fuzz.h: what every tests/fuzz/fuzz_<surface>.c includes.
 *
 * A target defines LLVMFuzzerTestOneInput (and, when it needs set-up done
 * once, LLVMFuzzerInitialize).  The same file is linked two ways: with
 * libFuzzer (clang -fsanitize=fuzzer) by `make fuzz`, and with replay.c's
 * main() by `make tests`, which feeds it every file of a corpus.  A target
 * must not keep state between inputs that changes what the next one does,
 * must free what it allocates, and must call abort() (FUZZ_CHECK) when an
 * invariant of the code under test does not hold: a sanitizer finds memory
 * errors, a FUZZ_CHECK finds wrong answers.
 */
#ifndef TIP_FUZZ_H
#define TIP_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* A private scratch directory (created once, under TMPDIR), for targets whose code reads files. */
const char *fuzz_tmpdir(void);
/* Write p[0..n) to path whole; 0 or -1. */
int fuzz_write_file(const char *path, const void *p, size_t n);

/*
 * Set the CRC of every whole frame of p[0..n) (rec.h), from the start,
 * as long as their lengths chain; returns the number of frames.
 */
size_t fuzz_fix_frames(uint8_t *p, size_t n);
/* Set a segment file's header CRC and its frames' (seg.h). */
void fuzz_fix_seg(uint8_t *p, size_t n);

#endif
