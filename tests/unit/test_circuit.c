/*
 * test_circuit.c - the circuit breaker's state transitions (closed, open,
 * half-open, one probe), read back through its shared state file, and the
 * backoff's bounds.
 */
#include <stdio.h>
#include <unistd.h>

#include "testutil.h"

#include "circuit.h"

static char dir[64];

struct changes {
	int n;
	char last[64];
};

static void on_change(void *ud, const char *from, const char *to, int failures)
{
	struct changes *ch = ud;
	ch->n++;
	snprintf(ch->last, sizeof(ch->last), "%s>%s:%d", from, to, failures);
}

static int setup(void **state)
{
	(void)state;
	return tu_tmpdir(dir, sizeof(dir), "circuit-test");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmdir(dir);
}

static struct tg_circuit circuit(const char *name, struct changes *ch)
{
	struct tg_circuit c = { .dir = dir, .threshold = 3, .cooldown = 30,
				.on_change = on_change, .ud = ch };
	snprintf(c.name, sizeof(c.name), "%s", name);
	return c;
}

static void assert_state(const struct tg_circuit *c, const char *want, int failures)
{
	int f = -1;
	assert_string_equal(tg_circuit_state(c, &f), want);
	assert_int_equal(f, failures);
}

static void test_closed_until_threshold(void **state)
{
	(void)state;
	struct changes ch = { 0 };
	struct tg_circuit c = circuit("circuit-a", &ch);
	assert_state(&c, "closed", 0); /* no state file: closed */
	assert_true(tg_circuit_allow(&c, 1000));
	tg_circuit_record(&c, 1000, false);
	tg_circuit_record(&c, 1001, false);
	assert_state(&c, "closed", 2);
	assert_true(tg_circuit_allow(&c, 1002));
	assert_int_equal(ch.n, 0);
	tg_circuit_record(&c, 1002, false);
	assert_state(&c, "open", 3);
	assert_int_equal(ch.n, 1);
	assert_string_equal(ch.last, "closed>open:3");
}

static void test_success_resets_the_count(void **state)
{
	(void)state;
	struct changes ch = { 0 };
	struct tg_circuit c = circuit("circuit-b", &ch);
	tg_circuit_record(&c, 1000, false);
	tg_circuit_record(&c, 1001, false);
	tg_circuit_record(&c, 1002, true);
	assert_state(&c, "closed", 0);
	tg_circuit_record(&c, 1003, false);
	tg_circuit_record(&c, 1004, false);
	assert_state(&c, "closed", 2); /* not three in a row */
	assert_int_equal(ch.n, 0);
}

static void open_it(struct tg_circuit *c, int64_t at)
{
	for (int i = 0; i < c->threshold; i++)
		tg_circuit_record(c, at, false);
}

static void test_open_refuses_until_cooled(void **state)
{
	(void)state;
	struct changes ch = { 0 };
	struct tg_circuit c = circuit("circuit-c", &ch);
	open_it(&c, 1000);
	assert_false(tg_circuit_allow(&c, 1000));
	assert_false(tg_circuit_allow(&c, 1029));
	assert_state(&c, "open", 3);
	/* cooled: this request is the one probe; others wait for it */
	assert_true(tg_circuit_allow(&c, 1030));
	assert_state(&c, "half_open", 3);
	assert_string_equal(ch.last, "open>half_open:3");
	assert_false(tg_circuit_allow(&c, 1031));
	assert_false(tg_circuit_allow(&c, 1059));
}

static void test_probe_success_closes(void **state)
{
	(void)state;
	struct changes ch = { 0 };
	struct tg_circuit c = circuit("circuit-d", &ch);
	open_it(&c, 1000);
	assert_true(tg_circuit_allow(&c, 1040));
	tg_circuit_record(&c, 1041, true);
	assert_state(&c, "closed", 0);
	assert_string_equal(ch.last, "half_open>closed:0");
	assert_true(tg_circuit_allow(&c, 1042));
}

static void test_probe_failure_reopens(void **state)
{
	(void)state;
	struct changes ch = { 0 };
	struct tg_circuit c = circuit("circuit-e", &ch);
	open_it(&c, 1000);
	assert_true(tg_circuit_allow(&c, 1040));
	tg_circuit_record(&c, 1041, false); /* one failure is enough */
	assert_state(&c, "open", 4);
	assert_string_equal(ch.last, "half_open>open:4");
	assert_false(tg_circuit_allow(&c, 1070)); /* the cool-down starts again */
	assert_true(tg_circuit_allow(&c, 1071));
}

static void test_a_stuck_probe_is_retried_after_cooldown(void **state)
{
	(void)state;
	struct changes ch = { 0 };
	struct tg_circuit c = circuit("circuit-f", &ch);
	open_it(&c, 1000);
	assert_true(tg_circuit_allow(&c, 1030)); /* its process never records */
	assert_false(tg_circuit_allow(&c, 1059));
	assert_true(tg_circuit_allow(&c, 1060));
}

static void test_clock_going_back_allows_a_probe(void **state)
{
	(void)state;
	struct changes ch = { 0 };
	struct tg_circuit c = circuit("circuit-g", &ch);
	open_it(&c, 1000);
	assert_true(tg_circuit_allow(&c, 900)); /* now before since: not stuck open */
	assert_state(&c, "half_open", 3);
}

static void test_state_is_shared_through_the_file(void **state)
{
	(void)state;
	struct changes a = { 0 }, b = { 0 };
	struct tg_circuit c1 = circuit("circuit-h", &a), c2 = circuit("circuit-h", &b);
	struct tg_circuit other = circuit("circuit-i", &b);
	open_it(&c1, 1000);
	assert_false(tg_circuit_allow(&c2, 1001)); /* another process, same issuer */
	assert_true(tg_circuit_allow(&other, 1001)); /* another issuer */
	assert_true(tg_circuit_allow(&c2, 1030));
	assert_false(tg_circuit_allow(&c1, 1030)); /* one probe between them */
}

static void test_garbage_state_reads_as_closed(void **state)
{
	(void)state;
	struct changes ch = { 0 };
	struct tg_circuit c = circuit("circuit-j", &ch);
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, c.name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("garbage", f);
	fclose(f);
	assert_true(tg_circuit_allow(&c, 1000));
	assert_state(&c, "closed", 0);
}

static void test_backoff_bounds(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 200; i++) {
		assert_true(tg_backoff_ms(0, 100, 2000) <= 100);
		assert_true(tg_backoff_ms(3, 100, 2000) <= 800);
		assert_true(tg_backoff_ms(40, 100, 2000) <= 2000); /* capped, no overflow */
	}
	assert_int_equal(tg_backoff_ms(5, 0, 2000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closed_until_threshold),
		cmocka_unit_test(test_success_resets_the_count),
		cmocka_unit_test(test_open_refuses_until_cooled),
		cmocka_unit_test(test_probe_success_closes),
		cmocka_unit_test(test_probe_failure_reopens),
		cmocka_unit_test(test_a_stuck_probe_is_retried_after_cooldown),
		cmocka_unit_test(test_clock_going_back_allows_a_probe),
		cmocka_unit_test(test_state_is_shared_through_the_file),
		cmocka_unit_test(test_garbage_state_reads_as_closed),
		cmocka_unit_test(test_backoff_bounds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
