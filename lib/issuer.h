/*
 * issuer.h - one configured issuer as a handle, built once per config (on
 * first use) with its typed settings: the cache file names, the JWKS
 * durations, the HTTP options and the circuit. The handle owns the
 * provider client: discovery (cached beside the keys), every GET with its
 * retries, and the token-endpoint POST (issuer.c); the keys and their
 * cache decisions (keysource.c); and validating a token against the
 * issuer (issuer_token.c).
 */
#ifndef TG_ISSUER_H
#define TG_ISSUER_H

#include "circuit.h"
#include "ctx.h"
#include "http.h"

struct tg_section;

struct tg_issuer {
	const struct tg_section *s;
	const char *iss;	/* the issuer URL */
	const char *dir;	/* cache_dir */
	const char *jwks_file;	/* static keys, or NULL */
	const char *client_id;	/* or NULL: no token endpoint use */
	const char *client_secret_file;	/* or NULL */
	const char *client_auth;	/* as configured, or NULL */
	const char *scope;	/* for grants, or NULL */
	bool introspect;	/* ask the provider whether a token is active */
	enum tg_session_token {	/* what a session from a grant rests on */
		TG_SESSION_AUTO,	/* the access token if it is ours, else the ID token */
		TG_SESSION_ACCESS,
		TG_SESSION_ID,
	} session_token;
	char name[160];		/* cache file of the key set */
	char stamp[160];	/* last refetch for an unknown kid */
	char attempt[160];	/* last fetch attempt of any kind */
	char lasterr[160];	/* the last fetch error, for status */
	char disco[160];	/* the discovery document */
	int64_t min_ttl, max_ttl, max_stale, min_refetch;
	struct tg_http_opts http;
	long budget_ms;		/* all attempts of one document */
	struct tg_circuit circuit;	/* without a change callback */
	bool create_users;	/* records for people who exist only at the provider */
	const char *unix_groups;	/* provider groups that become unix groups
					   (a list as written), or NULL */
	const struct tg_usermap *group_map;	/* or NULL: provider -> unix group names */
	bool built;
};

/* The handle of issuer idx of cfg, built on its first use and freed with
 * the config; NULL when there is no such issuer or no cache_dir. A config
 * is used by one thread at a time. */
TG_HIDDEN const struct tg_issuer *tg_issuer_of(const tg_config *cfg, size_t idx);

/* The provider's discovery document (cached beside the keys; fetched when
 * absent or older than jwks_max_ttl). The caller frees *out. */
TG_HIDDEN tg_rc tg_issuer_discovery(const struct tg_ctx *x, size_t idx, json_t **out,
				    char *why, size_t whylen);
/* Discovery from the network now, checked and cached (the key fetch). */
TG_HIDDEN tg_rc tg_issuer_discover(const struct tg_ctx *x, size_t idx, json_t **out,
				   char *why, size_t whylen);
/* GET url through the circuit, retrying what is worth retrying inside the
 * issuer's budget; the body must be a JSON object of at most max bytes. */
TG_HIDDEN tg_rc tg_issuer_get_json(const struct tg_ctx *x, size_t idx, const char *url,
				   size_t max, struct tg_http_resp *r, json_t **out);
/* The token endpoint client: one POST through the circuit, never retried
 * (a grant may have been used already). */
TG_HIDDEN tg_rc tg_issuer_post(const struct tg_ctx *x, size_t idx, const char *url,
			       const char *form, const char *user, const char *pass,
			       struct tg_http_resp *resp);

/* The test seam: every request of every issuer goes through this
 * function, tg_http_request unless a unit test puts a fake provider in
 * its place (NULL restores the real one). */
typedef tg_rc (*tg_issuer_http_fn)(const struct tg_http_opts *o, const char *url,
				   const char *form, const char *basic_user,
				   const char *basic_pass, struct tg_http_resp *r);
TG_HIDDEN void tg_issuer_set_http(tg_issuer_http_fn fn);

/* Validates tok against issuer idx for x's service and user, at x's now,
 * under the rules of kind ("access", "id", or NULL: the configured kind),
 * with the issuer's keys (static file or discovered and cached) and one
 * rate-limited refetch when the token names an unknown kid. Each check is
 * told to the sink (TG_EV_CHECK). *t (freed by the caller, set even on
 * failure) carries what was learnt for the audit record; *detail, when
 * set, explains a failure to load keys. */
TG_HIDDEN tg_rc tg_issuer_validate(const struct tg_ctx *x, size_t idx, const char *kind,
				   const tg_jws *tok, tg_token **t, const char **detail);

#endif
