/*
 * keysource.h - an issuer's verification keys: a static jwks_file, or the
 * discovered jwks_uri through the on-disk cache (TTL from Cache-Control
 * clamped to [jwks_min_ttl, jwks_max_ttl], stale keys served up to
 * jwks_max_stale while fetches fail, refetches at most once per
 * jwks_min_refetch across all processes).
 */
#ifndef TG_KEYSOURCE_H
#define TG_KEYSOURCE_H

#include "issuer.h"

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

/* *fetched tells whether the keys came from the network just now. */
TG_HIDDEN tg_rc tg_issuer_keys(const struct tg_ctx *x, size_t idx, const char *kid,
			       bool force, tg_jwks **out, bool *fetched);

#endif
