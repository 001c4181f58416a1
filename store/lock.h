/*
 * lock: one writer per store.
 *
 * Every program that writes a store (tipd, tip import, tip compact, tip
 * pull) holds an exclusive flock(2) on <store>/lock for as long as it
 * writes: two writers on one store would seal each other's active
 * segment and corrupt it.  The file holds "PID PROGRAM\n" of the holder,
 * so a refusal can name it.  The lock belongs to the open file: it goes
 * when the holder exits, however it exits, and a fork keeps it (the
 * daemon rewrites its pid after detaching).  Readers (query, verify,
 * serve) take no lock.  The file is never removed (removing a lock file
 * races with the next taker); rsync of a store should leave it out.
 */
#ifndef TIP_LOCK_H
#define TIP_LOCK_H

#include <stddef.h>
#include <stdint.h>

#define STORE_LOCK_NAME "lock"

/*
 * Take the lock of the store at dir (dir is created when missing; the
 * rest of the layout is store_create's).  who names the program in the
 * file ("tipd", "tip import").  Returns the lock's fd, or -1 with errno
 * (EBUSY: another writer holds it) and a message in err that names the
 * holder: "DIR: in use by tipd (pid 123): one writer per store".
 */
int store_lock_open(const char *dir, const char *who, char *err, size_t errlen);

/*
 * The holder a lock file's bytes name, as "PROGRAM (pid PID)" (printable
 * ASCII only), or "another writer" when they name none; always
 * NUL-terminated in out[0..cap).  The file is untrusted: it may hold
 * anything.
 */
void store_lock_holder(const uint8_t *raw, size_t n, char *out, size_t cap);

/* Write "PID who" again (after a fork).  0 or -1 with errno. */
int store_lock_note(int fd, const char *who);

/* Release the lock (close the fd); -1 is ignored. */
void store_lock_close(int fd);

#endif
