/*
 * test_store.c - the session store's file rules, the session schema, the
 * offline password verifier, session ids, the lockout counters, and the
 * store directory's names and walk, the proof of auth with its session id.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "authproof.h"
#include "lockout.h"
#include "store.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return tu_tmpdir(dir, sizeof(dir), "store-test");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmdir(dir);
}

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	char p[128];
	path_of(p, sizeof(p), name);
	unlink(p);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
}

static bool exists(const char *name)
{
	char p[128];
	path_of(p, sizeof(p), name);
	return access(p, F_OK) == 0;
}

static size_t count_prefix(const char *prefix)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	if (d)
		closedir(d);
	return n;
}

static tg_rc load_in(const char *d, uint32_t uid, json_t **sess, char *why, size_t n)
{
	tg_store *st = NULL;
	tg_rc rc = tg_store_open(d, uid, 0, &st, why, n);
	if (rc == TG_OK)
		rc = tg_store_load(st, sess, why, n);
	tg_store_close(st);
	return rc;
}

static tg_rc load(uint32_t uid, json_t **sess, char *why, size_t n)
{
	return load_in(dir, uid, sess, why, n);
}

static void test_round_trip_keeps_unknown_members(void **state)
{
	(void)state;
	tg_store *st = NULL;
	char why[256];
	json_t *s = tg_session_new("alice", 5001, 1000);
	assert_non_null(s);
	assert_rc(tg_session_set_str(s, "refresh_token", "rt-1"), TG_OK);
	json_object_set_new(s, "x_future", json_string("kept"));
	assert_rc(tg_store_open(dir, 5001, 0, &st, why, sizeof(why)), TG_OK);
	assert_rc(tg_store_save(st, s), TG_OK);
	tg_session_free(s);
	s = NULL;
	assert_rc(tg_store_load(st, &s, why, sizeof(why)), TG_OK);
	assert_non_null(s);
	assert_string_equal(tg_session_str(s, "refresh_token"), "rt-1");
	assert_rc(tg_session_set_str(s, "refresh_token", "rt-2"), TG_OK);
	assert_rc(tg_store_save(st, s), TG_OK);
	tg_session_free(s);
	assert_rc(tg_store_load(st, &s, why, sizeof(why)), TG_OK);
	assert_string_equal(tg_session_str(s, "refresh_token"), "rt-2");
	assert_string_equal(tg_session_str(s, "x_future"), "kept");
	tg_session_free(s);
	tg_store_close(st);
	struct stat sb;
	char p[128];
	path_of(p, sizeof(p), "5001");
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(count_prefix(".5001."), 0); /* no temp file left */
}

static void test_no_file_is_no_session(void **state)
{
	(void)state;
	json_t *s = (json_t *)1;
	char why[256];
	assert_rc(load(5002, &s, why, sizeof(why)), TG_OK);
	assert_null(s);
}

static void corrupt_case(const char *text)
{
	json_t *s = NULL;
	char why[256] = "";
	write_file("5003", text, 0600);
	assert_rc(load(5003, &s, why, sizeof(why)), TG_E_MALFORMED);
	assert_null(s);
	assert_false(exists("5003"));
	assert_non_null(strstr(why, "moved aside to 5003.corrupt."));
}

static void test_corrupt_files_are_moved_aside(void **state)
{
	(void)state;
	corrupt_case("{\"version\":1,\"user\":");
	corrupt_case("not json");
	corrupt_case("{\"version\":2,\"user\":\"carol\",\"uid\":5003}");
	corrupt_case("{\"version\":1,\"user\":\"carol\",\"uid\":5004}");	/* another uid */
	corrupt_case("{\"version\":1,\"user\":\"carol\",\"uid\":5003,\"access_exp\":\"x\"}");
	corrupt_case("{\"version\":1,\"user\":\"carol\",\"uid\":5003,\"uid\":5003}");
	assert_int_equal(count_prefix("5003.corrupt."), 1); /* same second: renamed over */
}

static void test_unsafe_files_are_refused_and_kept(void **state)
{
	(void)state;
	json_t *s = NULL;
	char why[256], p[128], q[128];
	const char *ok = "{\"version\":1,\"user\":\"dave\",\"uid\":5005}";
	write_file("5005", ok, 0640);
	assert_rc(load(5005, &s, why, sizeof(why)), TG_E_IO);
	assert_non_null(strstr(why, "group or others"));
	assert_true(exists("5005"));
	write_file("5005", ok, 0600);
	path_of(p, sizeof(p), "5005");
	path_of(q, sizeof(q), "5005-link");
	assert_int_equal(link(p, q), 0);
	assert_rc(load(5005, &s, why, sizeof(why)), TG_E_IO);
	assert_non_null(strstr(why, "more than one link"));
	unlink(q);
	write_file("target", ok, 0600);
	unlink(p);
	path_of(q, sizeof(q), "target");
	assert_int_equal(symlink(q, p), 0);
	assert_rc(load(5005, &s, why, sizeof(why)), TG_E_IO);
	assert_non_null(strstr(why, "symbolic link"));
	unlink(p);
	char *big = malloc(TG_STORE_MAX_BYTES + 2);
	memset(big, ' ', TG_STORE_MAX_BYTES + 1);
	big[TG_STORE_MAX_BYTES + 1] = '\0';
	write_file("5005", big, 0600);
	free(big);
	assert_rc(load(5005, &s, why, sizeof(why)), TG_E_IO);
	assert_non_null(strstr(why, "size cap"));
	write_file("5005", ok, 0600);
	assert_rc(load(5005, &s, why, sizeof(why)), TG_OK);
	assert_non_null(s);
	tg_session_free(s);
}

static void test_lock_is_exclusive(void **state)
{
	(void)state;
	tg_store *a = NULL, *b = NULL;
	char why[256];
	assert_rc(tg_store_open(dir, 5006, 0, &a, why, sizeof(why)), TG_OK);
	assert_rc(tg_store_open(dir, 5006, 50, &b, why, sizeof(why)), TG_E_TIMEOUT);
	assert_null(b);
	assert_rc(tg_store_open(dir, 5007, 0, &b, why, sizeof(why)), TG_OK); /* another user */
	tg_store_close(b);
	tg_store_close(a);
	assert_rc(tg_store_open(dir, 5006, 0, &b, why, sizeof(why)), TG_OK);
	tg_store_close(b);
}

static void test_store_directory_open_to_others_is_refused(void **state)
{
	(void)state;
	char p[128], why[256];
	tg_store *st = NULL;
	path_of(p, sizeof(p), "shared");
	assert_int_equal(mkdir(p, 0755), 0);
	assert_rc(tg_store_open(p, 5008, 0, &st, why, sizeof(why)), TG_E_IO);
	assert_rc(tg_store_open("relative/dir", 5008, 0, &st, why, sizeof(why)), TG_E_CONFIG);
}

static void test_offline_password(void **state)
{
	(void)state;
	char *v = NULL;
	assert_rc(tg_offline_pw_make("correct horse", &v), TG_OK);
	assert_true(strncmp(v, "$y$", 3) == 0);
	assert_rc(tg_offline_pw_check(v, "correct horse"), TG_OK);
	assert_rc(tg_offline_pw_check(v, "correct hors"), TG_E_BAD_PASSWORD);
	assert_rc(tg_offline_pw_check(v, ""), TG_E_BAD_PASSWORD);
	/* no hash computed (a damaged or foreign verifier): a local failure,
	 * never a wrong guess that counts towards a lockout */
	assert_rc(tg_offline_pw_check("$1$md5salt$x", "correct horse"), TG_E_INTERNAL);
	assert_rc(tg_offline_pw_check("$y$damaged", "correct horse"), TG_E_INTERNAL);
	assert_rc(tg_offline_pw_check(NULL, "x"), TG_E_INTERNAL);
	char *w = NULL;
	assert_rc(tg_offline_pw_make("correct horse", &w), TG_OK);
	assert_string_not_equal(v, w); /* salted */
	tg_free_secret(v);
	tg_free_secret(w);
}

static void test_uuid(void **state)
{
	(void)state;
	char a[40], b[40];
	assert_rc(tg_uuid4(a, sizeof(a)), TG_OK);
	assert_rc(tg_uuid4(b, sizeof(b)), TG_OK);
	assert_int_equal(strlen(a), 36);
	assert_true(a[14] == '4' && strchr("89ab", a[19]) != NULL);
	assert_string_not_equal(a, b);
	assert_rc(tg_uuid4(a, 36), TG_E_INTERNAL);
}

static tg_config *lockout_config(const char *cache)
{
	char conf[512], err[256];
	tg_config *cfg = NULL;
	snprintf(conf, sizeof(conf),
		 "[global]\ncache_dir = %s/%s\nlockout_attempts = 3\nlockout_window = 1m\n"
		 "lockout_time = 5m\n[issuer a]\nissuer = https://a.example\njwks_file = /x\n"
		 "audience = x\n", dir, cache);
	assert_rc(tg_config_parse("t.conf", conf, strlen(conf), NULL, NULL, &cfg, err,
				  sizeof(err)), TG_OK);
	return cfg;
}

/* One guess: begin, then end with how; returns whether it locked. */
static bool guess(const struct tg_ctx *l, enum tg_lockout_outcome how)
{
	int64_t until = 0;
	assert_rc(tg_lockout_begin(l, &until), TG_OK);
	return tg_lockout_end(l, how, &until);
}

static void test_lockout(void **state)
{
	(void)state;
	tg_config *cfg = lockout_config("c1");
	struct tg_ctx l = { .cfg = cfg, .user = "erin", .rhost = "192.0.2.7", .now = 10000 };
	int64_t until = 0;
	assert_false(guess(&l, TG_LOCKOUT_REFUSED));
	assert_false(guess(&l, TG_LOCKOUT_REFUSED));
	l.now += 61; /* the window passed: counting starts again */
	assert_false(guess(&l, TG_LOCKOUT_REFUSED));
	assert_false(guess(&l, TG_LOCKOUT_REFUSED));
	/* not a verdict on the password (provider down, config): taken back */
	assert_false(guess(&l, TG_LOCKOUT_UNDO));
	assert_false(guess(&l, TG_LOCKOUT_UNDO));
	assert_rc(tg_lockout_begin(&l, &until), TG_OK);
	assert_true(tg_lockout_end(&l, TG_LOCKOUT_REFUSED, &until));
	assert_int_equal(until, l.now + 300);
	assert_rc(tg_lockout_begin(&l, &until), TG_E_LOCKED_OUT);
	/* the pair is locked, not the user: erin from elsewhere, and another
	 * user from the same host, may still try */
	struct tg_ctx other = l;
	other.rhost = "198.51.100.9";
	assert_rc(tg_lockout_begin(&other, &until), TG_OK);
	assert_false(tg_lockout_end(&other, TG_LOCKOUT_SUCCESS, &until));
	other = l;
	other.user = "frank";
	assert_rc(tg_lockout_begin(&other, &until), TG_OK);
	tg_lockout_end(&other, TG_LOCKOUT_SUCCESS, &until);
	l.now += 301;
	assert_rc(tg_lockout_begin(&l, &until), TG_OK);
	tg_lockout_end(&l, TG_LOCKOUT_SUCCESS, &until);
	/* a success forgets the count */
	assert_false(guess(&l, TG_LOCKOUT_REFUSED));
	assert_false(guess(&l, TG_LOCKOUT_SUCCESS));
	assert_false(guess(&l, TG_LOCKOUT_REFUSED));
	assert_false(guess(&l, TG_LOCKOUT_REFUSED));
	assert_true(guess(&l, TG_LOCKOUT_REFUSED));
	tg_config_free(cfg);
}

/* Attempts in flight count: with 3 allowed, a 4th begun before any of
 * them ended is refused. */
static void test_lockout_counts_before_asking(void **state)
{
	(void)state;
	tg_config *cfg = lockout_config("c2");
	struct tg_ctx l = { .cfg = cfg, .user = "gus", .rhost = NULL, .now = 20000 };
	int64_t until = 0;
	for (int i = 0; i < 3; i++)
		assert_rc(tg_lockout_begin(&l, &until), TG_OK);
	assert_rc(tg_lockout_begin(&l, &until), TG_E_LOCKED_OUT);
	tg_config_free(cfg);
}

/* A counter that cannot be read or written refuses (fail closed). */
static void test_lockout_fails_closed(void **state)
{
	(void)state;
	char path[600];
	tg_config *cfg = lockout_config("c3");
	struct tg_ctx l = { .cfg = cfg, .user = "hal", .rhost = "192.0.2.1", .now = 30000 };
	int64_t until = 0;
	assert_rc(tg_lockout_begin(&l, &until), TG_OK);
	tg_lockout_end(&l, TG_LOCKOUT_REFUSED, &until);
	/* damage hal's counter: it must not count from zero */
	snprintf(path, sizeof(path), "%s/c3/lockout", dir);
	DIR *d = opendir(path);
	struct dirent *e;
	int damaged = 0;
	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "p-", 2) == 0 && strlen(e->d_name) == 26) {
			char f[900];
			snprintf(f, sizeof(f), "%s/%s", path, e->d_name);
			FILE *fp = fopen(f, "w");
			assert_non_null(fp);
			fputs("{\"count\":", fp);
			fclose(fp);
			damaged++;
		}
	}
	if (d != NULL)
		closedir(d);
	assert_int_equal(damaged, 1);
	assert_rc(tg_lockout_begin(&l, &until), TG_E_INTERNAL);
	/* cleanup removes the damaged counter (and nothing locks then) */
	assert_int_equal(tg_lockout_cleanup(cfg, l.now, false), 1);
	assert_rc(tg_lockout_begin(&l, &until), TG_OK);
	tg_lockout_end(&l, TG_LOCKOUT_SUCCESS, &until);
	tg_config_free(cfg);
}

/* cleanup leaves nothing of guesses whose window is over. */
static void test_lockout_cleanup(void **state)
{
	(void)state;
	char name[32];
	tg_config *cfg = lockout_config("c4");
	struct tg_ctx l = { .cfg = cfg, .rhost = "203.0.113.5", .now = 40000 };
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "bogus%d", i);
		l.user = name;
		guess(&l, TG_LOCKOUT_REFUSED);
	}
	assert_int_equal(tg_lockout_cleanup(cfg, l.now, true), 0); /* still counting */
	assert_int_equal(tg_lockout_cleanup(cfg, l.now + 61, false), 50);
	assert_int_equal(tg_lockout_cleanup(cfg, l.now + 61, false), 0);
	tg_config_free(cfg);
}

/* The owner of an account and the revocation marker survive a purge; the
 * marker is not removed by saving a session (only by clearing it). */
static void test_owner_and_marker(void **state)
{
	(void)state;
	tg_store *st = NULL;
	char iss[64], sub[64], reason[32];
	int64_t at = 0;
	assert_rc(tg_store_open(dir, 5009, 100, &st, NULL, 0), TG_OK);
	assert_rc(tg_store_owner(st, iss, sizeof(iss), sub, sizeof(sub)), TG_E_NO_CREDENTIALS);
	assert_rc(tg_store_set_owner(st, "https://a.example", "s-1", 7), TG_OK);
	assert_rc(tg_store_owner(st, iss, sizeof(iss), sub, sizeof(sub)), TG_OK);
	assert_string_equal(iss, "https://a.example");
	assert_string_equal(sub, "s-1");
	assert_rc(tg_store_owner(st, iss, 4, sub, sizeof(sub)), TG_E_IO); /* does not fit */
	assert_rc(tg_store_revoked(st, &at, reason, sizeof(reason)), TG_E_NO_CREDENTIALS);
	json_t *s = tg_session_new("ivy", 5009, 7);
	assert_rc(tg_store_save(st, s), TG_OK);
	assert_rc(tg_store_purge(st, 99, "revoked"), TG_OK);
	assert_rc(tg_store_revoked(st, &at, reason, sizeof(reason)), TG_OK);
	assert_int_equal(at, 99);
	assert_string_equal(reason, "revoked");
	assert_rc(tg_store_owner(st, iss, sizeof(iss), sub, sizeof(sub)), TG_OK);
	assert_rc(tg_store_save(st, s), TG_OK);
	assert_rc(tg_store_revoked(st, &at, reason, sizeof(reason)), TG_OK);
	assert_rc(tg_store_clear_revoked(st), TG_OK);
	assert_rc(tg_store_revoked(st, &at, reason, sizeof(reason)), TG_E_NO_CREDENTIALS);
	assert_rc(tg_store_clear_owner(st), TG_OK);
	assert_rc(tg_store_owner(st, iss, sizeof(iss), sub, sizeof(sub)), TG_E_NO_CREDENTIALS);
	tg_session_free(s);
	tg_store_close(st);
}

/* ---- the store directory: names and walking them ---- */

struct seen {
	char names[32][48];
	enum tg_store_kind kinds[32];
	bool regular[32];
	int64_t moved_at[32];
	size_t n;
};

static int note_file(void *ud, int dfd, const struct tg_store_file *f)
{
	struct seen *s = ud;
	(void)dfd;
	assert_true(s->n < 32);
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", f->name);
	s->kinds[s->n] = f->kind;
	s->regular[s->n] = f->regular;
	s->moved_at[s->n] = f->moved_at;
	s->n++;
	return 0;
}

/* The kind tg_store_each gave name, or -1 when it skipped it. */
static int kind_of(const struct seen *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return (int)s->kinds[i];
	return -1;
}

static size_t index_of(const struct seen *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0)
			return i;
	fail_msg("%s not found", name);
	return 0;
}

static void test_store_walk_knows_every_name(void **state)
{
	(void)state;
	char walk[128], p[256], q[256];
	snprintf(walk, sizeof(walk), "%s/walk", dir);
	assert_int_equal(mkdir(walk, 0700), 0);
	static const char *const files[] = {
		"5001", "5001.lock", "5001.owner", "5001.revoked", "5001.corrupt.1700000000",
		"5002.revoked", "5003.corrupt.x", "5003.weird", ".5001.123.456.tmp",
		"4294967295", /* junk from here on */
		"05004", "4294967296", "99999999999", "auth.key", "5005-link", "README", "-1",
		"5008x", ".hidden", NULL,
	};
	for (size_t i = 0; files[i]; i++) {
		snprintf(p, sizeof(p), "%s/%s", walk, files[i]);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	/* a symbolic link and a directory under session names */
	snprintf(p, sizeof(p), "%s/5006", walk);
	snprintf(q, sizeof(q), "%s/5001.owner", walk);
	assert_int_equal(symlink(q, p), 0);
	snprintf(p, sizeof(p), "%s/5007", walk);
	assert_int_equal(mkdir(p, 0700), 0);

	struct seen s = { .n = 0 };
	assert_rc(tg_store_each(walk, note_file, &s), TG_OK);
	assert_int_equal(s.n, 12);
	assert_int_equal(kind_of(&s, "5001"), TG_STORE_SESSION);
	assert_int_equal(kind_of(&s, "5001.lock"), TG_STORE_LOCK);
	assert_int_equal(kind_of(&s, "5001.owner"), TG_STORE_OWNER);
	assert_int_equal(kind_of(&s, "5001.revoked"), TG_STORE_REVOKED);
	assert_int_equal(kind_of(&s, "5001.corrupt.1700000000"), TG_STORE_CORRUPT);
	assert_int_equal(s.moved_at[index_of(&s, "5001.corrupt.1700000000")], 1700000000);
	assert_int_equal(kind_of(&s, "5002.revoked"), TG_STORE_REVOKED);
	assert_int_equal(kind_of(&s, "5003.corrupt.x"), TG_STORE_OTHER);
	assert_int_equal(kind_of(&s, "5003.weird"), TG_STORE_OTHER);
	assert_int_equal(kind_of(&s, ".5001.123.456.tmp"), TG_STORE_TEMP);
	assert_int_equal(kind_of(&s, "4294967295"), TG_STORE_SESSION);
	assert_int_equal(kind_of(&s, "5006"), TG_STORE_SESSION);
	assert_false(s.regular[index_of(&s, "5006")]); /* reported, never followed */
	assert_int_equal(kind_of(&s, "5007"), TG_STORE_SESSION);
	assert_false(s.regular[index_of(&s, "5007")]);
	assert_true(s.regular[index_of(&s, "5001")]);
	for (size_t i = 10; files[i]; i++)
		assert_int_equal(kind_of(&s, files[i]), -1);

	struct tg_store_uid *u = NULL;
	size_t n = 0;
	assert_rc(tg_store_list(walk, &u, &n), TG_OK);
	assert_int_equal(n, 6);
	static const uint32_t uids[] = { 5001, 5002, 5003, 5006, 5007, 4294967295u };
	for (size_t i = 0; i < n; i++)
		assert_int_equal(u[i].uid, uids[i]); /* ascending */
	assert_int_equal(u[0].files, (1u << TG_STORE_SESSION) | (1u << TG_STORE_LOCK) |
				     (1u << TG_STORE_OWNER) | (1u << TG_STORE_REVOKED) |
				     (1u << TG_STORE_CORRUPT));
	assert_true(TG_STORE_HAS(&u[1], TG_STORE_REVOKED) && !TG_STORE_HAS(&u[1], TG_STORE_SESSION));
	assert_int_equal(u[2].files, 1u << TG_STORE_OTHER);
	free(u);

	/* a listed session that is a link is still refused when read */
	json_t *sess = NULL;
	char why[256];
	assert_rc(load_in(walk, 5006, &sess, why, sizeof(why)), TG_E_IO);
	assert_non_null(strstr(why, "symbolic link"));
	assert_rc(load_in(walk, 5007, &sess, why, sizeof(why)), TG_E_IO);
	assert_non_null(strstr(why, "not a regular file"));
}

/* The names the store writes are the names the walk knows. */
static void test_store_names_round_trip(void **state)
{
	(void)state;
	char walk[128], name[TG_STORE_NAME_MAX];
	snprintf(walk, sizeof(walk), "%s/names", dir);
	assert_int_equal(mkdir(walk, 0700), 0);
	tg_store *st = NULL;
	assert_rc(tg_store_open(walk, 0, 0, &st, NULL, 0), TG_OK);
	json_t *s = tg_session_new("root", 0, 1);
	assert_rc(tg_store_save(st, s), TG_OK);
	assert_rc(tg_store_set_owner(st, "https://a.example", "s", 1), TG_OK);
	assert_rc(tg_store_purge(st, 2, "revoked"), TG_OK);
	tg_session_free(s);
	tg_store_close(st);
	write_file("names/0", "{", 0600);
	assert_rc(load_in(walk, 0, &s, NULL, 0), TG_E_MALFORMED); /* moved aside */
	struct seen seen = { .n = 0 };
	assert_rc(tg_store_each(walk, note_file, &seen), TG_OK);
	assert_int_equal(seen.n, 4); /* lock, owner, revoked, corrupt copy */
	for (int k = TG_STORE_LOCK; k <= TG_STORE_REVOKED; k++) {
		tg_store_name(0, (enum tg_store_kind)k, 0, name, sizeof(name));
		assert_int_equal(kind_of(&seen, name), k);
	}
	size_t corrupt = 0;
	for (size_t i = 0; i < seen.n; i++)
		corrupt += seen.kinds[i] == TG_STORE_CORRUPT && seen.moved_at[i] > 0;
	assert_int_equal(corrupt, 1);
}

static void test_store_walk_refuses_unsafe_directories(void **state)
{
	(void)state;
	char p[128];
	struct tg_store_uid *u = (struct tg_store_uid *)1;
	size_t n = 1;
	snprintf(p, sizeof(p), "%s/absent", dir);
	assert_rc(tg_store_list(p, &u, &n), TG_OK); /* no store yet: none */
	assert_null(u);
	assert_int_equal(n, 0);
	assert_int_equal(access(p, F_OK), -1); /* and listing created nothing */
	snprintf(p, sizeof(p), "%s/open", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(chmod(p, 0750), 0);
	assert_rc(tg_store_list(p, &u, &n), TG_E_IO);
	char link[160];
	snprintf(link, sizeof(link), "%s/dirlink", dir);
	assert_int_equal(chmod(p, 0700), 0);
	assert_int_equal(symlink(p, link), 0);
	assert_rc(tg_store_list(link, &u, &n), TG_E_IO);
}

/* The proof of auth carries the login's session id, bound by the MAC:
 * nothing that writes the PAM environment can move a login's id. */
static void test_authproof_binds_the_session_id(void **state)
{
	(void)state;
	const char *sid = "6f1c2d7e-0b1a-4c55-9d7e-2a1f0c9e8b11";
	char proof[TG_AUTHPROOF_MAX], got[TG_SESSION_ID_LEN + 1], bad[TG_AUTHPROOF_MAX];
	int64_t now = 1800000000;
	assert_rc(tg_authproof_make(dir, "alice", "sshd", sid, now, proof, sizeof(proof)), TG_OK);
	assert_rc(tg_authproof_check(dir, proof, "alice", "sshd", now + 5, got), TG_OK);
	assert_string_equal(got, sid);
	/* another id in the same proof, the MAC kept */
	snprintf(bad, sizeof(bad), "%s", proof);
	char *p = strstr(bad, sid);
	assert_non_null(p);
	p[0] = p[0] == '6' ? '7' : '6';
	assert_rc(tg_authproof_check(dir, bad, "alice", "sshd", now, got), TG_E_NO_CREDENTIALS);
	assert_string_equal(got, "");
	/* the proof of before (no session id), another user or service, too old */
	snprintf(bad, sizeof(bad), "alice:sshd:%lld:%s", (long long)now, strrchr(proof, ':') + 1);
	assert_rc(tg_authproof_check(dir, bad, "alice", "sshd", now, got), TG_E_NO_CREDENTIALS);
	assert_rc(tg_authproof_check(dir, proof, "bob", "sshd", now, got), TG_E_NO_CREDENTIALS);
	assert_rc(tg_authproof_check(dir, proof, "alice", "sudo", now, got), TG_E_NO_CREDENTIALS);
	assert_rc(tg_authproof_check(dir, proof, "alice", "sshd", now + TG_AUTHPROOF_TTL + 1, got),
		  TG_E_NO_CREDENTIALS);
	/* no proof for an id that is not one */
	assert_rc(tg_authproof_make(dir, "alice", "sshd", "x:y", now, proof, sizeof(proof)),
		  TG_E_INTERNAL);
	assert_false(tg_session_id_ok("6F1C2D7E-0B1A-4C55-9D7E-2A1F0C9E8B11"));
	assert_false(tg_session_id_ok(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_keeps_unknown_members),
		cmocka_unit_test(test_no_file_is_no_session),
		cmocka_unit_test(test_corrupt_files_are_moved_aside),
		cmocka_unit_test(test_unsafe_files_are_refused_and_kept),
		cmocka_unit_test(test_lock_is_exclusive),
		cmocka_unit_test(test_store_directory_open_to_others_is_refused),
		cmocka_unit_test(test_offline_password),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_lockout),
		cmocka_unit_test(test_lockout_counts_before_asking),
		cmocka_unit_test(test_lockout_fails_closed),
		cmocka_unit_test(test_lockout_cleanup),
		cmocka_unit_test(test_owner_and_marker),
		cmocka_unit_test(test_store_walk_knows_every_name),
		cmocka_unit_test(test_store_names_round_trip),
		cmocka_unit_test(test_store_walk_refuses_unsafe_directories),
		cmocka_unit_test(test_authproof_binds_the_session_id),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
