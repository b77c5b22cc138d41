/* test_http.c - the URL policy of the HTTP client and the one classification
 * of outcomes (no network beyond a closed port on 127.0.0.1). */
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* DESIGN section 3: only a request that met the network, a timeout, a
 * 429 or a 5xx (or the circuit those opened) is the provider being
 * unreachable; everything else never leads to grace or the circuit. */
static void test_only_the_provider_is_unreachable(void **state)
{
	(void)state;
	static const struct { tg_http_class c; tg_rc rc; int verdict; } v[] = {
		{ TG_HTTP_OK, TG_OK, 1 },
		{ TG_HTTP_NETWORK, TG_E_IDP_UNREACHABLE, -1 },
		{ TG_HTTP_TIMEOUT, TG_E_IDP_UNREACHABLE, -1 },
		{ TG_HTTP_429, TG_E_IDP_UNREACHABLE, -1 },
		{ TG_HTTP_5XX, TG_E_IDP_UNREACHABLE, -1 },
		{ TG_HTTP_CIRCUIT_OPEN, TG_E_IDP_UNREACHABLE, 0 },
		{ TG_HTTP_4XX, TG_E_CONFIG, 1 },
		{ TG_HTTP_BAD_URL, TG_E_CONFIG, 0 },
		{ TG_HTTP_TLS, TG_E_MALFORMED, 0 },
		{ TG_HTTP_MALFORMED, TG_E_MALFORMED, 0 },
		{ TG_HTTP_TOO_BIG, TG_E_MALFORMED, 0 },
		{ TG_HTTP_UNAVAILABLE, TG_E_INTERNAL, 0 },
		{ TG_HTTP_LOCAL, TG_E_INTERNAL, 0 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (tg_http_class_rc(v[i].c) != v[i].rc)
			fail_msg("%s: rc %s", tg_http_class_name(v[i].c),
				 tg_reason(tg_http_class_rc(v[i].c)));
		if (tg_http_circuit_verdict(v[i].c) != v[i].verdict)
			fail_msg("%s: circuit verdict %d", tg_http_class_name(v[i].c),
				 tg_http_circuit_verdict(v[i].c));
	}
	assert_string_equal(tg_http_class_name(TG_HTTP_LOCAL), "local");
}

/* A request to a closed port on 127.0.0.1, in a child whose descriptor
 * limit is (or is not) used up; the child's exit code is the class. */
static int request_class(bool warm, bool exhaust)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct tg_http_opts o = { .allow_http_loopback = true, .timeout_ms = 3000 };
		struct tg_http_resp r;
		if (warm) { /* libcurl loaded before the limit bites */
			tg_http_request(&o, "http://127.0.0.1:9/", NULL, NULL, NULL, &r);
			tg_http_resp_free(&r);
		}
		if (exhaust) {
			int top = dup(0);
			struct rlimit rl = { (rlim_t)top + 1, (rlim_t)top + 1 };
			if (top < 0 || setrlimit(RLIMIT_NOFILE, &rl) != 0)
				_exit(100);
		}
		tg_rc rc = tg_http_request(&o, "http://127.0.0.1:9/", NULL, NULL, NULL, &r);
		tg_http_resp_free(&r);
		_exit(rc != tg_http_class_rc(r.cls) ? 101 : (int)r.cls);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The caller's resource limits must never look like an outage: with no
 * descriptor left the same request is a local failure, not "network". */
static void test_descriptor_exhaustion_is_local(void **state)
{
	(void)state;
	int plain = request_class(false, false);
	int starved = request_class(true, true);	/* socket(): EMFILE */
	int unloadable = request_class(false, true);	/* dlopen() fails: the reported attack */
	assert_int_equal(plain, TG_HTTP_NETWORK); /* connection refused */
	if (starved != TG_HTTP_LOCAL)
		fail_msg("EMFILE classified as %s (%d)",
			 starved >= 0 && starved < 100 ? tg_http_class_name((tg_http_class)starved) : "?",
			 starved);
	assert_int_equal(unloadable, TG_HTTP_UNAVAILABLE);
	assert_int_equal(tg_http_class_rc((tg_http_class)unloadable), TG_E_INTERNAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_policy),
		cmocka_unit_test(test_refused_url_makes_no_request),
		cmocka_unit_test(test_classes),
		cmocka_unit_test(test_only_the_provider_is_unreachable),
		cmocka_unit_test(test_descriptor_exhaustion_is_local),
	};
	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
