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
#include "keysource.h"
#include "tg_internal.h"

#define MAX_PIECES 16

static void on_warning(void *ud, const char *msg)
{
	helper_audit_simple(ud, "config", "warn", "-", msg, LOG_WARNING);
}

static void on_skipped_key(void *ud, size_t index, const char *kid,
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

/* Does the answer so far need another piece? (DESIGN section 9) */
static bool wants_more(const char *so_far, size_t last_len)
{
	size_t dots = 0;
	for (const char *p = so_far; *p; p++)
		dots += *p == '.';
	return dots < 2 || last_len == 511 || last_len == 1023 || last_len == 4095;
}

static tg_rc prompt_token(struct hctx *c, size_t max_len, char **out)
{
	char *buf = calloc(1, max_len + 1);
	size_t len = 0;
	tg_rc rc = TG_OK;
	*out = NULL;
	if (buf == NULL)
		return TG_E_NOMEM;
	for (int piece = 0; piece < MAX_PIECES; piece++) {
		char *ans = NULL;
		if (helper_prompt(c, TG_STYLE_ECHO_OFF,
				  piece == 0 ? "Token: " : "Token (continued): ",
				  &ans) < 0) {
			if (piece == 0)
				rc = TG_E_NO_CREDENTIALS;
			break;
		}
		size_t n = strlen(ans);
		if (n == 0) {
			tg_free_secret(ans);
			break;
		}
		if (len + n > max_len) {
			tg_free_secret(ans);
			rc = TG_E_MALFORMED; /* longer than any token we accept */
			break;
		}
		memcpy(buf + len, ans, n + 1);
		len += n;
		tg_free_secret(ans);
		if (!wants_more(buf, n))
			break;
	}
	if (rc == TG_OK && len == 0)
		rc = TG_E_NO_CREDENTIALS;
	if (rc != TG_OK) {
		tg_wipe(buf, max_len + 1);
		free(buf);
		return rc;
	}
	*out = buf;
	return TG_OK;
}

static size_t max_token_len(const struct hctx *c)
{
	return tg_config_max_token_bytes(c->cfg);
}

/* Could this PAM_AUTHTOK be a token (two dots)? A password typed for an
 * earlier module is not, and try_first_pass then asks for the token. */
static bool looks_like_token(const char *s)
{
	const char *d = strchr(s, '.');
	return d != NULL && strchr(d + 1, '.') != NULL;
}

static tg_rc get_token(struct hctx *c, char **tok)
{
	*tok = NULL;
	bool have = c->authtok != NULL && *c->authtok;
	if (have && ((c->flags & TG_F_USE_FIRST_PASS) ||
		     ((c->flags & TG_F_TRY_FIRST_PASS) && looks_like_token(c->authtok)))) {
		*tok = strdup(c->authtok);
		return *tok ? TG_OK : TG_E_NOMEM;
	}
	if (c->flags & (TG_F_USE_FIRST_PASS | TG_F_NO_CONV))
		return TG_E_NO_CREDENTIALS;
	/* Room for one piece past the cap, to tell "too long" apart. */
	return prompt_token(c, max_token_len(c) + 1, tok);
}

static void on_keys_event(void *ud, const char *event, const char *result,
			  tg_rc reason, const char *detail)
{
	int prio = strcmp(result, "ok") == 0 ? LOG_INFO : LOG_WARNING;
	helper_audit_simple(ud, event, result, reason == TG_OK ? "ok" : tg_reason(reason),
			    detail, prio);
}

static tg_rc load_keys(struct hctx *c, size_t idx, bool force, tg_jwks **keys,
		       bool *fetched, struct hresult *r)
{
	struct tg_keys_req q = {
		.cfg = c->cfg, .idx = idx, .force = force, .now = (int64_t)time(NULL),
		.event = on_keys_event, .skip = on_skipped_key, .ud = c,
	};
	tg_rc rc = tg_issuer_keys(&q, keys, fetched);
	if (rc == TG_E_IDP_UNREACHABLE)
		r->detail = "no usable keys: provider unreachable and no fresh cache";
	else if (rc != TG_OK)
		r->detail = "cannot read the issuer's keys";
	return rc == TG_E_MALFORMED || rc == TG_E_IO ? TG_E_INTERNAL : rc;
}

static tg_rc validate(struct hctx *c, const char *tok, struct hresult *r,
		      tg_token **t)
{
	size_t len = strlen(tok);
	size_t max = max_token_len(c);
	tg_jwks *keys = NULL;
	tg_policy *p = NULL;
	char *iss = tg_token_peek_iss(tok, len, max);
	long idx = tg_config_issuer_for_iss(c->cfg, iss);
	free(iss);
	tg_token_fingerprint(tok, len, r->fingerprint, sizeof(r->fingerprint));
	if (idx < 0)
		return len > max ? TG_E_MALFORMED : TG_E_BAD_ISSUER;
	bool fetched = false;
	tg_rc rc = load_keys(c, (size_t)idx, false, &keys, &fetched, r);
	if (rc == TG_OK)
		rc = tg_policy_from_config(c->cfg, (size_t)idx, c->service, &p);
	if (rc == TG_OK) {
		if (c->kind != NULL)
			tg_policy_set_kind(p, strcmp(c->kind, "id") == 0
						      ? TG_KIND_ID : TG_KIND_ACCESS);
		tg_policy_set_explain(p, on_check, c);
		rc = tg_policy_set_user(p, c->user);
	}
	if (rc == TG_OK)
		rc = tg_token_validate(p, keys, tok, len, t);
	if (rc == TG_E_UNKNOWN_KID && !fetched) {
		/* a key rotation at the provider: one refetch, rate-limited */
		tg_jwks_free(keys);
		keys = NULL;
		tg_token_free(*t);
		*t = NULL;
		rc = load_keys(c, (size_t)idx, true, &keys, &fetched, r);
		if (rc == TG_OK)
			rc = tg_token_validate(p, keys, tok, len, t);
	}
	tg_policy_free(p);
	tg_jwks_free(keys);
	return rc;
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

/* One decision at a stage: validate tok and write the audit record. */
static tg_rc decide(struct hctx *c, const char *event, const char *tok,
		    tg_rc early)
{
	struct hresult r = { .rc = early, .method = "token" };
	tg_token *t = NULL;
	if (r.rc == TG_OK)
		r.rc = validate(c, tok, &r, &t);
	r.token = t;
	helper_audit_decision(c, event, &r);
	tg_token_free(t);
	const char *msg = r.rc == TG_OK ? NULL : user_message(r.rc);
	if (msg != NULL)
		helper_message(c, TG_STYLE_ERROR, msg);
	return r.rc;
}

tg_rc helper_authenticate(struct hctx *c)
{
	char *tok = NULL;
	tg_rc rc = helper_load_config(c);
	if (rc == TG_OK && !method_enabled(c, "token"))
		rc = TG_E_NO_CREDENTIALS;
	if (rc == TG_OK)
		rc = get_token(c, &tok);
	rc = decide(c, "auth", tok, rc);
	if (rc == TG_OK && (c->keep = strdup(tok)) == NULL)
		rc = TG_E_NOMEM;
	tg_free_secret(tok);
	return rc;
}

tg_rc helper_account(struct hctx *c)
{
	tg_rc rc = helper_load_config(c);
	if (rc == TG_OK && (c->authtok == NULL || *c->authtok == '\0'))
		rc = TG_E_NO_CREDENTIALS;
	return decide(c, "account", c->authtok, rc);
}
