/*
 * sandbox: tipd's seccomp filter (see sandbox.h).
 *
 * One table lists every system call a running tipd may make: the event
 * loop, the store writer thread, DNS over UDP and TCP, the control
 * socket, HTTP(S) feed fetches, the spamtrap's maildir (inotify), file
 * I/O of the store and the module state, and what glibc, libev, udns and
 * BearSSL make underneath.  Anything else kills the process: the kernel's
 * SECCOMP_RET_KILL_PROCESS (SIGSYS, a core for the operator to look at),
 * never a silent EPERM that a daemon would misread as a disk error.
 *
 * The filter goes on after the store, the socket and the pidfile are open
 * and privileges are dropped, so setuid, chown of the store, bind to a
 * privileged port and the like are not in the table.  A call missing from
 * it shows as tipd dying with "Bad system call" in a test: the integration
 * tests run with the filter on (it is the default).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"
#include "tip_config.h"

#if defined(__linux__) && ENABLE_SECCOMP
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SB_ARCH AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define SB_ARCH AUDIT_ARCH_I386
#elif defined(__aarch64__)
#define SB_ARCH AUDIT_ARCH_AARCH64
#elif defined(__arm__) && defined(__ARMEL__)
#define SB_ARCH AUDIT_ARCH_ARM
#elif defined(__mips__) && defined(__MIPSEL__) && _MIPS_SIM == _ABIO32
#define SB_ARCH AUDIT_ARCH_MIPSEL
#elif defined(__mips__) && _MIPS_SIM == _ABIO32
#define SB_ARCH AUDIT_ARCH_MIPS
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SB_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__riscv) && __riscv_xlen == 64
#define SB_ARCH AUDIT_ARCH_RISCV64
#elif defined(__s390x__)
#define SB_ARCH AUDIT_ARCH_S390X
#endif

/*
 * The allowed calls.  A name that an architecture lacks (open on
 * aarch64, the 32-bit variants on 64-bit targets) is left out by its
 * #ifdef; every architecture has an equivalent in the same group.
 */
static const int allowed[] = {
/* memory: malloc, mmap of segments, indexes and the ASN table */
#ifdef __NR_brk
	__NR_brk,
#endif
#ifdef __NR_mmap
	__NR_mmap,
#endif
	__NR_munmap, __NR_mprotect, __NR_mremap, __NR_madvise,
#ifdef __NR_mmap2
	__NR_mmap2,
#endif
/* files: store segments and indexes, module state, config reload, watch list, maildir */
#ifdef __NR_open
	__NR_open,
#endif
	__NR_openat, __NR_close, __NR_read, __NR_write, __NR_readv, __NR_writev,
	__NR_pread64, __NR_pwrite64, __NR_lseek,
#ifdef __NR__llseek
	__NR__llseek,
#endif
#ifdef __NR_stat
	__NR_stat, __NR_lstat,
#endif
	__NR_fstat,
#ifdef __NR_newfstatat
	__NR_newfstatat,
#endif
#ifdef __NR_fstatat64
	__NR_fstatat64, __NR_fstat64, __NR_stat64, __NR_lstat64,
#endif
#ifdef __NR_statx
	__NR_statx,
#endif
	__NR_fstatfs, __NR_statfs,
#ifdef __NR_access
	__NR_access,
#endif
	__NR_faccessat,
#ifdef __NR_faccessat2
	__NR_faccessat2,
#endif
	__NR_getdents64, __NR_fsync, __NR_fdatasync, __NR_ftruncate,
#ifdef __NR_ftruncate64
	__NR_ftruncate64,
#endif
	__NR_fallocate, __NR_flock, __NR_fcntl,
#ifdef __NR_fcntl64
	__NR_fcntl64,
#endif
#ifdef __NR_fadvise64
	__NR_fadvise64,
#endif
#ifdef __NR_rename
	__NR_rename,
#endif
	__NR_renameat,
#ifdef __NR_renameat2
	__NR_renameat2,
#endif
#ifdef __NR_unlink
	__NR_unlink, __NR_rmdir, __NR_mkdir,
#endif
	__NR_unlinkat, __NR_mkdirat,
#ifdef __NR_readlink
	__NR_readlink,
#endif
	__NR_readlinkat, __NR_getcwd, __NR_umask, __NR_fchmod, __NR_utimensat,
	__NR_dup, __NR_dup3,
#ifdef __NR_dup2
	__NR_dup2,
#endif
#ifdef __NR_pipe
	__NR_pipe,
#endif
	__NR_pipe2, __NR_ioctl,
/* the spamtrap's maildir and the watch list: change notification */
#ifdef __NR_inotify_init
	__NR_inotify_init,
#endif
	__NR_inotify_init1, __NR_inotify_add_watch, __NR_inotify_rm_watch,
/* network: DNS over UDP and TCP, feed fetches, the control socket, submissions */
	__NR_socket, __NR_connect, __NR_bind, __NR_listen, __NR_accept4, __NR_getsockname,
	__NR_getpeername, __NR_setsockopt, __NR_getsockopt, __NR_sendto, __NR_recvfrom,
	__NR_sendmsg, __NR_recvmsg, __NR_sendmmsg, __NR_recvmmsg, __NR_shutdown, __NR_socketpair,
#ifdef __NR_accept
	__NR_accept,
#endif
#ifdef __NR_socketcall
	__NR_socketcall,
#endif
/* the event loop (libev: epoll, or poll/select), its wake-ups and signals */
#ifdef __NR_epoll_create
	__NR_epoll_create,
#endif
	__NR_epoll_create1, __NR_epoll_ctl, __NR_epoll_pwait,
#ifdef __NR_epoll_wait
	__NR_epoll_wait,
#endif
#ifdef __NR_epoll_pwait2
	__NR_epoll_pwait2,
#endif
#ifdef __NR_poll
	__NR_poll,
#endif
	__NR_ppoll, __NR_pselect6,
#ifdef __NR_select
	__NR_select,
#endif
#ifdef __NR__newselect
	__NR__newselect,
#endif
#ifdef __NR_eventfd
	__NR_eventfd,
#endif
	__NR_eventfd2, __NR_signalfd4, __NR_timerfd_create, __NR_timerfd_settime,
	__NR_timerfd_gettime,
	__NR_rt_sigaction, __NR_rt_sigprocmask, __NR_rt_sigreturn, __NR_sigaltstack,
#ifdef __NR_sigreturn
	__NR_sigreturn,
#endif
	__NR_kill, __NR_tgkill, __NR_getpid, __NR_gettid, __NR_getppid,
/* time: the scheduler, records' stamps, sleeps of the writer thread */
	__NR_clock_gettime, __NR_clock_getres, __NR_clock_nanosleep, __NR_nanosleep,
	__NR_gettimeofday,
#ifdef __NR_time
	__NR_time,
#endif
#ifdef __NR_clock_gettime64
	__NR_clock_gettime64, __NR_clock_nanosleep_time64, __NR_ppoll_time64,
	__NR_pselect6_time64, __NR_timerfd_settime64, __NR_utimensat_time64,
	__NR_futex_time64, __NR_recvmmsg_time64, __NR_clock_getres_time64,
#endif
/* threads: the writer thread, pthread locks and condition variables */
	__NR_clone, __NR_futex, __NR_set_robust_list, __NR_get_robust_list, __NR_set_tid_address,
#ifdef __NR_clone3
	__NR_clone3,
#endif
#ifdef __NR_rseq
	__NR_rseq,
#endif
	__NR_sched_yield, __NR_sched_getaffinity, __NR_setpriority, __NR_getpriority,
	__NR_madvise, __NR_prctl,
	__NR_exit, __NR_exit_group, __NR_restart_syscall,
/* identity and limits: logging, status, glibc */
	__NR_getuid, __NR_geteuid, __NR_getgid, __NR_getegid, __NR_getgroups,
#ifdef __NR_getuid32
	__NR_getuid32, __NR_geteuid32, __NR_getgid32, __NR_getegid32,
#endif
	__NR_uname, __NR_sysinfo, __NR_getrusage, __NR_prlimit64, __NR_getrandom,
#ifdef __NR_getrlimit
	__NR_getrlimit,
#endif
#ifdef __NR_ugetrlimit
	__NR_ugetrlimit,
#endif
	__NR_times,
#if defined(__SANITIZE_ADDRESS__)
/* ASan's and UBSan's own runtime (the test builds): reports, shadow memory */
	__NR_sched_getparam, __NR_mincore, __NR_wait4, __NR_msync,
	/* LeakSanitizer stops the world at exit by ptrace from a clone */
	__NR_ptrace, __NR_waitid,
#ifdef __NR_arch_prctl
	__NR_arch_prctl,
#endif
#endif
};

int sandbox_enter(char *err, size_t errlen)
{
#if defined(__SANITIZE_ADDRESS__)
	/*
	 * LeakSanitizer checks at exit from a ptrace-ing clone that the
	 * filter kills, leaving tipd waiting for it: the sanitizer builds
	 * (tests only) run without the filter, the plain build's tests with it.
	 */
	snprintf(err, errlen, "seccomp: off in sanitizer builds");
	return 1;
#endif
#ifndef SB_ARCH
	snprintf(err, errlen, "seccomp: not supported on this architecture");
	return 1;
#else
	enum { N = sizeof allowed / sizeof allowed[0] };
	_Static_assert(N < 250, "BPF jump offsets are 8 bits: split the table");
	/* arch check (2) + load nr (1) [+ x32 check (1)] + N compares + kill + allow */
	struct sock_filter f[N + 8];
	unsigned k = 0;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SB_ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
	/* x32 calls share the arch value: refuse them all */
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, N + 1, 0);
#endif
	for (unsigned i = 0; i < N; i++)	/* equal: jump to the allow at the end */
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						      (unsigned)allowed[i], (uint8_t)(N - i), 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {.len = (unsigned short)k, .filter = f};
#ifdef __NR_seccomp
	/* TSYNC: every thread already running gets it too */
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL) {
		snprintf(err, errlen, "seccomp: %s", strerror(errno));
		return -1;
	}
#endif
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0) {
		snprintf(err, errlen, "seccomp: %s", strerror(errno));
		return -1;
	}
	return 0;
#endif
}

#else

int sandbox_enter(char *err, size_t errlen)
{
	snprintf(err, errlen, "seccomp: not built in (Kconfig SECCOMP) or not Linux");
	return 1;
}

#endif
