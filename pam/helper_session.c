/*
 * helper_session.c - the stages that work on the user's stored session:
 * account (walk the chain, no prompts), session open (record a session id,
 * optionally export the access token to the user) and session close
 * (forget it; with revoke_on_logout, revoke the refresh token when the
 * user's last session ends).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "authproof.h"
#include "cache.h"
#include "chain.h"
#include "helper.h"
#include "oauth.h"
#include "settings.h"

/* How long before session_max_age ends a session its account checks say so. */
#define SESSION_END_WARNING (24 * 3600)

void helper_chain_report(struct hctx *c, const char *event, const char *method,
			 const struct tg_chain_out *o)
{
	char why[sizeof(o->detail)];
	bool shortfall = helper_shortfall_detail(c, o->rc, why, sizeof(why));
	struct hresult r = {
		.rc = o->rc, .method = method,
		.detail = shortfall ? why : o->detail[0] ? o->detail : NULL,
		.iss = o->iss[0] ? o->iss : NULL, .sub = o->sub[0] ? o->sub : NULL,
		.issuer = o->issuer[0] ? o->issuer : NULL,
		.step = o->step, .grace_left = o->ends_in, .login = o->login,
		.session_token = o->rc == TG_OK ? o->token_kind : NULL,
	};
	/* A user who is not ours (no session, not authenticated here) gets
	 * PAM_IGNORE from the module: no decision, no record. */
	if (!(o->rc == TG_E_NO_CREDENTIALS && strcmp(event, "account") == 0 && !c->step_up &&
	      !(c->flags & (TG_F_AUTHED | TG_F_REQUIRE_SESSION))))
		helper_audit_decision(c, event, &r);
	char msg[200], left[32];
	if (shortfall) {
		/* the auth and account stages step up, and say why there */
		if (!helper_can_step_up(c) ||
		    (strcmp(event, "auth") != 0 && strcmp(event, "account") != 0))
			helper_shortfall_message(c);
		return;
	}
	if (o->rc != TG_OK) {
		const char *m = tg_rc_login_message(o->rc);
		if (m != NULL)
			helper_message(c, TG_STYLE_ERROR, m);
		return;
	}
	tg_duration_text(o->ends_in, true, left, sizeof(left));
	if (strcmp(o->step, "grace") == 0) {
		snprintf(msg, sizeof(msg), "Identity provider unreachable: offline access ends in %s", left);
		helper_message(c, TG_STYLE_INFO, msg);
	} else if (o->max_age_left > 0 && o->max_age_left <= SESSION_END_WARNING &&
		   strcmp(event, "account") == 0) {
		/* session_max_age: no refresh will renew it */
		tg_duration_text(o->max_age_left, true, left, sizeof(left));
		snprintf(msg, sizeof(msg), "Your session ends in %s; log in again to renew it", left);
		helper_message(c, TG_STYLE_INFO, msg);
	} else if (o->ends_in >= 0 &&
		   o->ends_in <= tg_service_settings(c->cfg, c->service)->refresh_ahead &&
		   strcmp(event, "account") == 0) {
		snprintf(msg, sizeof(msg), "Your session expires in %s", left);
		helper_message(c, TG_STYLE_INFO, msg);
	}
}

/* Walks the chain for the stored session (no prompts). */
static tg_rc walk(struct hctx *c, struct tg_store *st, json_t **sess, struct tg_chain_out *o)
{
	return tg_chain_run(helper_ctx(c), NULL, 0, st, sess, o);
}

/* No session: a revocation sticks (DESIGN section 3). The marker a purge
 * left answers until a fresh online login makes a new session, so logins
 * authenticated otherwise (ssh keys) stay refused. */
static tg_rc revoked_marker(struct tg_store *st, struct tg_chain_out *o)
{
	int64_t at = 0;
	char reason[32];
	tg_rc rc = tg_store_revoked(st, &at, reason, sizeof(reason));
	if (rc == TG_E_NO_CREDENTIALS) {
		snprintf(o->detail, sizeof(o->detail), "%s", "no session");
		return rc;
	}
	if (rc != TG_OK) {
		snprintf(o->detail, sizeof(o->detail), "%s", "the revocation marker is unreadable or unsafe");
		return TG_E_INTERNAL;
	}
	/* the purge's own reason when it is a refusal, else revoked: never
	 * anything the module would turn into PAM_IGNORE or success */
	tg_rc why = TG_E_REVOKED;
	static const tg_rc refusals[] = { TG_E_USER_MISMATCH, TG_E_NOT_AUTHORIZED, TG_E_BAD_ISSUER,
					  TG_E_BAD_AUDIENCE, TG_E_BAD_TYPE, TG_E_BAD_SIGNATURE,
					  TG_E_MALFORMED, TG_E_ALG_NOT_ALLOWED };
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (strcmp(tg_reason(refusals[i]), reason) == 0)
			why = refusals[i];
	snprintf(o->detail, sizeof(o->detail),
		 "the session was purged (%.31s) at %lld; a fresh online login makes a new one",
		 reason, (long long)at);
	return why;
}

tg_rc helper_account(struct hctx *c)
{
	tg_rc rc = helper_load_config(c);
	struct tg_store *st = NULL;
	json_t *sess = NULL;
	bool kept = c->authtok != NULL && *c->authtok != '\0';
	if (rc != TG_OK)
		return helper_decide_token(c, "account", NULL, rc, NULL);
	if (c->have_uid && (rc = helper_store_open(c, &st, &sess)) != TG_OK)
		return helper_decide_token(c, "account", NULL, rc, NULL);
	if (sess == NULL && kept) {
		/* no stored session (no local account, or it could not be
		 * written): the token of this authentication decides */
		tg_store_close(st);
		return helper_decide_token(c, "account", c->authtok, TG_OK, NULL);
	}
	struct tg_chain_out o;
	if (sess == NULL) {
		memset(&o, 0, sizeof(o));
		o.step = "-";
		o.rc = rc = st != NULL ? revoked_marker(st, &o) : TG_E_NO_CREDENTIALS;
	} else {
		rc = walk(c, st, &sess, &o);
	}
	helper_chain_report(c, "account", tg_session_str(sess, "method"), &o);
	tg_store_close(st);
	helper_records_after(c, sess, &o); /* after the user's lock, not inside it */
	tg_session_free(sess);
	return helper_step_up(c, "account", rc);
}

/* Writes the access token to EXPORT_DIR/UID/tokengate-token, owned by the
 * user, 0600. The directory must already be the user's (pam_systemd makes
 * /run/user/UID); nothing is followed, nothing is created above it. */
static tg_rc export_token(struct hctx *c, const char *tok)
{
	char dir[4200];
	struct stat sb;
	snprintf(dir, sizeof(dir), "%s/%u", tg_settings(c->cfg)->export_dir,
		 (unsigned)c->uid);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return TG_E_IO;
	tg_rc rc = TG_E_IO;
	if (fstat(dfd, &sb) == 0 && sb.st_uid == c->uid && (sb.st_mode & 022) == 0)
		rc = tg_write_atomically_as(dfd, "tokengate-token", tok, strlen(tok), c->uid);
	close(dfd);
	return rc;
}

static void remove_export(struct hctx *c)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%u/tokengate-token",
		 tg_settings(c->cfg)->export_dir, (unsigned)c->uid);
	unlink(path);
}

/* Adds {id, service, rhost, opened} to the session's list, dropping the
 * oldest entries beyond the cap (sessions that never closed). */
static tg_rc add_session(struct hctx *c, json_t *sess, const char *id)
{
	json_t *list = json_object_get(sess, "sessions");
	if (!json_is_array(list)) {
		list = json_array();
		if (list == NULL || json_object_set_new(sess, "sessions", list) != 0)
			return TG_E_NOMEM;
	}
	while (json_array_size(list) >= TG_STORE_MAX_SESSIONS)
		json_array_remove(list, 0);
	json_t *e = json_pack("{s:s,s:s?,s:s?,s:I}", "id", id, "service", c->service,
			      "rhost", c->rhost, "opened", (json_int_t)helper_now(c));
	return e != NULL && json_array_append_new(list, e) == 0 ? TG_OK : TG_E_NOMEM;
}

tg_rc helper_open_session(struct hctx *c)
{
	tg_rc rc = helper_load_config(c);
	struct tg_store *st = NULL;
	json_t *sess = NULL;
	if (rc != TG_OK || !c->have_uid)
		return rc != TG_OK ? rc : TG_E_NO_CREDENTIALS;
	if ((rc = helper_store_open(c, &st, &sess)) != TG_OK)
		return rc;
	if (sess == NULL) {
		tg_store_close(st);
		return TG_E_NO_CREDENTIALS; /* not a tokengate user: PAM_IGNORE */
	}
	struct tg_chain_out o;
	rc = walk(c, st, &sess, &o);
	/* the login's own id (helper_session_id): its auth's records have it */
	if (rc == TG_OK && !tg_session_id_ok(c->sid))
		rc = tg_uuid4(c->sid, sizeof(c->sid));
	if (rc == TG_OK)
		rc = add_session(c, sess, c->sid);
	if (rc == TG_OK)
		rc = tg_store_save(st, sess);
	if (rc == TG_OK && tg_service_settings(c->cfg, c->service)->export_token &&
	    export_token(c, tg_session_str(sess, "access_token")) != TG_OK)
		helper_audit_simple(c, "session_open", "warn", "internal",
				    "export_token: the user's runtime directory is missing or unsafe",
				    LOG_WARNING);
	if (rc == TG_OK && (c->session_out = strdup(c->sid)) == NULL)
		rc = TG_E_NOMEM;
	if (o.rc == TG_OK && rc != TG_OK) {
		o.rc = rc;
		snprintf(o.detail, sizeof(o.detail), "%s", "cannot record the session");
	}
	helper_chain_report(c, "session_open", tg_session_str(sess, "method"), &o);
	tg_session_free(sess);
	tg_store_close(st);
	return rc;
}

/* Removes the session id from the list; how many remain. */
static size_t forget_session(json_t *sess, const char *id)
{
	json_t *list = json_object_get(sess, "sessions");
	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *v = json_string_value(json_object_get(json_array_get(list, i), "id"));
		if (v != NULL && strcmp(v, id) == 0) {
			json_array_remove(list, i);
			break;
		}
	}
	return json_array_size(list);
}

static void revoke_at_provider(struct hctx *c, const json_t *sess)
{
	tg_rc rc = tg_session_revoke(helper_ctx(c), sess);
	if (rc == TG_E_NO_CREDENTIALS)
		return;
	helper_audit_simple(c, "session_close", rc == TG_OK ? "revoked" : "error",
			    tg_reason(rc),
			    rc == TG_OK ? "revoke_on_logout: refresh token revoked at the provider"
					: "revoke_on_logout: the provider did not confirm the revocation",
			    rc == TG_OK ? LOG_INFO : LOG_WARNING);
}

tg_rc helper_close_session(struct hctx *c)
{
	tg_rc rc = helper_load_config(c);
	struct tg_store *st = NULL;
	json_t *sess = NULL;
	if (rc != TG_OK || !c->have_uid || c->session_in == NULL)
		return rc != TG_OK ? rc : TG_E_NO_CREDENTIALS;
	if ((rc = helper_store_open(c, &st, &sess)) != TG_OK)
		return rc;
	struct tg_chain_out o = { .rc = TG_OK, .step = "-", .ends_in = -1 };
	snprintf(o.detail, sizeof(o.detail), "%s", sess ? "session closed"
							: "session closed; no stored session remains");
	if (sess != NULL) {
		snprintf(o.iss, sizeof(o.iss), "%s", tg_session_str(sess, "iss") ?: "");
		snprintf(o.sub, sizeof(o.sub), "%s", tg_session_str(sess, "sub") ?: "");
		size_t left = forget_session(sess, c->session_in);
		if (left == 0 && tg_service_settings(c->cfg, c->service)->revoke_on_logout) {
			revoke_at_provider(c, sess);
			rc = tg_store_remove(st); /* the last session: purge locally too */
			remove_export(c);
			snprintf(o.detail, sizeof(o.detail), "%s",
				 "last session closed; session revoked and purged");
		} else {
			rc = tg_store_save(st, sess);
		}
	}
	helper_chain_report(c, "session_close", sess ? tg_session_str(sess, "method") : NULL,
			    &o);
	tg_session_free(sess);
	tg_store_close(st);
	return rc;
}
