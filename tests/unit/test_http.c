/* test_http.c - the URL policy of the HTTP client (no network here). */
#include "testutil.h"
#include "http.h"

static void test_url_policy(void **state)
{
	(void)state;
	static const struct { const char *url; bool loop, want; } v[] = {
		{ "https://idp.example.com/realms/corp", false, true },
		{ "https://idp.example.com:8443/x", false, true },
		{ "http://idp.example.com/", true, false },	/* http: loopback only */
		{ "http://127.0.0.1:8080/", true, true },
		{ "http://127.1.2.3/", true, true },
		{ "http://127.0.0.1:8080/", false, false },	/* not allowed by config */
		{ "http://[::1]:8080/jwks", true, true },
		{ "http://[::2]:8080/jwks", true, false },
		{ "http://localhost:8080/", true, true },
		{ "http://localhost.evil.test/", true, false },
		{ "http://127.0.0.1.evil.test/", true, false },
		{ "http://user@127.0.0.1/", true, false },	/* no credentials in URLs */
		{ "https://user:pw@idp.example.com/", false, false },
		{ "ftp://idp.example.com/", true, false },
		{ "file:///etc/passwd", true, false },
		{ "https://", false, false },
		{ "https://idp.example.com/ x", false, false },
		{ "https://idp.example.com/\n", false, false },
		{ "HTTPS://idp.example.com/", false, false },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (tg_http_url_allowed(v[i].url, v[i].loop) != v[i].want)
			fail_msg("%s (loopback %d): expected %s", v[i].url, v[i].loop,
				 v[i].want ? "allowed" : "refused");
	assert_false(tg_http_url_allowed(NULL, true));
}

static void test_refused_url_makes_no_request(void **state)
{
	(void)state;
	struct tg_http_opts o = { 0 };
	struct tg_http_resp r;
	assert_rc(tg_http_request(&o, "http://192.0.2.1/", NULL, NULL, NULL, &r), TG_E_CONFIG);
	assert_int_equal(r.cls, TG_HTTP_BAD_URL);
	tg_http_resp_free(&r);
}

static void test_classes(void **state)
{
	(void)state;
	assert_true(tg_http_retryable(TG_HTTP_5XX));
	assert_true(tg_http_retryable(TG_HTTP_429));
	assert_true(tg_http_retryable(TG_HTTP_TIMEOUT));
	assert_false(tg_http_retryable(TG_HTTP_4XX));
	assert_false(tg_http_retryable(TG_HTTP_TLS));
	assert_string_equal(tg_http_class_name(TG_HTTP_TOO_BIG), "too_big");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_policy),
		cmocka_unit_test(test_refused_url_makes_no_request),
		cmocka_unit_test(test_classes),
	};
	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
