/* test_file.c - the safe file reader behind config and key files. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "tg_internal.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tg-file.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *path(const char *name)
{
	static char p[128];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	int fd = open(path(name), O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path(name), mode), 0);
}

static void expect(const char *name, size_t max, tg_rc want, const char *why)
{
	char *buf = NULL, err[256] = "";
	size_t len = 0;
	assert_rc(tg_read_file_safely(path(name), max, &buf, &len, err, sizeof(err)), want);
	if (want == TG_OK) {
		assert_non_null(buf);
		free(buf);
	} else {
		assert_null(buf);
		if (strstr(err, why) == NULL)
			fail_msg("%s: error '%s' lacks '%s'", name, err, why);
	}
}

static void test_regular_file(void **state)
{
	(void)state;
	write_file("ok.conf", "[global]\n", 0600);
	expect("ok.conf", 1024, TG_OK, NULL);
	write_file("ok644.conf", "x", 0644);	/* readable by others is fine */
	expect("ok644.conf", 1024, TG_OK, NULL);
}

static void test_refusals(void **state)
{
	(void)state;
	write_file("target", "x", 0600);
	char target[128];
	snprintf(target, sizeof(target), "%s", path("target"));
	assert_int_equal(symlink(target, path("link")), 0);
	expect("link", 1024, TG_E_IO, "symbolic link");
	write_file("gw", "x", 0620);
	expect("gw", 1024, TG_E_IO, "writable by group or others");
	write_file("ow", "x", 0602);
	expect("ow", 1024, TG_E_IO, "writable by group or others");
	write_file("big", "0123456789", 0600);
	expect("big", 9, TG_E_IO, "larger than the size cap");
	assert_int_equal(mkfifo(path("fifo"), 0600), 0);
	expect("fifo", 1024, TG_E_IO, "not a regular file");	/* and no hang */
	assert_int_equal(mkdir(path("d"), 0700), 0);
	expect("d", 1024, TG_E_IO, "not a regular file");
	expect("missing", 1024, TG_E_IO, "No such file");
	if (geteuid() == 0) {
		write_file("theirs", "x", 0600);
		assert_int_equal(chown(path("theirs"), 65534, 65534), 0);
		expect("theirs", 1024, TG_E_IO, "not owned by root");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_file),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests_name("file", tests, setup, teardown);
}
