/*
 * ctl_health.h - every stored session's state and health score, from the
 * store alone (rules in ctl_health.c and tokengatectl(8)).
 */
#ifndef TG_CTL_HEALTH_H
#define TG_CTL_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include <fcntl.h>

#include "store.h"
#include "tokengate.h"

struct ctl_session {
	uint32_t uid;
	char user[64];
	bool user_exists;
	const char *state;	/* fresh, refresh due, in grace, expired, revoked */
	int health;		/* 0-100 */
	char method[16];
	char issuer[64];
	int64_t access_exp;
	int64_t last_online;
	int64_t grace_left;	/* seconds of offline access left (0: none) */
	int64_t ends_in;	/* until session_max_age ends it (-1: no limit) */
	int64_t idle_left;	/* until idle_timeout ends it (-1: no limit) */
	int64_t revoked_at;
	bool has_refresh;
	size_t open;		/* open PAM sessions */
};

/* One uid's session (locked while read): false when there is none. */
bool ctl_session_read(const tg_config *cfg, const char *dir, uint32_t uid, int64_t now,
		      struct ctl_session *v);
/* Every session (and revocation marker) in store_dir; *out is the
 * caller's to free. 0, or -1 after saying on stderr why the store could
 * not be listed (never an empty list in its place). */
int ctl_sessions_collect(const tg_config *cfg, int64_t now, struct ctl_session **out, size_t *n);

#endif
