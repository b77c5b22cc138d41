/*
 * util.c - string, list, duration, clock and memory helpers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tg_internal.h"

char *tg_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *tg_strndup(const char *s, size_t n)
{
	return s ? strndup(s, n) : NULL;
}

void tg_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void tg_free_secret(char *s)
{
	if (s == NULL)
		return;
	tg_wipe(s, strlen(s));
	free(s);
}

/* Lists are written "a b c" or "a, b, c". */
tg_rc tg_strlist_parse(struct tg_strlist *l, const char *text)
{
	tg_strlist_clear(l);
	if (text == NULL)
		return TG_OK;
	const char *p = text;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		const char *e = p;
		while (*e && *e != ' ' && *e != '\t' && *e != ',')
			e++;
		char **nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
		if (nv == NULL)
			goto nomem;
		l->v = nv;
		l->v[l->n] = strndup(p, (size_t)(e - p));
		if (l->v[l->n] == NULL)
			goto nomem;
		l->n++;
		p = e;
	}
	return TG_OK;
nomem:
	tg_strlist_clear(l);
	return TG_E_NOMEM;
}

bool tg_strlist_has(const struct tg_strlist *l, const char *s)
{
	for (size_t i = 0; s && i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

void tg_strlist_clear(struct tg_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

tg_rc tg_strlist_copy(struct tg_strlist *dst, const struct tg_strlist *src)
{
	tg_strlist_clear(dst);
	if (src->n == 0)
		return TG_OK;
	dst->v = calloc(src->n, sizeof(*dst->v));
	if (dst->v == NULL)
		return TG_E_NOMEM;
	for (size_t i = 0; i < src->n; i++) {
		dst->v[i] = strdup(src->v[i]);
		if (dst->v[i] == NULL) {
			dst->n = i;
			tg_strlist_clear(dst);
			return TG_E_NOMEM;
		}
	}
	dst->n = src->n;
	return TG_OK;
}

bool tg_parse_duration(const char *s, int64_t *out)
{
	if (s == NULL || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0)
		return false;
	unsigned long long mul = 1;
	if (*end != '\0') {
		switch (*end) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default: return false;
		}
		if (end[1] != '\0')
			return false;
	}
	/* Nothing in tokengate needs more than ten years. */
	const unsigned long long limit = 10ULL * 366 * 86400;
	if (v > limit / mul)
		return false;
	*out = (int64_t)(v * mul);
	return true;
}

bool tg_parse_bool(const char *s, bool *out)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true") || !strcmp(s, "1") ||
	    !strcasecmp(s, "on")) {
		*out = true;
		return true;
	}
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false") || !strcmp(s, "0") ||
	    !strcasecmp(s, "off")) {
		*out = false;
		return true;
	}
	return false;
}

void tg_duration_text(int64_t s, bool words, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (words)
		snprintf(buf, len, s >= 120 ? "%lld minutes" : "%lld seconds",
			 (long long)(s >= 120 ? s / 60 : s));
	else
		snprintf(buf, len, s >= 60 ? "%lldm" : "%llds", (long long)(s >= 60 ? s / 60 : s));
}

/* The Unix time in seconds from CLOCK_REALTIME. Not time(NULL): glibc
 * answers that from the coarse clock, which lags the real one by up to a
 * tick just after a second begins, so a token the provider stamped with
 * this second (iat, nbf) would be "in the future" with leeway 0. */
int64_t tg_unix_time(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (int64_t)time(NULL);
	return (int64_t)ts.tv_sec;
}
