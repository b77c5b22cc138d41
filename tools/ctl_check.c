/*
 * ctl_check.c - tokengatectl check-config [--config FILE]: every problem in
 * a configuration file, one per line as FILE:LINE: message on stdout, where
 * the helper would refuse the file at its first (PAM_AUTHINFO_UNAVAIL,
 * event=config). Exit 0 and "FILE: ok" when there is none, 1 when there
 * are problems, 2 for a usage error or a file that cannot be read at all.
 *
 * A file the helper refuses for its ownership, mode or kind (a symbolic
 * link, writable by group or others, not owned by root) is one problem; its
 * contents are still read and checked, so one run shows everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_internal.h"
#include "ctl.h"

static void print_problem(void *ud, const char *msg)
{
	(void)ud;
	printf("%s\n", msg);
}

/* The file without the helper's safety rules (they were reported already),
 * or NULL when it cannot be read at all (err says why). *big: larger than a
 * configuration may be, not read. */
static char *read_anyway(const char *path, size_t *len, bool *big, char *err,
			 size_t errlen)
{
	struct stat st;
	*len = 0;
	*big = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	const char *bad = NULL;
	if (fstat(fd, &st) != 0)
		bad = strerror(errno);
	else if (S_ISDIR(st.st_mode))
		bad = "is a directory";
	else if (!S_ISREG(st.st_mode))
		bad = "not a regular file";
	if (bad != NULL) {
		snprintf(err, errlen, "%s: %s", path, bad);
		close(fd);
		return NULL;
	}
	char *buf = malloc(TG_CONFIG_MAX_BYTES + 1);
	if (buf == NULL || (size_t)st.st_size > TG_CONFIG_MAX_BYTES) {
		*big = buf != NULL;
		close(fd);
		if (buf == NULL)
			snprintf(err, errlen, "%s: out of memory", path);
		return buf;
	}
	while (*len < TG_CONFIG_MAX_BYTES + 1) {
		ssize_t r = read(fd, buf + *len, TG_CONFIG_MAX_BYTES + 1 - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	close(fd);
	return buf;
}

int ctl_check_config(int argc, char **argv)
{
	const char *path = ctl_config_path(argc, argv, "tokengatectl check-config [--config FILE]",
					   NULL, NULL);
	if (path == NULL)
		return CTL_USAGE;
	char err[512] = "";
	char *buf = NULL;
	size_t len = 0;
	unsigned n = 0;
	if (tg_read_file_safely(path, TG_CONFIG_MAX_BYTES, &buf, &len, err, sizeof(err)) !=
	    TG_OK) {
		/* The helper would refuse it as it is; is it readable at all? */
		char why[512] = "";
		bool big = false;
		buf = read_anyway(path, &len, &big, why, sizeof(why));
		if (buf == NULL) {
			fprintf(stderr, "tokengatectl: %s\n", why);
			return CTL_USAGE;
		}
		print_problem(NULL, err[0] ? err : path);
		n++;
		if (big) { /* that was the problem; its lines are not read */
			free(buf);
			buf = NULL;
		}
	}
	if (buf != NULL)
		n += tg_config_problems(path, buf, len, print_problem, NULL);
	free(buf);
	if (n == 0) {
		printf("%s: ok\n", path);
		return CTL_OK;
	}
	fflush(stdout);
	fprintf(stderr, "tokengatectl: %u problem%s in %s\n", n, n == 1 ? "" : "s", path);
	return CTL_REJECTED;
}
