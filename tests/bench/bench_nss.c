/*
 * bench_nss - the cost of one user lookup inside a process, through
 * whatever /etc/nsswitch.conf says: getpwnam_r and getgrouplist (what
 * initgroups and id call) for two names side by side, in alternating
 * rounds, so that load falls on both alike.
 *   bench_nss CALLS NAME_A NAME_B
 * Prints the median over rounds of the mean time per call, for A and B,
 * and B / A. A round stops after CALLS / 15 calls or 100 ms, whichever
 * comes first, so a slow path is measured in bounded time too. Exit
 * status 1 when either name is not found (a failed lookup is not a fast
 * one).
 */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROUNDS 15
#define ROUND_US 100000.0

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static char buf[1 << 20];

static long total_calls;

/* mean microseconds per call over n calls or ROUND_US; -1 when a lookup
 * failed */
static double pwnam(const char *name, int n)
{
	struct passwd pw, *res;
	double t0 = now_us(), t = t0;
	int i = 0;
	while (i < n && t - t0 < ROUND_US) {
		if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
			return -1;
		i++;
		t = now_us();
	}
	total_calls += i;
	return (t - t0) / i;
}

static double grouplist(const char *name, int n)
{
	struct passwd pw, *res;
	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	gid_t gid = pw.pw_gid;
	double t0 = now_us(), t = t0;
	int i = 0;
	while (i < n && t - t0 < ROUND_US) {
		gid_t groups[256];
		int ng = 256;
		if (getgrouplist(name, gid, groups, &ng) < 0 || ng < 1)
			return -1;
		i++;
		t = now_us();
	}
	total_calls += i;
	return (t - t0) / i;
}

static int side_by_side(const char *what, double (*f)(const char *, int), int calls,
	const char *a, const char *b)
{
	double ta[ROUNDS], tb[ROUNDS];
	int per = calls / ROUNDS > 0 ? calls / ROUNDS : 1;
	f(a, 1); /* warm-up: the module loaded, the files in the page cache */
	f(b, 1);
	total_calls = 0;
	for (int r = 0; r < ROUNDS; r++) {
		ta[r] = f(a, per);
		tb[r] = f(b, per);
		if (ta[r] < 0 || tb[r] < 0) {
			printf("  %s: lookup of %s failed\n", what, ta[r] < 0 ? a : b);
			return 1;
		}
	}
	qsort(ta, ROUNDS, sizeof(double), cmp);
	qsort(tb, ROUNDS, sizeof(double), cmp);
	double ma = ta[ROUNDS / 2], mb = tb[ROUNDS / 2];
	printf("  %-13s %s %9.2f us   %s %9.2f us   ratio %7.1fx   (%ld calls)\n", what, a,
		ma, b, mb, mb / ma, total_calls);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int calls = atoi(argv[1]);
	int bad = side_by_side("getpwnam_r", pwnam, calls, argv[2], argv[3]);
	bad |= side_by_side("getgrouplist", grouplist, calls, argv[2], argv[3]);
	return bad;
}
