/*
 * helper_token.c - the token method's decision at a stage: choose the
 * issuer, load its keys, validate, start (or renew) the user's session at
 * the auth stage, and write the decision's audit record with its user
 * message. The auth stage and the account stage (a token kept from auth
 * when no session is stored) both decide here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "chain.h"
#include "helper.h"
#include "oauth.h"
#include "keysource.h"
#include "tg_internal.h"

/* Validates tok against the issuer it names; *idx receives that issuer
 * (-1: none configured). */
static tg_rc validate(struct hctx *c, const char *tok, struct hresult *r,
		      tg_token **t, long *idx_out)
{
	size_t len = strlen(tok);
	/* decoded once: the issuer it names, its shape, then its checks */
	tg_jws *j = tg_jws_parse(tok, len, helper_max_token_len(c));
	if (j == NULL)
		return TG_E_NOMEM;
	/* A fingerprint only of what is structurally a JWT (three strict
	 * base64url segments, JSON header and payload): a password typed at
	 * the token prompt leaves no trace, not even hashed. */
	bool jwt = tg_jws_is_jwt(j);
	long idx = *idx_out = tg_config_issuer_for_iss(c->cfg, tg_jws_iss(j));
	long want = tg_chain_service_issuer(helper_ctx(c));
	if (jwt)
		tg_token_fingerprint(tok, len, r->fingerprint, sizeof(r->fingerprint));
	if (idx >= 0)
		r->issuer = tg_config_issuer_name(c->cfg, (size_t)idx);
	tg_rc rc = idx < 0 ? (jwt ? TG_E_BAD_ISSUER : TG_E_MALFORMED)
		   : want >= 0 && idx != want ? TG_E_BAD_ISSUER
		   : tg_issuer_validate(helper_ctx(c), (size_t)idx, c->kind, j, t, &r->detail);
	if (idx >= 0 && want >= 0 && idx != want) {
		static char detail[200];
		snprintf(detail, sizeof(detail),
			 "the token is of [issuer %.64s]; this service accepts [issuer %.64s] only",
			 r->issuer, tg_config_issuer_name(c->cfg, (size_t)want));
		r->detail = detail;
	}
	tg_jws_free(j);
	return rc;
}

/* A valid token starts (or renews) the user's session, when the user has
 * a local account. The account belongs to one identity and a revocation
 * sticks, so a token of another (iss, sub), or any token while the
 * revocation marker stands, is refused here; so is every login when the
 * store cannot be read (the binding cannot be checked). A session that cannot
 * be written is audited and the login stands (the account stage falls
 * back on the token). */
static tg_rc token_session(struct hctx *c, const char *tok, const tg_token *valid,
			   long idx, struct hresult *r)
{
	static char detail[sizeof(((struct tg_chain_out *)0)->detail)];
	struct tg_store *st = NULL;
	json_t *sess = NULL;
	struct tg_chain_out o = { .step = "-" };
	if (!c->have_uid)
		return TG_OK;
	if (helper_store_open(c, &st, &sess) != TG_OK) {
		r->detail = "the session store is unavailable";
		return TG_E_INTERNAL;
	}
	struct tg_tokens t = { .access_token = strdup(tok), .expires_in = -1 };
	tg_rc rc = idx < 0 ? TG_E_BAD_ISSUER : t.access_token == NULL ? TG_E_NOMEM
			   : tg_session_start(helper_ctx(c), NULL, st, &sess, (size_t)idx, "token", &t,
					      valid, false, &o);
	tg_tokens_clear(&t);
	tg_session_free(sess);
	tg_store_close(st);
	if (rc == TG_E_USER_MISMATCH || rc == TG_E_REVOKED || rc == TG_E_INTERNAL) {
		snprintf(detail, sizeof(detail), "%s", o.detail);
		r->detail = detail;
		return rc;
	}
	if (rc != TG_OK)
		helper_audit_simple(c, "store", "error", tg_reason(rc), o.detail, LOG_WARNING);
	return TG_OK;
}

/* A token method decision at a stage: validate tok, write the record. On
 * success *valid (when asked for) receives the validated token. */
tg_rc helper_decide_token(struct hctx *c, const char *event, const char *tok, tg_rc early,
			  tg_token **valid)
{
	struct hresult r = { .rc = early, .method = "token" };
	tg_token *t = NULL;
	long idx = -1;
	c->shortfall.hit = false;
	if (r.rc == TG_OK)
		r.rc = validate(c, tok, &r, &t, &idx);
	if (r.rc == TG_OK && strcmp(event, "auth") == 0)
		r.rc = token_session(c, tok, t, idx, &r);
	r.token = t;
	char why[300];
	bool shortfall = helper_shortfall_detail(c, r.rc, why, sizeof(why));
	if (shortfall)
		r.detail = why;
	helper_audit_decision(c, event, &r);
	if (r.rc == TG_OK && valid != NULL)
		*valid = t;
	else
		tg_token_free(t);
	const char *msg = tg_rc_token_message(r.rc);
	if (shortfall && !helper_can_step_up(c))
		helper_shortfall_message(c);
	else if (msg != NULL && !shortfall)
		helper_message(c, TG_STYLE_ERROR, msg);
	return r.rc;
}
