/*
 * helper_process.c - the helper owns its process before it reads a byte
 * (DESIGN section 2). It is started by a PAM application, often a setuid
 * one (su, sudo) whose resource limits, signal dispositions, signal mask,
 * umask, working directory, session, scheduling policy, nice value, CPU
 * affinity, I/O priority and supplementary groups belong to the invoking
 * user. None
 * of that may change what the helper concludes: a limit that makes
 * libcurl fail to load, or a socket fail with EMFILE, must never look like
 * an unreachable provider. So every one of them is set here to a value of
 * our own, and the helper stops when it cannot.
 */
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "helper.h"

#define MIB (1024UL * 1024UL)

struct limit {
	int resource;
	const char *name;
	rlim_t value;		/* soft and hard */
};

/* Enough for libcurl + OpenSSL + a 1 MiB reply many times over; small
 * enough that a runaway helper cannot hurt the host. The address-space
 * limit is left alone under AddressSanitizer, which reserves terabytes. */
static const struct limit limits[] = {
#if !defined(__SANITIZE_ADDRESS__)
	{ RLIMIT_AS, "AS", 2048 * MIB },
#endif
	{ RLIMIT_DATA, "DATA", 1024 * MIB },
	{ RLIMIT_STACK, "STACK", 8 * MIB },
	{ RLIMIT_NOFILE, "NOFILE", 256 },
	{ RLIMIT_FSIZE, "FSIZE", 16 * MIB },	/* store files 64 KiB, caches 1 MiB */
	{ RLIMIT_CPU, "CPU", 900 },		/* the 15-minute alarm comes first */
	{ RLIMIT_CORE, "CORE", 0 },
};

static int refuse(const char *what)
{
	char line[160];
	snprintf(line, sizeof(line),
		 "event=internal result=error reason=internal detail=\"helper cannot own its process: %s (%s)\"",
		 what, strerror(errno));
	syslog(LOG_CRIT, "%s", line);
	return -1;
}

/* The two real-time signals glibc keeps for itself (32, 33: thread
 * cancellation and set*id across threads) cannot be changed through
 * sigaction(), yet a caller can hand them over ignored. The kernel call
 * resets them; glibc installs its own handler when it needs one. */
static int reset_reserved(int s)
{
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} k = { SIG_DFL, 0, NULL, 0 };
	return syscall(SYS_rt_sigaction, s, &k, NULL, sizeof(k.mask)) == 0 ? 0 : -1;
}

static int reset_signals(void)
{
	struct sigaction dfl, ign;
	sigset_t none;
	memset(&dfl, 0, sizeof(dfl));
	memset(&ign, 0, sizeof(ign));
	dfl.sa_handler = SIG_DFL;
	ign.sa_handler = SIG_IGN;
	sigemptyset(&dfl.sa_mask);
	sigemptyset(&ign.sa_mask);
	for (int s = 1; s < NSIG; s++) {
		if (s == SIGKILL || s == SIGSTOP)
			continue;
		if (sigaction(s, s == SIGPIPE ? &ign : &dfl, NULL) == 0)
			continue;
		if (errno != EINVAL || s >= SIGRTMIN || s < 32 || reset_reserved(s) < 0)
			return refuse("sigaction");
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return refuse("sigprocmask");
	return 0;
}

/* Raising a hard limit needs privilege: a helper that is not root and was
 * handed lower hard limits cannot undo them, and refuses. NPROC counts
 * every process of the uid, not ours: it goes to its hard limit (libcurl's
 * resolver thread needs one), whatever the caller's soft limit was. */
static int set_limits(void)
{
	struct rlimit rl;
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		rl.rlim_cur = rl.rlim_max = limits[i].value;
		if (setrlimit(limits[i].resource, &rl) < 0)
			return refuse(limits[i].name);
	}
	if (getrlimit(RLIMIT_NPROC, &rl) < 0)
		return refuse("NPROC");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NPROC, &rl) < 0)
		return refuse("NPROC");
	return 0;
}

/* The CPU the caller chose for us: an idle or batch policy, a high nice
 * value, one busy CPU, an idle I/O class or a long timer slack would make
 * a live provider time out. Back to the defaults; a helper that cannot
 * undo a lower priority (not root) refuses. */
static int reset_scheduling(void)
{
	struct sched_param sp = { .sched_priority = 0 };
	if (sched_setscheduler(0, SCHED_OTHER, &sp) < 0)
		return refuse("sched_setscheduler");
	if (setpriority(PRIO_PROCESS, 0, 0) < 0) {
		errno = 0;
		int nice = getpriority(PRIO_PROCESS, 0);
		if (errno != 0 || nice > 0)
			return refuse("setpriority");
	}
	cpu_set_t all;
	CPU_ZERO(&all);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	/* the kernel keeps the CPUs of our cpuset among these */
	if (sched_setaffinity(0, sizeof(all), &all) < 0)
		return refuse("sched_setaffinity");
	/* ioprio_set(IOPRIO_WHO_PROCESS, self, class none: follow the CPU) */
	if (syscall(SYS_ioprio_set, 1, 0, 0) < 0)
		return refuse("ioprio_set");
	if (prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0) < 0)
		return refuse("PR_SET_TIMERSLACK");
	return 0;
}

int helper_own_process(void)
{
	/* A session of its own: no terminal signals from the caller's
	 * session, no job control. Fails only for a group leader, which a
	 * freshly forked child is not. */
	if (setsid() < 0)
		return refuse("setsid");
	if (reset_signals() < 0 || set_limits() < 0 || reset_scheduling() < 0)
		return -1;
	/* no supplementary group of the caller's (sudo keeps them) */
	if (geteuid() == 0 && setgroups(0, NULL) < 0)
		return refuse("setgroups");
	umask(077);
	if (chdir("/") < 0)
		return refuse("chdir /");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) /* no core with secrets in it */
		return refuse("PR_SET_DUMPABLE");
	return 0;
}
