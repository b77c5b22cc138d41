/*
 * lockout.c - per-user and per-host failure counters. Each counter is a
 * small JSON file named by a hash of the user or host name (no user input
 * ever becomes a path), updated under its own lock.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "cache.h"
#include "lockout.h"

struct counter {
	int64_t count, since, until;
};

static void counter_name(char kind, const char *key, char *out, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)key, strlen(key), md);
	int n = snprintf(out, len, "%c-", kind);
	for (size_t i = 0; i < 12 && (size_t)n + 2 < len; i++)
		n += snprintf(out + n, len - (size_t)n, "%02x", md[i]);
}

static void dir_of(const struct tg_lockout *l, char *out, size_t len)
{
	snprintf(out, len, "%s/lockout", tg_config_value(l->cfg, NULL, "cache_dir"));
}

static void read_counter(const char *dir, const char *name, struct counter *c)
{
	char path[4200], *buf = NULL;
	size_t len = 0;
	json_t *j = NULL;
	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (tg_read_file_safely(path, 4096, &buf, &len, NULL, 0) != TG_OK)
		return;
	if (tg_json_parse_object(buf, len, 4096, 2, &j) == TG_OK &&
	    (!tg_json_int(json_object_get(j, "count"), &c->count) ||
	     !tg_json_int(json_object_get(j, "since"), &c->since) ||
	     !tg_json_int(json_object_get(j, "until"), &c->until)))
		memset(c, 0, sizeof(*c)); /* a damaged counter counts from zero */
	json_decref(j);
	free(buf);
}

static void write_counter(const char *dir, const char *name, const struct counter *c)
{
	char text[128];
	int n = snprintf(text, sizeof(text), "{\"count\":%lld,\"since\":%lld,\"until\":%lld}",
			 (long long)c->count, (long long)c->since, (long long)c->until);
	int dfd = tg_dir_open(dir);
	if (dfd >= 0) {
		tg_write_atomically_at(dfd, name, text, (size_t)n);
		close(dfd);
	}
}

static bool locked(const char *dir, char kind, const char *key, int64_t now,
		   int64_t *until)
{
	char name[40];
	struct counter c;
	if (key == NULL || *key == '\0')
		return false;
	counter_name(kind, key, name, sizeof(name));
	read_counter(dir, name, &c);
	*until = c.until;
	return c.until > now;
}

tg_rc tg_lockout_check(const struct tg_lockout *l, const char **who, int64_t *until)
{
	char dir[4200];
	dir_of(l, dir, sizeof(dir));
	if (locked(dir, 'u', l->user, l->now, until)) {
		*who = "user";
		return TG_E_LOCKED_OUT;
	}
	if (locked(dir, 'r', l->rhost, l->now, until)) {
		*who = "rhost";
		return TG_E_LOCKED_OUT;
	}
	return TG_OK;
}

/* One failure on one counter; true when it reached the limit now. */
static bool count_one(const struct tg_lockout *l, const char *dir, char kind,
		      const char *key, int64_t *until)
{
	char name[40];
	struct counter c;
	if (key == NULL || *key == '\0')
		return false;
	counter_name(kind, key, name, sizeof(name));
	int fd = tg_cache_lock(dir, name, 2000);
	read_counter(dir, name, &c);
	long limit = tg_config_number(l->cfg, NULL, "lockout_attempts");
	int64_t window = tg_config_seconds(l->cfg, NULL, "lockout_window");
	if (c.since == 0 || l->now - c.since >= window || l->now < c.since) {
		c.since = l->now;
		c.count = 0;
	}
	c.count++;
	bool now_locked = false;
	if (limit > 0 && c.count >= limit && c.until <= l->now) {
		c.until = l->now + tg_config_seconds(l->cfg, NULL, "lockout_time");
		c.count = 0;
		c.since = 0;
		now_locked = true;
	}
	*until = c.until;
	write_counter(dir, name, &c);
	tg_cache_unlock(fd);
	return now_locked;
}

bool tg_lockout_failure(const struct tg_lockout *l, const char **who, int64_t *until)
{
	char dir[4200];
	dir_of(l, dir, sizeof(dir));
	char parent[4200];
	snprintf(parent, sizeof(parent), "%s", tg_config_value(l->cfg, NULL, "cache_dir"));
	int pfd = tg_dir_open(parent); /* creates the cache directory first */
	if (pfd >= 0)
		close(pfd);
	bool u = count_one(l, dir, 'u', l->user, until);
	int64_t ru = 0;
	bool r = count_one(l, dir, 'r', l->rhost, &ru);
	*who = u ? "user" : r ? "rhost" : NULL;
	if (!u && r)
		*until = ru;
	return u || r;
}

void tg_lockout_success(const struct tg_lockout *l)
{
	char dir[4200], name[40];
	if (l->user == NULL)
		return;
	dir_of(l, dir, sizeof(dir));
	counter_name('u', l->user, name, sizeof(name));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0) {
		unlinkat(dfd, name, 0);
		close(dfd);
	}
}
