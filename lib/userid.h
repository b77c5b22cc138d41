/*
 * userid.h - stable numeric ids for people and groups that exist only at
 * the provider (userid.c), the same on every host without coordination:
 * a function of (iss, sub) for a person and of (iss, group name) for a
 * group, into a configured range. Never probed onward on a collision:
 * the next free id would depend on each host's history, so a collision
 * is refused (and audited) instead.
 */
#ifndef TG_USERID_H
#define TG_USERID_H

#include <stdbool.h>
#include <stdint.h>

#include "tg_internal.h"

struct tg_id_range {
	uint32_t lo, hi;	/* inclusive */
};

/* The lowest id a range may start at, and the highest it may reach:
 * 0..65535 are the host's own (system accounts, regular local users,
 * systemd's reserved 60001..65535, nobody) and 2^31 and up break
 * programs that keep ids in a signed int. */
#define TG_ID_MIN 65536u
#define TG_ID_MAX 2147483646u

/* Parses "LO-HI" (decimal, LO <= HI, inside TG_ID_MIN..TG_ID_MAX, at
 * least 65536 ids wide). false with *why otherwise. */
TG_HIDDEN bool tg_id_range_parse(const char *s, struct tg_id_range *r, const char **why);
/* Two ranges share an id. */
TG_HIDDEN bool tg_id_range_overlap(const struct tg_id_range *a, const struct tg_id_range *b);
TG_HIDDEN bool tg_id_in_range(const struct tg_id_range *r, uint64_t id);

/* kind "uid" or "gid"; a and b the two halves of the key ((iss, sub) or
 * (iss, group name)): lo + SHA-256(kind NUL a NUL b) mod (hi - lo + 1). */
TG_HIDDEN uint32_t tg_id_derive(const struct tg_id_range *r, const char *kind, const char *a,
				const char *b);

#endif
