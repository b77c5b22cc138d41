/*
 * pamdrive - one PAM application under the caller's control, for the
 * security suite (tests/security/run.sh): the real libpam (run it under
 * pam_wrapper), stages in any order, and the process state an attacker
 * chooses before starting a setuid program: resource limits, ignored and
 * blocked signals, values put into the PAM environment.
 *
 *   pamdrive --service S --user U [--rhost R] [--tty T]
 *            [--answer TEXT]...        conversation answers, in order (C escapes:
 *                                      \b \n \r \t \\ \NNN octal \xHH)
 *            [--putenv NAME=VALUE]...  pam_putenv by the application
 *            [--rlimit NAME=SOFT[:HARD]]...  AS DATA STACK NOFILE FSIZE CPU NPROC CORE;
 *                                      sizes take K, M, G suffixes; "unlimited";
 *                                      HARD "keep": the current hard limit (HARD
 *                                      omitted: the same as SOFT)
 *            [--ignore SIG]...         SIG_IGN (a name: CHLD, TERM, ...; or "all")
 *            [--block SIG]...          sigprocmask SIG_BLOCK (a name or "all")
 *            [--users FILE]            run the stages once per user name in FILE
 *                                      (one pam_start each), instead of --user
 *            [--umask OCTAL] [--chdir DIR]  the caller's umask and working directory
 *            [--nice N] [--idle] [--cpu N]  the caller's nice value, SCHED_IDLE, and
 *                                      an affinity to one CPU
 *            [--probe]                 at each prompt, print what the helper (our
 *                                      child, waiting for the answer) runs with:
 *                                      "helper: pid= session= umask= sigblk= sigign=
 *                                      cpus= nice= policy= cwd= AS=soft:hard ...", and the
 *                                      application's own descriptors "self: fds=0,1,2"
 *            [--quiet]                 no prompt/msg lines
 *            [--parallel N]            N children, each with its own pam_start (taken
 *                                      in turns: pam_wrapper's /tmp/pam.X choice races),
 *                                      then released together to run the stages (lines
 *                                      prefixed "K ")
 *            STAGE...                  auth acct setcred open close, and two that
 *                                      only look: env (the PAM environment) and
 *                                      sigchld (the application's SIGCHLD disposition);
 *                                      user=NAME sets PAM_USER in the same handle (as
 *                                      login(1) does when it asks again after a failure)
 *
 * The limits and signals are applied after pam_start and before the first
 * stage (so the modules are already loaded, as in a setuid program whose
 * caller set them before exec). Prints one line per stage, "auth=PAM_SUCCESS"
 * (with --users: "NAME auth=PAM_USER_UNKNOWN"), the module's messages as
 * "msg: ..." and prompts as "prompt: ...", "env: NAME=VALUE" for the env
 * stage, "sigchld=SIG_IGN" for the sigchld stage. A prompt beyond the answers
 * given gets PAM_CONV_ERR (answers start over for each user). Exit status
 * 0, or 2 for a usage error.
 */
#include <dirent.h>
#include <ctype.h>
#include <sched.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define MAX_ITEMS 64

static const char *answers[MAX_ITEMS];
static size_t n_answers, next_answer;
static int quiet, probe;
static int nice_to = -100, cpu_to = -1, idle_sched; /* the caller's CPU choices */

static const struct { int code; const char *name; } pam_names[] = {
	{ PAM_SUCCESS, "PAM_SUCCESS" },
	{ PAM_OPEN_ERR, "PAM_OPEN_ERR" },
	{ PAM_SYMBOL_ERR, "PAM_SYMBOL_ERR" },
	{ PAM_SERVICE_ERR, "PAM_SERVICE_ERR" },
	{ PAM_SYSTEM_ERR, "PAM_SYSTEM_ERR" },
	{ PAM_BUF_ERR, "PAM_BUF_ERR" },
	{ PAM_PERM_DENIED, "PAM_PERM_DENIED" },
	{ PAM_AUTH_ERR, "PAM_AUTH_ERR" },
	{ PAM_CRED_INSUFFICIENT, "PAM_CRED_INSUFFICIENT" },
	{ PAM_AUTHINFO_UNAVAIL, "PAM_AUTHINFO_UNAVAIL" },
	{ PAM_USER_UNKNOWN, "PAM_USER_UNKNOWN" },
	{ PAM_MAXTRIES, "PAM_MAXTRIES" },
	{ PAM_NEW_AUTHTOK_REQD, "PAM_NEW_AUTHTOK_REQD" },
	{ PAM_ACCT_EXPIRED, "PAM_ACCT_EXPIRED" },
	{ PAM_SESSION_ERR, "PAM_SESSION_ERR" },
	{ PAM_CRED_UNAVAIL, "PAM_CRED_UNAVAIL" },
	{ PAM_CRED_EXPIRED, "PAM_CRED_EXPIRED" },
	{ PAM_CRED_ERR, "PAM_CRED_ERR" },
	{ PAM_NO_MODULE_DATA, "PAM_NO_MODULE_DATA" },
	{ PAM_CONV_ERR, "PAM_CONV_ERR" },
	{ PAM_AUTHTOK_ERR, "PAM_AUTHTOK_ERR" },
	{ PAM_AUTHTOK_RECOVERY_ERR, "PAM_AUTHTOK_RECOVERY_ERR" },
	{ PAM_AUTHTOK_LOCK_BUSY, "PAM_AUTHTOK_LOCK_BUSY" },
	{ PAM_AUTHTOK_DISABLE_AGING, "PAM_AUTHTOK_DISABLE_AGING" },
	{ PAM_TRY_AGAIN, "PAM_TRY_AGAIN" },
	{ PAM_IGNORE, "PAM_IGNORE" },
	{ PAM_ABORT, "PAM_ABORT" },
	{ PAM_AUTHTOK_EXPIRED, "PAM_AUTHTOK_EXPIRED" },
	{ PAM_MODULE_UNKNOWN, "PAM_MODULE_UNKNOWN" },
	{ PAM_BAD_ITEM, "PAM_BAD_ITEM" },
	{ PAM_CONV_AGAIN, "PAM_CONV_AGAIN" },
	{ PAM_INCOMPLETE, "PAM_INCOMPLETE" },
};

static const char *pam_name(int code)
{
	static char other[32];
	for (size_t i = 0; i < sizeof(pam_names) / sizeof(pam_names[0]); i++)
		if (pam_names[i].code == code)
			return pam_names[i].name;
	snprintf(other, sizeof(other), "PAM_CODE_%d", code);
	return other;
}

static const struct { int sig; const char *name; } sig_names[] = {
	{ SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" }, { SIGILL, "ILL" },
	{ SIGTRAP, "TRAP" }, { SIGABRT, "ABRT" }, { SIGBUS, "BUS" }, { SIGFPE, "FPE" },
	{ SIGUSR1, "USR1" }, { SIGSEGV, "SEGV" }, { SIGUSR2, "USR2" }, { SIGPIPE, "PIPE" },
	{ SIGALRM, "ALRM" }, { SIGTERM, "TERM" }, { SIGSTKFLT, "STKFLT" }, { SIGCHLD, "CHLD" },
	{ SIGCONT, "CONT" }, { SIGTSTP, "TSTP" }, { SIGTTIN, "TTIN" }, { SIGTTOU, "TTOU" },
	{ SIGURG, "URG" }, { SIGXCPU, "XCPU" }, { SIGXFSZ, "XFSZ" }, { SIGVTALRM, "VTALRM" },
	{ SIGPROF, "PROF" }, { SIGWINCH, "WINCH" }, { SIGIO, "IO" }, { SIGPWR, "PWR" },
	{ SIGSYS, "SYS" },
};

/* A signal by name (with or without "SIG"), or 0; "all" is -1. */
static int sig_by_name(const char *s)
{
	if (strcmp(s, "all") == 0)
		return -1;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(sig_names) / sizeof(sig_names[0]); i++)
		if (strcmp(sig_names[i].name, s) == 0)
			return sig_names[i].sig;
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v > 0 && v < NSIG ? (int)v : 0;
}

static const struct { int res; const char *name; } rl_names[] = {
	{ RLIMIT_AS, "AS" }, { RLIMIT_DATA, "DATA" }, { RLIMIT_STACK, "STACK" },
	{ RLIMIT_NOFILE, "NOFILE" }, { RLIMIT_FSIZE, "FSIZE" }, { RLIMIT_CPU, "CPU" },
	{ RLIMIT_NPROC, "NPROC" }, { RLIMIT_CORE, "CORE" },
};

static int parse_size(const char *s, const char *stop, rlim_t *out)
{
	if ((size_t)(stop - s) == 9 && strncmp(s, "unlimited", 9) == 0) {
		*out = RLIM_INFINITY;
		return 0;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno)
		return -1;
	if (end < stop) {
		unsigned long long m = *end == 'K' || *end == 'k' ? 1ULL << 10
				     : *end == 'M' || *end == 'm' ? 1ULL << 20
				     : *end == 'G' || *end == 'g' ? 1ULL << 30 : 0;
		if (m == 0 || end + 1 != stop)
			return -1;
		v *= m;
	}
	*out = (rlim_t)v;
	return 0;
}

struct rl { int res; struct rlimit v; };

static int parse_rlimit(const char *arg, struct rl *out)
{
	const char *eq = strchr(arg, '=');
	if (eq == NULL)
		return -1;
	out->res = -1;
	for (size_t i = 0; i < sizeof(rl_names) / sizeof(rl_names[0]); i++)
		if (strlen(rl_names[i].name) == (size_t)(eq - arg) &&
		    strncmp(rl_names[i].name, arg, (size_t)(eq - arg)) == 0)
			out->res = rl_names[i].res;
	if (out->res < 0)
		return -1;
	const char *v = eq + 1, *colon = strchr(v, ':');
	const char *end = v + strlen(v);
	if (parse_size(v, colon ? colon : end, &out->v.rlim_cur) < 0)
		return -1;
	struct rlimit now;
	if (colon == NULL) {
		out->v.rlim_max = out->v.rlim_cur;
	} else if (strcmp(colon + 1, "keep") == 0) {
		/* the soft limit only: a process may raise it again itself */
		if (getrlimit(out->res, &now) < 0)
			return -1;
		out->v.rlim_max = now.rlim_max;
	} else if (parse_size(colon + 1, end, &out->v.rlim_max) < 0) {
		return -1;
	}
	return 0;
}

/* A copy with C escapes resolved. */
static char *unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	if (out == NULL)
		return NULL;
	while (*s) {
		if (*s != '\\' || s[1] == '\0') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'b': *o++ = '\b'; s++; break;
		case 'n': *o++ = '\n'; s++; break;
		case 'r': *o++ = '\r'; s++; break;
		case 't': *o++ = '\t'; s++; break;
		case 'a': *o++ = '\a'; s++; break;
		case 'e': *o++ = 0x1b; s++; break;
		case '\\': *o++ = '\\'; s++; break;
		case 'x': {
			unsigned v = 0;
			int k = 0;
			s++;
			while (k < 2 && isxdigit((unsigned char)*s)) {
				v = v * 16 + (unsigned)(isdigit((unsigned char)*s) ? *s - '0'
							: (tolower((unsigned char)*s) - 'a' + 10));
				s++;
				k++;
			}
			*o++ = (char)v;
			break;
		}
		default:
			if (*s >= '0' && *s <= '7') {
				unsigned v = 0;
				for (int k = 0; k < 3 && *s >= '0' && *s <= '7'; k++)
					v = v * 8 + (unsigned)(*s++ - '0');
				*o++ = (char)v;
			} else {
				*o++ = *s++;
			}
		}
	}
	*o = '\0';
	return out;
}

static void show(const char *kind, const char *text)
{
	if (quiet)
		return;
	/* one line per message: newlines inside are shown as \n */
	printf("%s: ", kind);
	for (const char *p = text ? text : ""; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else
			putchar(*p);
	}
	putchar('\n');
}

/* /proc/PID/limits: "Max open files            1024                 1048576              files" */
static void probe_limits(int pid)
{
	static const struct { const char *label, *name; } map[] = {
		{ "Max address space", "AS" }, { "Max data size", "DATA" },
		{ "Max stack size", "STACK" }, { "Max open files", "NOFILE" },
		{ "Max file size", "FSIZE" }, { "Max cpu time", "CPU" },
		{ "Max processes", "NPROC" }, { "Max core file size", "CORE" },
	};
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/limits", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
			size_t n = strlen(map[i].label);
			char soft[32], hard[32];
			if (strncmp(line, map[i].label, n) == 0 && line[n] == ' ' && strlen(line) > 26 &&
			    sscanf(line + 26, "%31s %31s", soft, hard) == 2)
				printf(" %s=%s:%s", map[i].name, soft, hard);
		}
	}
	fclose(f);
}

/* The application's own descriptors, "self: fds=0,1,2,5". */
static void probe_self(void)
{
	char path[64];
	printf("self: fds=");
	for (int fd = 0, first = 1; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (access(path, F_OK) == 0) {
			printf("%s%d", first ? "" : ",", fd);
			first = 0;
		}
	}
	printf("\n");
}

/* The parent pid of pid, from /proc/PID/stat; -1 if unknown. */
static int parent_of(int pid)
{
	char path[64], buf[1024];
	int ppid = -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *s = fopen(path, "r");
	if (s != NULL && fgets(buf, sizeof(buf), s) != NULL) {
		char *rp = strrchr(buf, ')');
		char st;
		if (rp == NULL || sscanf(rp + 1, " %c %d", &st, &ppid) != 2)
			ppid = -1;
	}
	if (s != NULL)
		fclose(s);
	return ppid;
}

static void probe_one(int pid)
{
	char path[96], buf[4096];
	printf("helper: pid=%d", pid);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *s = fopen(path, "r");
	if (s != NULL && fgets(buf, sizeof(buf), s) != NULL) {
		char *rp = strrchr(buf, ')');
		char st;
		int ppid, pgrp, sid;
		if (rp != NULL && sscanf(rp + 1, " %c %d %d %d", &st, &ppid, &pgrp, &sid) == 4)
			printf(" session=%d pgrp=%d", sid, pgrp);
	}
	if (s != NULL)
		fclose(s);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	s = fopen(path, "r");
	while (s != NULL && fgets(buf, sizeof(buf), s) != NULL) {
		char v[64];
		if (sscanf(buf, "Umask: %63s", v) == 1)
			printf(" umask=%s", v);
		else if (sscanf(buf, "SigBlk: %63s", v) == 1)
			printf(" sigblk=%s", v);
		else if (sscanf(buf, "SigIgn: %63s", v) == 1)
			printf(" sigign=%s", v);
		else if (sscanf(buf, "Cpus_allowed_list: %63s", v) == 1)
			printf(" cpus=%s", v);
	}
	if (s != NULL)
		fclose(s);
	printf(" nice=%d policy=%d", getpriority(PRIO_PROCESS, (id_t)pid),
	       sched_getscheduler((pid_t)pid));
	snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf(" cwd=%s", n > 0 ? buf : "?");
	probe_limits(pid);
	printf("\n");
}

/* Every child of this process, found by its parent pid in /proc (the
 * task's children file can miss a child that was just forked). */
static void probe_helper(void)
{
	probe_self();
	DIR *d = opendir("/proc");
	struct dirent *e;
	int me = (int)getpid(), found = 0;
	while (d != NULL && (e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == me)
			continue;
		if (parent_of((int)pid) == me) {
			probe_one((int)pid);
			found++;
		}
	}
	if (d != NULL)
		closedir(d);
	if (!found)
		printf("probe: no helper process found\n");
}

static int conv_fn(int n, const struct pam_message **msg, struct pam_response **resp,
		   void *appdata)
{
	(void)appdata;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		int style = msg[i]->msg_style;
		if (style == PAM_ERROR_MSG || style == PAM_TEXT_INFO) {
			show("msg", msg[i]->msg);
			continue;
		}
		show("prompt", msg[i]->msg);
		if (probe)
			probe_helper();
		if (next_answer >= n_answers) {
			for (int j = 0; j < i; j++)
				if (r[j].resp != NULL) {
					explicit_bzero(r[j].resp, strlen(r[j].resp));
					free(r[j].resp);
				}
			free(r);
			show("conv", "no answer left: PAM_CONV_ERR");
			return PAM_CONV_ERR;
		}
		r[i].resp = unescape(answers[next_answer++]);
		if (r[i].resp == NULL) {
			free(r);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static void usage(void)
{
	fputs("usage: pamdrive --service S (--user U | --users FILE) [--rhost R] [--tty T]\n"
	      "                [--answer TEXT]... [--putenv NAME=VALUE]...\n"
	      "                [--rlimit NAME=SOFT[:HARD]]... [--ignore SIG]... [--block SIG]...\n"
	      "                [--umask OCTAL] [--chdir DIR] [--nice N] [--idle] [--cpu N] [--probe]\n"
	      "                [--parallel N]\n"
	      "                [--quiet] STAGE...   (auth acct setcred open close env sigchld)\n",
	      stderr);
}

static const char *service, *rhost, *tty, *chdir_to;
static long umask_to = -1;
static const char *putenvs[MAX_ITEMS];
static size_t n_putenvs;
static struct rl rlimits[MAX_ITEMS];
static size_t n_rlimits;
static int ignores[MAX_ITEMS], blocks[MAX_ITEMS];
static size_t n_ignores, n_blocks;
static const char *stages[MAX_ITEMS];
static size_t n_stages;

static int valid_stage(const char *s)
{
	static const char *const known[] = { "auth", "acct", "setcred", "open", "close", "env",
					     "sigchld", NULL };
	for (size_t i = 0; known[i]; i++)
		if (strcmp(s, known[i]) == 0)
			return 1;
	return strncmp(s, "user=", 5) == 0 && s[5] != '\0';
}

/* What the attacker did before exec: limits, dispositions, mask. */
static void apply_caller_state(void)
{
	if (nice_to != -100 && setpriority(PRIO_PROCESS, 0, nice_to) < 0)
		fprintf(stderr, "pamdrive: setpriority: %s\n", strerror(errno));
	if (idle_sched) {
		struct sched_param sp = { .sched_priority = 0 };
		if (sched_setscheduler(0, SCHED_IDLE, &sp) < 0)
			fprintf(stderr, "pamdrive: SCHED_IDLE: %s\n", strerror(errno));
	}
	if (cpu_to >= 0) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu_to, &one);
		if (sched_setaffinity(0, sizeof(one), &one) < 0)
			fprintf(stderr, "pamdrive: sched_setaffinity: %s\n", strerror(errno));
	}
	if (umask_to >= 0)
		umask((mode_t)umask_to);
	if (chdir_to != NULL && chdir(chdir_to) < 0)
		fprintf(stderr, "pamdrive: chdir %s: %s\n", chdir_to, strerror(errno));
	for (size_t i = 0; i < n_rlimits; i++)
		if (setrlimit(rlimits[i].res, &rlimits[i].v) < 0)
			fprintf(stderr, "pamdrive: setrlimit: %s\n", strerror(errno));
	for (size_t i = 0; i < n_ignores; i++) {
		if (ignores[i] > 0) {
			signal(ignores[i], SIG_IGN);
			continue;
		}
		for (int s = 1; s < NSIG; s++)
			if (s != SIGKILL && s != SIGSTOP)
				signal(s, SIG_IGN); /* glibc's reserved ones fail: fine */
	}
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < n_blocks; i++) {
		if (blocks[i] > 0)
			sigaddset(&set, blocks[i]);
		else
			sigfillset(&set);
	}
	if (n_blocks > 0)
		sigprocmask(SIG_BLOCK, &set, NULL);
}

static int start_one(const char *user, const char *prefix, pam_handle_t **pamh);
static void stages_one(pam_handle_t *pamh, const char *prefix);

static void read_byte(int fd)
{
	char c;
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
}

/* --parallel: pam_wrapper sets itself up again in every forked child
 * (its atfork handler), each in a /tmp/pam.X directory it picks by lstat
 * and then mkdir: two children starting together can take the same one
 * and lose it. So the children take turns for pam_start (a one-byte token
 * passed round a pipe), say they are ready, and wait on a gate the parent
 * opens (closes) once all are: their stages, what the test is about,
 * start together. Each child ends with exit, which removes its own
 * pam_wrapper directory. */
static int run_parallel(const char *user, int n)
{
	int turn[2], ready[2], gate[2];
	if (pipe(turn) < 0 || pipe(ready) < 0 || pipe(gate) < 0) {
		perror("pamdrive: pipe");
		return 2;
	}
	if (write(turn[1], "t", 1) != 1)
		return 2;
	fflush(stdout);
	for (int k = 0; k < n; k++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("pamdrive: fork");
			return 2;
		}
		if (pid == 0) {
			char prefix[16];
			pam_handle_t *pamh = NULL;
			close(gate[1]);
			snprintf(prefix, sizeof(prefix), "%d ", k);
			read_byte(turn[0]);
			int ok = start_one(user, prefix, &pamh);
			if (write(turn[1], "t", 1) != 1 || write(ready[1], "r", 1) != 1)
				_exit(3);
			read_byte(gate[0]); /* EOF: the gate opened */
			if (ok)
				stages_one(pamh, prefix);
			fflush(stdout);
			exit(0);
		}
	}
	close(gate[0]);
	for (int k = 0; k < n; k++)
		read_byte(ready[0]);
	close(gate[1]);
	int status, bad = 0;
	while (wait(&status) > 0)
		bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	if (bad > 0)
		printf("children failed: %d\n", bad);
	return bad > 0;
}

static int start_one(const char *user, const char *prefix, pam_handle_t **pamh)
{
	static struct pam_conv conv = { conv_fn, NULL };
	next_answer = 0;
	int rc = pam_start(service, user, &conv, pamh);
	if (rc != PAM_SUCCESS) {
		printf("%sstart=%s\n", prefix, pam_name(rc));
		return 0;
	}
	if (rhost != NULL)
		pam_set_item(*pamh, PAM_RHOST, rhost);
	if (tty != NULL)
		pam_set_item(*pamh, PAM_TTY, tty);
	for (size_t i = 0; i < n_putenvs; i++) {
		rc = pam_putenv(*pamh, putenvs[i]);
		if (rc != PAM_SUCCESS)
			printf("%sputenv=%s\n", prefix, pam_name(rc));
	}
	return 1;
}

static void run_one(const char *user, const char *prefix)
{
	pam_handle_t *pamh = NULL;
	if (start_one(user, prefix, &pamh))
		stages_one(pamh, prefix);
}

static void stages_one(pam_handle_t *pamh, const char *prefix)
{
	int rc;
	apply_caller_state();
	int last = PAM_SUCCESS;
	for (size_t i = 0; i < n_stages; i++) {
		const char *s = stages[i];
		if (strcmp(s, "env") == 0) {
			char **env = pam_getenvlist(pamh);
			for (size_t k = 0; env != NULL && env[k] != NULL; k++) {
				printf("%senv: %s\n", prefix, env[k]);
				free(env[k]);
			}
			free(env);
			continue;
		}
		if (strncmp(s, "user=", 5) == 0) {
			rc = pam_set_item(pamh, PAM_USER, s + 5);
			printf("%s%s %s\n", prefix, s, pam_name(rc));
			continue;
		}
		if (strcmp(s, "sigchld") == 0) {
			struct sigaction sa;
			sigaction(SIGCHLD, NULL, &sa);
			printf("%ssigchld=%s\n", prefix, sa.sa_handler == SIG_IGN ? "SIG_IGN"
						      : sa.sa_handler == SIG_DFL ? "SIG_DFL" : "handler");
			continue;
		}
		if (strcmp(s, "auth") == 0)
			rc = pam_authenticate(pamh, 0);
		else if (strcmp(s, "acct") == 0)
			rc = pam_acct_mgmt(pamh, 0);
		else if (strcmp(s, "setcred") == 0)
			rc = pam_setcred(pamh, PAM_ESTABLISH_CRED);
		else if (strcmp(s, "open") == 0)
			rc = pam_open_session(pamh, 0);
		else
			rc = pam_close_session(pamh, 0);
		printf("%s%s=%s\n", prefix, s, pam_name(rc));
		last = rc;
	}
	pam_end(pamh, last);
}

int main(int argc, char **argv)
{
	const char *user = NULL, *users = NULL;
	int parallel = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int takes = 1;
		if (strcmp(a, "--quiet") == 0) {
			quiet = 1;
			takes = 0;
		} else if (strcmp(a, "--probe") == 0) {
			probe = 1;
			takes = 0;
		} else if (strcmp(a, "--idle") == 0) {
			idle_sched = 1;
			takes = 0;
		} else if (a[0] == '-' && a[1] == '-' && v == NULL) {
			usage();
			return 2;
		} else if (strcmp(a, "--service") == 0) {
			service = v;
		} else if (strcmp(a, "--user") == 0) {
			user = v;
		} else if (strcmp(a, "--users") == 0) {
			users = v;
		} else if (strcmp(a, "--rhost") == 0) {
			rhost = v;
		} else if (strcmp(a, "--tty") == 0) {
			tty = v;
		} else if (strcmp(a, "--chdir") == 0) {
			chdir_to = v;
		} else if (strcmp(a, "--parallel") == 0) {
			parallel = atoi(v);
			if (parallel < 1 || parallel > 512) {
				fprintf(stderr, "pamdrive: bad --parallel %s\n", v);
				return 2;
			}
		} else if (strcmp(a, "--nice") == 0) {
			nice_to = atoi(v);
		} else if (strcmp(a, "--cpu") == 0) {
			cpu_to = atoi(v);
		} else if (strcmp(a, "--umask") == 0) {
			char *end;
			umask_to = strtol(v, &end, 8);
			if (*v == '\0' || *end || umask_to < 0 || umask_to > 0777) {
				fprintf(stderr, "pamdrive: bad --umask %s\n", v);
				return 2;
			}
		} else if (strcmp(a, "--answer") == 0 && n_answers < MAX_ITEMS) {
			answers[n_answers++] = v;
		} else if (strcmp(a, "--putenv") == 0 && n_putenvs < MAX_ITEMS) {
			putenvs[n_putenvs++] = v;
		} else if (strcmp(a, "--rlimit") == 0 && n_rlimits < MAX_ITEMS) {
			if (parse_rlimit(v, &rlimits[n_rlimits]) < 0) {
				fprintf(stderr, "pamdrive: bad --rlimit %s\n", v);
				return 2;
			}
			n_rlimits++;
		} else if ((strcmp(a, "--ignore") == 0 && n_ignores < MAX_ITEMS) ||
			   (strcmp(a, "--block") == 0 && n_blocks < MAX_ITEMS)) {
			int s = sig_by_name(v);
			if (s == 0) {
				fprintf(stderr, "pamdrive: bad signal %s\n", v);
				return 2;
			}
			if (a[2] == 'i')
				ignores[n_ignores++] = s;
			else
				blocks[n_blocks++] = s;
		} else if (a[0] != '-' && valid_stage(a) && n_stages < MAX_ITEMS) {
			stages[n_stages++] = a;
			takes = 0;
		} else {
			fprintf(stderr, "pamdrive: bad argument %s\n", a);
			usage();
			return 2;
		}
		i += takes;
	}
	if (service == NULL || (user == NULL) == (users == NULL) || n_stages == 0) {
		usage();
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (parallel > 0 && users == NULL)
		return run_parallel(user, parallel);
	if (users == NULL) {
		run_one(user, "");
		return 0;
	}
	FILE *f = fopen(users, "r");
	if (f == NULL) {
		fprintf(stderr, "pamdrive: %s: %s\n", users, strerror(errno));
		return 2;
	}
	char line[512], prefix[540];
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		snprintf(prefix, sizeof(prefix), "%s ", line);
		run_one(line, prefix);
	}
	fclose(f);
	return 0;
}
