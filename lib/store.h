/*
 * store.h - the per-user session store (DESIGN section 6): one directory,
 * root-only, holding per uid the session (session.h) and its side files,
 * every one read with the checked-read rules and written atomically
 * (file.h), and locked per user (flock on UID.lock) for a whole
 * read -> refresh -> write cycle.
 *
 * The store's file names are built and parsed in one place (store_dir.c):
 *   UID                 the session
 *   UID.lock            the user's lock
 *   UID.owner           the identity that owns the account
 *   UID.revoked         the revocation marker
 *   UID.corrupt.TIME    a session file found corrupt, moved aside
 *   .NAME.PID.TIME.tmp  an interrupted atomic write
 * UID is the uid in decimal as printed ("%u"); other names (auth.key,
 * junk) are not sessions.
 */
#ifndef TG_STORE_H
#define TG_STORE_H

#include <stdint.h>

#include "session.h"
#include "tg_internal.h"

#define TG_STORE_MAX_BYTES (64u * 1024u)

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

/* ---- the store directory (store_dir.c) ---- */
enum tg_store_kind {
	TG_STORE_SESSION,	/* UID */
	TG_STORE_LOCK,		/* UID.lock */
	TG_STORE_OWNER,		/* UID.owner */
	TG_STORE_REVOKED,	/* UID.revoked */
	TG_STORE_CORRUPT,	/* UID.corrupt.TIME */
	TG_STORE_OTHER,		/* UID.anything else: not ours to read */
	TG_STORE_TEMP,		/* .NAME.PID.TIME.tmp (no uid) */
};
#define TG_STORE_NAME_MAX 48
/* The name of uid's file of kind (at: the time of a corrupt copy) in buf
 * (at least TG_STORE_NAME_MAX bytes). Not for OTHER and TEMP. */
TG_HIDDEN void tg_store_name(uint32_t uid, enum tg_store_kind kind, int64_t at, char *buf,
			     size_t n);

/* One file of the store directory, as tg_store_each finds it. */
struct tg_store_file {
	const char *name;	/* as found in the directory */
	enum tg_store_kind kind;
	uint32_t uid;		/* every kind but TEMP */
	int64_t moved_at;	/* CORRUPT: when it was moved aside */
	int64_t mtime;		/* of the name itself (a link is not followed) */
	bool regular;		/* a regular file, not a link or anything else */
};
/* Calls fn(ud, dfd, f) for each file of the store that follows its naming
 * (other names are skipped; nothing is read or followed); dfd is the
 * directory, for *at() calls. fn returns non-zero to stop. TG_OK also
 * when the directory does not exist (no sessions yet); TG_E_IO when it
 * cannot be opened or is not root's (or ours) alone. */
typedef int (*tg_store_each_fn)(void *ud, int dfd, const struct tg_store_file *f);
TG_HIDDEN tg_rc tg_store_each(const char *dir, tg_store_each_fn fn, void *ud);

/* Per uid, which of its files exist. */
struct tg_store_uid {
	uint32_t uid;
	unsigned files;		/* 1u << kind for each kind found */
};
#define TG_STORE_HAS(u, kind) ((((u)->files) >> (kind)) & 1u)
/* Every uid with a file in the store, by ascending uid; *out (NULL when
 * there are none) is the caller's to free. Errors as tg_store_each, and
 * TG_E_NOMEM. */
TG_HIDDEN tg_rc tg_store_list(const char *dir, struct tg_store_uid **out, size_t *n);

#endif
