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
 *   revoked      purged after a revocation (UID.revoked)                0
 */
#include <dirent.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_health.h"
#include "keysource.h"

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
	int64_t ahead = tg_config_seconds(cfg, NULL, "refresh_ahead");
	int64_t grace = tg_config_seconds(cfg, NULL, "offline_grace");
	int64_t leeway = tg_config_seconds(cfg, NULL, "leeway");
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
	if (exp - now > ahead) {
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

static int64_t revoked_at(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	int64_t at = j ? (int64_t)json_integer_value(json_object_get(j, "revoked_at")) : 0;
	json_decref(j);
	return at;
}

static int by_uid(const void *a, const void *b)
{
	uint32_t x = ((const struct ctl_session *)a)->uid, y = ((const struct ctl_session *)b)->uid;
	return x < y ? -1 : x > y;
}

int ctl_sessions_collect(const tg_config *cfg, int64_t now, struct ctl_session **out, size_t *n)
{
	const char *dir = tg_config_value(cfg, NULL, "store_dir");
	*out = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (d == NULL)
		return 0; /* no store yet: no sessions */
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		const char *dot = strchr(e->d_name, '.');
		size_t len = dot ? (size_t)(dot - e->d_name) : strlen(e->d_name);
		bool marker = dot != NULL && strcmp(dot, ".revoked") == 0;
		if (!ctl_uid_name(e->d_name, len) || (dot != NULL && !marker))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct ctl_session *m = realloc(*out, cap * sizeof(**out));
			if (m == NULL)
				break;
			*out = m;
		}
		struct ctl_session *v = &(*out)[*n];
		uint32_t uid = (uint32_t)strtoul(e->d_name, NULL, 10);
		if (!marker) {
			if (ctl_session_read(cfg, dir, uid, now, v))
				(*n)++;
			continue;
		}
		char live[24];
		snprintf(live, sizeof(live), "%u", (unsigned)uid);
		if (faccessat(dirfd(d), live, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue; /* a newer session stands */
		start_view(v, uid);
		v->state = "revoked";
		v->revoked_at = revoked_at(dir, e->d_name);
		(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), by_uid);
	return 0;
}
