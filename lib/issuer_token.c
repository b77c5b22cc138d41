/*
 * issuer_token.c - a token against its issuer handle (issuer.h): the
 * issuer's policy for the service and its keys, with one rate-limited
 * refetch when the token names an unknown kid.
 */
#include <stdio.h>
#include <string.h>

#include "keysource.h"

static tg_rc load_keys(const struct tg_ctx *x, size_t idx, bool force, tg_jwks **keys,
		       bool *fetched, const char **detail)
{
	tg_rc rc = tg_issuer_keys(x, idx, NULL, force, keys, fetched);
	if (rc == TG_E_IDP_UNREACHABLE)
		*detail = "no usable keys: provider unreachable and no fresh cache";
	else if (rc != TG_OK)
		*detail = "cannot read the issuer's keys";
	return rc == TG_E_MALFORMED || rc == TG_E_IO ? TG_E_INTERNAL : rc;
}

/* Each check of the policy, to the context's sink (when there is one);
 * a refusal whose detail says what the administrator must change at the
 * provider (claims.c: a groups overage) is kept for the decision record. */
struct checks {
	struct tg_ctx sink;	/* the context's copy: the sink's ud */
	char why[320];
};

static void on_check(void *ud, const char *check, tg_rc rc, const char *detail)
{
	struct checks *c = ud;
	if (rc != TG_OK && detail != NULL && strcmp(check, "overage") == 0)
		snprintf(c->why, sizeof(c->why), "%s", detail);
	/* the claims are checked in order and the first refusal ends it: a
	 * strength check that refuses means everything before it held */
	if (rc != TG_OK && c->sink.shortfall != NULL &&
	    (!strcmp(check, "auth_age") || !strcmp(check, "acr") || !strcmp(check, "amr"))) {
		c->sink.shortfall->hit = true;
		snprintf(c->sink.shortfall->why, sizeof(c->sink.shortfall->why), "%s",
			 detail ? detail : check);
	}
	if (c->sink.sink != NULL)
		tg_ctx_event(&c->sink, TG_EV_CHECK, check, tg_reason(rc), rc, detail);
}

/* The kept detail outlives the call: the caller's record is written
 * after it returns (one decision per helper, one thread). */
static const char *kept_detail(const struct checks *c)
{
	static __thread char kept[sizeof(c->why)];
	snprintf(kept, sizeof(kept), "%s", c->why);
	return kept;
}

tg_rc tg_issuer_validate(const struct tg_ctx *x, size_t idx, const char *kind, const tg_jws *tok,
			 tg_token **t, const char **detail)
{
	tg_jwks *keys = NULL;
	tg_policy *p = NULL;
	bool fetched = false;
	struct checks sink = { .sink = *x };	/* the explain callback's ud */
	*t = NULL;
	*detail = NULL;
	if (x->shortfall != NULL)
		x->shortfall->hit = false;
	tg_rc rc = load_keys(x, idx, false, &keys, &fetched, detail);
	if (rc == TG_OK)
		rc = tg_policy_from_config(x->cfg, idx, x->service, &p);
	if (rc == TG_OK) {
		if (kind != NULL)
			tg_policy_set_kind(p, strcmp(kind, "id") == 0 ? TG_KIND_ID : TG_KIND_ACCESS);
		tg_policy_set_explain(p, on_check, &sink);
		tg_policy_set_now(p, x->now);
		rc = tg_policy_set_user(p, x->user);
	}
	if (rc == TG_OK)
		rc = tg_token_validate_jws(p, keys, tok, t);
	if (rc == TG_E_UNKNOWN_KID && !fetched) {
		/* a key rotation at the provider: one refetch, rate-limited */
		tg_jwks_free(keys);
		keys = NULL;
		tg_token_free(*t);
		*t = NULL;
		rc = load_keys(x, idx, true, &keys, &fetched, detail);
		if (rc == TG_OK)
			rc = tg_token_validate_jws(p, keys, tok, t);
	}
	if (rc == TG_E_NOT_AUTHORIZED && sink.why[0] != '\0')
		*detail = kept_detail(&sink);
	tg_policy_free(p);
	tg_jwks_free(keys);
	return rc;
}
