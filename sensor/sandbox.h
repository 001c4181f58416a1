/*
 * sandbox: the system-call filter tipd runs under once it is started
 * (Linux seccomp-bpf, Kconfig SECCOMP).  The allowed calls are the table
 * in sandbox.c; any other kills the process (SIGSYS), so a parser bug that
 * gets code to run cannot execve, ptrace, mount or load modules.
 */
#ifndef TIP_SANDBOX_H
#define TIP_SANDBOX_H

#include <stddef.h>

/*
 * Install the filter on every thread of the process (no_new_privs must be
 * set).  0; 1 when not built in or not supported here (a message in err);
 * -1 with a message in err when the kernel refused it.
 */
int sandbox_enter(char *err, size_t errlen);

#endif
