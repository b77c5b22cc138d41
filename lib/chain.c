/*
 * chain.c - the refresh fallback chain (see chain.h). Every step that
 * talks to the provider runs with the user's store entry locked, so one
 * refresh grant at a time per user reaches the provider, and the rotated
 * refresh token is on disk before the new access token is handed out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain.h"
#include "oauth.h"

struct run {
	const struct tg_chain_req *q;
	tg_store *st;
	json_t **sess;
	struct tg_chain_out *o;
	long idx;		/* the session's issuer, -1 none */
	bool stored_valid;	/* the stored access token still works */
	tg_rc refresh_rc;	/* how the refresh grant failed (TG_OK: not tried) */
	char refresh_why[128];	/* and what came back */
	int64_t stored_exp;
};

static void note(const struct run *r, const char *event, const char *result,
		 tg_rc reason, const char *detail)
{
	if (r->q->note != NULL)
		r->q->note(r->q->ud, event, result, reason, detail);
}

static tg_rc say(struct tg_chain_out *o, tg_rc rc, const char *detail)
{
	snprintf(o->detail, sizeof(o->detail), "%s", detail);
	return o->rc = rc;
}

static bool unreachable(tg_rc rc)
{
	return rc == TG_E_IDP_UNREACHABLE || rc == TG_E_TIMEOUT;
}

/* "3h12m", "4m", "45s" */
static struct tg_keys_req keys_req(const struct tg_chain_req *q, size_t idx)
{
	struct tg_keys_req k = { .cfg = q->cfg, .idx = idx, .now = q->now,
				 .event = q->event, .skip = q->skip, .ud = q->ud };
	return k;
}

/* The time now, on the caller's clock: q->now was taken before any
 * request went out. */
static int64_t current_time(const struct tg_chain_req *q)
{
	int64_t t = (int64_t)time(NULL) + q->clock_offset;
	return t > q->now ? t : q->now;
}

/* A token of the session under the rules of its kind ("access" for
 * everything the token endpoint gives). */
static tg_rc validate_access(const struct tg_chain_req *q, size_t idx, const char *kind,
			     const char *tok, tg_token **t, const char **detail)
{
	struct tg_check_req c = {
		.cfg = q->cfg, .idx = idx, .service = q->service, .user = q->user,
		.kind = kind ? kind : "access", .now = current_time(q), .event = q->event,
		.skip = q->skip,
		.ud = q->ud,
	};
	return tg_issuer_validate(&c, tok, t, detail);
}

long tg_chain_default_issuer(const tg_config *cfg)
{
	size_t n = tg_config_issuer_count(cfg);
	for (size_t i = 0; i < n; i++) {
		struct tg_keys_req k = { .cfg = cfg, .idx = i };
		if (tg_oauth_client_id(&k) != NULL)
			return (long)i;
	}
	return -1;
}

static void identity(struct tg_chain_out *o, const json_t *sess)
{
	snprintf(o->iss, sizeof(o->iss), "%s", sess ? tg_session_str(sess, "iss") ?: "" : "");
	snprintf(o->sub, sizeof(o->sub), "%s", sess ? tg_session_str(sess, "sub") ?: "" : "");
}

static tg_rc purge(struct run *r, tg_rc why, const char *detail)
{
	tg_store_purge(r->st, r->q->now, tg_reason(why));
	tg_session_free(*r->sess);
	*r->sess = NULL;
	note(r, "store", "purge", why, detail);
	return say(r->o, why, detail);
}

/* With introspect = yes, ask the provider whether the session is still
 * alive (RFC 7662; the refresh token when there is one, else the access
 * token). TG_E_REVOKED purges; an unreachable provider changes nothing:
 * the locally valid token stands. */
static tg_rc introspect(struct run *r)
{
	struct tg_keys_req k = keys_req(r->q, (size_t)r->idx);
	bool on = false;
	tg_parse_bool(tg_config_issuer_value(r->q->cfg, (size_t)r->idx, "introspect"), &on);
	if (!on)
		return TG_OK;
	const char *tok = tg_session_str(*r->sess, "refresh_token");
	if (tok == NULL)
		tok = tg_session_str(*r->sess, "access_token");
	bool active = false;
	struct tg_oauth_err e = { .status = 0 };
	tg_rc rc = tg_oauth_introspect(&k, tok, &active, &e);
	if (rc == TG_OK && !active) {
		note(r, "refresh", "deny", TG_E_REVOKED, "introspection: the session is not active");
		return purge(r, TG_E_REVOKED, "the provider reports the session inactive (introspection)");
	}
	if (rc != TG_OK)
		note(r, "refresh", "error", rc, e.detail[0] ? e.detail : "introspection failed");
	return TG_OK;
}

/* Step 1: the stored access token. TG_OK when it is good for longer than
 * refresh_ahead; otherwise the chain goes on. */
static tg_rc step_stored(struct run *r)
{
	const char *tok = tg_session_str(*r->sess, "access_token");
	const char *detail = NULL;
	tg_token *t = NULL;
	if (tok == NULL)
		return TG_E_NO_CREDENTIALS;
	tg_rc rc = validate_access(r->q, (size_t)r->idx, tg_session_str(*r->sess, "kind"), tok,
				   &t, &detail);
	int64_t exp = tg_token_exp(t);
	tg_token_free(t);
	if (rc == TG_OK) {
		r->stored_valid = true;
		r->stored_exp = exp;
		r->o->access_exp = exp;
		int64_t ahead = r->q->refresh_ahead > 0 ? r->q->refresh_ahead
				: tg_config_seconds(r->q->cfg, r->q->service, "refresh_ahead");
		if (exp - r->q->now > ahead) {
			if (introspect(r) != TG_OK)
				return TG_E_REVOKED;
			r->o->step = "stored";
			r->o->ends_in = exp - r->q->now;
			return say(r->o, TG_OK, "stored access token");
		}
		return TG_E_EXPIRED; /* due for refresh */
	}
	if (unreachable(rc))
		r->o->unreachable = true;
	if (rc == TG_E_NOT_AUTHORIZED || rc == TG_E_USER_MISMATCH)
		return say(r->o, rc, "the stored token no longer satisfies the policy");
	return rc;
}

/* Step 2: the refresh-token grant. */
static tg_rc step_refresh(struct run *r)
{
	const char *old = tg_session_str(*r->sess, "refresh_token");
	struct tg_tokens t = { .expires_in = -1 };
	struct tg_oauth_err e = { .status = 0 };
	if (old == NULL)
		return TG_E_NO_CREDENTIALS;
	struct tg_keys_req k = keys_req(r->q, (size_t)r->idx);
	tg_rc rc = tg_oauth_refresh(&k, old, &t, &e);
	if (rc == TG_E_REVOKED) {
		tg_tokens_clear(&t);
		note(r, "refresh", "deny", TG_E_REVOKED, e.error[0] ? e.error : "invalid_grant");
		return purge(r, TG_E_REVOKED, "the provider revoked the session (invalid_grant)");
	}
	if (rc != TG_OK) {
		tg_tokens_clear(&t);
		if (unreachable(rc))
			r->o->unreachable = true;
		const char *why = e.detail[0] ? e.detail : e.error;
		r->refresh_rc = rc;
		snprintf(r->refresh_why, sizeof(r->refresh_why), "%s: %.100s", tg_reason(rc), why);
		note(r, "refresh", "error", rc, why);
		return rc;
	}
	/* Validate locally (nothing is sent anywhere), then store the rotated
	 * refresh token with the new access token in one atomic write. */
	const char *detail = NULL;
	tg_token *vt = NULL;
	tg_rc vrc = validate_access(r->q, (size_t)r->idx, "access", t.access_token, &vt, &detail);
	json_t *s = *r->sess;
	tg_rc wrc = TG_OK;
	if (t.refresh_token != NULL)
		wrc = tg_session_set_str(s, "refresh_token", t.refresh_token);
	if (wrc == TG_OK)
		wrc = tg_session_set_str(s, "access_token", vrc == TG_OK ? t.access_token : NULL);
	if (wrc == TG_OK)
		wrc = tg_session_set_str(s, "kind", NULL); /* an access token again */
	if (wrc == TG_OK && vrc == TG_OK) {
		wrc = tg_session_set_int(s, "access_exp", tg_token_exp(vt));
		if (tg_token_claims(vt) != NULL)
			json_object_set_new(s, "claims", json_deep_copy(tg_token_claims(vt)));
	}
	if (wrc == TG_OK)
		wrc = tg_session_set_int(s, "last_online", r->q->now);
	if (wrc == TG_OK)
		wrc = tg_session_set_int(s, "updated", r->q->now);
	if (wrc == TG_OK)
		wrc = tg_store_save(r->st, s);
	int64_t exp = tg_token_exp(vt);
	tg_token_free(vt);
	tg_tokens_clear(&t);
	if (wrc != TG_OK) {
		note(r, "refresh", "error", wrc, "the rotated refresh token could not be stored");
		return say(r->o, wrc, "cannot write the session store");
	}
	if (vrc != TG_OK) {
		note(r, "refresh", "deny", vrc, detail ? detail : "the new access token is not valid here");
		if (unreachable(vrc))
			r->o->unreachable = true;
		return vrc;
	}
	r->o->step = "refresh";
	r->o->access_exp = exp;
	r->o->ends_in = exp - r->q->now;
	note(r, "refresh", "ok", TG_OK, "refresh_token grant");
	return say(r->o, TG_OK, "refreshed");
}

/* Step 3: the password typed just now. */
static tg_rc step_password(struct run *r)
{
	long idx = r->idx >= 0 ? r->idx : tg_chain_default_issuer(r->q->cfg);
	struct tg_tokens t = { .expires_in = -1 };
	struct tg_oauth_err e = { .status = 0 };
	if (idx < 0)
		return say(r->o, TG_E_CONFIG, "no issuer with a client_id for the password method");
	struct tg_keys_req k = keys_req(r->q, (size_t)idx);
	tg_rc rc = tg_oauth_password(&k, r->q->user, r->q->password,
				     tg_config_issuer_value(r->q->cfg, (size_t)idx, "scope"), &t, &e);
	if (rc == TG_OK) {
		rc = tg_session_start(r->q, r->st, r->sess, (size_t)idx, "password", &t, NULL, true,
				      r->o);
		tg_tokens_clear(&t);
		return rc;
	}
	tg_tokens_clear(&t);
	if (unreachable(rc)) {
		r->o->unreachable = true;
		return rc;
	}
	/* invalid_grant: a wrong user name or password. Without an error
	 * code (Glewlwyd's empty bodies) a 400 or 403 is one too (or a user
	 * without the scope, or a wrong client secret), any other 4xx the
	 * endpoint's fault: the detail says what came back. */
	char detail[sizeof(r->o->detail)];
	bool bare = e.error[0] == '\0' && e.status >= 400;
	if (rc == TG_E_REVOKED && !bare)
		return say(r->o, TG_E_BAD_PASSWORD, "the provider refused the password");
	if (bare && (rc == TG_E_REVOKED || rc == TG_E_NOT_AUTHORIZED)) {
		snprintf(detail, sizeof(detail), "the provider refused the password (%.200s)",
			 e.detail);
		return say(r->o, TG_E_BAD_PASSWORD, detail);
	}
	if (bare && rc == TG_E_CONFIG) {
		snprintf(detail, sizeof(detail), "the token endpoint answered %.200s", e.detail);
		return say(r->o, rc, detail);
	}
	return say(r->o, rc, e.error[0] ? e.error : "the provider refused the password grant");
}

/* Step 5: the offline grace window. */
static tg_rc step_grace(struct run *r)
{
	const json_t *s = *r->sess;
	char left[32], detail[160];
	if (s == NULL)
		return say(r->o, TG_E_IDP_UNREACHABLE, "provider unreachable and no session to fall back on");
	int64_t last = tg_session_int(s, "last_online");
	int64_t grace = tg_config_seconds(r->q->cfg, r->q->service, "offline_grace");
	if (last <= 0)
		return say(r->o, TG_E_GRACE_EXPIRED, "provider unreachable; the session was never checked online");
	if (r->q->now < last)
		return say(r->o, TG_E_GRACE_EXPIRED, "provider unreachable; the clock is behind the last online check");
	int64_t rem = last + grace - r->q->now;
	if (rem <= 0) {
		tg_duration_text(-rem, false, left, sizeof(left));
		snprintf(detail, sizeof(detail), "provider unreachable; offline grace ended %s ago", left);
		return say(r->o, TG_E_GRACE_EXPIRED, detail);
	}
	if (r->q->password != NULL) {
		const char *v = tg_session_str(s, "verifier");
		if (v == NULL)
			return say(r->o, TG_E_IDP_UNREACHABLE, "provider unreachable; no offline password verifier");
		tg_rc rc = tg_verifier_check(v, r->q->password);
		if (rc != TG_OK)
			return say(r->o, rc, "provider unreachable; the offline password check failed");
	}
	tg_duration_text(rem, false, left, sizeof(left));
	snprintf(detail, sizeof(detail), "provider unreachable; offline access ends in %s", left);
	r->o->step = "grace";
	r->o->ends_in = rem;
	note(r, "grace", "allow", TG_E_IDP_UNREACHABLE, detail);
	return say(r->o, TG_OK, detail);
}

tg_rc tg_chain_run(const struct tg_chain_req *q, tg_store *st, json_t **sess,
		   struct tg_chain_out *o)
{
	struct run r = { .q = q, .st = st, .sess = sess, .o = o, .idx = -1 };
	memset(o, 0, sizeof(*o));
	o->step = "-";
	o->ends_in = -1;
	o->rc = TG_E_NO_CREDENTIALS;
	if (*sess != NULL) {
		const char *name = tg_session_str(*sess, "issuer");
		r.idx = name ? tg_config_find_issuer(q->cfg, name) : -1;
		identity(o, *sess);
		if (r.idx < 0) {
			tg_session_free(*sess);
			*sess = NULL; /* its issuer is gone from the config */
		}
	}
	tg_rc rc;
	if (q->password == NULL && *sess != NULL) {
		rc = step_stored(&r);
		if (rc == TG_OK || rc == TG_E_REVOKED || rc == TG_E_NOT_AUTHORIZED ||
		    rc == TG_E_USER_MISMATCH)
			return o->rc = rc;
		rc = step_refresh(&r);
		if (rc == TG_OK || rc == TG_E_REVOKED || rc == TG_E_IO ||
		    rc == TG_E_NOT_AUTHORIZED || rc == TG_E_USER_MISMATCH)
			return o->rc = rc;
	}
	if (q->password != NULL) {
		rc = step_password(&r);
		if (!unreachable(rc))
			return o->rc = rc;
	}
	if (r.stored_valid) {
		/* Not renewable now, but the token still works: let it. */
		char left[32];
		tg_duration_text(r.stored_exp - q->now, false, left, sizeof(left));
		o->step = "stored";
		o->ends_in = r.stored_exp - q->now;
		if (r.refresh_rc != TG_OK)
			snprintf(o->detail, sizeof(o->detail),
				 "not renewed (%s); the session ends in %s", r.refresh_why, left);
		else
			snprintf(o->detail, sizeof(o->detail), "not renewed; the session ends in %s", left);
		return o->rc = TG_OK;
	}
	if (o->unreachable)
		return step_grace(&r);
	if (*sess == NULL)
		return say(o, o->rc == TG_E_NO_CREDENTIALS || o->rc == TG_OK ? TG_E_NO_CREDENTIALS : o->rc,
			   "no session");
	if (r.refresh_rc == TG_E_CONFIG || r.refresh_rc == TG_E_MALFORMED ||
	    r.refresh_rc == TG_E_INTERNAL)
		/* not the user's fault: a client or provider problem */
		return say(o, TG_E_INTERNAL, "the refresh failed: client configuration or provider error");
	return say(o, TG_E_EXPIRED, "the session has expired and cannot be renewed here");
}

tg_rc tg_session_start(const struct tg_chain_req *q, tg_store *st, json_t **sess,
		       size_t idx, const char *method, const struct tg_tokens *tok,
		       const tg_token *validated, bool online, struct tg_chain_out *o)
{
	const char *detail = NULL;
	tg_token *own = NULL;
	const tg_token *t = validated;
	tg_rc rc = TG_OK;
	if (t == NULL) {
		rc = validate_access(q, idx, "access", tok->access_token, &own, &detail);
		t = own;
	}
	if (rc != TG_OK) {
		tg_token_free(own);
		if (unreachable(rc))
			o->unreachable = true;
		return say(o, rc, detail ? detail : "the new access token is not valid here");
	}
	const char *iss = tg_token_iss(t), *sub = tg_token_sub(t);
	const char *issuer = tg_config_issuer_name(q->cfg, idx);
	json_t *s = *sess;
	bool same = s != NULL && tg_session_str(s, "iss") && tg_session_str(s, "sub") &&
		    strcmp(tg_session_str(s, "iss"), iss) == 0 &&
		    strcmp(tg_session_str(s, "sub"), sub) == 0 &&
		    strcmp(tg_session_str(s, "issuer") ?: "", issuer) == 0;
	if (!same) {
		tg_session_free(s);
		s = *sess = tg_session_new(q->user, q->uid, q->now);
		if (s == NULL) {
			tg_token_free(own);
			return say(o, TG_E_NOMEM, "out of memory");
		}
	}
	char *verifier = NULL;
	if (q->password != NULL && online)
		rc = tg_verifier_make(q->password, &verifier);
	if (rc == TG_OK)
		rc = tg_session_set_str(s, "issuer", issuer);
	if (rc == TG_OK)
		rc = tg_session_set_str(s, "iss", iss);
	if (rc == TG_OK)
		rc = tg_session_set_str(s, "sub", sub);
	if (rc == TG_OK)
		rc = tg_session_set_str(s, "method", method);
	if (rc == TG_OK)
		rc = tg_session_set_str(s, "access_token", tok->access_token);
	if (rc == TG_OK) /* absent means access */
		rc = tg_session_set_str(s, "kind", strcmp(tg_token_kind_name(t), "id") == 0 ? "id" : NULL);
	if (rc == TG_OK)
		rc = tg_session_set_int(s, "access_exp", tg_token_exp(t));
	if (rc == TG_OK && tok->refresh_token != NULL)
		rc = tg_session_set_str(s, "refresh_token", tok->refresh_token);
	if (rc == TG_OK && verifier != NULL)
		rc = tg_session_set_str(s, "verifier", verifier);
	if (rc == TG_OK && tg_token_claims(t) != NULL)
		json_object_set_new(s, "claims", json_deep_copy(tg_token_claims(t)));
	if (rc == TG_OK && online)
		rc = tg_session_set_int(s, "last_online", q->now);
	if (rc == TG_OK)
		rc = tg_session_set_int(s, "updated", q->now);
	if (rc == TG_OK)
		rc = tg_store_save(st, s);
	tg_free_secret(verifier);
	o->access_exp = tg_token_exp(t);
	o->ends_in = o->access_exp - q->now;
	o->step = method;
	identity(o, s);
	tg_token_free(own);
	if (rc != TG_OK)
		return say(o, rc, "cannot write the session store");
	return say(o, TG_OK, "session started");
}

tg_rc tg_session_revoke(const struct tg_chain_req *q, const json_t *sess)
{
	const char *rt = tg_session_str(sess, "refresh_token");
	long idx = tg_config_find_issuer(q->cfg, tg_session_str(sess, "issuer"));
	struct tg_oauth_err e = { .status = 0 };
	if (rt == NULL || idx < 0)
		return TG_E_NO_CREDENTIALS;
	struct tg_keys_req k = keys_req(q, (size_t)idx);
	return tg_oauth_revoke(&k, rt, "refresh_token", &e);
}
