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
#include <unistd.h>

#include "ctl.h"
#include "ctl_health.h"
#include "lockout.h"
#include "settings.h"
#include "userdb.h"


#define TMP_AGE 3600
#define KEEP_AGE (7 * 86400)

struct cctx {
	const tg_config *cfg;
	const char *store;	/* store_dir */
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
static void expired_session(struct cctx *c, const struct tg_store_file *f)
{
	struct ctl_session v;
	if (!ctl_session_read(c->cfg, c->store, f->uid, c->now, &v))
		return;
	if (strcmp(v.state, "expired") != 0 || v.has_refresh || v.grace_left > 0 || v.open > 0)
		return;
	tg_store *st = NULL;
	char why[256];
	if (tg_store_open(c->store, f->uid, 2000, &st, why, sizeof(why)) != TG_OK)
		return;
	if (c->dry || tg_store_remove(st) == TG_OK)
		removed(c, c->store, f->name, "expired session: no refresh token, offline grace over");
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

static bool old_temp(const struct cctx *c, int64_t mtime)
{
	return c->now - mtime > TMP_AGE;
}

/* One file of the store (its kind from store_dir.c). */
static int store_file(void *ud, int dfd, const struct tg_store_file *f)
{
	struct cctx *c = ud;
	if (f->kind == TG_STORE_TEMP) {
		if (old_temp(c, f->mtime))
			unlink_one(c, dfd, c->store, f->name, "temporary file of an interrupted write");
		return 0;
	}
	int gone = user_gone(f->uid);
	if (gone < 0)
		return 0; /* the name service failed: remove nothing of this uid */
	if (gone)
		unlink_one(c, dfd, c->store, f->name, "the user no longer exists");
	else if (f->kind == TG_STORE_SESSION)
		expired_session(c, f);
	else if (f->kind == TG_STORE_CORRUPT && f->moved_at > 0 && c->now - f->moved_at > KEEP_AGE)
		unlink_one(c, dfd, c->store, f->name, "moved-aside corrupt file older than a week");
	return 0;
}

/* The cache directory holds no store files: only temporary ones go. */
static void sweep_cache(struct cctx *c, const char *dir)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	struct dirent *e;
	struct stat sb;
	while ((e = readdir(d)) != NULL) {
		if (tg_file_is_temp(e->d_name) &&
		    fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    old_temp(c, (int64_t)sb.st_mtime))
			unlink_one(c, dirfd(d), dir, e->d_name, "temporary file of an interrupted write");
	}
	closedir(d);
}

/* Records of people disabled for longer than users_expire (their files
 * stay). Without a user database there is nothing to do. */
static void expire_users(struct cctx *c)
{
	char why[320] = "";
	if (!tg_userdb_exists(c->cfg))
		return;
	tg_userdb *db = NULL;
	size_t n = 0;
	if (tg_userdb_open(c->cfg, 5000, &db, why, sizeof(why)) != TG_OK) {
		fprintf(stderr, "tokengatectl: the user database: %s\n", why);
		return;
	}
	tg_userdb_expire(db, c->now, tg_settings(c->cfg)->users_expire, &n);
	if (n == 0 || c->dry) {
		tg_userdb_close(db);
	} else if (tg_userdb_commit(db, why, sizeof(why)) != TG_OK) {
		fprintf(stderr, "tokengatectl: the user database: %s\n", why);
		return;
	}
	if (n > 0) {
		snprintf(why, sizeof(why), "%zu record%s disabled for longer than users_expire", n,
			 n == 1 ? "" : "s");
		c->removed += (unsigned)n - 1;
		removed(c, c->store, "users.json", why);
	}
}

int ctl_cleanup(int argc, char **argv)
{
	struct cctx c = { .now = tg_unix_time() };
	tg_config *cfg = ctl_simple_config(argc, argv,
					   "tokengatectl cleanup [--config FILE] [--dry-run]",
					   "--dry-run", &c.dry);
	if (cfg == NULL)
		return CTL_USAGE;
	c.cfg = cfg;
	c.json = strcmp(tg_config_audit_format(cfg), "json") == 0;
	openlog("tokengate", LOG_PID, LOG_AUTHPRIV);
	c.store = tg_settings(cfg)->store_dir;
	if (tg_store_each(c.store, store_file, &c) != TG_OK)
		fprintf(stderr, "tokengatectl: cannot read the session store %s\n", c.store);
	sweep_cache(&c, tg_settings(cfg)->cache_dir);
	size_t counters = tg_lockout_cleanup(cfg, c.now, c.dry);
	if (counters > 0) {
		char why[96];
		snprintf(why, sizeof(why), "%zu lockout counter%s past their window", counters,
			 counters == 1 ? "" : "s");
		c.removed += (unsigned)counters - 1;
		removed(&c, tg_settings(cfg)->cache_dir, "lockout", why);
	}
	expire_users(&c);
	printf("%u file%s %s\n", c.removed, c.removed == 1 ? "" : "s",
	       c.dry ? "would be removed" : "removed");
	closelog();
	tg_config_free(cfg);
	return CTL_OK;
}
