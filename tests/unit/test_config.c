/* test_config.c - tokengate.conf parsing and the policy built from it. */
#include "testutil.h"
#include "config_internal.h"
#include "settings.h"
#include "tg_internal.h"

static const char good[] =
	"# a comment\n"
	"[global]\n"
	"methods = token   # trailing comment\n"
	"leeway = 30s\n"
	"offline_grace = 12h\n"
	"\n"
	"[issuer corp]\n"
	"issuer = https://idp.example.com/realms/corp\n"
	"jwks_file = /etc/tokengate/corp.jwks\n"
	"audience = linux-hosts other\n"
	"groups_claim = realm_access.roles\n"
	"allowed_groups = admins devs\n"
	"\n"
	"[issuer lab]\n"
	"issuer = http://127.0.0.1:8080\n"
	"allow_http_loopback = yes\n"
	"token_kind = id\n"
	"client_id = lab-client\n"
	"\n"
	"[service sudo]\n"
	"allowed_groups = admins\n"
	"offline_grace = 1h\n";

static int warnings;
static char last_warning[512];
static void on_warn(void *ud, const char *msg)
{
	(void)ud;
	warnings++;
	snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

static tg_rc parse(const char *text, char *err, size_t errlen, tg_config **c)
{
	warnings = 0;
	return tg_config_parse("test.conf", text, strlen(text), on_warn, NULL, c,
			       err, errlen);
}

static void test_good(void **state)
{
	(void)state;
	tg_config *c = NULL;
	char err[256];
	assert_rc(parse(good, err, sizeof(err), &c), TG_OK);
	assert_int_equal(tg_config_issuer_count(c), 2);
	assert_string_equal(tg_config_issuer_name(c, 0), "corp");
	assert_string_equal(tg_config_issuer_url(c, 1), "http://127.0.0.1:8080");
	assert_int_equal(tg_config_find_issuer(c, "lab"), 1);
	assert_int_equal(tg_config_find_issuer(c, "nope"), -1);
	assert_int_equal(tg_config_issuer_for_iss(c, "http://127.0.0.1:8080"), 1);
	assert_int_equal(tg_config_issuer_for_iss(c, "https://evil"), -1);
	assert_string_equal(tg_config_methods(c, "sshd"), "token");
	assert_string_equal(tg_config_audit_format(c), "logfmt");
	assert_int_equal(tg_config_max_token_bytes(c), 16384);
	assert_int_equal(warnings, 0);
	tg_config_free(c);
}

static void test_policy_per_service(void **state)
{
	(void)state;
	tg_config *c = NULL;
	tg_policy *p = NULL;
	char err[256];
	assert_rc(parse(good, err, sizeof(err), &c), TG_OK);
	assert_rc(tg_policy_from_config(c, 0, "sshd", &p), TG_OK);
	assert_string_equal(p->issuer, "https://idp.example.com/realms/corp");
	assert_int_equal(p->audience.n, 2);
	assert_int_equal(p->allowed_groups.n, 2);
	assert_int_equal(p->leeway, 30);
	assert_int_equal(p->kind, TG_KIND_ACCESS);
	tg_policy_free(p);
	assert_rc(tg_policy_from_config(c, 0, "sudo", &p), TG_OK);
	assert_int_equal(p->allowed_groups.n, 1);
	assert_string_equal(p->allowed_groups.v[0], "admins");
	tg_policy_free(p);
	assert_rc(tg_policy_from_config(c, 1, NULL, &p), TG_OK);
	assert_int_equal(p->kind, TG_KIND_ID);
	assert_string_equal(p->client_id, "lab-client");
	tg_policy_free(p);
	tg_config_free(c);
}

static void expect_error(const char *text, const char *want)
{
	tg_config *c = (tg_config *)1;
	char err[256] = "";
	assert_rc(parse(text, err, sizeof(err), &c), TG_E_CONFIG);
	assert_null(c);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
}

#define ISSUER "[issuer a]\nissuer = https://i\naudience = x\n"

/* An issuer whose sessions rest on ID tokens needs no audience (Google). */
static void test_session_token_id_needs_no_audience(void **state)
{
	(void)state;
	tg_config *c = NULL;
	char err[256] = "";
	assert_rc(parse("[issuer g]\nissuer = https://accounts.google.com\nclient_id = c\n"
			"session_token = id\n", err, sizeof(err), &c), TG_OK);
	tg_config_free(c);
	expect_error("[issuer g]\nissuer = https://accounts.google.com\nclient_id = c\n"
		     "session_token = auto\n", "needs audience");
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("[global]\nleeway = soon\n" ISSUER, "test.conf:2: leeway must be a duration");
	expect_error(ISSUER "algorithms = RS256\njwks_min_ttl = never\n", "test.conf:5: jwks_min_ttl");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("", "no [issuer NAME] section");
	expect_error("[global]\nmethods = token, sms\n" ISSUER, "test.conf:2: methods must list");
	expect_error("[global]\nmethods = token token\n" ISSUER, "test.conf:2:");
	expect_error("[issuer a]\naudience = x\n", "[issuer a] has no issuer URL");
	expect_error("[issuer a]\nissuer = http://i\naudience = x\n", "allow_http_loopback");
	expect_error("[issuer a]\nissuer = ftp://i\naudience = x\n", "test.conf:2: issuer must be");
	expect_error("[issuer a]\nissuer = https://i\n", "needs audience");
	expect_error("[issuer a]\nissuer = https://i\ntoken_kind = id\n", "needs client_id");
	expect_error("[issuer a]\nissuer = https://i\nsession_token = id\n",
		     "session_token = id needs client_id");
	expect_error(ISSUER "session_token = jwt\n", "test.conf:4: session_token must be access, id or auto");
	expect_error("[global]\nuid_range = 1000-70000\n" ISSUER, "test.conf:2: uid_range must lie within");
	expect_error("[global]\nuid_range = 200000-300000\ngid_range = 250000-400000\n" ISSUER,
		     "uid_range and gid_range overlap");
	expect_error("[global]\nhome_template = /home/user\n" ISSUER, "test.conf:2: home_template must be");
	expect_error("[global]\nhome_template = /home/%u/../x\n" ISSUER, "home_template must be");
	expect_error(ISSUER "create_users = maybe\n", "test.conf:4: create_users must be yes or no");
	expect_error(ISSUER "[isuer b]\n", "test.conf:4: unknown section [isuer b]");
	expect_error(ISSUER "[issuer a]\n", "appears twice");
	expect_error(ISSUER "audience = y\n", "test.conf:4: audience is set twice");
	expect_error(ISSUER "algorithms = rs256\n", "test.conf:4: algorithms must list");
	expect_error(ISSUER "algorithms = RS256 HS256\n", "test.conf:4:");
	expect_error(ISSUER "jwks_file = relative.jwks\n", "absolute path");
	expect_error(ISSUER "allow_http_loopback = maybe\n", "yes or no");
	expect_error(ISSUER "just words\n", "test.conf:4: expected 'key = value'");
	expect_error(ISSUER "[global\n", "must end with ']'");
	expect_error("[global]\nlockout_attempts = -1\n" ISSUER, "test.conf:2:");
	expect_error("[global]\nleeway = 99999999999999999999s\n" ISSUER, "test.conf:2:");
	expect_error("[global]\nleeway = 5x\n" ISSUER, "test.conf:2:");
	expect_error("[global]\nleeway = \x01\n" ISSUER, "control character");
	char *big = malloc(70000);
	memset(big, '#', 69999);
	big[69999] = '\0';
	expect_error(big, "larger than");
	free(big);
	char longline[2000];
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	expect_error(longline, "test.conf:1: line longer");
}

/* Rule 10: a typo fails closed. A misspelt allowed_groups must never let
 * everyone in, so an unknown key or section refuses the whole file, with
 * its file and line, and nothing goes to the warning callback. */
static void test_unknown_key_in_issuer(void **state)
{
	(void)state;
	expect_error(ISSUER "alowed_groups = admins\n",
		     "test.conf:4: unknown key 'alowed_groups' in [issuer a]");
	expect_error(ISSUER "alowed_groups = admins\n", "did you mean allowed_groups?");
	assert_int_equal(warnings, 0);
}

/* The username mapping keys: known in [issuer] only, typed at load, and
 * the policy of that issuer carries them. */
static void test_username_mapping_keys(void **state)
{
	(void)state;
	tg_config *c = NULL;
	tg_policy *p = NULL;
	char err[256];
	assert_rc(parse(ISSUER "username_strip_domains = corp.example, Eng.Corp.Example\n"
			"username_lowercase = yes\n", err, sizeof(err), &c), TG_OK);
	assert_rc(tg_policy_from_config(c, 0, NULL, &p), TG_OK);
	assert_int_equal(p->usermap.strip_domains.n, 2);
	assert_true(p->usermap.lowercase);
	assert_false(p->usermap.has_map);
	tg_policy_free(p);
	tg_config_free(c);
	/* defaults: nothing maps differently */
	assert_rc(parse(ISSUER, err, sizeof(err), &c), TG_OK);
	assert_rc(tg_policy_from_config(c, 0, NULL, &p), TG_OK);
	assert_false(tg_usermap_active(&p->usermap));
	tg_policy_free(p);
	tg_config_free(c);
	expect_error(ISSUER "username_lowercase = sometimes\n",
		     "test.conf:4: username_lowercase must be yes or no");
	expect_error(ISSUER "username_map = users.map\n",
		     "test.conf:4: username_map must be an absolute path");
	expect_error(ISSUER "username_map = /nonexistent/users.map\n",
		     "test.conf:4: username_map /nonexistent/users.map");
	expect_error(ISSUER "username_strip_domain = corp.example\n",
		     "unknown key 'username_strip_domain' in [issuer a] (did you mean username_strip_domains?)");
	expect_error(ISSUER "[service sshd]\nusername_lowercase = yes\n",
		     "key 'username_lowercase' does not belong in [service sshd]");
}

static void test_unknown_key_in_service(void **state)
{
	(void)state;
	expect_error(ISSUER "\n[service sudo]\nallowed_groups = admins\nalowed_groups = devs\n",
		     "test.conf:7: unknown key 'alowed_groups' in [service sudo]");
	expect_error(ISSUER "[service sudo]\nofline_grace = 1h\n",
		     "test.conf:5: unknown key 'ofline_grace' in [service sudo]");
	/* known, but not in this kind of section */
	expect_error(ISSUER "[service sudo]\njwks_file = /etc/tokengate/a.jwks\n",
		     "test.conf:5: key 'jwks_file' does not belong in [service sudo] "
		     "(only in [issuer NAME])");
	expect_error(ISSUER "[service sudo]\nstore_dir = /var/lib/x\n",
		     "test.conf:5: key 'store_dir' does not belong in [service sudo]");
	assert_int_equal(warnings, 0);
}

static void test_unknown_key_in_global(void **state)
{
	(void)state;
	expect_error("[global]\nlewway = 30s\n" ISSUER,
		     "test.conf:2: unknown key 'lewway' in [global]");
	/* the lines before any header are [global] too */
	expect_error("methds = token\n" ISSUER, "test.conf:1: unknown key 'methds' in [global]");
	expect_error("[global]\naudience = x\n" ISSUER,
		     "test.conf:2: key 'audience' does not belong in [global] (only in [issuer NAME])");
	expect_error(ISSUER "leeway = 5m\n",
		     "test.conf:4: key 'leeway' does not belong in [issuer a] "
		     "(only in [global] or [service NAME])");
	assert_int_equal(warnings, 0);
}

static void test_unknown_section(void **state)
{
	(void)state;
	expect_error(ISSUER "\n[servce sudo]\nallowed_groups = admins\n",
		     "test.conf:5: unknown section [servce sudo]");
	expect_error("[globals]\n" ISSUER, "test.conf:1: unknown section [globals]");
	expect_error(ISSUER "[service]\n", "test.conf:4: unknown section [service]");
	expect_error(ISSUER "[global x]\n", "test.conf:4: unknown section [global x]");
}

/* Keys valid in several kinds of section stay valid in each. */
static void test_shared_keys_still_load(void **state)
{
	(void)state;
	tg_config *c = NULL;
	char err[256] = "";
	const char *text = "[global]\nmethods = token\noffline_grace = 2h\nleeway = 30s\n"
	       "[issuer a]\nissuer = https://i\naudience = x\ntoken_kind = id\n"
	       "client_id = c\nallowed_groups = admins\n"
	       "[service sudo]\nmethods = password\noffline_grace = 1h\nleeway = 10s\n"
	       "token_kind = access\nallowed_groups = wheel\nqr = yes\n";
	assert_rc(parse(text, err, sizeof(err), &c), TG_OK);
	assert_string_equal(tg_config_methods(c, "sudo"), "password");
	assert_int_equal(warnings, 0);
	tg_config_free(c);
}

static char problems[8][512];
static unsigned nproblems;
static void on_problem(void *ud, const char *msg)
{
	(void)ud;
	if (nproblems < 8)
		snprintf(problems[nproblems], sizeof(problems[0]), "%s", msg);
	nproblems++;
}

/* check-config's mode: every problem, in file order, where a load stops
 * at (and reports) the first. */
static void test_every_problem(void **state)
{
	(void)state;
	const char *text = "[global]\n"		      /* 1 */
			   "lewway = 30s\n"		      /* 2 */
			   "[issuer a]\n"		      /* 3 */
			   "issuer = https://i\n"	      /* 4 */
			   "alowed_groups = admins\n"	      /* 5 */
			   "[isuer b]\n"		      /* 6 */
			   "whatever = 1\n"		      /* 7: not judged */
			   "[service sudo]\n"		      /* 8 */
			   "offline_grace = soon\n"	      /* 9 */
			   "offline_grace = 1h\n";	      /* 10 */
	nproblems = 0;
	assert_int_equal(tg_config_problems("t.conf", text, strlen(text), on_problem, NULL), 6);
	assert_int_equal(nproblems, 6);
	assert_non_null(strstr(problems[0], "t.conf:2: unknown key 'lewway' in [global]"));
	assert_non_null(strstr(problems[1], "t.conf:5: unknown key 'alowed_groups' in [issuer a]"));
	assert_non_null(strstr(problems[2], "t.conf:6: unknown section [isuer b]"));
	assert_non_null(strstr(problems[3], "t.conf:9: offline_grace must be a duration"));
	assert_non_null(strstr(problems[4], "t.conf:10: offline_grace is set twice"));
	/* the whole-file rules name the section's header line */
	assert_non_null(strstr(problems[5], "t.conf:3: [issuer a] needs audience"));

	tg_config *c = (tg_config *)1;
	char err[256] = "";
	assert_rc(tg_config_parse("t.conf", text, strlen(text), NULL, NULL, &c, err,
				  sizeof(err)), TG_E_CONFIG);
	assert_null(c);
	assert_string_equal(err, problems[0]);

	nproblems = 0;
	assert_int_equal(tg_config_problems("t.conf", good, strlen(good), on_problem, NULL), 0);
	assert_int_equal(nproblems, 0);
	nproblems = 0;
	assert_int_equal(tg_config_problems("t.conf", "", 0, on_problem, NULL), 1);
	assert_string_equal(problems[0], "t.conf: no [issuer NAME] section");
}

/* A malformed value is one problem, not also a missing key. */
static void test_no_echo_problems(void **state)
{
	(void)state;
	const char *text = "[issuer a]\nissuer = ftp://i\ntoken_kind = acess\n"
			   "[issuer b]\nissuer = http://127.0.0.1\nallow_http_loopback = maybe\n"
			   "audience = x\n";
	nproblems = 0;
	assert_int_equal(tg_config_problems("t.conf", text, strlen(text), on_problem, NULL), 3);
	assert_non_null(strstr(problems[0], "t.conf:2: issuer must be"));
	assert_non_null(strstr(problems[1], "t.conf:3: token_kind must be access or id"));
	assert_non_null(strstr(problems[2], "t.conf:6: allow_http_loopback must be yes or no"));
}

/* A repeated section's keys are still checked. */
static void test_repeated_section_keys_checked(void **state)
{
	(void)state;
	const char *text = ISSUER "[issuer a]\nalowed_groups = x\n";
	nproblems = 0;
	assert_int_equal(tg_config_problems("t.conf", text, strlen(text), on_problem, NULL), 2);
	assert_non_null(strstr(problems[0], "t.conf:4: section [issuer a] appears twice"));
	assert_non_null(strstr(problems[1], "t.conf:5: unknown key 'alowed_groups' in [issuer a]"));
}

static void test_durations(void **state)
{
	(void)state;
	int64_t v;
	assert_true(tg_parse_duration("90s", &v));
	assert_int_equal(v, 90);
	assert_true(tg_parse_duration("5m", &v));
	assert_int_equal(v, 300);
	assert_true(tg_parse_duration("12h", &v));
	assert_int_equal(v, 43200);
	assert_true(tg_parse_duration("7d", &v));
	assert_int_equal(v, 604800);
	assert_true(tg_parse_duration("42", &v));
	assert_int_equal(v, 42);
	assert_false(tg_parse_duration("", &v));
	assert_false(tg_parse_duration("-5s", &v));
	assert_false(tg_parse_duration("5 s", &v));
	assert_false(tg_parse_duration("5ss", &v));
	assert_false(tg_parse_duration("4000d", &v));
	assert_false(tg_parse_duration("18446744073709551617", &v));
}

/* Typed at load: durations in seconds, flags, numbers; a service
 * section overrides [global], which overrides the default. */
static void test_typed_settings(void **state)
{
	(void)state;
	tg_config *c = NULL;
	char err[256];
	static const char text[] =
		"[global]\noffline_grace = 2h\nqr = yes\nlockout_attempts = 3\n"
		"lockout_time = 90s\nstore_dir = /srv/tg\n"
		"[issuer a]\nissuer = https://i\naudience = x\nscope = openid email\n"
		"[service sudo]\noffline_grace = 10m\nqr = no\nexport_token = yes\n"
		"methods = password token\n";
	assert_rc(parse(text, err, sizeof(err), &c), TG_OK);
	const struct tg_settings *g = tg_settings(c);
	assert_string_equal(g->store_dir, "/srv/tg");
	assert_string_equal(g->cache_dir, "/var/cache/tokengate"); /* the default */
	assert_int_equal(g->lockout_attempts, 3);
	assert_int_equal(g->lockout_time, 90);
	assert_int_equal(g->lockout_window, 60);
	assert_int_equal(g->http_timeout, 10);
	const struct tg_service_settings *sshd = tg_service_settings(c, "sshd");
	const struct tg_service_settings *sudo = tg_service_settings(c, "sudo");
	assert_ptr_equal(sshd, &g->global); /* no section: the global values */
	assert_ptr_equal(tg_service_settings(c, NULL), &g->global);
	assert_int_equal(sshd->offline_grace, 2 * 3600);
	assert_true(sshd->qr);
	assert_false(sshd->export_token);
	assert_string_equal(sshd->methods, "token");
	assert_int_equal(sudo->offline_grace, 600);
	assert_false(sudo->qr);
	assert_true(sudo->export_token);
	assert_int_equal(sudo->refresh_ahead, 300); /* not overridden: the default */
	assert_string_equal(sudo->methods, "password token");
	assert_string_equal(tg_config_methods(c, "sudo"), "password token");
	tg_config_free(c);
}

/* issuer = NAME in [global] / [service NAME]: the issuer of that
 * service's password and device logins; a name that is no [issuer NAME]
 * fails closed with its line, and so does an issuer without client_id
 * for a service that logs in by password or device. */
static void test_service_issuer(void **state)
{
	(void)state;
	tg_config *c = NULL;
	char err[256];
	static const char text[] =
		"[issuer one]\nissuer = https://one\naudience = x\nclient_id = h\n"
		"[issuer two]\nissuer = https://two\naudience = x\nclient_id = h\n"
		"[issuer tokens]\nissuer = https://t\naudience = x\n"
		"[service a]\nissuer = one\nmethods = password\n"
		"[service b]\nissuer = two\n"
		"[service t]\nissuer = tokens\n";
	assert_rc(parse(text, err, sizeof(err), &c), TG_OK);
	assert_int_equal(tg_service_settings(c, "a")->issuer_idx, 0);
	assert_int_equal(tg_service_settings(c, "b")->issuer_idx, 1);
	assert_string_equal(tg_service_settings(c, "b")->issuer, "two");
	assert_int_equal(tg_service_settings(c, "t")->issuer_idx, 2);
	assert_int_equal(tg_service_settings(c, "sshd")->issuer_idx, -1); /* any */
	assert_null(tg_service_settings(c, "sshd")->issuer);
	tg_config_free(c);
	/* [global] is every service's without its own */
	assert_rc(parse("issuer = two\n[issuer one]\nissuer = https://one\naudience = x\n"
			"[issuer two]\nissuer = https://two\naudience = x\n[service a]\nissuer = one\n",
			err, sizeof(err), &c), TG_OK);
	assert_int_equal(tg_service_settings(c, "sshd")->issuer_idx, 1);
	assert_int_equal(tg_service_settings(c, "a")->issuer_idx, 0);
	tg_config_free(c);

	expect_error(ISSUER "[service sshd]\nissuer = nosuch\n",
		     "test.conf:5: issuer nosuch in [service sshd]: no [issuer nosuch] section");
	expect_error("[global]\nissuer = nosuch\n" ISSUER, "test.conf:2: issuer nosuch in [global]");
	expect_error(ISSUER "[service sshd]\nissuer = a b\n", "test.conf:5: issuer must name");
	expect_error(ISSUER "[service sshd]\nissuer = https://i\n", "test.conf:5: issuer must name");
	/* no client_id, and a password or device login asks for one */
	expect_error(ISSUER "[service sshd]\nmethods = token, device\nissuer = a\n",
		     "test.conf:6: [service sshd] uses [issuer a] for password or device logins");
	expect_error("[global]\nmethods = password\n" ISSUER "[service s]\nissuer = a\n",
		     "test.conf:7: [service s] uses [issuer a]");
	expect_error("[global]\nissuer = a\n" ISSUER "[service s]\nmethods = password\n",
		     "test.conf:6: [service s] uses [issuer a]");
	/* tokens only: no client_id needed */
	assert_rc(parse(ISSUER "[service sshd]\nissuer = a\n", err, sizeof(err), &c), TG_OK);
	tg_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_policy_per_service),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_session_token_id_needs_no_audience),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unknown_key_in_issuer),
		cmocka_unit_test(test_username_mapping_keys),
		cmocka_unit_test(test_unknown_key_in_service),
		cmocka_unit_test(test_unknown_key_in_global),
		cmocka_unit_test(test_unknown_section),
		cmocka_unit_test(test_shared_keys_still_load),
		cmocka_unit_test(test_every_problem),
		cmocka_unit_test(test_no_echo_problems),
		cmocka_unit_test(test_repeated_section_keys_checked),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_typed_settings),
		cmocka_unit_test(test_service_issuer),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
