/*
 * verify.h - validating a token against a configured issuer: its policy
 * for the PAM service, its keys (static file or discovered and cached),
 * and one rate-limited refetch when the token names an unknown kid.
 */
#ifndef TG_VERIFY_H
#define TG_VERIFY_H

#include "keysource.h"

struct tg_check_req {
	const tg_config *cfg;
	size_t idx;		/* the issuer */
	const char *service;
	const char *user;	/* PAM_USER: the token must map to it */
	const char *kind;	/* "access", "id", or NULL: the configured kind */
	int64_t now;
	tg_keys_event_fn event;
	tg_skip_fn skip;
	tg_explain_fn explain;
	void *ud;
};

/* Validates tok. *t (freed by the caller, set even on failure) carries what
 * was learnt for the audit record; *detail, when set, explains a failure
 * to load keys. */
TG_HIDDEN tg_rc tg_issuer_validate(const struct tg_check_req *q, const char *tok,
				   tg_token **t, const char **detail);

#endif
