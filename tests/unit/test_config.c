/* test_config.c - tokengate.conf parsing and the policy built from it. */
#include "testutil.h"
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

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("[global]\nleeway = soon\n" ISSUER, "test.conf:2: leeway must be a duration");
	expect_error(ISSUER "leeway = 5m\njwks_min_ttl = never\n", "test.conf:5: jwks_min_ttl");
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

static void test_unknown_key_warns(void **state)
{
	(void)state;
	tg_config *c = NULL;
	char err[256];
	assert_rc(parse(ISSUER "allowed_grups = admins\n", err, sizeof(err), &c), TG_OK);
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(last_warning, "test.conf:4: unknown key 'allowed_grups'"));
	tg_config_free(c);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_policy_per_service),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unknown_key_warns),
		cmocka_unit_test(test_durations),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
