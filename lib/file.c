/*
 * file.c - reading configuration and key files safely: no symlink as the
 * last component, a regular file owned by root (or by the caller, for
 * unprivileged tests and tools), not writable by group or others, capped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tg_internal.h"

static tg_rc file_error(char *err, size_t errlen, const char *path,
			const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", path, what);
	return TG_E_IO;
}

static tg_rc read_checked(const char *path, size_t max_bytes, bool secret,
			  char **out, size_t *outlen, char *err, size_t errlen);

tg_rc tg_read_file_safely(const char *path, size_t max_bytes, char **out,
			  size_t *outlen, char *err, size_t errlen)
{
	return read_checked(path, max_bytes, false, out, outlen, err, errlen);
}

tg_rc tg_read_secret_file(const char *path, char **out, char *err, size_t errlen)
{
	size_t len = 0;
	tg_rc rc = read_checked(path, 4096, true, out, &len, err, errlen);
	if (rc == TG_OK)
		while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
			(*out)[--len] = '\0';
	return rc;
}

static tg_rc read_checked(const char *path, size_t max_bytes, bool secret,
			  char **out, size_t *outlen, char *err, size_t errlen)
{
	struct stat st;
	*out = NULL;
	*outlen = 0;
	if (path == NULL || *path == '\0')
		return file_error(err, errlen, "(null)", "no path");
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return file_error(err, errlen, path,
				  errno == ELOOP ? "is a symbolic link" : strerror(errno));
	const char *bad = NULL;
	if (fstat(fd, &st) != 0)
		bad = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		bad = "not a regular file";
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		bad = "not owned by root";
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		bad = "writable by group or others";
	else if (secret && (st.st_mode & (S_IRWXG | S_IRWXO)))
		bad = "a secret readable by group or others";
	else if ((size_t)st.st_size > max_bytes)
		bad = "too large";
	if (bad != NULL) {
		close(fd);
		return file_error(err, errlen, path, bad);
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t len = 0;
	if (buf == NULL) {
		close(fd);
		return TG_E_NOMEM;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			bad = strerror(errno);
			break;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > (size_t)st.st_size) {
			bad = "changed while being read";
			break;
		}
	}
	close(fd);
	if (bad != NULL) {
		tg_wipe(buf, (size_t)st.st_size + 1);
		free(buf);
		return file_error(err, errlen, path, bad);
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return TG_OK;
}
