/*
 * store.c - reading, writing and locking one user's session file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "store.h"

struct tg_store {
	int dfd;		/* the store directory */
	int lock;		/* flock'ed UID.lock */
	uint32_t uid;
	char name[16];		/* the file: the uid in decimal */
};

/* why = prefix + arg */
static tg_rc why_fail(char *why, size_t n, tg_rc rc, const char *prefix, const char *arg)
{
	if (why != NULL && n > 0)
		snprintf(why, n, "%s%s", prefix, arg);
	return rc;
}

/* The store directory: root's (or ours, for tests), nothing for group or
 * others. Created 0700 when missing. */
static int open_store_dir(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
			(st.st_mode & 077) != 0)) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int lock_at(int dfd, const char *lname, unsigned wait_ms)
{
	int fd = openat(dfd, lname, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	uint64_t until = mono_ms() + wait_ms;
	for (unsigned naps = 0;; naps++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK || mono_ms() >= until)
			break;
		/* 2 ms at first, then 10 ms: a refresh takes a few ms */
		struct timespec ts = { 0, (naps < 10 ? 2 : 10) * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	close(fd);
	errno = EWOULDBLOCK;
	return -2;
}

tg_rc tg_store_open(const char *dir, uint32_t uid, unsigned wait_ms, tg_store **out,
		    char *why, size_t whylen)
{
	char lname[32];
	*out = NULL;
	if (dir == NULL || dir[0] != '/')
		return why_fail(why, whylen, TG_E_CONFIG, "", "store_dir must be an absolute path");
	tg_store *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return TG_E_NOMEM;
	st->uid = uid;
	st->lock = -1;
	snprintf(st->name, sizeof(st->name), "%u", (unsigned)uid);
	snprintf(lname, sizeof(lname), "%u.lock", (unsigned)uid);
	st->dfd = open_store_dir(dir);
	if (st->dfd < 0) {
		free(st);
		return why_fail(why, whylen, TG_E_IO,
				"store directory missing, not root's, or open to others: ", dir);
	}
	st->lock = lock_at(st->dfd, lname, wait_ms);
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

/* Reads the file behind fd (already checked) into a NUL-terminated buffer. */
static char *read_all(int fd, size_t size)
{
	char *buf = malloc(size + 1);
	size_t got = 0;
	while (buf != NULL && got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (buf != NULL && got != size) {
		tg_wipe(buf, size + 1);
		free(buf);
		return NULL;
	}
	if (buf != NULL)
		buf[size] = '\0';
	return buf;
}

static tg_rc move_aside(tg_store *st, const char *cause, char *why, size_t whylen)
{
	char aside[64];
	snprintf(aside, sizeof(aside), "%s.corrupt.%lld", st->name, (long long)time(NULL));
	if (renameat(st->dfd, st->name, st->dfd, aside) != 0)
		unlinkat(st->dfd, st->name, 0);
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "session file corrupt (%s), moved aside to %s", cause, aside);
	fsync(st->dfd);
	return TG_E_MALFORMED;
}

/* Reads NAME in the store directory under the session file's rules: no
 * link, a regular file of ours, nothing for group or others, one link, at
 * most max bytes. TG_OK with *buf NULL when it does not exist; otherwise
 * TG_E_IO and *bad says why (the caller frees and wipes *buf). */
static tg_rc read_checked(tg_store *st, const char *name, size_t max, char **buf, size_t *len,
			  const char **bad)
{
	struct stat sb;
	*buf = NULL;
	*len = 0;
	*bad = NULL;
	int fd = openat(st->dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return TG_OK;
	if (fd < 0) {
		*bad = errno == ELOOP ? "a symbolic link" : strerror(errno);
		return TG_E_IO;
	}
	if (fstat(fd, &sb) != 0)
		*bad = "cannot stat";
	else if (!S_ISREG(sb.st_mode))
		*bad = "not a regular file";
	else if (sb.st_uid != 0 && sb.st_uid != geteuid())
		*bad = "not owned by root";
	else if ((sb.st_mode & 077) != 0)
		*bad = "readable or writable by group or others";
	else if (sb.st_nlink != 1)
		*bad = "has more than one link";
	else if (sb.st_size > (off_t)max)
		*bad = "larger than the size cap";
	else if ((*buf = read_all(fd, (size_t)sb.st_size)) == NULL)
		*bad = "unreadable";
	close(fd);
	if (*bad != NULL)
		return TG_E_IO;
	*len = (size_t)sb.st_size;
	return TG_OK;
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

static void side_name(const tg_store *st, const char *suffix, char *buf, size_t n)
{
	snprintf(buf, n, "%s.%s", st->name, suffix);
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
static tg_rc read_side(tg_store *st, const char *suffix, json_t **out)
{
	char name[48], *buf = NULL;
	size_t len = 0;
	const char *bad = NULL;
	*out = NULL;
	side_name(st, suffix, name, sizeof(name));
	if (read_checked(st, name, 4096, &buf, &len, &bad) != TG_OK)
		return TG_E_IO;
	if (buf == NULL)
		return TG_OK;
	tg_rc rc = tg_json_parse_object(buf, len, 4096, 4, out);
	free(buf);
	return rc == TG_OK ? TG_OK : TG_E_IO;
}

static tg_rc write_side(tg_store *st, const char *suffix, json_t *j)
{
	char name[48];
	char *text = json_dumps(j, JSON_COMPACT);
	if (text == NULL)
		return TG_E_NOMEM;
	side_name(st, suffix, name, sizeof(name));
	tg_rc rc = tg_write_atomically_at(st->dfd, name, text, strlen(text));
	free(text);
	return rc;
}

/* Unlinks NAME (gone already is fine) and makes that durable. */
static tg_rc remove_name(tg_store *st, const char *name)
{
	if (unlinkat(st->dfd, name, 0) != 0 && errno != ENOENT)
		return TG_E_IO;
	fsync(st->dfd);
	return TG_OK;
}

static tg_rc remove_side(tg_store *st, const char *suffix)
{
	char name[48];
	side_name(st, suffix, name, sizeof(name));
	return remove_name(st, name);
}

tg_rc tg_store_purge(tg_store *st, int64_t now, const char *reason)
{
	json_t *m = json_pack("{s:I,s:s}", "revoked_at", (json_int_t)now, "reason", reason);
	tg_rc rc = m != NULL ? write_side(st, "revoked", m) : TG_E_NOMEM;
	json_decref(m);
	/* no marker, no purge: the end of a session must stick */
	return rc != TG_OK ? rc : tg_store_remove(st);
}

tg_rc tg_store_revoked(tg_store *st, int64_t *at, char *reason, size_t n)
{
	json_t *m = NULL;
	tg_rc rc = read_side(st, "revoked", &m);
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
	return remove_side(st, "revoked");
}

tg_rc tg_store_owner(tg_store *st, char *iss, size_t issn, char *sub, size_t subn)
{
	json_t *o = NULL;
	tg_rc rc = read_side(st, "owner", &o);
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
	tg_rc rc = o != NULL ? write_side(st, "owner", o) : TG_E_NOMEM;
	json_decref(o);
	return rc;
}

tg_rc tg_store_clear_owner(tg_store *st)
{
	return remove_side(st, "owner");
}

tg_rc tg_store_remove(tg_store *st)
{
	return remove_name(st, st->name);
}
