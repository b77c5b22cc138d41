/*
 * pamseq - one PAM transaction through the real libpam (libpamtest), for
 * the sessions suite: authenticate, acct_mgmt, open_session, the PAM
 * environment, close_session, in one handle as a login program runs them.
 *
 *   pamseq SERVICE USER ANSWER
 *
 * Answers every prompt with ANSWER. With PAMSEQ_HOOK set, runs that shell
 * command before answering each prompt, the prompt's text in PAMSEQ_PROMPT
 * (a test approves a device login there, as a person would). Prints one line per step with its PAM
 * code name, every message the module showed ("msg: ..."), and the PAM
 * environment ("env: ..."). Exit 0 when every step returned PAM_SUCCESS.
 * With PAMSEQ_NO_AUTH=1 the transaction begins at acct_mgmt, as sudo's does
 * inside its timestamp_timeout (or sshd's after a public key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpamtest.h>
#include <security/pam_appl.h>

static const char *answer;

static int conv_fn(int n, const struct pam_message **msg, struct pam_response **resp,
		   void *appdata)
{
	(void)appdata;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		int style = msg[i]->msg_style;
		if (style == PAM_ERROR_MSG || style == PAM_TEXT_INFO) {
			printf("msg: %s\n", msg[i]->msg);
			continue;
		}
		printf("prompt: %s\n", msg[i]->msg);
		const char *hook = getenv("PAMSEQ_HOOK");
		if (hook != NULL && setenv("PAMSEQ_PROMPT", msg[i]->msg, 1) == 0 &&
		    system(hook) != 0)
			printf("hook: failed\n");
		r[i].resp = strdup(answer);
	}
	*resp = r;
	return PAM_SUCCESS;
}

static const char *op_name(enum pamtest_ops op)
{
	switch (op) {
	case PAMTEST_AUTHENTICATE: return "authenticate";
	case PAMTEST_ACCOUNT: return "acct_mgmt";
	case PAMTEST_OPEN_SESSION: return "open_session";
	case PAMTEST_CLOSE_SESSION: return "close_session";
	case PAMTEST_GETENVLIST: return "getenvlist";
	default: return "other";
	}
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: pamseq SERVICE USER ANSWER\n");
		return 2;
	}
	answer = argv[3];
	struct pam_testcase tc[] = {
		pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS),
		pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
		pam_test(PAMTEST_GETENVLIST, PAM_SUCCESS),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS),
	};
	size_t n = sizeof(tc) / sizeof(tc[0]);
	const char *no_auth = getenv("PAMSEQ_NO_AUTH");
	struct pam_testcase *t = tc;
	if (no_auth != NULL && strcmp(no_auth, "1") == 0) {
		t++;
		n--;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	enum pamtest_err e = _pamtest_conv(argv[1], argv[2], conv_fn, NULL, t, n, NULL);
	const struct pam_testcase *failed = e == PAMTEST_ERR_CASE ? _pamtest_failed_case(t, n) : NULL;
	for (size_t i = 0; i < n; i++) {
		if (failed != NULL && &t[i] > failed)
			break;
		printf("%s: %s\n", op_name(t[i].pam_operation),
		       &t[i] == failed ? "FAILED" : "PAM_SUCCESS");
		if (&t[i] == failed)
			printf("%s returned %d (%s)\n", op_name(t[i].pam_operation), t[i].op_rv,
			       pam_strerror(NULL, t[i].op_rv));
	}
	for (size_t i = 0; tc[3].case_out.envlist && tc[3].case_out.envlist[i]; i++)
		printf("env: %s\n", tc[3].case_out.envlist[i]);
	pamtest_free_env(tc[3].case_out.envlist);
	return e == PAMTEST_ERR_OK ? 0 : 1;
}
