/*
 * ctl_cleanup.c - tokengatectl cleanup [--config FILE] [--dry-run]: removes
 * what can never be used again, and nothing else:
 *   - sessions whose access token has expired, that hold no refresh token,
 *     and whose offline grace has ended (and no PAM session is open);
 *   - the files of uids that no longer exist (session, lock, markers);
 *   - temporary files of interrupted writes (".NAME.PID.TIME.tmp") older
 *     than an hour, in store_dir and cache_dir;
 *   - moved-aside corrupt session files ("UID.corrupt.TIME") older than a
 *     week;
 *   - lockout counters whose window and lock are both over (so probing a
 *     thousand bogus names leaves nothing behind).
 * Revocation markers ("UID.revoked") and account owners ("UID.owner") of
 * existing users stay: a revocation sticks until a fresh online login,
 * and only `tokengatectl revoke` releases an account from its identity.
 * Each removal is printed and audited (event=cleanup result=remove).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#include "ctl.h"
#include "ctl_health.h"
#include "lockout.h"


#define TMP_AGE 3600
#define KEEP_AGE (7 * 86400)

struct cctx {
	const tg_config *cfg;
	bool dry;
	bool json;
	int64_t now;
	unsigned removed;
};

static void removed(struct cctx *c, const char *dir, const char *name, const char *why)
{
	char detail[400];
	snprintf(detail, sizeof(detail), "%s/%s: %s", dir, name, why);
	printf("%s %s\n", c->dry ? "would remove" : "removed", detail);
	c->removed++;
	if (c->dry)
		return;
	tg_audit *a = tg_audit_new("cleanup");
	tg_audit_add(a, "result", "remove");
	tg_audit_add(a, "reason", "ok");
	tg_audit_add(a, "service", "tokengatectl");
	tg_audit_add(a, "detail", detail);
	char *line = tg_audit_render(a, c->json);
	if (line != NULL)
		syslog(LOG_NOTICE, "%s", line);
	free(line);
	tg_audit_free(a);
}

static int64_t age_of(int dfd, const char *name, int64_t now)
{
	struct stat sb;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	return now - (int64_t)sb.st_mtime;
}

static void unlink_one(struct cctx *c, int dfd, const char *dir, const char *name, const char *why)
{
	if (!c->dry && unlinkat(dfd, name, 0) != 0 && errno != ENOENT) {
		fprintf(stderr, "tokengatectl: cannot remove %s/%s\n", dir, name);
		return;
	}
	removed(c, dir, name, why);
}

/* An expired session that nothing can renew, removed under the user's
 * lock (a login may be writing it). */
static void expired_session(struct cctx *c, const char *dir, uint32_t uid)
{
	struct ctl_session v;
	if (!ctl_session_read(c->cfg, dir, uid, c->now, &v))
		return;
	if (strcmp(v.state, "expired") != 0 || v.has_refresh || v.grace_left > 0 || v.open > 0)
		return;
	tg_store *st = NULL;
	char why[256], name[24];
	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	if (tg_store_open(dir, uid, 2000, &st, why, sizeof(why)) != TG_OK)
		return;
	if (c->dry || tg_store_remove(st) == TG_OK)
		removed(c, dir, name, "expired session: no refresh token, offline grace over");
	tg_store_close(st);
}

/* 1 when the name service says the uid does not exist, 0 when it does,
 * -1 when it could not say (an outage must not delete anyone's owner or
 * revocation marker). */
static int user_gone(uint32_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	int e = getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res);
	if (e == 0)
		return res == NULL;
	return e == ENOENT || e == ESRCH || e == EBADF || e == EPERM ? 1 : -1;
}

/* What kind of store file is this? The uid prefix, and the rest. */
static void store_entry(struct cctx *c, int dfd, const char *dir, const char *name)
{
	const char *dot = strchr(name, '.');
	size_t len = dot ? (size_t)(dot - name) : strlen(name);
	if (!ctl_uid_name(name, len))
		return;
	uint32_t uid = (uint32_t)strtoul(name, NULL, 10);
	int gone = user_gone(uid);
	if (gone < 0)
		return; /* the name service failed: remove nothing of this uid */
	if (gone) {
		unlink_one(c, dfd, dir, name, "the user no longer exists");
		return;
	}
	if (dot == NULL) {
		expired_session(c, dir, uid);
	} else if (strncmp(dot, ".corrupt.", 9) == 0) {
		int64_t t = strtoll(dot + 9, NULL, 10);
		if (t > 0 && c->now - t > KEEP_AGE)
			unlink_one(c, dfd, dir, name, "moved-aside corrupt file older than a week");
	}
}

static void sweep(struct cctx *c, const char *dir, bool store)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		const char *n = e->d_name;
		size_t len = strlen(n);
		if (n[0] == '.' && len > 5 && strcmp(n + len - 4, ".tmp") == 0) {
			if (age_of(dirfd(d), n, c->now) > TMP_AGE)
				unlink_one(c, dirfd(d), dir, n, "temporary file of an interrupted write");
		} else if (store) {
			store_entry(c, dirfd(d), dir, n);
		}
	}
	closedir(d);
}

int ctl_cleanup(int argc, char **argv)
{
	struct cctx c = { .now = (int64_t)time(NULL) };
	tg_config *cfg = ctl_simple_config(argc, argv,
					   "tokengatectl cleanup [--config FILE] [--dry-run]",
					   "--dry-run", &c.dry);
	if (cfg == NULL)
		return CTL_USAGE;
	c.cfg = cfg;
	c.json = strcmp(tg_config_audit_format(cfg), "json") == 0;
	openlog("tokengate", LOG_PID, LOG_AUTHPRIV);
	sweep(&c, tg_config_value(cfg, NULL, "store_dir"), true);
	sweep(&c, tg_config_value(cfg, NULL, "cache_dir"), false);
	size_t counters = tg_lockout_cleanup(cfg, c.now, c.dry);
	if (counters > 0) {
		char why[96];
		snprintf(why, sizeof(why), "%zu lockout counter%s past their window", counters,
			 counters == 1 ? "" : "s");
		c.removed += (unsigned)counters - 1;
		removed(&c, tg_config_value(cfg, NULL, "cache_dir"), "lockout", why);
	}
	printf("%u file%s %s\n", c.removed, c.removed == 1 ? "" : "s",
	       c.dry ? "would be removed" : "removed");
	closelog();
	tg_config_free(cfg);
	return CTL_OK;
}
