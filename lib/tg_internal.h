/*
 * tg_internal.h - declarations shared inside libtokengate (not installed).
 */
#ifndef TG_INTERNAL_H
#define TG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "tokengate.h"

#define TG_HIDDEN __attribute__((visibility("hidden")))

#define TG_MAX_TOKEN_DEFAULT (16u * 1024u)
#define TG_MAX_TOKEN_LIMIT (256u * 1024u)
#define TG_JSON_MAX_DEPTH 16
#define TG_JSON_MAX_BYTES (64u * 1024u)
#define TG_JWKS_MAX_BYTES (1024u * 1024u)
#define TG_JWKS_MAX_KEYS 64

/* ---- strict JSON ---- */
/* Parses exactly one JSON object: duplicate names, \u0000, invalid UTF-8,
 * trailing bytes, nesting deeper than max_depth and inputs larger than
 * max_bytes are all rejected. */
TG_HIDDEN tg_rc tg_json_parse_object(const char *buf, size_t len,
				     size_t max_bytes, int max_depth,
				     json_t **out);
/* A JSON integer that fits int64; reals, strings, bools are rejected. */
TG_HIDDEN bool tg_json_int(const json_t *v, int64_t *out);

/* ---- keys ---- */
typedef enum tg_alg {
	TG_ALG_NONE = 0,
	TG_ALG_RS256,
	TG_ALG_PS256,
	TG_ALG_ES256,
	TG_ALG_EDDSA,
} tg_alg;

/* The algorithm named exactly (case-sensitive) by s, or TG_ALG_NONE. */
TG_HIDDEN tg_alg tg_alg_from_name(const char *s);
TG_HIDDEN const char *tg_alg_name(tg_alg alg);

struct tg_key {
	char *kid;		/* NULL when the JWK has none */
	tg_alg alg;		/* bound algorithm; NONE = any alg of its type */
	int kty;		/* TG_KTY_* */
	size_t sig_len;		/* exact signature length in bytes */
	EVP_PKEY *pkey;
	/* verify contexts initialised once per key, copied per signature
	 * (sig.c); [1] is PS256 on an RSA key, [0] every other alg */
	EVP_MD_CTX *verify[2];
};
enum { TG_KTY_RSA = 1, TG_KTY_EC = 2, TG_KTY_OKP = 3 };

/* Parses one JWK object into key; on refusal returns false and names the
 * cause (a static string). */
TG_HIDDEN bool tg_jwk_parse(const json_t *jwk, struct tg_key *key,
			    const char **cause);
TG_HIDDEN void tg_key_clear(struct tg_key *key);
/* Does key k fit algorithm alg (type, curve and binding)? */
TG_HIDDEN bool tg_key_fits(const struct tg_key *k, tg_alg alg);

/* Selects the key for (kid, alg): exact kid match, or with kid == NULL the
 * single key of the set that fits alg. */
TG_HIDDEN tg_rc tg_jwks_select(const tg_jwks *jwks, const char *kid,
			       tg_alg alg, const struct tg_key **out);
TG_HIDDEN const struct tg_key *tg_jwks_key(const tg_jwks *jwks, size_t i);

/* Verifies sig over msg with key k for alg (k must fit alg). */
TG_HIDDEN tg_rc tg_sig_verify(const struct tg_key *k, tg_alg alg,
			      const unsigned char *msg, size_t msglen,
			      const unsigned char *sig, size_t siglen);
/* Prepares k's verify contexts (none on failure: tg_sig_verify then
 * initialises one per call); tg_key_clear releases them. */
TG_HIDDEN void tg_sig_prepare(struct tg_key *k);

/* ---- policy (read by token.c and claims.c) ---- */
struct tg_strlist {
	char **v;
	size_t n;
};
TG_HIDDEN tg_rc tg_strlist_parse(struct tg_strlist *l, const char *text);
TG_HIDDEN bool tg_strlist_has(const struct tg_strlist *l, const char *s);
TG_HIDDEN void tg_strlist_clear(struct tg_strlist *l);
TG_HIDDEN tg_rc tg_strlist_copy(struct tg_strlist *dst,
				const struct tg_strlist *src);

/* The username mapping of an issuer (lib/usermap.c): with a map file
 * (has_map) only its entries map, exact match on the claim value (from[i]
 * -> to[i]); else the "@domain" suffix is stripped for the listed domains
 * (case-insensitive) and the value lower-cased when asked. */
struct tg_usermap {
	struct tg_strlist strip_domains;
	bool lowercase;
	bool has_map;
	struct tg_strlist from, to;
};
/* Reads a map file (tg_read_file_safely: no symlink, root or the caller's,
 * not writable by group or others): lines "claim-value local-name", '#'
 * comments, blank lines. A malformed line, a duplicate claim value or a
 * local name that is no login name is TG_E_CONFIG with "PATH:LINE: why"
 * in err; an unsafe file TG_E_CONFIG with "PATH: why". */
TG_HIDDEN tg_rc tg_usermap_load(struct tg_usermap *m, const char *path, char *err,
				size_t errlen);
TG_HIDDEN tg_rc tg_usermap_copy(struct tg_usermap *dst, const struct tg_usermap *src);
TG_HIDDEN void tg_usermap_clear(struct tg_usermap *m);
TG_HIDDEN bool tg_usermap_active(const struct tg_usermap *m);
/* The login name value maps to, into out: TG_OK, or TG_E_USER_MISMATCH
 * with *why (a value that does not map, or maps to no login name). steps
 * receives what was applied ("map file", "strip domain, lowercase", ...). */
TG_HIDDEN tg_rc tg_usermap_apply(const struct tg_usermap *m, const char *value, char *out,
				 size_t outlen, const char **why, char *steps, size_t stepslen);

/* The service's freshness and strength: max_auth_age in seconds (0:
 * none), required_acr and required_amr as lists (NULL: none). */
TG_HIDDEN tg_rc tg_policy_set_strength(tg_policy *p, int64_t max_auth_age, const char *acr,
				       const char *amr);
/* auth_time, acr and amr of the payload against the policy (strength.c):
 * TG_OK, or TG_E_NOT_AUTHORIZED with the reason told to the explain
 * callback (a missing claim fails closed). */
TG_HIDDEN tg_rc tg_claims_check_strength(const tg_policy *p, const json_t *payload, int64_t now);
/* Does the policy ask for freshness or strength at all? */
TG_HIDDEN bool tg_policy_wants_strength(const tg_policy *p);

/* The numeric claim a person's uid comes from (create_users), or NULL. */
TG_HIDDEN tg_rc tg_policy_set_uid_claim(tg_policy *p, const char *claim);

struct tg_policy {
	char *issuer;
	struct tg_strlist audience;
	char *client_id;
	struct tg_strlist algs;
	struct tg_strlist access_types;
	char *username_claim;
	char *uid_claim;	/* a numeric claim kept as uid_number, or NULL */
	struct tg_usermap usermap;	/* username_claim value -> login name */
	char *groups_claim;
	struct tg_strlist allowed_groups;
	/* freshness and strength of the login (strength.c): 0 / empty: none */
	int64_t max_auth_age;
	struct tg_strlist required_acr, required_amr;
	char *user;
	tg_kind kind;
	int64_t leeway;
	int64_t now;		/* 0: the clock */
	size_t max_len;
	bool signature_only;
	tg_explain_fn explain;
	void *explain_ud;
};

TG_HIDDEN void tg_explain(const tg_policy *p, const char *check, tg_rc rc,
			  const char *detail);

/* ---- claims ---- */
/* Checks the header typ against the token kind. */
TG_HIDDEN tg_rc tg_claims_check_type(const tg_policy *p, const json_t *hdr);
/* Checks iss, aud, azp, exp, nbf, iat, username and authorization.
 * username receives the mapped name ("" when none). */
TG_HIDDEN tg_rc tg_claims_check(const tg_policy *p, const json_t *payload,
				int64_t now, char *username, size_t userlen);

/* A claim by name or dotted path (realm_access.roles), or NULL. */
TG_HIDDEN const json_t *tg_claim_path(const json_t *obj, const char *path);
/* The service's authorization applied to what a session stored of its
 * last validated token (its iss and {auth_time, groups}), for every step
 * that lets someone in without asking the provider (grace, an offline
 * password): the same user mapping (when p names a user and the claims
 * keep the username claim's value) and the same allowed_groups as the
 * online check. */
TG_HIDDEN tg_rc tg_claims_authorize_stored(const tg_policy *p, const char *iss,
					   const json_t *claims);

/* The claims a session keeps ({auth_time, groups}), borrowed; NULL unless
 * the token validated, or validated as a person refused here
 * (not_authorized: the newest truth about that person's groups). */
TG_HIDDEN const json_t *tg_token_claims(const tg_token *t);
/* A token decoded once per login (segments, header, payload), before and
 * for its validation; the text is borrowed and must outlive it. NULL: no
 * memory. Nothing in it is verified until tg_token_validate_jws says so. */
typedef struct tg_jws tg_jws;
TG_HIDDEN tg_jws *tg_jws_parse(const char *token, size_t len, size_t max_len);
TG_HIDDEN void tg_jws_free(tg_jws *j);
/* The iss its payload names (unverified: only to choose the issuer), or NULL. */
TG_HIDDEN const char *tg_jws_iss(const tg_jws *j);
/* Is it structurally a JWT: three strict base64url segments, a JSON
 * header and payload (nothing verified)? Only such input may be
 * fingerprinted in an audit record. */
TG_HIDDEN bool tg_jws_is_jwt(const tg_jws *j);
/* tg_token_validate on the decoded token (decoded again only when it was
 * decoded under another size cap than the policy's). */
TG_HIDDEN tg_rc tg_token_validate_jws(const tg_policy *p, const tg_jwks *keys, const tg_jws *j,
				      tg_token **out);
/* "access" or "id": the rules the token was validated under. */
TG_HIDDEN const char *tg_token_kind_name(const tg_token *t);
/* Did its signature verify with the issuer's keys (whatever came after)? */
TG_HIDDEN bool tg_token_verified(const tg_token *t);

/* ---- small helpers ---- */
TG_HIDDEN char *tg_strdup(const char *s);
TG_HIDDEN char *tg_strndup(const char *s, size_t n);
TG_HIDDEN void tg_wipe(void *p, size_t n);
/* Checked reads (tg_read_file_safely, tg_read_secret_file), atomic
 * writes, directory opens, locks. */
#include "file.h"
/* Parses "90s", "5m", "12h", "7d" or plain seconds. */
TG_HIDDEN bool tg_parse_duration(const char *s, int64_t *out);
TG_HIDDEN bool tg_parse_bool(const char *s, bool *out);
/* A duration for people: "3h12m"; under an hour "4m" / "45s", or with
 * words "4 minutes" / "45 seconds". */
TG_HIDDEN void tg_duration_text(int64_t seconds, bool words, char *buf, size_t len);
/* The Unix time from CLOCK_REALTIME (time(NULL) lags it: util.c). */
TG_HIDDEN int64_t tg_unix_time(void);
/* A QR code of data drawn in text (UTF-8 half blocks, light modules drawn),
 * or NULL when it cannot be drawn here (no libqrencode.so.4, too long). */
TG_HIDDEN char *tg_qr_text(const char *data);

/* Counters for tokengatectl metrics (metrics.c): named slots in
 * cache_dir/metrics, shared by every process. */
TG_HIDDEN void tg_metrics_count(const char *cache_dir, const char *name);
TG_HIDDEN void tg_metrics_decision(const char *cache_dir, const char *event,
				   const char *result, const char *method);
TG_HIDDEN size_t tg_metrics_slots(void);
TG_HIDDEN const char *tg_metrics_slot_name(size_t i);
/* Reads up to n counters; returns how many the file holds. */
TG_HIDDEN size_t tg_metrics_read(const char *cache_dir, uint64_t *vals, size_t n);

/* ---- the offline password verifier (yescrypt, offline_password.c) ---- */
TG_HIDDEN tg_rc tg_offline_pw_make(const char *password, char **out);
/* TG_OK on a match, TG_E_BAD_PASSWORD otherwise (compared in constant time). */
TG_HIDDEN tg_rc tg_offline_pw_check(const char *verifier, const char *password);

/* A random (version 4) UUID in buf (at least 37 bytes). */
TG_HIDDEN tg_rc tg_uuid4(char *buf, size_t len);

#endif /* TG_INTERNAL_H */
