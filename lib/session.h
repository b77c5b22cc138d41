/*
 * session.h - the session object (session.c): what the store keeps for
 * one user, its schema, accessors and the wiping of its secrets. Reading,
 * writing and locking it is the store's (store.h); starting and revoking
 * a session walk the provider (chain.h).
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
 *   claims        { auth_time, groups, username, and the claim names
 *                 username_claim, groups_claim they were read under }
 *   verifier      (secret, optional) the offline password verifier: a
 *                 yescrypt hash of the last online password (offline_password.c)
 *   created, updated, last_online   unix times (last_online: the last
 *                 answer from the provider that proved the session alive)
 *   sessions      [ { id, service, rhost, opened } ]  open PAM sessions
 * Members this version does not know are kept across rewrites.
 */
#ifndef TG_SESSION_H
#define TG_SESSION_H

#include <stdint.h>

#include "tg_internal.h"

#define TG_SESSION_VERSION 1
#define TG_STORE_MAX_SESSIONS 32	/* open PAM sessions kept per user */

/* A new, empty version-1 session for user/uid. */
TG_HIDDEN json_t *tg_session_new(const char *user, uint32_t uid, int64_t now);
/* Is sess a well-formed version-1 session of user/uid? *why says why not. */
TG_HIDDEN bool tg_session_valid(const json_t *sess, const char *user, uint32_t uid,
				const char **why);
TG_HIDDEN const char *tg_session_str(const json_t *sess, const char *key);
TG_HIDDEN int64_t tg_session_int(const json_t *sess, const char *key); /* 0 if absent */
/* When its last interactive login was (session_max_age counts from it;
 * sessions from before login_at was kept: when they were made), and when a
 * login stage last used it (idle_timeout; before last_used was kept: that
 * login). */
TG_HIDDEN int64_t tg_session_login_at(const json_t *sess);
TG_HIDDEN int64_t tg_session_last_use(const json_t *sess);
/* Sets (or with v NULL removes) a member; secrets are copied, so the
 * caller wipes its own copy. */
TG_HIDDEN tg_rc tg_session_set_str(json_t *sess, const char *key, const char *v);
TG_HIDDEN tg_rc tg_session_set_int(json_t *sess, const char *key, int64_t v);
/* Wipes the secret members, then frees. */
TG_HIDDEN void tg_session_free(json_t *sess);

#endif
