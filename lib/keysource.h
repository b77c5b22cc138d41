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

/* *fetched tells whether the keys came from the network just now. */
TG_HIDDEN tg_rc tg_issuer_keys(const struct tg_keys_req *q, tg_jwks **out,
			       bool *fetched);

#endif
