/*
 * oauth.h - the token endpoint and friends (RFC 6749, 8628, 7662, 7009) for
 * one configured issuer: grants, device authorization, introspection and
 * revocation, with client_secret_basic, client_secret_post or none.
 */
#ifndef TG_OAUTH_H
#define TG_OAUTH_H

#include "issuer.h"

struct tg_tokens {		/* every member wiped when cleared */
	char *access_token;
	char *refresh_token;
	char *id_token;
	char *token_type;
	char *scope;
	int64_t expires_in;	/* -1 if absent */
};

struct tg_device {
	char *device_code;	/* secret */
	char *user_code;
	char *verification_uri;
	char *verification_uri_complete;
	int64_t expires_in;
	int64_t interval;	/* 5 when the provider gives none (RFC 8628) */
};

struct tg_oauth_err {
	char error[64];		/* the OAuth error code, or "" */
	char detail[256];	/* description, or what went wrong */
	long status;
};

/* Result codes: TG_OK; TG_E_REVOKED (invalid_grant); TG_E_NOT_AUTHORIZED
 * (access_denied, 403); TG_E_EXPIRED (expired_token); TG_E_NO_CREDENTIALS
 * (authorization_pending, slow_down: err->error tells which); TG_E_CONFIG
 * (invalid_client, unauthorized_client, unsupported_grant_type,
 * invalid_request, invalid_scope, no such endpoint, and any 4xx but 400
 * and 403 without an error code); TG_E_MALFORMED (a
 * success that is not a valid token response: t->refresh_token is then
 * still set when the response carried a well-formed one, for the caller
 * to keep; the rest is cleared); TG_E_IDP_UNREACHABLE. What is tolerated
 * in a reply and what is not: docs/ADMIN.md section 7. */
TG_HIDDEN tg_rc tg_oauth_refresh(const struct tg_ctx *x, size_t idx, const char *refresh_token,
				 struct tg_tokens *t, struct tg_oauth_err *e);
TG_HIDDEN tg_rc tg_oauth_password(const struct tg_ctx *x, size_t idx, const char *user,
				  const char *password, const char *scope,
				  struct tg_tokens *t, struct tg_oauth_err *e);
TG_HIDDEN tg_rc tg_oauth_client_credentials(const struct tg_ctx *x, size_t idx,
					    const char *resource, struct tg_tokens *t,
					    struct tg_oauth_err *e);
/* What a device authorization asks of the login behind it, for a service
 * with max_auth_age / required_acr: max_age and acr_values (OIDC Core
 * 3.1.2.1, which providers take at the device endpoint as at the
 * authorization endpoint; RFC 9470 section 4). prompt is not sent: RFC
 * 8628 defines no such parameter there and some providers refuse it;
 * max_age = 0 means the same as prompt=login. */
struct tg_device_ask {
	int64_t max_age;	/* -1: not asked */
	const char *acr_values;	/* space-separated, or NULL */
};
TG_HIDDEN tg_rc tg_oauth_device_start(const struct tg_ctx *x, size_t idx, const char *scope,
				      const struct tg_device_ask *ask, struct tg_device *d,
				      struct tg_oauth_err *e);
TG_HIDDEN tg_rc tg_oauth_device_poll(const struct tg_ctx *x, size_t idx, const char *device_code,
				     struct tg_tokens *t, struct tg_oauth_err *e);
TG_HIDDEN tg_rc tg_oauth_introspect(const struct tg_ctx *x, size_t idx, const char *token,
				    bool *active, struct tg_oauth_err *e);
TG_HIDDEN tg_rc tg_oauth_revoke(const struct tg_ctx *x, size_t idx, const char *token,
				const char *hint, struct tg_oauth_err *e);
TG_HIDDEN void tg_tokens_clear(struct tg_tokens *t);
/* The issuer's client_id, or NULL when none is configured. */
TG_HIDDEN const char *tg_oauth_client_id(const tg_config *cfg, size_t idx);
TG_HIDDEN void tg_device_clear(struct tg_device *d);

#endif
