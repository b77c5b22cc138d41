/*
 * keysource.c - where an issuer's keys come from (see keysource.h): the
 * JWKS cache decisions, over the issuer handle's provider client.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "keysource.h"

#define LOCK_WAIT_MS 5000u

/* One keys request against its issuer's handle. */
struct ctx {
	struct tg_ctx x;	/* the caller's, copied: the skip sink's ud */
	size_t idx;
	const char *kid;	/* the token's kid, or NULL */
	bool force;		/* the kid was unknown: refetch if allowed */
	const struct tg_issuer *h;
};

static void event(const struct ctx *c, const char *ev, const char *result,
		  tg_rc reason, const char *detail)
{
	tg_ctx_event(&c->x, TG_EV_PROVIDER, ev, result, reason, detail);
}

static bool setup(struct ctx *c, const struct tg_ctx *x, size_t idx, const char *kid,
		  bool force)
{
	c->x = *x;
	c->idx = idx;
	c->kid = kid;
	c->force = force;
	c->h = tg_issuer_of(x->cfg, idx);
	return c->h != NULL;
}

static int64_t ttl_of(const struct ctx *c, const struct tg_cache_entry *e)
{
	int64_t t = e->max_age < 0 ? c->h->min_ttl : e->max_age;
	return t < c->h->min_ttl ? c->h->min_ttl : t > c->h->max_ttl ? c->h->max_ttl : t;
}

/* Discovery, then the key set; on success the cache holds the new set. */
static tg_rc fetch(struct ctx *c, struct tg_cache_entry *got, char *why, size_t whylen)
{
	char url[2048];
	struct tg_http_resp r = { 0 };
	json_t *d = NULL, *k = NULL;
	tg_rc rc = tg_issuer_discover(&c->x, c->idx, &d, why, whylen);
	if (rc != TG_OK)
		goto out;
	const char *juri = json_string_value(json_object_get(d, "jwks_uri"));
	if (!tg_http_url_allowed(juri, c->h->http.allow_http_loopback)) {
		snprintf(why, whylen, "discovery: jwks_uri missing or not https");
		rc = TG_E_CONFIG;
		goto out;
	}
	snprintf(url, sizeof(url), "%s", juri);
	rc = tg_issuer_get_json(&c->x, c->idx, url, TG_JWKS_MAX_BYTES, &r, &k);
	if (rc != TG_OK || !json_is_array(json_object_get(k, "keys"))) {
		snprintf(why, whylen, "jwks: %s (%s)", tg_http_class_name(r.cls),
			 rc == TG_OK ? "no keys array" : r.error);
		if (rc == TG_OK)
			rc = TG_E_MALFORMED;
		goto out;
	}
	got->fetched_at = c->x.now;
	got->max_age = r.max_age;
	got->url = tg_strdup(url);
	got->body = tg_strndup(r.body, r.len);
	got->len = r.len;
	if (tg_cache_write(c->h->dir, c->h->name, got) != TG_OK)
		event(c, "jwks_fetch", "warn", TG_E_IO, "cannot write the key cache");
out:
	tg_http_resp_free(&r);
	json_decref(d);
	json_decref(k);
	return rc;
}

static tg_rc use_entry(struct ctx *c, const struct tg_cache_entry *e, tg_jwks **out)
{
	return tg_jwks_parse(e->body, e->len, tg_ctx_skip, &c->x, out);
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
	int64_t age = c->x.now - e->fetched_at;
	return age >= 0 && age < ttl_of(c, e) + c->h->max_stale;
}

/* What to do with the cache as it is (keys: the entry, parsed once). */
static enum plan decide(const struct ctx *c, const struct tg_cache_entry *e,
			const tg_jwks *keys)
{
	if (keys == NULL)
		return FETCH;
	int64_t age = c->x.now - e->fetched_at;
	bool fresh = age >= 0 && age < ttl_of(c, e);
	if (fresh && !c->force && has_kid(keys, c->kid))
		return USE;
	/* An unknown kid: one refetch per min_refetch across every process,
	 * so a rotation is picked up at once and a flood of bogus kids cannot
	 * hammer the provider. Stale keys: one attempt per min_refetch, so
	 * an outage is not hammered either. */
	int64_t last = fresh ? tg_cache_stamp_get(c->h->dir, c->h->stamp)
			     : tg_cache_stamp_get(c->h->dir, c->h->attempt);
	if (c->x.now - last >= c->h->min_refetch || last > c->x.now)
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
		 (long long)(c->x.now - e->fetched_at), why);
	event(c, "jwks_stale", "stale", TG_E_IDP_UNREACHABLE, d);
}

/* Reads the cached entry and parses its keys once (NULL: none usable). */
static tg_jwks *read_cached(struct ctx *c, struct tg_cache_entry *e)
{
	tg_jwks *k = NULL;
	if (tg_cache_read(c->h->dir, c->h->name, e) != TG_OK)
		return NULL;
	if (use_entry(c, e, &k) != TG_OK) {
		tg_jwks_free(k);
		return NULL;
	}
	return k;
}

tg_rc tg_issuer_keys(const struct tg_ctx *x, size_t idx, const char *kid, bool force,
		     tg_jwks **out, bool *fetched)
{
	struct ctx c;
	struct tg_cache_entry e, got = { 0 };
	char why[320] = "";
	*out = NULL;
	*fetched = false;
	if (!setup(&c, x, idx, kid, force))
		return TG_E_CONFIG;
	const char *file = c.h->jwks_file;
	if (file != NULL)
		return tg_jwks_load_file(file, tg_ctx_skip, &c.x, out, NULL, 0) == TG_OK
			       ? TG_OK : TG_E_INTERNAL;

	tg_jwks *cached = read_cached(&c, &e);
	enum plan plan = decide(&c, &e, cached);
	tg_rc rc = TG_E_INTERNAL;
	int lock = -1;
	if (plan == FETCH) {
		/* One fetch at a time across processes; with keys in hand,
		 * do not wait for the one under way. */
		lock = tg_cache_lock(c.h->dir, c.h->name, cached ? 0 : LOCK_WAIT_MS);
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
			     : x->now >= e.fetched_at && x->now - e.fetched_at < ttl_of(&c, &e) ? USE
			     : within_stale(&c, &e) ? USE_STALE : UNUSABLE;
		}
	}
	if (plan == FETCH) {
		if (cached && x->now >= e.fetched_at && x->now - e.fetched_at < ttl_of(&c, &e))
			tg_cache_stamp_set(c.h->dir, c.h->stamp, x->now);	/* kid-driven */
		tg_cache_stamp_set(c.h->dir, c.h->attempt, x->now);
		rc = fetch(&c, &got, why, sizeof(why));
		if (rc == TG_OK) {
			event(&c, "jwks_fetch", "ok", TG_OK, got.url);
			*fetched = true;
			rc = use_entry(&c, &got, out);
		} else {
			event(&c, "jwks_fetch", "error", rc, why);
			struct tg_cache_entry le = { .fetched_at = x->now, .max_age = -1,
						     .body = why, .len = strlen(why) };
			tg_cache_write(c.h->dir, c.h->lasterr, &le);
			bool fresh = cached && x->now - e.fetched_at < ttl_of(&c, &e) &&
				     x->now >= e.fetched_at;
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
	struct tg_ctx x = { .cfg = cfg };
	struct ctx c;
	struct tg_cache_entry e;
	memset(st, 0, sizeof(*st));
	if (!setup(&c, &x, idx, NULL, false))
		return TG_E_CONFIG;
	st->static_file = c.h->jwks_file != NULL;
	st->circuit = tg_circuit_state(&c.h->circuit, &st->failures);
	st->max_stale = c.h->max_stale;
	if (tg_cache_read(c.h->dir, c.h->name, &e) == TG_OK) {
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
	if (tg_cache_read(c.h->dir, c.h->lasterr, &e) == TG_OK) {
		st->error_at = e.fetched_at;
		snprintf(st->error, sizeof(st->error), "%s", e.body);
		tg_cache_entry_clear(&e);
	}
	return TG_OK;
}
