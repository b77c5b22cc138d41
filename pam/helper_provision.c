/*
 * helper_provision.c - logins of people who exist only at the provider
 * (create_users = yes for the login's issuer; lib/userdb.h, docs/USERS.md).
 *
 * A password or device login for a name without a local account gets its
 * tokens as any login does; they are validated for this name (the
 * username mapping must give exactly PAM_USER), and only then is the
 * record made (or refreshed) from the validated claims, the uid taken
 * from it, and the session started under that uid. A person with a
 * record has their record refreshed at each online login (groups follow
 * the provider), and disabled when their session is revoked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "chain.h"
#include "grant.h"
#include "helper.h"
#include "issuer.h"
#include "oauth.h"
#include "session.h"
#include "settings.h"
#include "userdb.h"

#define USERDB_WAIT_MS 5000u
#define MAX_GROUPS 256

long helper_provision_issuer(struct hctx *c)
{
	long idx = tg_chain_login_issuer(helper_ctx(c));
	const struct tg_issuer *h = idx >= 0 ? tg_issuer_of(c->cfg, (size_t)idx) : NULL;
	return h != NULL && h->create_users ? idx : -1;
}

/* The provider groups of the validated claims (strings only). */
static size_t groups_of(const json_t *claims, const char **out, size_t max)
{
	const json_t *g = json_object_get(claims, "groups");
	size_t n = 0, i;
	const json_t *v;
	if (json_is_string(g) && max > 0)
		out[n++] = json_string_value(g);
	json_array_foreach(g, i, v)
		if (json_is_string(v) && n < max)
			out[n++] = json_string_value(v);
	return n;
}

/* Makes or refreshes name's record from validated claims of (iss, sub)
 * at issuer idx; *uid receives its uid. The reason for a refusal, or what
 * was left out, in detail. */
static tg_rc put_record(struct hctx *c, size_t idx, const char *iss, const char *sub,
			const json_t *claims, uint32_t *uid, bool *created, char *detail,
			size_t dlen)
{
	const char *groups[MAX_GROUPS];
	const json_t *num = json_object_get(claims, "uid_number");
	struct tg_user_in in = {
		.name = c->user, .iss = iss, .sub = sub,
		.issuer = tg_config_issuer_name(c->cfg, idx),
		.gecos = json_string_value(json_object_get(claims, "name")),
		.uid_number = json_is_integer(num) ? json_integer_value(num) : -1,
		.groups = groups, .ngroups = groups_of(claims, groups, MAX_GROUPS),
		.now = helper_now(c),
	};
	tg_userdb *db = NULL;
	bool enabled = false;
	uint32_t before = 0;
	if (iss == NULL || sub == NULL)
		return TG_E_INTERNAL;
	tg_rc rc = tg_userdb_open(c->cfg, USERDB_WAIT_MS, &db, detail, dlen);
	if (rc != TG_OK)
		return rc;
	*created = tg_userdb_find(db, c->user, &before, &enabled) != TG_OK;
	detail[0] = '\0';
	rc = tg_userdb_put(db, idx, &in, uid, detail, dlen);
	if (rc != TG_OK) {
		tg_userdb_close(db);
		return rc;
	}
	char note[200];
	snprintf(note, sizeof(note), "%s", detail);
	rc = tg_userdb_commit(db, detail, dlen);
	if (rc == TG_OK)
		snprintf(detail, dlen, "%s", note);
	return rc;
}

static void record_audit(struct hctx *c, const char *result, tg_rc rc, const char *detail)
{
	helper_audit_simple(c, "user", result, rc == TG_OK ? "ok" : tg_reason(rc), detail,
			    rc == TG_OK ? LOG_NOTICE : tg_rc_priority(rc));
}

tg_rc helper_provision_login(struct hctx *c, size_t idx, const char *method,
			     const struct tg_tokens *tok, const char *password,
			     struct tg_chain_out *o)
{
	tg_token *t = NULL;
	struct tg_grant_pick pk;
	const char *detail = NULL;
	char why[320] = "";
	uint32_t uid = 0;
	bool created = false;
	/* validated for this name first: nothing is written for a token
	 * that does not log this person in as PAM_USER */
	tg_rc rc = tg_grant_token(helper_ctx(c), idx, tok, &t, &pk, &detail);
	if (rc != TG_OK) {
		o->unreachable = rc == TG_E_IDP_UNREACHABLE;
		snprintf(o->detail, sizeof(o->detail), "%s",
			 detail ? detail : "the provider's new token is not valid here");
		tg_token_free(t);
		return o->rc = rc;
	}
	rc = put_record(c, idx, tg_token_iss(t), tg_token_sub(t), tg_token_claims(t), &uid,
			&created, why, sizeof(why));
	char text[480];
	snprintf(text, sizeof(text), "uid %u (sub %.64s)%s%.300s", uid, tg_token_sub(t) ?: "-",
		 why[0] ? "; " : "", why);
	snprintf(o->iss, sizeof(o->iss), "%s", tg_token_iss(t) ?: "");
	snprintf(o->sub, sizeof(o->sub), "%s", tg_token_sub(t) ?: "");
	tg_token_free(t);
	if (rc != TG_OK) {
		record_audit(c, "deny", rc, why);
		snprintf(o->detail, sizeof(o->detail), "no record could be made: %.200s", why);
		/* a collision or a refused name is no one's to log in as */
		return o->rc = rc == TG_E_USER_MISMATCH || rc == TG_E_CONFIG ? TG_E_USER_MISMATCH : rc;
	}
	record_audit(c, created ? "create" : "update", TG_OK, text);
	c->uid = uid;
	c->have_uid = true;
	struct tg_store *st = NULL;
	json_t *sess = NULL;
	if ((rc = helper_store_open(c, &st, &sess)) != TG_OK) {
		snprintf(o->detail, sizeof(o->detail), "%s", "the session store is unavailable");
		return o->rc = rc;
	}
	rc = tg_session_start(helper_ctx(c), password, st, &sess, idx, method, tok, NULL, true, o);
	tg_session_free(sess);
	tg_store_close(st);
	/* sshd: PAM_TTY "ssh" (set before authentication), or its placeholder
	 * at a prompt; here the name had no account for the application */
	bool sshd = c->sshd_invalid || (c->tty != NULL && strcmp(c->tty, "ssh") == 0);
	if (rc == TG_OK && sshd) {
		/* sshd looked the name up before this login and keeps its "no
		 * such user": it would end this connection on a success (its
		 * "PAM auth succeeded when it should have failed"), losing the
		 * message. The record and the session stay; this connection is
		 * refused, and the next one finds the record (docs/USERS.md). */
		helper_message(c, TG_STYLE_INFO,
			       "Your account on this host is ready: connect again to log in.");
		/* a record from before that sshd still does not know: the NSS
		 * module is not in this host's nsswitch.conf */
		snprintf(o->detail, sizeof(o->detail), "%s",
			 created ? "record ready; sshd took the name for an invalid user before this "
				   "login: the next connection logs in"
				 : "the record exists but sshd does not know the name: is tokengate on "
				   "the passwd and group lines of /etc/nsswitch.conf?");
		return o->rc = TG_E_NO_CREDENTIALS;
	}
	if (rc == TG_OK && created)
		helper_message(c, TG_STYLE_INFO, "Your account on this host has been created.");
	return rc;
}

/* Is the user's record there (of this uid) and enabled? The database
 * is opened only for issuers that make records. */
static bool has_record(struct hctx *c, long idx)
{
	const struct tg_issuer *h = idx >= 0 ? tg_issuer_of(c->cfg, (size_t)idx) : NULL;
	char why[320];
	uint32_t uid = 0;
	bool enabled = false;
	tg_userdb *db = NULL;
	if (h == NULL || !h->create_users ||
	    tg_userdb_open(c->cfg, USERDB_WAIT_MS, &db, why, sizeof(why)) != TG_OK)
		return false;
	bool found = tg_userdb_find(db, c->user, &uid, &enabled) == TG_OK && uid == c->uid &&
		     enabled;
	tg_userdb_close(db);
	return found;
}

void helper_records_after(struct hctx *c, const json_t *sess, const struct tg_chain_out *o)
{
	if (!c->have_uid || c->cfg == NULL || o->issuer[0] == '\0')
		return;
	long idx = tg_config_find_issuer(c->cfg, o->issuer);
	bool online = o->rc == TG_OK && (strcmp(o->step, "password") == 0 ||
					 strcmp(o->step, "device") == 0 ||
					 strcmp(o->step, "refresh") == 0);
	char why[320] = "";
	if (o->rc == TG_E_REVOKED) {
		tg_rc rc = tg_userdb_disable_of(c->cfg, c->user, c->uid, helper_now(c), why,
						sizeof(why));
		if (rc != TG_E_NO_CREDENTIALS)
			record_audit(c, rc == TG_OK ? "disable" : "error", rc,
				     rc == TG_OK ? "the session was revoked: the record is disabled (shell nologin)"
						 : why);
		return;
	}
	if (!(online && sess != NULL))
		return;
	if (!has_record(c, idx))
		return;
	uint32_t uid = 0;
	bool created = false;
	/* groups and name follow the provider at each online step */
	tg_rc rc = put_record(c, (size_t)idx, tg_session_str(sess, "iss"), tg_session_str(sess, "sub"),
			      json_object_get(sess, "claims"), &uid, &created, why, sizeof(why));
	if (rc != TG_OK)
		record_audit(c, "error", rc, why);
}
