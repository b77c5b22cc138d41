/*
 * userdb.h - the passwd and group records of people who exist only at the
 * provider (userdb.c; create_users = yes per issuer, docs/USERS.md).
 *
 * The records are kept, with what they were made from, in one root-only
 * file of the store (store_dir/users.json, under store_dir/users.lock),
 * and published for NSS as two files in passwd(5) and group(5) format,
 * nss_dir/passwd and nss_dir/group (root, 0644, written atomically), which
 * libnss_tokengate reads and nothing else writes. users.json:
 *   version  1
 *   users    { NAME: { uid, gid (user_group's), gecos, home, shell, iss, sub, issuer,
 *                      groups: [unix group names], created, updated,
 *                      disabled (unix time, absent while enabled) } }
 *   groups   { NAME: { gid, iss, issuer, from (the provider's group name),
 *                      local (a local group named by group_map) } }
 * A person's primary group is user_group (default users), never a group
 * named after them.
 *
 * Nothing is ever resolved by giving someone else's id or name: a record
 * whose name is a local account's, whose uid or gid is taken (a local
 * account or group, another record), whose (iss, sub) already has another
 * name, or whose name belongs to another (iss, sub), is refused with the
 * reason in why; a provider group whose name or gid collides with a local
 * group is left out (and said in why) unless group_map names it.
 */
#ifndef TG_USERDB_H
#define TG_USERDB_H

#include <stdbool.h>
#include <stdint.h>

#include "tg_internal.h"
#include "userid.h"

typedef struct tg_userdb tg_userdb;

/* The host's own accounts and groups, as NSS answers for them (a seam for
 * the unit tests). kind 'u' by name, 'U' by uid, 'g' by group name, 'G' by
 * gid; true when found, with its name and id. */
typedef bool (*tg_userdb_lookup_fn)(char kind, const char *name, uint32_t id,
				    char *found, size_t foundlen, uint32_t *found_id);
TG_HIDDEN void tg_userdb_set_lookup(tg_userdb_lookup_fn fn); /* NULL: NSS */

/* Was anyone ever given a record (store_dir/users.json is there)? */
TG_HIDDEN bool tg_userdb_exists(const tg_config *cfg);
/* Opens the database of cfg's store, locked (waiting up to wait_ms). */
TG_HIDDEN tg_rc tg_userdb_open(const tg_config *cfg, unsigned wait_ms, tg_userdb **out,
			       char *why, size_t whylen);
/* Writes what changed (users.json, then the NSS files), unlocks, frees. */
TG_HIDDEN tg_rc tg_userdb_commit(tg_userdb *db, char *why, size_t whylen);
/* Unlocks and frees without writing. */
TG_HIDDEN void tg_userdb_close(tg_userdb *db);

/* What a record is made from. */
struct tg_user_in {
	const char *name;	/* the login name (mapped) */
	const char *iss, *sub;
	const char *issuer;	/* [issuer NAME] */
	const char *gecos;	/* or NULL */
	int64_t uid_number;	/* from uid_claim, or -1: derived */
	const char *const *groups;	/* provider group names */
	size_t ngroups;
	int64_t now;
};

/* Creates or refreshes the record of in (issuer idx's settings: ranges,
 * home, shell, unix_groups, group_map), enabled. *uid receives its uid. */
TG_HIDDEN tg_rc tg_userdb_put(tg_userdb *db, size_t idx, const struct tg_user_in *in,
			      uint32_t *uid, char *why, size_t whylen);
/* The record of name: its uid, and whether it is enabled; TG_E_NO_CREDENTIALS
 * when there is none. */
TG_HIDDEN tg_rc tg_userdb_find(const tg_userdb *db, const char *name, uint32_t *uid,
			       bool *enabled);
/* Disables name's record (nologin shell, kept) at now; TG_E_NO_CREDENTIALS
 * when there is none. */
TG_HIDDEN tg_rc tg_userdb_disable(tg_userdb *db, const char *name, int64_t now);
/* The whole of a revocation's part here: disables name's record when it is
 * enabled and has uid, and writes it. TG_OK: disabled now;
 * TG_E_NO_CREDENTIALS: nothing to disable (no database, no such record,
 * another uid, disabled already); otherwise the failure, said in why. */
TG_HIDDEN tg_rc tg_userdb_disable_of(const tg_config *cfg, const char *name, uint32_t uid,
				     int64_t now, char *why, size_t whylen);
/* Enables name's record again (an administrator's word); no record:
 * TG_E_NO_CREDENTIALS. */
TG_HIDDEN tg_rc tg_userdb_enable(tg_userdb *db, const char *name);
/* Removes name's record (its files stay). */
TG_HIDDEN tg_rc tg_userdb_remove(tg_userdb *db, const char *name);
/* Removes the records disabled for longer than max_age seconds; their
 * count in *n. */
TG_HIDDEN tg_rc tg_userdb_expire(tg_userdb *db, int64_t now, int64_t max_age, size_t *n);
/* Who name's record belongs to, from its index entry (one small file,
 * no lock: written atomically), changing nothing: TG_OK with its iss, sub and whether it is disabled;
 * TG_E_NO_CREDENTIALS when there is none (or no user database at all);
 * TG_E_IO / TG_E_MALFORMED / TG_E_TIMEOUT when it cannot be read. Every
 * login and every stage of a person with a record is held to it. */
TG_HIDDEN tg_rc tg_userdb_identity(const tg_config *cfg, const char *name, char *iss,
				   size_t isslen, char *sub, size_t sublen, bool *disabled);
/* The users object (name -> record), borrowed and not to be changed: for
 * listing. */
TG_HIDDEN json_t *tg_userdb_users(const tg_userdb *db);

#endif
