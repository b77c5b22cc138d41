/*
 * ctl_audit_parse.c - an audit record's body read back, the exact inverse
 * of tg_audit_render() (lib/audit.c): logfmt (key=value, one space apart;
 * a value bare, or quoted with \" \\ \n \r \t \xNN \uXXXX) or one JSON
 * object of strings. Nothing in a value can become a field: a quoted
 * value ends only at an unescaped '"', and whatever is not exactly what
 * the writer writes makes the whole body unreadable, never half-read.
 * And where in a syslog text line the body is.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_audit.h"

struct out {
	char *p;
	size_t len, cap;
};

static int emit(struct out *o, const void *s, size_t n)
{
	if (o->len + n > o->cap)
		return -1;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	return 0;
}

static int emit_byte(struct out *o, unsigned char c)
{
	return emit(o, &c, 1);
}

static int put_cp(struct out *o, unsigned cp)
{
	unsigned char b[3];
	if (cp < 0x80)
		return emit_byte(o, (unsigned char)cp);
	if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return emit(o, b, 2);
	}
	b[0] = (unsigned char)(0xe0 | cp >> 12);
	b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	b[2] = (unsigned char)(0x80 | (cp & 0x3f));
	return emit(o, b, 3);
}

/* n hex digits at s as a number, or -1. */
static long hex(const char *s, size_t avail, size_t n)
{
	long v = 0;
	if (avail < n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0'
		      : c >= 'a' && c <= 'f' ? c - 'a' + 10
		      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/*
 * One escape at s[0] == '\\': the bytes it stands for into o; how many
 * bytes of s it took, 0 when it is none of the writer's. \xNN is one byte
 * (never NUL: values are C strings), \uXXXX one code point of the BMP
 * (never a surrogate, never NUL).
 */
static size_t escape(const char *s, size_t avail, struct out *o)
{
	long v;
	if (avail < 2)
		return 0;
	switch (s[1]) {
	case '"': case '\\':
		return emit_byte(o, (unsigned char)s[1]) == 0 ? 2 : 0;
	case 'n':
		return emit_byte(o, '\n') == 0 ? 2 : 0;
	case 'r':
		return emit_byte(o, '\r') == 0 ? 2 : 0;
	case 't':
		return emit_byte(o, '\t') == 0 ? 2 : 0;
	case 'x':
		v = hex(s + 2, avail - 2, 2);
		return v > 0 && emit_byte(o, (unsigned char)v) == 0 ? 4 : 0;
	case 'u':
		v = hex(s + 2, avail - 2, 4);
		if (v <= 0 || (v >= 0xd800 && v <= 0xdfff))
			return 0;
		return put_cp(o, (unsigned)v) == 0 ? 6 : 0;
	default:
		return 0;
	}
}

/* A quoted value at s[0] == '"' into o: the bytes taken, closing quote
 * included; 0 when it is unterminated or holds what the writer escapes
 * (a raw control byte, invalid UTF-8) or an unknown escape. */
static size_t quoted(const char *s, size_t len, struct out *o)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 1;
	while (i < len) {
		unsigned cp;
		size_t n;
		if (u[i] == '"')
			return i + 1;
		if (u[i] == '\\')
			n = escape(s + i, len - i, o);
		else if (u[i] < 0x20 || u[i] == 0x7f)
			n = 0;
		else if ((n = tg_utf8_decode(u + i, len - i, &cp)) != 0 && emit(o, s + i, n) != 0)
			n = 0;
		if (n == 0)
			return 0;
		i += n;
	}
	return 0;
}

/* A bare value: printable ASCII but for '=', '"' and '\\', at least one. */
static size_t bare(const char *s, size_t len, struct out *o)
{
	size_t i = 0;
	for (; i < len && s[i] != ' '; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '=' || c == '"' || c == '\\')
			return 0;
	}
	return i > 0 && emit(o, s, i) == 0 ? i : 0;
}

static int key_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static int good_key(const char *k, size_t n)
{
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!key_char((unsigned char)k[i]))
			return 0;
	return 1;
}

/* Every field once, and event first (tg_audit_new writes it). */
static int good_fields(const struct ctl_audit_field *f, size_t n)
{
	if (n == 0 || strcmp(f[0].key, "event") != 0)
		return 0;
	for (size_t i = 1; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(f[i].key, f[j].key) == 0)
				return 0;
	return 1;
}

/* The fields of f (storage o) into r. */
static int finish(struct ctl_audit_rec *r, struct out *o, const struct ctl_audit_field *f,
		  size_t n)
{
	if (!good_fields(f, n))
		return -1;
	r->f = malloc(n * sizeof(*r->f));
	if (r->f == NULL)
		return -1;
	memcpy(r->f, f, n * sizeof(*f));
	r->n = n;
	r->text = o->p;
	return 0;
}

/* key=value: the key, '=' and value decoded into o as "key\0value\0". */
static size_t logfmt_field(const char *s, size_t len, struct out *o, struct ctl_audit_field *f)
{
	const char *eq = memchr(s, '=', len);
	if (eq == NULL || !good_key(s, (size_t)(eq - s)))
		return 0;
	size_t k = (size_t)(eq - s), rest = len - k - 1;
	f->key = o->p + o->len;
	if (emit(o, s, k) != 0 || emit_byte(o, 0) != 0)
		return 0;
	f->val = o->p + o->len;
	size_t v = rest > 0 && eq[1] == '"' ? quoted(eq + 1, rest, o) : bare(eq + 1, rest, o);
	if (v == 0 || emit_byte(o, 0) != 0)
		return 0;
	return k + 1 + v;
}

static int parse_logfmt(const char *s, size_t len, struct ctl_audit_rec *r)
{
	struct ctl_audit_field f[CTL_AUDIT_FIELDS];
	/* decoded text is never longer than its source, plus one NUL */
	struct out o = { malloc(len + 2), 0, len + 2 };
	size_t n = 0, i = 0;
	if (o.p == NULL)
		return -1;
	while (i < len) {
		size_t used;
		if (n == CTL_AUDIT_FIELDS || (used = logfmt_field(s + i, len - i, &o, &f[n])) == 0)
			goto bad;
		n++;
		i += used;
		if (i == len)
			break;
		/* one space, then another field: never two, never one at the end */
		if (s[i] != ' ' || ++i == len)
			goto bad;
	}
	if (finish(r, &o, f, n) == 0)
		return 0;
bad:
	free(o.p);
	return -1;
}

/* The JSON form: one object, every value a string, every key once. */
static int parse_json(const char *s, size_t len, struct ctl_audit_rec *r)
{
	struct ctl_audit_field f[CTL_AUDIT_FIELDS];
	json_error_t err;
	json_t *doc = json_loadb(s, len, JSON_REJECT_DUPLICATES, &err), *v;
	const char *k;
	struct out o = { NULL, 0, 0 };
	size_t n = 0;
	if (!json_is_object(doc) || json_object_size(doc) > CTL_AUDIT_FIELDS)
		goto bad;
	json_object_foreach(doc, k, v) {
		if (!json_is_string(v) || !good_key(k, strlen(k)))
			goto bad;
		o.cap += strlen(k) + json_string_length(v) + 2;
	}
	if ((o.p = malloc(o.cap ? o.cap : 1)) == NULL)
		goto bad;
	json_object_foreach(doc, k, v) {
		f[n].key = o.p + o.len;
		emit(&o, k, strlen(k) + 1);
		f[n].val = o.p + o.len;
		/* jansson refuses \u0000 unless asked, so no value holds a NUL */
		emit(&o, json_string_value(v), json_string_length(v) + 1);
		n++;
	}
	if (finish(r, &o, f, n) == 0) {
		json_decref(doc);
		return 0;
	}
bad:
	free(o.p);
	json_decref(doc);
	return -1;
}

int ctl_audit_parse(const char *body, size_t len, struct ctl_audit_rec *r)
{
	r->n = 0;
	r->f = NULL;
	r->text = NULL;
	if (len == 0 || memchr(body, 0, len) != NULL)
		return -1;
	return body[0] == '{' ? parse_json(body, len, r) : parse_logfmt(body, len, r);
}

const char *ctl_audit_get(const struct ctl_audit_rec *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->f[i].key, key) == 0)
			return r->f[i].val;
	return NULL;
}

void ctl_audit_rec_free(struct ctl_audit_rec *r)
{
	free(r->f);
	free(r->text);
	r->f = NULL;
	r->text = NULL;
	r->n = 0;
}

/* ---- the syslog line around the body ---- */

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

static int alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* "<PRI>" (the test sink writes it): its length, or 0. */
static size_t pri(const char *s, size_t len)
{
	size_t i = 1;
	if (len < 3 || s[0] != '<')
		return 0;
	while (i < len && i < 5 && digit(s[i]))
		i++;
	return i > 1 && i < len && s[i] == '>' ? i + 1 : 0;
}

/* d digits then the separator c at s[*i]; moves *i past them. */
static int digits_then(const char *s, size_t len, size_t *i, size_t d, char c)
{
	for (size_t k = 0; k < d; k++, (*i)++)
		if (*i >= len || !digit(s[*i]))
			return 0;
	if (c == '\0')
		return 1;
	if (*i >= len || s[*i] != c)
		return 0;
	(*i)++;
	return 1;
}

/* RFC 3339, "2026-12-02T01:56:33[.frac][Z|+hh:mm|+hhmm]": its length up
 * to the next space, or 0. */
static size_t iso_time(const char *s, size_t len)
{
	size_t i = 0;
	if (!digits_then(s, len, &i, 4, '-') || !digits_then(s, len, &i, 2, '-') ||
	    !digits_then(s, len, &i, 2, '\0') || i >= len || s[i] != 'T')
		return 0;
	i++;
	if (!digits_then(s, len, &i, 2, ':') || !digits_then(s, len, &i, 2, ':') ||
	    !digits_then(s, len, &i, 2, '\0'))
		return 0;
	while (i < len && (digit(s[i]) || s[i] == '.' || s[i] == ':' || s[i] == '+' ||
			   s[i] == '-' || s[i] == 'Z'))
		i++;
	return i < len && s[i] == ' ' ? i : 0;
}

/* "Dec  2 01:56:33" or "Dec 02 01:56:33[.123456]": its length, or 0. */
static size_t bsd_time(const char *s, size_t len)
{
	size_t i = 7;
	if (len < 16 || !alpha(s[0]) || !alpha(s[1]) || !alpha(s[2]) || s[3] != ' ' ||
	    !(digit(s[4]) || s[4] == ' ') || !digit(s[5]) || s[6] != ' ')
		return 0;
	if (!digits_then(s, len, &i, 2, ':') || !digits_then(s, len, &i, 2, ':') ||
	    !digits_then(s, len, &i, 2, '\0'))
		return 0;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && digit(s[i]))
			i++;
	}
	return i < len && s[i] == ' ' ? i : 0;
}

/* "tokengate[PID]: " or "tokengate: " at s: its length, or 0. */
static size_t tag(const char *s, size_t len)
{
	size_t i = sizeof("tokengate") - 1;
	if (len < i + 2 || memcmp(s, "tokengate", i) != 0)
		return 0;
	if (s[i] == '[') {
		size_t d = ++i;
		while (i < len && i - d < 10 && digit(s[i]))
			i++;
		if (i == d || i >= len || s[i] != ']')
			return 0;
		i++;
	}
	return i + 1 < len && s[i] == ':' && s[i + 1] == ' ' ? i + 2 : 0;
}

/* "PROGRAM[PID]: pam_tokengate(SERVICE:TYPE): event=" (pam_syslog's
 * prefix for the module's own record; its other messages are none) at s:
 * the length up to the body, or 0. */
static size_t module_tag(const char *s, size_t len)
{
	static const char pt[] = "pam_tokengate(";
	const char *sp = memchr(s, ' ', len);
	size_t i;
	if (sp == NULL || sp == s || sp[-1] != ':')
		return 0;
	i = (size_t)(sp - s) + 1;
	if (len - i < sizeof(pt) - 1 || memcmp(s + i, pt, sizeof(pt) - 1) != 0)
		return 0;
	for (i += sizeof(pt) - 1; i < len && s[i] != ')'; i++)
		if (s[i] == ' ' || s[i] == '(')
			return 0;
	if (i + 3 >= len || s[i + 1] != ':' || s[i + 2] != ' ')
		return 0;
	i += 3;
	return len - i > 6 && memcmp(s + i, "event=", 6) == 0 ? i : 0;
}

/* After the time: a tag at once, or after one host name. */
static size_t after_time(const char *s, size_t len)
{
	size_t t = tag(s, len);
	if (t == 0)
		t = module_tag(s, len);
	if (t != 0)
		return t;
	const char *sp = memchr(s, ' ', len);
	if (sp == NULL || sp == s)
		return 0;
	size_t h = (size_t)(sp - s) + 1;
	t = tag(s + h, len - h);
	if (t == 0)
		t = module_tag(s + h, len - h);
	return t ? h + t : 0;
}

int ctl_audit_line(const char *line, size_t len, const char **body, size_t *blen, char *time,
		   size_t tn)
{
	size_t p = pri(line, len), t = iso_time(line + p, len - p);
	if (t == 0)
		t = bsd_time(line + p, len - p);
	if (t == 0 || t >= tn)
		return 0;
	size_t at = p + t + 1, b = after_time(line + at, len - at);
	if (b == 0)
		return 0;
	memcpy(time, line + p, t);
	time[t] = '\0';
	*body = line + at + b;
	*blen = len - at - b;
	return 1;
}
