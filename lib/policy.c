/*
 * policy.c - what a token must satisfy: issuer, audience, algorithms, kind,
 * leeway, user and authorization. Built from the config or by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "tg_internal.h"

tg_policy *tg_policy_new(void)
{
	tg_policy *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->kind = TG_KIND_ACCESS;
	p->leeway = 60;
	p->max_len = TG_MAX_TOKEN_DEFAULT;
	if (tg_policy_set_algorithms(p, "RS256 ES256 PS256 EdDSA") != TG_OK ||
	    tg_policy_set_access_types(p, "at+jwt application/at+jwt") != TG_OK ||
	    tg_policy_set_username_claim(p, "preferred_username") != TG_OK) {
		tg_policy_free(p);
		return NULL;
	}
	return p;
}

void tg_policy_free(tg_policy *p)
{
	if (p == NULL)
		return;
	free(p->issuer);
	free(p->client_id);
	free(p->username_claim);
	free(p->uid_claim);
	tg_usermap_clear(&p->usermap);
	free(p->groups_claim);
	free(p->user);
	tg_strlist_clear(&p->audience);
	tg_strlist_clear(&p->algs);
	tg_strlist_clear(&p->access_types);
	tg_strlist_clear(&p->allowed_groups);
	tg_strlist_clear(&p->required_acr);
	tg_strlist_clear(&p->required_amr);
	free(p);
}

static tg_rc replace(char **field, const char *value)
{
	char *copy = NULL;
	if (value != NULL && (copy = strdup(value)) == NULL)
		return TG_E_NOMEM;
	free(*field);
	*field = copy;
	return TG_OK;
}

tg_rc tg_policy_set_issuer(tg_policy *p, const char *iss)
{
	return replace(&p->issuer, iss);
}

tg_rc tg_policy_set_audience(tg_policy *p, const char *aud)
{
	return tg_strlist_parse(&p->audience, aud);
}

tg_rc tg_policy_set_client_id(tg_policy *p, const char *client_id)
{
	return replace(&p->client_id, client_id);
}

tg_rc tg_policy_set_algorithms(tg_policy *p, const char *list)
{
	struct tg_strlist l = { 0 };
	tg_rc rc = tg_strlist_parse(&l, list);
	if (rc != TG_OK)
		return rc;
	for (size_t i = 0; i < l.n; i++) {
		if (tg_alg_from_name(l.v[i]) == TG_ALG_NONE) {
			tg_strlist_clear(&l);
			return TG_E_CONFIG;
		}
	}
	tg_strlist_clear(&p->algs);
	p->algs = l;
	return TG_OK;
}

tg_rc tg_policy_set_access_types(tg_policy *p, const char *list)
{
	return tg_strlist_parse(&p->access_types, list);
}

tg_rc tg_policy_set_uid_claim(tg_policy *p, const char *claim)
{
	if (p == NULL)
		return TG_E_INTERNAL;
	return replace(&p->uid_claim, claim);
}

tg_rc tg_policy_set_username_claim(tg_policy *p, const char *claim)
{
	if (claim == NULL || *claim == '\0')
		return TG_E_CONFIG;
	return replace(&p->username_claim, claim);
}

tg_rc tg_policy_set_groups(tg_policy *p, const char *claim, const char *allowed)
{
	tg_rc rc = replace(&p->groups_claim, claim);
	if (rc == TG_OK)
		rc = tg_strlist_parse(&p->allowed_groups, allowed);
	return rc;
}

tg_rc tg_policy_set_user(tg_policy *p, const char *user)
{
	return replace(&p->user, user);
}

void tg_policy_set_kind(tg_policy *p, tg_kind kind)
{
	p->kind = kind;
}

tg_rc tg_policy_set_strength(tg_policy *p, int64_t max_auth_age, const char *acr,
			     const char *amr)
{
	if (p == NULL)
		return TG_E_INTERNAL;
	p->max_auth_age = max_auth_age > 0 ? max_auth_age : 0;
	tg_strlist_clear(&p->required_acr);
	tg_strlist_clear(&p->required_amr);
	tg_rc rc = acr != NULL ? tg_strlist_parse(&p->required_acr, acr) : TG_OK;
	if (rc == TG_OK && amr != NULL)
		rc = tg_strlist_parse(&p->required_amr, amr);
	return rc;
}

void tg_policy_set_leeway(tg_policy *p, int64_t seconds)
{
	if (seconds < 0)
		seconds = 0;
	if (seconds > 600) /* RFC 7519: a few minutes at most */
		seconds = 600;
	p->leeway = seconds;
}

void tg_policy_set_now(tg_policy *p, int64_t unix_time)
{
	p->now = unix_time;
}

void tg_policy_set_max_len(tg_policy *p, size_t bytes)
{
	if (bytes > TG_MAX_TOKEN_LIMIT)
		bytes = TG_MAX_TOKEN_LIMIT;
	p->max_len = bytes;
}

void tg_policy_set_signature_only(tg_policy *p, int on)
{
	p->signature_only = on != 0;
}

void tg_policy_set_explain(tg_policy *p, tg_explain_fn fn, void *ud)
{
	p->explain = fn;
	p->explain_ud = ud;
}

void tg_explain(const tg_policy *p, const char *check, tg_rc rc,
		const char *detail)
{
	if (p->explain != NULL)
		p->explain(p->explain_ud, check, rc, detail);
}
