/*
 * file.c - the safe file operations (file.h): checked reads, atomic
 * writes, directory opens, locks and durable removal. The config, key,
 * cache, lockout and session store files all go through these.
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

#include "file.h"

/* What the rules say of an open file, or NULL when it may be read. */
static const char *refusal(int fd, size_t max_bytes, unsigned rules, struct stat *sb)
{
	if (fstat(fd, sb) != 0)
		return "cannot stat";
	if (!S_ISREG(sb->st_mode))
		return "not a regular file";
	if (sb->st_uid != 0 && sb->st_uid != geteuid())
		return "not owned by root";
	if ((rules & TG_FILE_PRIVATE) && (sb->st_mode & (S_IRWXG | S_IRWXO)))
		return "readable or writable by group or others";
	if (sb->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	if ((rules & TG_FILE_SECRET) && (sb->st_mode & (S_IRWXG | S_IRWXO)))
		return "a secret readable by group or others";
	if ((rules & TG_FILE_ONE_LINK) && sb->st_nlink != 1)
		return "has more than one link";
	if (sb->st_size < 0 || (uintmax_t)sb->st_size > max_bytes)
		return "larger than the size cap";
	return NULL;
}

/* Reads exactly size bytes into *out: a file that grows or shrinks
 * meanwhile is refused (*bad says why). */
static tg_rc read_exactly(int fd, size_t size, char **out, const char **bad)
{
	char *buf = malloc(size + 1);
	size_t len = 0;
	if (buf == NULL) {
		*bad = "out of memory";
		return TG_E_NOMEM;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, size + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			*bad = "unreadable";
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len > size)
			break;
	}
	if (*bad == NULL && len != size)
		*bad = "changed while being read";
	if (*bad != NULL) {
		tg_wipe(buf, size + 1);
		free(buf);
		return TG_E_IO;
	}
	buf[size] = '\0';
	*out = buf;
	return TG_OK;
}

tg_rc tg_file_read_at(int dfd, const char *name, size_t max_bytes, unsigned rules,
		      char **out, size_t *outlen, const char **bad)
{
	struct stat sb;
	*out = NULL;
	*outlen = 0;
	*bad = NULL;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT && (rules & TG_FILE_MISSING_OK))
		return TG_OK;
	if (fd < 0) {
		*bad = errno == ELOOP ? "a symbolic link" : strerror(errno);
		return TG_E_IO;
	}
	*bad = refusal(fd, max_bytes, rules, &sb);
	tg_rc rc = *bad != NULL ? TG_E_IO : read_exactly(fd, (size_t)sb.st_size, out, bad);
	close(fd);
	if (rc == TG_OK)
		*outlen = (size_t)sb.st_size;
	return rc;
}

tg_rc tg_read_file_safely(const char *path, size_t max_bytes, char **out, size_t *outlen,
			  char *err, size_t errlen)
{
	const char *bad = NULL;
	*out = NULL;
	*outlen = 0;
	if (path == NULL || *path == '\0') {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "(null): no path");
		return TG_E_IO;
	}
	tg_rc rc = tg_file_read_at(AT_FDCWD, path, max_bytes, 0, out, outlen, &bad);
	if (rc != TG_OK && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, bad);
	return rc;
}

tg_rc tg_read_secret_file(const char *path, char **out, char *err, size_t errlen)
{
	const char *bad = NULL;
	size_t len = 0;
	*out = NULL;
	if (path == NULL || *path == '\0') {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "(null): no path");
		return TG_E_IO;
	}
	tg_rc rc = tg_file_read_at(AT_FDCWD, path, 4096, TG_FILE_SECRET, out, &len, &bad);
	if (rc != TG_OK && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, bad);
	if (rc == TG_OK)
		while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
			(*out)[--len] = '\0';
	return rc;
}

/* Opens dir (created 0700 first when create) and checks it: root's or
 * ours, not writable by group or others, and with private nothing at all
 * for them. */
static int dir_open_mode(const char *dir, bool create, bool private, mode_t mode)
{
	if (create && mkdir(dir, mode) < 0 && errno != EEXIST)
		return -1;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
			(st.st_mode & (private ? 077 : (S_IWGRP | S_IWOTH))) != 0)) {
		close(fd); /* someone else's or a shared directory: not ours */
		errno = EPERM;
		return -1;
	}
	return fd;
}

static int dir_open(const char *dir, bool create, bool private)
{
	return dir_open_mode(dir, create, private, 0700);
}

int tg_dir_open_public(const char *dir)
{
	return dir_open_mode(dir, true, false, 0755);
}

int tg_dir_open(const char *dir)
{
	return dir_open(dir, true, false);
}

int tg_dir_open_private(const char *dir)
{
	return dir_open(dir, true, true);
}

int tg_dir_open_existing_private(const char *dir)
{
	return dir_open(dir, false, true);
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

tg_rc tg_write_atomically_at(int dfd, const char *name, const char *data, size_t len)
{
	return tg_write_atomically_as(dfd, name, data, len, (uid_t)-1);
}

static tg_rc write_atomically(int dfd, const char *name, const char *data, size_t len,
			      uid_t owner, mode_t mode);

tg_rc tg_write_atomically_as(int dfd, const char *name, const char *data, size_t len,
			     uid_t owner)
{
	return write_atomically(dfd, name, data, len, owner, 0600);
}

tg_rc tg_write_public_at(int dfd, const char *name, const char *data, size_t len)
{
	return write_atomically(dfd, name, data, len, (uid_t)-1, 0644);
}

static tg_rc write_atomically(int dfd, const char *name, const char *data, size_t len,
			      uid_t owner, mode_t mode)
{
	char tmp[160];
	/* the temporary name tg_file_is_temp knows */
	snprintf(tmp, sizeof(tmp), ".%s.%ld.%ld.tmp", name, (long)getpid(), (long)time(NULL));
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	tg_rc rc = TG_E_IO;
	if (fd >= 0) {
		bool ok = (owner == (uid_t)-1 || fchown(fd, owner, (gid_t)-1) == 0) &&
			  (mode == 0600 || fchmod(fd, mode) == 0) &&
			  tg_write_all(fd, data, len) == 0 && fsync(fd) == 0;
		ok = close(fd) == 0 && ok;
		if (ok && renameat(dfd, tmp, dfd, name) == 0 && fsync(dfd) == 0)
			rc = TG_OK;
		else
			unlinkat(dfd, tmp, 0);
	}
	return rc;
}

bool tg_file_is_temp(const char *name)
{
	size_t len = strlen(name);
	return name[0] == '.' && len > 5 && strcmp(name + len - 4, ".tmp") == 0;
}

tg_rc tg_file_remove_at(int dfd, const char *name)
{
	if (unlinkat(dfd, name, 0) != 0 && errno != ENOENT)
		return TG_E_IO;
	fsync(dfd);
	return TG_OK;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Is fd still the file named lname in dfd? */
static bool still_named(int dfd, const char *lname, int fd)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && fstatat(dfd, lname, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

int tg_file_lock_at(int dfd, const char *lname, unsigned wait_ms)
{
	int fd = openat(dfd, lname, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	uint64_t until = mono_ms() + wait_ms;
	for (unsigned naps = 0;; naps++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (still_named(dfd, lname, fd))
				return fd;
			/* removed between our open and flock: lock the new one */
			close(fd);
			fd = openat(dfd, lname, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (fd < 0)
				return -1;
			continue;
		}
		if (errno != EWOULDBLOCK || mono_ms() >= until)
			break;
		/* 2 ms at first, then 10 ms: a session refresh takes a few ms */
		struct timespec ts = { 0, (naps < 10 ? 2 : 10) * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	int e = errno;
	close(fd);
	errno = e;
	return e == EWOULDBLOCK ? -2 : -1;
}
