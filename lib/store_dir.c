/*
 * store_dir.c - the store directory as a whole: the names of its files
 * (built and parsed here only) and walking them for the tools (status,
 * refresh --all, revoke --all, cleanup).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store.h"

static const char *const suffix[] = {
	[TG_STORE_SESSION] = "",
	[TG_STORE_LOCK] = ".lock",
	[TG_STORE_OWNER] = ".owner",
	[TG_STORE_REVOKED] = ".revoked",
	[TG_STORE_CORRUPT] = ".corrupt.",
};

void tg_store_name(uint32_t uid, enum tg_store_kind kind, int64_t at, char *buf, size_t n)
{
	if (kind == TG_STORE_CORRUPT)
		snprintf(buf, n, "%u%s%lld", (unsigned)uid, suffix[kind], (long long)at);
	else if (kind <= TG_STORE_REVOKED)
		snprintf(buf, n, "%u%s", (unsigned)uid, suffix[kind]);
	else if (n > 0)
		buf[0] = '\0';
}

/* A decimal number as printed: digits, no leading zero, at most max.
 * *end: the first byte after it. */
static bool number(const char *s, uint64_t max, uint64_t *v, const char **end)
{
	size_t i = 0;
	*v = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (i == 19 || (*v = *v * 10 + (uint64_t)(s[i] - '0')) > max)
			return false;
	}
	*end = s + i;
	return i > 0 && (i == 1 || s[0] != '0');
}

/* What kind of store file is name? false for names that are not ours. */
static bool parse(const char *name, struct tg_store_file *f)
{
	uint64_t v = 0;
	const char *rest = NULL;
	memset(f, 0, sizeof(*f));
	f->name = name;
	if (tg_file_is_temp(name)) {
		f->kind = TG_STORE_TEMP;
		return true;
	}
	if (!number(name, UINT32_MAX, &v, &rest) || (*rest != '\0' && *rest != '.'))
		return false;
	f->uid = (uint32_t)v;
	f->kind = TG_STORE_OTHER;
	for (int k = TG_STORE_SESSION; k <= TG_STORE_REVOKED; k++)
		if (strcmp(rest, suffix[k]) == 0)
			f->kind = (enum tg_store_kind)k;
	const char *cs = suffix[TG_STORE_CORRUPT];
	const char *end = NULL;
	if (strncmp(rest, cs, strlen(cs)) == 0 &&
	    number(rest + strlen(cs), INT64_MAX, &v, &end) && *end == '\0') {
		f->kind = TG_STORE_CORRUPT;
		f->moved_at = (int64_t)v;
	}
	return true;
}

tg_rc tg_store_each(const char *dir, tg_store_each_fn fn, void *ud)
{
	int dfd = tg_dir_open_existing_private(dir);
	if (dfd < 0)
		return errno == ENOENT ? TG_OK : TG_E_IO;
	DIR *d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return TG_E_IO;
	}
	struct dirent *e;
	struct tg_store_file f;
	struct stat sb;
	tg_rc rc = TG_OK;
	for (;;) {
		errno = 0;
		if ((e = readdir(d)) == NULL) {
			/* the end, or a walk cut short: never a complete list */
			if (errno != 0)
				rc = TG_E_IO;
			break;
		}
		if (!parse(e->d_name, &f) || fstatat(dfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue; /* not ours, or gone meanwhile */
		f.mtime = (int64_t)sb.st_mtime;
		f.regular = S_ISREG(sb.st_mode);
		if (fn(ud, dfd, &f) != 0)
			break;
	}
	closedir(d);
	return rc;
}

struct list {
	struct tg_store_uid *v;
	size_t n, cap;
	bool nomem;
};

static int add(void *ud, int dfd, const struct tg_store_file *f)
{
	(void)dfd;
	struct list *l = ud;
	if (f->kind == TG_STORE_TEMP)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct tg_store_uid *m = realloc(l->v, cap * sizeof(*m));
		if (m == NULL) {
			l->nomem = true;
			return 1;
		}
		l->v = m;
		l->cap = cap;
	}
	l->v[l->n].uid = f->uid;
	l->v[l->n++].files = 1u << f->kind;
	return 0;
}

static int by_uid(const void *a, const void *b)
{
	uint32_t x = ((const struct tg_store_uid *)a)->uid;
	uint32_t y = ((const struct tg_store_uid *)b)->uid;
	return x < y ? -1 : x > y;
}

tg_rc tg_store_list(const char *dir, struct tg_store_uid **out, size_t *n)
{
	struct list l = { 0 };
	*out = NULL;
	*n = 0;
	tg_rc rc = tg_store_each(dir, add, &l);
	if (rc == TG_OK && l.nomem)
		rc = TG_E_NOMEM;
	if (rc != TG_OK) {
		free(l.v);
		return rc;
	}
	/* one entry per file so far: sort, then fold each uid's into one */
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), by_uid);
	size_t k = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (k > 0 && l.v[k - 1].uid == l.v[i].uid)
			l.v[k - 1].files |= l.v[i].files;
		else
			l.v[k++] = l.v[i];
	}
	*out = l.n > 0 ? l.v : NULL;
	if (l.n == 0)
		free(l.v);
	*n = k;
	return TG_OK;
}
