/*
 * store.c - one user's entry in the session store: the session file and
 * its side files (UID.owner, UID.revoked), read, written and locked with
 * the safe file operations of file.c, named by store_dir.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

struct tg_store {
	int dfd;		/* the store directory */
	int lock;		/* flock'ed UID.lock */
	uint32_t uid;
	char name[TG_STORE_NAME_MAX];	/* the session file: the uid in decimal */
};

/* why = prefix + arg */
static tg_rc why_fail(char *why, size_t n, tg_rc rc, const char *prefix, const char *arg)
{
	if (why != NULL && n > 0)
		snprintf(why, n, "%s%s", prefix, arg);
	return rc;
}

tg_rc tg_store_open(const char *dir, uint32_t uid, unsigned wait_ms, tg_store **out,
		    char *why, size_t whylen)
{
	char lname[TG_STORE_NAME_MAX];
	*out = NULL;
	if (dir == NULL || dir[0] != '/')
		return why_fail(why, whylen, TG_E_CONFIG, "", "store_dir must be an absolute path");
	tg_store *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return TG_E_NOMEM;
	st->uid = uid;
	st->lock = -1;
	tg_store_name(uid, TG_STORE_SESSION, 0, st->name, sizeof(st->name));
	tg_store_name(uid, TG_STORE_LOCK, 0, lname, sizeof(lname));
	st->dfd = tg_dir_open_private(dir);
	if (st->dfd < 0) {
		free(st);
		return why_fail(why, whylen, TG_E_IO,
				"store directory missing, not root's, or open to others: ", dir);
	}
	st->lock = tg_file_lock_at(st->dfd, lname, wait_ms);
	if (st->lock < 0) {
		tg_rc rc = st->lock == -2 ? TG_E_TIMEOUT : TG_E_IO;
		close(st->dfd);
		free(st);
		return why_fail(why, whylen, rc, "",
				rc == TG_E_TIMEOUT ? "the user's session is busy (lock wait timed out)"
						   : "cannot create the user's lock file");
	}
	*out = st;
	return TG_OK;
}

void tg_store_close(tg_store *st)
{
	if (st == NULL)
		return;
	if (st->lock >= 0)
		close(st->lock);
	if (st->dfd >= 0)
		close(st->dfd);
	free(st);
}

static tg_rc move_aside(tg_store *st, const char *cause, char *why, size_t whylen)
{
	char aside[TG_STORE_NAME_MAX];
	tg_store_name(st->uid, TG_STORE_CORRUPT, tg_unix_time(), aside, sizeof(aside));
	if (renameat(st->dfd, st->name, st->dfd, aside) != 0)
		unlinkat(st->dfd, st->name, 0);
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "session file corrupt (%s), moved aside to %s", cause, aside);
	fsync(st->dfd);
	return TG_E_MALFORMED;
}

/* Reads NAME in the store directory under the session file's rules
 * (DESIGN section 6): a regular file of ours, nothing for group or
 * others, one link, at most max bytes. TG_OK with *buf NULL when it does
 * not exist; otherwise TG_E_IO and *bad says why (the caller frees and
 * wipes *buf). */
static tg_rc read_checked(tg_store *st, const char *name, size_t max, char **buf, size_t *len,
			  const char **bad)
{
	unsigned rules = TG_FILE_PRIVATE | TG_FILE_ONE_LINK | TG_FILE_MISSING_OK;
	return tg_file_read_at(st->dfd, name, max, rules, buf, len, bad) == TG_OK ? TG_OK
										  : TG_E_IO;
}

tg_rc tg_store_load(tg_store *st, json_t **sess, char *why, size_t whylen)
{
	char *buf = NULL;
	size_t size = 0;
	const char *bad = NULL;
	*sess = NULL;
	if (read_checked(st, st->name, TG_STORE_MAX_BYTES, &buf, &size, &bad) != TG_OK)
		return why_fail(why, whylen, TG_E_IO, "session file refused: ", bad);
	if (buf == NULL)
		return TG_OK;
	json_t *j = NULL;
	tg_rc rc = tg_json_parse_object(buf, size, TG_STORE_MAX_BYTES, 8, &j);
	tg_wipe(buf, size + 1);
	free(buf);
	if (rc != TG_OK)
		return move_aside(st, "not a JSON object", why, whylen);
	const char *cause = NULL;
	if (!tg_session_valid(j, NULL, st->uid, &cause)) {
		tg_session_free(j);
		return move_aside(st, cause, why, whylen);
	}
	*sess = j;
	return TG_OK;
}

tg_rc tg_store_save(tg_store *st, json_t *sess)
{
	char *text = json_dumps(sess, JSON_COMPACT);
	if (text == NULL)
		return TG_E_NOMEM;
	size_t len = strlen(text);
	tg_rc rc = len > TG_STORE_MAX_BYTES ? TG_E_IO
		 : tg_write_atomically_at(st->dfd, st->name, text, len);
	tg_wipe(text, len);
	free(text);
	return rc;
}

/* A small side file (UID.owner, UID.revoked) under the session file's
 * rules, at most 4 KiB, a JSON object. TG_OK with *out NULL when it does
 * not exist; TG_E_IO when it cannot be trusted or read. */
static tg_rc read_side(tg_store *st, enum tg_store_kind kind, json_t **out)
{
	char name[TG_STORE_NAME_MAX], *buf = NULL;
	size_t len = 0;
	const char *bad = NULL;
	*out = NULL;
	tg_store_name(st->uid, kind, 0, name, sizeof(name));
	if (read_checked(st, name, 4096, &buf, &len, &bad) != TG_OK)
		return TG_E_IO;
	if (buf == NULL)
		return TG_OK;
	tg_rc rc = tg_json_parse_object(buf, len, 4096, 4, out);
	free(buf);
	return rc == TG_OK ? TG_OK : TG_E_IO;
}

static tg_rc write_side(tg_store *st, enum tg_store_kind kind, json_t *j)
{
	char name[TG_STORE_NAME_MAX];
	char *text = json_dumps(j, JSON_COMPACT);
	if (text == NULL)
		return TG_E_NOMEM;
	tg_store_name(st->uid, kind, 0, name, sizeof(name));
	tg_rc rc = tg_write_atomically_at(st->dfd, name, text, strlen(text));
	free(text);
	return rc;
}

static tg_rc remove_side(tg_store *st, enum tg_store_kind kind)
{
	char name[TG_STORE_NAME_MAX];
	tg_store_name(st->uid, kind, 0, name, sizeof(name));
	return tg_file_remove_at(st->dfd, name);
}

tg_rc tg_store_purge(tg_store *st, int64_t now, const char *reason)
{
	json_t *m = json_pack("{s:I,s:s}", "revoked_at", (json_int_t)now, "reason", reason);
	tg_rc rc = m != NULL ? write_side(st, TG_STORE_REVOKED, m) : TG_E_NOMEM;
	json_decref(m);
	/* no marker, no purge: the end of a session must stick */
	return rc != TG_OK ? rc : tg_store_remove(st);
}

tg_rc tg_store_revoked(tg_store *st, int64_t *at, char *reason, size_t n)
{
	json_t *m = NULL;
	tg_rc rc = read_side(st, TG_STORE_REVOKED, &m);
	*at = 0;
	if (n > 0)
		reason[0] = '\0';
	if (rc != TG_OK)
		return rc;
	if (m == NULL)
		return TG_E_NO_CREDENTIALS;
	const char *r = json_string_value(json_object_get(m, "reason"));
	if (!tg_json_int(json_object_get(m, "revoked_at"), at))
		*at = 0;
	snprintf(reason, n, "%s", r ? r : "revoked");
	json_decref(m);
	return TG_OK;
}

tg_rc tg_store_clear_revoked(tg_store *st)
{
	return remove_side(st, TG_STORE_REVOKED);
}

tg_rc tg_store_owner(tg_store *st, char *iss, size_t issn, char *sub, size_t subn)
{
	json_t *o = NULL;
	tg_rc rc = read_side(st, TG_STORE_OWNER, &o);
	if (rc != TG_OK)
		return rc;
	if (o == NULL)
		return TG_E_NO_CREDENTIALS;
	const char *i = json_string_value(json_object_get(o, "iss"));
	const char *s = json_string_value(json_object_get(o, "sub"));
	rc = i && s && (iss == NULL || (strlen(i) < issn && strlen(s) < subn)) ? TG_OK : TG_E_IO;
	if (rc == TG_OK && iss != NULL) {
		snprintf(iss, issn, "%s", i);
		snprintf(sub, subn, "%s", s);
	}
	json_decref(o);
	return rc;
}

tg_rc tg_store_set_owner(tg_store *st, const char *iss, const char *sub, int64_t now)
{
	json_t *o = json_pack("{s:s,s:s,s:I}", "iss", iss, "sub", sub, "since", (json_int_t)now);
	tg_rc rc = o != NULL ? write_side(st, TG_STORE_OWNER, o) : TG_E_NOMEM;
	json_decref(o);
	return rc;
}

tg_rc tg_store_clear_owner(tg_store *st)
{
	return remove_side(st, TG_STORE_OWNER);
}

tg_rc tg_store_remove(tg_store *st)
{
	return tg_file_remove_at(st->dfd, st->name);
}
