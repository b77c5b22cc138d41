/*
 * bench_pam - latency of a whole pam_authenticate through libpam, the
 * module, the exec'd helper (keys from a static file: the warm path) and
 * syslog. Prints p50, p90, p99 and max over N logins.
 *   bench_pam SERVICE USER TOKENFILE N [LABEL]
 * With BENCH_OP=acct in the environment it times pam_acct_mgmt alone (the
 * session chain; TOKENFILE is then unused but must be readable).
 * Exit status 1 when any login failed (the figures are printed anyway).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <security/pam_appl.h>

static char token[65536];

static int conv(int n, const struct pam_message **msg, struct pam_response **resp,
		void *ud)
{
	(void)ud;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	for (int i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			r[i].resp = strdup(token);
	*resp = r;
	return PAM_SUCCESS;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 6)
		return 2;
	const char *label = argc == 6 ? argv[5] : "pam_authenticate (pam_start..pam_end, helper exec included)";
	FILE *f = fopen(argv[3], "r");
	if (f == NULL || fgets(token, sizeof(token), f) == NULL)
		return 2;
	fclose(f);
	token[strcspn(token, "\n")] = '\0';
	int n = atoi(argv[4]);
	double *ms = calloc((size_t)n, sizeof(*ms));
	struct pam_conv c = { conv, NULL };
	int fails = 0;
	const char *op = getenv("BENCH_OP");
	bool acct = op != NULL && strcmp(op, "acct") == 0;
	for (int i = 0; i < n; i++) {
		struct timespec a, b;
		pam_handle_t *h = NULL;
		clock_gettime(CLOCK_MONOTONIC, &a);
		pam_start(argv[1], argv[2], &c, &h);
		fails += (acct ? pam_acct_mgmt(h, 0) : pam_authenticate(h, 0)) != PAM_SUCCESS;
		pam_end(h, PAM_SUCCESS);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	}
	qsort(ms, (size_t)n, sizeof(*ms), cmp);
	printf("%s, %d logins, %d failed:\n"
	       "  p50 %.2f ms   p90 %.2f ms   p99 %.2f ms   max %.2f ms\n", label, n, fails,
	       ms[n / 2], ms[n * 9 / 10], ms[n * 99 / 100], ms[n - 1]);
	free(ms);
	return fails ? 1 : 0;
}
