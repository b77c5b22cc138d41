/*
 * ctl_audit_read.c - the records of one user for tokengatectl audit: from
 * the journal (journalctl -t tokengate -o json, spawned without a shell,
 * --since/--until passed on), from /var/log/auth.log when journalctl is
 * missing or fails, or from --file (a syslog text file, "-" standard
 * input; --since/--until compared here on RFC 3339 times). Lines are
 * capped at CTL_AUDIT_LINE_MAX; unreadable bodies are counted, never kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ctl_audit.h"

#define AUTH_LOG "/var/log/auth.log"

typedef void take_fn(struct ctl_audit_set *r, const char *line, size_t len, bool too_long);

static void note_bad(struct ctl_audit_set *r)
{
	if (r->bad++ == 0)
		r->first_bad = r->line;
}

static int keep(struct ctl_audit_set *r, struct ctl_audit_rec *x)
{
	if (r->n == CTL_AUDIT_RECORDS) {
		r->dropped++;
		return -1;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct ctl_audit_rec *v = realloc(r->rec, cap * sizeof(*v));
		if (v == NULL) {
			r->dropped++;
			return -1;
		}
		r->rec = v;
		r->cap = cap;
	}
	r->rec[r->n++] = *x;
	return 0;
}

/* A record's body: kept when it is USER's. */
static void take_body(struct ctl_audit_set *r, const char *body, size_t len,
		      struct ctl_audit_rec *x)
{
	if (ctl_audit_parse(body, len, x) != 0) {
		note_bad(r);
		return;
	}
	const char *u = ctl_audit_get(x, "user");
	if (u == NULL || strcmp(u, r->q->user) != 0 || keep(r, x) != 0)
		ctl_audit_rec_free(x);
}

/*
 * --since/--until over a file: on RFC 3339 times, to the second, as
 * written (local time, the zone not compared). A time without a year
 * cannot be placed: an error, never a guess.
 */
static bool within(struct ctl_audit_set *r, const char *t)
{
	char s[CTL_AUDIT_WHEN];
	if (strlen(t) < 19 || t[4] != '-' || t[10] != 'T') {
		fprintf(stderr, "tokengatectl audit: %s, line %zu: the time '%s' has no year, so "
				"--since/--until cannot apply to it; leave them out, or read the "
				"journal (no --file)\n", r->source, r->line, t);
		r->failed = true;
		return false;
	}
	memcpy(s, t, 19);
	s[10] = ' ';
	s[19] = '\0';
	return (!r->q->since[0] || strcmp(s, r->q->since) >= 0) &&
	       (!r->q->until[0] || strcmp(s, r->q->until) <= 0);
}

/* A syslog text line: skipped unless it is tokengate's. */
static void take_text(struct ctl_audit_set *r, const char *line, size_t len, bool too_long)
{
	struct ctl_audit_rec x;
	const char *body;
	size_t blen;
	if (!ctl_audit_line(line, len, &body, &blen, x.time, sizeof(x.time)))
		return;
	if (too_long)
		note_bad(r);
	else if (!r->filter || within(r, x.time))
		take_body(r, body, blen, &x);
}

/* The journal's time (microseconds since the epoch) as local RFC 3339. */
static void journal_time(const json_t *us, char *out, size_t n)
{
	const char *s = json_string_value(us);
	char *end;
	struct tm tm;
	out[0] = '\0';
	if (s == NULL || *s < '0' || *s > '9')
		return;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	time_t t = (time_t)(v / 1000000);
	if (errno != 0 || *end != '\0' || localtime_r(&t, &tm) == NULL)
		return;
	long off = tm.tm_gmtoff / 60;
	size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	if (k > 0)
		snprintf(out + k, n - k, "%c%02ld:%02ld", off < 0 ? '-' : '+', labs(off) / 60,
			 labs(off) % 60);
}

/* A MESSAGE the journal shows as an array of bytes (not UTF-8). */
static char *byte_array(const json_t *a, size_t *len)
{
	size_t n = json_array_size(a), i;
	char *p = malloc(n + 1);
	for (i = 0; p != NULL && i < n; i++) {
		json_int_t b = json_integer_value(json_array_get(a, i));
		if (!json_is_integer(json_array_get(a, i)) || b < 0 || b > 255)
			break;
		p[i] = (char)b;
	}
	if (p == NULL || i < n) {
		free(p);
		return NULL;
	}
	*len = n;
	return p;
}

/* One line of journalctl -o json. */
static void take_journal(struct ctl_audit_set *r, const char *line, size_t len, bool too_long)
{
	json_t *j = too_long ? NULL : json_loadb(line, len, 0, NULL);
	json_t *m = json_object_get(j, "MESSAGE");
	struct ctl_audit_rec x;
	char *bytes = NULL;
	size_t blen = 0;
	const char *body = json_string_value(m);
	if (body != NULL)
		blen = json_string_length(m);
	else if (json_is_array(m))
		body = bytes = byte_array(m, &blen);
	if (body == NULL) {
		note_bad(r);
	} else {
		journal_time(json_object_get(j, "__REALTIME_TIMESTAMP"), x.time, sizeof(x.time));
		take_body(r, body, blen, &x);
	}
	free(bytes);
	json_decref(j);
}

/*
 * Every line of f through take; lines longer than CTL_AUDIT_LINE_MAX are
 * cut there and flagged. 0, or -1 after saying what could not be read.
 */
static int read_lines(struct ctl_audit_set *r, FILE *f, take_fn *take)
{
	char *buf = malloc(CTL_AUDIT_LINE_MAX);
	int c = 0, err = 0;
	if (buf == NULL) {
		fprintf(stderr, "tokengatectl audit: out of memory\n");
		return -1;
	}
	while (c != EOF && !r->failed) {
		size_t n = 0;
		bool too_long = false;
		while ((c = getc_unlocked(f)) != EOF && c != '\n') {
			if (n < CTL_AUDIT_LINE_MAX - 1)
				buf[n++] = (char)c;
			else
				too_long = true;
		}
		if (c == EOF && ferror(f)) {
			err = errno;
			break;
		}
		if (c == EOF && n == 0 && !too_long)
			break;
		r->line++;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
		buf[n] = '\0';
		take(r, buf, n, too_long);
	}
	free(buf);
	if (err != 0) {
		fprintf(stderr, "tokengatectl audit: %s: %s\n", r->source, strerror(err));
		return -1;
	}
	return r->failed ? -1 : 0;
}

static int read_file(struct ctl_audit_set *r, const char *path)
{
	bool std_in = strcmp(path, "-") == 0;
	FILE *f = std_in ? stdin : fopen(path, "re");
	r->source = std_in ? "standard input" : path;
	r->filter = r->q->since[0] || r->q->until[0];
	if (f == NULL) {
		fprintf(stderr, "tokengatectl audit: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = read_lines(r, f, take_text);
	if (!std_in)
		fclose(f);
	return rc;
}

void ctl_audit_set_free(struct ctl_audit_set *r)
{
	for (size_t i = 0; i < r->n; i++)
		ctl_audit_rec_free(&r->rec[i]);
	free(r->rec);
	r->rec = NULL;
	r->n = r->cap = r->line = r->bad = r->first_bad = r->dropped = 0;
}

/* journalctl's exit: 0 when it ran to the end, else why not into why. */
static int reap(pid_t pid, char *why, size_t n)
{
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			snprintf(why, n, "journalctl cannot be waited for (%s)", strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		snprintf(why, n, "journalctl failed (exit status %d)", WEXITSTATUS(st));
	else
		snprintf(why, n, "journalctl failed (signal %d)", WTERMSIG(st));
	return -1;
}

/* journalctl -t tokengate -o json, its output on a pipe; stdin /dev/null. */
static int spawn_journal(const struct ctl_audit_query *q, pid_t *pid, int *out)
{
	char a0[] = "journalctl", a1[] = "-t", a2[] = "tokengate", a3[] = "-o", a4[] = "json",
	     a5[] = "--no-pager", a6[] = "--output-fields=MESSAGE", a7[] = "--since",
	     a8[] = "--until", since[CTL_AUDIT_WHEN], until[CTL_AUDIT_WHEN];
	char *argv[12] = { a0, a1, a2, a3, a4, a5, a6 };
	int k = 7, fd[2], rc;
	memcpy(since, q->since, CTL_AUDIT_WHEN);
	memcpy(until, q->until, CTL_AUDIT_WHEN);
	if (since[0]) {
		argv[k++] = a7;
		argv[k++] = since;
	}
	if (until[0]) {
		argv[k++] = a8;
		argv[k++] = until;
	}
	argv[k] = NULL;
	if (pipe2(fd, O_CLOEXEC) != 0)
		return errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
	rc = posix_spawnp(pid, "journalctl", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fd[1]);
	if (rc != 0)
		close(fd[0]);
	else
		*out = fd[0];
	return rc;
}

/* The journal: 0 when journalctl ran to the end; -1 with why not (the
 * caller reads AUTH_LOG instead, so nothing read here is kept). */
static int read_journal(struct ctl_audit_set *r, char *why, size_t n)
{
	pid_t pid;
	int fd = -1, rc = spawn_journal(r->q, &pid, &fd);
	if (rc != 0) {
		snprintf(why, n, "journalctl cannot be run (%s)", strerror(rc));
		return -1;
	}
	FILE *f = fdopen(fd, "r");
	r->source = "the journal";
	if (f == NULL) {
		close(fd);
		rc = -1;
	} else {
		rc = read_lines(r, f, take_journal);
		fclose(f);
	}
	if (reap(pid, why, n) != 0 || rc != 0) {
		if (rc != 0)
			snprintf(why, n, "the journal could not be read to the end");
		ctl_audit_set_free(r);
		r->failed = false;
		return -1;
	}
	return 0;
}

int ctl_audit_read(struct ctl_audit_set *r)
{
	char why[128];
	if (r->q->file != NULL)
		return read_file(r, r->q->file);
	if (read_journal(r, why, sizeof(why)) == 0)
		return 0;
	fprintf(stderr, "tokengatectl audit: %s; reading %s\n", why, AUTH_LOG);
	return read_file(r, AUTH_LOG);
}
