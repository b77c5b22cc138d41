/*
 * test_results.c - the result table (lib/rc.c) per stage, against DESIGN
 * sections 7 and 8, and the module's mapping (pam/module_result.c, the
 * shipped module's object) that reads it, the helper-failed case included.
 */
#include <stdbool.h>
#include <syslog.h>

#include <security/_pam_types.h>

#include "testutil.h"
#include "module.h"

#define ALL_AT(at) for (tg_pam_at at = TG_AT_AUTH; at < TG_AT_COUNT; at++)
#define ALL_RC(rc) for (tg_rc rc = TG_OK; rc < TG_R_COUNT; rc++)

/* DESIGN section 7's reason codes, and bad_password. */
static const char *const reasons[] = {
	"ok", "malformed", "bad_signature", "alg_not_allowed", "unknown_kid", "expired",
	"not_yet_valid", "bad_issuer", "bad_audience", "bad_type", "user_mismatch",
	"not_authorized", "revoked", "idp_unreachable", "grace_expired", "locked_out",
	"no_credentials", "timeout", "internal", "bad_password",
};

static bool fixed_reason(const char *r)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reasons[i], r) == 0)
			return true;
	return false;
}

/* Every row answers every column, with a real PAM code, a priority, a
 * lockout flag, a fixed reason code and a text. */
static void test_every_row_complete(void **state)
{
	(void)state;
	ALL_RC(rc) {
		const char *reason = tg_reason(rc), *text = tg_strerror(rc);
		assert_non_null(reason);
		assert_true(fixed_reason(reason));
		assert_non_null(text);
		assert_true(*text != '\0');
		assert_string_not_equal(text, "unknown error");
		int prio = tg_rc_priority(rc);
		assert_true(prio >= LOG_ALERT && prio <= LOG_INFO);
		int guess = tg_rc_is_guess(rc);
		assert_true(guess == 0 || guess == 1);
		ALL_AT(at) {
			int code = tg_rc_pam(rc, at);
			assert_true(code >= 0 && code < _PAM_RETURN_VALUES);
			/* nothing falls through to PAM_SUCCESS */
			assert_true((code == PAM_SUCCESS) == (rc == TG_OK));
		}
		/* no result lets a stack skip tokengate's auth */
		assert_int_not_equal(tg_rc_pam(rc, TG_AT_AUTH), PAM_IGNORE);
		/* a person refused by the helper is told why (no credentials:
		 * nothing to say) */
		if (rc != TG_OK && rc != TG_E_NO_CREDENTIALS && rc < TG_RC_COUNT) {
			assert_non_null(tg_rc_token_message(rc));
			assert_non_null(tg_rc_login_message(rc));
		}
	}
	assert_null(tg_rc_token_message(TG_OK));
	assert_null(tg_rc_login_message(TG_E_NO_CREDENTIALS));
}

/* Wrong credentials: PAM_AUTH_ERR at auth, a denial at account, LOG_NOTICE. */
static void test_wrong_credentials(void **state)
{
	(void)state;
	static const tg_rc wrong[] = {
		TG_E_MALFORMED, TG_E_BAD_SIGNATURE, TG_E_ALG_NOT_ALLOWED, TG_E_UNKNOWN_KID,
		TG_E_EXPIRED, TG_E_NOT_YET_VALID, TG_E_BAD_ISSUER, TG_E_BAD_AUDIENCE,
		TG_E_BAD_TYPE, TG_E_USER_MISMATCH, TG_E_REVOKED, TG_E_BAD_PASSWORD,
	};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		assert_int_equal(tg_rc_pam(wrong[i], TG_AT_AUTH), PAM_AUTH_ERR);
		assert_int_equal(tg_rc_pam(wrong[i], TG_AT_ACCOUNT), PAM_PERM_DENIED);
		assert_int_equal(tg_rc_pam(wrong[i], TG_AT_ACCOUNT_UNCLAIMED), PAM_PERM_DENIED);
		assert_int_equal(tg_rc_priority(wrong[i]), LOG_NOTICE);
	}
	/* a forged token, a refused password */
	assert_int_equal(tg_rc_pam(TG_E_BAD_SIGNATURE, TG_AT_AUTH), PAM_AUTH_ERR);
	assert_int_equal(tg_rc_priority(TG_E_BAD_SIGNATURE), LOG_NOTICE);
	assert_int_equal(tg_rc_priority(TG_E_BAD_PASSWORD), LOG_NOTICE);
	assert_int_equal(tg_rc_pam(TG_E_REVOKED, TG_AT_ACCOUNT), PAM_PERM_DENIED);
	assert_int_equal(tg_rc_pam(TG_E_NO_CREDENTIALS, TG_AT_AUTH), PAM_AUTH_ERR);
	assert_int_equal(tg_rc_priority(TG_E_NO_CREDENTIALS), LOG_NOTICE);
}

/* Authenticated or not, not allowed in: PAM_PERM_DENIED everywhere. */
static void test_refusals(void **state)
{
	(void)state;
	assert_int_equal(tg_rc_pam(TG_E_NOT_AUTHORIZED, TG_AT_AUTH), PAM_PERM_DENIED);
	assert_int_equal(tg_rc_pam(TG_E_NOT_AUTHORIZED, TG_AT_ACCOUNT), PAM_PERM_DENIED);
	assert_int_equal(tg_rc_priority(TG_E_NOT_AUTHORIZED), LOG_NOTICE);
	assert_int_equal(tg_rc_pam(TG_E_LOCKED_OUT, TG_AT_AUTH), PAM_PERM_DENIED);
	assert_int_equal(tg_rc_priority(TG_E_LOCKED_OUT), LOG_NOTICE);
	/* grace over: nothing decided at auth, a denial at account */
	assert_int_equal(tg_rc_pam(TG_E_GRACE_EXPIRED, TG_AT_AUTH), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(tg_rc_pam(TG_E_GRACE_EXPIRED, TG_AT_ACCOUNT), PAM_PERM_DENIED);
	assert_int_equal(tg_rc_priority(TG_E_GRACE_EXPIRED), LOG_WARNING);
}

/* Nothing decided: PAM_AUTHINFO_UNAVAIL, at the priority of its cause. */
static void test_unavailable(void **state)
{
	(void)state;
	static const tg_rc unavail[] = { TG_E_IDP_UNREACHABLE, TG_E_TIMEOUT, TG_E_INTERNAL,
					 TG_E_CONFIG, TG_E_NOMEM, TG_E_IO };
	for (size_t i = 0; i < sizeof(unavail) / sizeof(unavail[0]); i++) {
		assert_int_equal(tg_rc_pam(unavail[i], TG_AT_AUTH), PAM_AUTHINFO_UNAVAIL);
		assert_int_equal(tg_rc_pam(unavail[i], TG_AT_ACCOUNT), PAM_AUTHINFO_UNAVAIL);
	}
	assert_int_equal(tg_rc_priority(TG_E_INTERNAL), LOG_ERR);
	assert_int_equal(tg_rc_priority(TG_E_TIMEOUT), LOG_ERR);
	assert_int_equal(tg_rc_priority(TG_E_IDP_UNREACHABLE), LOG_WARNING);
	assert_int_equal(tg_rc_priority(TG_E_CONFIG), LOG_ALERT);
	assert_int_equal(tg_rc_priority(TG_E_NOMEM), LOG_CRIT);
	assert_int_equal(tg_rc_priority(TG_E_IO), LOG_CRIT);
	assert_int_equal(tg_rc_priority(TG_OK), LOG_INFO);
	/* the audit format: one reason code for every local failure */
	assert_string_equal(tg_reason(TG_E_CONFIG), "internal");
	assert_string_equal(tg_reason(TG_E_NOMEM), "internal");
	assert_string_equal(tg_reason(TG_E_IO), "internal");
	assert_string_equal(tg_reason(TG_R_HELPER_FAILED), "internal");
	/* outside the table: internal, never a success */
	ALL_AT(at) assert_int_not_equal(tg_rc_pam((tg_rc)999, at), PAM_SUCCESS);
	assert_string_equal(tg_reason((tg_rc)999), "internal");
	assert_int_equal(tg_rc_pam(TG_OK, TG_AT_COUNT), PAM_SERVICE_ERR);
}

/* Setcred counts only our own success; sessions ignore users without one;
 * the unclaimed account column differs from the claimed one only there. */
static void test_stages(void **state)
{
	(void)state;
	ALL_RC(rc) {
		if (rc == TG_OK || rc >= TG_RC_COUNT)
			continue;
		int sess = rc == TG_E_NO_CREDENTIALS ? PAM_IGNORE : PAM_SESSION_ERR;
		assert_int_equal(tg_rc_pam(rc, TG_AT_SETCRED), PAM_IGNORE);
		assert_int_equal(tg_rc_pam(rc, TG_AT_OPEN_SESSION), sess);
		assert_int_equal(tg_rc_pam(rc, TG_AT_CLOSE_SESSION), sess);
		if (rc != TG_E_NO_CREDENTIALS)
			assert_int_equal(tg_rc_pam(rc, TG_AT_ACCOUNT_UNCLAIMED),
					 tg_rc_pam(rc, TG_AT_ACCOUNT));
	}
	assert_int_equal(tg_rc_pam(TG_E_NO_CREDENTIALS, TG_AT_ACCOUNT), PAM_PERM_DENIED);
	assert_int_equal(tg_rc_pam(TG_E_NO_CREDENTIALS, TG_AT_ACCOUNT_UNCLAIMED), PAM_IGNORE);
	/* the module's own results */
	assert_int_equal(tg_rc_pam(TG_R_HELPER_FAILED, TG_AT_AUTH), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(tg_rc_pam(TG_R_HELPER_FAILED, TG_AT_ACCOUNT_UNCLAIMED), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(tg_rc_pam(TG_R_HELPER_FAILED, TG_AT_SETCRED), PAM_IGNORE);
	assert_int_equal(tg_rc_pam(TG_R_HELPER_FAILED, TG_AT_OPEN_SESSION), PAM_SESSION_ERR);
	ALL_AT(at) {
		assert_int_equal(tg_rc_pam(TG_R_MODULE_FAILED, at), PAM_AUTHINFO_UNAVAIL);
		assert_int_equal(tg_rc_pam(TG_R_UNKNOWN_USER, at), PAM_USER_UNKNOWN);
		assert_int_equal(tg_rc_pam(TG_R_CONV_AGAIN, at), PAM_INCOMPLETE);
		assert_int_equal(tg_rc_pam(TG_R_BUF_ERR, at), PAM_BUF_ERR);
	}
	assert_int_equal(tg_rc_priority(TG_R_HELPER_FAILED), LOG_ERR);
	assert_int_equal(tg_rc_priority(TG_R_UNKNOWN_USER), LOG_NOTICE);
}

/* Lockout keeps refused passwords only; the user hears what the helper
 * has always said. */
static void test_guesses_and_messages(void **state)
{
	(void)state;
	ALL_RC(rc) assert_int_equal(tg_rc_is_guess(rc), rc == TG_E_BAD_PASSWORD);
	assert_string_equal(tg_rc_token_message(TG_E_EXPIRED), "Token rejected: it has expired.");
	assert_string_equal(tg_rc_token_message(TG_E_BAD_SIGNATURE), "Token rejected.");
	assert_string_equal(tg_rc_token_message(TG_E_CONFIG),
			    "Token login is unavailable; contact your administrator.");
	assert_string_equal(tg_rc_login_message(TG_E_BAD_PASSWORD), "Password rejected.");
	assert_string_equal(tg_rc_login_message(TG_E_GRACE_EXPIRED),
			    "Identity provider unreachable, and the offline grace period has ended.");
	assert_string_equal(tg_rc_login_message(TG_E_LOCKED_OUT),
			    "Too many failed attempts; try again later.");
	assert_string_equal(tg_rc_login_message(TG_E_MALFORMED),
			    "Login is unavailable; contact your administrator.");
}

/* The module's mapping gives the table's answers at each of its stages. */
static void test_module_mapping(void **state)
{
	(void)state;
	static const struct {
		enum tg_stage stage;
		bool claimed;
		tg_pam_at at;
	} cols[] = {
		{ TG_STAGE_AUTH, false, TG_AT_AUTH }, { TG_STAGE_AUTH, true, TG_AT_AUTH },
		{ TG_STAGE_SETCRED, false, TG_AT_SETCRED }, { TG_STAGE_SETCRED, true, TG_AT_SETCRED },
		{ TG_STAGE_ACCOUNT, true, TG_AT_ACCOUNT },
		{ TG_STAGE_ACCOUNT, false, TG_AT_ACCOUNT_UNCLAIMED },
		{ TG_STAGE_OPEN_SESSION, false, TG_AT_OPEN_SESSION },
		{ TG_STAGE_OPEN_SESSION, true, TG_AT_OPEN_SESSION },
		{ TG_STAGE_CLOSE_SESSION, false, TG_AT_CLOSE_SESSION },
		{ TG_STAGE_CLOSE_SESSION, true, TG_AT_CLOSE_SESSION },
	};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		ALL_RC(rc) {
			struct tg_outcome o = { .rc = rc, .helper_ok = true };
			assert_int_equal(tg_pam_code(cols[i].stage, cols[i].claimed, rc),
					 tg_rc_pam(rc, cols[i].at));
			assert_int_equal(tg_outcome_result(&o), rc);
			/* no well-formed answer: whatever rc says */
			o.helper_ok = false;
			assert_int_equal(tg_outcome_result(&o), TG_R_HELPER_FAILED);
			assert_int_equal(tg_pam_code(cols[i].stage, cols[i].claimed,
						     tg_outcome_result(&o)),
					 tg_rc_pam(TG_R_HELPER_FAILED, cols[i].at));
		}
	}
	assert_int_equal(tg_pam_code(TG_STAGE_AUTH, false, TG_E_BAD_SIGNATURE), PAM_AUTH_ERR);
	assert_int_equal(tg_pam_code(TG_STAGE_AUTH, false, TG_E_INTERNAL), PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(tg_pam_code(TG_STAGE_ACCOUNT, false, TG_E_NO_CREDENTIALS), PAM_IGNORE);
	assert_int_equal(tg_pam_code(TG_STAGE_ACCOUNT, true, TG_E_NO_CREDENTIALS), PAM_PERM_DENIED);
	assert_int_equal(tg_pam_code(TG_STAGE_ACCOUNT, true, TG_E_REVOKED), PAM_PERM_DENIED);
	struct tg_outcome ok_but_failed = { .rc = TG_OK, .helper_ok = false };
	assert_int_equal(tg_pam_code(TG_STAGE_AUTH, false, tg_outcome_result(&ok_but_failed)),
			 PAM_AUTHINFO_UNAVAIL);
	assert_int_equal(tg_pam_code(TG_STAGE_SETCRED, false, tg_outcome_result(&ok_but_failed)),
			 PAM_IGNORE);
	assert_int_equal(tg_pam_code((enum tg_stage)99, false, TG_OK), PAM_SERVICE_ERR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_complete),
		cmocka_unit_test(test_wrong_credentials),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_unavailable),
		cmocka_unit_test(test_stages),
		cmocka_unit_test(test_guesses_and_messages),
		cmocka_unit_test(test_module_mapping),
	};
	return cmocka_run_group_tests_name("results", tests, NULL, NULL);
}
