/*
 * lockout.h - password guesses counted per (user, remote host) in the
 * cache directory (lockout/), shared by every helper process (DESIGN
 * section 3). Only the password method is counted and locked: a valid
 * token or a device login is never blocked, so a lock cannot be turned
 * against anyone. An attempt is counted before the provider is asked (so
 * parallel guesses cannot pass the limit), then kept when the provider
 * refused the password, forgotten on success, taken back for any other
 * outcome. A counter that cannot be read or written refuses the attempt.
 */
#ifndef TG_LOCKOUT_H
#define TG_LOCKOUT_H

#include "ctx.h"

/* Counts one password attempt for x's (user, rhost) at x->now (rhost NULL
 * or "": a local login). TG_OK: ask the provider;
 * TG_E_LOCKED_OUT: locked until *until (nothing asked); TG_E_INTERNAL:
 * the counter cannot be used (fail closed). */
TG_HIDDEN tg_rc tg_lockout_begin(const struct tg_ctx *x, int64_t *until);

enum tg_lockout_outcome {
	TG_LOCKOUT_REFUSED,	/* the provider (or the offline verifier) said no */
	TG_LOCKOUT_SUCCESS,	/* the password was right: forget the count */
	TG_LOCKOUT_UNDO,	/* not a verdict on the password: take it back */
};
/* Ends the attempt begun above; true when a refusal locked the pair just
 * now (*until: when it ends). */
TG_HIDDEN bool tg_lockout_end(const struct tg_ctx *x, enum tg_lockout_outcome how,
			      int64_t *until);

/* tokengatectl cleanup: removes counters that neither lock nor count
 * anything at now (window and lock both over). Returns how many. */
TG_HIDDEN size_t tg_lockout_cleanup(const tg_config *cfg, int64_t now, bool dry_run);

#endif
