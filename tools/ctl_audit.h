/*
 * ctl_audit.h - reading tokengate's audit records back (tokengatectl
 * audit): where a syslog line's body is, and the body, logfmt or JSON,
 * parsed as the exact inverse of tg_audit_render() (lib/audit.c).
 */
#ifndef TG_CTL_AUDIT_H
#define TG_CTL_AUDIT_H

#include <stdbool.h>
#include <stddef.h>

/* More fields than any record has (the writer stops at 32), so that new
 * fields at the end of a record never make it unreadable. */
#define CTL_AUDIT_FIELDS 64
/* Longer lines are no records (32 values of at most 200 bytes, each escape
 * at most 6 bytes for one, fit well below). */
#define CTL_AUDIT_LINE_MAX 65536
/* Room for a line's time as written, NUL included. */
#define CTL_AUDIT_TIME_MAX 48

struct ctl_audit_field {
	const char *key;
	const char *val;	/* decoded: the bytes the writer was given */
};

struct ctl_audit_rec {
	char time[CTL_AUDIT_TIME_MAX];	/* as the line wrote it; "" when none */
	size_t n;
	struct ctl_audit_field *f;	/* n fields, in the record's order */
	char *text;			/* their storage */
};

/* "YYYY-MM-DD HH:MM:SS" and its NUL */
#define CTL_AUDIT_WHEN 20
/* One person's records of a day are hundreds; past this many the rest are
 * counted, not kept. */
#define CTL_AUDIT_RECORDS 200000

/* What to read: USER's records, between since and until ("" for none). */
struct ctl_audit_query {
	const char *user;
	const char *file;	/* a syslog text file, "-" stdin; NULL: the journal */
	char since[CTL_AUDIT_WHEN], until[CTL_AUDIT_WHEN];
};

/* What was read. */
struct ctl_audit_set {
	const struct ctl_audit_query *q;
	struct ctl_audit_rec *rec;	/* USER's records, in input order */
	size_t n, cap;
	const char *source;		/* for messages: a path, "the journal" */
	size_t line, bad, first_bad;	/* lines read; unreadable records */
	size_t dropped;			/* USER's records past CTL_AUDIT_RECORDS */
	bool filter;			/* since/until compared here */
	bool failed;			/* a read error, said already */
};

/* Reads s->q's records into s (ctl_audit_read.c): 0, or -1 after saying
 * on stderr what could not be read. */
int ctl_audit_read(struct ctl_audit_set *s);
/* Frees the records and forgets the counts. */
void ctl_audit_set_free(struct ctl_audit_set *s);

/*
 * The record in body (len bytes, no newline): logfmt, or JSON when it
 * starts with '{'. 0, or -1 when tokengate did not write it: a syntax
 * error, a key twice, a first key other than event, a NUL, invalid UTF-8,
 * a JSON value that is not a string, more than CTL_AUDIT_FIELDS fields.
 * r->time is left alone; on -1 r holds nothing to free.
 */
int ctl_audit_parse(const char *body, size_t len, struct ctl_audit_rec *r);
/* The value of key, or NULL when the record has no such field. */
const char *ctl_audit_get(const struct ctl_audit_rec *r, const char *key);
void ctl_audit_rec_free(struct ctl_audit_rec *r);

/*
 * Where a syslog text line holds a tokengate record: 1 with *body and
 * *blen, and the time as written copied into time (tn bytes); 0 for a line
 * of another program or of no known shape. A line is
 *   [<PRI>]TIME [HOST ]tokengate[PID]: BODY     (also "tokengate: BODY")
 *   [<PRI>]TIME [HOST ]PROGRAM: pam_tokengate(SERVICE:TYPE): BODY
 * (the second: the module's own record when its helper failed); TIME is
 * RFC 3339 (rsyslog's default on Debian 12, journalctl -o short-iso) or
 * "Mmm dd hh:mm:ss[.frac]" (traditional syslog, journalctl's short). The
 * tag is looked for in these places only, never further in the line, so a
 * message of another program that contains "tokengate[1]: " is not one.
 */
int ctl_audit_line(const char *line, size_t len, const char **body, size_t *blen, char *time,
		   size_t tn);

/* The writer's UTF-8 and escaping rules (tg_utf8_decode,
 * tg_audit_escaped_cp): shared with lib/audit.c, so that reader and writer
 * cannot drift apart. */
#include "audit_text.h"

#endif
