/*
 * ctx.h - the context of one step of one login, built once by the caller
 * (the helper per PAM call, a tool per command) and passed down to every
 * library call that needs to know who, where and when: the config, the
 * PAM service, the user, the remote host, the clock, and one event sink
 * that hears everything audit-worthy the library sees on the way.
 */
#ifndef TG_CTX_H
#define TG_CTX_H

#include "tg_internal.h"

/* What the sink hears. */
enum tg_ev {
	TG_EV_PROVIDER,	/* jwks_fetch / jwks_stale / circuit / ...: a provider event */
	TG_EV_NOTE,	/* refresh / grace / store: a step of the chain */
	TG_EV_SKIP,	/* a key of a set was skipped (detail says which, why) */
	TG_EV_CHECK,	/* one validation check (event: the check; detail: the rule) */
};

/* What the last token validation found short of the service's freshness
 * or strength (max_auth_age, required_acr, required_amr: strength.c) and
 * nothing else: the cue for a step-up (a new interactive login asking for
 * it). tg_issuer_validate clears it first and fills it when that is why it
 * refused. */
struct tg_shortfall {
	bool hit;
	char why[200];
};

typedef void (*tg_sink_fn)(void *ud, enum tg_ev kind, const char *event, const char *result,
			   tg_rc reason, const char *detail);

struct tg_ctx {
	const tg_config *cfg;
	const char *service;	/* the PAM service, or NULL */
	const char *user;	/* PAM_USER, or NULL */
	const char *rhost;	/* NULL or "": a local login */
	uint32_t uid;
	int64_t now;		/* the caller's clock, taken when the step began */
	int64_t clock_offset;	/* the caller's clock minus the system clock (the
				   test build's clock=) */
	tg_sink_fn sink;	/* or NULL */
	void *ud;
	struct tg_shortfall *shortfall;	/* or NULL */
	const char *session_id;	/* the PAM login's id (audit records), or NULL */
	bool any_issuer;	/* a tool, not a PAM service: no service's
				   issuer = NAME applies (each session is
				   renewed at its own issuer) */
};

static inline void tg_ctx_event(const struct tg_ctx *x, enum tg_ev kind, const char *event,
				const char *result, tg_rc reason, const char *detail)
{
	if (x->sink != NULL)
		x->sink(x->ud, kind, event, result, reason, detail);
}

/* The caller's clock now (never before x->now): a check made after a
 * request must not see its own token as "not valid yet". */
TG_HIDDEN int64_t tg_ctx_time(const struct tg_ctx *x);

/* A tg_skip_fn for key-set parsers, reporting to x's sink (ud: x). */
TG_HIDDEN void tg_ctx_skip(void *ud, size_t index, const char *kid, const char *cause);

#endif
