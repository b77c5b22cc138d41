/*
 * rc.c - result codes: the fixed audit reason codes and messages.
 * No dependencies: the PAM module links it too.
 */
#include "tokengate.h"

static const struct {
	const char *reason;
	const char *text;
} rc_table[TG_RC_COUNT] = {
	[TG_OK] = { "ok", "success" },
	[TG_E_MALFORMED] = { "malformed", "the token or input is malformed" },
	[TG_E_BAD_SIGNATURE] = { "bad_signature", "the signature does not verify" },
	[TG_E_ALG_NOT_ALLOWED] = { "alg_not_allowed", "the signing algorithm is not allowed" },
	[TG_E_UNKNOWN_KID] = { "unknown_kid", "no usable key matches the token" },
	[TG_E_EXPIRED] = { "expired", "the token has expired" },
	[TG_E_NOT_YET_VALID] = { "not_yet_valid", "the token is not valid yet" },
	[TG_E_BAD_ISSUER] = { "bad_issuer", "the token comes from another issuer" },
	[TG_E_BAD_AUDIENCE] = { "bad_audience", "the token is meant for another audience" },
	[TG_E_BAD_TYPE] = { "bad_type", "the token is of the wrong type" },
	[TG_E_USER_MISMATCH] = { "user_mismatch", "the token belongs to another user" },
	[TG_E_NOT_AUTHORIZED] = { "not_authorized", "the user is not authorized here" },
	[TG_E_REVOKED] = { "revoked", "the session was revoked" },
	[TG_E_IDP_UNREACHABLE] = { "idp_unreachable", "the identity provider is unreachable" },
	[TG_E_GRACE_EXPIRED] = { "grace_expired", "the offline grace period has ended" },
	[TG_E_LOCKED_OUT] = { "locked_out", "too many failed attempts" },
	[TG_E_NO_CREDENTIALS] = { "no_credentials", "no credentials were given" },
	[TG_E_TIMEOUT] = { "timeout", "the operation timed out" },
	[TG_E_INTERNAL] = { "internal", "internal error" },
	[TG_E_CONFIG] = { "internal", "configuration error" },
	[TG_E_NOMEM] = { "internal", "out of memory" },
	[TG_E_IO] = { "internal", "input/output error" },
	[TG_E_BAD_PASSWORD] = { "bad_password", "the password was refused" },
};

const char *tg_reason(tg_rc rc)
{
	if ((unsigned)rc >= TG_RC_COUNT)
		return "internal";
	return rc_table[rc].reason;
}

const char *tg_strerror(tg_rc rc)
{
	if ((unsigned)rc >= TG_RC_COUNT)
		return "unknown error";
	return rc_table[rc].text;
}

const char *tg_version(void)
{
	return TG_VERSION;
}
