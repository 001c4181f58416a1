/*
 * errmsg: the error text of the store library's "char *err, size_t
 * errlen" convention, written in one place.  Pure: no allocation, no
 * globals; any thread.
 */
#ifndef TIP_ERRMSG_H
#define TIP_ERRMSG_H

#include <stddef.h>

/* printf into err[errlen] (truncated, always terminated); nothing when err is NULL or errlen 0. */
void errmsg_say(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
