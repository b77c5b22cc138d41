/*
 * keysource.h - an issuer's verification keys: a static jwks_file, or the
 * discovered jwks_uri through the on-disk cache (TTL from Cache-Control
 * clamped to [jwks_min_ttl, jwks_max_ttl], stale keys served up to
 * jwks_max_stale while fetches fail, refetches at most once per
 * jwks_min_refetch across all processes).
 */
#ifndef TG_KEYSOURCE_H
#define TG_KEYSOURCE_H

#include "tg_internal.h"

/* An audit-worthy event: jwks_fetch (ok / error), jwks_stale. */
typedef void (*tg_keys_event_fn)(void *ud, const char *event, const char *result,
				 tg_rc reason, const char *detail);

struct tg_keys_req {
	const tg_config *cfg;
	size_t idx;		/* issuer */
	const char *kid;	/* the token's kid, or NULL */
	bool force;		/* the kid was unknown: refetch if allowed */
	int64_t now;
	tg_keys_event_fn event;
	tg_skip_fn skip;
	void *ud;
};

/* What the cache knows about an issuer, for `tokengatectl status`. */
struct tg_keys_status {
	bool static_file;	/* jwks_file: no network */
	bool cached;
	int64_t fetched_at;
	int64_t max_age;	/* from the provider, -1 if none */
	int64_t ttl;		/* after clamping */
	int64_t max_stale;
	size_t usable_keys;
	const char *circuit;	/* closed, open, half_open */
	int failures;
	int64_t error_at;	/* 0: none recorded */
	char error[320];
	char url[512];
};
TG_HIDDEN tg_rc tg_issuer_keys_status(const tg_config *cfg, size_t idx,
				      struct tg_keys_status *st);

/* The provider's discovery document (cached beside the keys; fetched when
 * absent or older than jwks_max_ttl). The caller frees *out. */
TG_HIDDEN tg_rc tg_issuer_discovery(const struct tg_keys_req *q, json_t **out,
				    char *why, size_t whylen);
/* The issuer's HTTP options and circuit, for the token endpoint. */
struct tg_http_opts;
TG_HIDDEN tg_rc tg_issuer_post(const struct tg_keys_req *q, const char *url,
			       const char *form, const char *user, const char *pass,
			       void *resp);

/* *fetched tells whether the keys came from the network just now. */
TG_HIDDEN tg_rc tg_issuer_keys(const struct tg_keys_req *q, tg_jwks **out,
			       bool *fetched);

#endif
