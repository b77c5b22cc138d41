/*
 * helper_process.c - the helper owns its process before it reads a byte
 * (DESIGN section 2). It is started by a PAM application, often a setuid
 * one (su, sudo) whose resource limits, signal dispositions, signal mask,
 * umask, working directory and session belong to the invoking user. None
 * of that may change what the helper concludes: a limit that makes
 * libcurl fail to load, or a socket fail with EMFILE, must never look like
 * an unreachable provider. So every one of them is set here to a value of
 * our own, and the helper stops when it cannot.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
	{ RLIMIT_NPROC, "NPROC", 4096 },	/* libcurl's resolver thread */
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
		/* glibc reserves two real-time signals for itself: EINVAL */
		if (sigaction(s, s == SIGPIPE ? &ign : &dfl, NULL) < 0 && errno != EINVAL)
			return refuse("sigaction");
	}
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		return refuse("sigprocmask");
	return 0;
}

/* Raising a hard limit needs privilege: a helper that is not root and was
 * handed lower hard limits cannot undo them, and refuses. */
static int set_limits(void)
{
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct rlimit rl = { limits[i].value, limits[i].value };
		if (setrlimit(limits[i].resource, &rl) < 0)
			return refuse(limits[i].name);
	}
	return 0;
}

int helper_own_process(void)
{
	/* A session of its own: no terminal signals from the caller's
	 * session, no job control. Fails only for a group leader, which a
	 * freshly forked child is not. */
	if (setsid() < 0)
		return refuse("setsid");
	if (reset_signals() < 0 || set_limits() < 0)
		return -1;
	umask(077);
	if (chdir("/") < 0)
		return refuse("chdir /");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) /* no core with secrets in it */
		return refuse("PR_SET_DUMPABLE");
	return 0;
}
