/*
 * ctl_metrics.c - tokengatectl metrics [--config FILE]: the Prometheus text
 * exposition format (version 0.0.4) on stdout, for a node_exporter textfile
 * collector or a scrape wrapper. Counters come from cache_dir/metrics
 * (every helper process adds to them); gauges from the store and the key
 * cache, read now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_health.h"
#include "keysource.h"
#include "tg_internal.h"
#include "settings.h"


struct family {
	const char *prefix;	/* slot name prefix */
	const char *metric;
	const char *help;
	const char *labels[3];	/* label names for the ':'-separated parts */
};

static const struct family families[] = {
	{ "decision:", "tokengate_decisions_total",
	  "Decisions (one audit record each) by stage, result and method.",
	  { "event", "result", "method" } },
	{ "grace:", "tokengate_grace_uses_total",
	  "Logins and account checks let in on the offline grace window.", { "result" } },
	{ "refresh:", "tokengate_refreshes_total", "Refresh-token grants by result.", { "result" } },
	{ "lockout:", "tokengate_lockouts_total",
	  "Lockouts: lock (a user or host locked), deny (a refused attempt).", { "result" } },
	{ "provider_error:", "tokengate_provider_errors_total",
	  "Failed requests to the identity provider by class.", { "class" } },
};

static void counters(const char *cache_dir)
{
	size_t n = tg_metrics_slots();
	uint64_t *v = calloc(n, sizeof(*v));
	if (v == NULL)
		return;
	tg_metrics_read(cache_dir, v, n);
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		const struct family *fm = &families[f];
		size_t plen = strlen(fm->prefix);
		printf("# HELP %s %s\n# TYPE %s counter\n", fm->metric, fm->help, fm->metric);
		for (size_t i = 0; i < n; i++) {
			const char *name = tg_metrics_slot_name(i);
			if (strncmp(name, fm->prefix, plen) != 0)
				continue;
			char parts[96];
			snprintf(parts, sizeof(parts), "%s", name + plen);
			printf("%s{", fm->metric);
			char *save = NULL, *p = strtok_r(parts, ":", &save);
			for (int k = 0; k < 3 && p != NULL && fm->labels[k]; k++) {
				printf("%s%s=\"%s\"", k ? "," : "", fm->labels[k], p);
				p = strtok_r(NULL, ":", &save);
			}
			printf("} %llu\n", (unsigned long long)v[i]);
		}
	}
	free(v);
}

static void issuers(const tg_config *cfg, int64_t now)
{
	static const char *const states[] = { "closed", "open", "half_open" };
	size_t n = tg_config_issuer_count(cfg);
	printf("# HELP tokengate_circuit_state The circuit breaker of each issuer (1: current state).\n"
	       "# TYPE tokengate_circuit_state gauge\n");
	for (size_t i = 0; i < n; i++) {
		struct tg_keys_status st;
		tg_issuer_keys_status(cfg, i, &st);
		for (size_t s = 0; s < 3; s++)
			printf("tokengate_circuit_state{issuer=\"%s\",state=\"%s\"} %d\n",
			       tg_config_issuer_name(cfg, i), states[s],
			       strcmp(st.circuit, states[s]) == 0);
	}
	printf("# HELP tokengate_jwks_age_seconds Age of each issuer's cached key set (-1: none, static file).\n"
	       "# TYPE tokengate_jwks_age_seconds gauge\n");
	for (size_t i = 0; i < n; i++) {
		struct tg_keys_status st;
		tg_issuer_keys_status(cfg, i, &st);
		long long age = !st.static_file && st.cached ? (long long)(now - st.fetched_at) : -1;
		printf("tokengate_jwks_age_seconds{issuer=\"%s\"} %lld\n", tg_config_issuer_name(cfg, i),
		       age);
	}
}

static int sessions(const tg_config *cfg, int64_t now)
{
	static const char *const states[] = { "fresh", "refresh due", "in grace", "expired",
					      "revoked" };
	struct ctl_session *v = NULL;
	size_t n = 0;
	if (ctl_sessions_collect(cfg, now, &v, &n) != 0)
		return -1; /* no gauge rather than a count of zero */
	printf("# HELP tokengate_sessions Stored sessions by state.\n# TYPE tokengate_sessions gauge\n");
	for (size_t s = 0; s < 5; s++) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			k += strcmp(v[i].state, states[s]) == 0;
		char label[16];
		snprintf(label, sizeof(label), "%s", states[s]);
		for (char *p = label; *p; p++)
			if (*p == ' ')
				*p = '_';
		printf("tokengate_sessions{state=\"%s\"} %zu\n", label, k);
	}
	printf("# HELP tokengate_session_health_min The lowest session health score (100 with no session).\n"
	       "# TYPE tokengate_session_health_min gauge\n");
	int min = 100;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].state, "revoked") != 0 && v[i].health < min)
			min = v[i].health;
	printf("tokengate_session_health_min %d\n", min);
	free(v);
	return 0;
}

int ctl_metrics(int argc, char **argv)
{
	tg_config *cfg = ctl_simple_config(argc, argv, "tokengatectl metrics [--config FILE]",
					   NULL, NULL);
	if (cfg == NULL)
		return CTL_USAGE;
	int64_t now = tg_unix_time();
	counters(tg_settings(cfg)->cache_dir);
	issuers(cfg, now);
	int listed = sessions(cfg, now);
	size_t ue = 0, ud = 0;
	if (ctl_user_counts(cfg, &ue, &ud) == 0)
		printf("# HELP tokengate_users Records of people who exist only at the provider.\n"
		       "# TYPE tokengate_users gauge\n"
		       "tokengate_users{state=\"enabled\"} %zu\ntokengate_users{state=\"disabled\"} %zu\n",
		       ue, ud);
	else
		listed = -1;
	tg_config_free(cfg);
	return listed == 0 ? CTL_OK : CTL_REJECTED;
}
