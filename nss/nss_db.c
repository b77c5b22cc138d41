/*
 * nss_db.c - the database of libnss_tokengate: where it is, when it is
 * trusted, and which records are answered at all.
 */
#include "nss_tokengate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "username.h"

/* The shipped build reads the directory compiled in and nothing else; the
 * test build (TG_TESTING) takes a per-suite directory from TG_NSS_DIR. */
static const char *db_dir(void)
{
#ifdef TG_TESTING
	const char *d = getenv("TG_NSS_DIR");
	if (d != NULL && d[0] == '/')
		return d;
#endif
	return TG_NSS_DIR;
}

/* Root-owned, not writable by group or other, of the wanted type. */
static bool safe(int fd, mode_t type)
{
	struct stat st;
	return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == type && st.st_uid == 0 &&
		(st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

enum nss_status tgn_open(enum tgn_file which, FILE **fp, int *errnop)
{
	*fp = NULL;
	int dfd = open(db_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0 || !safe(dfd, S_IFDIR)) {
		if (dfd >= 0)
			close(dfd);
		*errnop = ENOENT;
		return NSS_STATUS_UNAVAIL;
	}
	/* O_NONBLOCK: a FIFO in its place must not hang the caller; the type
	 * check below refuses it. */
	int fd = openat(dfd, which == TGN_PASSWD ? "passwd" : "group",
		O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	close(dfd);
	if (fd >= 0 && safe(fd, S_IFREG))
		*fp = fdopen(fd, "r");
	if (*fp == NULL) {
		if (fd >= 0)
			close(fd);
		*errnop = ENOENT;
		return NSS_STATUS_UNAVAIL;
	}
	/* only this thread sees the stream (enumeration holds its mutex) */
	__fsetlocking(*fp, FSETLOCKING_BYCALLER);
	return NSS_STATUS_SUCCESS;
}

/* tg_login_name_ok, and never root, an nss_compat marker (+name) or a
 * name that reads as a number. */
bool tgn_name_ok(const char *name)
{
	return tg_record_name_ok(name);
}

/* "x" or "*": no password here (a hash, or an empty field, which some
 * stacks take as "no password needed", is never served). */
static bool no_password(const char *p)
{
	return p != NULL && (strcmp(p, "x") == 0 || strcmp(p, "*") == 0);
}

static bool id_ok(unsigned long id)
{
	return id != 0 && id != (unsigned long)(uid_t)-1;
}

bool tgn_passwd_ok(const struct passwd *pw)
{
	return tgn_name_ok(pw->pw_name) && no_password(pw->pw_passwd) && id_ok(pw->pw_uid) &&
		id_ok(pw->pw_gid) && pw->pw_dir != NULL && pw->pw_dir[0] == '/' &&
		pw->pw_shell != NULL && pw->pw_shell[0] == '/';
}

bool tgn_group_ok(const struct group *gr)
{
	if (!tgn_name_ok(gr->gr_name) || !no_password(gr->gr_passwd) || !id_ok(gr->gr_gid) ||
		gr->gr_mem == NULL)
		return false;
	for (char **m = gr->gr_mem; *m != NULL; m++)
		if (!tgn_name_ok(*m))
			return false;
	return true;
}

enum nss_status tgn_read_status(int rc, int *errnop)
{
	switch (rc) {
	case 0:
		return NSS_STATUS_SUCCESS;
	case ENOENT:
		return NSS_STATUS_NOTFOUND;
	case ERANGE:
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	default:
		*errnop = rc;
		return NSS_STATUS_UNAVAIL;
	}
}

enum nss_status tgn_enum_set(struct tgn_enum *e)
{
	int err = 0;
	pthread_mutex_lock(&e->lock);
	/* a fresh open, not a rewind: the writer replaces the file by rename */
	if (e->fp != NULL)
		fclose(e->fp);
	enum nss_status st = tgn_open(e->which, &e->fp, &err);
	pthread_mutex_unlock(&e->lock);
	return st;
}

enum nss_status tgn_enum_end(struct tgn_enum *e)
{
	pthread_mutex_lock(&e->lock);
	if (e->fp != NULL)
		fclose(e->fp);
	e->fp = NULL;
	pthread_mutex_unlock(&e->lock);
	return NSS_STATUS_SUCCESS;
}

FILE *tgn_enum_stream(struct tgn_enum *e, enum nss_status *st, int *errnop)
{
	*st = NSS_STATUS_SUCCESS;
	if (e->fp == NULL)
		*st = tgn_open(e->which, &e->fp, errnop);
	return e->fp;
}
