/*
 * cache.c - the on-disk cache of fetched documents. Every file is written
 * to a temporary O_CREAT|O_EXCL 0600 file in the same directory, fsynced,
 * renamed over the old one and the directory fsynced: a crash leaves the
 * old or the new file, never a mix.
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

#define CACHE_MAX_BYTES (2u * 1024u * 1024u)

static bool safe_name(const char *name)
{
	if (name == NULL || *name == '\0' || *name == '.' || strlen(name) > 128)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/')
			return false;
	return true;
}

void tg_cache_entry_clear(struct tg_cache_entry *e)
{
	free(e->url);
	free(e->body);
	memset(e, 0, sizeof(*e));
}

tg_rc tg_cache_read(const char *dir, const char *name, struct tg_cache_entry *e)
{
	char path[4096], *buf = NULL;
	size_t len = 0;
	json_t *j = NULL;
	memset(e, 0, sizeof(*e));
	if (!safe_name(name) || snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return TG_E_CONFIG;
	if (tg_read_file_safely(path, CACHE_MAX_BYTES, &buf, &len, NULL, 0) != TG_OK)
		return TG_E_IO;
	tg_rc rc = tg_json_parse_object(buf, len, CACHE_MAX_BYTES, 4, &j);
	free(buf);
	if (rc != TG_OK)
		return TG_E_MALFORMED;
	const json_t *body = json_object_get(j, "body");
	const char *url = json_string_value(json_object_get(j, "url"));
	json_t *v = json_object_get(j, "v");
	if (!json_is_integer(v) || json_integer_value(v) != 1 || !json_is_string(body) ||
	    !tg_json_int(json_object_get(j, "fetched_at"), &e->fetched_at) ||
	    !tg_json_int(json_object_get(j, "max_age"), &e->max_age)) {
		json_decref(j);
		return TG_E_MALFORMED;
	}
	e->body = tg_strndup(json_string_value(body), json_string_length(body));
	e->len = json_string_length(body);
	e->url = tg_strdup(url);
	json_decref(j);
	return e->body ? TG_OK : TG_E_NOMEM;
}

int tg_dir_open(const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
			(st.st_mode & (S_IWGRP | S_IWOTH)))) {
		close(fd); /* someone else's or a shared directory: not ours */
		return -1;
	}
	return fd;
}

int tg_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static tg_rc write_atomically(const char *dir, const char *name, const char *data,
			      size_t len)
{
	int dfd = tg_dir_open(dir);
	if (dfd < 0)
		return TG_E_IO;
	tg_rc rc = tg_write_atomically_at(dfd, name, data, len);
	close(dfd);
	return rc;
}

tg_rc tg_write_atomically_at(int dfd, const char *name, const char *data, size_t len)
{
	return tg_write_atomically_as(dfd, name, data, len, (uid_t)-1);
}

tg_rc tg_write_atomically_as(int dfd, const char *name, const char *data, size_t len,
			     uid_t owner)
{
	char tmp[160];
	snprintf(tmp, sizeof(tmp), ".%s.%ld.%ld.tmp", name, (long)getpid(), (long)time(NULL));
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	tg_rc rc = TG_E_IO;
	if (fd >= 0) {
		bool ok = (owner == (uid_t)-1 || fchown(fd, owner, (gid_t)-1) == 0) &&
			  tg_write_all(fd, data, len) == 0 && fsync(fd) == 0;
		ok = close(fd) == 0 && ok;
		if (ok && renameat(dfd, tmp, dfd, name) == 0 && fsync(dfd) == 0)
			rc = TG_OK;
		else
			unlinkat(dfd, tmp, 0);
	}
	return rc;
}

tg_rc tg_cache_write(const char *dir, const char *name, const struct tg_cache_entry *e)
{
	if (!safe_name(name))
		return TG_E_CONFIG;
	json_t *j = json_pack("{s:i,s:I,s:I,s:s?,s:s%}", "v", 1, "fetched_at",
			      (json_int_t)e->fetched_at, "max_age", (json_int_t)e->max_age,
			      "url", e->url, "body", e->body, e->len);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL)
		return TG_E_NOMEM;
	tg_rc rc = write_atomically(dir, name, text, strlen(text));
	free(text);
	return rc;
}

int tg_cache_lock(const char *dir, const char *name, unsigned wait_ms)
{
	char lname[160];
	int dfd = tg_dir_open(dir);
	if (dfd < 0 || !safe_name(name))
		return dfd < 0 ? -1 : (close(dfd), -1);
	snprintf(lname, sizeof(lname), "%s.lock", name);
	int fd = openat(dfd, lname, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		close(dfd);
		return -1;
	}
	for (unsigned waited = 0;; waited += 10) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			/* Still the file of that name? cleanup may have removed it
			 * between our open and flock: then lock the new one. */
			struct stat a, b;
			if (fstat(fd, &a) == 0 && fstatat(dfd, lname, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
			    a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
				close(dfd);
				return fd;
			}
			close(fd);
			fd = openat(dfd, lname, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (fd < 0)
				break;
			continue;
		}
		if (errno != EWOULDBLOCK || waited >= wait_ms)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (fd >= 0)
		close(fd);
	close(dfd);
	return -1;
}

void tg_cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int64_t tg_cache_stamp_get(const char *dir, const char *name)
{
	struct tg_cache_entry e;
	int64_t t = 0;
	if (tg_cache_read(dir, name, &e) == TG_OK)
		t = e.fetched_at;
	tg_cache_entry_clear(&e);
	return t;
}

void tg_cache_stamp_set(const char *dir, const char *name, int64_t t)
{
	char empty[1] = "";
	struct tg_cache_entry e = { .fetched_at = t, .max_age = -1, .body = empty };
	tg_cache_write(dir, name, &e);
}
