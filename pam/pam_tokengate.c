/*
 * pam_tokengate.c - the PAM entry points: each is one line into the
 * dispatcher, which gathers the call's context, asks the helper, and maps
 * its answer to a PAM code. Nothing here falls through to PAM_SUCCESS.
 */
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "module.h"

static void wipe_kept(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	tg_wipe_free(data);
}

/* PAM_USER must be a plain name: no control characters, bounded. */
static bool sane_user(const char *u)
{
	size_t n = u ? strlen(u) : 0;
	if (n == 0 || n > 256 || u[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] < 0x20 || u[i] == 0x7f || u[i] == '/')
			return false;
	return true;
}

static int gather(struct tg_call *c, int argc, const char **argv)
{
	const void *item = NULL;
	const struct pam_conv *conv = NULL;
	if (tg_args_parse(c->pamh, argc, argv, &c->args) != PAM_SUCCESS) {
		tg_module_audit(c, "internal", "bad_module_argument");
		return PAM_AUTHINFO_UNAVAIL;
	}
	int rc = pam_get_user(c->pamh, &c->user, NULL);
	if (rc == PAM_CONV_AGAIN)
		return PAM_INCOMPLETE;
	if (rc != PAM_SUCCESS || !sane_user(c->user))
		return PAM_USER_UNKNOWN;
	if (pam_get_item(c->pamh, PAM_SERVICE, &item) == PAM_SUCCESS)
		c->service = item;
	item = NULL;
	if (pam_get_item(c->pamh, PAM_RHOST, &item) == PAM_SUCCESS)
		c->rhost = item;
	if (pam_get_item(c->pamh, PAM_CONV, (const void **)&conv) == PAM_SUCCESS &&
	    conv != NULL && conv->conv != NULL)
		c->have_conv = true;
	return PAM_SUCCESS;
}

static void build_request(const struct tg_call *c, uint32_t op,
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
	tg_msg_init(req, TG_MSG_REQUEST);
	tg_msg_add_u32(req, TG_T_OP, op);
	tg_msg_add_u32(req, TG_T_FLAGS, flags);
	tg_msg_add_u64(req, TG_T_START_NS, c->start_ns);
	tg_msg_add_str(req, TG_T_SERVICE, c->service);
	tg_msg_add_str(req, TG_T_USER, c->user);
	tg_msg_add_str(req, TG_T_RHOST, c->rhost);
	tg_msg_add_str(req, TG_T_CONFIG, c->args.config);
	tg_msg_add_str(req, TG_T_KIND, c->args.kind);
	tg_msg_add_str(req, TG_T_AUTHTOK, authtok);
}

static int do_auth(struct tg_call *c)
{
	const void *tok = NULL;
	struct tg_msg req;
	struct tg_outcome o = { 0 };
	if (c->args.use_first_pass || c->args.try_first_pass)
		pam_get_item(c->pamh, PAM_AUTHTOK, &tok);
	build_request(c, TG_OP_AUTH, tok, &req);
	tg_run_helper(c, &req, &o);
	tg_msg_free(&req);
	int code = tg_pam_code(c->stage, &o);
	if (code == PAM_SUCCESS) {
		/* Kept for acct_mgmt and setcred: proof of our own success. */
		char *keep = o.keep ? o.keep : strdup("");
		o.keep = NULL;
		if (keep == NULL || pam_set_data(c->pamh, TG_DATA_AUTH, keep,
						 wipe_kept) != PAM_SUCCESS) {
			tg_wipe_free(keep);
			code = PAM_BUF_ERR;
		}
	}
	tg_wipe_free(o.keep);
	return code;
}

static int do_account(struct tg_call *c)
{
	const void *kept = NULL;
	struct tg_msg req;
	struct tg_outcome o = { 0 };
	if (pam_get_data(c->pamh, TG_DATA_AUTH, &kept) != PAM_SUCCESS ||
	    kept == NULL || *(const char *)kept == '\0') {
		if (c->args.debug)
			pam_syslog(c->pamh, LOG_DEBUG, "%s",
				   "account: not authenticated by tokengate here; ignored");
		return PAM_IGNORE;
	}
	build_request(c, TG_OP_ACCOUNT, kept, &req);
	tg_run_helper(c, &req, &o);
	tg_msg_free(&req);
	tg_wipe_free(o.keep);
	return tg_pam_code(c->stage, &o);
}

static int dispatch(pam_handle_t *pamh, enum tg_stage stage, int flags,
		    int argc, const char **argv)
{
	struct tg_call c = { .pamh = pamh, .stage = stage,
			     .start_ns = tg_monotonic_ns() };
	const void *kept = NULL;
	c.silent = (flags & PAM_SILENT) != 0;
	int rc = gather(&c, argc, argv);
	if (rc != PAM_SUCCESS)
		return rc;
	switch (stage) {
	case TG_STAGE_AUTH:
		return do_auth(&c);
	case TG_STAGE_ACCOUNT:
		return do_account(&c);
	case TG_STAGE_SETCRED:
		/* Success only after our own successful authentication. */
		return pam_get_data(pamh, TG_DATA_AUTH, &kept) == PAM_SUCCESS
			       ? PAM_SUCCESS : PAM_IGNORE;
	case TG_STAGE_OPEN_SESSION:
	case TG_STAGE_CLOSE_SESSION:
		return PAM_IGNORE; /* sessions arrive with the store */
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
