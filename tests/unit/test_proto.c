/* test_proto.c - the module <-> helper framing. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "proto.h"

static void test_roundtrip(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct tg_msg m, r;
	tg_msg_init(&m, TG_MSG_REQUEST);
	assert_true(tg_msg_add_u32(&m, TG_T_OP, TG_OP_AUTH));
	assert_true(tg_msg_add_str(&m, TG_T_USER, "alice"));
	assert_true(tg_msg_add_u64(&m, TG_T_START_NS, 0x0102030405060708ULL));
	assert_true(tg_msg_add(&m, TG_T_TEXT, "", 0));
	assert_int_equal(tg_msg_send(sv[0], &m, tg_monotonic_ms() + 1000), 0);
	assert_int_equal(tg_msg_recv(sv[1], &r, tg_monotonic_ms() + 1000), 0);
	uint32_t op;
	uint64_t ns;
	assert_int_equal(r.type, TG_MSG_REQUEST);
	assert_true(tg_msg_get_u32(&r, TG_T_OP, &op));
	assert_int_equal(op, TG_OP_AUTH);
	assert_true(tg_msg_get_u64(&r, TG_T_START_NS, &ns));
	assert_true(ns == 0x0102030405060708ULL);
	char *u = tg_msg_get_str(&r, TG_T_USER);
	assert_string_equal(u, "alice");
	free(u);
	char *t = tg_msg_get_str(&r, TG_T_TEXT);
	assert_string_equal(t, "");
	free(t);
	assert_null(tg_msg_get_str(&r, TG_T_RHOST));
	tg_msg_free(&m);
	tg_msg_free(&r);
	close(sv[0]);
	close(sv[1]);
}

static int recv_raw(const unsigned char *bytes, size_t n, int *err)
{
	int sv[2];
	struct tg_msg r;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], bytes, n), (ssize_t)n);
	close(sv[0]);
	int rc = tg_msg_recv(sv[1], &r, tg_monotonic_ms() + 500);
	*err = errno;
	if (rc == 0)
		tg_msg_free(&r);
	close(sv[1]);
	return rc;
}

static void test_rejects_garbage(void **state)
{
	(void)state;
	int err;
	const unsigned char wrong_version[] = { 2, 4, 0, 0, 0, 0 };
	assert_int_equal(recv_raw(wrong_version, sizeof(wrong_version), &err), -1);
	assert_int_equal(err, EPROTO);
	const unsigned char huge[] = { 1, 4, 0x7f, 0xff, 0xff, 0xff };
	assert_int_equal(recv_raw(huge, sizeof(huge), &err), -1);
	assert_int_equal(err, EPROTO);
	const unsigned char truncated[] = { 1, 4, 0, 0, 0, 10, 14, 0 };
	assert_int_equal(recv_raw(truncated, sizeof(truncated), &err), -1);
	assert_int_equal(err, EPIPE);
	/* a field longer than its frame */
	const unsigned char overlong[] = { 1, 4, 0, 0, 0, 6, 14, 0, 0, 0, 9, 1 };
	assert_int_equal(recv_raw(overlong, sizeof(overlong), &err), -1);
	assert_int_equal(err, EPROTO);
	const unsigned char empty[] = { 0 };
	assert_int_equal(recv_raw(empty, 0, &err), -1);
}

static void test_timeout(void **state)
{
	(void)state;
	int sv[2];
	struct tg_msg r;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	uint64_t t0 = tg_monotonic_ms();
	assert_int_equal(tg_msg_recv(sv[1], &r, t0 + 50), -1);
	assert_int_equal(errno, ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
}

static void test_string_with_nul_is_refused(void **state)
{
	(void)state;
	struct tg_msg m;
	tg_msg_init(&m, TG_MSG_RESULT);
	assert_true(tg_msg_add(&m, TG_T_TEXT, "a\0b", 3));
	assert_null(tg_msg_get_str(&m, TG_T_TEXT));
	uint32_t v;
	assert_false(tg_msg_get_u32(&m, TG_T_TEXT, &v));	/* wrong length */
	tg_msg_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_rejects_garbage),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_string_with_nul_is_refused),
	};
	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
