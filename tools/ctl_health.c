/*
 * ctl_health.c - the state of every stored session, read from the store
 * alone (no provider request), for tokengatectl status and metrics.
 *
 * States and the health score (0-100) of a session:
 *   fresh        access token valid beyond refresh_ahead            100
 *   refresh due  expiring within refresh_ahead (still valid with the
 *                leeway), or expired with a refresh token while the
 *                provider is reachable                               80
 *   in grace     expired, the provider failing (circuit not closed),
 *                last online check younger than offline_grace     10-50
 *                (10 + 40 x the share of the grace window left)
 *   expired      none of the above: the next login must authenticate  0
 *   ended        past idle_timeout, or past session_max_age with its
 *                token expired: only a new interactive login renews it  0
 *   revoked      purged after a revocation (UID.revoked)                0
 * session_max_age and idle_timeout are [global]'s here (the background
 * refresh's); a service may set its own.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_health.h"
#include "keysource.h"
#include "settings.h"

#define LOCK_WAIT_MS 2000u

static bool provider_failing(const tg_config *cfg, const char *issuer)
{
	long idx = issuer ? tg_config_find_issuer(cfg, issuer) : -1;
	if (idx < 0)
		return false;
	struct tg_keys_status ks;
	tg_issuer_keys_status(cfg, (size_t)idx, &ks);
	return strcmp(ks.circuit, "closed") != 0;
}

static void classify(const tg_config *cfg, const json_t *s, int64_t now, struct ctl_session *v)
{
	int64_t ahead = tg_settings(cfg)->global.refresh_ahead;
	int64_t grace = tg_settings(cfg)->global.offline_grace;
	int64_t leeway = tg_settings(cfg)->global.leeway;
	int64_t exp = tg_session_int(s, "access_exp");
	v->access_exp = exp;
	v->last_online = tg_session_int(s, "last_online");
	v->has_refresh = tg_session_str(s, "refresh_token") != NULL;
	v->open = json_array_size(json_object_get(s, "sessions"));
	snprintf(v->method, sizeof(v->method), "%s", tg_session_str(s, "method") ?: "-");
	snprintf(v->issuer, sizeof(v->issuer), "%s", tg_session_str(s, "issuer") ?: "-");
	v->grace_left = v->last_online > 0 && now >= v->last_online ? v->last_online + grace - now : 0;
	if (v->grace_left < 0)
		v->grace_left = 0;
	int64_t login = tg_session_login_at(s), used = tg_session_last_use(s);
	int64_t max_age = tg_settings(cfg)->global.session_max_age;
	int64_t idle = tg_settings(cfg)->global.idle_timeout;
	bool idle_over = idle > 0 && now - used > idle;
	bool too_old = max_age > 0 && now - login > max_age;
	v->ends_in = max_age <= 0 ? -1 : too_old ? 0 : login + max_age - now;
	v->idle_left = idle <= 0 ? -1 : idle_over ? 0 : used + idle - now;
	/* past session_max_age the stored token still stands until it expires
	 * (with the leeway); nothing renews it after that */
	if (idle_over || (too_old && exp + leeway <= now)) {
		v->state = "ended";
		v->health = 0;
		v->grace_left = 0;
	} else if (exp - now > ahead) {
		v->state = "fresh";
		v->health = 100;
	} else if (exp + leeway > now || (v->has_refresh && !provider_failing(cfg, v->issuer))) {
		v->state = "refresh due";
		v->health = 80;
	} else if (v->grace_left > 0 && provider_failing(cfg, v->issuer)) {
		v->state = "in grace";
		v->health = 10 + (int)(40 * v->grace_left / (grace > 0 ? grace : 1));
	} else {
		v->state = "expired";
		v->health = 0;
	}
}

/* A fresh view of uid, with its user name when the user exists. */
static void start_view(struct ctl_session *v, uint32_t uid)
{
	memset(v, 0, sizeof(*v));
	v->uid = uid;
	struct passwd *pw = getpwuid((uid_t)uid);
	snprintf(v->user, sizeof(v->user), "%s", pw ? pw->pw_name : "?");
	v->user_exists = pw != NULL;
	snprintf(v->method, sizeof(v->method), "-");
	snprintf(v->issuer, sizeof(v->issuer), "-");
}

bool ctl_session_read(const tg_config *cfg, const char *dir, uint32_t uid, int64_t now,
		     struct ctl_session *v)
{
	tg_store *st = NULL;
	json_t *s = NULL;
	char why[256];
	start_view(v, uid);
	if (tg_store_open(dir, uid, LOCK_WAIT_MS, &st, why, sizeof(why)) != TG_OK)
		return false;
	tg_rc rc = tg_store_load(st, &s, why, sizeof(why));
	tg_store_close(st);
	if (rc != TG_OK || s == NULL)
		return false;
	classify(cfg, s, now, v);
	tg_session_free(s);
	return true;
}

/* When uid's session was revoked (UID.revoked, read under its lock and
 * the store's rules); 0 when that cannot be told. */
static int64_t revoked_at(const char *dir, uint32_t uid)
{
	tg_store *st = NULL;
	char why[256], reason[32];
	int64_t at = 0;
	if (tg_store_open(dir, uid, LOCK_WAIT_MS, &st, why, sizeof(why)) != TG_OK)
		return 0;
	if (tg_store_revoked(st, &at, reason, sizeof(reason)) != TG_OK)
		at = 0;
	tg_store_close(st);
	return at;
}

int ctl_sessions_collect(const tg_config *cfg, int64_t now, struct ctl_session **out, size_t *n)
{
	const char *dir = tg_settings(cfg)->store_dir;
	struct tg_store_uid *u = NULL;
	size_t nu = 0;
	*out = NULL;
	*n = 0;
	tg_rc rc = tg_store_list(dir, &u, &nu);
	if (rc != TG_OK) {
		fprintf(stderr, "tokengatectl: the session store %s cannot be listed: %s\n", dir,
			tg_strerror(rc));
		return -1;
	}
	if (nu == 0)
		return 0; /* no store (yet), or nothing in it: no sessions */
	*out = calloc(nu, sizeof(**out));
	if (*out == NULL) {
		free(u);
		fprintf(stderr, "%s\n", "tokengatectl: out of memory listing the session store");
		return -1;
	}
	for (size_t i = 0; i < nu; i++) {
		struct ctl_session *v = &(*out)[*n];
		if (TG_STORE_HAS(&u[i], TG_STORE_SESSION)) {
			/* a session stands, even one newer than a marker */
			if (ctl_session_read(cfg, dir, u[i].uid, now, v))
				(*n)++;
		} else if (TG_STORE_HAS(&u[i], TG_STORE_REVOKED)) {
			start_view(v, u[i].uid);
			v->state = "revoked";
			v->revoked_at = revoked_at(dir, u[i].uid);
			(*n)++;
		}
	}
	free(u);
	return 0;
}
