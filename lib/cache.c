/*
 * cache.c - the on-disk cache of fetched documents. Every file is written
 * atomically (tg_write_atomically_at, file.c): a crash leaves the old or
 * the new file, never a mix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"

#define CACHE_MAX_BYTES (2u * 1024u * 1024u)

static bool safe_name(const char *name)
{
	if (name == NULL || *name == '\0' || *name == '.' || strlen(name) > 128)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/')
			return false;
	return true;
}

void tg_cache_entry_clear(struct tg_cache_entry *e)
{
	free(e->url);
	free(e->body);
	memset(e, 0, sizeof(*e));
}

tg_rc tg_cache_read(const char *dir, const char *name, struct tg_cache_entry *e)
{
	char path[4096], *buf = NULL;
	size_t len = 0;
	json_t *j = NULL;
	memset(e, 0, sizeof(*e));
	if (!safe_name(name) || snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return TG_E_CONFIG;
	if (tg_read_file_safely(path, CACHE_MAX_BYTES, &buf, &len, NULL, 0) != TG_OK)
		return TG_E_IO;
	tg_rc rc = tg_json_parse_object(buf, len, CACHE_MAX_BYTES, 4, &j);
	free(buf);
	if (rc != TG_OK)
		return TG_E_MALFORMED;
	const json_t *body = json_object_get(j, "body");
	const char *url = json_string_value(json_object_get(j, "url"));
	json_t *v = json_object_get(j, "v");
	if (!json_is_integer(v) || json_integer_value(v) != 1 || !json_is_string(body) ||
	    !tg_json_int(json_object_get(j, "fetched_at"), &e->fetched_at) ||
	    !tg_json_int(json_object_get(j, "max_age"), &e->max_age)) {
		json_decref(j);
		return TG_E_MALFORMED;
	}
	e->body = tg_strndup(json_string_value(body), json_string_length(body));
	e->len = json_string_length(body);
	e->url = tg_strdup(url);
	json_decref(j);
	return e->body ? TG_OK : TG_E_NOMEM;
}

static tg_rc write_atomically(const char *dir, const char *name, const char *data,
			      size_t len)
{
	int dfd = tg_dir_open(dir);
	if (dfd < 0)
		return TG_E_IO;
	tg_rc rc = tg_write_atomically_at(dfd, name, data, len);
	close(dfd);
	return rc;
}

tg_rc tg_cache_write(const char *dir, const char *name, const struct tg_cache_entry *e)
{
	if (!safe_name(name))
		return TG_E_CONFIG;
	json_t *j = json_pack("{s:i,s:I,s:I,s:s?,s:s%}", "v", 1, "fetched_at",
			      (json_int_t)e->fetched_at, "max_age", (json_int_t)e->max_age,
			      "url", e->url, "body", e->body, e->len);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL)
		return TG_E_NOMEM;
	tg_rc rc = write_atomically(dir, name, text, strlen(text));
	free(text);
	return rc;
}

int tg_cache_lock(const char *dir, const char *name, unsigned wait_ms)
{
	char lname[160];
	if (!safe_name(name))
		return -1;
	int dfd = tg_dir_open(dir);
	if (dfd < 0)
		return -1;
	snprintf(lname, sizeof(lname), "%s.lock", name);
	int fd = tg_file_lock_at(dfd, lname, wait_ms);
	close(dfd);
	return fd >= 0 ? fd : -1;
}

void tg_cache_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

int64_t tg_cache_stamp_get(const char *dir, const char *name)
{
	struct tg_cache_entry e;
	int64_t t = 0;
	if (tg_cache_read(dir, name, &e) == TG_OK)
		t = e.fetched_at;
	tg_cache_entry_clear(&e);
	return t;
}

void tg_cache_stamp_set(const char *dir, const char *name, int64_t t)
{
	char empty[1] = "";
	struct tg_cache_entry e = { .fetched_at = t, .max_age = -1, .body = empty };
	tg_cache_write(dir, name, &e);
}
