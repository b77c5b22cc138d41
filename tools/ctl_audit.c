/*
 * ctl_audit.c - tokengatectl audit USER: one person's day from the audit
 * records (pam_tokengate(8), AUDIT RECORDS), grouped by the login each
 * record belongs to, with a summary; or as JSON. The records are read by
 * ctl_audit_read.c (the journal, /var/log/auth.log, --file), their bodies
 * by ctl_audit_parse.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl_audit.h"

#define USAGE "tokengatectl audit USER [--since WHEN] [--until WHEN] [--file PATH|-] [--json]"
#define DETAIL_SHOWN 72

struct opts {
	struct ctl_audit_query q;
	bool json;
};

/* ---- the command line ---- */

/* s against a pattern of 'D' (a digit) and literal characters. */
static bool shaped(const char *s, const char *pattern)
{
	for (; *pattern; s++, pattern++)
		if (*pattern == 'D' ? !(*s >= '0' && *s <= '9') : *s != *pattern)
			return false;
	return *s == '\0';
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

/* "today", "yesterday" (local midnight) or "YYYY-MM-DD[ HH:MM[:SS]]" (a
 * 'T' for the space too) as "YYYY-MM-DD HH:MM:SS"; -1 for anything else. */
static int parse_when(const char *arg, char out[CTL_AUDIT_WHEN])
{
	char s[CTL_AUDIT_WHEN] = "";
	if (strcmp(arg, "today") == 0 || strcmp(arg, "yesterday") == 0) {
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		tm.tm_mday -= arg[0] == 'y';
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_isdst = -1;
		now = mktime(&tm);
		localtime_r(&now, &tm);
		return strftime(out, CTL_AUDIT_WHEN, "%Y-%m-%d %H:%M:%S", &tm) ? 0 : -1;
	}
	if (strlen(arg) >= sizeof(s))
		return -1;
	memcpy(s, arg, strlen(arg) + 1);
	if (s[10] == 'T')
		s[10] = ' ';
	if (shaped(s, "DDDD-DD-DD"))
		strcat(s, " 00:00:00");
	else if (shaped(s, "DDDD-DD-DD DD:DD"))
		strcat(s, ":00");
	else if (!shaped(s, "DDDD-DD-DD DD:DD:DD"))
		return -1;
	int mo = num(s + 5, 2), d = num(s + 8, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || num(s + 11, 2) > 23 || num(s + 14, 2) > 59 ||
	    num(s + 17, 2) > 59)
		return -1;
	memcpy(out, s, CTL_AUDIT_WHEN);
	return 0;
}

static int usage_error(const char *what, const char *arg)
{
	if (what != NULL)
		fprintf(stderr, "tokengatectl audit: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "usage: %s\n", USAGE);
	return -1;
}

/* An option's value: argv[++*i], or NULL after saying it is missing. */
static const char *value_of(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		usage_error("a value is missing after", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

static int parse_when_opt(int argc, char **argv, int *i, char out[CTL_AUDIT_WHEN])
{
	const char *v = value_of(argc, argv, i);
	if (v == NULL)
		return -1;
	if (parse_when(v, out) != 0) {
		fprintf(stderr, "tokengatectl audit: %s '%s': want YYYY-MM-DD[ HH:MM[:SS]], "
				"today or yesterday\n", argv[*i - 1], v);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	bool options = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (options && strcmp(a, "--") == 0) {
			options = false;
		} else if (options && strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (options && strcmp(a, "--since") == 0) {
			if (parse_when_opt(argc, argv, &i, o->q.since) != 0)
				return -1;
		} else if (options && strcmp(a, "--until") == 0) {
			if (parse_when_opt(argc, argv, &i, o->q.until) != 0)
				return -1;
		} else if (options && strcmp(a, "--file") == 0) {
			if ((o->q.file = value_of(argc, argv, &i)) == NULL)
				return -1;
		} else if (options && a[0] == '-') {
			return usage_error("unknown option", a);
		} else if (o->q.user != NULL) {
			return usage_error("one user only; also given", a);
		} else {
			o->q.user = a;
		}
	}
	if (o->q.user == NULL || o->q.user[0] == '\0')
		return usage_error("which user?", NULL);
	if (o->q.since[0] && o->q.until[0] && strcmp(o->q.since, o->q.until) > 0)
		return usage_error("--since is after --until", NULL);
	return 0;
}

/* ---- output ---- */

static bool real(const char *v)
{
	return v != NULL && v[0] != '\0' && strcmp(v, "-") != 0;
}

static const char *field(const struct ctl_audit_rec *x, const char *key)
{
	const char *v = ctl_audit_get(x, key);
	return v != NULL ? v : "-";
}

static bool is(const struct ctl_audit_rec *x, const char *key, const char *want)
{
	const char *v = ctl_audit_get(x, key);
	return v != NULL && strcmp(v, want) == 0;
}

/*
 * v for a terminal, at most max bytes of it (then more): controls, '\\',
 * invalid UTF-8 and the code points the writer escapes escaped again, so
 * that a value cannot move the cursor, reorder the line or look like
 * another. Never cut inside a character or an escape.
 */
static void clean_cut(char *out, size_t n, const char *v, size_t max, const char *more)
{
	const unsigned char *p = (const unsigned char *)(v ? v : "-");
	size_t o = 0, left = strlen((const char *)p);
	while (left > 0) {
		char tmp[12];
		unsigned cp;
		size_t len = tg_utf8_decode(p, left, &cp), t;
		if (len == 0)
			t = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", *p);
		else if (len > 1 && tg_audit_escaped_cp(cp))
			t = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", cp);
		else if (*p == '\\' || *p == '\n' || *p == '\r' || *p == '\t')
			t = (size_t)snprintf(tmp, sizeof(tmp), "\\%c",
					     *p == '\n' ? 'n' : *p == '\r' ? 'r' : *p == '\t' ? 't' : '\\');
		else if (*p < 0x20 || *p == 0x7f)
			t = (size_t)snprintf(tmp, sizeof(tmp), "\\x%02x", *p);
		else
			memcpy(tmp, p, t = len);
		if (o + t > max || o + t + strlen(more) + 1 > n) {
			snprintf(out + o, n - o, "%s", more);
			return;
		}
		memcpy(out + o, tmp, t);
		o += t;
		p += len ? len : 1;
		left -= len ? len : 1;
	}
	out[o] = '\0';
}

static void clean(char *out, size_t n, const char *v, size_t max)
{
	clean_cut(out, n, v, max, "...");
}

struct counts {
	size_t records, logins, allow, deny, refresh, refresh_failed, grace, step_up, revoked,
	    lockout;
};

static bool decision(const struct ctl_audit_rec *x)
{
	return is(x, "event", "auth") || is(x, "event", "account") ||
	       is(x, "event", "session_open") || is(x, "event", "session_close");
}

static void count(struct counts *c, const struct ctl_audit_rec *x)
{
	c->records++;
	c->allow += decision(x) && is(x, "result", "allow");
	c->deny += decision(x) && is(x, "result", "deny");
	c->refresh += is(x, "event", "refresh");
	c->refresh_failed += is(x, "event", "refresh") && !is(x, "result", "ok");
	c->grace += is(x, "event", "grace") && is(x, "result", "allow");
	c->step_up += is(x, "step_up", "yes");
	c->revoked += (is(x, "event", "store") && is(x, "result", "purge") &&
		       is(x, "reason", "revoked")) ||
		      (is(x, "event", "session_close") && is(x, "result", "revoked"));
	c->lockout += is(x, "event", "lockout") && is(x, "result", "lock");
}

static void print_rec(const struct ctl_audit_rec *x)
{
	char tm[80], ev[40], res[40], rea[40], svc[80], step[40], up[40] = "", gl[60] = "",
	     det[DETAIL_SHOWN + 8];
	clean(tm, sizeof(tm), x->time[0] ? x->time : "-", 64);
	clean(ev, sizeof(ev), field(x, "event"), 24);
	clean(res, sizeof(res), field(x, "result"), 24);
	clean(rea, sizeof(rea), field(x, "reason"), 24);
	clean(svc, sizeof(svc), field(x, "service"), 40);
	clean(step, sizeof(step), field(x, "step"), 16);
	if (is(x, "step_up", "yes"))
		snprintf(up, sizeof(up), " step_up");
	if (real(ctl_audit_get(x, "grace_left_s"))) {
		char v[40];
		clean(v, sizeof(v), ctl_audit_get(x, "grace_left_s"), 20);
		snprintf(gl, sizeof(gl), " grace_left=%ss", v);
	}
	clean(det, sizeof(det), ctl_audit_get(x, "detail"), DETAIL_SHOWN);
	printf("  %s  %-13s %-7s %-15s %-12s %-8s%s%s%s%s\n", tm, ev, res, rea, svc, step, up, gl,
	       real(ctl_audit_get(x, "detail")) ? "  " : "",
	       real(ctl_audit_get(x, "detail")) ? det : "");
}

/* "login 6f1c2d7e  TIME  device via sshd from 192.0.2.7": origin is the
 * record of the login itself (its own session), NULL when the login is
 * older than these records; first is the group's first record. */
static void print_header(const char *login, const struct ctl_audit_rec *origin,
			 const struct ctl_audit_rec *first)
{
	char id[16], tm[80], how[40], svc[80], from[80];
	if (login == NULL) {
		printf("other  records of no known login\n");
		return;
	}
	clean_cut(id, sizeof(id), login, 8, "");
	if (origin == NULL) {
		clean(tm, sizeof(tm), first->time[0] ? first->time : "-", 64);
		printf("login %s  %s  (the login itself is not in these records)\n", id, tm);
		return;
	}
	const char *m = ctl_audit_get(origin, "method");
	clean(tm, sizeof(tm), origin->time[0] ? origin->time : "-", 64);
	clean(how, sizeof(how), real(m) ? m : field(origin, "step"), 24);
	clean(svc, sizeof(svc), field(origin, "service"), 40);
	clean(from, sizeof(from), field(origin, "rhost"), 64);
	printf("login %s  %s  %s via %s%s%s%s\n", id, tm, how, svc,
	       real(ctl_audit_get(origin, "rhost")) ? " from " : "",
	       real(ctl_audit_get(origin, "rhost")) ? from : "",
	       is(origin, "step_up", "yes") ? " (step-up)" : "");
}

/* ---- grouping: each record's login ---- */

struct pair {
	const char *key, *val;
	size_t order;
};

static int by_key_order(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static int by_key(const void *k, const void *e)
{
	return strcmp(k, ((const struct pair *)e)->key);
}

/*
 * session id -> login id, the first seen for each session: from records
 * that carry both, then every login id as its own session (a login's id
 * is its auth record's session id). Sorted by session, one per session.
 */
static struct pair *session_map(const struct ctl_audit_set *r, size_t *np)
{
	struct pair *m = malloc((2 * r->n + 1) * sizeof(*m));
	size_t n = 0, u = 0;
	if (m == NULL)
		return NULL;
	for (size_t i = 0; i < r->n; i++) {
		const char *s = ctl_audit_get(&r->rec[i], "session");
		const char *l = ctl_audit_get(&r->rec[i], "login");
		if (real(l) && real(s))
			m[n++] = (struct pair){ s, l, i };
		if (real(l))
			m[n++] = (struct pair){ l, l, r->n + i };
	}
	qsort(m, n, sizeof(*m), by_key_order);
	for (size_t i = 0; i < n; i++)
		if (u == 0 || strcmp(m[u - 1].key, m[i].key) != 0)
			m[u++] = m[i];
	*np = u;
	return m;
}

/* Each record's login id (NULL: "other"). */
static const char **logins_of(const struct ctl_audit_set *r)
{
	size_t nm = 0;
	struct pair *m = session_map(r, &nm);
	const char **g = calloc(r->n + 1, sizeof(*g));
	if (m == NULL || g == NULL) {
		free(m);
		free(g);
		return NULL;
	}
	for (size_t i = 0; i < r->n; i++) {
		const char *l = ctl_audit_get(&r->rec[i], "login");
		const char *s = ctl_audit_get(&r->rec[i], "session");
		const struct pair *hit = !real(l) && real(s) ? bsearch(s, m, nm, sizeof(*m), by_key)
							       : NULL;
		g[i] = real(l) ? l : hit ? hit->val : NULL;
	}
	free(m);
	return g;
}

struct slot {
	size_t rank, i;
};

static int by_rank(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/*
 * The printing order: groups by their first record, a group's records in
 * input order, "other" last. rank = the index of the group's first record.
 */
static struct slot *print_order(const struct ctl_audit_set *r, const char **g, size_t *logins)
{
	struct pair *p = malloc((r->n + 1) * sizeof(*p));
	struct slot *s = malloc((r->n + 1) * sizeof(*s));
	size_t n = 0;
	if (p == NULL || s == NULL) {
		free(p);
		free(s);
		return NULL;
	}
	for (size_t i = 0; i < r->n; i++) {
		s[i] = (struct slot){ SIZE_MAX, i };
		if (g[i] != NULL)
			p[n++] = (struct pair){ g[i], NULL, i };
	}
	qsort(p, n, sizeof(*p), by_key_order);
	*logins = 0;
	for (size_t i = 0, first = 0; i < n; i++) {
		if (i == 0 || strcmp(p[i].key, p[i - 1].key) != 0) {
			first = p[i].order;
			++*logins;
		}
		s[p[i].order].rank = first;
	}
	free(p);
	qsort(s, r->n, sizeof(*s), by_rank);
	return s;
}

/*
 * The group starting at s[k]: its record of the login itself, if any. The
 * best is the first allowed decision of the login's own PAM login
 * (session and login both its id; a refused try before it has only the
 * session), then any record of both, then any of that session.
 */
static const struct ctl_audit_rec *origin_of(const struct ctl_audit_set *r,
					     const struct slot *s, size_t k, const char *login)
{
	const struct ctl_audit_rec *best = NULL;
	int score = 0;
	for (size_t j = k; j < r->n && s[j].rank == s[k].rank && score < 3; j++) {
		const struct ctl_audit_rec *x = &r->rec[s[j].i];
		if (!is(x, "session", login))
			continue;
		int sc = !is(x, "login", login) ? 1
		       : decision(x) && is(x, "result", "allow") ? 3 : 2;
		if (sc > score) {
			best = x;
			score = sc;
		}
	}
	return best;
}

static int print_text(const struct ctl_audit_set *r)
{
	struct counts c = { 0 };
	const char **g = logins_of(r);
	struct slot *s = g ? print_order(r, g, &c.logins) : NULL;
	if (s == NULL) {
		free(g);
		fprintf(stderr, "tokengatectl audit: out of memory\n");
		return -1;
	}
	for (size_t k = 0; k < r->n; k++) {
		const struct ctl_audit_rec *x = &r->rec[s[k].i];
		if (k == 0 || s[k].rank != s[k - 1].rank)
			print_header(g[s[k].i], g[s[k].i] ? origin_of(r, s, k, g[s[k].i]) : NULL, x);
		print_rec(x);
		count(&c, x);
	}
	printf("summary  records=%zu logins=%zu allow=%zu deny=%zu refresh=%zu "
	       "refresh_failed=%zu grace=%zu step_up=%zu revoked=%zu lockout=%zu\n",
	       c.records, c.logins, c.allow, c.deny, c.refresh, c.refresh_failed, c.grace,
	       c.step_up, c.revoked, c.lockout);
	free(s);
	free(g);
	return 0;
}

/* v as a JSON string: invalid UTF-8 bytes become U+FFFD, as in the
 * writer's JSON form. */
static json_t *json_value(const char *v)
{
	size_t n = strlen(v), o = 0;
	char *p = malloc(3 * n + 1);
	json_t *j;
	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = tg_utf8_decode((const unsigned char *)v + i, n - i, &cp);
		if (len == 0) {
			memcpy(p + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(p + o, v + i, len);
			o += len;
			i += len;
		}
	}
	j = json_stringn(p, o);
	free(p);
	return j;
}

/* One array, one record a line: "time" (the line's), then the fields in
 * the record's order, every value a string; non-ASCII escaped. */
static int print_json(const struct ctl_audit_set *r)
{
	fputs("[", stdout);
	for (size_t i = 0; i < r->n; i++) {
		const struct ctl_audit_rec *x = &r->rec[i];
		json_t *o = json_object();
		json_object_set_new(o, "time", json_string(x->time));
		for (size_t k = 0; k < x->n; k++)
			if (strcmp(x->f[k].key, "time") != 0)
				json_object_set_new(o, x->f[k].key, json_value(x->f[k].val));
		char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(o);
		if (s == NULL) {
			fprintf(stderr, "tokengatectl audit: out of memory\n");
			return -1;
		}
		printf("%s\n%s", i ? "," : "", s);
		free(s);
	}
	fputs(r->n ? "\n]\n" : "]\n", stdout);
	return 0;
}

static void notes(const struct ctl_audit_set *r)
{
	if (r->bad > 0)
		fprintf(stderr, "tokengatectl audit: %zu tokengate line%s skipped: not a record "
				"tokengate writes (the first: line %zu of %s)\n",
			r->bad, r->bad == 1 ? "" : "s", r->first_bad, r->source);
	if (r->dropped > 0)
		fprintf(stderr, "tokengatectl audit: %zu more records of %s not shown (at most "
				"%d, or out of memory)\n", r->dropped, r->q->user, CTL_AUDIT_RECORDS);
}

int ctl_audit(int argc, char **argv)
{
	struct opts o = { 0 };
	struct ctl_audit_set r = { .q = &o.q };
	if (parse_args(argc, argv, &o) != 0)
		return CTL_USAGE;
	int rc = ctl_audit_read(&r);
	if (rc == 0)
		rc = o.json ? print_json(&r) : print_text(&r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "tokengatectl audit: standard output: %s\n", strerror(errno));
		rc = -1;
	}
	notes(&r);
	bool found = r.n > 0 || r.dropped > 0;
	if (rc == 0 && !found)
		fprintf(stderr, "tokengatectl audit: no records of user %s in %s\n", o.q.user,
			r.source);
	ctl_audit_set_free(&r);
	if (rc != 0)
		return CTL_USAGE;
	return found ? CTL_OK : CTL_REJECTED;
}
