/*
 * keysource.c - where an issuer's keys come from (see keysource.h).
 */
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "circuit.h"
#include "config_internal.h"
#include "http.h"
#include "keysource.h"

#define DISCOVERY_MAX (256u * 1024u)
#define LOCK_WAIT_MS 5000u

struct ctx {
	const struct tg_keys_req *q;
	const struct tg_section *s;
	const char *dir;
	char name[160];		/* cache file of the key set */
	char stamp[160];	/* last refetch for an unknown kid */
	char attempt[160];	/* last fetch attempt of any kind */
	char lasterr[160];	/* the last fetch error, for status */
	char disco[160];	/* the discovery document */
	int64_t min_ttl, max_ttl, max_stale, min_refetch;
	struct tg_http_opts http;
	struct tg_circuit circuit;
	long budget_ms;		/* all attempts of one document */
};

static int64_t dur(const struct tg_section *s, const char *key)
{
	int64_t v = 0;
	const char *t = tg_section_get(s, key);
	tg_parse_duration(t ? t : tg_config_default(key), &v);
	return v;
}

static void event(const struct ctx *c, const char *ev, const char *result,
		  tg_rc reason, const char *detail)
{
	if (c->q->event != NULL)
		c->q->event(c->q->ud, ev, result, reason, detail);
}

static void on_circuit(void *ud, const char *from, const char *to, int failures)
{
	const struct ctx *c = ud;
	char d[128];
	snprintf(d, sizeof(d), "%s -> %s after %d consecutive failures", from, to, failures);
	if (c->q->event != NULL)
		c->q->event(c->q->ud, "circuit", to, TG_E_IDP_UNREACHABLE, d);
}

static bool setup(struct ctx *c, const struct tg_keys_req *q)
{
	int64_t t;
	bool b = false;
	memset(c, 0, sizeof(*c));
	c->q = q;
	c->s = tg_config_issuer(q->cfg, q->idx);
	c->dir = tg_config_global(q->cfg, "cache_dir");
	if (c->s == NULL || c->dir == NULL)
		return false;
	snprintf(c->name, sizeof(c->name), "%s.jwks", c->s->name);
	snprintf(c->stamp, sizeof(c->stamp), "%s.refetch", c->s->name);
	snprintf(c->attempt, sizeof(c->attempt), "%s.attempt", c->s->name);
	snprintf(c->lasterr, sizeof(c->lasterr), "%s.lasterror", c->s->name);
	snprintf(c->disco, sizeof(c->disco), "%s.discovery", c->s->name);
	c->min_ttl = dur(c->s, "jwks_min_ttl");
	c->max_ttl = dur(c->s, "jwks_max_ttl");
	c->max_stale = dur(c->s, "jwks_max_stale");
	c->min_refetch = dur(c->s, "jwks_min_refetch");
	tg_parse_duration(tg_config_global(q->cfg, "http_connect_timeout"), &t);
	c->http.connect_timeout_ms = (long)t * 1000;
	tg_parse_duration(tg_config_global(q->cfg, "http_timeout"), &t);
	c->http.timeout_ms = (long)t * 1000;
	c->http.ca_file = tg_section_get(c->s, "ca_file");
	c->http.proxy = tg_section_get(c->s, "proxy");
	const char *lb = tg_section_get(c->s, "allow_http_loopback");
	c->http.allow_http_loopback = lb && tg_parse_bool(lb, &b) && b;
	c->budget_ms = c->http.timeout_ms;
	const char *cf = tg_section_get(c->s, "circuit_failures");
	c->circuit.dir = c->dir;
	snprintf(c->circuit.name, sizeof(c->circuit.name), "%s.circuit", c->s->name);
	c->circuit.threshold = (int)strtol(cf ? cf : tg_config_default("circuit_failures"), NULL, 10);
	c->circuit.cooldown = dur(c->s, "circuit_cooldown");
	c->circuit.on_change = on_circuit;
	c->circuit.ud = c;
	return true;
}

static int64_t ttl_of(const struct ctx *c, const struct tg_cache_entry *e)
{
	int64_t t = e->max_age < 0 ? c->min_ttl : e->max_age;
	return t < c->min_ttl ? c->min_ttl : t > c->max_ttl ? c->max_ttl : t;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A failed provider request, by class, for tokengatectl metrics. */
static void count_error(const tg_config *cfg, tg_http_class cls)
{
	char name[64];
	if (cls == TG_HTTP_OK)
		return;
	snprintf(name, sizeof(name), "provider_error:%s", tg_http_class_name(cls));
	tg_metrics_count(tg_config_value(cfg, NULL, "cache_dir"), name);
}

/* One attempt: the circuit allowing, a 2xx JSON object. The circuit hears
 * only what tg_http_circuit_verdict says is the provider's doing. */
static tg_rc attempt(struct ctx *c, const char *url, size_t max, long timeout_ms,
		     struct tg_http_resp *r, json_t **out)
{
	memset(r, 0, sizeof(*r));
	if (!tg_circuit_allow(&c->circuit, c->q->now)) {
		r->cls = TG_HTTP_CIRCUIT_OPEN;
		snprintf(r->error, sizeof(r->error), "circuit open: the provider is down");
		count_error(c->q->cfg, r->cls);
		return tg_http_class_rc(r->cls);
	}
	struct tg_http_opts o = c->http;
	o.max_body = max;
	o.timeout_ms = timeout_ms;
	tg_rc rc = tg_http_request(&o, url, NULL, NULL, NULL, r);
	if (rc == TG_OK && !r->json) {
		r->cls = TG_HTTP_MALFORMED;
		snprintf(r->error, sizeof(r->error), "Content-Type is not JSON");
	} else if (rc == TG_OK && tg_json_parse_object(r->body, r->len, max, 16, out) != TG_OK) {
		r->cls = TG_HTTP_MALFORMED;
		snprintf(r->error, sizeof(r->error), "not a JSON object");
	}
	int verdict = tg_http_circuit_verdict(r->cls);
	if (verdict != 0)
		tg_circuit_record(&c->circuit, c->q->now, verdict > 0);
	count_error(c->q->cfg, r->cls);
	return tg_http_class_rc(r->cls);
}

/* GET url, retrying what is worth retrying with full-jitter backoff (or
 * Retry-After), all inside the budget. The body must be a JSON object. */
static tg_rc get_json(struct ctx *c, const char *url, size_t max,
		      struct tg_http_resp *r, json_t **out)
{
	long deadline = now_ms() + c->budget_ms;
	tg_rc rc = TG_E_TIMEOUT;
	*out = NULL;
	memset(r, 0, sizeof(*r));
	r->cls = TG_HTTP_TIMEOUT;
	for (unsigned n = 0; n < 3; n++) {
		long left = deadline - now_ms();
		if (left <= 0)
			break;
		if (n > 0)
			tg_http_resp_free(r);
		rc = attempt(c, url, max, left < c->http.timeout_ms ? left : c->http.timeout_ms,
			     r, out);
		if (rc == TG_OK || !tg_http_retryable(r->cls))
			break;
		long wait = r->cls == TG_HTTP_429 && r->retry_after >= 0
				    ? r->retry_after * 1000L
				    : (long)tg_backoff_ms(n, 200, 2000);
		if (wait >= deadline - now_ms())
			break; /* no time left for another try */
		struct timespec ts = { wait / 1000, (wait % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	return rc;
}

/* GETs the discovery document, checks that it names our issuer, and caches
 * it beside the keys. */
static tg_rc discover(struct ctx *c, json_t **out, char *why, size_t whylen)
{
	const char *iss = tg_section_get(c->s, "issuer");
	char url[2048];
	struct tg_http_resp r;
	snprintf(url, sizeof(url), "%s%s.well-known/openid-configuration", iss,
		 iss[strlen(iss) - 1] == '/' ? "" : "/");
	tg_rc rc = get_json(c, url, DISCOVERY_MAX, &r, out);
	if (rc != TG_OK) {
		snprintf(why, whylen, "discovery: %s (%s)", tg_http_class_name(r.cls), r.error);
	} else if (!json_is_string(json_object_get(*out, "issuer")) ||
		   strcmp(json_string_value(json_object_get(*out, "issuer")), iss) != 0) {
		snprintf(why, whylen, "discovery: issuer is not %s", iss);
		json_decref(*out);
		*out = NULL;
		rc = TG_E_CONFIG;
	} else {
		struct tg_cache_entry de = { .fetched_at = c->q->now, .max_age = r.max_age,
					     .url = url, .body = r.body, .len = r.len };
		tg_cache_write(c->dir, c->disco, &de);
	}
	tg_http_resp_free(&r);
	return rc;
}

/* Discovery, then the key set; on success the cache holds the new set. */
static tg_rc fetch(struct ctx *c, struct tg_cache_entry *got, char *why, size_t whylen)
{
	char url[2048];
	struct tg_http_resp r = { 0 };
	json_t *d = NULL, *k = NULL;
	tg_rc rc = discover(c, &d, why, whylen);
	if (rc != TG_OK)
		goto out;
	const char *juri = json_string_value(json_object_get(d, "jwks_uri"));
	if (!tg_http_url_allowed(juri, c->http.allow_http_loopback)) {
		snprintf(why, whylen, "discovery: jwks_uri missing or not https");
		rc = TG_E_CONFIG;
		goto out;
	}
	snprintf(url, sizeof(url), "%s", juri);
	rc = get_json(c, url, TG_JWKS_MAX_BYTES, &r, &k);
	if (rc != TG_OK || !json_is_array(json_object_get(k, "keys"))) {
		snprintf(why, whylen, "jwks: %s (%s)", tg_http_class_name(r.cls),
			 rc == TG_OK ? "no keys array" : r.error);
		if (rc == TG_OK)
			rc = TG_E_MALFORMED;
		goto out;
	}
	got->fetched_at = c->q->now;
	got->max_age = r.max_age;
	got->url = tg_strdup(url);
	got->body = tg_strndup(r.body, r.len);
	got->len = r.len;
	if (tg_cache_write(c->dir, c->name, got) != TG_OK)
		event(c, "jwks_fetch", "warn", TG_E_IO, "cannot write the key cache");
out:
	tg_http_resp_free(&r);
	json_decref(d);
	json_decref(k);
	return rc;
}

static tg_rc use_entry(const struct ctx *c, const struct tg_cache_entry *e, tg_jwks **out)
{
	return tg_jwks_parse(e->body, e->len, c->q->skip, c->q->ud, out);
}

static bool has_kid(const tg_jwks *k, const char *kid)
{
	if (kid == NULL)
		return true;
	for (size_t i = 0; i < tg_jwks_count(k); i++) {
		const struct tg_key *key = tg_jwks_key(k, i);
		if (key->kid && !strcmp(key->kid, kid))
			return true;
	}
	return false;
}

enum plan { USE, USE_STALE, FETCH, UNUSABLE };

static bool within_stale(const struct ctx *c, const struct tg_cache_entry *e)
{
	int64_t age = c->q->now - e->fetched_at;
	return age >= 0 && age < ttl_of(c, e) + c->max_stale;
}

/* What to do with the cache as it is (keys: the entry, parsed once). */
static enum plan decide(const struct ctx *c, const struct tg_cache_entry *e,
			const tg_jwks *keys)
{
	if (keys == NULL)
		return FETCH;
	int64_t age = c->q->now - e->fetched_at;
	bool fresh = age >= 0 && age < ttl_of(c, e);
	if (fresh && !c->q->force && has_kid(keys, c->q->kid))
		return USE;
	/* An unknown kid: one refetch per min_refetch across every process,
	 * so a rotation is picked up at once and a flood of bogus kids cannot
	 * hammer the provider. Stale keys: one attempt per min_refetch, so
	 * an outage is not hammered either. */
	int64_t last = fresh ? tg_cache_stamp_get(c->dir, c->stamp)
			     : tg_cache_stamp_get(c->dir, c->attempt);
	if (c->q->now - last >= c->min_refetch || last > c->q->now)
		return FETCH;
	if (fresh)
		return USE;
	/* Past max_stale nothing is usable: ask again (the circuit keeps an
	 * outage from being hammered), so the answer says why, not an old
	 * attempt whose cause is unknown. */
	return within_stale(c, e) ? USE_STALE : FETCH;
}

static void note_stale(const struct ctx *c, const struct tg_cache_entry *e,
		       const char *why)
{
	char d[400];
	snprintf(d, sizeof(d), "keys fetched %llds ago; %s",
		 (long long)(c->q->now - e->fetched_at), why);
	event(c, "jwks_stale", "stale", TG_E_IDP_UNREACHABLE, d);
}

/* Reads the cached entry and parses its keys once (NULL: none usable). */
static tg_jwks *read_cached(const struct ctx *c, struct tg_cache_entry *e)
{
	tg_jwks *k = NULL;
	if (tg_cache_read(c->dir, c->name, e) != TG_OK)
		return NULL;
	if (use_entry(c, e, &k) != TG_OK) {
		tg_jwks_free(k);
		return NULL;
	}
	return k;
}

tg_rc tg_issuer_keys(const struct tg_keys_req *q, tg_jwks **out, bool *fetched)
{
	struct ctx c;
	struct tg_cache_entry e, got = { 0 };
	char why[320] = "";
	*out = NULL;
	*fetched = false;
	if (!setup(&c, q))
		return TG_E_CONFIG;
	const char *file = tg_section_get(c.s, "jwks_file");
	if (file != NULL)
		return tg_jwks_load_file(file, q->skip, q->ud, out, NULL, 0) == TG_OK
			       ? TG_OK : TG_E_INTERNAL;

	tg_jwks *cached = read_cached(&c, &e);
	enum plan plan = decide(&c, &e, cached);
	tg_rc rc = TG_E_INTERNAL;
	int lock = -1;
	if (plan == FETCH) {
		/* One fetch at a time across processes; with keys in hand,
		 * do not wait for the one under way. */
		lock = tg_cache_lock(c.dir, c.name, cached ? 0 : LOCK_WAIT_MS);
		if (lock >= 0) {
			/* it may have changed while we waited */
			tg_jwks_free(cached);
			tg_cache_entry_clear(&e);
			cached = read_cached(&c, &e);
			plan = decide(&c, &e, cached);
		} else {
			snprintf(why, sizeof(why), "another process is fetching the keys");
			rc = TG_E_TIMEOUT; /* local contention, not the provider */
			plan = !cached ? UNUSABLE
			     : q->now >= e.fetched_at && q->now - e.fetched_at < ttl_of(&c, &e) ? USE
			     : within_stale(&c, &e) ? USE_STALE : UNUSABLE;
		}
	}
	if (plan == FETCH) {
		if (cached && q->now >= e.fetched_at && q->now - e.fetched_at < ttl_of(&c, &e))
			tg_cache_stamp_set(c.dir, c.stamp, q->now);	/* kid-driven */
		tg_cache_stamp_set(c.dir, c.attempt, q->now);
		rc = fetch(&c, &got, why, sizeof(why));
		if (rc == TG_OK) {
			event(&c, "jwks_fetch", "ok", TG_OK, got.url);
			*fetched = true;
			rc = use_entry(&c, &got, out);
		} else {
			event(&c, "jwks_fetch", "error", rc, why);
			struct tg_cache_entry le = { .fetched_at = q->now, .max_age = -1,
						     .body = why, .len = strlen(why) };
			tg_cache_write(c.dir, c.lasterr, &le);
			bool fresh = cached && q->now - e.fetched_at < ttl_of(&c, &e) &&
				     q->now >= e.fetched_at;
			plan = fresh ? USE : cached && within_stale(&c, &e) ? USE_STALE : UNUSABLE;
		}
	}
	tg_cache_unlock(lock);
	if (plan == USE || plan == USE_STALE) {
		if (plan == USE_STALE)
			note_stale(&c, &e, why[0] ? why : "refetch not due yet");
		*out = cached;	/* parsed once, handed over */
		cached = NULL;
		rc = TG_OK;
	} else if (plan == UNUSABLE && rc == TG_OK) {
		rc = TG_E_INTERNAL;
	}
	tg_jwks_free(cached);
	tg_cache_entry_clear(&e);
	tg_cache_entry_clear(&got);
	return rc;
}

tg_rc tg_issuer_keys_status(const tg_config *cfg, size_t idx, struct tg_keys_status *st)
{
	struct tg_keys_req q = { .cfg = cfg, .idx = idx };
	struct ctx c;
	struct tg_cache_entry e;
	memset(st, 0, sizeof(*st));
	if (!setup(&c, &q))
		return TG_E_CONFIG;
	st->static_file = tg_section_get(c.s, "jwks_file") != NULL;
	st->circuit = tg_circuit_state(&c.circuit, &st->failures);
	st->max_stale = c.max_stale;
	if (tg_cache_read(c.dir, c.name, &e) == TG_OK) {
		tg_jwks *k = NULL;
		st->cached = true;
		st->fetched_at = e.fetched_at;
		st->max_age = e.max_age;
		st->ttl = ttl_of(&c, &e);
		snprintf(st->url, sizeof(st->url), "%s", e.url ? e.url : "");
		if (tg_jwks_parse(e.body, e.len, NULL, NULL, &k) == TG_OK)
			st->usable_keys = tg_jwks_count(k);
		tg_jwks_free(k);
		tg_cache_entry_clear(&e);
	}
	if (tg_cache_read(c.dir, c.lasterr, &e) == TG_OK) {
		st->error_at = e.fetched_at;
		snprintf(st->error, sizeof(st->error), "%s", e.body);
		tg_cache_entry_clear(&e);
	}
	return TG_OK;
}

tg_rc tg_issuer_discovery(const struct tg_keys_req *q, json_t **out, char *why,
			  size_t whylen)
{
	struct ctx c;
	struct tg_cache_entry e;
	*out = NULL;
	if (!setup(&c, q))
		return TG_E_CONFIG;
	if (tg_cache_read(c.dir, c.disco, &e) == TG_OK) {
		int64_t age = q->now - e.fetched_at;
		tg_rc rc = age >= 0 && age < c.max_ttl
				   ? tg_json_parse_object(e.body, e.len, DISCOVERY_MAX, 16, out)
				   : TG_E_EXPIRED;
		tg_cache_entry_clear(&e);
		if (rc == TG_OK)
			return TG_OK;
	}
	return discover(&c, out, why, whylen);
}

tg_rc tg_issuer_post(const struct tg_keys_req *q, const char *url, const char *form,
		     const char *user, const char *pass, void *resp)
{
	struct tg_http_resp *r = resp;
	struct ctx c;
	memset(r, 0, sizeof(*r));
	if (!setup(&c, q))
		return TG_E_CONFIG;
	if (!tg_circuit_allow(&c.circuit, q->now)) {
		r->cls = TG_HTTP_CIRCUIT_OPEN;
		snprintf(r->error, sizeof(r->error), "circuit open: the provider is down");
		count_error(q->cfg, r->cls);
		return tg_http_class_rc(r->cls);
	}
	/* POSTs are not retried: a grant may have been used already. */
	tg_rc rc = tg_http_request(&c.http, url, form, user, pass, r);
	int verdict = tg_http_circuit_verdict(r->cls);
	if (verdict != 0)
		tg_circuit_record(&c.circuit, q->now, verdict > 0);
	count_error(q->cfg, r->cls);
	return rc;
}
