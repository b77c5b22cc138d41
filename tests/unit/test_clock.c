/* test_clock.c - the library's Unix time is the real clock's second, not
 * the coarse one time(NULL) reads: just after a second begins, a token
 * the provider stamped with that second (iat or nbf, leeway 0) must not
 * look like one from the future. */
#include <time.h>

#include "testutil.h"
#include "tg_internal.h"

static void test_no_lag_after_a_second_begins(void **state)
{
	(void)state;
	struct timespec ts;
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	time_t start = ts.tv_sec;
	/* wait (at most a second) for the next second to begin */
	do
		assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	while (ts.tv_sec == start);
	/* the first microseconds of it: the coarse clock still says start */
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
		int64_t t = tg_unix_time();
		if (t < (int64_t)ts.tv_sec)
			fail_msg("tg_unix_time %lld behind the real clock's %lld", (long long)t,
				 (long long)ts.tv_sec);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_lag_after_a_second_begins),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
