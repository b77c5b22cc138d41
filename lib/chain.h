/*
 * chain.h - the refresh fallback chain (DESIGN section 3), one function
 * every stage calls with the user's store entry locked:
 *
 *   1. the stored access token, if valid beyond refresh_ahead
 *   2. the refresh-token grant (rotated token stored before use)
 *   3. a password typed just now (password grant)
 *   4. the device flow, where a person can answer: run by the helper after
 *      this chain ends in an expired session, with no lock held (an
 *      approval takes minutes; other logins of the user must not wait)
 *   5. the offline grace window, only when the provider is unreachable
 *   6. deny
 *
 * With a password (the auth stage), steps 1 and 2 are skipped: a typed
 * credential is checked, not a stored session.
 */
#ifndef TG_CHAIN_H
#define TG_CHAIN_H

#include "store.h"
#include "keysource.h"

struct tg_tokens;

struct tg_chain_out {
	tg_rc rc;
	const char *step;	/* stored, refresh, password, device, grace, or - */
	const char *token_kind;	/* what the session rests on: "access", "id", or NULL */
	int64_t access_exp;	/* the access token's expiry (0: none) */
	int64_t ends_in;	/* seconds until the session ends without renewal
				   (grace: offline access left); -1 unknown */
	int64_t max_age_left;	/* seconds until session_max_age ends the session
				   (0: not known, or none) */
	bool unreachable;	/* the provider could not be reached */
	char iss[256];
	char sub[128];
	char issuer[72];	/* the [issuer NAME] of the decision, or "" */
	char login[40];		/* the session id of the interactive login the
				   session's tokens come from (login_id), or "" */
	char detail[256];
};

/* Walks the chain for x's user (its steps, refresh / grace / store, told
 * to x's sink as TG_EV_NOTE). password: typed just now, or NULL;
 * refresh_ahead: seconds, 0 for the service's. Tokens are checked at the
 * current time on x's clock, not at x->now: a grant that crosses a second
 * must not make its own token "not valid yet" (leeway = 0s). *sess is the
 * loaded session (or NULL) and is updated in place: replaced after a
 * password login, NULL after a purge. Every change is saved through st
 * before it is used. */
TG_HIDDEN tg_rc tg_chain_run(const struct tg_ctx *x, const char *password, int64_t refresh_ahead,
			     tg_store *st, json_t **sess, struct tg_chain_out *o);

/* Starts (or renews) the user's session from tokens just obtained by
 * method: validates the access token (unless the caller already did:
 * validated), keeps the refresh token, stores a verifier of password when
 * given, and saves. A session of the same identity keeps its refresh
 * token, verifier and open sessions when the new tokens do not replace
 * them. */
TG_HIDDEN tg_rc tg_session_start(const struct tg_ctx *x, const char *password, tg_store *st,
				 json_t **sess,
				 size_t issuer_idx, const char *method,
				 const struct tg_tokens *tok, const tg_token *validated,
				 bool online, struct tg_chain_out *o);

/* The password grant for x's user at issuer idx: TG_OK with the tokens
 * in *t, or the refusal as the chain reports it (bad_password for what a
 * provider answers to a wrong password, with o's detail saying what came
 * back); o->issuer is set. No session is touched. */
TG_HIDDEN tg_rc tg_password_grant(const struct tg_ctx *x, size_t idx, const char *password,
				  struct tg_tokens *t, struct tg_chain_out *o);

/* The issuer of new sessions (password and device methods): the first
 * one with a client_id, or -1. */
TG_HIDDEN long tg_chain_default_issuer(const tg_config *cfg);

/* The issuer x's service accepts (issuer = NAME in [service NAME] or
 * [global]), or -1: any configured issuer (and always for a tool). */
TG_HIDDEN long tg_chain_service_issuer(const struct tg_ctx *x);

/* The issuer of a new session from a password or device login at x's
 * service: the service's issuer, else the default one; -1 none. */
TG_HIDDEN long tg_chain_login_issuer(const struct tg_ctx *x);

/* Revokes the session's refresh token at its issuer (RFC 7009).
 * TG_E_NO_CREDENTIALS when there is none (or its issuer is gone). */
TG_HIDDEN tg_rc tg_session_revoke(const struct tg_ctx *x, const json_t *sess);

#endif
