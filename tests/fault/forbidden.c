/*
 * forbidden: an LD_PRELOAD shim for the seccomp test (tests/integration/
 * sandbox.sh).  On SIGUSR2 the process it is loaded into makes a system
 * call tipd's filter does not allow, execve of /bin/true, as code
 * injected through a parser bug would; under the filter the kernel kills
 * it with SIGSYS.  Without the filter the process becomes /bin/true and
 * exits 0, which the test reports.
 * Test code only: built as $(O)/tests/forbidden.so, never linked into tipd.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void on_usr2(int sig)
{
	static char *const argv[] = {"true", NULL};
	static const char msg[] = "forbidden: execve returned\n";
	(void)sig;
	syscall(SYS_execve, "/bin/true", argv, environ);
	(void)!write(2, msg, sizeof msg - 1);
}

__attribute__((constructor)) static void init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
}
