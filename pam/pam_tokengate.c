/*
 * pam_tokengate.c - the PAM entry points: each is one line into the
 * dispatcher, which gathers the call's context, asks the helper, and maps
 * its answer to a PAM code through the result table (tg_pam_code): every
 * code returned here is one of its answers (an impossible stage aside).
 * Nothing here falls through to PAM_SUCCESS.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "module.h"
#include "username.h"

static void wipe_kept(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	tg_wipe_free(data);
}

/* PAM_USER must be a plain name: the library's rule for a login name. */
static bool sane_user(const char *u)
{
	return tg_login_name_ok(u);
}

/* The user's uid, when the account exists here: sessions are stored per
 * uid. Resolved in the application, whose NSS configuration is the one
 * that counts (the helper starts with an empty environment). 1: found;
 * 0: no such account (the answers glibc documents for "not found");
 * -1: NSS answers for PAM_USER with an account of another name (a
 * case-folding or trimming source: the application would log in that
 * account, not the name the token was checked against); -2: the lookup
 * failed, so whether the account has a session cannot be known. */
static int local_account(struct tg_call *c)
{
	struct passwd pw, *res = NULL;
	long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t len = sz > 0 && sz < 65536 ? (size_t)sz : 16384;
	for (;;) {
		char *buf = malloc(len);
		if (buf == NULL)
			return -2;
		int e = getpwnam_r(c->user, &pw, buf, len, &res);
		if (e == ERANGE && len < (1u << 20)) { /* a large entry (LDAP, SSSD) */
			free(buf);
			len *= 4;
			continue;
		}
		int r = 0;
		if (e == 0 && res != NULL) {
			r = strcmp(res->pw_name, c->user) == 0 ? 1 : -1;
			c->uid = res->pw_uid;
			c->have_uid = r > 0;
		} else if (e != 0 && e != ENOENT && e != ESRCH && e != EBADF && e != EPERM) {
			r = -2;
		}
		free(buf);
		return r;
	}
}

/* The call's context; TG_OK, or the result that ends the call. */
static tg_rc gather(struct tg_call *c, int argc, const char **argv)
{
	const void *item = NULL;
	const struct pam_conv *conv = NULL;
	if (tg_args_parse(c->pamh, argc, argv, &c->args) != PAM_SUCCESS) {
		tg_module_audit(c, TG_R_MODULE_FAILED, "bad_module_argument");
		return TG_R_MODULE_FAILED;
	}
	int rc = pam_get_user(c->pamh, &c->user, NULL);
	if (rc == PAM_CONV_AGAIN)
		return TG_R_CONV_AGAIN;
	if (rc != PAM_SUCCESS || !sane_user(c->user))
		return TG_R_UNKNOWN_USER;
	if (pam_get_item(c->pamh, PAM_SERVICE, &item) == PAM_SUCCESS)
		c->service = item;
	item = NULL;
	if (pam_get_item(c->pamh, PAM_RHOST, &item) == PAM_SUCCESS)
		c->rhost = item;
	item = NULL;
	if (pam_get_item(c->pamh, PAM_TTY, &item) == PAM_SUCCESS)
		c->tty = item;
	if (pam_get_item(c->pamh, PAM_CONV, (const void **)&conv) == PAM_SUCCESS &&
	    conv != NULL && conv->conv != NULL)
		c->have_conv = true;
	int acct = local_account(c);
	if (acct == -1) {
		tg_module_audit(c, TG_R_UNKNOWN_USER, "PAM_USER is not the local account's exact name");
		return TG_R_UNKNOWN_USER;
	}
	if (acct == -2) {
		tg_module_audit(c, TG_R_MODULE_FAILED, "the user's passwd entry cannot be looked up");
		return TG_R_MODULE_FAILED;
	}
	return TG_OK;
}

/* Running inside sudo: it reads at most 511 bytes of an answer (no token
 * fits; a longer one fails the conversation), and Debian 12's sudo calls
 * every module with PAM_SILENT whatever its administrator wants, so a
 * refused person would never learn why. */
static bool inside_sudo(void)
{
	const char *p = program_invocation_short_name;
	return p != NULL && (strcmp(p, "sudo") == 0 || strcmp(p, "sudoedit") == 0);
}

/* Callers whose PAM_TTY says no person is there to answer. */
static bool no_person(const char *tty)
{
	return tty != NULL && strcmp(tty, "cron") == 0;
}

static void free_data(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	free(data);
}

/* The login's session id in the handle, with the user it is the login of:
 * a program that asks again for another name in the same handle (login(1)
 * after a failure) starts another login. */
struct kept_session {
	char user[257];		/* tg_login_name_ok: at most 256 bytes */
	char id[65];
};

/* The login's session id, when a stage of this handle has one for this
 * user. */
static const char *handle_session(const struct tg_call *c)
{
	const void *d = NULL;
	if (pam_get_data(c->pamh, TG_DATA_SESSION, &d) != PAM_SUCCESS || d == NULL)
		return NULL;
	const struct kept_session *k = d;
	return c->user != NULL && strcmp(k->user, c->user) == 0 ? k->id : NULL;
}

/* Keeps the session id the helper named for the handle's later stages
 * (the first one of this user stays). */
static void keep_session(const struct tg_call *c, const char *id)
{
	struct kept_session *k;
	if (id == NULL || c->user == NULL || handle_session(c) != NULL || strlen(id) >= sizeof(k->id) ||
	    strlen(c->user) >= sizeof(k->user) || (k = calloc(1, sizeof(*k))) == NULL)
		return;
	memcpy(k->user, c->user, strlen(c->user) + 1);
	memcpy(k->id, id, strlen(id) + 1);
	if (pam_set_data(c->pamh, TG_DATA_SESSION, k, free_data) != PAM_SUCCESS)
		free(k);
}

static void build_request(const struct tg_call *c, uint32_t op, bool authed,
			  const char *authtok, struct tg_msg *req)
{
	uint32_t flags = 0;
	if (c->args.debug)
		flags |= TG_F_DEBUG;
	if (c->args.use_first_pass)
		flags |= TG_F_USE_FIRST_PASS;
	if (c->args.try_first_pass)
		flags |= TG_F_TRY_FIRST_PASS;
	if (!c->have_conv)
		flags |= TG_F_NO_CONV;
	if (!c->have_conv || c->args.noninteractive || no_person(c->tty))
		flags |= TG_F_NONINTERACTIVE;
	if (inside_sudo())
		flags |= TG_F_SHORT_ANSWERS;
	if (authed)
		flags |= TG_F_AUTHED;
	if (c->args.require_session)
		flags |= TG_F_REQUIRE_SESSION;
	tg_msg_init(req, TG_MSG_REQUEST);
	tg_msg_add_u32(req, TG_T_OP, op);
	tg_msg_add_u32(req, TG_T_FLAGS, flags);
	tg_msg_add_u64(req, TG_T_START_NS, c->start_ns);
	tg_msg_add_str(req, TG_T_SERVICE, c->service);
	tg_msg_add_str(req, TG_T_USER, c->user);
	tg_msg_add_str(req, TG_T_RHOST, c->rhost);
	tg_msg_add_str(req, TG_T_TTY, c->tty);
	tg_msg_add_str(req, TG_T_CONFIG, c->args.config);
	tg_msg_add_str(req, TG_T_KIND, c->args.kind);
	tg_msg_add_str(req, TG_T_AUTHTOK, authtok);
	if (c->have_uid)
		tg_msg_add_u32(req, TG_T_UID, (uint32_t)c->uid);
	if (c->args.have_clock)
		tg_msg_add_u64(req, TG_T_CLOCK, (uint64_t)c->args.clock_offset);
	/* the login's session id: this handle's, else (sshd's other process)
	 * the one our proof of auth carries, which the helper verifies */
	const char *sid = handle_session(c);
	const char *proof = pam_getenv(c->pamh, TG_ENV_AUTH);
	if (sid != NULL && op != TG_OP_CLOSE_SESSION)
		tg_msg_add_str(req, TG_T_SESSION, sid);
	else if (sid == NULL && proof != NULL && *proof != '\0' &&
		 (op == TG_OP_ACCOUNT || op == TG_OP_OPEN_SESSION))
		tg_msg_add_str(req, TG_T_PROOF, proof);
}

static int do_auth(struct tg_call *c)
{
	const void *tok = NULL;
	struct tg_msg req;
	struct tg_outcome o = { 0 };
	/* An earlier success in this handle (or a value someone else put in
	 * the environment) never outlives a new attempt. */
	pam_set_data(c->pamh, TG_DATA_AUTH, NULL, NULL);
	if (pam_getenv(c->pamh, TG_ENV_AUTH) != NULL) /* libpam logs deleting nothing */
		pam_putenv(c->pamh, TG_ENV_AUTH);
	if (c->args.use_first_pass || c->args.try_first_pass)
		pam_get_item(c->pamh, PAM_AUTHTOK, &tok);
	build_request(c, TG_OP_AUTH, false, tok, &req);
	tg_run_helper(c, &req, &o);
	tg_msg_free(&req);
	tg_rc r = tg_outcome_result(&o);
	keep_session(c, o.session);
	free(o.session);
	if (r == TG_OK) {
		/* Kept for acct_mgmt and setcred in this process; the helper's
		 * proof crosses to another one (sshd) in the PAM environment.
		 * An old value (someone else's, or forged) never survives. */
		char *keep = o.keep ? o.keep : strdup("");
		char env[512];
		o.keep = NULL;
		if (keep == NULL || pam_set_data(c->pamh, TG_DATA_AUTH, keep,
						 wipe_kept) != PAM_SUCCESS) {
			tg_wipe_free(keep);
			r = TG_R_BUF_ERR;
		} else if (o.proof == NULL) {
			/* none: setcred elsewhere will not count this success */
		} else if (snprintf(env, sizeof(env), "%s=%s", TG_ENV_AUTH, o.proof) >=
				   (int)sizeof(env) ||
			   pam_putenv(c->pamh, env) != PAM_SUCCESS) {
			r = TG_R_BUF_ERR;
		}
	}
	free(o.proof);
	tg_wipe_free(o.keep);
	return tg_pam_code(c->stage, false, r);
}

/* setcred in another process than our auth (sshd): TOKENGATE_AUTH in
 * the PAM environment counts only when the helper confirms it is its own
 * proof, for this user and service, and fresh. The application or any
 * other module can write the PAM environment; nobody else can make that
 * proof. TG_OK when it counts. */
static tg_rc authed_elsewhere(struct tg_call *c)
{
	const char *proof = pam_getenv(c->pamh, TG_ENV_AUTH);
	struct tg_msg req;
	struct tg_outcome o = { 0 };
	if (proof == NULL || *proof == '\0')
		return TG_E_NO_CREDENTIALS;
	build_request(c, TG_OP_SETCRED, false, NULL, &req);
	tg_msg_add_str(&req, TG_T_PROOF, proof);
	tg_run_helper(c, &req, &o);
	tg_msg_free(&req);
	tg_wipe_free(o.keep);
	free(o.session);
	free(o.proof);
	return tg_outcome_result(&o);
}

/* Success only after our own successful authentication: in this process,
 * or (sshd authenticates in a child) carried in the PAM environment. */
static int do_setcred(struct tg_call *c)
{
	const void *kept = NULL;
	tg_rc r = pam_get_data(c->pamh, TG_DATA_AUTH, &kept) == PAM_SUCCESS
			  ? TG_OK : authed_elsewhere(c);
	return tg_pam_code(c->stage, false, r);
}

static bool authed_here(struct tg_call *c, const char **kept)
{
	const void *k = NULL;
	*kept = NULL;
	if (pam_get_data(c->pamh, TG_DATA_AUTH, &k) != PAM_SUCCESS || k == NULL)
		return false;
	*kept = *(const char *)k ? k : NULL;
	return true;
}

/* Account: walk the session chain (no prompts). A user tokengate did not
 * authenticate and who has no session here is not ours (the table's
 * unclaimed column: PAM_IGNORE), or, with require_session, a denial. */
static int do_account(struct tg_call *c)
{
	const char *kept = NULL;
	struct tg_msg req;
	struct tg_outcome o = { 0 };
	bool authed = authed_here(c, &kept);
	build_request(c, TG_OP_ACCOUNT, authed, kept, &req);
	tg_run_helper(c, &req, &o);
	tg_msg_free(&req);
	tg_wipe_free(o.keep);
	keep_session(c, o.session);
	free(o.session);
	free(o.proof);
	int code = tg_pam_code(c->stage, authed || c->args.require_session,
			       tg_outcome_result(&o));
	if (code == PAM_IGNORE && c->args.debug)
		pam_syslog(c->pamh, LOG_DEBUG, "%s",
			   "account: no tokengate session for this user; ignored");
	return code;
}

/* Session open: record the session, export its id through the PAM
 * environment (sshd opens sessions in another process than auth). */
static int do_open_session(struct tg_call *c)
{
	const char *kept = NULL;
	struct tg_msg req;
	struct tg_outcome o = { 0 };
	char env[96];
	bool authed = authed_here(c, &kept);
	build_request(c, TG_OP_OPEN_SESSION, authed, NULL, &req);
	tg_run_helper(c, &req, &o);
	tg_msg_free(&req);
	tg_wipe_free(o.keep);
	tg_rc r = tg_outcome_result(&o);
	keep_session(c, o.session);
	/* a success names its session, in a value the environment can hold */
	if (r == TG_OK && (o.session == NULL ||
			   snprintf(env, sizeof(env), "%s=%s", TG_ENV_SESSION, o.session) >=
				   (int)sizeof(env)))
		r = TG_R_HELPER_FAILED;
	else if (r == TG_OK && pam_putenv(c->pamh, env) != PAM_SUCCESS)
		r = TG_R_BUF_ERR;
	free(o.session);
	free(o.proof);
	return tg_pam_code(c->stage, false, r);
}

static int do_close_session(struct tg_call *c)
{
	struct tg_msg req;
	struct tg_outcome o = { 0 };
	const char *id = pam_getenv(c->pamh, TG_ENV_SESSION);
	if (id == NULL) /* no session of ours to close */
		return tg_pam_code(c->stage, false, TG_E_NO_CREDENTIALS);
	/* ours, kept in the handle, rather than what the environment says now */
	if (handle_session(c) != NULL)
		id = handle_session(c);
	build_request(c, TG_OP_CLOSE_SESSION, false, NULL, &req);
	tg_msg_add_str(&req, TG_T_SESSION, id);
	tg_run_helper(c, &req, &o);
	tg_msg_free(&req);
	tg_wipe_free(o.keep);
	free(o.session);
	free(o.proof);
	return tg_pam_code(c->stage, false, tg_outcome_result(&o));
}

static int dispatch(pam_handle_t *pamh, enum tg_stage stage, int flags,
		    int argc, const char **argv)
{
	struct tg_call c = { .pamh = pamh, .stage = stage,
			     .start_ns = tg_monotonic_ns() };
	/* PAM_SILENT is honoured, except from sudo, which always sets it */
	c.silent = (flags & PAM_SILENT) != 0 && !inside_sudo();
	tg_rc r = gather(&c, argc, argv);
	if (r != TG_OK)
		return tg_pam_code(stage, false, r);
	switch (stage) {
	case TG_STAGE_AUTH:
		return do_auth(&c);
	case TG_STAGE_ACCOUNT:
		return do_account(&c);
	case TG_STAGE_SETCRED:
		return do_setcred(&c);
	case TG_STAGE_OPEN_SESSION:
		return do_open_session(&c);
	case TG_STAGE_CLOSE_SESSION:
		return do_close_session(&c);
	}
	return PAM_SERVICE_ERR;
}

TG_EXPORT int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc,
				  const char **argv)
{
	return dispatch(pamh, TG_STAGE_AUTH, flags, argc, argv);
}

TG_EXPORT int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc,
			     const char **argv)
{
	return dispatch(pamh, TG_STAGE_SETCRED, flags, argc, argv);
}

TG_EXPORT int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc,
			       const char **argv)
{
	return dispatch(pamh, TG_STAGE_ACCOUNT, flags, argc, argv);
}

TG_EXPORT int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
				  const char **argv)
{
	return dispatch(pamh, TG_STAGE_OPEN_SESSION, flags, argc, argv);
}

TG_EXPORT int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
				   const char **argv)
{
	return dispatch(pamh, TG_STAGE_CLOSE_SESSION, flags, argc, argv);
}
