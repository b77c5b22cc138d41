/*
 * usermap.c - from a token's username claim to the local login name:
 * username_map (a root-owned file, exact match), else
 * username_strip_domains and username_lowercase. The mapped name must be a
 * login name (username.h) and is then compared with PAM_USER exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "file.h"
#include "tg_internal.h"
#include "username.h"

#define USERMAP_MAX_BYTES (1024u * 1024u)

bool tg_usermap_active(const struct tg_usermap *m)
{
	return m->has_map || m->strip_domains.n > 0 || m->lowercase;
}

void tg_usermap_clear(struct tg_usermap *m)
{
	tg_strlist_clear(&m->strip_domains);
	tg_strlist_clear(&m->from);
	tg_strlist_clear(&m->to);
	m->lowercase = false;
	m->has_map = false;
}

tg_rc tg_usermap_copy(struct tg_usermap *dst, const struct tg_usermap *src)
{
	tg_rc rc = tg_strlist_copy(&dst->strip_domains, &src->strip_domains);
	if (rc == TG_OK)
		rc = tg_strlist_copy(&dst->from, &src->from);
	if (rc == TG_OK)
		rc = tg_strlist_copy(&dst->to, &src->to);
	dst->lowercase = src->lowercase;
	dst->has_map = src->has_map;
	return rc;
}

static tg_rc push(struct tg_strlist *l, const char *s, size_t n)
{
	char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return TG_E_NOMEM;
	l->v = nv;
	if ((l->v[l->n] = strndup(s, n)) == NULL)
		return TG_E_NOMEM;
	l->n++;
	return TG_OK;
}

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One line: "" / "# ..." (nothing), or exactly "claim-value local-name". */
static tg_rc map_line(struct tg_usermap *m, char *line, const char **why)
{
	char *f[3] = { NULL, NULL, NULL };
	size_t nf = 0;
	char *p = line;
	while (*p) {
		while (space(*p))
			p++;
		if (*p == '\0' || (nf == 0 && *p == '#'))
			break;
		char *e = p;
		while (*e && !space(*e))
			e++;
		if (nf == 3)
			break;
		f[nf++] = p;
		if (*e)
			*e++ = '\0';
		p = e;
	}
	if (nf == 0)
		return TG_OK;
	*why = "expected 'claim-value local-name'";
	if (nf != 2)
		return TG_E_CONFIG;
	*why = "the local name is not a login name";
	if (!tg_login_name_ok(f[1]))
		return TG_E_CONFIG;
	*why = "the claim value is listed twice";
	if (tg_strlist_has(&m->from, f[0]))
		return TG_E_CONFIG;
	tg_rc rc = push(&m->from, f[0], strlen(f[0]));
	if (rc == TG_OK)
		rc = push(&m->to, f[1], strlen(f[1]));
	*why = "out of memory";
	return rc;
}

tg_rc tg_usermap_load(struct tg_usermap *m, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	tg_strlist_clear(&m->from);
	tg_strlist_clear(&m->to);
	m->has_map = true; /* even empty or refused: nothing else maps */
	if (tg_read_file_safely(path, USERMAP_MAX_BYTES, &buf, &len, err, errlen) != TG_OK)
		return TG_E_CONFIG;
	tg_rc rc = TG_OK;
	unsigned lineno = 0;
	char *save = NULL;
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		rc = TG_E_CONFIG;
	}
	for (char *s = buf; rc == TG_OK && s != NULL; s = save) {
		char *nl = strchr(s, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		const char *why = NULL;
		rc = map_line(m, s, &why);
		if (rc != TG_OK) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			rc = rc == TG_E_NOMEM ? TG_E_NOMEM : TG_E_CONFIG;
		}
	}
	free(buf);
	if (rc != TG_OK) {
		tg_strlist_clear(&m->from);
		tg_strlist_clear(&m->to);
	}
	return rc;
}

static void add_step(char *steps, size_t len, const char *what)
{
	size_t n = strlen(steps);
	if (n < len)
		snprintf(steps + n, len - n, "%s%s", n ? ", " : "", what);
}

tg_rc tg_usermap_apply(const struct tg_usermap *m, const char *value, char *out,
		       size_t outlen, const char **why, char *steps, size_t stepslen)
{
	size_t n = strlen(value);
	*why = NULL;
	if (stepslen > 0)
		steps[0] = '\0';
	if (outlen > 0)
		out[0] = '\0';
	if (m->has_map) {
		add_step(steps, stepslen, "username_map");
		const char *to = NULL;
		for (size_t i = 0; i < m->from.n && to == NULL; i++)
			if (strcmp(m->from.v[i], value) == 0)
				to = m->to.v[i];
		if (to == NULL) {
			*why = "not in username_map";
			return TG_E_USER_MISMATCH;
		}
		value = to;
		n = strlen(to);
	} else if (m->strip_domains.n > 0) {
		const char *at = strchr(value, '@');
		if (at != NULL) {
			bool listed = false;
			add_step(steps, stepslen, "strip domain");
			if (strchr(at + 1, '@') != NULL) {
				*why = "more than one '@'";
				return TG_E_USER_MISMATCH;
			}
			for (size_t i = 0; i < m->strip_domains.n && !listed; i++)
				listed = strcasecmp(m->strip_domains.v[i], at + 1) == 0;
			if (!listed) {
				*why = "the domain is not in username_strip_domains";
				return TG_E_USER_MISMATCH;
			}
			n = (size_t)(at - value);
		}
	}
	if (n >= outlen) {
		*why = "too long for a login name";
		return TG_E_USER_MISMATCH;
	}
	memcpy(out, value, n);
	out[n] = '\0';
	if (!m->has_map && m->lowercase) {
		add_step(steps, stepslen, "lowercase");
		for (size_t i = 0; i < n; i++)
			if (out[i] >= 'A' && out[i] <= 'Z') /* ASCII only, whatever the locale */
				out[i] = (char)(out[i] - 'A' + 'a');
	}
	if (!tg_login_name_ok(out)) {
		out[0] = '\0';
		*why = "the mapped name is not a login name";
		return TG_E_USER_MISMATCH;
	}
	return TG_OK;
}
