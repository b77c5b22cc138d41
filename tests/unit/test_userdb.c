/*
 * test_userdb.c - records of people who exist only at the provider
 * (lib/userdb.c, lib/userid.c): stable ids from (iss, sub), collisions
 * refused and never resolved by another id, groups only by the allow-list
 * or an explicit map, the NSS files as published, disable, remove, expire.
 * The host's own accounts are a fake in the lookup seam: alice (uid 1000,
 * group 1000), sudo (gid 27), users (gid 100).
 */
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#include "issuer.h"
#include "tg_internal.h"
#include "userdb.h"
#include "userid.h"

#define ISS "https://idp.test"

static char dir[64];
static tg_config *cfg;
static uint32_t taken_uid = 0; /* a local account's uid the test picks */

static bool fake_lookup(char kind, const char *name, uint32_t id, char *found, size_t foundlen,
			uint32_t *found_id)
{
	static const struct { char kind; const char *name; uint32_t id; } local[] = {
		{ 'u', "alice", 1000 }, { 'g', "alice", 1000 }, { 'g', "sudo", 27 },
		{ 'g', "users", 100 },
	};
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		bool by_name = kind == local[i].kind && strcmp(name, local[i].name) == 0;
		bool by_id = kind == local[i].kind - 32 && id == local[i].id;
		if (by_name || by_id) {
			snprintf(found, foundlen, "%s", local[i].name);
			*found_id = local[i].id;
			return true;
		}
	}
	if (kind == 'U' && taken_uid != 0 && id == taken_uid) {
		snprintf(found, foundlen, "%s", "someone");
		*found_id = id;
		return true;
	}
	return false;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_text(const char *name)
{
	char p[256], *buf = calloc(1, 1 << 16);
	snprintf(p, sizeof(p), "%s/nss/%s", dir, name);
	FILE *f = fopen(p, "r");
	if (f == NULL)
		return buf;
	size_t n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	(void)state;
	tg_crypto_init();
	if (tu_tmpdir(dir, sizeof(dir), "userdb-test") != 0)
		return -1;
	char p[256], map[256], text[2048];
	snprintf(p, sizeof(p), "%s/store", dir);
	mkdir(p, 0700);
	snprintf(map, sizeof(map), "%s/groups.map", dir);
	write_text(map, "# provider group -> unix group\nplatform-admins sudo\n");
	snprintf(text, sizeof(text),
		 "[global]\nstore_dir = %s/store\ncache_dir = %s/cache\nnss_dir = %s/nss\n"
		 "home_template = /home/%%u\n"
		 "[issuer corp]\nissuer = " ISS "\naudience = linux-hosts\nclient_id = host\n"
		 "create_users = yes\nunix_groups = linux-* sudo\ngroup_map = %s\n"
		 "[issuer other]\nissuer = https://other.test\naudience = linux-hosts\n",
		 dir, dir, dir, map);
	snprintf(p, sizeof(p), "%s/tokengate.conf", dir);
	write_text(p, text);
	char err[512] = "";
	if (tg_config_load(p, NULL, NULL, &cfg, err, sizeof(err)) != TG_OK) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	tg_userdb_set_lookup(fake_lookup);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tg_userdb_set_lookup(NULL);
	tg_config_free(cfg);
	return tu_rmdir(dir);
}

static int each(void **state)
{
	(void)state;
	char cmd[200];
	taken_uid = 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/nss' '%s/store'/*", dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static tg_rc put(const char *name, const char *sub, const char *const *groups, size_t n,
		 int64_t uid_number, uint32_t *uid, char *why, size_t whylen)
{
	tg_userdb *db = NULL;
	char err[256];
	assert_rc(tg_userdb_open(cfg, 0, &db, err, sizeof(err)), TG_OK);
	struct tg_user_in in = { .name = name, .iss = ISS, .sub = sub, .issuer = "corp",
				 .gecos = "Bob: the Builder,\n", .uid_number = uid_number,
				 .groups = groups, .ngroups = n, .now = 1900000000 };
	why[0] = '\0';
	tg_rc rc = tg_userdb_put(db, 0, &in, uid, why, whylen);
	if (rc == TG_OK)
		assert_rc(tg_userdb_commit(db, err, sizeof(err)), TG_OK);
	else
		tg_userdb_close(db);
	return rc;
}

/* The uid is SHA-256("uid" NUL iss NUL sub) into the range: the value
 * below was computed apart from the code (Python's hashlib). */
static void test_ids_are_stable_and_in_range(void **state)
{
	(void)state;
	struct tg_id_range r;
	const char *why = NULL;
	assert_true(tg_id_range_parse("1879048192-2013265919", &r, &why));
	assert_int_equal(tg_id_derive(&r, "uid", ISS, "s-1"), 1944237920u);
	struct tg_id_range g;
	assert_true(tg_id_range_parse("2013265920-2147483646", &g, &why));
	assert_int_equal(tg_id_derive(&g, "gid", ISS, "linux-devs"), 2088902354u);
	assert_true(tg_id_derive(&r, "uid", ISS, "s-2") != 1944237920u);
	assert_true(tg_id_derive(&r, "uid", "https://other.test", "s-1") != 1944237920u);
	for (int i = 0; i < 1000; i++) {
		char sub[16];
		snprintf(sub, sizeof(sub), "s-%d", i);
		assert_true(tg_id_in_range(&r, tg_id_derive(&r, "uid", ISS, sub)));
	}
	/* ranges: inside 65536..2^31-2, at least 65536 wide */
	assert_false(tg_id_range_parse("1000-60000", &r, &why));
	assert_false(tg_id_range_parse("100000-100010", &r, &why));
	assert_false(tg_id_range_parse("200000-4294967295", &r, &why));
	assert_false(tg_id_range_parse("300000-200000", &r, &why));
	assert_false(tg_id_range_parse("200000", &r, &why));
	assert_false(tg_id_range_parse("2e5-3e5", &r, &why));
	assert_true(tg_id_range_parse("200000-265535", &r, &why));
}

static void test_record_published(void **state)
{
	(void)state;
	const char *groups[] = { "linux-devs", "marketing", "sudo", "platform-admins" };
	uint32_t uid = 0;
	char why[256];
	assert_rc(put("bob", "s-1", groups, 4, -1, &uid, why, sizeof(why)), TG_OK);
	assert_int_equal(uid, 1944237920u);
	char *pw = read_text("passwd"), *gr = read_text("group");
	assert_string_equal(pw, "bob:x:1944237920:100:Bob the Builder:/home/bob:/bin/bash\n");
	/* no group named after him (user_group is his primary group);
	 * linux-devs (allowed, derived gid); sudo only by the explicit map
	 * (the local group's gid), never by name alone; marketing not in
	 * unix_groups */
	assert_null(strstr(gr, "bob:x:"));
	assert_non_null(strstr(gr, "linux-devs:x:2088902354:bob\n"));
	assert_non_null(strstr(gr, "sudo:x:27:bob\n"));
	assert_null(strstr(gr, "marketing"));
	assert_non_null(strstr(why, "sudo is a local group"));
	struct stat a, b;
	char p[256];
	snprintf(p, sizeof(p), "%s/nss/passwd", dir);
	assert_int_equal(stat(p, &a), 0);
	assert_int_equal(a.st_mode & 07777, 0644);
	/* the same again: nothing rewritten */
	assert_rc(put("bob", "s-1", groups, 4, -1, &uid, why, sizeof(why)), TG_OK);
	assert_int_equal(stat(p, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	free(pw);
	free(gr);
}

static void test_collisions_refused(void **state)
{
	(void)state;
	uint32_t uid = 0;
	char why[256];
	/* a local account's name is never shadowed */
	assert_rc(put("alice", "s-9", NULL, 0, -1, &uid, why, sizeof(why)), TG_E_USER_MISMATCH);
	assert_non_null(strstr(why, "local account"));
	assert_rc(put("root", "s-9", NULL, 0, -1, &uid, why, sizeof(why)), TG_E_USER_MISMATCH);
	/* one name, one identity; one identity, one name */
	assert_rc(put("bob", "s-1", NULL, 0, -1, &uid, why, sizeof(why)), TG_OK);
	assert_rc(put("bob", "s-2", NULL, 0, -1, &uid, why, sizeof(why)), TG_E_USER_MISMATCH);
	assert_non_null(strstr(why, "another identity"));
	assert_rc(put("robert", "s-1", NULL, 0, -1, &uid, why, sizeof(why)), TG_E_USER_MISMATCH);
	assert_non_null(strstr(why, "already has the record bob"));
	/* a uid a local account has: refused, not moved to the next one */
	taken_uid = tg_id_derive(&(struct tg_id_range){ 1879048192u, 2013265919u }, "uid", ISS, "s-3");
	assert_rc(put("carol", "s-3", NULL, 0, -1, &uid, why, sizeof(why)), TG_E_USER_MISMATCH);
	assert_non_null(strstr(why, "local account someone"));
	/* a uid another record has (a uid_claim value) */
	assert_rc(put("dave", "s-4", NULL, 0, 1944237920, &uid, why, sizeof(why)), TG_E_USER_MISMATCH);
	assert_non_null(strstr(why, "taken by the record bob"));
	/* a claimed uid outside uid_range */
	assert_rc(put("erin", "s-5", NULL, 0, 1000, &uid, why, sizeof(why)), TG_E_CONFIG);
	assert_rc(put("erin", "s-5", NULL, 0, 1900000000, &uid, why, sizeof(why)), TG_OK);
	assert_int_equal(uid, 1900000000u);
	char *pw = read_text("passwd");
	assert_non_null(strstr(pw, "bob:x:1944237920:"));
	assert_non_null(strstr(pw, "erin:x:1900000000:"));
	assert_null(strstr(pw, "carol"));
	assert_null(strstr(pw, "dave"));
	free(pw);
}

static void test_disable_remove_expire(void **state)
{
	(void)state;
	const char *groups[] = { "linux-devs" };
	uint32_t uid = 0;
	bool enabled = false;
	char why[256], err[256];
	assert_rc(put("bob", "s-1", groups, 1, -1, &uid, why, sizeof(why)), TG_OK);
	assert_rc(put("frank", "s-6", NULL, 0, -1, &uid, why, sizeof(why)), TG_OK);
	tg_userdb *db = NULL;
	assert_rc(tg_userdb_open(cfg, 0, &db, err, sizeof(err)), TG_OK);
	assert_rc(tg_userdb_disable(db, "bob", 1900000100), TG_OK);
	assert_rc(tg_userdb_disable(db, "nobody-here", 1900000100), TG_E_NO_CREDENTIALS);
	assert_rc(tg_userdb_commit(db, err, sizeof(err)), TG_OK);
	char *pw = read_text("passwd");
	assert_non_null(strstr(pw, "bob:x:1944237920:100:Bob the Builder:/home/bob:/usr/sbin/nologin\n"));
	free(pw);
	assert_rc(tg_userdb_open(cfg, 0, &db, err, sizeof(err)), TG_OK);
	assert_rc(tg_userdb_find(db, "bob", &uid, &enabled), TG_OK);
	assert_false(enabled);
	size_t n = 0;
	assert_rc(tg_userdb_expire(db, 1900000100 + 10, 60, &n), TG_OK);
	assert_int_equal(n, 0);
	assert_rc(tg_userdb_expire(db, 1900000100 + 61, 60, &n), TG_OK);
	assert_int_equal(n, 1);
	assert_rc(tg_userdb_commit(db, err, sizeof(err)), TG_OK);
	pw = read_text("passwd");
	char *gr = read_text("group");
	assert_null(strstr(pw, "bob"));
	assert_non_null(strstr(pw, "frank:x:"));
	assert_null(strstr(gr, "linux-devs")); /* nobody names it now */
	free(pw);
	free(gr);
	assert_rc(tg_userdb_open(cfg, 0, &db, err, sizeof(err)), TG_OK);
	assert_rc(tg_userdb_remove(db, "frank"), TG_OK);
	assert_rc(tg_userdb_remove(db, "frank"), TG_E_NO_CREDENTIALS);
	assert_rc(tg_userdb_commit(db, err, sizeof(err)), TG_OK);
	pw = read_text("passwd");
	assert_string_equal(pw, "");
	free(pw);
}

/* A second reader's findings: names that would change the lines they are
 * written into (':' ',' spaces) are refused, so a provider group named
 * "linux-x:x:27:bob," cannot become gid 27; a disabled record stays
 * disabled whatever logins come, until an administrator enables it. */
static void test_separators_and_sticky_disable(void **state)
{
	(void)state;
	const char *groups[] = { "linux-x:x:27:bob,", "linux-a b", "linux-ok" };
	uint32_t uid = 0;
	char why[256], err[256];
	assert_rc(put("bob", "s-1", groups, 3, -1, &uid, why, sizeof(why)), TG_OK);
	char *gr = read_text("group");
	assert_null(strstr(gr, ":27:"));
	assert_null(strstr(gr, "linux-x"));
	assert_null(strstr(gr, "linux-a"));
	assert_non_null(strstr(gr, "linux-ok:x:"));
	free(gr);
	assert_rc(put("x,alice", "s-8", NULL, 0, -1, &uid, why, sizeof(why)), TG_E_USER_MISMATCH);
	assert_rc(put("a:b", "s-8", NULL, 0, -1, &uid, why, sizeof(why)), TG_E_USER_MISMATCH);
	assert_rc(put("12345", "s-8", NULL, 0, -1, &uid, why, sizeof(why)), TG_E_USER_MISMATCH);
	tg_userdb *db = NULL;
	assert_rc(tg_userdb_open(cfg, 0, &db, err, sizeof(err)), TG_OK);
	assert_rc(tg_userdb_disable(db, "bob", 1900000100), TG_OK);
	assert_rc(tg_userdb_commit(db, err, sizeof(err)), TG_OK);
	assert_rc(put("bob", "s-1", groups, 3, -1, &uid, why, sizeof(why)), TG_OK);
	char iss[256], sub[256];
	bool off = false;
	assert_rc(tg_userdb_identity(cfg, "bob", iss, sizeof(iss), sub, sizeof(sub), &off), TG_OK);
	assert_true(off);
	assert_string_equal(sub, "s-1");
	assert_rc(tg_userdb_open(cfg, 0, &db, err, sizeof(err)), TG_OK);
	assert_rc(tg_userdb_enable(db, "bob"), TG_OK);
	assert_rc(tg_userdb_commit(db, err, sizeof(err)), TG_OK);
	assert_rc(tg_userdb_identity(cfg, "bob", iss, sizeof(iss), sub, sizeof(sub), &off), TG_OK);
	assert_false(off);
	assert_rc(tg_userdb_identity(cfg, "nobody", iss, sizeof(iss), sub, sizeof(sub), &off),
		  TG_E_NO_CREDENTIALS);
}

/* Who a record belongs to is read from its index entry (users.d/NAME),
 * kept with every change; a damaged entry is unreadable (refused), and
 * names that cannot be records are never looked up. */
static void test_identity_index(void **state)
{
	(void)state;
	uint32_t uid = 0;
	char why[256], err[256], iss[256], sub[256], p[256];
	bool off = true;
	assert_rc(put("bob", "s-1", NULL, 0, -1, &uid, why, sizeof(why)), TG_OK);
	snprintf(p, sizeof(p), "%s/store/users.d/bob", dir);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	char line[512];
	size_t n = fread(line, 1, sizeof(line) - 1, f);
	line[n] = '\0';
	fclose(f);
	assert_string_equal(line, ISS "\ns-1\n0\n");
	assert_rc(tg_userdb_identity(cfg, "bob", iss, sizeof(iss), sub, sizeof(sub), &off), TG_OK);
	assert_false(off);
	assert_rc(tg_userdb_identity(cfg, "..", iss, sizeof(iss), sub, sizeof(sub), &off),
		  TG_E_NO_CREDENTIALS);
	write_text(p, "https://evil\ns-1\n0\nextra\n");
	assert_rc(tg_userdb_identity(cfg, "bob", iss, sizeof(iss), sub, sizeof(sub), &off), TG_E_IO);
	tg_userdb *db = NULL;
	assert_rc(tg_userdb_open(cfg, 0, &db, err, sizeof(err)), TG_OK);
	assert_rc(tg_userdb_remove(db, "bob"), TG_OK);
	assert_rc(tg_userdb_commit(db, err, sizeof(err)), TG_OK);
	assert_int_not_equal(access(p, F_OK), 0);
	assert_rc(tg_userdb_identity(cfg, "bob", iss, sizeof(iss), sub, sizeof(sub), &off),
		  TG_E_NO_CREDENTIALS);
}

/* A store file that is not a user database is refused, not overwritten. */
static void test_bad_database_refused(void **state)
{
	(void)state;
	char p[256], err[256];
	snprintf(p, sizeof(p), "%s/store/users.json", dir);
	write_text(p, "{\"version\":2,\"users\":{},\"groups\":{}}");
	chmod(p, 0600);
	tg_userdb *db = NULL;
	assert_rc(tg_userdb_open(cfg, 0, &db, err, sizeof(err)), TG_E_MALFORMED);
	assert_null(db);
	write_text(p, "{\"version\":1,\"users\":{},\"groups\":{}}");
	chmod(p, 0644); /* readable by others: unsafe */
	assert_rc(tg_userdb_open(cfg, 0, &db, err, sizeof(err)), TG_E_IO);
	/* an issuer without create_users makes no records */
	chmod(p, 0600);
	assert_rc(tg_userdb_open(cfg, 0, &db, err, sizeof(err)), TG_OK);
	uint32_t uid;
	struct tg_user_in in = { .name = "gina", .iss = "https://other.test", .sub = "s-7",
				 .issuer = "other", .uid_number = -1, .now = 1 };
	assert_rc(tg_userdb_put(db, 1, &in, &uid, err, sizeof(err)), TG_E_CONFIG);
	tg_userdb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_are_stable_and_in_range),
		cmocka_unit_test_setup(test_record_published, each),
		cmocka_unit_test_setup(test_collisions_refused, each),
		cmocka_unit_test_setup(test_disable_remove_expire, each),
		cmocka_unit_test_setup(test_separators_and_sticky_disable, each),
		cmocka_unit_test_setup(test_identity_index, each),
		cmocka_unit_test_setup(test_bad_database_refused, each),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
