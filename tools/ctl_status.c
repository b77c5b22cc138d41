/*
 * ctl_status.c - tokengatectl status: per issuer, where its keys come
 * from, how old they are, the circuit, and the last error. --json for
 * machines; then every stored session: its state, health score, token
 * expiry, grace left and last online check (ctl_health.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl_health.h"
#include "keysource.h"
#include "tokengate.h"


static void span(char *buf, size_t n, int64_t s)
{
	if (s < 0)
		snprintf(buf, n, "in the future?");
	else if (s < 120)
		snprintf(buf, n, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(buf, n, "%lldm", (long long)s / 60);
	else if (s < 172800)
		snprintf(buf, n, "%lldh%02lldm", (long long)s / 3600, (long long)s % 3600 / 60);
	else
		snprintf(buf, n, "%lldd", (long long)s / 86400);
}

static const char *freshness(const struct tg_keys_status *st, int64_t now)
{
	int64_t age = now - st->fetched_at;
	if (age < 0)
		return "clock behind the fetch";
	if (age < st->ttl)
		return "fresh";
	return age < st->ttl + st->max_stale ? "stale (still served)" : "expired (refused)";
}

static void human(const tg_config *cfg, size_t i, const struct tg_keys_status *st,
		  int64_t now, int color)
{
	char a[32], t[32];
	const char *on = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";
	printf("%sissuer %s%s  %s\n", on, tg_config_issuer_name(cfg, i), off,
	       tg_config_issuer_url(cfg, i));
	if (st->static_file) {
		printf("  %-10s static file %s (no network)\n", "keys", tg_config_jwks_file(cfg, i));
	} else if (!st->cached) {
		printf("  %-10s not fetched yet (the first login discovers them)\n", "keys");
	} else {
		span(a, sizeof(a), now - st->fetched_at);
		span(t, sizeof(t), st->ttl);
		printf("  %-10s %zu usable, fetched %s ago, ttl %s (max-age %lld): %s\n", "keys",
		       st->usable_keys, a, t, (long long)st->max_age, freshness(st, now));
		printf("  %-10s %s\n", "jwks_uri", st->url);
	}
	printf("  %-10s %s (%d consecutive failures)\n", "circuit", st->circuit, st->failures);
	if (st->error_at) {
		span(a, sizeof(a), now - st->error_at);
		printf("  %-10s %s ago: %s\n", "last error", a, st->error);
	} else {
		printf("  %-10s none\n", "last error");
	}
}

static json_t *as_json(const tg_config *cfg, size_t i, const struct tg_keys_status *st,
		       int64_t now)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:i}", "name", tg_config_issuer_name(cfg, i),
			      "issuer", tg_config_issuer_url(cfg, i), "keys_source",
			      st->static_file ? "file" : "discovery", "circuit", st->circuit,
			      "circuit_failures", st->failures);
	if (!st->static_file && st->cached) {
		json_object_set_new(j, "keys_fetched_at", json_integer(st->fetched_at));
		json_object_set_new(j, "keys_age", json_integer(now - st->fetched_at));
		json_object_set_new(j, "keys_max_age", json_integer(st->max_age));
		json_object_set_new(j, "keys_ttl", json_integer(st->ttl));
		json_object_set_new(j, "keys_usable", json_integer((json_int_t)st->usable_keys));
		json_object_set_new(j, "keys_state", json_string(freshness(st, now)));
		json_object_set_new(j, "jwks_uri", json_string(st->url));
	}
	if (st->error_at) {
		json_object_set_new(j, "last_error_at", json_integer(st->error_at));
		json_object_set_new(j, "last_error", json_string(st->error));
	}
	return j;
}

static const char *state_color(const struct ctl_session *v)
{
	return v->health >= 80 ? "\033[32m" : v->health >= 10 ? "\033[33m" : "\033[31m";
}

static void human_sessions(const struct ctl_session *v, size_t n, int64_t now, int color)
{
	char e[32], g[32], l[32], m[32];
	const char *on = color ? "\033[1m" : "", *off = color ? "\033[0m" : "";
	printf("%ssessions%s  %zu\n", on, off, n);
	if (n == 0)
		return;
	printf("  %-14s %-7s %-12s %6s  %-8s %-14s %-10s %-10s %-12s %s\n", "USER", "UID", "STATE",
	       "HEALTH", "METHOD", "TOKEN EXPIRES", "GRACE LEFT", "ENDS IN", "LAST ONLINE", "OPEN");
	for (size_t i = 0; i < n; i++) {
		/* the sooner of session_max_age and idle_timeout */
		int64_t ends = v[i].ends_in;
		if (v[i].idle_left >= 0 && (ends < 0 || v[i].idle_left < ends))
			ends = v[i].idle_left;
		if (ends < 0)
			snprintf(m, sizeof(m), "-");
		else if (ends == 0)
			snprintf(m, sizeof(m), "ended");
		else
			span(m, sizeof(m), ends);
		if (strcmp(v[i].state, "revoked") == 0) {
			snprintf(m, sizeof(m), "-");
			span(l, sizeof(l), now - v[i].revoked_at);
			snprintf(e, sizeof(e), "-");
			snprintf(g, sizeof(g), "-");
			strncat(l, " ago", sizeof(l) - strlen(l) - 1);
		} else {
			if (v[i].access_exp > now) {
				span(e, sizeof(e), v[i].access_exp - now);
				memmove(e + 3, e, strlen(e) + 1);
				memcpy(e, "in ", 3);
			} else {
				span(e, sizeof(e), now - v[i].access_exp);
				strncat(e, " ago", sizeof(e) - strlen(e) - 1);
			}
			if (v[i].grace_left > 0)
				span(g, sizeof(g), v[i].grace_left);
			else
				snprintf(g, sizeof(g), "none");
			if (v[i].last_online > 0) {
				span(l, sizeof(l), now - v[i].last_online);
				strncat(l, " ago", sizeof(l) - strlen(l) - 1);
			} else {
				snprintf(l, sizeof(l), "never");
			}
		}
		printf("  %-14s %-7u %s%-12s%s %6d  %-8s %-14s %-10s %-10s %-12s %zu\n", v[i].user,
		       (unsigned)v[i].uid, color ? state_color(&v[i]) : "", v[i].state, off,
		       v[i].health, v[i].method, e, g, m, l, v[i].open);
	}
}

static json_t *sessions_json(const struct ctl_session *v, size_t n, int64_t now)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_pack("{s:s,s:i,s:s,s:i,s:s,s:s}", "user", v[i].user, "uid",
				      (json_int_t)v[i].uid, "state", v[i].state, "health",
				      v[i].health, "method", v[i].method, "issuer", v[i].issuer);
		if (strcmp(v[i].state, "revoked") == 0) {
			json_object_set_new(j, "revoked_at", json_integer(v[i].revoked_at));
		} else {
			json_object_set_new(j, "access_exp", json_integer(v[i].access_exp));
			json_object_set_new(j, "expires_in", json_integer(v[i].access_exp - now));
			json_object_set_new(j, "grace_left", json_integer(v[i].grace_left));
			/* -1: no limit; 0: ended */
			json_object_set_new(j, "session_ends_in", json_integer(v[i].ends_in));
			json_object_set_new(j, "idle_left", json_integer(v[i].idle_left));
			json_object_set_new(j, "last_online", json_integer(v[i].last_online));
			json_object_set_new(j, "refresh_token", json_boolean(v[i].has_refresh));
			json_object_set_new(j, "open_sessions", json_integer((json_int_t)v[i].open));
		}
		json_array_append_new(a, j);
	}
	return a;
}

int ctl_status(int argc, char **argv)
{
	bool json = false;
	tg_config *cfg = ctl_simple_config(argc, argv, "tokengatectl status [--config FILE] [--json]",
					   "--json", &json);
	if (cfg == NULL)
		return CTL_USAGE;
	int64_t now = tg_unix_time();
	json_t *all = json_array();
	for (size_t i = 0; i < tg_config_issuer_count(cfg); i++) {
		struct tg_keys_status st;
		tg_issuer_keys_status(cfg, i, &st);
		if (json)
			json_array_append_new(all, as_json(cfg, i, &st, now));
		else
			human(cfg, i, &st, now, isatty(1));
	}
	struct ctl_session *sv = NULL;
	size_t ns = 0;
	/* a store that cannot be listed is an error, never "no sessions" */
	int listed = ctl_sessions_collect(cfg, now, &sv, &ns);
	size_t ue = 0, ud = 0;
	int users = ctl_user_counts(cfg, &ue, &ud);
	if (json) {
		json_t *doc = json_pack("{s:o,s:o,s:o,s:I}", "issuers", all, "sessions",
					listed == 0 ? sessions_json(sv, ns, now) : json_null(),
					"users", users == 0 ? json_pack("{s:I,s:I}", "enabled",
									(json_int_t)ue, "disabled",
									(json_int_t)ud)
							    : json_null(),
					"now", (json_int_t)now);
		char *s = json_dumps(doc, JSON_INDENT(2));
		printf("%s\n", s);
		free(s);
		json_decref(doc);
	} else {
		json_decref(all);
		if (listed == 0)
			human_sessions(sv, ns, now, isatty(1));
		else
			printf("%s\n", "sessions  unknown: the store cannot be listed");
		if (users != 0)
			printf("%s\n", "users  unknown: the user database cannot be read");
		else if (ue + ud > 0)
			printf("users  %zu provisioned (%zu enabled, %zu disabled; tokengatectl user list)\n",
			       ue + ud, ue, ud);
	}
	free(sv);
	tg_config_free(cfg);
	/* an unreadable user database is an error too */
	return listed == 0 && users == 0 ? CTL_OK : CTL_REJECTED;
}
