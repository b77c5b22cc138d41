/*
 * ctl_session.c - tokengatectl refresh and revoke: the session chain and
 * the store, for administrators and the background refresh timer.
 *
 *   refresh [--config FILE] [--ahead DURATION] USER|--all
 *   revoke  [--config FILE] USER|--all
 *
 * Each user's entry is locked exactly as a login locks it. Every action is
 * an audit record (ident tokengate, service=tokengatectl).
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "chain.h"
#include "ctl.h"
#include "issuer.h"
#include "settings.h"
#include "userdb.h"


struct sctx {
	tg_config *cfg;
	const char *user;
	int json;
	int64_t ahead;		/* refresh --ahead; 0: refresh_ahead */
	bool all;		/* --all: every session file */
	char login[40];		/* the loaded session's login_id, or "" */
};

static void audit(const struct sctx *c, const char *event, const char *result,
		  const char *reason, const char *detail)
{
	tg_audit *a = tg_audit_new(event);
	tg_audit_add(a, "result", result);
	tg_audit_add(a, "reason", reason);
	tg_audit_add(a, "service", "tokengatectl");
	tg_audit_add(a, "user", c->user);
	tg_audit_add(a, "session", NULL);
	tg_audit_add(a, "login", c->login[0] ? c->login : NULL);
	tg_audit_add(a, "detail", detail);
	char *body = tg_audit_render(a, c->json);
	if (body != NULL)
		syslog(strcmp(result, "ok") == 0 ? LOG_INFO : LOG_NOTICE, "%s", body);
	free(body);
	tg_audit_free(a);
}

/* The chain's steps and the provider's events, as records (skipped keys
 * and validation checks are not). */
static void on_event(void *ud, enum tg_ev kind, const char *event, const char *result,
		     tg_rc reason, const char *detail)
{
	if (kind == TG_EV_NOTE)
		audit(ud, event, result, tg_reason(reason), detail);
	else if (kind == TG_EV_PROVIDER)
		audit(ud, event, result, reason == TG_OK ? "ok" : tg_reason(reason), detail);
}

static int open_entry(struct sctx *c, uint32_t uid, tg_store **st, json_t **sess)
{
	char why[320] = "";
	tg_rc rc = tg_store_open(tg_settings(c->cfg)->store_dir, uid, 20000, st,
				 why, sizeof(why));
	if (rc == TG_OK) {
		rc = tg_store_load(*st, sess, why, sizeof(why));
		snprintf(c->login, sizeof(c->login), "%s",
			 rc == TG_OK && *sess != NULL ? tg_session_str(*sess, "login_id") ?: "" : "");
		if (rc == TG_E_MALFORMED) {
			audit(c, "store", "corrupt", "malformed", why);
			rc = TG_OK;
		}
	}
	if (rc != TG_OK) {
		fprintf(stderr, "tokengatectl: %s: %s\n", c->user, why);
		tg_store_close(*st);
		*st = NULL;
	}
	return rc == TG_OK ? 0 : -1;
}

/* The library's context of this run for one user. */
static struct tg_ctx ctx_of(struct sctx *c, uint32_t uid)
{
	struct tg_ctx x = {
		.cfg = c->cfg, .service = "tokengatectl", .user = c->user, .uid = uid,
		.now = tg_unix_time(), .sink = on_event, .ud = c, .any_issuer = true,
	};
	return x;
}

/* Renews one session when due. 0 kept, 1 not. */
/* The background refresh (--all) after a failure: the next try waits 1,
 * 2, 4 ... minutes, at most an hour; kept in the session itself. */
#define BACKOFF_FIRST 60
#define BACKOFF_MAX 3600

static void note_backoff(tg_store *st, json_t *sess, bool failed, int64_t now)
{
	int64_t n = tg_session_int(sess, "bg_failures");
	if (!failed && n == 0)
		return;
	if (!failed) {
		json_object_del(sess, "bg_failures");
		json_object_del(sess, "bg_retry_at");
	} else {
		int64_t wait = BACKOFF_FIRST;
		for (int64_t i = 0; i < n && wait < BACKOFF_MAX; i++)
			wait *= 2;
		tg_session_set_int(sess, "bg_failures", n + 1);
		tg_session_set_int(sess, "bg_retry_at", now + (wait < BACKOFF_MAX ? wait : BACKOFF_MAX));
	}
	tg_store_save(st, sess);
}

static int refresh_one(struct sctx *c, uint32_t uid, tg_store *st, json_t **sess)
{
	struct tg_ctx q = ctx_of(c, uid);
	struct tg_chain_out o;
	if (c->all) {
		/* the timer: only users logged in now, and not while backing off */
		json_t *open = json_object_get(*sess, "sessions");
		if (json_array_size(open) == 0)
			return 0;
		if (tg_session_int(*sess, "bg_retry_at") > q.now) {
			printf("%-16s %-8s after %lld failures, next try in %llds\n", c->user, "backoff",
			       (long long)tg_session_int(*sess, "bg_failures"),
			       (long long)(tg_session_int(*sess, "bg_retry_at") - q.now));
			return 0;
		}
	}
	tg_rc rc = tg_chain_run(&q, NULL, c->ahead, st, sess, &o);
	int64_t ahead = c->ahead > 0 ? c->ahead : tg_settings(c->cfg)->global.refresh_ahead;
	/* due, and still not renewed: the token works, the refresh did not */
	bool stale = rc == TG_OK && strcmp(o.step, "refresh") != 0 && o.ends_in <= ahead;
	if (c->all && *sess != NULL)
		note_backoff(st, *sess, rc != TG_OK || stale, q.now);
	char left[32];
	tg_duration_text(o.ends_in, false, left, sizeof(left));
	if (stale)
		printf("%-16s %-8s %s\n", c->user, "failed", o.detail);
	else if (rc == TG_OK)
		printf("%-16s %-8s access token valid for %s\n", c->user,
		       strcmp(o.step, "refresh") == 0 ? "renewed" : o.step, left);
	else
		printf("%-16s %-8s %s\n", c->user, tg_reason(rc), o.detail);
	return rc == TG_OK && !stale ? 0 : 1;
}

/* Does the session's provider publish a revocation endpoint (RFC 7009)?
 * When its discovery cannot be read now, the revocation is tried (and
 * fails as not confirmed). */
static bool has_revocation_endpoint(const struct tg_ctx *q, const json_t *sess)
{
	long idx = tg_config_find_issuer(q->cfg, tg_session_str(sess, "issuer"));
	json_t *d = NULL;
	char why[160];
	if (idx < 0 || tg_issuer_discovery(q, (size_t)idx, &d, why, sizeof(why)) != TG_OK)
		return true;
	bool has = json_is_string(json_object_get(d, "revocation_endpoint"));
	json_decref(d);
	return has;
}

/* The uid of name's record, for a name NSS does not know (the NSS module
 * not enabled on this host). */
static bool record_uid(const tg_config *cfg, const char *name, uint32_t *uid)
{
	char why[320];
	tg_userdb *db = NULL;
	bool enabled = false;
	if (!tg_userdb_exists(cfg) || tg_userdb_open(cfg, 5000, &db, why, sizeof(why)) != TG_OK)
		return false;
	bool found = tg_userdb_find(db, name, uid, &enabled) == TG_OK;
	tg_userdb_close(db);
	return found;
}

/* A person who exists only at the provider loses their record's shell
 * with their session (the record stays until cleanup; files always). */
static tg_rc disable_record(struct sctx *c, uint32_t uid)
{
	char why[320] = "";
	tg_rc rc = tg_userdb_disable_of(c->cfg, c->user, uid, tg_unix_time(), why, sizeof(why));
	if (rc == TG_E_NO_CREDENTIALS)
		return TG_OK; /* no record to disable */
	audit(c, "user", rc == TG_OK ? "disable" : "error", rc == TG_OK ? "ok" : "internal",
	      rc == TG_OK ? "tokengatectl revoke: the record is disabled (shell nologin)" : why);
	if (rc == TG_OK)
		printf("%-16s record disabled (shell nologin)\n", c->user);
	else
		fprintf(stderr, "tokengatectl: the user database: %s\n", why);
	return rc;
}

/* Revokes at the provider where possible, always purges here, and
 * releases the account from the identity that owned it: the next fresh
 * online login, by whoever maps to this name, makes the new session. */
static int revoke_one(struct sctx *c, uint32_t uid, tg_store *st, json_t **sess)
{
	struct tg_ctx q = ctx_of(c, uid);
	bool rt = *sess != NULL && tg_session_str(*sess, "refresh_token") != NULL;
	bool none = rt && !has_revocation_endpoint(&q, *sess);
	tg_rc rv = rt && !none ? tg_session_revoke(&q, *sess) : TG_E_NO_CREDENTIALS;
	const char *at_provider = none ? "the provider has no revocation endpoint, the refresh token "
					 "was not revoked there"
				  : rv == TG_E_NO_CREDENTIALS
					  ? "no refresh token to revoke at the provider"
				  : rv == TG_OK ? "refresh token revoked at the provider"
						: "the provider did not confirm the revocation";
	tg_rc rc = tg_store_purge(st, tg_unix_time(), "revoked");
	if (rc == TG_OK)
		rc = tg_store_clear_owner(st);
	char detail[224];
	snprintf(detail, sizeof(detail), "tokengatectl revoke: %s; session purged, owner released",
		 at_provider);
	audit(c, "store", rc == TG_OK ? "purge" : "error", rc == TG_OK ? "revoked" : "internal",
	      detail);
	printf("%-16s %s\n", c->user, rc == TG_OK ? detail + 21 : "could not remove the session file");
	if (rc == TG_OK)
		rc = disable_record(c, uid);
	return rc == TG_OK ? 0 : 1;
}

typedef int (*action_fn)(struct sctx *c, uint32_t uid, tg_store *st, json_t **sess);

/* One user's entry, locked: the action runs when there is a session.
 * 0 done (or nothing to do), 1 refused. */
static int on_entry(struct sctx *c, uint32_t uid, action_fn fn)
{
	tg_store *st = NULL;
	json_t *sess = NULL;
	if (open_entry(c, uid, &st, &sess) < 0)
		return 1;
	int r = 0;
	if (sess == NULL && fn != revoke_one)
		printf("%-16s no session\n", c->user);
	else
		r = fn(c, uid, st, &sess);
	tg_session_free(sess);
	tg_store_close(st);
	return r;
}

/* Runs fn for USER, or for every session in the store with --all. */
static int each(struct sctx *c, const char *who, action_fn fn)
{
	if (strcmp(who, "--all") != 0) {
		struct passwd *pw = getpwnam(who);
		uint32_t uid = pw != NULL ? pw->pw_uid : 0;
		if (pw == NULL && !record_uid(c->cfg, who, &uid)) {
			fprintf(stderr, "tokengatectl: no such user: %s\n", who);
			return CTL_USAGE;
		}
		c->user = who;
		return on_entry(c, uid, fn) ? CTL_REJECTED : CTL_OK;
	}
	struct tg_store_uid *v = NULL;
	size_t n = 0;
	if (tg_store_list(tg_settings(c->cfg)->store_dir, &v, &n) != TG_OK) {
		fprintf(stderr, "tokengatectl: cannot list the session store %s\n",
			tg_settings(c->cfg)->store_dir);
		return CTL_REJECTED;
	}
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		if (!TG_STORE_HAS(&v[i], TG_STORE_SESSION))
			continue;
		struct passwd *pw = getpwuid((uid_t)v[i].uid);
		char name[32];
		snprintf(name, sizeof(name), "uid %lu", (unsigned long)v[i].uid);
		c->user = pw ? pw->pw_name : name;
		failed |= on_entry(c, v[i].uid, fn);
	}
	free(v);
	return failed ? CTL_REJECTED : CTL_OK;
}

static int run(int argc, char **argv, bool refresh)
{
	const char *config = TG_CONFIG_PATH, *who = NULL;
	int64_t ahead = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[++i];
		} else if (refresh && strcmp(argv[i], "--ahead") == 0 && i + 1 < argc) {
			if (!tg_parse_duration(argv[++i], &ahead) || ahead < 0) {
				fprintf(stderr, "tokengatectl: --ahead takes a duration (5m)\n");
				return CTL_USAGE;
			}
		} else if (who == NULL && (argv[i][0] != '-' || strcmp(argv[i], "--all") == 0)) {
			who = argv[i];
		} else {
			fprintf(stderr, "tokengatectl: unexpected argument '%s'\n", argv[i]);
			return CTL_USAGE;
		}
	}
	if (who == NULL) {
		fprintf(stderr, "usage: tokengatectl %s [--config FILE]%s USER|--all\n",
			refresh ? "refresh" : "revoke", refresh ? " [--ahead DURATION]" : "");
		return CTL_USAGE;
	}
	struct sctx c = { .cfg = ctl_load_config(config) };
	if (c.cfg == NULL)
		return CTL_USAGE;
	c.json = strcmp(tg_config_audit_format(c.cfg), "json") == 0;
	openlog("tokengate", LOG_PID, LOG_AUTHPRIV);
	c.ahead = ahead > 0 ? ahead : 0;
	c.all = strcmp(who, "--all") == 0;
	int rc = each(&c, who, refresh ? refresh_one : revoke_one);
	closelog();
	tg_config_free(c.cfg);
	return rc;
}

int ctl_refresh(int argc, char **argv)
{
	return run(argc, argv, true);
}

int ctl_revoke(int argc, char **argv)
{
	return run(argc, argv, false);
}
