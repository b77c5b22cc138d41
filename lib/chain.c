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
#include "grant.h"
#include "oauth.h"
#include "settings.h"
#include "userdb.h"

#define TOUCH_EVERY 60	/* seconds: how finely last_used is kept */

struct run {
	const struct tg_ctx *q;
	const char *password;	/* typed just now, or NULL */
	int64_t refresh_ahead;	/* seconds; 0: the service's refresh_ahead */
	tg_store *st;
	json_t **sess;
	struct tg_chain_out *o;
	long idx;		/* the session's issuer, -1 none */
	bool stored_valid;	/* the stored access token still works */
	tg_rc refresh_rc;	/* how the refresh grant failed (TG_OK: not tried) */
	tg_rc no_grace;		/* the stored token failed a check grace cannot
				   repeat (signature, structure): TG_OK if none */
	char refresh_why[128];	/* and what came back */
	int64_t stored_exp;
};

static void note_q(const struct tg_ctx *q, const char *event, const char *result,
		   tg_rc reason, const char *detail)
{
	tg_ctx_event(q, TG_EV_NOTE, event, result, reason, detail);
}

static void note(const struct run *r, const char *event, const char *result,
		 tg_rc reason, const char *detail)
{
	note_q(r->q, event, result, reason, detail);
}

static tg_rc say(struct tg_chain_out *o, tg_rc rc, const char *detail)
{
	snprintf(o->detail, sizeof(o->detail), "%s", detail);
	return o->rc = rc;
}

/* The provider's doing, as lib/http.c classified it: the only outcome
 * that may lead to grace. */
static bool unreachable(tg_rc rc)
{
	return rc == TG_E_IDP_UNREACHABLE;
}

long tg_chain_default_issuer(const tg_config *cfg)
{
	size_t n = tg_config_issuer_count(cfg);
	for (size_t i = 0; i < n; i++) {
		if (tg_oauth_client_id(cfg, i) != NULL)
			return (long)i;
	}
	return -1;
}

long tg_chain_service_issuer(const struct tg_ctx *x)
{
	return x->any_issuer ? -1 : tg_service_settings(x->cfg, x->service)->issuer_idx;
}

long tg_chain_login_issuer(const struct tg_ctx *x)
{
	long want = tg_chain_service_issuer(x);
	return want >= 0 ? want : tg_chain_default_issuer(x->cfg);
}

/* A stored session of another issuer than the one the service names is
 * not authorized here (valid elsewhere: it is kept). TG_OK otherwise. */
static tg_rc foreign_session(const struct tg_ctx *q, long idx, struct tg_chain_out *o)
{
	long want = tg_chain_service_issuer(q);
	char detail[sizeof(o->detail)];
	if (want < 0 || idx == want)
		return TG_OK;
	snprintf(detail, sizeof(detail),
		 "the stored session is of [issuer %.64s]; this service accepts [issuer %.64s] only",
		 idx >= 0 ? tg_config_issuer_name(q->cfg, (size_t)idx) : "-",
		 tg_config_issuer_name(q->cfg, (size_t)want));
	return say(o, TG_E_NOT_AUTHORIZED, detail);
}

static void identity(struct tg_chain_out *o, const json_t *sess)
{
	snprintf(o->issuer, sizeof(o->issuer), "%s",
		 sess ? tg_session_str(sess, "issuer") ?: "" : "");
	snprintf(o->iss, sizeof(o->iss), "%s", sess ? tg_session_str(sess, "iss") ?: "" : "");
	snprintf(o->sub, sizeof(o->sub), "%s", sess ? tg_session_str(sess, "sub") ?: "" : "");
	snprintf(o->login, sizeof(o->login), "%s",
		 sess ? tg_session_str(sess, "login_id") ?: "" : "");
	o->token_kind = sess == NULL ? NULL
		      : strcmp(tg_session_str(sess, "kind") ?: "access", "id") == 0 ? "id" : "access";
}

/* Ends the session, leaving the marker that makes the end stick. When the
 * marker cannot be written the session stays (it would otherwise vanish
 * without a trace, and the account stage ignore the user): internal. */
static tg_rc purge_q(const struct tg_ctx *q, tg_store *st, json_t **sess,
		     struct tg_chain_out *o, tg_rc why, const char *detail)
{
	if (tg_store_purge(st, q->now, tg_reason(why)) != TG_OK) {
		note_q(q, "store", "error", TG_E_IO, "the session could not be purged (marker not written)");
		return say(o, TG_E_INTERNAL, "the session store cannot record the end of the session");
	}
	tg_session_free(*sess);
	*sess = NULL;
	note_q(q, "store", "purge", why, detail);
	return say(o, why, detail);
}

static tg_rc purge(struct run *r, tg_rc why, const char *detail)
{
	return purge_q(r->q, r->st, r->sess, r->o, why, detail);
}

/* How a token the provider has just issued was refused here. */
enum refusal {
	UNCHECKED,	/* it could not be checked now: no keys, a local failure,
			   or a clock that disagrees with the provider's */
	NOT_HERE,	/* a valid person, not authorized for this service */
	NOT_THEM,	/* not a valid token of this session's identity */
};

static enum refusal refusal_of(tg_rc rc)
{
	switch (rc) {
	case TG_E_NOT_AUTHORIZED:
		return NOT_HERE;
	case TG_E_IDP_UNREACHABLE:
	case TG_E_INTERNAL:
	case TG_E_NOMEM:
	case TG_E_IO:
	case TG_E_CONFIG:
	case TG_E_TIMEOUT:
	case TG_E_EXPIRED:	/* times are checked last: the identity held */
	case TG_E_NOT_YET_VALID:
	case TG_E_UNKNOWN_KID:	/* keys rotating faster than our refetch */
		return UNCHECKED;
	default:
		return NOT_THEM;
	}
}

static bool same_identity(const json_t *sess, const tg_token *t)
{
	const char *iss = tg_session_str(sess, "iss"), *sub = tg_session_str(sess, "sub");
	return iss != NULL && sub != NULL && tg_token_iss(t) != NULL && tg_token_sub(t) != NULL &&
	       strcmp(iss, tg_token_iss(t)) == 0 && strcmp(sub, tg_token_sub(t)) == 0;
}

/* The token the session rests on, and the rules it is held to (absent:
 * access). */
static tg_rc set_token(json_t *s, const struct tg_grant_pick *pk)
{
	tg_rc rc = tg_session_set_str(s, "access_token", pk->text);
	if (rc == TG_OK)
		rc = tg_session_set_str(s, "kind", strcmp(pk->kind, "id") == 0 ? "id" : NULL);
	return rc;
}

/* Replaces the session's claims (a copy of what the token kept). */
static tg_rc set_claims(json_t *s, const tg_token *t)
{
	const json_t *c = tg_token_claims(t);
	json_t *copy = c != NULL ? json_deep_copy(c) : json_object();
	return copy != NULL && json_object_set_new(s, "claims", copy) == 0 ? TG_OK : TG_E_NOMEM;
}

/* The provider's newest word on a person who is not authorized for this
 * service: the session takes the new token and claims (so no later step,
 * stored or offline, can use the old groups here; other services judge
 * them by their own policy), and last_online stays where it was: no fresh
 * grace window. The verifier stays: the provider has just accepted that
 * person, and every offline step rechecks the claims per service. */
static tg_rc record_not_here(const struct tg_ctx *q, tg_store *st, json_t *s,
			     const tg_token *t, const struct tg_grant_pick *pk,
			     const char *new_refresh)
{
	tg_rc rc = TG_OK;
	if (new_refresh != NULL)
		rc = tg_session_set_str(s, "refresh_token", new_refresh);
	if (rc == TG_OK)
		rc = set_token(s, pk);
	if (rc == TG_OK)
		rc = tg_session_set_int(s, "access_exp", tg_token_exp(t));
	if (rc == TG_OK)
		rc = set_claims(s, t);
	if (rc == TG_OK)
		rc = tg_session_set_int(s, "updated", q->now);
	return rc == TG_OK ? tg_store_save(st, s) : rc;
}

/* With introspect = yes, ask the provider whether the session is still
 * alive (RFC 7662; the refresh token when there is one, else the access
 * token). TG_E_REVOKED purges; an unreachable provider changes nothing:
 * the locally valid token stands. */
static tg_rc introspect(struct run *r)
{
	const struct tg_issuer *h = tg_issuer_of(r->q->cfg, (size_t)r->idx);
	if (h == NULL || !h->introspect)
		return TG_OK;
	const char *tok = tg_session_str(*r->sess, "refresh_token");
	if (tok == NULL && strcmp(tg_session_str(*r->sess, "kind") ?: "access", "id") == 0)
		return TG_OK; /* an ID token is no token to introspect */
	if (tok == NULL)
		tok = tg_session_str(*r->sess, "access_token");
	bool active = false;
	struct tg_oauth_err e = { .status = 0 };
	tg_rc rc = tg_oauth_introspect(r->q, (size_t)r->idx, tok, &active, &e);
	if (rc == TG_OK && !active) {
		note(r, "refresh", "deny", TG_E_REVOKED, "introspection: the session is not active");
		return purge(r, TG_E_REVOKED, "the provider reports the session inactive (introspection)");
	}
	if (rc != TG_OK)
		note(r, "refresh", "error", rc, e.detail[0] ? e.detail : "introspection failed");
	return TG_OK;
}

/* Step 1: the stored access token. TG_OK when it is good for longer than
 * refresh_ahead. Expired (or due), not yet valid, an unknown kid, no keys
 * right now: the chain goes on. Not authorized here, another user, issuer,
 * audience, type or algorithm: the policy refuses it, and no later step
 * may let this person in. A bad signature or structure goes on to the
 * refresh grant (the provider decides) but never to grace. */
/* A session a login rested on an ID token while its issuer now says
 * session_token = access: its token no longer counts (the refresh grant
 * may give an access token that does), and grace cannot repeat it. */
static bool kind_withdrawn(const struct run *r)
{
	const json_t *s = *r->sess;
	const struct tg_issuer *h = tg_issuer_of(r->q->cfg, (size_t)r->idx);
	return h != NULL && h->session_token == TG_SESSION_ACCESS &&
	       strcmp(tg_session_str(s, "kind") ?: "access", "id") == 0 &&
	       strcmp(tg_session_str(s, "method") ?: "", "token") != 0;
}

static tg_rc step_stored(struct run *r)
{
	const char *tok = tg_session_str(*r->sess, "access_token");
	const char *detail = NULL;
	tg_token *t = NULL;
	if (tok == NULL)
		return TG_E_NO_CREDENTIALS;
	if (kind_withdrawn(r)) {
		r->no_grace = TG_E_BAD_TYPE;
		return TG_E_EXPIRED;
	}
	tg_rc rc = tg_grant_validate(r->q, (size_t)r->idx, tg_session_str(*r->sess, "kind"), tok,
				     &t, &detail);
	int64_t exp = tg_token_exp(t);
	tg_token_free(t);
	if (rc == TG_OK) {
		r->stored_valid = true;
		r->stored_exp = exp;
		r->o->access_exp = exp;
		int64_t ahead = r->refresh_ahead > 0 ? r->refresh_ahead
				: tg_service_settings(r->q->cfg, r->q->service)->refresh_ahead;
		if (exp - r->q->now > ahead) {
			if (introspect(r) != TG_OK)
				return TG_E_REVOKED;
			r->o->step = "stored";
			r->o->ends_in = exp - r->q->now;
			return say(r->o, TG_OK, "stored access token");
		}
		return TG_E_EXPIRED; /* due for refresh */
	}
	switch (rc) {
	case TG_E_EXPIRED:
	case TG_E_NOT_YET_VALID:
	case TG_E_UNKNOWN_KID:
		return rc;
	case TG_E_IDP_UNREACHABLE:
		r->o->unreachable = true;
		return rc;
	case TG_E_BAD_SIGNATURE:
	case TG_E_MALFORMED:
		r->no_grace = rc;
		return rc;
	case TG_E_INTERNAL:
	case TG_E_NOMEM:
	case TG_E_IO:
	case TG_E_CONFIG:
	case TG_E_TIMEOUT:
		return say(r->o, rc, detail ? detail : "the stored token cannot be checked");
	default:
		return say(r->o, rc, "the stored token no longer satisfies this service's policy");
	}
}

/* Does the chain stop at what step 1 said? */
static bool stored_decides(tg_rc rc)
{
	return rc != TG_E_EXPIRED && rc != TG_E_NOT_YET_VALID && rc != TG_E_UNKNOWN_KID &&
	       rc != TG_E_IDP_UNREACHABLE && rc != TG_E_NO_CREDENTIALS &&
	       rc != TG_E_BAD_SIGNATURE && rc != TG_E_MALFORMED;
}

/* The rotated refresh token, written to the store at once (nothing else
 * of the session changes). No write when the provider did not rotate.
 * On failure the tokens are cleared and the run's outcome says why. */
static tg_rc keep_rotated(struct run *r, struct tg_tokens *t)
{
	json_t *s = *r->sess;
	const char *old = tg_session_str(s, "refresh_token");
	if (old != NULL && strcmp(old, t->refresh_token) == 0)
		return TG_OK;
	tg_rc rc = tg_session_set_str(s, "refresh_token", t->refresh_token);
	if (rc == TG_OK)
		rc = tg_store_save(r->st, s);
	if (rc == TG_OK)
		return TG_OK;
	tg_tokens_clear(t);
	note(r, "refresh", "error", rc, "the rotated refresh token could not be stored");
	return say(r->o, rc, "cannot write the session store");
}

/* The refreshed tokens into the session of the same identity: the
 * access token, its expiry and claims only when validated and authorized
 * here (vrc TG_OK), and only then a fresh last_online. */
static tg_rc take_refreshed(struct run *r, json_t *s, const struct tg_tokens *t,
			    const struct tg_grant_pick *pk, const tg_token *vt, tg_rc vrc)
{
	tg_rc wrc = TG_OK;
	struct tg_grant_pick none = { .kind = pk->kind, .text = NULL };
	if (t->refresh_token != NULL)
		wrc = tg_session_set_str(s, "refresh_token", t->refresh_token);
	if (wrc == TG_OK)
		wrc = set_token(s, vrc == TG_OK ? pk : &none);
	if (wrc == TG_OK && vrc == TG_OK)
		wrc = tg_session_set_int(s, "access_exp", tg_token_exp(vt));
	if (wrc == TG_OK && vrc == TG_OK)
		wrc = set_claims(s, vt);
	/* online, and validated and authorized for this service */
	if (wrc == TG_OK && vrc == TG_OK)
		wrc = tg_session_set_int(s, "last_online", r->q->now);
	if (wrc == TG_OK)
		wrc = tg_session_set_int(s, "updated", r->q->now);
	if (wrc == TG_OK)
		wrc = tg_store_save(r->st, s);
	return wrc;
}

/* Is (iss, sub) the account's owner (or has it none yet)? TG_OK, or
 * TG_E_USER_MISMATCH with the owner's sub in osub, or TG_E_INTERNAL with
 * the reason in o when the owner record cannot be trusted. */
static tg_rc owner_check(tg_store *st, const char *iss, const char *sub, char *osub,
			 size_t osublen, bool *unowned, struct tg_chain_out *o)
{
	char oiss[512];
	tg_rc rc = tg_store_owner(st, oiss, sizeof(oiss), osub, osublen);
	if (unowned != NULL)
		*unowned = rc == TG_E_NO_CREDENTIALS;
	if (rc == TG_E_IO)
		return say(o, TG_E_INTERNAL, "the account's owner record is unreadable or unsafe");
	if (rc == TG_OK && (strcmp(oiss, iss ?: "") != 0 || strcmp(osub, sub ?: "") != 0))
		return TG_E_USER_MISMATCH;
	return TG_OK;
}

/* Before any offline step lets someone in, the service's authorization on
 * what the session stored of its last validated token: the account's own
 * session, the configured issuer, the user mapping, allowed_groups. */
static tg_rc authorize_stored(struct run *r, const char *when)
{
	const json_t *s = *r->sess;
	tg_policy *p = NULL;
	const char *user = tg_session_str(s, "user");
	char osub[512];
	if (user == NULL || strcmp(user, r->q->user) != 0)
		return say(r->o, TG_E_USER_MISMATCH, "the stored session belongs to another user");
	tg_rc orc = owner_check(r->st, tg_session_str(s, "iss"), tg_session_str(s, "sub"), osub,
				sizeof(osub), NULL, r->o);
	if (orc == TG_E_USER_MISMATCH)
		return say(r->o, orc, "the stored session is not the account owner's");
	if (orc != TG_OK)
		return orc;
	if (foreign_session(r->q, r->idx, r->o) != TG_OK)
		return r->o->rc;
	tg_rc rc = tg_policy_from_config(r->q->cfg, (size_t)r->idx, r->q->service, &p);
	if (rc == TG_OK)
		rc = tg_policy_set_user(p, r->q->user);
	if (rc == TG_OK)
		rc = tg_claims_authorize_stored(p, tg_session_str(s, "iss"),
						json_object_get(s, "claims"));
	bool fresh = p != NULL && p->max_auth_age > 0;
	tg_policy_free(p);
	char detail[sizeof(r->o->detail)];
	const char *why = rc == TG_E_USER_MISMATCH ? "the stored username does not map to this login name"
			: rc == TG_E_NOT_AUTHORIZED && fresh
				? "this service needs a fresh login (max_auth_age): an offline step never is one"
			: rc == TG_E_NOT_AUTHORIZED ? "the stored claims are not authorized for this service"
			: "the stored session does not match this issuer's policy";
	if (rc == TG_OK)
		return TG_OK;
	snprintf(detail, sizeof(detail), "%s; %s", when, why);
	return say(r->o, rc, detail);
}

/* A refreshed token that is not a valid token of this session's
 * identity: the session ends. If it cannot (no marker could be written)
 * it stays, but without the grant it has just been given (keep_rotated
 * stored it before this verdict), which is not its own. */
static tg_rc not_them(struct run *r, tg_rc vrc, const char *detail)
{
	note(r, "refresh", "deny", vrc, detail ? detail : "the provider's new token is not valid here");
	tg_rc prc = purge(r, vrc, "the provider's new token is not valid for this session");
	if (*r->sess != NULL && tg_session_set_str(*r->sess, "refresh_token", NULL) == TG_OK)
		(void)tg_store_save(r->st, *r->sess);
	return prc;
}

/* Step 2: the refresh-token grant. */
/* How long since the session's last interactive login. */
static int64_t login_age(const struct run *r)
{
	return r->q->now - tg_session_login_at(*r->sess);
}

/* Past session_max_age: no refresh and no grace renews it; a new
 * interactive login does. */
static bool too_old(const struct run *r)
{
	int64_t max = tg_service_settings(r->q->cfg, r->q->service)->session_max_age;
	return max > 0 && login_age(r) > max;
}

/* How long since a login stage last used the session (idle_timeout). */
static int64_t idle_for(const struct run *r)
{
	return r->q->now - tg_session_last_use(*r->sess);
}

/* Past idle_timeout: nothing renews it, nothing of it lets anyone in; a
 * new interactive login does. */
static bool idle(const struct run *r)
{
	int64_t max = tg_service_settings(r->q->cfg, r->q->service)->idle_timeout;
	return max > 0 && idle_for(r) > max;
}

/* A login stage let someone in from the session: it was used now (at
 * every service, so that idleness means nobody used it anywhere). Written
 * at most once a minute: repeated logins cost no store write. */
static void touch(struct run *r)
{
	json_t *s = *r->sess;
	if (r->q->any_issuer || s == NULL || r->q->now - tg_session_int(s, "last_used") < TOUCH_EVERY)
		return;
	if (tg_session_set_int(s, "last_used", r->q->now) != TG_OK || tg_store_save(r->st, s) != TG_OK)
		note(r, "store", "error", TG_E_IO, "the session's last use could not be recorded");
}

static tg_rc step_refresh(struct run *r)
{
	const char *old = tg_session_str(*r->sess, "refresh_token");
	struct tg_tokens t = { .expires_in = -1 };
	struct tg_oauth_err e = { .status = 0 };
	if (old == NULL)
		return TG_E_NO_CREDENTIALS;
	if (too_old(r)) {
		r->refresh_rc = TG_E_EXPIRED;
		snprintf(r->refresh_why, sizeof(r->refresh_why), "%s",
			 "session_max_age reached: log in again");
		return TG_E_EXPIRED;
	}
	tg_rc rc = tg_oauth_refresh(r->q, (size_t)r->idx, old, &t, &e);
	/* A 200 with a well-formed new refresh token: the provider has
	 * rotated the old one out. Stored before anything else is decided
	 * about the response (refused, not authorized, another identity):
	 * it is this session's grant, and the old one must never be sent
	 * again (reuse detection would revoke the grant). Only the refresh
	 * token: no identity, claims or last_online come from it here. */
	tg_rc krc = (rc == TG_OK || rc == TG_E_MALFORMED) && t.refresh_token != NULL
			    ? keep_rotated(r, &t) : TG_OK;
	if (krc != TG_OK)
		return krc;
	if (rc == TG_E_REVOKED) {
		tg_tokens_clear(&t);
		note(r, "refresh", "deny", TG_E_REVOKED, e.error[0] ? e.error : "invalid_grant");
		return purge(r, TG_E_REVOKED, "the provider revoked the session (invalid_grant)");
	}
	if (rc != TG_OK) {
		tg_tokens_clear(&t);
		/* the provider's latest word decides: an answer it gave (a
		 * refused client, a garbled reply) is no outage, whatever the
		 * key fetch before it met */
		r->o->unreachable = unreachable(rc);
		const char *why = e.detail[0] ? e.detail : e.error;
		r->refresh_rc = rc;
		snprintf(r->refresh_why, sizeof(r->refresh_why), "%s: %.100s", tg_reason(rc), why);
		note(r, "refresh", "error", rc, why);
		return rc;
	}
	/* Validate locally (nothing is sent anywhere). A token that is not
	 * this session's identity ends the session; otherwise the session
	 * takes what the verdict allows (the rotated refresh token is
	 * already stored). */
	const char *detail = NULL;
	tg_token *vt = NULL;
	json_t *s = *r->sess;
	struct tg_grant_pick pk;
	tg_rc vrc = tg_grant_token(r->q, (size_t)r->idx, &t, &vt, &pk, &detail);
	if (pk.no_id_token && strcmp(tg_session_str(s, "kind") ?: "access", "id") == 0) {
		/* An ID-token session the provider renewed without a new ID
		 * token: nothing new was validated, so nothing is renewed (no
		 * last_online, no new expiry; the rotated refresh token is
		 * kept). The session lasts as long as its ID token. */
		tg_token_free(vt);
		tg_tokens_clear(&t);
		r->refresh_rc = TG_E_EXPIRED;
		snprintf(r->refresh_why, sizeof(r->refresh_why), "%s",
			 "the provider sent no new ID token");
		note(r, "refresh", "error", TG_E_EXPIRED,
		     "refresh answered without an ID token: the session is not renewed");
		return TG_E_EXPIRED;
	}
	if (vrc == TG_OK && !same_identity(s, vt)) {
		vrc = TG_E_USER_MISMATCH;
		detail = "the refreshed token names another identity";
	}
	if (vrc != TG_OK && refusal_of(vrc) == NOT_THEM) {
		tg_token_free(vt);
		tg_tokens_clear(&t);
		return not_them(r, vrc, detail);
	}
	tg_rc wrc = vrc == TG_E_NOT_AUTHORIZED
			    ? record_not_here(r->q, r->st, s, vt, &pk, t.refresh_token)
			    : take_refreshed(r, s, &t, &pk, vt, vrc);
	int64_t exp = tg_token_exp(vt);
	tg_token_free(vt);
	tg_tokens_clear(&t);
	if (wrc != TG_OK) {
		note(r, "refresh", "error", wrc, "the rotated refresh token could not be stored");
		return say(r->o, wrc, "cannot write the session store");
	}
	if (vrc != TG_OK) {
		note(r, "refresh", "deny", vrc, detail ? detail : "the provider's new token is not valid here");
		if (unreachable(vrc))
			r->o->unreachable = true;
		else
			say(r->o, vrc, vrc == TG_E_NOT_AUTHORIZED
				       ? "the provider's new token is not authorized for this service"
				       : detail ? detail : "the provider's new token cannot be checked");
		return vrc;
	}
	r->o->token_kind = pk.kind;
	r->o->step = "refresh";
	r->o->access_exp = exp;
	r->o->ends_in = exp - r->q->now;
	note(r, "refresh", "ok", TG_OK, "refresh_token grant");
	return say(r->o, TG_OK, "refreshed");
}

/* An offline password dies with the online one: a password the provider
 * refuses while the stored verifier still accepts it (changed at the
 * provider) is forgotten. Only someone who knows that old password can
 * cause this, so it cannot be used to log anyone else out. */
static void forget_verifier(struct run *r)
{
	json_t *s = *r->sess;
	const char *v = s != NULL ? tg_session_str(s, "verifier") : NULL;
	if (v == NULL || tg_offline_pw_check(v, r->password) != TG_OK)
		return;
	if (tg_session_set_str(s, "verifier", NULL) == TG_OK && tg_store_save(r->st, s) == TG_OK)
		note(r, "store", "verifier_removed", TG_E_BAD_PASSWORD,
		     "the provider refused a password the offline verifier accepted; verifier removed");
	else
		note(r, "store", "error", TG_E_IO, "the refused password's verifier could not be removed");
}

tg_rc tg_password_grant(const struct tg_ctx *q, size_t idx, const char *password,
			struct tg_tokens *t, struct tg_chain_out *o)
{
	struct tg_oauth_err e = { .status = 0 };
	snprintf(o->issuer, sizeof(o->issuer), "%s", tg_config_issuer_name(q->cfg, idx));
	const struct tg_issuer *h = tg_issuer_of(q->cfg, idx);
	tg_rc rc = tg_oauth_password(q, idx, q->user, password, h ? h->scope : NULL, t, &e);
	if (rc == TG_OK)
		return TG_OK;
	tg_tokens_clear(t);
	if (unreachable(rc)) {
		o->unreachable = true;
		return rc;
	}
	/* invalid_grant: a wrong user name or password. Without an error
	 * code (Glewlwyd's empty bodies) a 400 or 403 is one too (or a user
	 * without the scope, or a wrong client secret), any other 4xx the
	 * endpoint's fault: the detail says what came back. */
	char detail[sizeof(o->detail)];
	bool bare = e.error[0] == '\0' && e.status >= 400;
	if (rc == TG_E_REVOKED && !bare)
		return say(o, TG_E_BAD_PASSWORD, "the provider refused the password");
	if (bare && (rc == TG_E_REVOKED || rc == TG_E_NOT_AUTHORIZED)) {
		snprintf(detail, sizeof(detail), "the provider refused the password (%.200s)",
			 e.detail);
		return say(o, TG_E_BAD_PASSWORD, detail);
	}
	if (bare && rc == TG_E_CONFIG) {
		snprintf(detail, sizeof(detail), "the token endpoint answered %.200s", e.detail);
		return say(o, rc, detail);
	}
	return say(o, rc, e.error[0] ? e.error : "the provider refused the password grant");
}

/* Step 3: the password typed just now. */
static tg_rc step_password(struct run *r)
{
	/* the service's issuer when it names one (a session of another is
	 * then not this login's: admit decides), else the session's own */
	long idx = tg_chain_service_issuer(r->q);
	if (idx < 0)
		idx = r->idx >= 0 ? r->idx : tg_chain_default_issuer(r->q->cfg);
	struct tg_tokens t = { .expires_in = -1 };
	if (idx < 0)
		return say(r->o, TG_E_CONFIG, "no issuer with a client_id for the password method");
	tg_rc rc = tg_password_grant(r->q, (size_t)idx, r->password, &t, r->o);
	if (rc == TG_OK) {
		rc = tg_session_start(r->q, r->password, r->st, r->sess, (size_t)idx, "password", &t,
				      NULL, true, r->o);
		tg_tokens_clear(&t);
		return rc;
	}
	if (rc == TG_E_BAD_PASSWORD)
		forget_verifier(r);
	return rc;
}

/* Step 5: the offline grace window. */
static tg_rc step_grace(struct run *r)
{
	const json_t *s = *r->sess;
	char left[32], detail[160];
	if (s == NULL)
		return say(r->o, TG_E_IDP_UNREACHABLE, "provider unreachable and no session to fall back on");
	identity(r->o, s); /* the decision is on the stored session */
	if (r->no_grace != TG_OK)
		return say(r->o, r->no_grace, r->no_grace == TG_E_BAD_TYPE
				 ? "provider unreachable; the session rests on an ID token and its issuer now has session_token = access"
				 : "provider unreachable; the stored token failed its checks");
	if (authorize_stored(r, "provider unreachable") != TG_OK)
		return r->o->rc;
	/* an offline password relies on the session as much as a stored token */
	if (idle(r))
		return say(r->o, TG_E_GRACE_EXPIRED,
			   "provider unreachable; the session was not used for longer than idle_timeout: log in again");
	if (too_old(r))
		return say(r->o, TG_E_GRACE_EXPIRED,
			   "provider unreachable; the session is older than session_max_age: log in again");
	int64_t last = tg_session_int(s, "last_online");
	int64_t grace = tg_service_settings(r->q->cfg, r->q->service)->offline_grace;
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
	if (r->password != NULL) {
		const char *v = tg_session_str(s, "verifier");
		if (v == NULL)
			return say(r->o, TG_E_IDP_UNREACHABLE, "provider unreachable; no offline password verifier");
		tg_rc rc = tg_offline_pw_check(v, r->password);
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

static tg_rc record_check(const struct tg_ctx *q, const char *iss, const char *sub,
			  struct tg_chain_out *o);
static tg_rc walk(struct run *r);

tg_rc tg_chain_run(const struct tg_ctx *q, const char *password, int64_t refresh_ahead,
		   tg_store *st, json_t **sess, struct tg_chain_out *o)
{
	struct run r = { .q = q, .password = password, .refresh_ahead = refresh_ahead, .st = st,
			 .sess = sess, .o = o, .idx = -1 };
	tg_rc rc = walk(&r);
	if (rc == TG_OK) /* a typed password is a use too (online: a new login) */
		touch(&r);
	return rc;
}

/* The chain's steps, on a copy of the run (what they share is behind its
 * pointers: the session, the store, the result). */
static tg_rc walk(struct run *in)
{
	struct run r = *in;
	const struct tg_ctx *q = r.q;
	const char *password = r.password;
	json_t **sess = r.sess;
	struct tg_chain_out *o = r.o;
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
	if (password == NULL && *sess != NULL && foreign_session(q, r.idx, o) != TG_OK)
		return o->rc;
	if (*sess != NULL && record_check(q, tg_session_str(*sess, "iss"),
					  tg_session_str(*sess, "sub"), o) != TG_OK)
		return o->rc;
	if (password == NULL && *sess != NULL && idle(&r))
		return say(o, TG_E_EXPIRED,
			   "the session was not used for longer than idle_timeout: log in again");
	if (*sess != NULL && tg_service_settings(q->cfg, q->service)->session_max_age > 0) {
		int64_t left = tg_service_settings(q->cfg, q->service)->session_max_age - login_age(&r);
		o->max_age_left = left > 0 ? left : 0;
	}
	if (password == NULL && *sess != NULL) {
		rc = step_stored(&r);
		if (stored_decides(rc))
			return o->rc = rc;
		rc = step_refresh(&r);
		/* refreshed, purged, refused here, or the store failed */
		if (rc == TG_OK || *sess == NULL || rc == TG_E_IO || rc == TG_E_NOMEM ||
		    rc == TG_E_NOT_AUTHORIZED || (r.refresh_rc == TG_OK && rc != TG_E_NO_CREDENTIALS &&
						  !unreachable(rc)))
			return o->rc = rc;
	}
	if (password != NULL) {
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
	return say(o, TG_E_EXPIRED, r.refresh_rc == TG_E_EXPIRED
				    ? r.refresh_why /* session_max_age, or no new ID token */
				    : "the session has expired and cannot be renewed here");
}

/* A grant's token refused here: the session of the same identity keeps no
 * fresh grace window (DESIGN section 3). Not authorized here: its claims
 * are replaced by the refused ones and its verifier dropped; not a valid
 * token of that identity at all: the session is purged. */
static void refused_grant(const struct tg_ctx *q, tg_store *st, json_t **sess,
			  const tg_token *t, const struct tg_grant_pick *pk,
			  const struct tg_tokens *tok, tg_rc rc)
{
	if (*sess == NULL || !same_identity(*sess, t))
		return;
	enum refusal f = refusal_of(rc);
	if (f == NOT_HERE) {
		if (record_not_here(q, st, *sess, t, pk, tok->refresh_token) == TG_OK)
			note_q(q, "store", "update", rc,
			       "not authorized for this service: the stored token and claims replaced, no fresh grace");
	} else if (f == NOT_THEM) {
		struct tg_chain_out ignored;
		purge_q(q, st, sess, &ignored, rc, "the provider's new token is not valid for this session");
	}
}

static tg_rc mismatch(const struct tg_ctx *q, struct tg_chain_out *o, const char *sub)
{
	char detail[sizeof(o->detail)];
	snprintf(detail, sizeof(detail),
		 "the account belongs to another identity (sub %.64s); tokengatectl revoke %.64s releases it",
		 sub, q->user);
	note_q(q, "store", "deny", TG_E_USER_MISMATCH, detail);
	return say(o, TG_E_USER_MISMATCH, detail);
}

/* A person with a record (create_users) is held to it at every login
 * and stage, whatever NSS answers for the name: the record's (iss, sub)
 * only, and nothing while it is disabled. TG_OK when there is no record. */
static tg_rc record_check(const struct tg_ctx *q, const char *iss, const char *sub,
			  struct tg_chain_out *o)
{
	char riss[512], rsub[512], detail[sizeof(o->detail)];
	bool disabled = false;
	tg_rc rc = tg_userdb_identity(q->cfg, q->user, riss, sizeof(riss), rsub, sizeof(rsub),
				      &disabled);
	if (rc == TG_E_NO_CREDENTIALS)
		return TG_OK;
	if (rc != TG_OK)
		return say(o, TG_E_INTERNAL, "the user database is unreadable or busy");
	if (strcmp(riss, iss ?: "") != 0 || strcmp(rsub, sub ?: "") != 0) {
		snprintf(detail, sizeof(detail), "the record %.64s belongs to another identity (sub %.64s)",
			 q->user, rsub);
		note_q(q, "store", "deny", TG_E_USER_MISMATCH, detail);
		return say(o, TG_E_USER_MISMATCH, detail);
	}
	if (disabled)
		return say(o, TG_E_REVOKED,
			   "the record is disabled (tokengatectl user enable, after a revocation or by hand)");
	return TG_OK;
}

/* May this token's identity have the account's session? The first
 * (iss, sub) owns it; after a purge only a fresh online login (a grant
 * the provider answered just now) starts a new one and lifts the marker
 * (*clear): a token, however recent its iat, is not the provider's word
 * that the revocation is over. */
static tg_rc admit(const struct tg_ctx *q, tg_store *st, const json_t *sess,
		   const tg_token *t, bool online, bool *clear, bool *unowned,
		   struct tg_chain_out *o)
{
	char osub[512], reason[32];
	int64_t at = 0;
	*clear = false;
	if (sess != NULL && tg_session_str(sess, "sub") != NULL && !same_identity(sess, t))
		return mismatch(q, o, tg_session_str(sess, "sub"));
	if (record_check(q, tg_token_iss(t), tg_token_sub(t), o) != TG_OK)
		return o->rc;
	tg_rc rc = owner_check(st, tg_token_iss(t), tg_token_sub(t), osub, sizeof(osub), unowned, o);
	if (rc == TG_E_USER_MISMATCH)
		return mismatch(q, o, osub);
	if (rc != TG_OK)
		return rc;
	rc = tg_store_revoked(st, &at, reason, sizeof(reason));
	if (rc == TG_E_IO)
		return say(o, TG_E_INTERNAL, "the revocation marker is unreadable or unsafe");
	if (rc == TG_OK && !online)
		return say(o, TG_E_REVOKED,
			   "the session was revoked; a password or browser login starts a new one");
	*clear = rc == TG_OK;
	return TG_OK;
}

/* Writes the tokens into the session (new, or the same identity's). */
static tg_rc fill_session(const struct tg_ctx *q, json_t *s, const char *issuer,
			  const char *method, const struct tg_tokens *tok,
			  const struct tg_grant_pick *pk, const tg_token *t,
			  bool online, const char *verifier)
{
	tg_rc rc = tg_session_set_str(s, "issuer", issuer);
	if (rc == TG_OK)
		rc = tg_session_set_str(s, "iss", tg_token_iss(t));
	if (rc == TG_OK)
		rc = tg_session_set_str(s, "sub", tg_token_sub(t));
	if (rc == TG_OK)
		rc = tg_session_set_str(s, "method", method);
	if (rc == TG_OK)
		rc = set_token(s, pk);
	if (rc == TG_OK)
		rc = tg_session_set_int(s, "access_exp", tg_token_exp(t));
	if (rc == TG_OK && tok->refresh_token != NULL)
		rc = tg_session_set_str(s, "refresh_token", tok->refresh_token);
	if (rc == TG_OK && verifier != NULL)
		rc = tg_session_set_str(s, "verifier", verifier);
	if (rc == TG_OK)
		rc = set_claims(s, t);
	if (rc == TG_OK && online)
		rc = tg_session_set_int(s, "last_online", q->now);
	/* the last login (a password, an approval): session_max_age counts
	 * from it, and no refresh moves it. A typed token starts the count of
	 * a new session only: typing back a token the session itself handed
	 * out (export_token) must not renew it */
	bool login = strcmp(method, "token") != 0 || tg_session_int(s, "login_at") <= 0;
	if (rc == TG_OK && login)
		rc = tg_session_set_int(s, "login_at", q->now);
	/* and which login it was: its records carry the same id */
	if (rc == TG_OK && login)
		rc = tg_session_set_str(s, "login_id", q->session_id && *q->session_id
						     ? q->session_id : NULL);
	if (rc == TG_OK && q->now - tg_session_int(s, "last_used") >= TOUCH_EVERY)
		rc = tg_session_set_int(s, "last_used", q->now);
	if (rc == TG_OK)
		rc = tg_session_set_int(s, "updated", q->now);
	return rc;
}

/* An offline login (a token validated with cached keys) that leaves the
 * stored session as it was, but for its "updated" stamp, which nothing
 * reads: no write, no fsync. */
static bool unchanged(json_t *before, const json_t *s)
{
	if (before == NULL)
		return false;
	/* the same token again is the same login: login_at stays on disk */
	json_t *u = json_object_get(s, "updated"), *l = json_object_get(s, "login_at");
	json_t *id = json_object_get(s, "login_id");
	if (id != NULL && json_object_set(before, "login_id", id) != 0)
		return false;
	return u != NULL && l != NULL && json_object_set(before, "updated", u) == 0 &&
	       json_object_set(before, "login_at", l) == 0 && json_equal(before, s);
}

tg_rc tg_session_start(const struct tg_ctx *q, const char *password, tg_store *st, json_t **sess,
		       size_t idx, const char *method, const struct tg_tokens *tok,
		       const tg_token *validated, bool online, struct tg_chain_out *o)
{
	const char *detail = NULL;
	tg_token *own = NULL;
	const tg_token *t = validated;
	tg_rc rc = TG_OK;
	bool clear = false, unowned = false;
	/* a typed token was validated by the caller under its own kind */
	struct tg_grant_pick pk = { .kind = tg_token_kind_name(validated), .text = tok->access_token };
	if (t == NULL) {
		rc = tg_grant_token(q, idx, tok, &own, &pk, &detail);
		t = own;
	}
	o->token_kind = pk.kind;
	if (rc != TG_OK) {
		if (unreachable(rc))
			o->unreachable = true;
		else if (online)
			refused_grant(q, st, sess, t, &pk, tok, rc);
		tg_token_free(own);
		return say(o, rc, detail ? detail : "the provider's new token is not valid here");
	}

	if ((rc = admit(q, st, *sess, t, online, &clear, &unowned, o)) != TG_OK) {
		identity(o, *sess);
		tg_token_free(own);
		return rc;
	}
	const char *issuer = tg_config_issuer_name(q->cfg, idx);
	json_t *s = *sess;
	if (s == NULL || strcmp(tg_session_str(s, "issuer") ?: "", issuer) != 0) {
		tg_session_free(s);
		s = *sess = tg_session_new(q->user, q->uid, q->now);
		if (s == NULL) {
			tg_token_free(own);
			return say(o, TG_E_NOMEM, "out of memory");
		}
	}
	char *verifier = NULL;
	json_t *before = online ? NULL : json_deep_copy(s);
	if (password != NULL && online)
		rc = tg_offline_pw_make(password, &verifier);
	if (rc == TG_OK)
		rc = fill_session(q, s, issuer, method, tok, &pk, t, online, verifier);
	if (rc == TG_OK && !unchanged(before, s))
		rc = tg_store_save(st, s);
	tg_session_free(before);
	/* the first identity of the account (admit read the owner record
	 * under the same lock) */
	if (rc == TG_OK && unowned)
		rc = tg_store_set_owner(st, tg_token_iss(t), tg_token_sub(t), q->now);
	if (rc == TG_OK && clear)
		rc = tg_store_clear_revoked(st);
	tg_free_secret(verifier);
	o->access_exp = tg_token_exp(t);
	o->ends_in = o->access_exp - q->now;
	o->step = method;
	identity(o, s);
	tg_token_free(own);
	if (rc != TG_OK)
		return say(o, rc, "cannot write the session store");
	return say(o, TG_OK, pk.detail[0] != '\0' ? pk.detail : "session started");
}

tg_rc tg_session_revoke(const struct tg_ctx *q, const json_t *sess)
{
	const char *rt = tg_session_str(sess, "refresh_token");
	long idx = tg_config_find_issuer(q->cfg, tg_session_str(sess, "issuer"));
	struct tg_oauth_err e = { .status = 0 };
	if (rt == NULL || idx < 0)
		return TG_E_NO_CREDENTIALS;
	return tg_oauth_revoke(q, (size_t)idx, rt, "refresh_token", &e);
}
