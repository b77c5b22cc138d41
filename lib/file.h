/*
 * file.h - every safe file operation of libtokengate, in one place
 * (file.c): checked reads, atomic writes, directory opens, locks and
 * durable removal. Callers name files; the rules are kept here.
 *
 * A checked read refuses, whatever the caller: a symbolic link as the
 * last component, anything but a regular file, a file owned by neither
 * root nor the caller (tests and tools run unprivileged), a file writable
 * by group or others, and a file larger than the caller's cap or changed
 * while being read. Rules add to that (TG_FILE_*).
 */
#ifndef TG_FILE_H
#define TG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "tg_internal.h"

enum {
	TG_FILE_PRIVATE = 1,	/* nothing at all for group or others (store files) */
	TG_FILE_SECRET = 2,	/* the same, said of a secret the config names */
	TG_FILE_ONE_LINK = 4,	/* exactly one hard link */
	TG_FILE_MISSING_OK = 8,	/* absent: TG_OK with *out NULL */
};

/* Reads name (relative to dfd, or a path with AT_FDCWD) under the rules
 * above into a NUL-terminated buffer the caller wipes and frees. On
 * refusal TG_E_IO (TG_E_NOMEM when out of memory) and *bad says why. */
TG_HIDDEN tg_rc tg_file_read_at(int dfd, const char *name, size_t max_bytes, unsigned rules,
				char **out, size_t *outlen, const char **bad);
/* The same by path, the refusal in err as "PATH: why". */
TG_HIDDEN tg_rc tg_read_file_safely(const char *path, size_t max_bytes, char **out,
				    size_t *outlen, char *err, size_t errlen);
/* A secret (client secret): TG_FILE_SECRET, at most 4 KiB, the trailing
 * newline removed. Wipe it with tg_free_secret. */
TG_HIDDEN tg_rc tg_read_secret_file(const char *path, char **out, char *err, size_t errlen);

/* A directory opened for *at() calls (O_DIRECTORY|O_NOFOLLOW), created
 * 0700 when missing; refused (-1, errno EPERM) unless owned by root or the
 * caller and not writable by group or others. */
TG_HIDDEN int tg_dir_open(const char *dir);
/* The same, created 0755 (the NSS files every process reads). */
TG_HIDDEN int tg_dir_open_public(const char *dir);
/* The same, and nothing at all for group or others (the session store). */
TG_HIDDEN int tg_dir_open_private(const char *dir);
/* The same checks without creating it: -1 with errno ENOENT when it is
 * not there (for listing). */
TG_HIDDEN int tg_dir_open_existing_private(const char *dir);

/* Writes dfd/name atomically: a temporary O_CREAT|O_EXCL 0600 file in the
 * same directory, fsync, renameat, fsync of the directory. A crash at any
 * point leaves the old file or the new one. */
TG_HIDDEN tg_rc tg_write_atomically_at(int dfd, const char *name, const char *data,
				       size_t len);
/* The same, the file handed to owner (a user's own file; (uid_t)-1 keeps
 * the caller's). */
TG_HIDDEN tg_rc tg_write_atomically_as(int dfd, const char *name, const char *data,
				       size_t len, uid_t owner);
/* The same, the file 0644 (read by every process: the NSS files). */
TG_HIDDEN tg_rc tg_write_public_at(int dfd, const char *name, const char *data, size_t len);
/* Is name a temporary file of an atomic write (".NAME.PID.TIME.tmp")? */
TG_HIDDEN bool tg_file_is_temp(const char *name);
TG_HIDDEN int tg_write_all(int fd, const char *p, size_t n);

/* Unlinks dfd/name (gone already is fine) and fsyncs the directory. */
TG_HIDDEN tg_rc tg_file_remove_at(int dfd, const char *name);

/* An exclusive flock on dfd/lname (created 0600), waiting up to wait_ms
 * (0: try once). The lock is on the file of that name when it is taken:
 * one removed meanwhile (cleanup) is replaced and locked again. Returns
 * the fd to close to unlock, -2 when the lock stayed busy, -1 on error. */
TG_HIDDEN int tg_file_lock_at(int dfd, const char *lname, unsigned wait_ms);

#endif
