/*
 * jwks.c - an immutable table of verification keys, built once from a JSON
 * Web Key Set. Unusable or unsafe keys are skipped (and reported through the
 * caller's callback, which writes the audit record); the rest stay usable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg_internal.h"

struct tg_jwks {
	struct tg_key *keys;
	size_t n;
};

static void report(tg_skip_fn fn, void *ud, size_t i, const json_t *jwk,
		   const char *cause)
{
	if (fn != NULL)
		fn(ud, i, json_string_value(json_object_get(jwk, "kid")), cause);
}

/* Keys sharing a kid are ambiguous: all of them are dropped. */
static void drop_duplicate_kids(tg_jwks *s, const size_t *origin,
				tg_skip_fn fn, void *ud)
{
	bool *dup = calloc(s->n ? s->n : 1, sizeof(*dup));
	if (dup == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = i + 1; s->keys[i].kid && j < s->n; j++)
			if (s->keys[j].kid && !strcmp(s->keys[i].kid, s->keys[j].kid))
				dup[i] = dup[j] = true;
	size_t o = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (dup[i]) {
			if (fn != NULL)
				fn(ud, origin[i], s->keys[i].kid, "duplicate_kid");
			tg_key_clear(&s->keys[i]);
			continue;
		}
		s->keys[o++] = s->keys[i];
	}
	s->n = o;
	free(dup);
}

tg_rc tg_jwks_parse(const char *json, size_t len, tg_skip_fn skip_fn, void *ud,
		    tg_jwks **out)
{
	json_t *root = NULL;
	*out = NULL;
	tg_rc rc = tg_json_parse_object(json, len, TG_JWKS_MAX_BYTES, 8, &root);
	if (rc != TG_OK)
		return rc;
	const json_t *arr = json_object_get(root, "keys");
	if (!json_is_array(arr)) {
		json_decref(root);
		return TG_E_MALFORMED;
	}
	tg_jwks *s = calloc(1, sizeof(*s));
	size_t total = json_array_size(arr);
	size_t *origin = calloc(total ? total : 1, sizeof(*origin));
	if (s == NULL || origin == NULL ||
	    (s->keys = calloc(total ? total : 1, sizeof(*s->keys))) == NULL) {
		free(origin);
		free(s);
		json_decref(root);
		return TG_E_NOMEM;
	}
	for (size_t i = 0; i < total; i++) {
		const json_t *jwk = json_array_get(arr, i);
		const char *cause = NULL;
		if (s->n >= TG_JWKS_MAX_KEYS) {
			report(skip_fn, ud, i, jwk, "too_many_keys");
			continue;
		}
		if (!tg_jwk_parse(jwk, &s->keys[s->n], &cause)) {
			report(skip_fn, ud, i, jwk, cause);
			continue;
		}
		origin[s->n++] = i;
	}
	drop_duplicate_kids(s, origin, skip_fn, ud);
	free(origin);
	/* each key that stays gets its verify contexts now, once per set */
	for (size_t i = 0; i < s->n; i++)
		tg_sig_prepare(&s->keys[i]);
	json_decref(root);
	*out = s;
	return TG_OK;
}

tg_rc tg_jwks_load_file(const char *path, tg_skip_fn skip_fn, void *ud,
			tg_jwks **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	*out = NULL;
	tg_rc rc = tg_read_file_safely(path, TG_JWKS_MAX_BYTES, &buf, &len, err,
				       errlen);
	if (rc != TG_OK)
		return rc;
	rc = tg_jwks_parse(buf, len, skip_fn, ud, out);
	if (rc == TG_E_MALFORMED && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: not a JSON Web Key Set", path);
	free(buf);
	return rc;
}

size_t tg_jwks_count(const tg_jwks *s)
{
	return s ? s->n : 0;
}

const struct tg_key *tg_jwks_key(const tg_jwks *s, size_t i)
{
	return s && i < s->n ? &s->keys[i] : NULL;
}

void tg_jwks_free(tg_jwks *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		tg_key_clear(&s->keys[i]);
	free(s->keys);
	free(s);
}

tg_rc tg_jwks_select(const tg_jwks *s, const char *kid, tg_alg alg,
		     const struct tg_key **out)
{
	*out = NULL;
	if (s == NULL)
		return TG_E_UNKNOWN_KID;
	if (kid != NULL) {
		for (size_t i = 0; i < s->n; i++) {
			if (s->keys[i].kid == NULL || strcmp(s->keys[i].kid, kid))
				continue;
			if (!tg_key_fits(&s->keys[i], alg))
				return TG_E_ALG_NOT_ALLOWED;
			*out = &s->keys[i];
			return TG_OK;
		}
		return TG_E_UNKNOWN_KID;
	}
	const struct tg_key *found = NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (!tg_key_fits(&s->keys[i], alg))
			continue;
		if (found != NULL)
			return TG_E_UNKNOWN_KID; /* ambiguous without kid */
		found = &s->keys[i];
	}
	if (found == NULL)
		return TG_E_UNKNOWN_KID;
	*out = found;
	return TG_OK;
}

tg_rc tg_jwks_verify_raw(const tg_jwks *s, size_t idx, const char *alg,
			 const unsigned char *msg, size_t msglen,
			 const unsigned char *sig, size_t siglen)
{
	const struct tg_key *k = tg_jwks_key(s, idx);
	tg_alg a = tg_alg_from_name(alg);
	if (k == NULL)
		return TG_E_UNKNOWN_KID;
	if (a == TG_ALG_NONE || !tg_key_fits(k, a))
		return TG_E_ALG_NOT_ALLOWED;
	return tg_sig_verify(k, a, msg, msglen, sig, siglen);
}
