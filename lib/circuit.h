/*
 * circuit.h - a circuit breaker per issuer, shared by every helper process
 * through a small state file in the cache directory.
 *
 *   closed --N consecutive failures--> open --cool-down--> half-open (one
 *   probe) --success--> closed, --failure--> open again.
 */
#ifndef TG_CIRCUIT_H
#define TG_CIRCUIT_H

#include "tg_internal.h"

typedef void (*tg_circuit_fn)(void *ud, const char *from, const char *to,
			      int failures);

struct tg_circuit {
	const char *dir;
	char name[160];		/* state file */
	int threshold;		/* failures that open it */
	int64_t cooldown;	/* seconds */
	tg_circuit_fn on_change;
	void *ud;
};

/* May a request go out now? false: fail at once (circuit open). */
TG_HIDDEN bool tg_circuit_allow(const struct tg_circuit *c, int64_t now);
/* Records the outcome of a request that was allowed. */
TG_HIDDEN void tg_circuit_record(const struct tg_circuit *c, int64_t now, bool ok);
/* For status: "closed", "open" or "half_open", and the failure count. */
TG_HIDDEN const char *tg_circuit_state(const struct tg_circuit *c, int *failures);

/* Full-jitter exponential backoff: a random delay in [0, min(cap, base*2^n)]. */
TG_HIDDEN unsigned tg_backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms);

#endif
