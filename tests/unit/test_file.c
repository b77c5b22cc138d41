/* test_file.c - the safe file operations (file.c): checked reads for
 * config, key and store files, atomic writes, directory opens, locks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "file.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return tu_tmpdir(dir, sizeof(dir), "file");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmdir(dir);
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

/* The store's rules on top: nothing for group or others, one link, and
 * a missing file is no error. */
static void test_rules(void **state)
{
	(void)state;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	char *buf = (char *)1;
	size_t len = 1;
	const char *bad = NULL;
	unsigned store = TG_FILE_PRIVATE | TG_FILE_ONE_LINK | TG_FILE_MISSING_OK;
	assert_rc(tg_file_read_at(dfd, "absent", 64, store, &buf, &len, &bad), TG_OK);
	assert_null(buf);
	assert_int_equal(len, 0);
	assert_rc(tg_file_read_at(dfd, "absent", 64, 0, &buf, &len, &bad), TG_E_IO);
	assert_non_null(strstr(bad, "No such file"));
	write_file("r640", "x", 0640);
	assert_rc(tg_file_read_at(dfd, "r640", 64, 0, &buf, &len, &bad), TG_OK);
	free(buf);
	assert_rc(tg_file_read_at(dfd, "r640", 64, store, &buf, &len, &bad), TG_E_IO);
	assert_string_equal(bad, "readable or writable by group or others");
	assert_null(buf);
	write_file("one", "{}", 0600);
	assert_rc(tg_file_read_at(dfd, "one", 64, store, &buf, &len, &bad), TG_OK);
	assert_int_equal(len, 2);
	assert_string_equal(buf, "{}");
	free(buf);
	char one[128];
	snprintf(one, sizeof(one), "%s", path("one"));
	assert_int_equal(link(one, path("two")), 0);
	assert_rc(tg_file_read_at(dfd, "one", 64, store, &buf, &len, &bad), TG_E_IO);
	assert_string_equal(bad, "has more than one link");
	assert_rc(tg_file_read_at(dfd, "one", 64, 0, &buf, &len, &bad), TG_OK);
	free(buf);
	write_file("sec", "s3cret\n", 0604);
	char err[256] = "";
	assert_rc(tg_read_secret_file(path("sec"), &buf, err, sizeof(err)), TG_E_IO);
	assert_non_null(strstr(err, "a secret readable by group or others"));
	assert_int_equal(chmod(path("sec"), 0620), 0);
	assert_rc(tg_read_secret_file(path("sec"), &buf, err, sizeof(err)), TG_E_IO);
	assert_non_null(strstr(err, ": writable by group or others"));
	assert_int_equal(chmod(path("sec"), 0600), 0);
	assert_rc(tg_read_secret_file(path("sec"), &buf, err, sizeof(err)), TG_OK);
	assert_string_equal(buf, "s3cret"); /* the newline gone */
	tg_free_secret(buf);
	close(dfd);
}

static void read_back(int dfd, const char *name, char *out, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	const char *bad = NULL;
	assert_rc(tg_file_read_at(dfd, name, 1 << 16, 0, &buf, &len, &bad), TG_OK);
	snprintf(out, n, "%s", buf);
	free(buf);
}

static size_t temp_files(void)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d != NULL && (e = readdir(d)) != NULL)
		n += tg_file_is_temp(e->d_name);
	if (d != NULL)
		closedir(d);
	return n;
}

/* An atomic write replaces the file whole (0600, no temporary left), and
 * one that fails half-way leaves the old file as it was. */
static void test_atomic_write_old_or_new(void **state)
{
	(void)state;
	char got[64];
	struct stat sb;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_rc(tg_write_atomically_at(dfd, "doc", "old", 3), TG_OK);
	assert_rc(tg_write_atomically_at(dfd, "doc", "new!", 4), TG_OK);
	read_back(dfd, "doc", got, sizeof(got));
	assert_string_equal(got, "new!");
	assert_int_equal(stat(path("doc"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(temp_files(), 0);
	/* the write fails after a few bytes (EFBIG): the old file stays */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 8, 8 };
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		char big[256];
		memset(big, 'x', sizeof(big));
		_exit(tg_write_atomically_at(dfd, "doc", big, sizeof(big)) == TG_E_IO ? 0 : 1);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	read_back(dfd, "doc", got, sizeof(got));
	assert_string_equal(got, "new!");
	assert_int_equal(temp_files(), 0);
	close(dfd);
}

/* A reader never sees a mix while another process replaces the file. */
static void test_atomic_write_readers_see_whole_files(void **state)
{
	(void)state;
	enum { SIZE = 8192 };
	static char a[SIZE], b[SIZE];
	memset(a, 'a', SIZE);
	memset(b, 'b', SIZE);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_rc(tg_write_atomically_at(dfd, "swap", a, SIZE), TG_OK);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 100; i++)
			if (tg_write_atomically_at(dfd, "swap", i % 2 ? a : b, SIZE) != TG_OK)
				_exit(1);
		_exit(0);
	}
	int reads = 0, st = 0;
	while (waitpid(pid, &st, WNOHANG) == 0 || reads == 0) {
		char *buf = NULL;
		size_t len = 0;
		const char *bad = NULL;
		/* no TG_FILE_ONE_LINK: ext4 shows the renamed inode with two
		 * links for a moment (the store reads under the user's lock,
		 * never during its own rename) */
		tg_rc rc = tg_file_read_at(dfd, "swap", SIZE, 0, &buf, &len, &bad);
		if (rc != TG_OK)
			fail_msg("read %d: %s", reads, bad);
		assert_int_equal(len, SIZE);
		assert_true(memcmp(buf, a, SIZE) == 0 || memcmp(buf, b, SIZE) == 0);
		free(buf);
		reads++;
	}
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(dfd);
}

static void test_directories(void **state)
{
	(void)state;
	int fd = tg_dir_open(path("made"));
	assert_true(fd >= 0); /* created 0700 */
	close(fd);
	struct stat sb;
	assert_int_equal(stat(path("made"), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(mkdir(path("r755"), 0755), 0);
	assert_int_equal(chmod(path("r755"), 0755), 0);
	fd = tg_dir_open(path("r755"));
	assert_true(fd >= 0); /* readable by others is fine for the cache */
	close(fd);
	assert_int_equal(tg_dir_open_private(path("r755")), -1); /* not for the store */
	assert_int_equal(errno, EPERM);
	assert_int_equal(mkdir(path("w777"), 0700), 0);
	assert_int_equal(chmod(path("w777"), 0777), 0);
	assert_int_equal(tg_dir_open(path("w777")), -1);
	char made[128];
	snprintf(made, sizeof(made), "%s", path("made"));
	assert_int_equal(symlink(made, path("dlink")), 0);
	assert_int_equal(tg_dir_open(path("dlink")), -1);
	assert_int_equal(tg_dir_open_existing_private(path("none")), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(access(path("none"), F_OK), -1); /* not created */
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void test_lock_and_remove(void **state)
{
	(void)state;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int a = tg_file_lock_at(dfd, "x.lock", 0);
	assert_true(a >= 0);
	/* flock is per open file: a second open in this process conflicts */
	uint64_t t0 = now_ms();
	assert_int_equal(tg_file_lock_at(dfd, "x.lock", 60), -2);
	assert_true(now_ms() - t0 >= 50);
	assert_int_equal(tg_file_lock_at(dfd, "x.lock", 0), -2);
	close(a);
	int b = tg_file_lock_at(dfd, "x.lock", 0);
	assert_true(b >= 0);
	close(b);
	assert_int_equal(tg_file_lock_at(dfd, "nodir/x.lock", 0), -1);
	write_file("gone", "x", 0600);
	assert_rc(tg_file_remove_at(dfd, "gone"), TG_OK);
	assert_int_equal(access(path("gone"), F_OK), -1);
	assert_rc(tg_file_remove_at(dfd, "gone"), TG_OK); /* gone already is fine */
	assert_int_equal(mkdir(path("adir"), 0700), 0);
	assert_rc(tg_file_remove_at(dfd, "adir"), TG_E_IO);
	assert_false(tg_file_is_temp(".x"));
	assert_false(tg_file_is_temp("x.tmp"));
	assert_true(tg_file_is_temp(".doc.12.34.tmp"));
	close(dfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_file),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_atomic_write_old_or_new),
		cmocka_unit_test(test_atomic_write_readers_see_whole_files),
		cmocka_unit_test(test_directories),
		cmocka_unit_test(test_lock_and_remove),
	};
	return cmocka_run_group_tests_name("file", tests, setup, teardown);
}
