/*
 * grant.c - which token of a token response a session rests on (grant.h).
 *
 * Providers whose access tokens are opaque (Google), or meant for another
 * resource (Entra ID's Microsoft Graph tokens, Okta's org authorization
 * server), still answer a grant with scope openid by an ID token for our
 * client_id: OpenID Connect Core 1.0 section 3.1.3.7 says how it is
 * validated, and 12.2 that a refreshed one names the same iss and sub.
 * tokengate's grants (password, device, refresh) send no nonce: OIDC
 * defines it for the authorization endpoint, and a token-endpoint ID
 * token's nonce, when present, is not ours to check.
 */
#include <stdio.h>
#include <string.h>

#include "grant.h"
#include "issuer.h"
#include "oauth.h"

tg_rc tg_grant_validate(const struct tg_ctx *x, size_t idx, const char *kind, const char *tok,
			tg_token **t, const char **detail)
{
	struct tg_ctx at = *x;
	at.now = tg_ctx_time(x);
	*t = NULL;
	*detail = NULL;
	if (tok == NULL)
		return TG_E_INTERNAL;
	tg_jws *j = tg_jws_parse(tok, strlen(tok), tg_config_max_token_bytes(x->cfg));
	if (j == NULL)
		return TG_E_NOMEM;
	tg_rc rc = tg_issuer_validate(&at, idx, kind ? kind : "access", j, t, detail);
	tg_jws_free(j);
	return rc;
}

/* An access token this host cannot read: the ID token may stand in. That
 * is one whose signature never verified with the issuer's keys: opaque
 * (not a JWT), an unknown kid after the one refetch, another algorithm,
 * a signature that fails (Entra ID's Microsoft Graph tokens, by design).
 * A token the issuer's keys did sign decides, whatever it says: another
 * audience or typ (who may log in may be expressed by exactly that), not
 * authorized, expired, another user, a malformed claim. So do an
 * unreachable provider and a local failure. */
static bool unreadable_here(tg_rc rc, const tg_token *t)
{
	if (tg_token_verified(t))
		return false;
	switch (rc) {
	case TG_E_MALFORMED:
	case TG_E_BAD_SIGNATURE:
	case TG_E_ALG_NOT_ALLOWED:
	case TG_E_UNKNOWN_KID:
		return true;
	default:
		return false;
	}
}

static tg_rc take(struct tg_grant_pick *pk, const char *kind, const char *text, tg_rc rc)
{
	pk->kind = kind;
	pk->text = text;
	return rc;
}

tg_rc tg_grant_token(const struct tg_ctx *x, size_t idx, const struct tg_tokens *tok,
		     tg_token **t, struct tg_grant_pick *pk, const char **detail)
{
	const struct tg_issuer *h = tg_issuer_of(x->cfg, idx);
	enum tg_session_token mode = h != NULL ? h->session_token : TG_SESSION_ACCESS;
	memset(pk, 0, sizeof(*pk));
	*t = NULL;
	*detail = NULL;
	if (h != NULL && h->client_id == NULL)
		mode = TG_SESSION_ACCESS; /* no ID token can be for us */
	if (mode == TG_SESSION_ID) {
		if (tok->id_token == NULL) {
			pk->no_id_token = true;
			snprintf(pk->detail, sizeof(pk->detail), "%s",
				 "session_token = id: the token response has no id_token (is openid in scope?)");
			*detail = pk->detail;
			return take(pk, "id", NULL, TG_E_MALFORMED);
		}
		return take(pk, "id", tok->id_token,
			    tg_grant_validate(x, idx, "id", tok->id_token, t, detail));
	}
	tg_rc rc = tok->access_token != NULL
			   ? tg_grant_validate(x, idx, "access", tok->access_token, t, detail)
			   : TG_E_MALFORMED;
	if (mode == TG_SESSION_ACCESS || !unreadable_here(rc, *t))
		return take(pk, "access", tok->access_token, rc);
	if (tok->id_token == NULL) {
		pk->no_id_token = true;
		snprintf(pk->detail, sizeof(pk->detail),
			 "the access token cannot be read here (%s) and the token response has no id_token",
			 tg_reason(rc));
		*detail = pk->detail;
		return take(pk, "access", tok->access_token, rc);
	}
	snprintf(pk->detail, sizeof(pk->detail),
		 "the access token cannot be read here (%s): the session rests on the ID token",
		 tg_reason(rc));
	tg_token_free(*t);
	return take(pk, "id", tok->id_token,
		    tg_grant_validate(x, idx, "id", tok->id_token, t, detail));
}
