/*
 * module.h - the parts of pam_tokengate.so. The module never touches the
 * network, crypto or the store: it reads its arguments and PAM items, runs
 * the conversation, and relays both to tokengate-helper.
 */
#ifndef TG_MODULE_H
#define TG_MODULE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <security/pam_modules.h>

#include "proto.h"
#include "tokengate.h"

#define TG_EXPORT __attribute__((visibility("default")))
#define TG_DATA_AUTH "tokengate_auth"
#define TG_DATA_SESSION "tokengate_session"	/* the login's session id, from the
						   first stage that has one */
#define TG_ENV_SESSION "TOKENGATE_SESSION"	/* the same, from session open on */
#define TG_ENV_AUTH "TOKENGATE_AUTH"	/* the helper's proof that tokengate
					   authenticated the user (lib/authproof.c) */

enum tg_stage { TG_STAGE_AUTH, TG_STAGE_SETCRED, TG_STAGE_ACCOUNT,
		TG_STAGE_OPEN_SESSION, TG_STAGE_CLOSE_SESSION };

struct tg_args {
	bool debug;
	bool use_first_pass;
	bool try_first_pass;
	const char *config;	/* NULL: the helper's compiled-in path */
	const char *kind;	/* NULL, "access" or "id" */
	unsigned timeout_s;	/* per helper step */
	const char *helper;	/* compiled-in path (test builds: helper=) */
	bool require_session;	/* account: no session is a denial */
	bool noninteractive;	/* never prompt: decide from what is stored */
	bool have_clock;	/* test builds: clock= */
	long long clock_offset;
};

/* A request's context, gathered from PAM items. */
struct tg_call {
	pam_handle_t *pamh;
	enum tg_stage stage;
	struct tg_args args;
	const char *user;
	const char *service;
	const char *rhost;
	uint64_t start_ns;
	bool have_conv;
	const char *tty;	/* PAM_TTY, or NULL */
	bool silent;		/* PAM_SILENT: no informational messages */
	bool have_uid;		/* the user has a local account */
	uid_t uid;
};

struct tg_helper {
	pid_t pid;
	int fd;
	struct sigaction old_chld;	/* the application's SIGCHLD, restored */
	bool chld_saved;
};

/* What the helper answered. */
struct tg_outcome {
	tg_rc rc;
	bool helper_ok;		/* a well-formed RESULT and a clean exit */
	const char *failure;	/* why not, for the audit record */
	char *keep;		/* token kept for the account stage (secret) */
	char *session;		/* open_session: the new session's id */
	char *proof;		/* auth: the proof for setcred in another process */
};

int tg_args_parse(pam_handle_t *pamh, int argc, const char **argv,
		  struct tg_args *a);

int tg_helper_start(const char *path, struct tg_helper *h);
/* Closes the channel and reaps the helper, killing it after grace_ms.
 * Returns 1 if it exited with status 0, else 0; *exit_code is its exit
 * status, or -1 when killed by a signal or unknown. */
int tg_helper_finish(struct tg_helper *h, unsigned grace_ms, int *exit_code);

/* Runs one helper exchange: the request, any prompts, the result. */
void tg_run_helper(struct tg_call *c, struct tg_msg *req, struct tg_outcome *o);

/* Wipes and frees a secret string. */
void tg_wipe_free(char *s);

/* Shows a prompt; *answer is a new string the caller wipes and frees. */
int tg_converse(pam_handle_t *pamh, int style, const char *text, char **answer);

/* The PAM code for a result at a stage: the result table's (lib/rc.c),
 * the only mapping there is. claimed: at account, the user is tokengate's
 * (authenticated by it in this handle, or require_session); elsewhere
 * ignored. */
int tg_pam_code(enum tg_stage stage, bool claimed, tg_rc result);
/* What the helper's answer is as a result: its code, or
 * TG_R_HELPER_FAILED when there was no well-formed answer. */
tg_rc tg_outcome_result(const struct tg_outcome *o);
/* The module's own audit record, for when the helper could not write one:
 * the reason and priority of result (the result table). */
void tg_module_audit(const struct tg_call *c, tg_rc result, const char *detail);

#endif
