/*
 * helper_auth.c - the auth stage: the service's methods in their order
 * (PAM_AUTHTOK, the device flow, a prompt for a token or password), the
 * password method with its lockout, the device method's session, and the
 * proof of success for setcred. The token method decides in
 * helper_token.c; the plumbing is helper_common.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "authproof.h"
#include "helper.h"
#include "chain.h"
#include "lockout.h"
#include "oauth.h"
#include "tg_internal.h"
#include "settings.h"

/* The service's methods, in the configured order. */
struct methods {
	bool token, password, device;
	bool device_first;	/* device before every typed method */
};

static struct methods service_methods(const struct hctx *c)
{
	struct methods m = { false, false, false, false };
	struct tg_strlist l = { 0 };
	if (tg_strlist_parse(&l, tg_config_methods(c->cfg, c->service)) == TG_OK) {
		for (size_t i = 0; i < l.n; i++) {
			const char *x = l.v[i];
			if (strcmp(x, "device") == 0)
				m.device_first = !m.token && !m.password;
			m.token |= strcmp(x, "token") == 0;
			m.password |= strcmp(x, "password") == 0;
			m.device |= strcmp(x, "device") == 0;
		}
	}
	tg_strlist_clear(&l);
	/* no person to approve a login: the device method cannot work */
	if (!helper_interactive(c))
		m.device = m.device_first = false;
	return m;
}

/* A store entry for a new session: the user needs a local account. */
static tg_rc open_for_login(struct hctx *c, struct tg_store **st, json_t **sess,
			    struct tg_chain_out *o)
{
	tg_rc rc;
	if (!c->have_uid) {
		snprintf(o->detail, sizeof(o->detail), "%s", "no local account for this user");
		return o->rc = TG_E_NO_CREDENTIALS;
	}
	if ((rc = helper_store_open(c, st, sess)) != TG_OK) {
		snprintf(o->detail, sizeof(o->detail), "%s", "the session store is unavailable");
		return o->rc = rc;
	}
	return TG_OK;
}

static void lockout_audit(struct hctx *c, const char *result, int64_t until)
{
	char detail[128];
	snprintf(detail, sizeof(detail), "user and rhost locked for %llds more",
		 (long long)(until - helper_now(c)));
	helper_audit_simple(c, "lockout", result, "locked_out", detail, LOG_WARNING);
}

/* What a password's outcome means for its (user, rhost) counter. */
static enum tg_lockout_outcome lockout_outcome(tg_rc rc)
{
	return rc == TG_OK ? TG_LOCKOUT_SUCCESS : tg_rc_is_guess(rc) ? TG_LOCKOUT_REFUSED
								     : TG_LOCKOUT_UNDO;
}

/* The password method: the chain with a typed password (password grant
 * online, the offline verifier inside the grace window). The guess is
 * counted for (user, rhost) before the provider is asked. */
/* The password of a person without a local account, at an issuer that
 * makes records: the grant, then the record and the session. */
static tg_rc provision_password(struct hctx *c, size_t idx, const char *password,
				struct tg_chain_out *o)
{
	struct tg_tokens t = { .expires_in = -1 };
	tg_rc rc = tg_password_grant(helper_ctx(c), idx, password, &t, o);
	if (rc == TG_OK)
		rc = helper_provision_login(c, idx, "password", &t, password, o);
	tg_tokens_clear(&t);
	return o->rc = rc;
}

static tg_rc password_login(struct hctx *c, const char *password)
{
	struct tg_store *st = NULL;
	json_t *sess = NULL;
	struct tg_chain_out o = { .step = "-", .rc = TG_E_NO_CREDENTIALS };
	struct tg_ctx l = *helper_ctx(c);	/* the attempt's clock */
	int64_t until = 0;
	long pidx = c->have_uid ? -1 : helper_provision_issuer(c);
	c->shortfall.hit = false;
	tg_rc rc = pidx >= 0 ? TG_OK : open_for_login(c, &st, &sess, &o);
	if (rc == TG_OK && helper_sshd_placeholder(password)) {
		snprintf(o.detail, sizeof(o.detail), "%s",
			 "sshd's placeholder password (invalid user, or root not permitted): not sent to the provider");
		rc = o.rc = TG_E_NO_CREDENTIALS;
	} else if (rc == TG_OK && (rc = tg_lockout_begin(&l, &until)) != TG_OK) {
		tg_session_free(sess);
		tg_store_close(st);
		if (rc == TG_E_LOCKED_OUT) {
			/* refused before any provider request */
			lockout_audit(c, "deny", until);
			helper_message(c, TG_STYLE_ERROR, tg_rc_login_message(rc));
			return rc;
		}
		snprintf(o.detail, sizeof(o.detail), "%s",
			 "the lockout counter cannot be read or written: refused (fail closed)");
		o.rc = rc;
		helper_chain_report(c, "auth", "password", &o);
		return rc;
	} else if (rc == TG_OK) {
		rc = pidx >= 0 ? provision_password(c, (size_t)pidx, password, &o)
			       : tg_chain_run(helper_ctx(c), password, 0, st, &sess, &o);
		l.now = helper_now(c);
		if (tg_lockout_end(&l, lockout_outcome(rc), &until))
			lockout_audit(c, "lock", until);
	}
	helper_chain_report(c, "auth", "password", &o);
	if (pidx < 0)
		helper_records_after(c, sess, &o);
	tg_session_free(sess);
	tg_store_close(st);
	return rc;
}

/* The device method. *fallback is set when nothing was decided here (no
 * decision record): the person typed a credential instead (cr filled), or
 * the provider could not be reached and a typed method may still work.
 * Otherwise the decision, recorded. The tokens must name this user: an
 * approval by another account is user_mismatch. */
static tg_rc device_login(struct hctx *c, const char *event, const struct methods *m,
			  struct helper_cred *cr, bool *fallback)
{
	struct tg_store *st = NULL;
	json_t *sess = NULL;
	struct tg_chain_out o = { .step = "-", .rc = TG_E_NO_CREDENTIALS };
	struct tg_tokens t = { .expires_in = -1 };
	long idx = tg_chain_login_issuer(helper_ctx(c));
	tg_rc rc = TG_OK;
	*fallback = false;
	c->shortfall.hit = false; /* this login's tokens decide what fell short */
	if (idx >= 0)
		snprintf(o.issuer, sizeof(o.issuer), "%s", tg_config_issuer_name(c->cfg, (size_t)idx));
	if (idx < 0) {
		snprintf(o.detail, sizeof(o.detail), "%s", "no issuer with a client_id for the device method");
		rc = o.rc = TG_E_CONFIG;
	} else if (!c->have_uid && helper_provision_issuer(c) != idx) {
		snprintf(o.detail, sizeof(o.detail), "%s", "no local account for this user");
		rc = o.rc = TG_E_NO_CREDENTIALS;
	} else {
		rc = helper_device_obtain(c, (size_t)idx, m->token, m->password, &t, cr, o.detail,
					  sizeof(o.detail));
	}
	if (rc == TG_OK && cr->kind != HELPER_CRED_NONE) {
		*fallback = true; /* typed at the device prompt */
		return TG_OK;
	}
	if (rc == TG_E_IDP_UNREACHABLE && (m->token || m->password) && m->device_first) {
		/* tokens validate offline, passwords inside grace: ask for one */
		helper_audit_simple(c, "device", "error", "idp_unreachable", o.detail, LOG_WARNING);
		*fallback = true;
		return rc;
	}
	bool provision = !c->have_uid;
	if (rc == TG_OK && provision) {
		rc = helper_provision_login(c, (size_t)idx, "device", &t, NULL, &o);
	} else if (rc == TG_OK) {
		rc = open_for_login(c, &st, &sess, &o);
		if (rc == TG_OK) {
			rc = tg_session_start(helper_ctx(c), NULL, st, &sess, (size_t)idx, "device", &t,
					      NULL, true, &o);
		}
	}
	o.rc = rc;
	tg_tokens_clear(&t);
	helper_chain_report(c, event, "device", &o);
	if (!provision)
		helper_records_after(c, sess, &o);
	tg_session_free(sess);
	tg_store_close(st);
	return rc;
}

/* The typed credential's decision (token or password). */
static tg_rc typed_login(struct hctx *c, struct helper_cred *cr)
{
	if (cr->kind == HELPER_CRED_PASSWORD)
		return password_login(c, cr->secret);
	tg_token *valid = NULL;
	tg_rc rc = helper_decide_token(c, "auth", cr->secret, TG_OK, &valid);
	if (rc == TG_OK && (c->keep = strdup(cr->secret)) == NULL)
		rc = TG_E_NOMEM;
	tg_token_free(valid);
	return rc;
}

/* The methods in their order: PAM_AUTHTOK (use_first_pass /
 * try_first_pass), the device flow when it comes first, a prompt for a
 * token or password (Enter alone: the device flow when it comes later). */
static tg_rc run_methods(struct hctx *c, const struct methods *m)
{
	struct helper_cred cr = { HELPER_CRED_NONE, NULL };
	bool typed = m->token || m->password, fallback = false;
	tg_rc rc = TG_OK;
	if (helper_cred_from_authtok(c, m->token, m->password, &cr)) {
		rc = cr.secret != NULL ? typed_login(c, &cr) : TG_E_NOMEM;
		helper_cred_clear(&cr);
		return rc;
	}
	bool device = m->device && (m->device_first || !typed);
	if (!device && typed) {
		rc = helper_cred_prompt(c, m->token, m->password, m->device, &cr);
		device = rc == TG_OK && cr.kind == HELPER_CRED_EMPTY && m->device;
		if (rc == TG_OK && cr.kind == HELPER_CRED_EMPTY && !device)
			rc = TG_E_NO_CREDENTIALS;
	}
	if (rc == TG_OK && device) {
		helper_cred_clear(&cr);
		rc = device_login(c, "auth", m, &cr, &fallback);
		if (fallback && cr.kind == HELPER_CRED_NONE) /* provider unreachable */
			rc = helper_cred_prompt(c, m->token, m->password, false, &cr);
		if (fallback && rc == TG_OK && cr.kind == HELPER_CRED_EMPTY)
			rc = TG_E_NO_CREDENTIALS;
		if (!fallback) {
			helper_cred_clear(&cr);
			return rc;
		}
	}
	if (rc == TG_OK)
		rc = typed_login(c, &cr);
	else
		rc = helper_decide_token(c, "auth", NULL, rc, NULL);
	helper_cred_clear(&cr);
	return rc;
}

/* The proof of this success that crosses sshd's process split to
 * pam_setcred (authproof.h). Without one (a store that cannot be used)
 * setcred in another process simply does not count our auth. */
static void make_proof(struct hctx *c)
{
	char proof[TG_AUTHPROOF_MAX];
	if (tg_authproof_make(tg_settings(c->cfg)->store_dir, c->user, c->service, c->sid,
			      helper_now(c), proof, sizeof(proof)) == TG_OK)
		c->proof_out = strdup(proof);
}

tg_rc helper_authenticate(struct hctx *c)
{
	tg_rc rc = helper_load_config(c);
	if (rc != TG_OK)
		return helper_decide_token(c, "auth", NULL, rc, NULL);
	/* No lock is checked here: a lock holds only against passwords
	 * (password_login), never against a valid token or a device login. */
	struct methods m = service_methods(c);
	if (!m.token && !m.password && !m.device)
		return helper_decide_token(c, "auth", NULL, TG_E_NO_CREDENTIALS, NULL);
	rc = helper_step_up(c, "auth", run_methods(c, &m));
	if (rc == TG_OK)
		make_proof(c);
	return rc;
}

bool helper_can_step_up(struct hctx *c)
{
	if (!c->shortfall.hit || c->step_up || c->asked_strength || c->cfg == NULL)
		return false;
	/* something to ask for: no request parameter asks for an amr */
	const struct tg_service_settings *s = tg_service_settings(c->cfg, c->service);
	if (s->max_auth_age <= 0 && s->required_acr == NULL)
		return false;
	struct methods m = service_methods(c); /* device: only with a person */
	return m.device && tg_chain_login_issuer(helper_ctx(c)) >= 0;
}

bool helper_shortfall_detail(const struct hctx *c, tg_rc rc, char *buf, size_t len)
{
	if (rc != TG_E_NOT_AUTHORIZED || !c->shortfall.hit)
		return false;
	snprintf(buf, len, "a fresh or stronger login is needed: %.200s", c->shortfall.why);
	return true;
}

void helper_shortfall_message(struct hctx *c)
{
	char msg[320];
	snprintf(msg, sizeof(msg), c->asked_strength
		 ? "Access denied: the identity provider did not give the fresh or stronger login this service needs (%.200s)."
		 : "Access denied: this service needs a fresh or stronger login at your identity provider (%.200s).",
		 c->shortfall.why);
	helper_message(c, TG_STYLE_ERROR, msg);
}

tg_rc helper_step_up(struct hctx *c, const char *event, tg_rc rc)
{
	if (rc != TG_E_NOT_AUTHORIZED || !helper_can_step_up(c))
		return rc;
	char msg[320];
	snprintf(msg, sizeof(msg),
		 "This service needs a fresh login at your identity provider (%.200s).",
		 c->shortfall.why);
	helper_message(c, TG_STYLE_INFO, msg);
	/* the device method alone: a typed credential is what fell short, or
	 * there was none (the stored session) */
	struct methods m = { .device = true, .device_first = true };
	struct helper_cred cr = { HELPER_CRED_NONE, NULL };
	bool fallback = false;
	c->step_up = true;
	tg_rc up = device_login(c, event, &m, &cr, &fallback);
	helper_cred_clear(&cr);
	/* Nothing but a success or a refusal as firm as the first one stands:
	 * a login nobody approved (no_credentials, a timeout, an unreachable
	 * provider) must not turn the refusal into PAM_IGNORE at the account
	 * stage, where another module would then let the person in. */
	if (up == TG_OK || up == TG_E_USER_MISMATCH || up == TG_E_REVOKED)
		return up;
	return rc;
}

tg_rc helper_setcred(struct hctx *c)
{
	tg_rc rc = helper_load_config(c);
	if (rc != TG_OK)
		return rc;
	if (c->proof_in == NULL)
		return TG_E_NO_CREDENTIALS;
	rc = helper_proof(c);
	if (rc != TG_OK)
		helper_audit_simple(c, "auth", "deny", tg_reason(rc),
				    rc == TG_E_NO_CREDENTIALS
					    ? "setcred: TOKENGATE_AUTH in the PAM environment is not a proof of our authentication"
					    : "setcred: the host's proof key cannot be read",
				    tg_rc_priority(rc));
	return rc;
}
