/*
 * cdefs: the few compiler words the tree shares, in one place.
 *
 * TIP_UNUSED marks a parameter a function takes to fit an interface (a
 * libev callback's loop and revents, a store visitor's position) and
 * deliberately ignores; every other unused parameter is a warning
 * (-Wextra), so a leftover is seen.
 *
 * container_of recovers the struct that embeds a member (a libev watcher,
 * a list link) from a pointer to the member.
 */
#ifndef TIP_CDEFS_H
#define TIP_CDEFS_H

#include <stddef.h>

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

#define TIP_UNUSED __attribute__((unused))

#endif
