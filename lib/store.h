/*
 * store.h - the per-user session store (DESIGN section 6): one file per
 * uid in store_dir, root-only, read with O_NOFOLLOW + fstat checks, written
 * atomically, and locked per user (flock on UID.lock) for a whole
 * read -> refresh -> write cycle.
 *
 * A session is a JSON object (schema version 1):
 *   version       1
 *   user, uid     the Unix account it belongs to
 *   issuer        the config section name of the issuer
 *   iss, sub      the identity
 *   method        how it started: token, password, device
 *   kind          access (default) or id: the rules access_token is held to
 *   access_token  (secret) and access_exp (unix time)
 *   refresh_token (secret, optional)
 *   claims        { auth_time, groups }  (what later checks may need)
 *   verifier      (secret, optional) yescrypt hash of the last online password
 *   created, updated, last_online   unix times (last_online: the last
 *                 answer from the provider that proved the session alive)
 *   sessions      [ { id, service, rhost, opened } ]  open PAM sessions
 * Members this version does not know are kept across rewrites.
 */
#ifndef TG_STORE_H
#define TG_STORE_H

#include <stdint.h>

#include "tg_internal.h"

#define TG_STORE_VERSION 1
#define TG_STORE_MAX_BYTES (64u * 1024u)
#define TG_STORE_MAX_SESSIONS 32

typedef struct tg_store tg_store;

/* Opens DIR (created 0700 when missing; refused when not root's/ours or
 * open to group or others) and takes the user's lock, waiting up to
 * wait_ms. TG_E_TIMEOUT when the lock stays busy, TG_E_IO when refused. */
TG_HIDDEN tg_rc tg_store_open(const char *dir, uint32_t uid, unsigned wait_ms,
			      tg_store **out, char *why, size_t whylen);
/* Reads the user's session. *sess is NULL when there is none. A corrupt
 * file is moved aside (why names where) and TG_E_MALFORMED returned: the
 * user has no session. A file that breaks the safety rules (link, mode,
 * owner, size) is left alone and TG_E_IO returned. */
TG_HIDDEN tg_rc tg_store_load(tg_store *st, json_t **sess, char *why, size_t whylen);
/* Writes the session atomically. */
TG_HIDDEN tg_rc tg_store_save(tg_store *st, json_t *sess);
/* Removes the user's session file (a purge). */
TG_HIDDEN tg_rc tg_store_remove(tg_store *st);
/* A purge for a revocation: removes the session and leaves UID.revoked
 * ({"revoked_at": now, "reason": reason}, a reason code). The marker
 * sticks (DESIGN section 3): with no session, the account stage answers
 * with it until a fresh online login clears it (tg_store_clear_revoked). */
TG_HIDDEN tg_rc tg_store_purge(tg_store *st, int64_t now, const char *reason);
/* TG_OK with the marker's time and reason; TG_E_NO_CREDENTIALS: none;
 * TG_E_IO: present but unreadable or unsafe. */
TG_HIDDEN tg_rc tg_store_revoked(tg_store *st, int64_t *at, char *reason, size_t n);
TG_HIDDEN tg_rc tg_store_clear_revoked(tg_store *st);
/* The identity that owns the account (UID.owner: {iss, sub, since}),
 * written with its first session and kept across purges; only an
 * administrator clears it (tokengatectl revoke). TG_OK with iss and sub;
 * TG_E_NO_CREDENTIALS: no owner yet; TG_E_IO: unreadable or unsafe. */
TG_HIDDEN tg_rc tg_store_owner(tg_store *st, char *iss, size_t issn, char *sub, size_t subn);
TG_HIDDEN tg_rc tg_store_set_owner(tg_store *st, const char *iss, const char *sub, int64_t now);
TG_HIDDEN tg_rc tg_store_clear_owner(tg_store *st);
/* Releases the lock. */
TG_HIDDEN void tg_store_close(tg_store *st);

/* ---- the session object ---- */
/* A new, empty version-1 session for user/uid. */
TG_HIDDEN json_t *tg_session_new(const char *user, uint32_t uid, int64_t now);
/* Is sess a well-formed version-1 session of user/uid? *why says why not. */
TG_HIDDEN bool tg_session_valid(const json_t *sess, const char *user, uint32_t uid,
				const char **why);
TG_HIDDEN const char *tg_session_str(const json_t *sess, const char *key);
TG_HIDDEN int64_t tg_session_int(const json_t *sess, const char *key); /* 0 if absent */
/* Sets (or with v NULL removes) a member; secrets are copied, so the
 * caller wipes its own copy. */
TG_HIDDEN tg_rc tg_session_set_str(json_t *sess, const char *key, const char *v);
TG_HIDDEN tg_rc tg_session_set_int(json_t *sess, const char *key, int64_t v);
/* Wipes the secret members, then frees. */
TG_HIDDEN void tg_session_free(json_t *sess);

#endif
