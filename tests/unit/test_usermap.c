/*
 * test_usermap.c - username mapping: username_strip_domains,
 * username_lowercase and username_map from tokengate.conf, the mapped name
 * in token validation (it must equal the login name exactly) and in the
 * stored-session authorization every offline step applies.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "testutil.h"
#include "config_internal.h"
#include "ctl_sign.h"
#include "tg_internal.h"

#define NOW 1700000000LL
#define ISS "https://idp.test/realms/corp"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	tg_crypto_init();
	return tu_tmpdir(dir, sizeof(dir), "usermap");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmdir(dir);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

/* A config of one issuer with extra keys; its parse result and error. */
static tg_rc parse(const char *extra, tg_config **c, char *err, size_t errlen)
{
	char text[2048];
	snprintf(text, sizeof(text),
		 "[issuer corp]\nissuer = " ISS "\naudience = linux-hosts\n%s", extra);
	*c = NULL;
	return tg_config_parse("test.conf", text, strlen(text), NULL, NULL, c, err, errlen);
}

static tg_policy *policy_of(const char *extra, const char *user)
{
	tg_config *c = NULL;
	tg_policy *p = NULL;
	char err[512] = "";
	tg_rc rc = parse(extra, &c, err, sizeof(err));
	if (rc != TG_OK)
		fprintf(stderr, "%s\n", err);
	assert_rc(rc, TG_OK);
	assert_rc(tg_policy_from_config(c, 0, "sshd", &p), TG_OK);
	tg_config_free(c); /* the policy keeps its own copy of the mapping */
	if (user != NULL)
		assert_rc(tg_policy_set_user(p, user), TG_OK);
	return p;
}

/* value mapped under the config's issuer: rc, the name in out */
static tg_rc map(const char *extra, const char *value, char *out, size_t outlen)
{
	tg_policy *p = policy_of(extra, NULL);
	const char *why = NULL;
	char steps[96];
	tg_rc rc = tg_usermap_apply(&p->usermap, value, out, outlen, &why, steps, sizeof(steps));
	if (rc != TG_OK)
		assert_non_null(why);
	tg_policy_free(p);
	return rc;
}

#define STRIP "username_strip_domains = corp.example, eng.corp.example\n"

static void test_strip(void **state)
{
	(void)state;
	char out[64];
	assert_rc(map(STRIP, "alice@corp.example", out, sizeof(out)), TG_OK);
	assert_string_equal(out, "alice");
	assert_rc(map(STRIP, "bob@eng.corp.example", out, sizeof(out)), TG_OK);
	assert_string_equal(out, "bob");
	/* the domain compares case-insensitively; the name keeps its case */
	assert_rc(map(STRIP, "Alice@CORP.Example", out, sizeof(out)), TG_OK);
	assert_string_equal(out, "Alice");
	/* no '@': nothing to strip */
	assert_rc(map(STRIP, "carol", out, sizeof(out)), TG_OK);
	assert_string_equal(out, "carol");
	/* an unlisted domain, a suffix of a listed one, or several '@' */
	assert_rc(map(STRIP, "alice@evil.example", out, sizeof(out)), TG_E_USER_MISMATCH);
	assert_rc(map(STRIP, "alice@xcorp.example", out, sizeof(out)), TG_E_USER_MISMATCH);
	assert_rc(map(STRIP, "alice@sub.corp.example", out, sizeof(out)), TG_E_USER_MISMATCH);
	assert_rc(map(STRIP, "alice@evil@corp.example", out, sizeof(out)), TG_E_USER_MISMATCH);
	assert_rc(map(STRIP, "alice@corp.example@corp.example", out, sizeof(out)),
		  TG_E_USER_MISMATCH);
	/* nothing left, or no login name */
	assert_rc(map(STRIP, "@corp.example", out, sizeof(out)), TG_E_USER_MISMATCH);
	assert_rc(map(STRIP, "-x@corp.example", out, sizeof(out)), TG_E_USER_MISMATCH);
	assert_rc(map(STRIP, "../root@corp.example", out, sizeof(out)), TG_E_USER_MISMATCH);
	/* without the key, the value is the name as it is */
	assert_rc(map("", "alice@corp.example", out, sizeof(out)), TG_OK);
	assert_string_equal(out, "alice@corp.example");
}

static void test_lowercase(void **state)
{
	(void)state;
	char out[64];
	assert_rc(map("username_lowercase = yes\n", "AlIcE", out, sizeof(out)), TG_OK);
	assert_string_equal(out, "alice");
	assert_rc(map("username_lowercase = no\n", "AlIcE", out, sizeof(out)), TG_OK);
	assert_string_equal(out, "AlIcE");
	assert_rc(map(STRIP "username_lowercase = yes\n", "Alice@Corp.Example", out,
		      sizeof(out)), TG_OK);
	assert_string_equal(out, "alice");
	assert_rc(map(STRIP "username_lowercase = yes\n", "Alice@Other.Example", out,
		      sizeof(out)), TG_E_USER_MISMATCH);
}

static void test_map_file(void **state)
{
	(void)state;
	char out[64], extra[512];
	write_file("users.map",
		   "# claim-value local-name\n"
		   "\n"
		   "Alice@Corp.Example   alice\n"
		   "  0f6c1d2e-aaaa-bbbb\tbob  \n", 0644);
	snprintf(extra, sizeof(extra), "username_map = %s/users.map\n" STRIP
		 "username_lowercase = yes\n", dir);
	assert_rc(map(extra, "Alice@Corp.Example", out, sizeof(out)), TG_OK);
	assert_string_equal(out, "alice");
	assert_rc(map(extra, "0f6c1d2e-aaaa-bbbb", out, sizeof(out)), TG_OK);
	assert_string_equal(out, "bob");
	/* exact match only, and with a map nothing else maps (no strip, no
	 * lowercase fallback) */
	assert_rc(map(extra, "alice@corp.example", out, sizeof(out)), TG_E_USER_MISMATCH);
	assert_rc(map(extra, "alice", out, sizeof(out)), TG_E_USER_MISMATCH);
	assert_rc(map(extra, "bob", out, sizeof(out)), TG_E_USER_MISMATCH);
}

static void expect_config_error(const char *extra, const char *want)
{
	tg_config *c = NULL;
	char err[512] = "";
	assert_rc(parse(extra, &c, err, sizeof(err)), TG_E_CONFIG);
	assert_null(c);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_map_file_errors(void **state)
{
	(void)state;
	char extra[512], want[256];
	snprintf(extra, sizeof(extra), "username_map = %s/bad.map\n", dir);
	/* config line 4 names the map; the map's own line is named too */
	write_file("bad.map", "# ok\nalice@corp.example alice\njust-one-field\n", 0600);
	snprintf(want, sizeof(want), "test.conf:4: username_map %s/bad.map:3: expected", dir);
	expect_config_error(extra, want);
	write_file("bad.map", "a alice extra\n", 0600);
	snprintf(want, sizeof(want), "%s/bad.map:1: expected", dir);
	expect_config_error(extra, want);
	write_file("bad.map", "a alice\na bob\n", 0600);
	snprintf(want, sizeof(want), "%s/bad.map:2: the claim value is listed twice", dir);
	expect_config_error(extra, want);
	write_file("bad.map", "a ../etc\n", 0600);
	snprintf(want, sizeof(want), "%s/bad.map:1: the local name is not a login name", dir);
	expect_config_error(extra, want);
	/* unsafe files: group- or world-writable, a symbolic link, missing */
	write_file("bad.map", "a alice\n", 0620);
	expect_config_error(extra, "bad.map");
	write_file("bad.map", "a alice\n", 0602);
	expect_config_error(extra, "bad.map");
	write_file("good.map", "a alice\n", 0600);
	char target[256], link[256];
	snprintf(target, sizeof(target), "%s/good.map", dir);
	snprintf(link, sizeof(link), "%s/link.map", dir);
	unlink(link);
	assert_int_equal(symlink(target, link), 0);
	snprintf(extra, sizeof(extra), "username_map = %s\n", link);
	expect_config_error(extra, "link.map");
	snprintf(extra, sizeof(extra), "username_map = %s/none.map\n", dir);
	expect_config_error(extra, "none.map");
	/* the safe one loads */
	tg_config *c = NULL;
	char err[512];
	snprintf(extra, sizeof(extra), "username_map = %s\n", target);
	assert_rc(parse(extra, &c, err, sizeof(err)), TG_OK);
	tg_config_free(c);
	/* the keys' own values */
	expect_config_error("username_lowercase = maybe\n", "username_lowercase must be yes or no");
	expect_config_error("username_map = relative.map\n", "username_map must be an absolute path");
	expect_config_error("username_strip_domain = corp.example\n",
			    "unknown key 'username_strip_domain'");
}

/* ---- the mapping in token validation ---- */

static EVP_PKEY *key;
static tg_jwks *keys;

static void make_keys(void)
{
	if (key != NULL)
		return;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(key);
	json_t *set = json_pack("{s:[o]}", "keys", ctl_public_jwk(key, "k1", "ES256"));
	char *text = json_dumps(set, JSON_COMPACT);
	json_decref(set);
	assert_rc(tg_jwks_parse(text, strlen(text), NULL, NULL, &keys), TG_OK);
	free(text);
}

static tg_rc validate(const char *extra, const char *user, const char *claim_value,
		      char *name, size_t namelen)
{
	char pl[512];
	make_keys();
	snprintf(pl, sizeof(pl),
		 "{\"iss\":\"" ISS "\",\"aud\":\"linux-hosts\",\"sub\":\"s-1\","
		 "\"preferred_username\":\"%s\",\"exp\":%lld,\"iat\":%lld}",
		 claim_value, NOW + 300, NOW);
	char *tok = ctl_jws_sign(key, NULL, 0, "ES256",
				 "{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"at+jwt\"}", pl);
	assert_non_null(tok);
	tg_policy *p = policy_of(extra, user);
	tg_policy_set_now(p, NOW);
	tg_token *t = NULL;
	tg_rc rc = tg_token_validate(p, keys, tok, strlen(tok), &t);
	snprintf(name, namelen, "%s", tg_token_username(t) ? tg_token_username(t) : "");
	tg_token_free(t);
	tg_policy_free(p);
	free(tok);
	return rc;
}

static void test_validation(void **state)
{
	(void)state;
	char name[64];
	const char *both = STRIP "username_lowercase = yes\n";
	assert_rc(validate(both, "alice", "Alice@Corp.Example", name, sizeof(name)), TG_OK);
	assert_string_equal(name, "alice");
	/* the mapped name must be the login name exactly */
	assert_rc(validate(both, "Alice", "Alice@Corp.Example", name, sizeof(name)),
		  TG_E_USER_MISMATCH);
	assert_rc(validate(both, "bob", "Alice@Corp.Example", name, sizeof(name)),
		  TG_E_USER_MISMATCH);
	assert_rc(validate(both, "alice", "alice@evil.example", name, sizeof(name)),
		  TG_E_USER_MISMATCH);
	assert_rc(validate(both, "alice", "alice@corp.example@corp.example", name,
			   sizeof(name)), TG_E_USER_MISMATCH);
	/* without mapping keys: the raw claim, as before */
	assert_rc(validate("", "alice", "Alice@Corp.Example", name, sizeof(name)),
		  TG_E_USER_MISMATCH);
	assert_rc(validate("", "alice@corp.example", "alice@corp.example", name, sizeof(name)),
		  TG_OK);
	/* strip without lowercase keeps the case: not alice */
	assert_rc(validate(STRIP, "alice", "Alice@corp.example", name, sizeof(name)),
		  TG_E_USER_MISMATCH);
	/* the map file decides alone */
	char extra[512];
	write_file("v.map", "Alice@Corp.Example alice\n", 0600);
	snprintf(extra, sizeof(extra), "username_map = %s/v.map\n" STRIP, dir);
	assert_rc(validate(extra, "alice", "Alice@Corp.Example", name, sizeof(name)), TG_OK);
	assert_rc(validate(extra, "alice", "alice@corp.example", name, sizeof(name)),
		  TG_E_USER_MISMATCH);
}

/* ---- the stored claims every offline step authorizes ---- */

static tg_rc stored(const char *extra, const char *user, const char *value)
{
	tg_policy *p = policy_of(extra, user);
	json_t *claims = value ? json_pack("{s:s}", "username", value) : json_object();
	tg_rc rc = tg_claims_authorize_stored(p, ISS, claims);
	json_decref(claims);
	tg_policy_free(p);
	return rc;
}

static void test_stored(void **state)
{
	(void)state;
	const char *both = STRIP "username_lowercase = yes\n";
	assert_rc(stored(both, "alice", "Alice@Corp.Example"), TG_OK);
	assert_rc(stored(both, "bob", "Alice@Corp.Example"), TG_E_USER_MISMATCH);
	/* the mapping of today decides: the domain is no longer listed */
	assert_rc(stored("username_strip_domains = other.example\nusername_lowercase = yes\n",
			 "alice", "Alice@Corp.Example"), TG_E_USER_MISMATCH);
	/* a map file without the value */
	char extra[512];
	write_file("s.map", "someone-else alice\n", 0600);
	snprintf(extra, sizeof(extra), "username_map = %s/s.map\n", dir);
	assert_rc(stored(extra, "alice", "Alice@Corp.Example"), TG_E_USER_MISMATCH);
	assert_rc(stored(extra, "alice", "someone-else"), TG_OK);
	/* a mapping configured, but the session kept no value to map */
	assert_rc(stored(both, "alice", NULL), TG_E_USER_MISMATCH);
	/* no mapping: a session without the value stands as before */
	assert_rc(stored("", "alice", NULL), TG_OK);
	assert_rc(stored("", "alice", "alice"), TG_OK);
	assert_rc(stored("", "alice", "bob"), TG_E_USER_MISMATCH);
	tg_jwks_free(keys);
	keys = NULL;
	EVP_PKEY_free(key);
	key = NULL;
}

static tg_rc stored_from(const char *extra, const char *uclaim, const char *gclaim)
{
	tg_policy *p = policy_of(extra, "alice");
	json_t *claims = json_pack("{s:s,s:[s]}", "username", "alice", "groups", "admins");
	if (uclaim != NULL)
		json_object_set_new(claims, "username_claim", json_string(uclaim));
	if (gclaim != NULL)
		json_object_set_new(claims, "groups_claim", json_string(gclaim));
	tg_rc rc = tg_claims_authorize_stored(p, ISS, claims);
	json_decref(claims);
	tg_policy_free(p);
	return rc;
}

/* Claims kept under another claim name than today's (username_claim or
 * groups_claim changed since the login) answer nothing today: refused
 * offline, as the online path would read the new claim. */
static void test_stored_claim_names(void **state)
{
	(void)state;
	assert_rc(stored_from("", "preferred_username", NULL), TG_OK);
	assert_rc(stored_from("", NULL, NULL), TG_OK); /* kept before the names were */
	assert_rc(stored_from("", "upn", NULL), TG_E_USER_MISMATCH);
	assert_rc(stored_from("username_claim = upn\n", "upn", NULL), TG_OK);
	assert_rc(stored_from("allowed_groups = admins\n", "preferred_username", "groups"), TG_OK);
	assert_rc(stored_from("allowed_groups = admins\n", "preferred_username", "roles"),
		  TG_E_NOT_AUTHORIZED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip),
		cmocka_unit_test(test_lowercase),
		cmocka_unit_test(test_map_file),
		cmocka_unit_test(test_stored_claim_names),
		cmocka_unit_test(test_map_file_errors),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_stored),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
