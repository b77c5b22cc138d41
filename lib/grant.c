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

/* An access token that is not this host's: the ID token may stand in.
 * Everything else (valid, not authorized, expired, another user, no keys
 * now) is the access token's own verdict, and so is a malformed claim in
 * a token whose signature has verified (t names its iss from then on). */
static bool not_for_this_host(tg_rc rc, const tg_token *t)
{
	switch (rc) {
	case TG_E_MALFORMED:	/* opaque, or not a JWT at all */
		return tg_token_iss(t) == NULL;
	case TG_E_BAD_SIGNATURE:	/* Graph tokens are not verifiable by design */
	case TG_E_ALG_NOT_ALLOWED:
	case TG_E_UNKNOWN_KID:	/* after the one refetch */
	case TG_E_BAD_ISSUER:
	case TG_E_BAD_AUDIENCE:
	case TG_E_BAD_TYPE:
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
	if (mode == TG_SESSION_ACCESS || !not_for_this_host(rc, *t))
		return take(pk, "access", tok->access_token, rc);
	if (tok->id_token == NULL) {
		pk->no_id_token = true;
		snprintf(pk->detail, sizeof(pk->detail),
			 "the access token is not a token of this host (%s) and the token response has no id_token",
			 tg_reason(rc));
		*detail = pk->detail;
		return take(pk, "access", tok->access_token, rc);
	}
	snprintf(pk->detail, sizeof(pk->detail),
		 "the access token is not a token of this host (%s): the session rests on the ID token",
		 tg_reason(rc));
	tg_token_free(*t);
	return take(pk, "id", tok->id_token,
		    tg_grant_validate(x, idx, "id", tok->id_token, t, detail));
}
