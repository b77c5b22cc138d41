/*
 * lockout.h - failed attempts counted per user and per remote host in the
 * cache directory (lockout/), shared by every helper process. After
 * lockout_attempts failures inside lockout_window the user (or host) is
 * locked for lockout_time: attempts are refused before any provider
 * request.
 */
#ifndef TG_LOCKOUT_H
#define TG_LOCKOUT_H

#include "tg_internal.h"

struct tg_lockout {
	const tg_config *cfg;
	const char *user;
	const char *rhost;	/* NULL or "": not counted per host */
	int64_t now;
};

/* TG_E_LOCKED_OUT while the user or the host is locked: *who says which
 * ("user" / "rhost") and *until when it ends. */
TG_HIDDEN tg_rc tg_lockout_check(const struct tg_lockout *l, const char **who,
				 int64_t *until);
/* Counts one failure; true when it locked the user or host just now
 * (*who and *until as above). */
TG_HIDDEN bool tg_lockout_failure(const struct tg_lockout *l, const char **who,
				  int64_t *until);
/* A success forgets the user's failures (not the host's). */
TG_HIDDEN void tg_lockout_success(const struct tg_lockout *l);

#endif
