/*
 * config_access.c - reading the parsed configuration: issuers, per-service
 * values and the validation policy of an issuer for a service.
 */
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

size_t tg_config_issuer_count(const tg_config *c)
{
	size_t n = 0;
	while (c && tg_config_issuer(c, n) != NULL)
		n++;
	return n;
}

const char *tg_config_issuer_name(const tg_config *c, size_t i)
{
	const struct tg_section *s = tg_config_issuer(c, i);
	return s ? s->name : NULL;
}

const char *tg_config_issuer_url(const tg_config *c, size_t i)
{
	return tg_section_get(tg_config_issuer(c, i), "issuer");
}

const char *tg_config_jwks_file(const tg_config *c, size_t i)
{
	return tg_section_get(tg_config_issuer(c, i), "jwks_file");
}

long tg_config_find_issuer(const tg_config *c, const char *name)
{
	const struct tg_section *s;
	for (size_t i = 0; name && (s = tg_config_issuer(c, i)) != NULL; i++)
		if (strcmp(s->name, name) == 0)
			return (long)i;
	return -1;
}

long tg_config_issuer_for_iss(const tg_config *c, const char *iss)
{
	size_t n = tg_config_issuer_count(c);
	if (n == 1)
		return 0;
	for (size_t i = 0; iss && i < n; i++)
		if (strcmp(tg_config_issuer_url(c, i), iss) == 0)
			return (long)i;
	return -1;
}

const char *tg_config_methods(const tg_config *c, const char *service)
{
	return tg_service_settings(c, service)->methods;
}

const char *tg_config_audit_format(const tg_config *c)
{
	return tg_config_global(c, "audit_format");
}

size_t tg_config_max_token_bytes(const tg_config *c)
{
	long v = strtol(tg_config_global(c, "max_token_bytes"), NULL, 10);
	return v > 0 && v <= (long)TG_MAX_TOKEN_LIMIT ? (size_t)v : TG_MAX_TOKEN_DEFAULT;
}

/* An issuer key with its default. */
static const char *iget(const struct tg_section *s, const char *key)
{
	const char *v = tg_section_get(s, key);
	return v ? v : tg_config_default(key);
}

tg_rc tg_policy_from_config(const tg_config *c, size_t idx, const char *service,
			    tg_policy **out)
{
	const struct tg_section *s = tg_config_issuer(c, idx);
	const struct tg_section *svc = tg_config_service(c, service);
	*out = NULL;
	if (s == NULL)
		return TG_E_CONFIG;
	tg_policy *p = tg_policy_new();
	if (p == NULL)
		return TG_E_NOMEM;

	const char *kind = tg_section_get(svc, "token_kind");
	if (kind == NULL)
		kind = iget(s, "token_kind");
	const char *groups = tg_section_get(svc, "allowed_groups");
	if (groups == NULL)
		groups = tg_section_get(s, "allowed_groups");
	int64_t leeway = 60;
	tg_parse_duration(tg_config_service_get(c, service, "leeway"), &leeway);

	tg_rc rc = tg_policy_set_issuer(p, tg_section_get(s, "issuer"));
	if (rc == TG_OK)
		rc = tg_policy_set_audience(p, tg_section_get(s, "audience"));
	if (rc == TG_OK)
		rc = tg_policy_set_client_id(p, tg_section_get(s, "client_id"));
	if (rc == TG_OK)
		rc = tg_policy_set_algorithms(p, iget(s, "algorithms"));
	if (rc == TG_OK)
		rc = tg_policy_set_access_types(p, iget(s, "access_token_types"));
	if (rc == TG_OK)
		rc = tg_policy_set_username_claim(p, iget(s, "username_claim"));
	if (rc == TG_OK)
		rc = tg_policy_set_uid_claim(p, tg_section_get(s, "uid_claim"));
	if (rc == TG_OK)
		rc = tg_usermap_copy(&p->usermap, &s->usermap);
	if (rc == TG_OK)
		rc = tg_policy_set_groups(p, iget(s, "groups_claim"), groups);
	if (rc != TG_OK) {
		tg_policy_free(p);
		return rc;
	}
	tg_policy_set_kind(p, strcmp(kind, "id") == 0 ? TG_KIND_ID : TG_KIND_ACCESS);
	tg_policy_set_leeway(p, leeway);
	int64_t age = 0;
	const char *a = tg_config_service_get(c, service, "max_auth_age");
	if (a != NULL)
		tg_parse_duration(a, &age);
	if (tg_policy_set_strength(p, age, tg_config_service_get(c, service, "required_acr"),
				   tg_config_service_get(c, service, "required_amr")) != TG_OK) {
		tg_policy_free(p);
		return TG_E_NOMEM;
	}
	tg_policy_set_max_len(p, tg_config_max_token_bytes(c));
	*out = p;
	return TG_OK;
}

const struct tg_settings *tg_settings(const tg_config *c)
{
	return &c->set;
}

const struct tg_service_settings *tg_service_settings(const tg_config *c, const char *service)
{
	const struct tg_section *s = tg_config_service(c, service);
	return s != NULL ? &s->svc : &c->set.global;
}
