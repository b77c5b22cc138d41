/*
 * grant.h - the token a session rests on (grant.c): of a token response,
 * the access token when it is a JWT valid for this host, else the ID token
 * of the same response (session_token = access | id | auto per issuer,
 * tokengate.conf(5)); and a stored session's token under the rules of its
 * kind.
 */
#ifndef TG_GRANT_H
#define TG_GRANT_H

#include "ctx.h"

struct tg_tokens;

struct tg_grant_pick {
	const char *kind;	/* "access" or "id": the rules text was held to */
	const char *text;	/* borrowed from the tg_tokens, or NULL */
	bool no_id_token;	/* the access token is not for this host and the
				   response has no ID token to rest on instead */
	char detail[200];	/* why the ID token was taken, or why nothing was */
};

/* Validates tok under the rules of kind ("access", "id"; NULL: access)
 * against issuer idx, at the current time on x's clock (x->now was taken
 * before any request went out). *t is set even on failure (freed by the
 * caller); *detail may explain a key-loading failure. */
TG_HIDDEN tg_rc tg_grant_validate(const struct tg_ctx *x, size_t idx, const char *kind,
				  const char *tok, tg_token **t, const char **detail);

/* The token of tok a session of issuer idx rests on, validated: its result,
 * *t (set even on failure) and *pk. With session_token = auto, the ID token
 * is taken only when the access token is not a token of this host (not a
 * JWT, or signed, addressed or typed for someone else); a token of this
 * host that the policy refuses (not authorized, expired, another user) is
 * the answer, and the ID token is never asked instead. */
TG_HIDDEN tg_rc tg_grant_token(const struct tg_ctx *x, size_t idx, const struct tg_tokens *tok,
			       tg_token **t, struct tg_grant_pick *pk, const char **detail);

#endif
