/*
 * oauth.c - token endpoint requests (see oauth.h). Requests are form posts
 * with the client authenticated as configured; the secret comes from
 * client_secret_file (root-only), never from the config itself, and is
 * wiped after use. POSTs are never retried: a grant may have been spent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "oauth.h"

#define FORM_MAX 8192

struct form {
	char buf[FORM_MAX];
	size_t len;
	bool overflow;
};

/* application/x-www-form-urlencoded (RFC 6749 appendix B). */
static void enc(struct form *f, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			     (c >= '0' && c <= '9') || strchr("-._~", c);
		if (f->len + 4 >= sizeof(f->buf)) {
			f->overflow = true;
			return;
		}
		if (plain) {
			f->buf[f->len++] = (char)c;
		} else {
			f->buf[f->len++] = '%';
			f->buf[f->len++] = hex[c >> 4];
			f->buf[f->len++] = hex[c & 15];
		}
	}
	f->buf[f->len] = '\0';
}

static void add(struct form *f, const char *k, const char *v)
{
	if (v == NULL)
		return;
	if (f->len > 0 && f->len + 1 < sizeof(f->buf))
		f->buf[f->len++] = '&';
	enc(f, k);
	if (f->len + 1 < sizeof(f->buf))
		f->buf[f->len++] = '=';
	enc(f, v);
}

struct client {
	const char *id;
	char *secret;		/* wiped */
	enum { AUTH_NONE, AUTH_BASIC, AUTH_POST } auth;
	char user[512], pass[1024];	/* basic: form-encoded id and secret */
};

static void client_clear(struct client *cl)
{
	tg_free_secret(cl->secret);
	tg_wipe(cl->pass, sizeof(cl->pass));
	memset(cl, 0, sizeof(*cl));
}

static tg_rc client_load(const struct tg_ctx *x, size_t idx, struct client *cl,
			 struct tg_oauth_err *e)
{
	const struct tg_issuer *h = tg_issuer_of(x->cfg, idx);
	memset(cl, 0, sizeof(*cl));
	cl->id = h ? h->client_id : NULL;
	const char *file = h ? h->client_secret_file : NULL;
	const char *how = h ? h->client_auth : NULL;
	if (cl->id == NULL) {
		snprintf(e->detail, sizeof(e->detail), "the issuer has no client_id");
		return TG_E_CONFIG;
	}
	if (file != NULL && tg_read_secret_file(file, &cl->secret, e->detail,
						sizeof(e->detail)) != TG_OK)
		return TG_E_CONFIG;
	cl->auth = how ? (!strcmp(how, "client_secret_post") ? AUTH_POST
			  : !strcmp(how, "none") ? AUTH_NONE : AUTH_BASIC)
		       : cl->secret ? AUTH_BASIC : AUTH_NONE;
	if (cl->auth != AUTH_NONE && cl->secret == NULL) {
		snprintf(e->detail, sizeof(e->detail), "client_auth needs client_secret_file");
		return TG_E_CONFIG;
	}
	if (cl->auth == AUTH_BASIC) { /* RFC 6749 2.3.1: encode, then Basic */
		struct form a = { .len = 0 }, b = { .len = 0 };
		enc(&a, cl->id);
		enc(&b, cl->secret);
		bool fits = a.len < sizeof(cl->user) && b.len < sizeof(cl->pass);
		if (fits) {
			memcpy(cl->user, a.buf, a.len + 1);
			memcpy(cl->pass, b.buf, b.len + 1);
		}
		tg_wipe(b.buf, sizeof(b.buf));
		if (!fits) {
			snprintf(e->detail, sizeof(e->detail), "client_id or secret too long");
			return TG_E_CONFIG;
		}
	}
	return TG_OK;
}

static tg_rc endpoint(const struct tg_ctx *x, size_t idx, const char *name, char *url,
		      size_t n, struct tg_oauth_err *e)
{
	json_t *d = NULL;
	tg_rc rc = tg_issuer_discovery(x, idx, &d, e->detail, sizeof(e->detail));
	if (rc != TG_OK)
		return rc;
	const char *v = json_string_value(json_object_get(d, name));
	const struct tg_issuer *h = tg_issuer_of(x->cfg, idx);
	if (v == NULL || h == NULL || !tg_http_url_allowed(v, h->http.allow_http_loopback)) {
		snprintf(e->detail, sizeof(e->detail), "the provider has no usable %s", name);
		rc = TG_E_CONFIG;
	} else {
		snprintf(url, n, "%s", v);
	}
	json_decref(d);
	return rc;
}

/* An error response: JSON {"error": ...} or, from some providers, empty
 * or not JSON at all. */
static tg_rc error_rc(const struct tg_http_resp *r, struct tg_oauth_err *e)
{
	json_t *j = NULL;
	e->status = r->status;
	if (r->cls != TG_HTTP_4XX) {
		snprintf(e->detail, sizeof(e->detail), "%s (%s)", tg_http_class_name(r->cls),
			 r->error);
		return tg_http_class_rc(r->cls); /* unreachable only if the provider's doing */
	}
	if (r->len > 0 && tg_json_parse_object(r->body, r->len, 64 * 1024, 8, &j) == TG_OK) {
		const char *err = json_string_value(json_object_get(j, "error"));
		const char *desc = json_string_value(json_object_get(j, "error_description"));
		snprintf(e->error, sizeof(e->error), "%s", err ? err : "");
		snprintf(e->detail, sizeof(e->detail), "%s", desc ? desc : "");
		json_decref(j);
	} else {
		snprintf(e->detail, sizeof(e->detail), "HTTP %ld with %s body", r->status,
			 r->len ? "a non-JSON" : "an empty");
	}
	const char *c = e->error;
	if (!strcmp(c, "invalid_grant"))
		return TG_E_REVOKED;
	if (!strcmp(c, "access_denied"))
		return TG_E_NOT_AUTHORIZED;
	if (!strcmp(c, "expired_token"))
		return TG_E_EXPIRED;
	if (!strcmp(c, "authorization_pending") || !strcmp(c, "slow_down"))
		return TG_E_NO_CREDENTIALS;
	if (*c)
		return TG_E_CONFIG; /* invalid_client, unauthorized_client, ... */
	/* No error code (Glewlwyd's empty bodies): 400 is a refused grant,
	 * 403 not authorized; 401, 404, 405 ...: the client or endpoint. */
	return r->status == 400 ? TG_E_REVOKED : r->status == 403 ? TG_E_NOT_AUTHORIZED
								  : TG_E_CONFIG;
}

/* POST form to the named endpoint; *json receives a 2xx JSON body. */
static tg_rc call(const struct tg_ctx *x, size_t idx, const char *name, struct form *f,
		  json_t **json, long *status, struct tg_oauth_err *e)
{
	struct client cl;
	struct tg_http_resp r;
	char url[2048];
	memset(e, 0, sizeof(*e));
	if (json)
		*json = NULL;
	memset(&cl, 0, sizeof(cl));
	tg_rc rc = endpoint(x, idx, name, url, sizeof(url), e);
	if (rc == TG_OK)
		rc = client_load(x, idx, &cl, e);
	if (rc != TG_OK) {
		client_clear(&cl);
		tg_wipe(f->buf, sizeof(f->buf));
		return rc;
	}
	if (cl.auth != AUTH_BASIC)
		add(f, "client_id", cl.id);
	if (cl.auth == AUTH_POST)
		add(f, "client_secret", cl.secret);
	if (f->overflow) {
		client_clear(&cl);
		tg_wipe(f->buf, sizeof(f->buf));
		return TG_E_MALFORMED;
	}
	rc = tg_issuer_post(x, idx, url, f->buf, cl.auth == AUTH_BASIC ? cl.user : NULL,
			    cl.auth == AUTH_BASIC ? cl.pass : NULL, &r);
	client_clear(&cl);
	tg_wipe(f->buf, sizeof(f->buf));
	*status = r.status;
	if (rc != TG_OK) {
		rc = error_rc(&r, e);
	} else if (json != NULL && (!r.json || tg_json_parse_object(r.body, r.len, 1024 * 1024,
								    8, json) != TG_OK)) {
		snprintf(e->detail, sizeof(e->detail), "a success that is not a JSON object");
		rc = TG_E_MALFORMED;
	}
	tg_http_resp_free(&r);
	return rc;
}

static char *opt_str(const json_t *j, const char *k, bool *bad)
{
	const json_t *v = json_object_get(j, k);
	if (v == NULL)
		return NULL;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		*bad = true;
		return NULL;
	}
	return tg_strdup(json_string_value(v));
}

/* Provider replies, one rule (docs/ADMIN.md section 7 has the table): strict
 * where a member decides who gets in or what is sent back (access_token,
 * token_type Bearer in any case per RFC 6749 7.1, refresh_token, id_token,
 * the JSON grammar: duplicate members, bad UTF-8), tolerant where it does
 * not: unknown members are ignored, scope (never read here: authorization
 * comes from the validated token) may be absent, empty or of any type, and
 * a number may be a string of digits (Entra ID v1 sends "3599"). */
#define MAX_SECONDS 2147483647LL	/* 68 years: more is no lifetime */

/* An integer member, or a string of 1 to 10 digits: 0..MAX_SECONDS.
 * false when present and not one; *out untouched when absent. */
static bool seconds(const json_t *j, const char *k, int64_t *out)
{
	const json_t *v = json_object_get(j, k);
	int64_t n = 0;
	if (v == NULL)
		return true;
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		if (len == 0 || len > 10 || strlen(s) != len)
			return false;
		for (size_t i = 0; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return false;
			n = n * 10 + (s[i] - '0');
		}
	} else if (!tg_json_int(v, &n)) {
		return false;
	}
	if (n < 0 || n > MAX_SECONDS)
		return false;
	*out = n;
	return true;
}

/* RFC 6749 5.1 under the rule above. On TG_E_MALFORMED a well-formed
 * refresh_token is still handed back (t->refresh_token, the rest cleared):
 * the provider has rotated the old one out, and the caller must keep the
 * new one whatever else it decides. */
static tg_rc parse_tokens(const json_t *j, struct tg_tokens *t, struct tg_oauth_err *e)
{
	bool bad = false, rt_bad = false;
	memset(t, 0, sizeof(*t));
	t->expires_in = -1;
	t->refresh_token = opt_str(j, "refresh_token", &rt_bad);
	t->access_token = opt_str(j, "access_token", &bad);
	t->token_type = opt_str(j, "token_type", &bad);
	t->id_token = opt_str(j, "id_token", &bad);
	const json_t *sc = json_object_get(j, "scope");
	if (json_is_string(sc) && json_string_length(sc) > 0 &&
	    strlen(json_string_value(sc)) == json_string_length(sc))
		t->scope = tg_strdup(json_string_value(sc));
	if (!seconds(j, "expires_in", &t->expires_in))
		bad = true;
	if (bad || rt_bad || t->access_token == NULL || t->token_type == NULL ||
	    strcasecmp(t->token_type, "Bearer") != 0) {
		snprintf(e->detail, sizeof(e->detail), "not a valid token response");
		char *keep = t->refresh_token;
		t->refresh_token = NULL;
		tg_tokens_clear(t);
		t->refresh_token = keep;
		return TG_E_MALFORMED;
	}
	return TG_OK;
}

static tg_rc grant(const struct tg_ctx *x, size_t idx, struct form *f, struct tg_tokens *t,
		   struct tg_oauth_err *e)
{
	json_t *j = NULL;
	long status = 0;
	memset(t, 0, sizeof(*t));
	tg_rc rc = call(x, idx, "token_endpoint", f, &j, &status, e);
	if (rc == TG_OK)
		rc = parse_tokens(j, t, e);
	json_decref(j);
	return rc;
}

tg_rc tg_oauth_refresh(const struct tg_ctx *x, size_t idx, const char *refresh_token,
		       struct tg_tokens *t, struct tg_oauth_err *e)
{
	struct form f = { .len = 0 };
	add(&f, "grant_type", "refresh_token");
	add(&f, "refresh_token", refresh_token);
	return grant(x, idx, &f, t, e);
}

tg_rc tg_oauth_password(const struct tg_ctx *x, size_t idx, const char *user,
			const char *password, const char *scope, struct tg_tokens *t,
			struct tg_oauth_err *e)
{
	struct form f = { .len = 0 };
	add(&f, "grant_type", "password");
	add(&f, "username", user);
	add(&f, "password", password);
	add(&f, "scope", scope);
	return grant(x, idx, &f, t, e);
}

tg_rc tg_oauth_client_credentials(const struct tg_ctx *x, size_t idx, const char *resource,
				  struct tg_tokens *t, struct tg_oauth_err *e)
{
	struct form f = { .len = 0 };
	add(&f, "grant_type", "client_credentials");
	add(&f, "resource", resource);
	return grant(x, idx, &f, t, e);
}

tg_rc tg_oauth_device_poll(const struct tg_ctx *x, size_t idx, const char *device_code,
			   struct tg_tokens *t, struct tg_oauth_err *e)
{
	struct form f = { .len = 0 };
	add(&f, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
	add(&f, "device_code", device_code);
	return grant(x, idx, &f, t, e);
}

tg_rc tg_oauth_device_start(const struct tg_ctx *x, size_t idx, const char *scope,
			    const struct tg_device_ask *ask, struct tg_device *d,
			    struct tg_oauth_err *e)
{
	struct form f = { .len = 0 };
	json_t *j = NULL;
	long status;
	bool bad = false;
	char age[24];
	memset(d, 0, sizeof(*d));
	add(&f, "scope", scope);
	if (ask != NULL && ask->max_age >= 0) {
		snprintf(age, sizeof(age), "%lld", (long long)ask->max_age);
		add(&f, "max_age", age);
	}
	if (ask != NULL && ask->acr_values != NULL && *ask->acr_values != '\0')
		add(&f, "acr_values", ask->acr_values);
	tg_rc rc = call(x, idx, "device_authorization_endpoint", &f, &j, &status, e);
	if (rc != TG_OK)
		return rc;
	d->device_code = opt_str(j, "device_code", &bad);
	d->user_code = opt_str(j, "user_code", &bad);
	d->verification_uri = opt_str(j, "verification_uri", &bad);
	/* Google (and Entra ID v1) name it verification_url */
	if (d->verification_uri == NULL)
		d->verification_uri = opt_str(j, "verification_url", &bad);
	d->verification_uri_complete = opt_str(j, "verification_uri_complete", &bad);
	d->interval = 5;
	d->expires_in = -1;
	if (!seconds(j, "interval", &d->interval) || d->interval < 1 || d->interval > 60)
		bad = true;
	if (!seconds(j, "expires_in", &d->expires_in) || d->expires_in <= 0)
		bad = true;
	json_decref(j);
	if (bad || !d->device_code || !d->user_code || !d->verification_uri) {
		snprintf(e->detail, sizeof(e->detail), "not a valid device authorization response");
		tg_device_clear(d);
		return TG_E_MALFORMED;
	}
	return TG_OK;
}

tg_rc tg_oauth_introspect(const struct tg_ctx *x, size_t idx, const char *token, bool *active,
			  struct tg_oauth_err *e)
{
	struct form f = { .len = 0 };
	json_t *j = NULL;
	long status;
	*active = false;
	add(&f, "token", token);
	tg_rc rc = call(x, idx, "introspection_endpoint", &f, &j, &status, e);
	if (rc != TG_OK)
		return rc;
	const json_t *a = json_object_get(j, "active");
	if (!json_is_boolean(a)) {
		snprintf(e->detail, sizeof(e->detail), "introspection without a boolean active");
		rc = TG_E_MALFORMED;
	} else {
		*active = json_is_true(a);
	}
	json_decref(j);
	return rc;
}

tg_rc tg_oauth_revoke(const struct tg_ctx *x, size_t idx, const char *token, const char *hint,
		      struct tg_oauth_err *e)
{
	struct form f = { .len = 0 };
	long status;
	add(&f, "token", token);
	add(&f, "token_type_hint", hint);
	return call(x, idx, "revocation_endpoint", &f, NULL, &status, e);
}

void tg_tokens_clear(struct tg_tokens *t)
{
	tg_free_secret(t->access_token);
	tg_free_secret(t->refresh_token);
	tg_free_secret(t->id_token);
	free(t->token_type);
	free(t->scope);
	memset(t, 0, sizeof(*t));
}

void tg_device_clear(struct tg_device *d)
{
	tg_free_secret(d->device_code);
	free(d->user_code);
	free(d->verification_uri);
	free(d->verification_uri_complete);
	memset(d, 0, sizeof(*d));
}

const char *tg_oauth_client_id(const tg_config *cfg, size_t idx)
{
	const struct tg_issuer *h = tg_issuer_of(cfg, idx);
	return h ? h->client_id : NULL;
}
