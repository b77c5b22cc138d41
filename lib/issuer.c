/*
 * issuer.c - the issuer handle (see issuer.h): its typed settings, built
 * once per config, and the provider client every issuer request goes
 * through: the circuit, GET with retries, discovery, the token-endpoint
 * POST, and the per-class error counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "config_internal.h"
#include "issuer.h"
#include "settings.h"

#define DISCOVERY_MAX (256u * 1024u)

static tg_issuer_http_fn http_fn = tg_http_request;

void tg_issuer_set_http(tg_issuer_http_fn fn)
{
	http_fn = fn != NULL ? fn : tg_http_request;
}

static int64_t dur(const struct tg_section *s, const char *key)
{
	int64_t v = 0;
	const char *t = tg_section_get(s, key);
	tg_parse_duration(t ? t : tg_config_default(key), &v);
	return v;
}

/* The issuer's setting, or its default. */
static const char *value(const struct tg_section *s, const char *key)
{
	const char *v = tg_section_get(s, key);
	return v ? v : tg_config_default(key);
}

static void build(struct tg_issuer *h, const tg_config *cfg, const struct tg_section *s,
		  const char *dir)
{
	bool b = false;
	h->s = s;
	h->iss = tg_section_get(s, "issuer");
	h->dir = dir;
	h->jwks_file = tg_section_get(s, "jwks_file");
	h->client_id = tg_section_get(s, "client_id");
	h->client_secret_file = tg_section_get(s, "client_secret_file");
	h->client_auth = tg_section_get(s, "client_auth");
	h->scope = value(s, "scope");
	const char *in = value(s, "introspect");
	h->introspect = false;
	if (in != NULL)
		tg_parse_bool(in, &h->introspect);
	const char *cu = value(s, "create_users");
	h->create_users = false;
	if (cu != NULL)
		tg_parse_bool(cu, &h->create_users);
	h->unix_groups = tg_section_get(s, "unix_groups");
	h->group_map = s->groupmap.has_map ? &s->groupmap : NULL;
	const char *st = value(s, "session_token");
	h->session_token = st == NULL || strcmp(st, "auto") == 0 ? TG_SESSION_AUTO
			 : strcmp(st, "id") == 0 ? TG_SESSION_ID : TG_SESSION_ACCESS;
	snprintf(h->name, sizeof(h->name), "%s.jwks", s->name);
	snprintf(h->stamp, sizeof(h->stamp), "%s.refetch", s->name);
	snprintf(h->attempt, sizeof(h->attempt), "%s.attempt", s->name);
	snprintf(h->lasterr, sizeof(h->lasterr), "%s.lasterror", s->name);
	snprintf(h->disco, sizeof(h->disco), "%s.discovery", s->name);
	h->min_ttl = dur(s, "jwks_min_ttl");
	h->max_ttl = dur(s, "jwks_max_ttl");
	h->max_stale = dur(s, "jwks_max_stale");
	h->min_refetch = dur(s, "jwks_min_refetch");
	h->http.connect_timeout_ms = (long)tg_settings(cfg)->http_connect_timeout * 1000;
	h->http.timeout_ms = (long)tg_settings(cfg)->http_timeout * 1000;
	h->http.ca_file = tg_section_get(s, "ca_file");
	h->http.proxy = tg_section_get(s, "proxy");
	const char *lb = tg_section_get(s, "allow_http_loopback");
	h->http.allow_http_loopback = lb && tg_parse_bool(lb, &b) && b;
	h->budget_ms = h->http.timeout_ms;
	const char *cf = tg_section_get(s, "circuit_failures");
	h->circuit.dir = dir;
	snprintf(h->circuit.name, sizeof(h->circuit.name), "%s.circuit", s->name);
	h->circuit.threshold = (int)strtol(cf ? cf : tg_config_default("circuit_failures"), NULL, 10);
	h->circuit.cooldown = dur(s, "circuit_cooldown");
	h->built = true;
}

const struct tg_issuer *tg_issuer_of(const tg_config *cfg, size_t idx)
{
	const struct tg_section *s = tg_config_issuer(cfg, idx);
	const char *dir = tg_settings(cfg)->cache_dir;
	size_t n = tg_config_issuer_count(cfg);
	if (s == NULL || dir == NULL || idx >= n)
		return NULL;
	/* the handles are a cache of what the config says, built lazily
	 * in the config's lazy cell and freed with it */
	struct tg_config_lazy *l = cfg->lazy;
	if (l->issuers == NULL && (l->issuers = calloc(n, sizeof(struct tg_issuer))) == NULL)
		return NULL;
	struct tg_issuer *h = &((struct tg_issuer *)l->issuers)[idx];
	if (!h->built)
		build(h, cfg, s, dir);
	return h;
}

/* This request's sink, told of the circuit's changes. */
struct sink {
	const struct tg_ctx *x;
};

static void on_circuit(void *ud, const char *from, const char *to, int failures)
{
	const struct sink *k = ud;
	char d[128];
	snprintf(d, sizeof(d), "%s -> %s after %d consecutive failures", from, to, failures);
	tg_ctx_event(k->x, TG_EV_PROVIDER, "circuit", to, TG_E_IDP_UNREACHABLE, d);
}

static struct tg_circuit circuit_of(const struct tg_issuer *h, struct sink *k)
{
	struct tg_circuit c = h->circuit;
	c.on_change = on_circuit;
	c.ud = k;
	return c;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A failed provider request, by class, for tokengatectl metrics. */
static void count_error(const struct tg_issuer *h, tg_http_class cls)
{
	char name[64];
	if (cls == TG_HTTP_OK)
		return;
	snprintf(name, sizeof(name), "provider_error:%s", tg_http_class_name(cls));
	tg_metrics_count(h->dir, name);
}

/* Is the circuit open? Then r says so, counted, and nothing goes out. */
static bool refused(const struct tg_issuer *h, const struct tg_ctx *x,
		    struct tg_http_resp *r)
{
	struct sink k = { x };
	struct tg_circuit c = circuit_of(h, &k);
	memset(r, 0, sizeof(*r));
	if (tg_circuit_allow(&c, x->now))
		return false;
	r->cls = TG_HTTP_CIRCUIT_OPEN;
	snprintf(r->error, sizeof(r->error), "circuit open: the provider is down");
	count_error(h, r->cls);
	return true;
}

/* The outcome of a request that went out. The circuit hears only what
 * tg_http_circuit_verdict says is the provider's doing. */
static void record(const struct tg_issuer *h, const struct tg_ctx *x,
		   const struct tg_http_resp *r)
{
	struct sink k = { x };
	struct tg_circuit c = circuit_of(h, &k);
	int verdict = tg_http_circuit_verdict(r->cls);
	if (verdict != 0)
		tg_circuit_record(&c, x->now, verdict > 0);
	count_error(h, r->cls);
}

/* One GET attempt: the circuit allowing, a 2xx JSON object. */
static tg_rc attempt(const struct tg_issuer *h, const struct tg_ctx *x, const char *url,
		     size_t max, long timeout_ms, struct tg_http_resp *r, json_t **out)
{
	if (refused(h, x, r))
		return tg_http_class_rc(r->cls);
	struct tg_http_opts o = h->http;
	o.max_body = max;
	o.timeout_ms = timeout_ms;
	tg_rc rc = http_fn(&o, url, NULL, NULL, NULL, r);
	if (rc == TG_OK && !r->json) {
		r->cls = TG_HTTP_MALFORMED;
		snprintf(r->error, sizeof(r->error), "Content-Type is not JSON");
	} else if (rc == TG_OK && tg_json_parse_object(r->body, r->len, max, 16, out) != TG_OK) {
		r->cls = TG_HTTP_MALFORMED;
		snprintf(r->error, sizeof(r->error), "not a JSON object");
	}
	record(h, x, r);
	return tg_http_class_rc(r->cls);
}

tg_rc tg_issuer_get_json(const struct tg_ctx *x, size_t idx, const char *url, size_t max,
			 struct tg_http_resp *r, json_t **out)
{
	const struct tg_issuer *h = tg_issuer_of(x->cfg, idx);
	*out = NULL;
	memset(r, 0, sizeof(*r));
	r->cls = TG_HTTP_TIMEOUT;
	if (h == NULL)
		return TG_E_CONFIG;
	long deadline = now_ms() + h->budget_ms;
	tg_rc rc = TG_E_TIMEOUT;
	for (unsigned n = 0; n < 3; n++) {
		long left = deadline - now_ms();
		if (left <= 0)
			break;
		if (n > 0)
			tg_http_resp_free(r);
		rc = attempt(h, x, url, max,
			     left < h->http.timeout_ms ? left : h->http.timeout_ms, r, out);
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
tg_rc tg_issuer_discover(const struct tg_ctx *x, size_t idx, json_t **out, char *why,
			 size_t whylen)
{
	const struct tg_issuer *h = tg_issuer_of(x->cfg, idx);
	char url[2048];
	struct tg_http_resp r;
	*out = NULL;
	if (h == NULL)
		return TG_E_CONFIG;
	snprintf(url, sizeof(url), "%s%s.well-known/openid-configuration", h->iss,
		 h->iss[strlen(h->iss) - 1] == '/' ? "" : "/");
	tg_rc rc = tg_issuer_get_json(x, idx, url, DISCOVERY_MAX, &r, out);
	if (rc != TG_OK) {
		snprintf(why, whylen, "discovery: %s (%s)", tg_http_class_name(r.cls), r.error);
	} else if (!json_is_string(json_object_get(*out, "issuer")) ||
		   strcmp(json_string_value(json_object_get(*out, "issuer")), h->iss) != 0) {
		snprintf(why, whylen, "discovery: issuer is not %s", h->iss);
		json_decref(*out);
		*out = NULL;
		rc = TG_E_CONFIG;
	} else {
		struct tg_cache_entry de = { .fetched_at = x->now, .max_age = r.max_age,
					     .url = url, .body = r.body, .len = r.len };
		tg_cache_write(h->dir, h->disco, &de);
	}
	tg_http_resp_free(&r);
	return rc;
}

tg_rc tg_issuer_discovery(const struct tg_ctx *x, size_t idx, json_t **out, char *why,
			  size_t whylen)
{
	const struct tg_issuer *h = tg_issuer_of(x->cfg, idx);
	struct tg_cache_entry e;
	*out = NULL;
	if (h == NULL)
		return TG_E_CONFIG;
	if (tg_cache_read(h->dir, h->disco, &e) == TG_OK) {
		int64_t age = x->now - e.fetched_at;
		tg_rc rc = age >= 0 && age < h->max_ttl
				   ? tg_json_parse_object(e.body, e.len, DISCOVERY_MAX, 16, out)
				   : TG_E_EXPIRED;
		tg_cache_entry_clear(&e);
		if (rc == TG_OK)
			return TG_OK;
	}
	return tg_issuer_discover(x, idx, out, why, whylen);
}

tg_rc tg_issuer_post(const struct tg_ctx *x, size_t idx, const char *url, const char *form,
		     const char *user, const char *pass, struct tg_http_resp *r)
{
	const struct tg_issuer *h = tg_issuer_of(x->cfg, idx);
	memset(r, 0, sizeof(*r));
	if (h == NULL)
		return TG_E_CONFIG;
	if (refused(h, x, r))
		return tg_http_class_rc(r->cls);
	/* POSTs are not retried: a grant may have been used already. */
	tg_rc rc = http_fn(&h->http, url, form, user, pass, r);
	record(h, x, r);
	return rc;
}
