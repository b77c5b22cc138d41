/*
 * helper.h - tokengate-helper, the privileged back half of the module:
 * config, keys, crypto (and later network and store) run here, in a fresh
 * process with an empty environment.
 */
#ifndef TG_HELPER_H
#define TG_HELPER_H

#include <stdbool.h>
#include <stdint.h>

#include "ctx.h"
#include "proto.h"
#include "tokengate.h"

struct hctx {
	uint32_t op;
	uint32_t flags;
	char *service;
	char *user;
	char *rhost;
	char *tty;		/* PAM_TTY, or NULL */
	char *config_path;
	char *kind;		/* module's kind= override, or NULL */
	char *authtok;		/* secret */
	uint64_t start_ns;
	int fd;			/* the socket to the module (stdin/stdout) */
	tg_config *cfg;
	struct tg_ctx x;	/* the library's context: built with the config,
				   its clock refreshed by helper_ctx */
	bool json;		/* audit_format = json */
	char *keep;		/* secret handed back for the account stage */
	bool have_uid;		/* the user has a local account: a store entry */
	bool sshd_invalid;	/* sshd answered a prompt with its placeholder: it
				   took the name for an invalid user */
	uint32_t uid;
	int64_t clock_offset;	/* test builds of the module only */
	char *session_in;	/* close_session: TOKENGATE_SESSION */
	char *session_out;	/* open_session: the new session's id */
	char *proof_in;		/* setcred: TOKENGATE_AUTH from the PAM environment */
	char *proof_out;	/* auth: the proof of this success */
	struct tg_shortfall shortfall;	/* the last validation's (ctx.h) */
	bool asked_strength;	/* a device login of this call asked for the
				   service's max_age / acr_values */
	bool step_up;		/* the decisions made now are a step-up's */
	char sid[40];		/* this PAM login's session id: in every record,
				   from its auth to its session close */
	char login_id[40];	/* the stored session's login (its login_id) */
	bool proof_checked;	/* proof_in verified (helper_proof): */
	tg_rc proof_rc;		/* its result, and */
	char proof_sid[40];	/* the session id it carries */
};

/* One step's outcome, for the decision's audit record. */
struct hresult {
	tg_rc rc;
	const char *method;
	const char *detail;
	const tg_token *token;
	char fingerprint[24];
	const char *iss, *sub;	/* from the session when there is no token */
	const char *issuer;	/* the [issuer NAME] of iss, or NULL */
	const char *step;	/* the chain step that decided, or NULL */
	int64_t grace_left;	/* seconds, when step is grace */
	const char *login;	/* the stored session's login id, or NULL */
	const char *session_token;	/* what the session rests on (access, id), or NULL */
};

/* Session, signals, mask, resource limits, umask, cwd: ours, before
 * anything else (helper_process.c). -1 (audited) when any of it fails. */
int helper_own_process(void);

int helper_prompt(struct hctx *c, uint32_t style, const char *text,
		  char **answer);
/* The same, telling the module that the helper's next step may take up to
 * wait_s seconds (0: the usual step timeout). */
int helper_prompt_wait(struct hctx *c, uint32_t style, const char *text,
		       uint32_t wait_s, char **answer);
/* Can a person answer prompts here (a conversation, not cron)? */
bool helper_interactive(const struct hctx *c);
void helper_message(struct hctx *c, uint32_t style, const char *text);

void helper_audit_open(void);
void helper_audit_decision(const struct hctx *c, const char *event,
			   const struct hresult *r);
void helper_audit_simple(const struct hctx *c, const char *event,
			 const char *result, const char *reason,
			 const char *detail, int prio);
void helper_debug(const struct hctx *c, const char *msg);

/* The plumbing every stage shares (helper_common.c). */
tg_rc helper_load_config(struct hctx *c);
/* This PAM login's session id (c->sid): the module's, kept in the PAM
 * handle; else the one our proof of auth carries (sshd's other process);
 * else a new one. Called by helper_load_config. */
void helper_session_id(struct hctx *c);
/* Is proof_in our proof of auth for this user and service (authproof.h)?
 * Verified once per call: the session id and setcred both ask. */
tg_rc helper_proof(struct hctx *c);
int64_t helper_now(const struct hctx *c);
/* The library's context for this step: config, service, user, uid,
 * rhost, the clock now, and the helper's audit sink. */
const struct tg_ctx *helper_ctx(struct hctx *c);

/* The credential of the auth stage. */
enum helper_cred_kind { HELPER_CRED_NONE, HELPER_CRED_TOKEN, HELPER_CRED_PASSWORD,
			HELPER_CRED_EMPTY /* Enter alone at the prompt */ };
struct helper_cred {
	enum helper_cred_kind kind;
	char *secret;
};
/* PAM_AUTHTOK, with use_first_pass / try_first_pass, when it can be a
 * credential of the enabled methods: true (out->secret NULL: no memory). */
bool helper_cred_from_authtok(struct hctx *c, bool token_on, bool password_on,
			      struct helper_cred *out);
/* Asks for a token or password (never when non-interactive or with
 * use_first_pass); device_on offers Enter alone for a browser login. */
tg_rc helper_cred_prompt(struct hctx *c, bool token_on, bool password_on, bool device_on,
			 struct helper_cred *out);
/* A non-empty answer as a token (the rest read in pieces) or a password;
 * takes ownership of ans. */
tg_rc helper_cred_from_answer(struct hctx *c, char *ans, bool token_on, bool password_on,
			      struct helper_cred *out);
void helper_cred_clear(struct helper_cred *cr);
/* OpenSSH's placeholder for what an invalid user typed (helper_credential.c). */
bool helper_sshd_placeholder(const char *answer);
size_t helper_max_token_len(const struct hctx *c);

/* The token method's decision at a stage (validate, audit, message); on
 * success *valid, when asked for, receives the validated token. */
tg_rc helper_decide_token(struct hctx *c, const char *event, const char *tok, tg_rc early,
			  tg_token **valid);		/* helper_token.c */
tg_rc helper_authenticate(struct hctx *c);

/* The device method (RFC 8628). TG_OK with tokens in *t; or TG_OK with
 * cr->kind set when the person typed a credential at the device prompt
 * instead (typed methods on). Otherwise the failure, with a reason in
 * detail and a message already shown. */
struct tg_tokens;
tg_rc helper_device_obtain(struct hctx *c, size_t issuer_idx, bool token_on, bool password_on,
			   struct tg_tokens *t, struct helper_cred *cr, char *detail,
			   size_t detail_len);
tg_rc helper_account(struct hctx *c);
/* Step-up (helper_auth.c): a decision of event that refused only because
 * the login behind the token was not fresh or strong enough for the
 * service (c->shortfall) becomes a new device login asking for it (max_age,
 * acr_values), where a person can answer and the device method is on, once
 * per call. Returns the new decision, or rc when no step-up applies. */
bool helper_can_step_up(struct hctx *c);
tg_rc helper_step_up(struct hctx *c, const char *event, tg_rc rc);
/* The user's message for a refusal for freshness or strength. */
void helper_shortfall_message(struct hctx *c);
/* Was rc such a refusal? Then its record's detail, into buf. */
bool helper_shortfall_detail(const struct hctx *c, tg_rc rc, char *buf, size_t len);
/* setcred without our auth in the same process (sshd): is the proof in
 * the PAM environment ours? */
tg_rc helper_setcred(struct hctx *c);
tg_rc helper_open_session(struct hctx *c);
tg_rc helper_close_session(struct hctx *c);

/* People who exist only at the provider (helper_provision.c): the login
 * issuer when it has create_users = yes, else -1; a login's tokens into a
 * record (made or refreshed from the validated claims) and a session under
 * its uid; after a decision, a record's refresh (online) or disabling
 * (revoked). */
struct tg_tokens;
struct tg_chain_out;
long helper_provision_issuer(struct hctx *c);
tg_rc helper_provision_login(struct hctx *c, size_t idx, const char *method,
			     const struct tg_tokens *tok, const char *password,
			     struct tg_chain_out *o);
void helper_records_after(struct hctx *c, const struct json_t *sess,
			  const struct tg_chain_out *o);

/* The user's store entry, locked; *sess is the session or NULL. Corrupt
 * and refused files are audited here (helper_common.c). */
struct tg_store;
struct json_t;
tg_rc helper_store_open(struct hctx *c, struct tg_store **st, struct json_t **sess);
/* A decision of the chain at a stage, with its user message. */
struct tg_chain_out;
void helper_chain_report(struct hctx *c, const char *event, const char *method,
			 const struct tg_chain_out *o);

#endif
