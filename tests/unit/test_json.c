/* test_json.c - strict JSON parsing (internal API). */
#include "testutil.h"
#include "tg_internal.h"

static tg_rc parse(const char *s, size_t len)
{
	json_t *j = NULL;
	tg_rc rc = tg_json_parse_object(s, len, 4096, TG_JSON_MAX_DEPTH, &j);
	if (rc == TG_OK)
		assert_non_null(j);
	else
		assert_null(j);
	json_decref(j);
	return rc;
}
#define P(s) parse(s, sizeof(s) - 1)

static void test_accepts_objects(void **state)
{
	(void)state;
	assert_rc(P("{}"), TG_OK);
	assert_rc(P("{\"a\":1,\"b\":[1,2,{\"c\":\"\\u00e9\"}]}"), TG_OK);
	assert_rc(P(" {\"a\" : \"\xc3\xa9\"} "), TG_OK);
}

static void test_rejects(void **state)
{
	(void)state;
	assert_rc(P("[]"), TG_E_MALFORMED);			/* not an object */
	assert_rc(P("\"x\""), TG_E_MALFORMED);
	assert_rc(P("{\"a\":1,\"a\":2}"), TG_E_MALFORMED);	/* duplicate */
	assert_rc(P("{\"a\":\"x\\u0000y\"}"), TG_E_MALFORMED);	/* escaped NUL */
	assert_rc(parse("{\"a\":\"x\0y\"}", 11), TG_E_MALFORMED); /* raw NUL */
	assert_rc(P("{\"a\":\"\xff\"}"), TG_E_MALFORMED);	/* invalid UTF-8 */
	assert_rc(P("{\"a\":\"\xc0\xaf\"}"), TG_E_MALFORMED);	/* overlong */
	assert_rc(P("{\"a\":\"\xed\xa0\x80\"}"), TG_E_MALFORMED); /* surrogate */
	assert_rc(P("{\"a\":\"\\ud800\"}"), TG_E_MALFORMED);	/* lone surrogate */
	assert_rc(P("{} x"), TG_E_MALFORMED);			/* trailing */
	assert_rc(P("{}{}"), TG_E_MALFORMED);
	assert_rc(P("{\"a\":1,}"), TG_E_MALFORMED);
	assert_rc(P("{\"a\":99999999999999999999999}"), TG_E_MALFORMED);
	assert_rc(P(""), TG_E_MALFORMED);
}

static void test_depth_and_size(void **state)
{
	(void)state;
	char deep[256];
	size_t n = 0;
	deep[n++] = '{';
	deep[n++] = '"';
	deep[n++] = 'a';
	deep[n++] = '"';
	deep[n++] = ':';
	for (int i = 0; i < 40; i++)
		deep[n++] = '[';
	for (int i = 0; i < 40; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	assert_rc(parse(deep, n), TG_E_MALFORMED);
	/* brackets inside strings do not count */
	assert_rc(P("{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}"), TG_OK);
	char *big = malloc(5000);
	memset(big, ' ', 5000);
	big[0] = '{';
	big[4999] = '}';
	assert_rc(parse(big, 5000), TG_E_MALFORMED);	/* over the 4096 cap */
	free(big);
}

static void test_json_int(void **state)
{
	(void)state;
	json_t *j = NULL;
	int64_t v = 0;
	assert_rc(P("{}"), TG_OK);
	const char *text = "{\"i\":5,\"r\":5.0,\"s\":\"5\",\"e\":1e3}";
	assert_int_equal(tg_json_parse_object(text, strlen(text), 4096, 8, &j), TG_OK);
	assert_true(tg_json_int(json_object_get(j, "i"), &v));
	assert_int_equal(v, 5);
	assert_false(tg_json_int(json_object_get(j, "r"), &v));
	assert_false(tg_json_int(json_object_get(j, "s"), &v));
	assert_false(tg_json_int(json_object_get(j, "e"), &v));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_objects),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_depth_and_size),
		cmocka_unit_test(test_json_int),
	};
	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
