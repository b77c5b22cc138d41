/*
 * metrics.c - counters for `tokengatectl metrics`, shared by every helper
 * process: a file of 64-bit counters in cache_dir ("metrics", root, 0600),
 * one slot per name below, incremented under flock with pread/pwrite. No
 * fsync: a counter lost in a crash is not worth a disk flush per login.
 * Slots are only ever appended, so an older file stays readable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tg_internal.h"

#define METRICS_FILE "metrics"

/* "decision:EVENT:RESULT:METHOD", "grace:allow", "refresh:RESULT",
 * "lockout:RESULT", "provider_error:CLASS". */
static const char *const slots[] = {
#define DECISIONS(ev) \
	"decision:" ev ":allow:token", "decision:" ev ":allow:password", \
	"decision:" ev ":allow:device", "decision:" ev ":allow:-", \
	"decision:" ev ":deny:token", "decision:" ev ":deny:password", \
	"decision:" ev ":deny:device", "decision:" ev ":deny:-"
	DECISIONS("auth"), DECISIONS("account"), DECISIONS("session_open"),
	DECISIONS("session_close"),
#undef DECISIONS
	"grace:allow",
	"refresh:ok", "refresh:error", "refresh:deny",
	"lockout:lock", "lockout:deny",
	"provider_error:network", "provider_error:timeout", "provider_error:tls",
	"provider_error:http_4xx", "provider_error:http_429", "provider_error:http_5xx",
	"provider_error:malformed", "provider_error:too_big", "provider_error:bad_url",
	"provider_error:unavailable", "provider_error:circuit_open",
};
#define NSLOTS (sizeof(slots) / sizeof(slots[0]))

size_t tg_metrics_slots(void)
{
	return NSLOTS;
}

const char *tg_metrics_slot_name(size_t i)
{
	return i < NSLOTS ? slots[i] : NULL;
}

static long slot_of(const char *name)
{
	for (size_t i = 0; i < NSLOTS; i++)
		if (strcmp(slots[i], name) == 0)
			return (long)i;
	return -1;
}

void tg_metrics_count(const char *cache_dir, const char *name)
{
	long slot = name ? slot_of(name) : -1;
	if (slot < 0 || cache_dir == NULL)
		return;
	int dfd = tg_dir_open(cache_dir);
	if (dfd < 0)
		return;
	int fd = openat(dfd, METRICS_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dfd);
	if (fd < 0)
		return;
	struct stat sb;
	uint64_t v = 0;
	off_t at = (off_t)slot * (off_t)sizeof(v);
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_nlink == 1 &&
	    flock(fd, LOCK_EX) == 0) {
		if (pread(fd, &v, sizeof(v), at) != (ssize_t)sizeof(v))
			v = 0;
		v++;
		if (pwrite(fd, &v, sizeof(v), at) != (ssize_t)sizeof(v))
			errno = EIO; /* a lost count; nothing else to do */
	}
	close(fd);
}

void tg_metrics_decision(const char *cache_dir, const char *event, const char *result,
			 const char *method)
{
	char name[96];
	const char *m = method && (!strcmp(method, "token") || !strcmp(method, "password") ||
				   !strcmp(method, "device")) ? method : "-";
	snprintf(name, sizeof(name), "decision:%s:%s:%s", event,
		 strcmp(result, "allow") == 0 ? "allow" : "deny", m);
	tg_metrics_count(cache_dir, name);
}

size_t tg_metrics_read(const char *cache_dir, uint64_t *vals, size_t n)
{
	memset(vals, 0, n * sizeof(*vals));
	int dfd = cache_dir ? tg_dir_open(cache_dir) : -1;
	if (dfd < 0)
		return 0;
	int fd = openat(dfd, METRICS_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return 0;
	ssize_t got = 0;
	if (flock(fd, LOCK_SH) == 0)
		got = pread(fd, vals, n * sizeof(*vals), 0);
	close(fd);
	return got > 0 ? (size_t)got / sizeof(*vals) : 0;
}
