/*
 * tokengate.h - public API of libtokengate.
 *
 * Every type is opaque and every symbol carries the tg_ prefix. Functions
 * that can fail return a tg_rc; tg_reason() turns it into the fixed reason
 * code of the audit records, tg_strerror() into a sentence for people.
 */
#ifndef TOKENGATE_H
#define TOKENGATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TG_API __attribute__((visibility("default")))
#else
#define TG_API
#endif

#define TG_VERSION "0.1.0"

/* Result codes. The order of the reason codes is part of the helper
 * protocol: append only. */
typedef enum tg_rc {
	TG_OK = 0,
	TG_E_MALFORMED,
	TG_E_BAD_SIGNATURE,
	TG_E_ALG_NOT_ALLOWED,
	TG_E_UNKNOWN_KID,
	TG_E_EXPIRED,
	TG_E_NOT_YET_VALID,
	TG_E_BAD_ISSUER,
	TG_E_BAD_AUDIENCE,
	TG_E_BAD_TYPE,
	TG_E_USER_MISMATCH,
	TG_E_NOT_AUTHORIZED,
	TG_E_REVOKED,
	TG_E_IDP_UNREACHABLE,
	TG_E_GRACE_EXPIRED,
	TG_E_LOCKED_OUT,
	TG_E_NO_CREDENTIALS,
	TG_E_TIMEOUT,
	TG_E_INTERNAL,
	TG_E_CONFIG,		/* reason code "internal", event=config */
	TG_E_NOMEM,		/* reason code "internal" */
	TG_E_IO,		/* reason code "internal" */
	TG_E_BAD_PASSWORD,	/* the provider refused the password */
	TG_RC_COUNT,		/* the helper protocol sends only codes below */
	/* Results only the PAM module reaches itself: further rows of the
	 * result table, never on the wire. */
	TG_R_HELPER_FAILED = TG_RC_COUNT, /* no well-formed answer, or a bad exit */
	TG_R_MODULE_FAILED,	/* the module cannot ask: a bad argument, NSS failed */
	TG_R_UNKNOWN_USER,	/* PAM_USER is unusable, or NSS names another account */
	TG_R_CONV_AGAIN,	/* pam_get_user: call again (PAM_INCOMPLETE) */
	TG_R_BUF_ERR,		/* a PAM call of the module failed for memory */
	TG_R_COUNT
} tg_rc;

/* The result table's PAM columns: one per stage, and the account stage
 * twice: for a user tokengate has claimed (it authenticated the user in
 * this handle, or require_session) and for one it may not know. */
typedef enum tg_pam_at {
	TG_AT_AUTH = 0,
	TG_AT_SETCRED,
	TG_AT_ACCOUNT,
	TG_AT_ACCOUNT_UNCLAIMED,
	TG_AT_OPEN_SESSION,
	TG_AT_CLOSE_SESSION,
	TG_AT_COUNT
} tg_pam_at;

/* Everything a result means lives in one table (lib/rc.c); these read it.
 * A value outside the table reads as an internal failure (fail closed). */
TG_API const char *tg_reason(tg_rc rc);
TG_API const char *tg_strerror(tg_rc rc);
/* The syslog priority of a record that ends in rc (docs/pam_tokengate.8). */
TG_API int tg_rc_priority(tg_rc rc);
/* 1 when rc is a refused guess, which the lockout counter keeps. */
TG_API int tg_rc_is_guess(tg_rc rc);
/* What the user is told when a typed token ends in rc, or NULL. */
TG_API const char *tg_rc_token_message(tg_rc rc);
/* What the user is told when a login or session ends in rc, or NULL. */
TG_API const char *tg_rc_login_message(tg_rc rc);
/* The PAM code for rc in a column; never PAM_SUCCESS for a failure. */
TG_API int tg_rc_pam(tg_rc rc, tg_pam_at at);
TG_API const char *tg_version(void);
/* Initializes OpenSSL without reading any configuration file. */
TG_API void tg_crypto_init(void);

/* ---- strict base64url (RFC 7515 section 2, no padding) ---- */
/* Decodes into a new buffer (NUL-terminated for convenience, the NUL not
 * counted). Returns TG_E_MALFORMED for any non-canonical input. */
TG_API tg_rc tg_b64url_decode(const char *in, size_t inlen,
			      unsigned char **out, size_t *outlen);
/* Encodes without padding; returns a new NUL-terminated string. */
TG_API char *tg_b64url_encode(const unsigned char *in, size_t inlen);

/* ---- configuration ---- */
typedef struct tg_config tg_config;

/* Loads a tokengate.conf. The file must be a regular file owned by root or
 * by the caller, not writable by group or others, at most 64 KiB. On error,
 * err receives "FILE:LINE: what is wrong". Unknown keys and sections, and
 * keys in the wrong kind of section, are errors (fail closed: a misspelt
 * allowed_groups must never allow everyone); warn_fn is kept for
 * warnings that are not fatal, and none is reported today. */
typedef void (*tg_warn_fn)(void *ud, const char *msg);
TG_API tg_rc tg_config_load(const char *path, tg_warn_fn warn_fn, void *ud,
			    tg_config **out, char *err, size_t errlen);
/* Same, from a buffer (used by tests and fuzzers: no file checks). */
TG_API tg_rc tg_config_parse(const char *name, const char *buf, size_t len,
			     tg_warn_fn warn_fn, void *ud, tg_config **out,
			     char *err, size_t errlen);
TG_API void tg_config_free(tg_config *cfg);
TG_API size_t tg_config_issuer_count(const tg_config *cfg);
TG_API const char *tg_config_issuer_name(const tg_config *cfg, size_t i);
TG_API const char *tg_config_issuer_url(const tg_config *cfg, size_t i);
TG_API const char *tg_config_jwks_file(const tg_config *cfg, size_t i);
/* Looks an issuer up by section name; returns its index or -1. */
TG_API long tg_config_find_issuer(const tg_config *cfg, const char *name);
/* Picks the issuer whose exact iss URL matches; with a single issuer,
 * returns it whatever iss says (the claim check then rejects). -1: none. */
TG_API long tg_config_issuer_for_iss(const tg_config *cfg, const char *iss);
/* Comma/space separated methods for a service ("token", ...). */
TG_API const char *tg_config_methods(const tg_config *cfg, const char *service);
TG_API const char *tg_config_audit_format(const tg_config *cfg);
TG_API size_t tg_config_max_token_bytes(const tg_config *cfg);

/* ---- key sets ---- */
typedef struct tg_jwks tg_jwks;
/* Called once for every key that was skipped, with a short cause such as
 * "rsa_too_short" or "private_key_material". */
typedef void (*tg_skip_fn)(void *ud, size_t index, const char *kid,
			   const char *cause);
TG_API tg_rc tg_jwks_parse(const char *json, size_t len, tg_skip_fn skip_fn,
			   void *ud, tg_jwks **out);
TG_API tg_rc tg_jwks_load_file(const char *path, tg_skip_fn skip_fn, void *ud,
			       tg_jwks **out, char *err, size_t errlen);
TG_API size_t tg_jwks_count(const tg_jwks *jwks);
TG_API void tg_jwks_free(tg_jwks *jwks);

/* Verifies a raw signature with key number idx of the set, for alg (as in
 * a JWS header). Used by the Wycheproof primitive tests and the benchmark. */
TG_API tg_rc tg_jwks_verify_raw(const tg_jwks *jwks, size_t idx,
				const char *alg, const unsigned char *msg,
				size_t msglen, const unsigned char *sig,
				size_t siglen);

/* ---- validation policy ---- */
typedef struct tg_policy tg_policy;

typedef enum tg_kind { TG_KIND_ACCESS = 0, TG_KIND_ID = 1 } tg_kind;

/* Called for each check made, in order, for `--explain`. */
typedef void (*tg_explain_fn)(void *ud, const char *check, tg_rc rc,
			      const char *detail);

TG_API tg_policy *tg_policy_new(void);
/* Builds the policy of issuer number idx for a PAM service (may be NULL). */
TG_API tg_rc tg_policy_from_config(const tg_config *cfg, size_t idx,
				   const char *service, tg_policy **out);
TG_API void tg_policy_free(tg_policy *p);
TG_API tg_rc tg_policy_set_issuer(tg_policy *p, const char *iss);
TG_API tg_rc tg_policy_set_audience(tg_policy *p, const char *aud);
TG_API tg_rc tg_policy_set_client_id(tg_policy *p, const char *client_id);
TG_API tg_rc tg_policy_set_algorithms(tg_policy *p, const char *list);
TG_API tg_rc tg_policy_set_access_types(tg_policy *p, const char *list);
TG_API tg_rc tg_policy_set_username_claim(tg_policy *p, const char *claim);
TG_API tg_rc tg_policy_set_groups(tg_policy *p, const char *claim,
				  const char *allowed);
TG_API tg_rc tg_policy_set_user(tg_policy *p, const char *user);
TG_API void tg_policy_set_kind(tg_policy *p, tg_kind kind);
TG_API void tg_policy_set_leeway(tg_policy *p, int64_t seconds);
TG_API void tg_policy_set_now(tg_policy *p, int64_t unix_time);
TG_API void tg_policy_set_max_len(tg_policy *p, size_t bytes);
TG_API void tg_policy_set_signature_only(tg_policy *p, int on);
TG_API void tg_policy_set_explain(tg_policy *p, tg_explain_fn fn, void *ud);

/* ---- tokens ---- */
typedef struct tg_token tg_token;

/* Validates a compact JWS against keys and policy. *out, when non-NULL on
 * return, holds what could be read (also on failure, for the audit record;
 * such values are unverified). The caller frees it with tg_token_free. */
TG_API tg_rc tg_token_validate(const tg_policy *p, const tg_jwks *keys,
			       const char *token, size_t len, tg_token **out);
TG_API void tg_token_free(tg_token *t);
TG_API const char *tg_token_alg(const tg_token *t);
TG_API const char *tg_token_kid(const tg_token *t);
TG_API const char *tg_token_iss(const tg_token *t);
TG_API const char *tg_token_sub(const tg_token *t);
TG_API const char *tg_token_username(const tg_token *t);
TG_API int64_t tg_token_exp(const tg_token *t);
/* Returns the unverified iss claim of a token (to choose an issuer), as a
 * new string, or NULL. */
TG_API char *tg_token_peek_iss(const char *token, size_t len, size_t max_len);
/* "sha256:" + the first 8 hex digits of SHA-256(token), into buf (>= 16). */
TG_API void tg_token_fingerprint(const char *token, size_t len, char *buf,
				 size_t buflen);

/* ---- audit records ---- */
typedef struct tg_audit tg_audit;
TG_API tg_audit *tg_audit_new(const char *event);
/* Adds key=value; the value is escaped and capped when rendered. */
TG_API void tg_audit_add(tg_audit *a, const char *key, const char *value);
TG_API void tg_audit_addf_ms(tg_audit *a, const char *key, double ms);
/* Renders "key=value ..." (json=0) or a JSON object (json=1); new string. */
TG_API char *tg_audit_render(const tg_audit *a, int json);
TG_API void tg_audit_free(tg_audit *a);

/* ---- memory ---- */
/* Wipes and frees a NUL-terminated secret. */
TG_API void tg_free_secret(char *s);

#ifdef __cplusplus
}
#endif
#endif /* TOKENGATE_H */
