/*
 * helper_auth.c - the token method: get the token (PAM_AUTHTOK or prompts,
 * in pieces when a client cuts long answers), choose the issuer, load its
 * keys, validate, and write the decision's audit record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "helper.h"
#include "chain.h"
#include "lockout.h"
#include "oauth.h"
#include "verify.h"
#include "tg_internal.h"

static void on_warning(void *ud, const char *msg)
{
	helper_audit_simple(ud, "config", "warn", "-", msg, LOG_WARNING);
}

void helper_on_skipped_key(void *ud, size_t index, const char *kid,
			   const char *cause)
{
	char detail[320];
	snprintf(detail, sizeof(detail), "key[%zu] kid=%.64s skipped: %s", index,
		 kid ? kid : "-", cause);
	helper_audit_simple(ud, "jwks_fetch", "skip", "malformed", detail,
			    LOG_WARNING);
}

static void on_check(void *ud, const char *check, tg_rc rc, const char *detail)
{
	const struct hctx *c = ud;
	tg_audit *a = tg_audit_new("check");
	tg_audit_add(a, "check", check);
	tg_audit_add(a, "result", tg_reason(rc));
	tg_audit_add(a, "rule", detail);
	char *line = tg_audit_render(a, 0);
	if (line != NULL)
		helper_debug(c, line);
	free(line);
	tg_audit_free(a);
}

tg_rc helper_load_config(struct hctx *c)
{
	char err[512] = "";
	tg_rc rc = tg_config_load(c->config_path, on_warning, c, &c->cfg, err,
				  sizeof(err));
	if (rc != TG_OK) {
		helper_audit_simple(c, "config", "error", "internal", err, LOG_ALERT);
		return TG_E_CONFIG;
	}
	c->json = strcmp(tg_config_audit_format(c->cfg), "json") == 0;
	return TG_OK;
}

void helper_on_keys_event(void *ud, const char *event, const char *result,
			  tg_rc reason, const char *detail)
{
	int prio = strcmp(result, "ok") == 0 ? LOG_INFO : LOG_WARNING;
	helper_audit_simple(ud, event, result, reason == TG_OK ? "ok" : tg_reason(reason),
			    detail, prio);
}

static tg_rc validate(struct hctx *c, const char *tok, struct hresult *r,
		      tg_token **t)
{
	size_t len = strlen(tok);
	size_t max = helper_max_token_len(c);
	char *iss = tg_token_peek_iss(tok, len, max);
	long idx = tg_config_issuer_for_iss(c->cfg, iss);
	free(iss);
	tg_token_fingerprint(tok, len, r->fingerprint, sizeof(r->fingerprint));
	if (idx < 0)
		return len > max ? TG_E_MALFORMED : TG_E_BAD_ISSUER;
	struct tg_check_req q = {
		.cfg = c->cfg, .idx = (size_t)idx, .service = c->service, .user = c->user,
		.kind = c->kind, .now = helper_now(c), .event = helper_on_keys_event,
		.skip = helper_on_skipped_key, .explain = on_check, .ud = c,
	};
	return tg_issuer_validate(&q, tok, t, &r->detail);
}

static const char *user_message(tg_rc rc)
{
	switch (rc) {
	case TG_E_EXPIRED: return "Token rejected: it has expired.";
	case TG_E_NOT_YET_VALID: return "Token rejected: it is not valid yet (check the clock).";
	case TG_E_USER_MISMATCH: return "Token rejected: it was not issued for this user.";
	case TG_E_NOT_AUTHORIZED: return "Access denied: you are not authorized on this host.";
	case TG_E_MALFORMED: return "Token rejected: that is not a well-formed token.";
	case TG_E_NO_CREDENTIALS: return NULL;
	case TG_E_CONFIG:
	case TG_E_INTERNAL:
	case TG_E_IO:
	case TG_E_NOMEM: return "Token login is unavailable; contact your administrator.";
	default: return "Token rejected.";
	}
}

static bool method_enabled(const struct hctx *c, const char *method)
{
	struct tg_strlist l = { 0 };
	bool on = tg_strlist_parse(&l, tg_config_methods(c->cfg, c->service)) == TG_OK &&
		  tg_strlist_has(&l, method);
	tg_strlist_clear(&l);
	return on;
}

int64_t helper_now(const struct hctx *c)
{
	return (int64_t)time(NULL) + c->clock_offset;
}

void helper_on_note(void *ud, const char *event, const char *result, tg_rc reason,
		    const char *detail)
{
	int prio = strcmp(result, "ok") == 0 ? LOG_INFO
		 : strcmp(result, "allow") == 0 || strcmp(result, "purge") == 0 ? LOG_NOTICE
										    : LOG_WARNING;
	helper_audit_simple(ud, event, result, tg_reason(reason), detail, prio);
}

/* A token method decision at a stage: validate tok, write the record. On
 * success *valid (when asked for) receives the validated token. */
tg_rc helper_decide_token(struct hctx *c, const char *event, const char *tok, tg_rc early,
			  tg_token **valid)
{
	struct hresult r = { .rc = early, .method = "token" };
	tg_token *t = NULL;
	if (r.rc == TG_OK)
		r.rc = validate(c, tok, &r, &t);
	r.token = t;
	helper_audit_decision(c, event, &r);
	if (r.rc == TG_OK && valid != NULL)
		*valid = t;
	else
		tg_token_free(t);
	const char *msg = r.rc == TG_OK ? NULL : user_message(r.rc);
	if (msg != NULL)
		helper_message(c, TG_STYLE_ERROR, msg);
	return r.rc;
}

static struct tg_chain_req chain_req(struct hctx *c, const char *password)
{
	struct tg_chain_req q = {
		.cfg = c->cfg, .service = c->service, .user = c->user, .uid = c->uid,
		.now = helper_now(c), .password = password, .event = helper_on_keys_event,
		.skip = helper_on_skipped_key, .note = helper_on_note, .ud = c,
	};
	return q;
}

/* A valid token starts (or renews) the user's session, when the user has
 * a local account. A store that cannot be written is audited; the login
 * itself stands (the account stage falls back on the token). */
static void token_session(struct hctx *c, const char *tok, const tg_token *valid)
{
	struct tg_store *st = NULL;
	json_t *sess = NULL;
	struct tg_chain_out o = { .step = "-" };
	if (!c->have_uid || helper_store_open(c, &st, &sess) != TG_OK)
		return;
	char *iss = tg_token_peek_iss(tok, strlen(tok), helper_max_token_len(c));
	long idx = tg_config_issuer_for_iss(c->cfg, iss);
	free(iss);
	struct tg_chain_req q = chain_req(c, NULL);
	struct tg_tokens t = { .access_token = strdup(tok), .expires_in = -1 };
	tg_rc rc = idx < 0 ? TG_E_BAD_ISSUER : t.access_token == NULL ? TG_E_NOMEM
			   : tg_session_start(&q, st, &sess, (size_t)idx, "token", &t, valid, false, &o);
	tg_tokens_clear(&t);
	if (rc != TG_OK)
		helper_audit_simple(c, "store", "error", tg_reason(rc), o.detail, LOG_WARNING);
	tg_session_free(sess);
	tg_store_close(st);
}

/* The password method: the chain with a typed password (password grant
 * online, the offline verifier inside the grace window). */
static tg_rc password_login(struct hctx *c, const char *password)
{
	struct tg_store *st = NULL;
	json_t *sess = NULL;
	struct tg_chain_out o = { .step = "-", .rc = TG_E_NO_CREDENTIALS };
	tg_rc rc;
	if (!c->have_uid) {
		snprintf(o.detail, sizeof(o.detail), "%s", "no local account for this user");
		rc = o.rc = TG_E_NO_CREDENTIALS;
	} else if ((rc = helper_store_open(c, &st, &sess)) == TG_OK) {
		struct tg_chain_req q = chain_req(c, password);
		rc = tg_chain_run(&q, st, &sess, &o);
	} else {
		o.rc = rc;
		snprintf(o.detail, sizeof(o.detail), "%s", "the session store is unavailable");
	}
	helper_chain_report(c, "auth", "password", &o, NULL);
	tg_session_free(sess);
	tg_store_close(st);
	return rc;
}

/* Failures that count towards a lockout: a wrong credential. */
static bool counts_as_failure(tg_rc rc)
{
	switch (rc) {
	case TG_OK:
	case TG_E_IDP_UNREACHABLE:
	case TG_E_GRACE_EXPIRED:
	case TG_E_NO_CREDENTIALS:
	case TG_E_TIMEOUT:
	case TG_E_INTERNAL:
	case TG_E_CONFIG:
	case TG_E_NOMEM:
	case TG_E_IO:
	case TG_E_LOCKED_OUT:
		return false;
	default:
		return true;
	}
}

static void lockout_audit(struct hctx *c, const char *result, const char *who, int64_t until)
{
	char detail[128];
	snprintf(detail, sizeof(detail), "%s locked for %llds more", who,
		 (long long)(until - helper_now(c)));
	helper_audit_simple(c, "lockout", result, "locked_out", detail, LOG_WARNING);
}

tg_rc helper_authenticate(struct hctx *c)
{
	struct helper_cred cr = { HELPER_CRED_NONE, NULL };
	tg_rc rc = helper_load_config(c);
	if (rc != TG_OK)
		return helper_decide_token(c, "auth", NULL, rc, NULL);
	struct tg_lockout l = { .cfg = c->cfg, .user = c->user, .rhost = c->rhost,
				.now = helper_now(c) };
	const char *who = NULL;
	int64_t until = 0;
	if (tg_lockout_check(&l, &who, &until) == TG_E_LOCKED_OUT) {
		/* refused before any prompt or provider request */
		lockout_audit(c, "deny", who, until);
		helper_message(c, TG_STYLE_ERROR, "Too many failed attempts; try again later.");
		return TG_E_LOCKED_OUT;
	}
	bool token_on = method_enabled(c, "token");
	bool password_on = method_enabled(c, "password");
	if (!token_on && !password_on)
		rc = TG_E_NO_CREDENTIALS; /* device: the interactive-login issue */
	if (rc == TG_OK)
		rc = helper_get_credential(c, token_on, password_on, &cr);
	if (rc == TG_OK && cr.kind == HELPER_CRED_PASSWORD) {
		rc = password_login(c, cr.secret);
	} else {
		tg_token *valid = NULL;
		rc = helper_decide_token(c, "auth", cr.secret, rc, &valid);
		if (rc == TG_OK) {
			token_session(c, cr.secret, valid);
			if ((c->keep = strdup(cr.secret)) == NULL)
				rc = TG_E_NOMEM;
		}
		tg_token_free(valid);
	}
	helper_cred_clear(&cr);
	if (rc == TG_OK)
		tg_lockout_success(&l);
	else if (counts_as_failure(rc) && tg_lockout_failure(&l, &who, &until))
		lockout_audit(c, "lock", who, until);
	return rc;
}
