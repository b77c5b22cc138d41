/*
 * test_spawn.c - the module's helper spawning (pam/module_helper.c, test
 * build objects): the helper gets the socket on 0 and 1 even when the PAM
 * application runs with stdin and stdout closed, and nothing else leaks in.
 */
#include <fcntl.h>
#include <unistd.h>

#include "testutil.h"
#include "module.h"

#ifndef FAKE_OK
#error "FAKE_OK must name the fake helper that answers success"
#endif

static int exchange(void)
{
	struct tg_helper h;
	struct tg_msg req, res;
	uint32_t rc = 99;
	int code = -2;
	if (tg_helper_start(FAKE_OK, &h) < 0)
		return -1;
	tg_msg_init(&req, TG_MSG_REQUEST);
	tg_msg_add_u32(&req, TG_T_OP, TG_OP_AUTH);
	int ok = tg_msg_send(h.fd, &req, tg_monotonic_ms() + 2000) == 0 &&
		 tg_msg_recv(h.fd, &res, tg_monotonic_ms() + 2000) == 0;
	if (ok) {
		ok = tg_msg_get_u32(&res, TG_T_RC, &rc) && rc == 0;
		tg_msg_free(&res);
	}
	tg_msg_free(&req);
	int clean = tg_helper_finish(&h, 1000, &code);
	return ok && clean && code == 0 ? 0 : -1;
}

static void test_normal(void **state)
{
	(void)state;
	assert_int_equal(exchange(), 0);
}

static void test_stdin_stdout_closed(void **state)
{
	(void)state;
	int in = fcntl(0, F_DUPFD_CLOEXEC, 10), out = fcntl(1, F_DUPFD_CLOEXEC, 10);
	close(0);
	close(1);
	int r = exchange();
	dup2(in, 0);
	dup2(out, 1);
	close(in);
	close(out);
	assert_int_equal(r, 0);
}

static void test_no_leaked_descriptors(void **state)
{
	(void)state;
	/* an fd without CLOEXEC in the application must not reach the helper:
	 * the module closes everything above 2 in the child */
	int leak = open("/dev/null", O_RDONLY);
	assert_true(leak > 2);
	assert_int_equal(exchange(), 0);	/* the fake helper checks /proc/self/fd */
	close(leak);
}

static void test_empty_environment(void **state)
{
	(void)state;
	/* what libcurl would honour under a setuid caller */
	setenv("SSLKEYLOGFILE", "/tmp/keys.log", 1);
	setenv("https_proxy", "http://127.0.0.1:9", 1);
	setenv("LD_PRELOAD", "/nonexistent.so", 1);
	assert_int_equal(exchange(), 0);	/* the fake helper checks environ */
	unsetenv("SSLKEYLOGFILE");
	unsetenv("https_proxy");
	unsetenv("LD_PRELOAD");
}

static void test_missing_helper(void **state)
{
	(void)state;
	struct tg_helper h;
	int code = 0;
	assert_int_equal(tg_helper_start("relative/path", &h), -1);
	assert_int_equal(tg_helper_start("/nonexistent/helper", &h), 0);
	assert_int_equal(tg_helper_finish(&h, 1000, &code), 0);
	assert_int_equal(code, 127);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal),
		cmocka_unit_test(test_stdin_stdout_closed),
		cmocka_unit_test(test_no_leaked_descriptors),
		cmocka_unit_test(test_empty_environment),
		cmocka_unit_test(test_missing_helper),
	};
	return cmocka_run_group_tests_name("spawn", tests, NULL, NULL);
}
