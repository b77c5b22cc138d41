/*
 * claims.c - the claim rules of RFC 9068 (access tokens) and OpenID Connect
 * Core 3.1.3.7 (ID tokens): type, issuer, audience, azp, time claims as
 * JSON integers with a leeway, subject, username mapping, authorization.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tg_internal.h"

static bool typ_in(const struct tg_strlist *l, const char *typ)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], typ) == 0)
			return true;
	return false;
}

tg_rc tg_claims_check_type(const tg_policy *p, const json_t *hdr)
{
	const json_t *t = json_object_get(hdr, "typ");
	if (t != NULL && !json_is_string(t)) {
		tg_explain(p, "typ", TG_E_MALFORMED, "typ is not a string");
		return TG_E_MALFORMED;
	}
	const char *typ = json_string_value(t);
	bool ok;
	if (p->kind == TG_KIND_ACCESS) /* "none" listed: no typ at all (Okta) */
		ok = typ != NULL ? typ_in(&p->access_types, typ) : typ_in(&p->access_types, "none");
	else /* ID token: typ absent or JWT, never an access token type */
		ok = typ == NULL || strcasecmp(typ, "JWT") == 0;
	tg_rc rc = ok ? TG_OK : TG_E_BAD_TYPE;
	tg_explain(p, "typ", rc,
		   p->kind == TG_KIND_ACCESS ? "access token: typ must be an access token type"
					     : "id token: typ absent or JWT");
	return rc;
}

static tg_rc check_issuer(const tg_policy *p, const json_t *payload)
{
	const json_t *iss = json_object_get(payload, "iss");
	tg_rc rc = TG_OK;
	if (p->issuer == NULL)
		rc = TG_E_CONFIG;
	else if (!json_is_string(iss) || strcmp(json_string_value(iss), p->issuer))
		rc = TG_E_BAD_ISSUER;
	tg_explain(p, "iss", rc, "iss equals the configured issuer exactly");
	return rc;
}

static tg_rc check_audience(const tg_policy *p, const json_t *payload)
{
	const json_t *aud = json_object_get(payload, "aud");
	const struct tg_strlist *want = &p->audience;
	struct tg_strlist ours = { 0 };
	char *cid = p->client_id;
	if (p->kind == TG_KIND_ID) { /* an ID token is for our client_id */
		ours.v = cid ? &cid : NULL;
		ours.n = cid ? 1 : 0;
		want = &ours;
	}
	tg_rc rc = TG_E_BAD_AUDIENCE;
	size_t count = 0;
	if (json_is_string(aud)) {
		count = 1;
		if (tg_strlist_has(want, json_string_value(aud)))
			rc = TG_OK;
	} else if (json_is_array(aud)) {
		size_t i;
		const json_t *v;
		count = json_array_size(aud);
		json_array_foreach(aud, i, v) {
			if (!json_is_string(v)) {
				rc = TG_E_MALFORMED;
				break;
			}
			if (tg_strlist_has(want, json_string_value(v)))
				rc = TG_OK;
		}
	}
	/* an issuer without audience (its sessions rest on ID tokens) takes
	 * no access token; an ID token without client_id cannot be checked */
	if (want->n == 0)
		rc = p->kind == TG_KIND_ACCESS ? TG_E_BAD_AUDIENCE : TG_E_CONFIG;
	tg_explain(p, "aud", rc, p->kind == TG_KIND_ACCESS && want->n == 0
				 ? "aud contains the configured audience (none is configured: no access token is accepted)"
				 : "aud contains the configured audience");
	if (rc != TG_OK || p->kind != TG_KIND_ID)
		return rc;

	/* ID token: several audiences need azp; any azp must be us. */
	const json_t *azp = json_object_get(payload, "azp");
	if (azp != NULL || count > 1) {
		if (!json_is_string(azp) || p->client_id == NULL ||
		    strcmp(json_string_value(azp), p->client_id) != 0)
			rc = TG_E_BAD_AUDIENCE;
		tg_explain(p, "azp", rc, "azp equals our client_id");
	}
	return rc;
}

/* A time claim: absent (when optional) or a JSON integer. */
static tg_rc time_claim(const json_t *payload, const char *name, bool required,
			bool *present, int64_t *v)
{
	const json_t *c = json_object_get(payload, name);
	*present = c != NULL;
	if (c == NULL)
		return required ? TG_E_MALFORMED : TG_OK;
	return tg_json_int(c, v) ? TG_OK : TG_E_MALFORMED;
}

static tg_rc check_times(const tg_policy *p, const json_t *payload, int64_t now)
{
	bool have;
	int64_t exp = 0, nbf = 0, iat = 0;
	char detail[96];

	tg_rc rc = time_claim(payload, "exp", true, &have, &exp);
	/* now >= exp + leeway, written without overflow (now, leeway small). */
	if (rc == TG_OK && now - p->leeway >= exp)
		rc = TG_E_EXPIRED;
	snprintf(detail, sizeof(detail), "exp is an integer and now < exp + %llds",
		 (long long)p->leeway);
	tg_explain(p, "exp", rc, detail);
	if (rc != TG_OK)
		return rc;

	rc = time_claim(payload, "nbf", false, &have, &nbf);
	if (rc == TG_OK && have && nbf > now + p->leeway)
		rc = TG_E_NOT_YET_VALID;
	if (have || rc != TG_OK)
		tg_explain(p, "nbf", rc, "nbf is an integer not in the future");
	if (rc != TG_OK)
		return rc;

	/* iat: optional in an access token (RFC 9068 2.2 requires it, but
	 * providers omit it), required in an ID token (OIDC Core 2) */
	rc = time_claim(payload, "iat", p->kind == TG_KIND_ID, &have, &iat);
	if (rc == TG_OK && have && iat > now + p->leeway)
		rc = TG_E_NOT_YET_VALID;
	if (have || rc != TG_OK)
		tg_explain(p, "iat", rc, "iat is an integer not in the future");
	return rc;
}

/* The subject, and no client acting for itself (client credentials). */
static tg_rc check_subject(const tg_policy *p, const json_t *payload)
{
	const char *sub = json_string_value(json_object_get(payload, "sub"));
	tg_rc rc = TG_OK;
	if (sub == NULL || *sub == '\0')
		rc = TG_E_MALFORMED;
	tg_explain(p, "sub", rc, "sub is a non-empty string");
	if (rc != TG_OK || p->kind != TG_KIND_ACCESS)
		return rc;
	const char *cid = json_string_value(json_object_get(payload, "client_id"));
	if (cid != NULL && strcmp(cid, sub) == 0)
		rc = TG_E_USER_MISMATCH;
	tg_explain(p, "person", rc, "not a client-credentials token (sub != client_id)");
	return rc;
}

/* Claim lookup by name, or by dotted path such as realm_access.roles. */
const json_t *tg_claim_path(const json_t *obj, const char *path)
{
	const json_t *v = json_object_get(obj, path);
	if (v != NULL || strchr(path, '.') == NULL)
		return v;
	char buf[256];
	if (strlen(path) >= sizeof(buf))
		return NULL;
	strcpy(buf, path);
	char *save = NULL;
	v = obj;
	for (char *part = strtok_r(buf, ".", &save); part && v;
	     part = strtok_r(NULL, ".", &save))
		v = json_is_object(v) ? json_object_get(v, part) : NULL;
	return v;
}

/* A value fit to show in an explanation: printable ASCII, capped. */
static const char *shown(const char *v, char *buf, size_t len)
{
	size_t i = 0;
	for (; v[i] != '\0' && i + 1 < len; i++) {
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
			return "(not printable)";
		buf[i] = v[i];
	}
	buf[i] = '\0';
	return v[i] == '\0' ? buf : "(too long to show)";
}

/* The username claim's value mapped (username_map, or strip and
 * lowercase) to a login name, which must be the login name exactly. */
static tg_rc map_username(const tg_policy *p, const json_t *u, char *username,
			  size_t userlen, char *detail, size_t dlen)
{
	const char *why = NULL;
	char steps[96] = "", raw[80], mapped[80];
	tg_rc rc = TG_OK;
	username[0] = '\0';
	if (!json_is_string(u) || json_string_length(u) == 0 ||
	    strlen(json_string_value(u)) != json_string_length(u)) {
		why = "absent or not a string";
		rc = TG_E_USER_MISMATCH;
	} else {
		rc = tg_usermap_apply(&p->usermap, json_string_value(u), username, userlen,
				      &why, steps, sizeof(steps));
	}
	if (rc == TG_OK && p->user != NULL && strcmp(username, p->user) != 0) {
		why = "does not equal the login name";
		rc = TG_E_USER_MISMATCH;
	}
	if (rc == TG_OK)
		why = p->user ? "equals the login name" : "(no login name to compare)";
	if (rc != TG_OK && p->user == NULL) /* nothing to compare: no name */
		rc = TG_OK;
	if (!tg_usermap_active(&p->usermap) || !json_is_string(u))
		snprintf(detail, dlen, "%s %s", p->username_claim, why);
	else if (username[0] != '\0')
		snprintf(detail, dlen, "%s \"%s\" -> \"%s\" (%s) %s", p->username_claim,
			 shown(json_string_value(u), raw, sizeof(raw)),
			 shown(username, mapped, sizeof(mapped)), steps[0] ? steps : "unchanged",
			 why);
	else
		snprintf(detail, dlen, "%s \"%s\" (%s): %s", p->username_claim,
			 shown(json_string_value(u), raw, sizeof(raw)), steps, why);
	return rc;
}

/* An access token that says in its payload that it is an ID token
 * (Keycloak writes "typ": "ID" there, and "JWT" in the header of both):
 * never an access token, whatever access_token_types lets through. */
static tg_rc check_payload_type(const tg_policy *p, const json_t *payload)
{
	const char *typ = json_string_value(json_object_get(payload, "typ"));
	if (p->kind != TG_KIND_ACCESS || typ == NULL || strcasecmp(typ, "ID") != 0)
		return TG_OK;
	tg_explain(p, "typ", TG_E_BAD_TYPE, "access token: the payload's typ is not ID (an ID token)");
	return TG_E_BAD_TYPE;
}

/* An address as the username that the provider says is not verified
 * (OIDC Core 5.1 email_verified false) names nobody yet. */
static tg_rc check_email_verified(const tg_policy *p, const json_t *payload)
{
	const json_t *v = json_object_get(payload, "email_verified");
	if (p->username_claim == NULL || strcmp(p->username_claim, "email") != 0 ||
	    !json_is_false(v))
		return TG_OK;
	tg_explain(p, "user", TG_E_USER_MISMATCH, "email is the username and email_verified is false");
	return TG_E_USER_MISMATCH;
}

static tg_rc check_username(const tg_policy *p, const json_t *payload, char *username,
			    size_t userlen)
{
	char detail[400];
	if (check_email_verified(p, payload) != TG_OK)
		return TG_E_USER_MISMATCH;
	tg_rc rc = map_username(p, tg_claim_path(payload, p->username_claim), username,
				userlen, detail, sizeof(detail));
	tg_explain(p, "user", rc, detail);
	return rc;
}

/* Is one of the values (a string or an array of strings) allowed? */
static tg_rc groups_match(const tg_policy *p, const json_t *g)
{
	if (json_is_string(g))
		return tg_strlist_has(&p->allowed_groups, json_string_value(g)) ? TG_OK
										: TG_E_NOT_AUTHORIZED;
	if (json_is_array(g)) {
		size_t i;
		const json_t *v;
		json_array_foreach(g, i, v)
			if (json_is_string(v) &&
			    tg_strlist_has(&p->allowed_groups, json_string_value(v)))
				return TG_OK;
	}
	return TG_E_NOT_AUTHORIZED;
}

/* Entra ID's groups overage: a user in more groups than fit in a token
 * (200 in a JWT) gets no groups claim; "_claim_names" names it instead and
 * "_claim_sources" says where to fetch the list (Microsoft Graph). No
 * groups in such a token is no answer, not "in no group": refused, saying
 * what to change at the provider. (learn.microsoft.com/entra/identity-
 * platform/access-token-claims-reference, "Groups overage claim".)
 * not_authorized, not malformed: the token is well-formed and this
 * person's; this service cannot authorize from it, and no later step (a
 * refresh brings the same, grace has no fresher answer) may let them in,
 * which is what not_authorized means to the chain; malformed would purge
 * a refreshed session as another identity's and tell the user a wrong
 * credential. Only where groups decide (allowed_groups): elsewhere the
 * groups claim is read by nobody. */
#define OVERAGE_DETAIL \
	"groups overage: no groups claim, _claim_names points elsewhere (too many " \
	"groups for a token); at Entra ID emit only groups assigned to the " \
	"application (groupMembershipClaims ApplicationGroup) or use app roles " \
	"(groups_claim = roles)"

static tg_rc check_overage(const tg_policy *p, const json_t *payload)
{
	const json_t *names = json_object_get(payload, "_claim_names");
	if (!json_is_object(names) || json_object_get(names, p->groups_claim) == NULL)
		return TG_OK;
	tg_explain(p, "overage", TG_E_NOT_AUTHORIZED, OVERAGE_DETAIL);
	return TG_E_NOT_AUTHORIZED;
}

static tg_rc check_groups(const tg_policy *p, const json_t *payload)
{
	if (p->allowed_groups.n == 0)
		return TG_OK;
	if (p->groups_claim != NULL && check_overage(p, payload) != TG_OK)
		return TG_E_NOT_AUTHORIZED;
	const json_t *g = p->groups_claim ? tg_claim_path(payload, p->groups_claim) : NULL;
	tg_rc rc = groups_match(p, g);
	tg_explain(p, "groups", rc, "a group in allowed_groups");
	return rc;
}

/* Who the token is and whether that person may log in here come before
 * when: an expired token of someone who is not authorized is
 * not_authorized, so no caller mistakes it for a session to renew. */
tg_rc tg_claims_check(const tg_policy *p, const json_t *payload, int64_t now,
		      char *username, size_t userlen)
{
	tg_rc rc;
	username[0] = '\0';
	if ((rc = check_payload_type(p, payload)) != TG_OK ||
	    (rc = check_issuer(p, payload)) != TG_OK ||
	    (rc = check_audience(p, payload)) != TG_OK ||
	    (rc = check_subject(p, payload)) != TG_OK ||
	    (rc = check_username(p, payload, username, userlen)) != TG_OK ||
	    (rc = check_groups(p, payload)) != TG_OK ||
	    (rc = tg_claims_check_strength(p, payload, now)) != TG_OK)
		return rc;
	return check_times(p, payload, now);
}

/* A stored claim's source name against today's; sessions from before
 * the names were kept have none, and stand as before. */
static bool same_claim_name(const json_t *claims, const char *key, const char *today)
{
	const json_t *v = json_object_get(claims, key);
	if (v == NULL)
		return true;
	return json_is_string(v) && today != NULL && strcmp(json_string_value(v), today) == 0;
}

tg_rc tg_claims_authorize_stored(const tg_policy *p, const char *iss, const json_t *claims)
{
	if (iss == NULL || p->issuer == NULL || strcmp(iss, p->issuer) != 0)
		return TG_E_BAD_ISSUER;
	/* The session was stored under the login name it mapped to then; the
	 * mapping of today decides (a map entry removed, a domain no longer
	 * listed). A session that kept no username value can only stand where
	 * no mapping is configured. */
	/* Kept under other claim names than today's (username_claim or
	 * groups_claim changed since): not today's answer, refused. */
	if (!same_claim_name(claims, "username_claim", p->username_claim))
		return TG_E_USER_MISMATCH;
	if (p->allowed_groups.n > 0 && !same_claim_name(claims, "groups_claim", p->groups_claim))
		return TG_E_NOT_AUTHORIZED;
	if (p->user != NULL) {
		const json_t *u = json_object_get(claims, "username");
		char name[260], detail[400];
		if (u == NULL && tg_usermap_active(&p->usermap))
			return TG_E_USER_MISMATCH;
		if (u != NULL && map_username(p, u, name, sizeof(name), detail,
					      sizeof(detail)) != TG_OK)
			return TG_E_USER_MISMATCH;
	}
	/* the strength of that login (acr, amr) is still a fact; its age is
	 * not a fresh login: an offline step never satisfies max_auth_age */
	if (p->max_auth_age > 0 || tg_claims_check_strength(p, claims, 0) != TG_OK)
		return TG_E_NOT_AUTHORIZED;
	if (p->allowed_groups.n == 0)
		return TG_OK;
	return groups_match(p, json_object_get(claims, "groups"));
}
