/*
 * issuer_token.c - a token against its issuer handle (issuer.h): the
 * issuer's policy for the service and its keys, with one rate-limited
 * refetch when the token names an unknown kid.
 */
#include <string.h>

#include "keysource.h"

static tg_rc load_keys(const struct tg_check_req *c, bool force, tg_jwks **keys,
		       bool *fetched, const char **detail)
{
	struct tg_keys_req q = {
		.cfg = c->cfg, .idx = c->idx, .force = force, .now = c->now,
		.event = c->event, .skip = c->skip, .ud = c->ud,
	};
	tg_rc rc = tg_issuer_keys(&q, keys, fetched);
	if (rc == TG_E_IDP_UNREACHABLE)
		*detail = "no usable keys: provider unreachable and no fresh cache";
	else if (rc != TG_OK)
		*detail = "cannot read the issuer's keys";
	return rc == TG_E_MALFORMED || rc == TG_E_IO ? TG_E_INTERNAL : rc;
}

tg_rc tg_issuer_validate(const struct tg_check_req *q, const char *tok, tg_token **t,
			 const char **detail)
{
	size_t len = strlen(tok);
	tg_jwks *keys = NULL;
	tg_policy *p = NULL;
	bool fetched = false;
	*t = NULL;
	*detail = NULL;
	tg_rc rc = load_keys(q, false, &keys, &fetched, detail);
	if (rc == TG_OK)
		rc = tg_policy_from_config(q->cfg, q->idx, q->service, &p);
	if (rc == TG_OK) {
		if (q->kind != NULL)
			tg_policy_set_kind(p, strcmp(q->kind, "id") == 0 ? TG_KIND_ID
									: TG_KIND_ACCESS);
		if (q->explain != NULL)
			tg_policy_set_explain(p, q->explain, q->ud);
		tg_policy_set_now(p, q->now);
		rc = tg_policy_set_user(p, q->user);
	}
	if (rc == TG_OK)
		rc = tg_token_validate(p, keys, tok, len, t);
	if (rc == TG_E_UNKNOWN_KID && !fetched) {
		/* a key rotation at the provider: one refetch, rate-limited */
		tg_jwks_free(keys);
		keys = NULL;
		tg_token_free(*t);
		*t = NULL;
		rc = load_keys(q, true, &keys, &fetched, detail);
		if (rc == TG_OK)
			rc = tg_token_validate(p, keys, tok, len, t);
	}
	tg_policy_free(p);
	tg_jwks_free(keys);
	return rc;
}
