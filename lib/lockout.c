/*
 * lockout.c - per-(user, rhost) password counters. Each counter is a small
 * JSON file named by a hash of the pair (no user input ever becomes a
 * path), updated under its own lock.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "cache.h"
#include "lockout.h"
#include "settings.h"

struct counter {
	int64_t count, since, until;
};

/* "p-" + 24 hex digits of SHA-256(user NUL rhost). */
static void counter_name(const struct tg_ctx *l, char *out, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char pair[1300];
	const char *rhost = l->rhost ? l->rhost : "";
	/* user NUL rhost: no two pairs share a name (user names have no NUL) */
	int k = snprintf(pair, sizeof(pair), "%.256s%c%.1000s", l->user, '\0', rhost);
	SHA256((const unsigned char *)pair, (size_t)k, md);
	int n = snprintf(out, len, "p-");
	for (size_t i = 0; i < 12 && (size_t)n + 2 < len; i++)
		n += snprintf(out + n, len - (size_t)n, "%02x", md[i]);
}

static void dir_of(const tg_config *cfg, char *out, size_t len)
{
	snprintf(out, len, "%s/lockout", tg_settings(cfg)->cache_dir);
}

/* TG_OK (a missing file is a zero count), TG_E_INTERNAL when the file is
 * there and cannot be read or understood. */
static tg_rc read_counter(const char *dir, const char *name, struct counter *c)
{
	char path[4200], *buf = NULL;
	const char *bad = NULL;
	size_t len = 0;
	json_t *j = NULL;
	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (tg_file_read_at(AT_FDCWD, path, 4096, TG_FILE_MISSING_OK, &buf, &len, &bad) != TG_OK)
		return TG_E_INTERNAL;
	if (buf == NULL)
		return TG_OK;
	tg_rc rc = TG_E_INTERNAL;
	if (tg_json_parse_object(buf, len, 4096, 2, &j) == TG_OK &&
	    tg_json_int(json_object_get(j, "count"), &c->count) &&
	    tg_json_int(json_object_get(j, "since"), &c->since) &&
	    tg_json_int(json_object_get(j, "until"), &c->until) && c->count >= 0)
		rc = TG_OK;
	json_decref(j);
	free(buf);
	return rc;
}

static tg_rc write_counter(const char *dir, const char *name, const struct counter *c)
{
	char text[128];
	int n = snprintf(text, sizeof(text), "{\"count\":%lld,\"since\":%lld,\"until\":%lld}",
			 (long long)c->count, (long long)c->since, (long long)c->until);
	int dfd = tg_dir_open(dir);
	if (dfd < 0)
		return TG_E_INTERNAL;
	tg_rc rc = tg_write_atomically_at(dfd, name, text, (size_t)n);
	close(dfd);
	return rc == TG_OK ? TG_OK : TG_E_INTERNAL;
}

/* The counter of the pair, locked: fd >= 0 to unlock, or -1 (fail). */
static int open_counter(const struct tg_ctx *l, char *dir, size_t dlen, char *name,
			size_t nlen, struct counter *c)
{
	char parent[4200];
	snprintf(parent, sizeof(parent), "%s", tg_settings(l->cfg)->cache_dir);
	int pfd = tg_dir_open(parent); /* creates the cache directory first */
	if (pfd < 0)
		return -1;
	close(pfd);
	dir_of(l->cfg, dir, dlen);
	counter_name(l, name, nlen);
	int fd = tg_cache_lock(dir, name, 2000); /* creates lockout/ too */
	if (fd < 0)
		return -1;
	if (read_counter(dir, name, c) != TG_OK) {
		tg_cache_unlock(fd);
		return -1;
	}
	return fd;
}

static bool window_over(const struct tg_ctx *l, const struct counter *c)
{
	int64_t window = tg_settings(l->cfg)->lockout_window;
	return c->since == 0 || l->now - c->since >= window || l->now < c->since;
}

tg_rc tg_lockout_begin(const struct tg_ctx *l, int64_t *until)
{
	char dir[4200], name[40];
	struct counter c;
	*until = 0;
	if (l->user == NULL || *l->user == '\0')
		return TG_E_INTERNAL;
	int fd = open_counter(l, dir, sizeof(dir), name, sizeof(name), &c);
	if (fd < 0)
		return TG_E_INTERNAL;
	long limit = tg_settings(l->cfg)->lockout_attempts;
	tg_rc rc = TG_OK;
	if (c.until > l->now) {
		*until = c.until;
		rc = TG_E_LOCKED_OUT;
	} else {
		if (window_over(l, &c)) {
			c.since = l->now;
			c.count = 0;
		}
		if (limit > 0 && c.count >= limit) {
			/* the limit is reached by attempts still in flight */
			*until = c.until = l->now + tg_settings(l->cfg)->lockout_time;
			rc = TG_E_LOCKED_OUT;
		} else {
			c.count++;
		}
		if (write_counter(dir, name, &c) != TG_OK)
			rc = TG_E_INTERNAL;
	}
	tg_cache_unlock(fd);
	return rc;
}

bool tg_lockout_end(const struct tg_ctx *l, enum tg_lockout_outcome how, int64_t *until)
{
	char dir[4200], name[40];
	struct counter c;
	bool locked = false;
	*until = 0;
	int fd = open_counter(l, dir, sizeof(dir), name, sizeof(name), &c);
	if (fd < 0)
		return false;
	long limit = tg_settings(l->cfg)->lockout_attempts;
	if (how == TG_LOCKOUT_SUCCESS) {
		int dfd = tg_dir_open(dir);
		if (dfd >= 0) {
			unlinkat(dfd, name, 0);
			close(dfd);
		}
	} else {
		if (how == TG_LOCKOUT_UNDO && c.count > 0)
			c.count--;
		if (how == TG_LOCKOUT_REFUSED && limit > 0 && c.count >= limit && c.until <= l->now) {
			*until = c.until = l->now + tg_settings(l->cfg)->lockout_time;
			c.count = 0;
			c.since = 0;
			locked = true;
		}
		write_counter(dir, name, &c);
	}
	tg_cache_unlock(fd);
	return locked;
}

/* Counters and their lock files: "p-" + 24 hex digits (+ ".lock"). */
static bool counter_file(const char *n, bool *is_lock)
{
	size_t len = strlen(n);
	*is_lock = len == 31 && strcmp(n + 26, ".lock") == 0;
	if (strncmp(n, "p-", 2) != 0 || (len != 26 && !*is_lock))
		return false;
	for (size_t i = 2; i < 26; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return false;
	return true;
}

size_t tg_lockout_cleanup(const tg_config *cfg, int64_t now, bool dry_run)
{
	char dir[4200];
	dir_of(cfg, dir, sizeof(dir));
	DIR *d = opendir(dir);
	size_t n = 0;
	if (d == NULL)
		return 0;
	int dfd = dirfd(d);
	int64_t window = tg_settings(cfg)->lockout_window;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		bool lock = false;
		struct counter c;
		if (!counter_file(e->d_name, &lock))
			continue;
		if (lock) {
			/* its counter is gone: removed while we hold the lock, so
			 * no one is between reading and writing it (tg_cache_lock
			 * checks that the file it locked is still the one named) */
			char base[32];
			snprintf(base, sizeof(base), "%.26s", e->d_name);
			int fd = tg_cache_lock(dir, base, 0);
			if (fd >= 0 && faccessat(dfd, base, F_OK, 0) != 0 && !dry_run)
				unlinkat(dfd, e->d_name, 0);
			tg_cache_unlock(fd);
			continue;
		}
		int fd = tg_cache_lock(dir, e->d_name, 0);
		if (fd < 0)
			continue; /* in use right now */
		bool dead = read_counter(dir, e->d_name, &c) != TG_OK || /* damaged: fail closed until removed */
			    (c.until <= now && (c.count == 0 || now - c.since >= window || now < c.since));
		if (dead) {
			n++;
			if (!dry_run)
				unlinkat(dfd, e->d_name, 0);
		}
		tg_cache_unlock(fd);
	}
	closedir(d);
	return n;
}
