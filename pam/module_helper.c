/*
 * module_helper.c - starting tokengate-helper and talking to it.
 *
 * fork + execve from a compiled-in absolute path with an empty environment;
 * stdin and stdout are one end of a socket pair (so writes can use
 * MSG_NOSIGNAL), stderr is /dev/null, every other descriptor is closed.
 * A helper that is missing, crashes, hangs, or says anything malformed is
 * a failure, never a success.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "module.h"

/* Moves fd to 3 or above: an application started with 0, 1 or 2 closed
 * must not have them reused here, or the child's dup2 onto 0 and 1 would
 * clobber its own ends. */
static int above_stdio(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

/* SIGCHLD at its default from fork to wait, as pam_unix does around
 * unix_chkpwd: an application that ignores it (or catches it and reaps
 * every child) would make the helper's exit status unknowable. */
static void chld_default(struct tg_helper *h)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	h->chld_saved = sigaction(SIGCHLD, &dfl, &h->old_chld) == 0;
}

static void chld_restore(struct tg_helper *h)
{
	if (h->chld_saved)
		sigaction(SIGCHLD, &h->old_chld, NULL);
	h->chld_saved = false;
}

int tg_helper_start(const char *path, struct tg_helper *h)
{
	int sv[2];
	h->pid = -1;
	h->fd = -1;
	h->chld_saved = false;
	if (path == NULL || path[0] != '/')
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	sv[0] = above_stdio(sv[0]);
	sv[1] = above_stdio(sv[1]);
	int devnull = above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC));
	if (devnull < 0 || sv[0] < 0 || sv[1] < 0) {
		if (sv[0] >= 0)
			close(sv[0]);
		if (sv[1] >= 0)
			close(sv[1]);
		if (devnull >= 0)
			close(devnull);
		return -1;
	}
	chld_default(h);
	pid_t pid = fork();
	if (pid == 0) {
		/* Child: async-signal-safe calls only. */
		char argv0[] = "tokengate-helper";
		char *argv[] = { argv0, NULL };
		char *envp[] = { NULL };
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(sv[1], 0) < 0 || dup2(sv[1], 1) < 0 || dup2(devnull, 2) < 0)
			_exit(126);
		if (close_range(3, ~0U, 0) < 0)
			for (int fd = 3; fd < 1024; fd++)
				close(fd);
		execve(path, argv, envp);
		_exit(127);
	}
	close(sv[1]);
	close(devnull);
	if (pid < 0) {
		close(sv[0]);
		chld_restore(h);
		return -1;
	}
	h->pid = pid;
	h->fd = sv[0];
	return 0;
}

int tg_helper_finish(struct tg_helper *h, unsigned grace_ms, int *exit_code)
{
	int status = 0, clean = 0;
	*exit_code = -1;
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	if (h->pid <= 0) {
		chld_restore(h);
		return 0;
	}
	uint64_t until = tg_monotonic_ms() + grace_ms;
	for (;;) {
		pid_t r = waitpid(h->pid, &status, WNOHANG);
		if (r == h->pid) {
			clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
			if (WIFEXITED(status))
				*exit_code = WEXITSTATUS(status);
			break;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) { /* ECHILD: someone else reaped it; status unknown */
			clean = 0;
			break;
		}
		if (tg_monotonic_ms() >= until) {
			kill(h->pid, SIGKILL);
			while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
				;
			clean = 0;
			break;
		}
		struct timespec ts = { 0, 200000 }; /* 0.2 ms */
		nanosleep(&ts, NULL);
	}
	h->pid = -1;
	chld_restore(h);
	return clean;
}

/* Answers one prompt from the helper through the conversation. */
static int answer_prompt(struct tg_call *c, struct tg_helper *h,
			 const struct tg_msg *m, uint64_t deadline)
{
	uint32_t style = 0;
	char *text = tg_msg_get_str(m, TG_T_TEXT);
	char *answer = NULL;
	struct tg_msg reply;
	int rc = -1;
	if (text == NULL || !tg_msg_get_u32(m, TG_T_STYLE, &style))
		goto out;
	int pam_style = style == TG_STYLE_ECHO_OFF ? PAM_PROMPT_ECHO_OFF
		      : style == TG_STYLE_ECHO_ON ? PAM_PROMPT_ECHO_ON
		      : style == TG_STYLE_ERROR ? PAM_ERROR_MSG
		      : style == TG_STYLE_INFO ? PAM_TEXT_INFO : -1;
	if (pam_style < 0)
		goto out;
	tg_msg_init(&reply, TG_MSG_ANSWER);
	bool message = pam_style == PAM_ERROR_MSG || pam_style == PAM_TEXT_INFO;
	if (c->have_conv && !(message && c->silent) &&
	    tg_converse(c->pamh, pam_style, text, &answer) == PAM_SUCCESS &&
	    answer != NULL)
		tg_msg_add_str(&reply, TG_T_TEXT, answer);
	rc = tg_msg_send(h->fd, &reply, deadline);
	tg_msg_free(&reply);
out:
	free(text);
	tg_wipe_free(answer);
	return rc;
}

/* How long the helper's next step may take: timeout=, or longer when the
 * helper announced a longer wait (device polling, bounded by the
 * helper's own device_timeout), never past 600 s. */
static uint64_t next_step(const struct tg_msg *m, uint64_t step)
{
	uint32_t wait = 0;
	if (!tg_msg_get_u32(m, TG_T_WAIT, &wait) || wait == 0 || wait > 600)
		return step;
	uint64_t ms = (uint64_t)wait * 1000u + 5000u; /* the last poll's round trip */
	return ms > step ? ms : step;
}

static void read_result(const struct tg_msg *m, struct tg_outcome *o)
{
	uint32_t rc;
	if (!tg_msg_get_u32(m, TG_T_RC, &rc) || rc >= TG_RC_COUNT) {
		o->failure = "helper_garbage";
		return;
	}
	o->rc = (tg_rc)rc;
	o->keep = tg_msg_get_str(m, TG_T_KEEP);
	o->session = tg_msg_get_str(m, TG_T_SESSION);
	o->proof = tg_msg_get_str(m, TG_T_PROOF);
	o->helper_ok = true;
}

void tg_run_helper(struct tg_call *c, struct tg_msg *req, struct tg_outcome *o)
{
	struct tg_helper h;
	o->rc = TG_E_INTERNAL;
	o->helper_ok = false;
	o->failure = NULL;
	o->keep = NULL;
	o->session = NULL;
	o->proof = NULL;
	if (tg_helper_start(c->args.helper, &h) < 0) {
		o->failure = "helper_start_failed";
		tg_module_audit(c, TG_E_INTERNAL, o->failure);
		return;
	}
	const uint64_t step = (uint64_t)c->args.timeout_s * 1000u;
	uint64_t deadline = tg_monotonic_ms() + step;
	bool done = false;
	if (tg_msg_send(h.fd, req, deadline) < 0)
		o->failure = "helper_unavailable";
	while (!done && o->failure == NULL) {
		struct tg_msg m;
		if (tg_msg_recv(h.fd, &m, deadline) < 0) {
			o->failure = errno == ETIMEDOUT ? "helper_timeout"
				   : errno == EPROTO ? "helper_garbage"
						     : "helper_died";
			break;
		}
		if (m.type == TG_MSG_PROMPT) {
			/* The person's typing time is not the helper's. */
			if (answer_prompt(c, &h, &m, tg_monotonic_ms() + step) < 0)
				o->failure = "helper_garbage";
			deadline = tg_monotonic_ms() + next_step(&m, step);
		} else if (m.type == TG_MSG_RESULT) {
			read_result(&m, o);
			done = true;
		} else {
			o->failure = "helper_garbage";
		}
		tg_msg_free(&m);
	}
	/* After a result, the helper exits at once; after a failure give it a
	 * moment to report how it ended, but none at all after a timeout. */
	int code;
	unsigned grace = o->failure == NULL ? 1000
		       : strcmp(o->failure, "helper_timeout") == 0 ? 0 : 100;
	int clean = tg_helper_finish(&h, grace, &code);
	if (o->failure == NULL && !clean)
		o->failure = "helper_exit_status";
	if (code == 127 && o->failure != NULL)
		o->failure = "helper_missing"; /* execve failed */
	if (o->failure != NULL) {
		o->helper_ok = false;
		o->rc = strcmp(o->failure, "helper_timeout") == 0 ? TG_E_TIMEOUT
								   : TG_E_INTERNAL;
		tg_wipe_free(o->keep);
		o->keep = NULL;
		free(o->session);
		o->session = NULL;
		free(o->proof);
		o->proof = NULL;
		tg_module_audit(c, o->rc, o->failure);
	}
}
