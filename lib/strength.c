/*
 * strength.c - how fresh and how strong the login behind a token was, per
 * service (max_auth_age, required_acr, required_amr; tokengate.conf(5)):
 * the provider-side auth_time, acr (OIDC Core 2; RFC 9470 for access
 * tokens) and amr (RFC 8176) of the validated token. A claim the service
 * needs and the token lacks fails closed, with a reason that says which.
 */
#include <stdio.h>
#include <string.h>

#include "tg_internal.h"

bool tg_policy_wants_strength(const tg_policy *p)
{
	return p->max_auth_age > 0 || p->required_acr.n > 0 || p->required_amr.n > 0;
}

static tg_rc check_age(const tg_policy *p, const json_t *payload, int64_t now)
{
	char detail[160];
	int64_t at = 0;
	if (p->max_auth_age <= 0)
		return TG_OK;
	if (!tg_json_int(json_object_get(payload, "auth_time"), &at)) {
		snprintf(detail, sizeof(detail), "auth_time is needed (max_auth_age %llds) and absent",
			 (long long)p->max_auth_age);
		tg_explain(p, "auth_age", TG_E_NOT_AUTHORIZED, detail);
		return TG_E_NOT_AUTHORIZED;
	}
	/* a login before 1970 or after now (beyond the leeway) is no login:
	 * and no subtraction below can overflow */
	if (at < 0 || at > now + p->leeway) {
		snprintf(detail, sizeof(detail), "auth_time %lld is not a time in the past", (long long)at);
		tg_explain(p, "auth_age", TG_E_NOT_AUTHORIZED, detail);
		return TG_E_NOT_AUTHORIZED;
	}
	int64_t age = now > at ? now - at : 0;
	tg_rc rc = age <= p->max_auth_age + p->leeway ? TG_OK : TG_E_NOT_AUTHORIZED;
	snprintf(detail, sizeof(detail),
		 "the login at the provider (auth_time) is %llds old, at most %llds (leeway %llds)",
		 (long long)age, (long long)p->max_auth_age, (long long)p->leeway);
	tg_explain(p, "auth_age", rc, detail);
	return rc;
}

static tg_rc check_acr(const tg_policy *p, const json_t *payload)
{
	const char *acr = json_string_value(json_object_get(payload, "acr"));
	if (p->required_acr.n == 0)
		return TG_OK;
	tg_rc rc = acr != NULL && tg_strlist_has(&p->required_acr, acr) ? TG_OK : TG_E_NOT_AUTHORIZED;
	tg_explain(p, "acr", rc, acr == NULL ? "acr is needed (required_acr) and absent"
					     : "acr must be one of required_acr");
	return rc;
}

static tg_rc check_amr(const tg_policy *p, const json_t *payload)
{
	const json_t *amr = json_object_get(payload, "amr");
	if (p->required_amr.n == 0)
		return TG_OK;
	tg_rc rc = TG_E_NOT_AUTHORIZED;
	size_t i;
	const json_t *v;
	json_array_foreach(amr, i, v)
		if (json_is_string(v) && tg_strlist_has(&p->required_amr, json_string_value(v)))
			rc = TG_OK;
	tg_explain(p, "amr", rc, json_is_array(amr) ? "amr must contain one of required_amr"
						    : "amr is needed (required_amr) and absent");
	return rc;
}

tg_rc tg_claims_check_strength(const tg_policy *p, const json_t *payload, int64_t now)
{
	tg_rc rc = check_age(p, payload, now);
	if (rc == TG_OK)
		rc = check_acr(p, payload);
	if (rc == TG_OK)
		rc = check_amr(p, payload);
	return rc;
}
