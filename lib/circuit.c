/*
 * circuit.c - the shared circuit breaker and the retry backoff. The state
 * file is read, changed and written under an exclusive flock, atomically
 * (cache.c), so concurrent helpers agree on one state and one probe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "cache.h"
#include "circuit.h"

enum { CLOSED, OPEN, HALF_OPEN };
static const char *const names[] = { "closed", "open", "half_open" };

struct state {
	int st;
	int failures;
	int64_t since;		/* opened at, or probe started at */
};

/* The state rides in a cache entry: body "STATE FAILURES", time = since. */
static void load(const struct tg_circuit *c, struct state *s)
{
	struct tg_cache_entry e;
	memset(s, 0, sizeof(*s));
	if (tg_cache_read(c->dir, c->name, &e) != TG_OK)
		return;
	char word[16] = "";
	int f = 0;
	if (sscanf(e.body, "%15s %d", word, &f) == 2 && f >= 0) {
		for (int i = 0; i < 3; i++)
			if (strcmp(word, names[i]) == 0)
				s->st = i;
		s->failures = f;
		s->since = e.fetched_at;
	}
	tg_cache_entry_clear(&e);
}

static void save(const struct tg_circuit *c, const struct state *s)
{
	char body[48];
	snprintf(body, sizeof(body), "%s %d", names[s->st], s->failures);
	struct tg_cache_entry e = { .fetched_at = s->since, .max_age = -1, .body = body,
				    .len = strlen(body) };
	tg_cache_write(c->dir, c->name, &e);
}

static void change(const struct tg_circuit *c, int from, struct state *s, int to)
{
	s->st = to;
	if (c->on_change != NULL && from != to)
		c->on_change(c->ud, names[from], names[to], s->failures);
}

bool tg_circuit_allow(const struct tg_circuit *c, int64_t now)
{
	struct state s;
	int lock = tg_cache_lock(c->dir, c->name, 1000);
	load(c, &s);
	bool allow = true;
	if (s.st != CLOSED) {
		bool cooled = now - s.since >= c->cooldown || now < s.since;
		if (!cooled) {
			allow = false; /* open, or a probe is under way */
		} else {
			int from = s.st;
			s.since = now; /* this request is the probe */
			change(c, from, &s, HALF_OPEN);
			save(c, &s);
		}
	}
	tg_cache_unlock(lock);
	return allow;
}

void tg_circuit_record(const struct tg_circuit *c, int64_t now, bool ok)
{
	struct state s;
	int lock = tg_cache_lock(c->dir, c->name, 1000);
	load(c, &s);
	int from = s.st;
	if (ok) {
		if (s.st != CLOSED || s.failures != 0) {
			s.failures = 0;
			s.since = now;
			change(c, from, &s, CLOSED);
			save(c, &s);
		}
	} else {
		s.failures++;
		if (s.st == HALF_OPEN || (s.st == CLOSED && s.failures >= c->threshold)) {
			s.since = now;
			change(c, from, &s, OPEN);
		}
		save(c, &s);
	}
	tg_cache_unlock(lock);
}

const char *tg_circuit_state(const struct tg_circuit *c, int *failures)
{
	struct state s;
	load(c, &s);
	*failures = s.failures;
	return names[s.st];
}

unsigned tg_backoff_ms(unsigned attempt, unsigned base_ms, unsigned cap_ms)
{
	unsigned long ceiling = base_ms;
	for (unsigned i = 0; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	uint32_t r = 0;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)rand();
	return (unsigned)(r % (ceiling + 1));
}
