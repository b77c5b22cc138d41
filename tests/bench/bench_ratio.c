/*
 * bench_ratio - wall time of two whole commands measured side by side:
 * runs A and B alternately N times each (A, B, A, B, ...), so machine load
 * falls on both alike, and prints each median, the ratio B / A and the
 * difference B - A.
 *   bench_ratio [-x] N STDIN TARGET LABEL_A LABEL_B -- A-ARGV... -- B-ARGV...
 * STDIN is the file each command reads (a token, or /dev/null); TARGET the
 * ratio the figure is held to (printed beside it, "<= TARGET"; 0: none).
 * Exit status 1 when any run of either command exited non-zero (the
 * figures are printed anyway): a failed login is not a fast login. With -x
 * the exit status is not looked at (a helper given no request exits 2).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One run of argv with stdin from path: wall milliseconds, or -1 when it
 * did not exit 0. Its stdout and stderr go to /dev/null. */
static bool any_status;

static double run_once(char **argv, const char *path)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t pid = fork();
	if (pid == 0) {
		int in = open(path, O_RDONLY), out = open("/dev/null", O_WRONLY);
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (!WIFEXITED(st) || (WEXITSTATUS(st) != 0 && !any_status))
		return -1;
	return (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "-x") == 0) {
		any_status = true;
		argv++;
		argc--;
	}
	if (argc < 9 || strcmp(argv[6], "--") != 0)
		return 2;
	int n = atoi(argv[1]);
	const char *in = argv[2], *la = argv[4], *lb = argv[5];
	double target = atof(argv[3]);
	char **a = argv + 7, **b = NULL;
	for (int i = 7; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			b = argv + i + 1;
			break;
		}
	if (n < 1 || b == NULL || *b == NULL)
		return 2;
	double *ta = calloc((size_t)n, sizeof(double)), *tb = calloc((size_t)n, sizeof(double));
	if (ta == NULL || tb == NULL)
		return 2;
	int fails = 0;
	run_once(a, in); /* one warm-up each: page cache, first-run files */
	run_once(b, in);
	for (int i = 0; i < n; i++) {
		ta[i] = run_once(a, in);
		tb[i] = run_once(b, in);
		fails += (ta[i] < 0) + (tb[i] < 0);
	}
	qsort(ta, (size_t)n, sizeof(double), cmp);
	qsort(tb, (size_t)n, sizeof(double), cmp);
	double ma = ta[n / 2], mb = tb[n / 2];
	printf("  %s: median %.2f ms (p90 %.2f)   %s: median %.2f ms (p90 %.2f)   %d runs each, interleaved\n",
	       la, ma, ta[n * 9 / 10], lb, mb, tb[n * 9 / 10], n);
	printf("%s / %s: %.2fx (%+.2f ms)", lb, la, mb / ma, mb - ma);
	if (target > 0)
		printf(" (target <= %.2fx)", target);
	printf("%s\n", fails ? "   RUNS FAILED" : "");
	free(ta);
	free(tb);
	return fails ? 1 : 0;
}
