/*
 * fuzz_lock: the holder line of a store's lock file (store/lock.c), which
 * anything may have written: the refusal names a printable holder, is
 * NUL-terminated within its buffer, whatever the bytes and the room.
 */
#include <string.h>

#include "fuzz.h"
#include "lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[160];
	size_t cap;
	if (size < 1)
		return 0;
	cap = 1 + data[0] % sizeof out;	/* byte 0: the room given */
	memset(out, 'X', sizeof out);
	store_lock_holder(data + 1, size - 1, out, cap);
	size_t len = strnlen(out, cap);
	FUZZ_CHECK(len < cap);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(out[i] >= 0x20 && out[i] < 0x7f);
	return 0;
}
