/* test_audit.c - audit record rendering and escaping. */
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
	};
	return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
