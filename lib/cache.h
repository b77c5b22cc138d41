/*
 * cache.h - small documents cached on disk (discovery, JWKS) in the cache
 * directory, written atomically, read with the safe-open rules (file.h).
 */
#ifndef TG_CACHE_H
#define TG_CACHE_H

#include <stdint.h>
#include <sys/types.h>

#include "file.h"

struct tg_cache_entry {
	int64_t fetched_at;	/* unix time of the successful fetch */
	int64_t max_age;	/* from Cache-Control, -1 if none */
	char *url;
	char *body;		/* the document as fetched */
	size_t len;
};

/* Reads DIR/NAME; TG_E_IO when absent, TG_E_MALFORMED when corrupt. */
TG_HIDDEN tg_rc tg_cache_read(const char *dir, const char *name,
			      struct tg_cache_entry *e);
/* Writes DIR/NAME atomically (temp, fsync, rename, fsync dir). Creates DIR
 * (0700) when missing. */
TG_HIDDEN tg_rc tg_cache_write(const char *dir, const char *name,
			       const struct tg_cache_entry *e);
TG_HIDDEN void tg_cache_entry_clear(struct tg_cache_entry *e);

/* An exclusive lock on DIR/NAME.lock; wait_ms 0 = try once. Returns an fd
 * to pass to tg_cache_unlock, or -1. */
TG_HIDDEN int tg_cache_lock(const char *dir, const char *name, unsigned wait_ms);
TG_HIDDEN void tg_cache_unlock(int fd);

/* The time stamp kept in DIR/NAME (0 if none), and setting it. */
TG_HIDDEN int64_t tg_cache_stamp_get(const char *dir, const char *name);
TG_HIDDEN void tg_cache_stamp_set(const char *dir, const char *name, int64_t t);

#endif
