/* test_audit.c - audit record rendering and escaping. */
#include <stdio.h>

#include "testutil.h"

static char *render1(const char *value, int json)
{
	tg_audit *a = tg_audit_new("auth");
	tg_audit_add(a, "user", value);
	char *s = tg_audit_render(a, json);
	tg_audit_free(a);
	assert_non_null(s);
	return s;
}

static void expect(const char *value, const char *want)
{
	char *s = render1(value, 0);
	assert_string_equal(s, want);
	free(s);
}

/* One value rendered as logfmt and as JSON; want_* is the value as rendered. */
struct esc_case {
	const char *value, *raw, *want_logfmt, *want_json;
};

/* Fails if the raw UTF-8 sequence raw survives anywhere in s. */
static void assert_no_raw(const char *s, const char *raw)
{
	if (raw != NULL && strstr(s, raw) != NULL)
		fail_msg("raw sequence survived in: %s", s);
}

static void expect_both(const struct esc_case *c)
{
	char want[512];
	char *s = render1(c->value, 0);
	snprintf(want, sizeof(want), "event=auth user=%s", c->want_logfmt);
	assert_string_equal(s, want);
	assert_no_raw(s, c->raw);
	free(s);
	s = render1(c->value, 1);
	snprintf(want, sizeof(want), "{\"event\":\"auth\",\"user\":%s}", c->want_json);
	assert_string_equal(s, want);
	assert_no_raw(s, c->raw);
	free(s);
}

static void expect_cases(const struct esc_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_both(&c[i]);
}

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

static void test_plain_and_quoted(void **state)
{
	(void)state;
	expect("alice", "event=auth user=alice");
	expect("", "event=auth user=-");
	expect(NULL, "event=auth user=-");
	expect("a b", "event=auth user=\"a b\"");
	expect("a=b", "event=auth user=\"a=b\"");
	expect("say \"hi\"", "event=auth user=\"say \\\"hi\\\"\"");
	expect("back\\slash", "event=auth user=\"back\\\\slash\"");
}

static void test_no_forged_fields_or_lines(void **state)
{
	(void)state;
	expect("x result=allow", "event=auth user=\"x result=allow\"");
	expect("x\nevent=auth result=allow", "event=auth user=\"x\\nevent=auth result=allow\"");
	expect("\r\t\x01\x7f", "event=auth user=\"\\r\\t\\x01\\x7f\"");
	expect("\xff\xfe", "event=auth user=\"\\xff\\xfe\"");
	expect("caf\xc3\xa9", "event=auth user=\"caf\xc3\xa9\"");
	expect("\xc0\xaf", "event=auth user=\"\\xc0\\xaf\"");	/* overlong */
}

static void test_cap(void **state)
{
	(void)state;
	char big[1000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char *s = render1(big, 0);
	assert_true(strlen(s) < 260);
	assert_non_null(strstr(s, "..."));
	free(s);
}

static void test_json(void **state)
{
	(void)state;
	char *s = render1("a\"b\n\x01\xff", 1);
	assert_string_equal(s, "{\"event\":\"auth\",\"user\":\"a\\\"b\\n\\u0001\\ufffd\"}");
	free(s);
}

/* C1 controls: U+0085 NEL ends a line, U+009B is CSI for terminals. */
static void test_c1_controls(void **state)
{
	(void)state;
	static const struct esc_case c[] = {
		{ "a\xc2\x85" "b", "\xc2\x85", "\"a\\u0085b\"", "\"a\\u0085b\"" },
		{ "\xc2\x9b" "31m", "\xc2\x9b", "\"\\u009b31m\"", "\"\\u009b31m\"" },
		{ "\xc2\x80", "\xc2\x80", "\"\\u0080\"", "\"\\u0080\"" },
		{ "\xc2\x9f", "\xc2\x9f", "\"\\u009f\"", "\"\\u009f\"" },
	};
	expect_cases(c, NCASES(c));
}

static void test_line_separators(void **state)
{
	(void)state;
	static const struct esc_case c[] = {
		{ "x\xe2\x80\xa8" "event=auth result=allow", "\xe2\x80\xa8",
		  "\"x\\u2028event=auth result=allow\"",
		  "\"x\\u2028event=auth result=allow\"" },
		{ "x\xe2\x80\xa9y", "\xe2\x80\xa9", "\"x\\u2029y\"", "\"x\\u2029y\"" },
	};
	expect_cases(c, NCASES(c));
}

/* Bidi controls could make a value display as something it does not hold. */
static void test_bidi_controls(void **state)
{
	(void)state;
	static const struct esc_case c[] = {
		{ "bob\xe2\x80\xae" "wolla=tluser", "\xe2\x80\xae",
		  "\"bob\\u202ewolla=tluser\"", "\"bob\\u202ewolla=tluser\"" },
		{ "\xe2\x81\xa6" "x", "\xe2\x81\xa6", "\"\\u2066x\"", "\"\\u2066x\"" },
		{ "a\xe2\x80\x8f", "\xe2\x80\x8f", "\"a\\u200f\"", "\"a\\u200f\"" },
		{ "\xe2\x80\x8e", "\xe2\x80\x8e", "\"\\u200e\"", "\"\\u200e\"" },
		{ "\xd8\x9c", "\xd8\x9c", "\"\\u061c\"", "\"\\u061c\"" },
		{ "\xe2\x80\xaa", "\xe2\x80\xaa", "\"\\u202a\"", "\"\\u202a\"" },
		{ "\xe2\x81\xa9", "\xe2\x81\xa9", "\"\\u2069\"", "\"\\u2069\"" },
	};
	expect_cases(c, NCASES(c));
}

/* Zero-width characters and the BOM make different values look the same. */
static void test_invisible(void **state)
{
	(void)state;
	static const struct esc_case c[] = {
		{ "al\xe2\x80\x8bice", "\xe2\x80\x8b", "\"al\\u200bice\"", "\"al\\u200bice\"" },
		{ "\xe2\x80\x8d", "\xe2\x80\x8d", "\"\\u200d\"", "\"\\u200d\"" },
		{ "\xef\xbb\xbf" "alice", "\xef\xbb\xbf", "\"\\ufeffalice\"", "\"\\ufeffalice\"" },
	};
	expect_cases(c, NCASES(c));
}

/* Ordinary UTF-8, neighbours of the escaped ranges included, passes as is. */
static void test_ordinary_utf8_kept(void **state)
{
	(void)state;
	static const struct esc_case c[] = {
		{ "\xc3\xa9" "t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", NULL,
		  "\"\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\"",
		  "\"\xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\"" },
		/* U+00A0, U+200A, U+2027, U+202F, U+206A, U+1F600 */
		{ "\xc2\xa0\xe2\x80\x8a\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xaa\xf0\x9f\x98\x80", NULL,
		  "\"\xc2\xa0\xe2\x80\x8a\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xaa\xf0\x9f\x98\x80\"",
		  "\"\xc2\xa0\xe2\x80\x8a\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xaa\xf0\x9f\x98\x80\"" },
	};
	expect_cases(c, NCASES(c));
}

/* The kid comes from an unverified header: escaped like any value. */
static void test_kid_escaped(void **state)
{
	(void)state;
	tg_audit *a = tg_audit_new("auth");
	tg_audit_add(a, "kid", "k1\xe2\x80\xae\xe2\x80\xa8\xc2\x9b");
	tg_audit_add(a, "result", "deny");
	char *s = tg_audit_render(a, 0);
	assert_string_equal(s, "event=auth kid=\"k1\\u202e\\u2028\\u009b\" result=deny");
	free(s);
	s = tg_audit_render(a, 1);
	assert_string_equal(s, "{\"event\":\"auth\",\"kid\":\"k1\\u202e\\u2028\\u009b\",\"result\":\"deny\"}");
	free(s);
	tg_audit_free(a);
}

/* pad 'a's then tail, rendered; the caller frees. */
static char *render_padded(size_t pad, const char *tail, int json)
{
	char v[300];
	memset(v, 'a', pad);
	snprintf(v + pad, sizeof(v) - pad, "%s", tail);
	return render1(v, json);
}

/* The 200-byte cap takes whole characters: no half escape, no half UTF-8. */
static void test_cap_whole_characters(void **state)
{
	(void)state;
	for (int json = 0; json <= 1; json++) {
		char *s = render_padded(197, "\xe2\x80\xae", json);	/* 200 bytes */
		assert_non_null(strstr(s, "a\\u202e\""));
		assert_null(strstr(s, "..."));
		free(s);
		s = render_padded(198, "\xe2\x80\xae", json);	/* 201: cut before */
		assert_non_null(strstr(s, "a...\""));
		assert_null(strstr(s, "\\u"));
		assert_null(strchr(s, '\xe2'));
		free(s);
		s = render_padded(198, "\xc3\xa9", json);	/* 200 bytes */
		assert_non_null(strstr(s, "a\xc3\xa9\""));
		free(s);
		s = render_padded(199, "\xc3\xa9", json);	/* 201: cut before */
		assert_non_null(strstr(s, "a...\""));
		assert_null(strchr(s, '\xc3'));
		free(s);
		s = render_padded(199, "\xff\xff", json);	/* invalid: byte by byte */
		assert_non_null(strstr(s, json ? "a\\ufffd...\"" : "a\\xff...\""));
		free(s);
	}
}

static void test_order_and_replace(void **state)
{
	(void)state;
	tg_audit *a = tg_audit_new("auth");
	tg_audit_add(a, "result", "deny");
	tg_audit_add(a, "reason", "expired");
	tg_audit_add(a, "result", "allow");
	tg_audit_addf_ms(a, "latency_ms", 2.44);
	char *s = tg_audit_render(a, 0);
	assert_string_equal(s, "event=auth result=allow reason=expired latency_ms=2.4");
	free(s);
	tg_audit_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_quoted),
		cmocka_unit_test(test_no_forged_fields_or_lines),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_order_and_replace),
		cmocka_unit_test(test_c1_controls),
		cmocka_unit_test(test_line_separators),
		cmocka_unit_test(test_bidi_controls),
		cmocka_unit_test(test_invisible),
		cmocka_unit_test(test_ordinary_utf8_kept),
		cmocka_unit_test(test_kid_escaped),
		cmocka_unit_test(test_cap_whole_characters),
	};
	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
