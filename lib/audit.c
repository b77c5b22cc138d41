/*
 * audit.c - audit record bodies (DESIGN section 7): logfmt or JSON, values
 * capped and escaped so that nothing a user or a claim carries can forge a
 * field, a line or a record. No dependencies: the PAM module links it too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_text.h"
#include "tokengate.h"

#define VALUE_CAP 200u
#define MAX_FIELDS 32u

struct tg_audit {
	char *key[MAX_FIELDS];
	char *val[MAX_FIELDS];
	size_t n;
};

struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + n;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid; *cpp gets
 * the code point so that the caller can escape the dangerous valid ones.
 */
size_t tg_utf8_decode(const unsigned char *s, size_t avail, unsigned *cpp)
{
	unsigned c = s[0];
	size_t n;
	unsigned min, cp;
	*cpp = c;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) { n = 2; min = 0x80; cp = c & 0x1f; }
	else if ((c & 0xf0) == 0xe0) { n = 3; min = 0x800; cp = c & 0x0f; }
	else if ((c & 0xf8) == 0xf0) { n = 4; min = 0x10000; cp = c & 0x07; }
	else return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cpp = cp;
	return n;
}

/*
 * Valid non-ASCII code points that are escaped all the same, because a log
 * viewer, terminal or SIEM may act on them: C1 controls (U+009B is CSI, U+0085
 * NEL ends a line), U+2028/2029 end a line in some readers (and in JavaScript
 * strings), and bidi controls reorder what is shown, so that a value could
 * appear to hold "result=allow". Zero-width characters and U+FEFF (BOM/ZWNBSP)
 * do no harm to the format but make two different values look the same.
 * All are in the BMP, so one \uXXXX is a complete JSON escape for each.
 */
int tg_audit_escaped_cp(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f)	/* C1 controls */
	    || cp == 0x061c			/* ARABIC LETTER MARK */
	    || (cp >= 0x200b && cp <= 0x200d)	/* zero width space, ZWNJ, ZWJ */
	    || (cp >= 0x200e && cp <= 0x200f)	/* LRM, RLM */
	    || (cp >= 0x2028 && cp <= 0x2029)	/* line/paragraph separator */
	    || (cp >= 0x202a && cp <= 0x202e)	/* LRE, RLE, PDF, LRO, RLO */
	    || (cp >= 0x2066 && cp <= 0x2069)	/* LRI, RLI, FSI, PDI */
	    || cp == 0xfeff;			/* BOM, zero width no-break space */
}

/* Any non-ASCII byte quotes the value, so escaped code points are quoted too. */
static int needs_quotes(const char *v)
{
	if (*v == '\0')
		return 1;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= 0x20 || *p == '=' || *p == '"' || *p == '\\' || *p >= 0x7f)
			return 1;
	return 0;
}

/*
 * Escapes one value; json selects JSON string rules. Escapes in logfmt: \xNN
 * is one byte (an ASCII control, or a byte of invalid UTF-8), \uXXXX one valid
 * code point from tg_audit_escaped_cp(), so a reader can tell the two apart. JSON only
 * has \uXXXX; invalid bytes become \ufffd there.
 */
static void put_value(struct buf *b, const char *v, int json)
{
	const unsigned char *p = (const unsigned char *)v;
	size_t len = strlen(v), used = 0;
	int quote = json || needs_quotes(v);
	char tmp[16];
	if (quote)
		puts_(b, "\"");
	while (used < len) {
		unsigned char c = p[used];
		unsigned cp;
		size_t n = tg_utf8_decode(p + used, len - used, &cp);
		/*
		 * The cap counts input bytes and takes whole characters only, so
		 * neither a UTF-8 sequence nor an escape is ever cut in half.
		 */
		if (used + (n ? n : 1) > VALUE_CAP) {
			puts_(b, "...");
			break;
		}
		if (n == 0) { /* invalid UTF-8: show the byte, never pass it */
			snprintf(tmp, sizeof(tmp), json ? "\\ufffd" : "\\x%02x", c);
			puts_(b, tmp);
			used++;
			continue;
		}
		if (n > 1) {
			if (tg_audit_escaped_cp(cp)) {
				snprintf(tmp, sizeof(tmp), "\\u%04x", cp);
				puts_(b, tmp);
			} else {
				put(b, (const char *)p + used, n);
			}
			used += n;
			continue;
		}
		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			put(b, tmp, 2);
		} else if (c == '\n') {
			puts_(b, "\\n");
		} else if (c == '\r') {
			puts_(b, "\\r");
		} else if (c == '\t') {
			puts_(b, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), json ? "\\u%04x" : "\\x%02x", c);
			puts_(b, tmp);
		} else {
			put(b, (const char *)&c, 1);
		}
		used++;
	}
	if (quote)
		puts_(b, "\"");
}

tg_audit *tg_audit_new(const char *event)
{
	tg_audit *a = calloc(1, sizeof(*a));
	if (a != NULL)
		tg_audit_add(a, "event", event);
	return a;
}

void tg_audit_add(tg_audit *a, const char *key, const char *value)
{
	if (a == NULL || key == NULL || a->n >= MAX_FIELDS)
		return;
	for (size_t i = 0; i < a->n; i++) { /* a key once: the last value wins */
		if (strcmp(a->key[i], key) == 0) {
			char *v = strdup(value ? value : "-");
			if (v != NULL) {
				free(a->val[i]);
				a->val[i] = v;
			}
			return;
		}
	}
	a->key[a->n] = strdup(key);
	a->val[a->n] = strdup(value && *value ? value : "-");
	if (a->key[a->n] == NULL || a->val[a->n] == NULL) {
		free(a->key[a->n]);
		free(a->val[a->n]);
		return;
	}
	a->n++;
}

void tg_audit_addf_ms(tg_audit *a, const char *key, double ms)
{
	char v[32];
	snprintf(v, sizeof(v), "%.1f", ms < 0 ? 0.0 : ms);
	tg_audit_add(a, key, v);
}

char *tg_audit_render(const tg_audit *a, int json)
{
	struct buf b = { 0 };
	if (a == NULL)
		return NULL;
	if (json)
		puts_(&b, "{");
	for (size_t i = 0; i < a->n; i++) {
		if (i > 0)
			puts_(&b, json ? "," : " ");
		if (json) {
			put_value(&b, a->key[i], 1);
			puts_(&b, ":");
		} else {
			puts_(&b, a->key[i]);
			puts_(&b, "=");
		}
		put_value(&b, a->val[i], json);
	}
	if (json)
		puts_(&b, "}");
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

void tg_audit_free(tg_audit *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->key[i]);
		free(a->val[i]);
	}
	free(a);
}
