/*
 * test_pam.c - pam_tokengate.so through the real libpam (pam_wrapper +
 * libpamtest), the real tokengate-helper, and a real syslog sink. Run by
 * tests/integration/run.sh, which prepares keys, tokens, the config, the
 * PAM service files and the private /dev/log.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpamtest.h>
#include <security/pam_appl.h>

#define MAX_PROMPTS 32

struct conv {
	const char *answers[MAX_PROMPTS];
	int nanswers;
	int next;
	int prompts;
	char prompt[MAX_PROMPTS][64];
	char errors[1024];
};

static const char *dir, *logpath;
#define MAX_BUFS 512
static char *bufs[MAX_BUFS];	/* files read; freed at the end */
static int nbufs;

static int conv_fn(int n, const struct pam_message **msg,
		   struct pam_response **resp, void *appdata)
{
	struct conv *c = appdata;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		int style = msg[i]->msg_style;
		if (style == PAM_ERROR_MSG || style == PAM_TEXT_INFO) {
			size_t l = strlen(c->errors);
			snprintf(c->errors + l, sizeof(c->errors) - l, "%s|", msg[i]->msg);
			continue;
		}
		if (c->prompts < MAX_PROMPTS)
			snprintf(c->prompt[c->prompts], 64, "%s", msg[i]->msg);
		c->prompts++;
		if (c->next >= c->nanswers) {
			free(r);
			return PAM_CONV_ERR;
		}
		r[i].resp = strdup(c->answers[c->next++]);
	}
	*resp = r;
	return PAM_SUCCESS;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (nbufs < MAX_BUFS)
		bufs[nbufs++] = buf;
	return buf;
}

static char *token(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.jwt", dir, name);
	return slurp(path);
}

static long log_size(void)
{
	FILE *f = fopen(logpath, "r");
	long n = 0;
	if (f) {
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		fclose(f);
	}
	return n;
}

/* The syslog records written since offset (one reused buffer). */
static char *log_since(long off)
{
	static char all[4 << 20];
	FILE *f = fopen(logpath, "r");
	size_t n = f ? fread(all, 1, sizeof(all) - 1, f) : 0;
	if (f)
		fclose(f);
	all[n] = '\0';
	return all + (off <= (long)n ? off : 0);
}

/* The sink writes records as they arrive: wait for one, at most 2 s. */
static void assert_logged(long off, const char *want)
{
	char *l = log_since(off);
	for (int i = 0; i < 200 && strstr(l, want) == NULL; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		l = log_since(off);
	}
	if (strstr(l, want) == NULL)
		fail_msg("audit log lacks \"%s\"; it has:\n%s", want, l);
}

static void assert_not_logged(long off, const char *what)
{
	if (strstr(log_since(off), what) != NULL)
		fail_msg("audit log contains what it must not: %.40s...", what);
}

static int run(const char *service, const char *user, struct conv *c,
	       enum pamtest_ops op, int expected)
{
	struct pam_testcase tc[] = { { op, expected, 0, 0, { NULL } } };
	enum pamtest_err e = _pamtest_conv(service, user, conv_fn, c, tc, 1, NULL);
	if (e != PAMTEST_ERR_OK)
		fail_msg("%s/%s: op returned %d (%s), wanted %d (%s)", service, user,
			 tc[0].op_rv, pam_strerror(NULL, tc[0].op_rv), expected,
			 pam_strerror(NULL, expected));
	return tc[0].op_rv;
}

/* auth then setcred then account, on one handle. */
static void run3(const char *service, const char *user, struct conv *c,
		 int auth, int setcred, int acct)
{
	struct pam_testcase tc[] = {
		{ PAMTEST_AUTHENTICATE, auth, 0, 0, { NULL } },
		{ PAMTEST_SETCRED, setcred, 0, 0, { NULL } },
		{ PAMTEST_ACCOUNT, acct, 0, 0, { NULL } },
	};
	enum pamtest_err e = _pamtest_conv(service, user, conv_fn, c, tc, 3, NULL);
	if (e != PAMTEST_ERR_OK) {
		const struct pam_testcase *f = _pamtest_failed_case(tc, 3);
		fail_msg("%s: case %d returned %d (%s)", service, f ? (int)f->pam_operation : -1,
			 f ? f->op_rv : 0, f ? pam_strerror(NULL, f->op_rv) : "");
	}
}

static void test_token_login(void **state)
{
	(void)state;
	char *good = token("good");
	struct conv c = { .answers = { good }, .nanswers = 1 };
	long off = log_size();
	run3("tg", "alice", &c, PAM_SUCCESS, PAM_SUCCESS, PAM_SUCCESS);
	assert_int_equal(c.prompts, 1);
	assert_string_equal(c.prompt[0], "Token: ");
	assert_logged(off, "tokengate[");
	assert_logged(off, "event=auth result=allow reason=ok service=tg user=alice rhost=- "
			   "method=token iss=https://idp.test sub=sub-alice kid=k1 alg=RS256 token=sha256:");
	assert_logged(off, "event=account result=allow reason=ok service=tg user=alice");
	assert_not_logged(off, good);
	assert_not_logged(off, strrchr(good, '.') + 1); /* not even the signature */
}

static void test_rejections(void **state)
{
	(void)state;
	static const struct { const char *tok, *reason, *msg; } v[] = {
		{ "expired", "expired", "it has expired" },
		{ "forged_hs256", "alg_not_allowed", "Token rejected." },
		{ "alg_none", "alg_not_allowed", "Token rejected." },
		{ "for_bob", "user_mismatch", "not issued for this user" },
		{ "bad_signature", "bad_signature", "Token rejected." },
		{ "wrong_issuer", "bad_issuer", "Token rejected." },
		{ "wrong_audience", "bad_audience", "Token rejected." },
		{ "id_token", "bad_type", "Token rejected." },
		{ "future", "not_yet_valid", "not valid yet" },
		{ "unknown_kid", "unknown_kid", "Token rejected." },
		{ "short_key", "unknown_kid", "Token rejected." },
		{ "garbage", "malformed", "not a well-formed token" },
		{ "openssh_junk", "malformed", "not a well-formed token" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *t = token(v[i].tok);
		struct conv c = { .answers = { t, "" }, .nanswers = 2 };
		char want[256];
		long off = log_size();
		print_message("  %-14s -> %s\n", v[i].tok, v[i].reason);
		run("tg", "alice", &c, PAMTEST_AUTHENTICATE, PAM_AUTH_ERR);
		snprintf(want, sizeof(want), "event=auth result=deny reason=%s service=tg user=alice",
			 v[i].reason);
		assert_logged(off, want);
		if (strstr(c.errors, v[i].msg) == NULL)
			fail_msg("%s: user saw '%s', expected '%s'", v[i].tok, c.errors, v[i].msg);
		if (strlen(t) > 20)
			assert_not_logged(off, t);
	}
}

static void test_silent_flag(void **state)
{
	(void)state;
	struct conv c = { .answers = { token("expired") }, .nanswers = 1 };
	struct pam_testcase tc[] = { { PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, PAM_SILENT, 0, { NULL } } };
	assert_int_equal(_pamtest_conv("tg", "alice", conv_fn, &c, tc, 1, NULL), PAMTEST_ERR_OK);
	assert_string_equal(c.errors, "");	/* no "it has expired" under PAM_SILENT */
	assert_int_equal(c.prompts, 1);
}

static void test_token_in_pieces(void **state)
{
	(void)state;
	char *t = token("long");
	size_t n = strlen(t);
	assert_true(n > 2 * 1023 && n < 3 * 1023);
	char *p1 = strndup(t, 1023), *p2 = strndup(t + 1023, 1023), *p3 = strdup(t + 2046);
	struct conv c = { .answers = { p1, p2, p3 }, .nanswers = 3 };
	long off = log_size();
	run("tg", "alice", &c, PAMTEST_AUTHENTICATE, PAM_SUCCESS);
	assert_int_equal(c.prompts, 3);
	assert_string_equal(c.prompt[0], "Token: ");
	assert_string_equal(c.prompt[1], "Token (continued): ");
	assert_string_equal(c.prompt[2], "Token (continued): ");
	assert_logged(off, "event=auth result=allow");
	/* a first piece without two dots asks for more, whatever its length */
	char *good = token("good");
	char *a = strndup(good, 20), *b = strdup(good + 20);
	struct conv c2 = { .answers = { a, b }, .nanswers = 2 };
	run("tg", "alice", &c2, PAMTEST_AUTHENTICATE, PAM_SUCCESS);
	assert_int_equal(c2.prompts, 2);
	/* a piece of exactly 1023 bytes, then Enter: the token ends there */
	char *g1023 = token("exact1023");
	assert_int_equal(strlen(g1023), 1023);
	struct conv c3 = { .answers = { g1023, "" }, .nanswers = 2 };
	run("tg", "alice", &c3, PAMTEST_AUTHENTICATE, PAM_SUCCESS);
	assert_int_equal(c3.prompts, 2);
	free(p1); free(p2); free(p3); free(a); free(b);
}

static void test_pieces_are_capped(void **state)
{
	(void)state;
	struct conv c = { .nanswers = 20 };
	for (int i = 0; i < 20; i++)
		c.answers[i] = "aaaaaaaa";
	long off = log_size();
	run("tg", "alice", &c, PAMTEST_AUTHENTICATE, PAM_AUTH_ERR);
	assert_int_equal(c.prompts, 16);
	assert_logged(off, "reason=malformed");
	struct conv e = { .answers = { "" }, .nanswers = 1 };
	off = log_size();
	run("tg", "alice", &e, PAMTEST_AUTHENTICATE, PAM_AUTH_ERR);
	assert_logged(off, "event=auth result=deny reason=no_credentials");
}

static void test_first_pass(void **state)
{
	(void)state;
	char *good = token("good");
	struct conv none = { .nanswers = 0 };
	setenv("PAM_AUTHTOK", good, 1);
	run("tg_first", "alice", &none, PAMTEST_AUTHENTICATE, PAM_SUCCESS);
	assert_int_equal(none.prompts, 0);
	/* try_first_pass: a password for another module is not a token: ask */
	setenv("PAM_AUTHTOK", "hunter2", 1);
	struct conv ask = { .answers = { good }, .nanswers = 1 };
	run("tg_try", "alice", &ask, PAMTEST_AUTHENTICATE, PAM_SUCCESS);
	assert_int_equal(ask.prompts, 1);
	setenv("PAM_AUTHTOK", good, 1);
	struct conv none2 = { .nanswers = 0 };
	run("tg_try", "alice", &none2, PAMTEST_AUTHENTICATE, PAM_SUCCESS);
	assert_int_equal(none2.prompts, 0);
	/* use_first_pass with nothing stacked before: no prompt, no success */
	unsetenv("PAM_AUTHTOK");
	struct conv none3 = { .nanswers = 0 };
	long off = log_size();
	run("tg_first", "alice", &none3, PAMTEST_AUTHENTICATE, PAM_AUTH_ERR);
	assert_int_equal(none3.prompts, 0);
	assert_logged(off, "reason=no_credentials");
}

static void test_authorization(void **state)
{
	(void)state;
	char *good = token("good");	/* groups: ["devs"] */
	struct conv c = { .answers = { good }, .nanswers = 1 };
	long off = log_size();
	run("tg_admins", "alice", &c, PAMTEST_AUTHENTICATE, PAM_PERM_DENIED);
	assert_logged(off, "event=auth result=deny reason=not_authorized service=tg_admins");
	char *admin = token("admin");
	struct conv a = { .answers = { admin }, .nanswers = 1 };
	run3("tg_admins", "alice", &a, PAM_SUCCESS, PAM_SUCCESS, PAM_SUCCESS);
}

static void test_id_tokens(void **state)
{
	(void)state;
	struct conv c = { .answers = { token("id_token") }, .nanswers = 1 };
	run("tg_id", "alice", &c, PAMTEST_AUTHENTICATE, PAM_SUCCESS);
	struct conv d = { .answers = { token("good"), "" }, .nanswers = 2 };
	long off = log_size();
	run("tg_id", "alice", &d, PAMTEST_AUTHENTICATE, PAM_AUTH_ERR);
	assert_logged(off, "reason=bad_type");
}

static void test_helper_failures(void **state)
{
	(void)state;
	static const struct { const char *svc, *reason, *detail; } v[] = {
		{ "tg_missing", "internal", "helper_missing" },
		{ "tg_crash", "internal", "helper_died" },
		{ "tg_hang", "timeout", "helper_timeout" },
		{ "tg_garbage", "internal", "helper_garbage" },
		{ "tg_badversion", "internal", "helper_garbage" },
		{ "tg_silent", "internal", "helper_died" },
		{ "tg_exit1", "internal", "helper_exit_status" },
		{ "tg_liar", "internal", "helper_garbage" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct conv c = { .answers = { token("good") }, .nanswers = 1 };
		char want[256];
		long off = log_size();
		time_t t0 = time(NULL);
		print_message("  %-14s -> %s\n", v[i].svc, v[i].detail);
		run(v[i].svc, "alice", &c, PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL);
		assert_true(time(NULL) - t0 <= 4);
		snprintf(want, sizeof(want), "pam_tokengate(%s:auth): event=auth result=deny "
			 "reason=%s service=%s user=alice rhost=- detail=%s", v[i].svc,
			 v[i].reason, v[i].svc, v[i].detail);
		assert_logged(off, want);
	}
}

static void test_broken_config(void **state)
{
	(void)state;
	struct conv c = { .answers = { token("good") }, .nanswers = 1 };
	long off = log_size();
	run("tg_badconf", "alice", &c, PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(c.prompts, 0);	/* fails before asking anything */
	assert_logged(off, "event=config result=error reason=internal service=tg_badconf");
	assert_logged(off, "broken.conf:4: leeway must be a duration");
	assert_logged(off, "event=auth result=deny reason=internal service=tg_badconf");
	if (strstr(c.errors, "contact your administrator") == NULL)
		fail_msg("user saw '%s'", c.errors);
	struct conv m = { .answers = { token("good") }, .nanswers = 1 };
	off = log_size();
	run("tg_noconf", "alice", &m, PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL);
	assert_logged(off, "event=config result=error");
}

static void test_stages_without_our_auth(void **state)
{
	(void)state;
	struct conv c = { .nanswers = 0 };
	/* setcred and account neither allow nor deny unless we authenticated:
	 * "sufficient tokengate + pam_deny" must deny (no success from us),
	 * "required tokengate + pam_permit" must allow (no denial from us). */
	run("tg_then_deny", "alice", &c, PAMTEST_SETCRED, PAM_CRED_ERR);
	run("tg_then_deny", "alice", &c, PAMTEST_ACCOUNT, PAM_AUTH_ERR);
	run("tg_then_permit", "alice", &c, PAMTEST_SETCRED, PAM_SUCCESS);
	run("tg_then_permit", "alice", &c, PAMTEST_ACCOUNT, PAM_SUCCESS);
	assert_int_equal(c.prompts, 0);
}

static void test_bad_user_names(void **state)
{
	(void)state;
	struct conv c = { .answers = { token("good") }, .nanswers = 1 };
	run("tg", "alice\nevent=auth", &c, PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN);
	run("tg", "-alice", &c, PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN);
	assert_int_equal(c.prompts, 0);
}

int main(void)
{
	dir = getenv("TG_TEST_DIR");
	logpath = getenv("TG_LOG");
	if (dir == NULL || logpath == NULL) {
		fprintf(stderr, "run through tests/integration/run.sh\n");
		return 2;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_login),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_silent_flag),
		cmocka_unit_test(test_token_in_pieces),
		cmocka_unit_test(test_pieces_are_capped),
		cmocka_unit_test(test_first_pass),
		cmocka_unit_test(test_authorization),
		cmocka_unit_test(test_id_tokens),
		cmocka_unit_test(test_helper_failures),
		cmocka_unit_test(test_broken_config),
		cmocka_unit_test(test_stages_without_our_auth),
		cmocka_unit_test(test_bad_user_names),
	};
	int rc = cmocka_run_group_tests_name("pam", tests, NULL, NULL);
	for (int i = 0; i < nbufs; i++)
		free(bufs[i]);
	return rc;
}
