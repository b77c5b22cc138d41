/*
 * test_chain.c - the refresh fallback chain (lib/chain.c) against a fake
 * clock and a fake provider put in the issuer handle's HTTP seam
 * (tg_issuer_set_http): the stored token, the refresh grant and its
 * rotation, invalid_grant's purge, the grace window, and a refusal that
 * must not open a fresh grace window. Also the issuer handle's key cache
 * decisions (keysource.c) against the same fake provider.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "chain.h"
#include "ctl_sign.h"
#include "http.h"
#include "oauth.h"
#include "tg_internal.h"

#define ISS "https://idp.test"
#define UID 5001u
#define HOUR 3600

static char dir[64], store_dir[128], cache_dir[128];
static EVP_PKEY *key, *key2;
static tg_config *cfg;
static int64_t now;		/* the fake clock */
static const char *service = "sudo";	/* of the next request */
static const char *corp_extra = "";	/* more lines for [issuer corp] */

/* The fake provider: what it answers, and what it saw. */
enum mode { UP, DOWN, REFUSE };
static struct {
	enum mode mode;
	const char *refresh_error;	/* a 400 with this OAuth error */
	const char *body;		/* the token endpoint's 200 body, verbatim */
	const char *device_body;	/* the device authorization endpoint's */
	char *access;			/* the next access token it issues */
	char *rotated;			/* and refresh token */
	char *id;			/* and ID token (none when NULL) */
	char *jwks;			/* its key set */
	long jwks_max_age;
	int gets, posts, jwks_gets;
	char last_form[2048];
} idp;

static void reply(struct tg_http_resp *r, long status, const char *body, long max_age)
{
	r->cls = status / 100 == 2 ? TG_HTTP_OK : TG_HTTP_4XX;
	r->status = status;
	r->body = tg_strdup(body);
	r->len = strlen(body);
	r->json = true;
	r->max_age = max_age;
	r->retry_after = -1;
}

static tg_rc fake_http(const struct tg_http_opts *o, const char *url, const char *form,
		       const char *user, const char *pass, struct tg_http_resp *r)
{
	(void)o;
	(void)user;
	(void)pass;
	memset(r, 0, sizeof(*r));
	if (form != NULL) {
		idp.posts++;
		snprintf(idp.last_form, sizeof(idp.last_form), "%s", form);
	} else {
		idp.gets++;
	}
	if (idp.mode == DOWN) {
		r->cls = TG_HTTP_NETWORK;
		snprintf(r->error, sizeof(r->error), "connection refused");
		return tg_http_class_rc(r->cls);
	}
	char body[8192];
	if (form == NULL && strstr(url, "/.well-known/openid-configuration") != NULL) {
		reply(r, 200, "{\"issuer\":\"" ISS "\",\"token_endpoint\":\"" ISS "/token\","
			      "\"device_authorization_endpoint\":\"" ISS "/device\","
			      "\"jwks_uri\":\"" ISS "/jwks\"}", -1);
	} else if (form == NULL && strcmp(url, ISS "/jwks") == 0) {
		idp.jwks_gets++;
		reply(r, 200, idp.jwks, idp.jwks_max_age);
	} else if (form != NULL && strcmp(url, ISS "/device") == 0) {
		reply(r, 200, idp.device_body ? idp.device_body : "{}", -1);
	} else if (form != NULL && idp.refresh_error != NULL) {
		snprintf(body, sizeof(body), "{\"error\":\"%s\"}", idp.refresh_error);
		reply(r, 400, body, -1);
	} else if (form != NULL && idp.body != NULL) {
		reply(r, 200, idp.body, -1);
	} else if (form != NULL) {
		snprintf(body, sizeof(body),
			 "{\"access_token\":\"%s\",\"token_type\":\"Bearer\",\"expires_in\":3600%s%s%s"
			 "%s%s%s}",
			 idp.access, idp.rotated ? ",\"refresh_token\":\"" : "",
			 idp.rotated ? idp.rotated : "", idp.rotated ? "\"" : "",
			 idp.id ? ",\"id_token\":\"" : "", idp.id ? idp.id : "", idp.id ? "\"" : "");
		reply(r, 200, body, -1);
	} else {
		reply(r, 404, "{}", -1);
	}
	return tg_http_class_rc(r->cls);
}

/* An access token for alice, signed by k, valid [now, exp). */
static char *token(EVP_PKEY *k, const char *kid, int64_t exp, bool admin)
{
	char pl[1024];
	snprintf(pl, sizeof(pl),
		 "{\"iss\":\"" ISS "\",\"aud\":\"linux-hosts\",\"sub\":\"s-1\","
		 "\"preferred_username\":\"alice\",\"groups\":[%s],\"exp\":%lld,\"iat\":%lld}",
		 admin ? "\"admins\"" : "\"staff\"", (long long)exp, (long long)now);
	char hdr[128];
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}", kid);
	char *t = ctl_jws_sign(k, NULL, 0, "EdDSA", hdr, pl);
	assert_non_null(t);
	return t;
}

/* An ID token for alice (OIDC Core 2): sub, for client aud, valid
 * [now, exp); iat left out when !iat. */
static char *id_token(const char *sub, const char *aud, int64_t exp, bool admin, bool iat)
{
	char pl[1024], at[40] = "";
	if (iat)
		snprintf(at, sizeof(at), ",\"iat\":%lld", (long long)now);
	snprintf(pl, sizeof(pl),
		 "{\"iss\":\"" ISS "\",\"aud\":\"%s\",\"sub\":\"%s\",\"auth_time\":%lld,"
		 "\"preferred_username\":\"alice\",\"groups\":[%s],\"exp\":%lld%s}",
		 aud, sub, (long long)now, admin ? "\"admins\"" : "\"staff\"", (long long)exp, at);
	char *t = ctl_jws_sign(key, NULL, 0, "EdDSA", "{\"alg\":\"EdDSA\",\"kid\":\"k1\",\"typ\":\"JWT\"}",
			       pl);
	assert_non_null(t);
	return t;
}

static char *jwks_of(EVP_PKEY *a, const char *kid_a, EVP_PKEY *b, const char *kid_b)
{
	json_t *arr = json_array();
	json_array_append_new(arr, ctl_public_jwk(a, kid_a, NULL));
	if (b != NULL)
		json_array_append_new(arr, ctl_public_jwk(b, kid_b, NULL));
	json_t *set = json_pack("{s:o}", "keys", arr);
	char *text = json_dumps(set, 0);
	json_decref(set);
	return text;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Issuer 0 (corp): static keys; issuer 1 (disco): discovered keys. */
static void load_config(void)
{
	char path[256], keys[256], text[3072];
	snprintf(keys, sizeof(keys), "%s/corp.jwks", dir);
	char *jwks = jwks_of(key, "k1", NULL, NULL);
	write_text(keys, jwks);
	free(jwks);
	snprintf(text, sizeof(text),
		 "[global]\nstore_dir = %s\ncache_dir = %s\nmethods = password\n"
		 "offline_grace = 1h\nrefresh_ahead = 5m\n"
		 "[issuer corp]\nissuer = " ISS "\naudience = linux-hosts\njwks_file = %s\n"
		 "client_id = host\n%s"
		 "[issuer disco]\nissuer = " ISS "\naudience = linux-hosts\n"
		 "jwks_min_ttl = 1m\njwks_max_ttl = 1h\njwks_max_stale = 1h\njwks_min_refetch = 30s\n"
		 "[issuer strict]\nissuer = " ISS "\naudience = linux-hosts\njwks_file = %s\n"
		 "client_id = host\nsession_token = access\n"
		 "[issuer idonly]\nissuer = " ISS "\naudience = linux-hosts\njwks_file = %s\n"
		 "client_id = host\nsession_token = id\n"
		 "[service sudo]\nallowed_groups = admins\n"
		 "[service short]\nsession_max_age = 30m\noffline_grace = 12h\n",
		 store_dir, cache_dir, keys, corp_extra, keys, keys);
	snprintf(path, sizeof(path), "%s/tokengate.conf", dir);
	write_text(path, text);
	char err[512] = "";
	tg_rc rc = tg_config_load(path, NULL, NULL, &cfg, err, sizeof(err));
	if (rc != TG_OK)
		fail_msg("config: %s", err);
}

static int setup(void **state)
{
	(void)state;
	tg_crypto_init();
	if (tu_tmpdir(dir, sizeof(dir), "chain-test") != 0)
		return -1;
	snprintf(store_dir, sizeof(store_dir), "%s/store", dir);
	snprintf(cache_dir, sizeof(cache_dir), "%s/cache", dir);
	if (mkdir(store_dir, 0700) != 0 || mkdir(cache_dir, 0700) != 0)
		return -1;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	key2 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (key == NULL || key2 == NULL)
		return -1;
	load_config();
	tg_issuer_set_http(fake_http);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tg_issuer_set_http(NULL);
	tg_config_free(cfg);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
	return tu_rmdir(dir);
}

static void reset_idp(void)
{
	free(idp.access);
	free(idp.rotated);
	free(idp.id);
	free(idp.jwks);
	memset(&idp, 0, sizeof(idp));
	idp.jwks_max_age = -1;
}

static int each(void **state)
{
	(void)state;
	reset_idp();
	now = 1900000000;
	service = "sudo";
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/* '%s'/*", store_dir, cache_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int after(void **state)
{
	(void)state;
	reset_idp();
	return 0;
}

static int notes;
static char last_note[256];
static void on_note(void *ud, enum tg_ev kind, const char *event, const char *result,
		    tg_rc reason, const char *detail)
{
	(void)ud;
	if (kind != TG_EV_NOTE)
		return;
	notes++;
	snprintf(last_note, sizeof(last_note), "%s %s %s %s", event, result, tg_reason(reason),
		 detail);
}

static struct tg_ctx req(void)
{
	struct tg_ctx q = { .cfg = cfg, .service = service, .user = "alice", .uid = UID,
			    .now = now, .clock_offset = now - (int64_t)time(NULL), .sink = on_note };
	return q;
}

/* A session started online at the fake now with this access token. */
static void start_session(const char *access, const char *refresh)
{
	struct tg_ctx q = req();
	struct tg_chain_out o = { .step = "-" };
	struct tg_tokens t = { .access_token = tg_strdup(access),
			       .refresh_token = refresh ? tg_strdup(refresh) : NULL,
			       .expires_in = -1 };
	tg_store *st = NULL;
	json_t *sess = NULL;
	char why[256];
	assert_rc(tg_store_open(store_dir, UID, 0, &st, why, sizeof(why)), TG_OK);
	assert_rc(tg_session_start(&q, NULL, st, &sess, 0, "password", &t, NULL, true, &o), TG_OK);
	tg_tokens_clear(&t);
	tg_session_free(sess);
	tg_store_close(st);
}

/* Runs the chain at the fake now; *sess afterwards, reloaded from disk. */
static tg_rc run(struct tg_chain_out *o, json_t **after_run)
{
	struct tg_ctx q = req();
	tg_store *st = NULL;
	json_t *sess = NULL;
	char why[256];
	memset(o, 0, sizeof(*o));
	o->step = "-";
	assert_rc(tg_store_open(store_dir, UID, 0, &st, why, sizeof(why)), TG_OK);
	assert_rc(tg_store_load(st, &sess, why, sizeof(why)), TG_OK);
	tg_rc rc = tg_chain_run(&q, NULL, 0, st, &sess, o);
	tg_session_free(sess);
	sess = NULL;
	assert_rc(tg_store_load(st, &sess, why, sizeof(why)), TG_OK);
	*after_run = sess;
	tg_store_close(st);
	return rc;
}

static void test_stored_token_valid_no_request(void **state)
{
	(void)state;
	char *at = token(key, "k1", now + HOUR, true);
	start_session(at, "rt-1");
	now += 10 * 60; /* 50 minutes left: more than refresh_ahead */
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_OK);
	assert_string_equal(o.step, "stored");
	assert_int_equal(idp.gets + idp.posts, 0);
	assert_string_equal(tg_session_str(s, "refresh_token"), "rt-1");
	tg_session_free(s);
	free(at);
}

static void test_refresh_due_one_grant_rotated(void **state)
{
	(void)state;
	char *at = token(key, "k1", now + HOUR, true);
	start_session(at, "rt-1");
	now += HOUR - 60; /* inside refresh_ahead */
	idp.access = token(key, "k1", now + HOUR, true);
	idp.rotated = tg_strdup("rt-2");
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_OK);
	assert_string_equal(o.step, "refresh");
	assert_int_equal(idp.posts, 1);
	assert_non_null(strstr(idp.last_form, "grant_type=refresh_token"));
	assert_non_null(strstr(idp.last_form, "refresh_token=rt-1"));
	assert_non_null(s);
	assert_string_equal(tg_session_str(s, "refresh_token"), "rt-2");
	assert_string_equal(tg_session_str(s, "access_token"), idp.access);
	assert_int_equal(tg_session_int(s, "last_online"), now);
	tg_session_free(s);
	free(at);
}

static void test_invalid_grant_purges(void **state)
{
	(void)state;
	char *at = token(key, "k1", now + HOUR, true);
	start_session(at, "rt-1");
	now += 2 * HOUR; /* expired */
	idp.refresh_error = "invalid_grant";
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_E_REVOKED);
	assert_int_equal(idp.posts, 1);
	assert_null(s); /* purged */
	tg_store *st = NULL;
	char why[256], reason[32];
	int64_t at_time = 0;
	assert_rc(tg_store_open(store_dir, UID, 0, &st, why, sizeof(why)), TG_OK);
	assert_rc(tg_store_revoked(st, &at_time, reason, sizeof(reason)), TG_OK);
	assert_int_equal(at_time, now);
	tg_store_close(st);
	free(at);
}

static void test_unreachable_inside_grace(void **state)
{
	(void)state;
	char *at = token(key, "k1", now + 600, true);
	start_session(at, "rt-1");
	now += 45 * 60; /* expired; online 45 minutes ago, grace 1h */
	idp.mode = DOWN;
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_OK);
	assert_string_equal(o.step, "grace");
	assert_int_equal(o.ends_in, 15 * 60);
	assert_true(o.unreachable);
	assert_string_equal(tg_session_str(s, "refresh_token"), "rt-1"); /* kept */
	tg_session_free(s);
	free(at);
}

static void test_unreachable_outside_grace(void **state)
{
	(void)state;
	char *at = token(key, "k1", now + 600, true);
	start_session(at, "rt-1");
	now += HOUR + 1;
	idp.mode = DOWN;
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_E_GRACE_EXPIRED);
	assert_non_null(s); /* not purged: the provider may come back */
	tg_session_free(s);
	free(at);
}

static void test_not_authorized_refresh_opens_no_grace(void **state)
{
	(void)state;
	char *at = token(key, "k1", now + 600, true);
	start_session(at, "rt-1");
	int64_t online = now;
	now += 40 * 60;
	/* the provider answers, but the new token is not authorized here */
	idp.access = token(key, "k1", now + HOUR, false);
	idp.rotated = tg_strdup("rt-2");
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_E_NOT_AUTHORIZED);
	assert_non_null(s);
	assert_int_equal(tg_session_int(s, "last_online"), online); /* no fresh window */
	tg_session_free(s);
	/* 25 minutes later the provider is down: 65 minutes since online */
	now += 25 * 60;
	idp.mode = DOWN;
	assert_true(run(&o, &s) != TG_OK);
	assert_string_not_equal(o.step, "grace");
	tg_session_free(s);
	free(at);
}

/* A token login (offline: cached keys) through tg_session_start. */
static void token_login(const char *access)
{
	struct tg_ctx q = req();
	struct tg_chain_out o = { .step = "-" };
	struct tg_tokens t = { .access_token = tg_strdup(access), .expires_in = -1 };
	tg_store *st = NULL;
	json_t *sess = NULL;
	char why[256];
	assert_rc(tg_store_open(store_dir, UID, 0, &st, why, sizeof(why)), TG_OK);
	assert_rc(tg_store_load(st, &sess, why, sizeof(why)), TG_OK);
	assert_rc(tg_session_start(&q, NULL, st, &sess, 0, "token", &t, NULL, false, &o), TG_OK);
	tg_tokens_clear(&t);
	tg_session_free(sess);
	tg_store_close(st);
}

static ino_t store_inode(void)
{
	char p[256];
	struct stat sb;
	snprintf(p, sizeof(p), "%s/%u", store_dir, UID);
	assert_int_equal(stat(p, &sb), 0);
	return sb.st_ino;
}

static void test_token_login_that_changes_nothing_writes_nothing(void **state)
{
	(void)state;
	char *at = token(key, "k1", now + HOUR, true);
	token_login(at);
	ino_t first = store_inode();
	now += 30;
	token_login(at); /* the same token again: only "updated" would change */
	assert_int_equal(store_inode(), first);
	now += 31;
	token_login(at); /* a minute on: its use is recorded (idle_timeout) */
	assert_true(store_inode() != first);
	first = store_inode();
	char *other = token(key, "k1", now + HOUR, true);
	token_login(other); /* a new token: written (atomically, a new file) */
	assert_true(store_inode() != first);
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_OK);
	assert_string_equal(tg_session_str(s, "access_token"), other);
	tg_session_free(s);
	assert_int_equal(idp.gets + idp.posts, 0);
	free(at);
	free(other);
}

/* The tolerance table (docs/ADMIN.md section 7), a row each: a token response
 * and whether it is a valid one. The provider that sends it is named. */
static const struct {
	const char *body;
	tg_rc want;
	const char *why;
} token_rows[] = {
	/* tolerated */
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":600,\"scope\":\"\"}",
	  TG_OK, "empty scope: oidc-provider when only OIDC scopes were granted" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":600}",
	  TG_OK, "no scope: RFC 6749 5.1, omitted when identical to the request" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\"}",
	  TG_OK, "no expires_in: RFC 6749 5.1 only RECOMMENDS it" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":300,"
	  "\"refresh_expires_in\":1800,\"not-before-policy\":0,\"session_state\":\"x\"}",
	  TG_OK, "unknown members: Keycloak" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":\"3599\","
	  "\"ext_expires_in\":\"3599\",\"expires_on\":\"1900003599\"}",
	  TG_OK, "expires_in as a numeric string: Entra ID (Azure AD) v1 endpoint" },
	{ "{\"access_token\":\"a\",\"token_type\":\"bearer\",\"expires_in\":600}",
	  TG_OK, "lower-case bearer: older Keycloak releases (RFC 6749 5.1: case-insensitive)" },
	{ "{\"access_token\":\"a\",\"token_type\":\"BEARER\",\"expires_in\":600}",
	  TG_OK, "any case of Bearer" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"scope\":[\"openid\"]}",
	  TG_OK, "a non-string scope is ignored (never read)" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"scope\":null}",
	  TG_OK, "a null scope is ignored" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":\"2147483647\"}",
	  TG_OK, "the largest expires_in" },
	/* strict */
	{ "{\"access_token\":\"a\",\"token_type\":\"mac\",\"expires_in\":600}",
	  TG_E_MALFORMED, "token_type mac" },
	{ "{\"access_token\":\"a\",\"expires_in\":600}",
	  TG_E_MALFORMED, "no token_type" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer \",\"expires_in\":600}",
	  TG_E_MALFORMED, "Bearer with a trailing space" },
	{ "{\"token_type\":\"Bearer\",\"expires_in\":600}",
	  TG_E_MALFORMED, "no access_token" },
	{ "{\"access_token\":\"\",\"token_type\":\"Bearer\"}",
	  TG_E_MALFORMED, "an empty access_token" },
	{ "{\"access_token\":7,\"token_type\":\"Bearer\"}",
	  TG_E_MALFORMED, "a numeric access_token" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":\"12abc\"}",
	  TG_E_MALFORMED, "expires_in 12abc" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":\"\"}",
	  TG_E_MALFORMED, "expires_in empty string" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":\"-5\"}",
	  TG_E_MALFORMED, "expires_in with a sign" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":\" 60\"}",
	  TG_E_MALFORMED, "expires_in with a space" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":\"2147483648\"}",
	  TG_E_MALFORMED, "expires_in out of bounds (string)" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":99999999999}",
	  TG_E_MALFORMED, "expires_in out of bounds (integer)" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":-1}",
	  TG_E_MALFORMED, "a negative expires_in" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":60.5}",
	  TG_E_MALFORMED, "a fractional expires_in" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"access_token\":\"b\"}",
	  TG_E_MALFORMED, "a duplicate member" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"scope\":\"\",\"scope\":\"x\"}",
	  TG_E_MALFORMED, "a duplicate scope (the JSON grammar stays strict)" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"refresh_token\":5}",
	  TG_E_MALFORMED, "a numeric refresh_token" },
	{ "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"id_token\":\"\"}",
	  TG_E_MALFORMED, "an empty id_token" },
	{ "[\"access_token\"]", TG_E_MALFORMED, "not an object" },
};

static void test_token_response_tolerance(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(token_rows) / sizeof(token_rows[0]); i++) {
		struct tg_ctx q = req();
		struct tg_tokens t = { .expires_in = -1 };
		struct tg_oauth_err e;
		idp.body = token_rows[i].body;
		tg_rc rc = tg_oauth_refresh(&q, 0, "rt-1", &t, &e);
		if (rc != token_rows[i].want)
			fail_msg("%s: %s, want %s", token_rows[i].why, tg_reason(rc),
				 tg_reason(token_rows[i].want));
		if (rc == TG_OK)
			assert_string_equal(t.access_token, "a");
		tg_tokens_clear(&t);
	}
	/* what the table's tolerated rows give */
	struct tg_ctx q = req();
	struct tg_tokens t = { .expires_in = -1 };
	struct tg_oauth_err e;
	idp.body = "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"expires_in\":\"0042\",\"scope\":\"\"}";
	assert_rc(tg_oauth_refresh(&q, 0, "rt-1", &t, &e), TG_OK);
	assert_int_equal(t.expires_in, 42);
	assert_null(t.scope);
	tg_tokens_clear(&t);
}

/* A refused response still hands back its well-formed refresh token; a
 * malformed refresh token is not handed back. */
static void test_refused_response_keeps_refresh_token(void **state)
{
	(void)state;
	struct tg_ctx q = req();
	struct tg_tokens t = { .expires_in = -1 };
	struct tg_oauth_err e;
	idp.body = "{\"access_token\":\"a\",\"token_type\":\"mac\",\"refresh_token\":\"rt-2\"}";
	assert_rc(tg_oauth_refresh(&q, 0, "rt-1", &t, &e), TG_E_MALFORMED);
	assert_non_null(t.refresh_token);
	assert_string_equal(t.refresh_token, "rt-2");
	assert_null(t.access_token);
	assert_null(t.token_type);
	tg_tokens_clear(&t);
	idp.body = "{\"access_token\":\"a\",\"token_type\":\"Bearer\",\"refresh_token\":\"\"}";
	assert_rc(tg_oauth_refresh(&q, 0, "rt-1", &t, &e), TG_E_MALFORMED);
	assert_null(t.refresh_token);
	tg_tokens_clear(&t);
	idp.body = "{\"token_type\":\"Bearer\",\"refresh_token\":\"rt-2\",\"refresh_token\":\"rt-3\"}";
	assert_rc(tg_oauth_refresh(&q, 0, "rt-1", &t, &e), TG_E_MALFORMED);
	assert_null(t.refresh_token); /* the grammar decides first: no guessing */
	tg_tokens_clear(&t);
}

static const struct {
	const char *body;
	tg_rc want;
	const char *why;
} device_rows[] = {
	{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://v\","
	  "\"expires_in\":900,\"interval\":5}", TG_OK, "RFC 8628 3.2" },
	{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_url\":\"https://v\","
	  "\"expires_in\":1800,\"interval\":5}", TG_OK, "verification_url: Google" },
	{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://v\","
	  "\"expires_in\":900,\"interval\":5,\"message\":\"To sign in, use a web browser\"}",
	  TG_OK, "a message member: Entra ID" },
	{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_url\":\"https://v\","
	  "\"expires_in\":\"900\",\"interval\":\"5\",\"message\":\"m\"}",
	  TG_OK, "numeric strings and verification_url: Entra ID (Azure AD) v1 endpoint" },
	{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://v\","
	  "\"expires_in\":900}", TG_OK, "no interval (5 s)" },
	{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"expires_in\":900}",
	  TG_E_MALFORMED, "no verification address" },
	{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_url\":7,\"expires_in\":900}",
	  TG_E_MALFORMED, "a numeric verification_url" },
	{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://v\","
	  "\"expires_in\":\"12abc\"}", TG_E_MALFORMED, "expires_in 12abc" },
	{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://v\"}",
	  TG_E_MALFORMED, "no expires_in (REQUIRED)" },
	{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://v\","
	  "\"expires_in\":900,\"interval\":\"0\"}", TG_E_MALFORMED, "interval 0" },
	{ "{\"device_code\":\"d\",\"user_code\":\"U\",\"verification_uri\":\"https://v\","
	  "\"expires_in\":900,\"user_code\":\"V\"}", TG_E_MALFORMED, "a duplicate member" },
};

static void test_device_response_tolerance(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(device_rows) / sizeof(device_rows[0]); i++) {
		struct tg_ctx q = req();
		struct tg_device d;
		struct tg_oauth_err e;
		idp.device_body = device_rows[i].body;
		tg_rc rc = tg_oauth_device_start(&q, 0, "openid", NULL, &d, &e);
		if (rc != device_rows[i].want)
			fail_msg("%s: %s, want %s", device_rows[i].why, tg_reason(rc),
				 tg_reason(device_rows[i].want));
		if (rc == TG_OK) {
			assert_string_equal(d.verification_uri, "https://v");
			assert_true(d.expires_in > 0 && d.interval == 5);
		}
		tg_device_clear(&d);
	}
}

/* The provider rotated the refresh token and answered with a response
 * refused here: the new refresh token is stored anyway (the next refresh
 * sends it, not the rotated-out one), and nothing else is taken from
 * that response: no fresh grace window, the old access token stays. */
static void test_refused_refresh_stores_rotated_token(void **state)
{
	(void)state;
	char *at = token(key, "k1", now + 600, true);
	start_session(at, "rt-1");
	int64_t online = now;
	now += 40 * 60; /* expired */
	idp.body = "{\"access_token\":\"x\",\"token_type\":\"mac\",\"refresh_token\":\"rt-2\"}";
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_true(run(&o, &s) != TG_OK);
	assert_non_null(strstr(idp.last_form, "refresh_token=rt-1"));
	assert_non_null(s);
	assert_string_equal(tg_session_str(s, "refresh_token"), "rt-2");
	assert_string_equal(tg_session_str(s, "access_token"), at);
	assert_int_equal(tg_session_int(s, "last_online"), online);
	tg_session_free(s);
	/* the next refresh sends the new one */
	idp.body = NULL;
	idp.access = token(key, "k1", now + HOUR, true);
	idp.rotated = tg_strdup("rt-3");
	assert_rc(run(&o, &s), TG_OK);
	assert_non_null(strstr(idp.last_form, "refresh_token=rt-2"));
	assert_string_equal(tg_session_str(s, "refresh_token"), "rt-3");
	assert_int_equal(tg_session_int(s, "last_online"), now);
	tg_session_free(s);
	free(at);
}

/* 40 minutes on, the provider answers this session's refresh with a
 * valid token of another identity (sub s-2, same username) and a rotated
 * refresh token rt-2. */
static void another_identity_answers(void)
{
	now += 40 * 60;
	char pl[512];
	snprintf(pl, sizeof(pl),
		 "{\"iss\":\"" ISS "\",\"aud\":\"linux-hosts\",\"sub\":\"s-2\","
		 "\"preferred_username\":\"alice\",\"groups\":[\"admins\"],\"exp\":%lld,\"iat\":%lld}",
		 (long long)(now + HOUR), (long long)now);
	idp.access = ctl_jws_sign(key, NULL, 0, "EdDSA",
				  "{\"alg\":\"EdDSA\",\"kid\":\"k1\",\"typ\":\"at+jwt\"}", pl);
	idp.rotated = tg_strdup("rt-2");
}

/* Another identity's token comes back for this session's refresh token:
 * the session ends (user_mismatch, as before) and no identity or claim
 * of that token is ever stored; the refresh token was written first. */
static void test_refresh_of_another_identity_still_purges(void **state)
{
	(void)state;
	char *at = token(key, "k1", now + 600, true);
	start_session(at, "rt-1");
	another_identity_answers();
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_E_USER_MISMATCH);
	assert_null(s);
	free(at);
}

/* The same, when the purge cannot write its revocation marker (a
 * directory stands where it goes): the session stays (internal), but
 * without the other identity's refresh token that was stored first. */
static void test_unpurgeable_session_keeps_no_foreign_grant(void **state)
{
	(void)state;
	char *at = token(key, "k1", now + 600, true);
	char marker[300];
	start_session(at, "rt-1");
	snprintf(marker, sizeof(marker), "%s/%u.revoked", store_dir, (unsigned)UID);
	assert_int_equal(mkdir(marker, 0700), 0);
	another_identity_answers();
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_E_INTERNAL);
	assert_non_null(s);
	assert_null(tg_session_str(s, "refresh_token"));
	assert_string_equal(tg_session_str(s, "sub"), "s-1");
	tg_session_free(s);
	assert_int_equal(rmdir(marker), 0);
	free(at);
}

/* A login's tokens into a new session through issuer idx; its result
 * and what the session rests on. */
static tg_rc grant_login(size_t idx, const char *access, const char *idt, const char **kind)
{
	struct tg_ctx q = req();
	struct tg_chain_out o = { .step = "-" };
	struct tg_tokens t = { .access_token = tg_strdup(access), .refresh_token = tg_strdup("rt-1"),
			       .id_token = idt ? tg_strdup(idt) : NULL, .expires_in = -1 };
	tg_store *st = NULL;
	json_t *sess = NULL;
	char why[256];
	assert_rc(tg_store_open(store_dir, UID, 0, &st, why, sizeof(why)), TG_OK);
	assert_rc(tg_store_load(st, &sess, why, sizeof(why)), TG_OK);
	tg_rc rc = tg_session_start(&q, NULL, st, &sess, idx, "device", &t, NULL, true, &o);
	*kind = o.token_kind;
	tg_tokens_clear(&t);
	tg_session_free(sess);
	tg_store_close(st);
	return rc;
}

static json_t *stored(void)
{
	tg_store *st = NULL;
	json_t *sess = NULL;
	char why[256];
	assert_rc(tg_store_open(store_dir, UID, 0, &st, why, sizeof(why)), TG_OK);
	assert_rc(tg_store_load(st, &sess, why, sizeof(why)), TG_OK);
	tg_store_close(st);
	return sess;
}

/* Google's opaque access token: the session rests on the ID token of
 * the same response, and the chain then holds it to the ID token rules. */
static void test_opaque_access_token_session_from_id_token(void **state)
{
	(void)state;
	const char *kind = NULL;
	char *idt = id_token("s-1", "host", now + HOUR, true, true);
	assert_rc(grant_login(0, "ya29.opaque-google-style", idt, &kind), TG_OK);
	assert_string_equal(kind, "id");
	json_t *s = stored();
	assert_string_equal(tg_session_str(s, "kind"), "id");
	assert_string_equal(tg_session_str(s, "access_token"), idt);
	assert_string_equal(tg_session_str(s, "sub"), "s-1");
	tg_session_free(s);
	now += 10 * 60;
	struct tg_chain_out o;
	assert_rc(run(&o, &s), TG_OK);
	assert_string_equal(o.step, "stored");
	assert_string_equal(o.token_kind, "id");
	assert_int_equal(idp.posts, 0);
	tg_session_free(s);
	free(idt);
}

/* The ID token is for our client_id or nothing: one issued to another
 * client (aud) is refused, and one without iat (required, OIDC Core 2). */
static void test_id_token_of_another_client_refused(void **state)
{
	(void)state;
	const char *kind = NULL;
	char *other = id_token("s-1", "some-other-client", now + HOUR, true, true);
	char *no_iat = id_token("s-1", "host", now + HOUR, true, false);
	assert_rc(grant_login(0, "opaque", other, &kind), TG_E_BAD_AUDIENCE);
	assert_rc(grant_login(0, "opaque", no_iat, &kind), TG_E_MALFORMED);
	json_t *s = stored();
	assert_null(s);
	free(other);
	free(no_iat);
}

/* An access token of this host that the policy refuses decides: the ID
 * token (here with the group the access token lacks) is never asked
 * instead. */
static void test_refused_access_token_never_falls_back(void **state)
{
	(void)state;
	const char *kind = NULL;
	char *staff = token(key, "k1", now + HOUR, false);
	char *expired = token(key, "k1", now - 120, true); /* beyond the 60s leeway */
	char *idt = id_token("s-1", "host", now + HOUR, true, true);
	assert_rc(grant_login(0, staff, idt, &kind), TG_E_NOT_AUTHORIZED);
	assert_string_equal(kind, "access");
	assert_rc(grant_login(0, expired, idt, &kind), TG_E_EXPIRED);
	/* signed by our issuer for our audience, one claim malformed */
	char pl[512];
	snprintf(pl, sizeof(pl),
		 "{\"iss\":\"" ISS "\",\"aud\":\"linux-hosts\",\"sub\":\"s-1\","
		 "\"preferred_username\":\"alice\",\"groups\":[\"admins\"],\"exp\":\"%lld\"}",
		 (long long)(now + HOUR));
	char *bad_exp = ctl_jws_sign(key, NULL, 0, "EdDSA",
				     "{\"alg\":\"EdDSA\",\"kid\":\"k1\",\"typ\":\"at+jwt\"}", pl);
	assert_rc(grant_login(0, bad_exp, idt, &kind), TG_E_MALFORMED);
	assert_string_equal(kind, "access");
	free(bad_exp);
	json_t *s = stored();
	assert_null(s);
	free(staff);
	free(expired);
	free(idt);
}

/* session_token = access never uses an ID token; = id always does, and
 * needs one. */
static void test_session_token_modes(void **state)
{
	(void)state;
	const char *kind = NULL;
	char *at = token(key, "k1", now + HOUR, true);
	char *idt = id_token("s-1", "host", now + HOUR, true, true);
	assert_rc(grant_login(2, "opaque", idt, &kind), TG_E_MALFORMED);
	assert_rc(grant_login(3, at, NULL, &kind), TG_E_MALFORMED);
	assert_null(stored());
	assert_rc(grant_login(3, at, idt, &kind), TG_OK);
	assert_string_equal(kind, "id");
	json_t *s = stored();
	assert_string_equal(tg_session_str(s, "access_token"), idt);
	tg_session_free(s);
	free(at);
	free(idt);
}

/* Refreshing an ID-token session: the new ID token is validated and
 * stored; one naming another sub (OIDC Core 12.2) ends the session. */
static void test_id_session_refresh(void **state)
{
	(void)state;
	const char *kind = NULL;
	char *idt = id_token("s-1", "host", now + HOUR, true, true);
	assert_rc(grant_login(0, "opaque-1", idt, &kind), TG_OK);
	now += HOUR - 60;
	idp.access = tg_strdup("opaque-2");
	idp.rotated = tg_strdup("rt-2");
	idp.id = id_token("s-1", "host", now + HOUR, true, true);
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_OK);
	assert_string_equal(o.step, "refresh");
	assert_string_equal(tg_session_str(s, "access_token"), idp.id);
	assert_string_equal(tg_session_str(s, "kind"), "id");
	assert_string_equal(tg_session_str(s, "refresh_token"), "rt-2");
	assert_int_equal(tg_session_int(s, "access_exp"), now + HOUR);
	tg_session_free(s);
	now += HOUR - 60;
	free(idp.id);
	idp.id = id_token("s-2", "host", now + HOUR, true, true);
	assert_rc(run(&o, &s), TG_E_USER_MISMATCH);
	assert_null(s);
	free(idt);
}

/* A refresh answered without a new ID token (and an opaque access
 * token): nothing new was validated, so nothing is renewed. The rotated
 * refresh token is kept; no fresh last_online (grace counts from the last
 * validated token); while the stored ID token lasts, it stands; after,
 * the session has expired and needs a new login. */
static void test_id_session_refresh_without_id_token(void **state)
{
	(void)state;
	const char *kind = NULL;
	char *admin = id_token("s-1", "host", now + 600, true, true);
	assert_rc(grant_login(0, "opaque-1", admin, &kind), TG_OK);
	int64_t login = now;
	now += 8 * 60; /* due (refresh_ahead 5m), still valid */
	idp.access = tg_strdup("opaque-2");
	idp.rotated = tg_strdup("rt-2");
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_OK);
	assert_string_equal(o.step, "stored");
	assert_non_null(strstr(o.detail, "not renewed"));
	assert_int_equal(tg_session_int(s, "last_online"), login);
	assert_string_equal(tg_session_str(s, "refresh_token"), "rt-2");
	tg_session_free(s);
	now += 10 * 60; /* the ID token has expired */
	free(idp.rotated);
	idp.rotated = tg_strdup("rt-3");
	assert_rc(run(&o, &s), TG_E_EXPIRED);
	assert_int_equal(idp.posts, 2);
	assert_non_null(s); /* not purged: a login renews it */
	assert_int_equal(tg_session_int(s, "last_online"), login);
	assert_string_equal(tg_session_str(s, "access_token"), admin);
	assert_string_equal(tg_session_str(s, "refresh_token"), "rt-3");
	tg_session_free(s);
	free(admin);
}

/* The review's abuse cases: an access token the issuer's keys signed
 * decides, whatever the ID token of the same response would say: one for
 * another audience (who may log in may be exactly who gets the hosts'
 * audience), one of a typ not accepted here (Keycloak's JWT without
 * access_token_types), one with a malformed typ. */
static void test_signed_access_token_is_never_replaced(void **state)
{
	(void)state;
	const char *kind = NULL;
	char *idt = id_token("s-1", "host", now + HOUR, true, true);
	const char *hdr[] = { "{\"alg\":\"EdDSA\",\"kid\":\"k1\",\"typ\":\"at+jwt\"}",
			      "{\"alg\":\"EdDSA\",\"kid\":\"k1\",\"typ\":\"JWT\"}",
			      "{\"alg\":\"EdDSA\",\"kid\":\"k1\",\"typ\":7}" };
	const char *aud[] = { "some-other-resource", "linux-hosts", "linux-hosts" };
	tg_rc want[] = { TG_E_BAD_AUDIENCE, TG_E_BAD_TYPE, TG_E_MALFORMED };
	for (size_t i = 0; i < 3; i++) {
		char pl[512];
		snprintf(pl, sizeof(pl),
			 "{\"iss\":\"" ISS "\",\"aud\":\"%s\",\"sub\":\"s-1\","
			 "\"preferred_username\":\"alice\",\"groups\":[\"admins\"],\"exp\":%lld,"
			 "\"iat\":%lld}", aud[i], (long long)(now + HOUR), (long long)now);
		char *at = ctl_jws_sign(key, NULL, 0, "EdDSA", hdr[i], pl);
		assert_rc(grant_login(0, at, idt, &kind), want[i]);
		assert_string_equal(kind, "access");
		free(at);
	}
	/* signed with a key the issuer does not publish: unreadable here */
	char *foreign = token(key2, "k9", now + HOUR, true);
	assert_rc(grant_login(0, foreign, idt, &kind), TG_OK);
	assert_string_equal(kind, "id");
	free(foreign);
	free(idt);
}

/* session_token switched to access: a session that rests on an ID token
 * no longer counts, and grace cannot repeat it; the refresh may bring an
 * access token that does. */
static void test_session_token_switched_to_access(void **state)
{
	(void)state;
	const char *kind = NULL;
	char *idt = id_token("s-1", "host", now + HOUR, true, true);
	assert_rc(grant_login(0, "opaque-1", idt, &kind), TG_OK);
	corp_extra = "session_token = access\n";
	tg_config_free(cfg);
	load_config();
	now += 60;
	idp.mode = DOWN;
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_E_BAD_TYPE);
	assert_string_not_equal(o.step, "grace");
	tg_session_free(s);
	idp.mode = UP;
	idp.access = token(key, "k1", now + HOUR, true);
	idp.rotated = tg_strdup("rt-2");
	assert_rc(run(&o, &s), TG_OK);
	assert_string_equal(o.step, "refresh");
	assert_null(tg_session_str(s, "kind"));
	assert_string_equal(tg_session_str(s, "access_token"), idp.access);
	tg_session_free(s);
	corp_extra = "";
	tg_config_free(cfg);
	load_config();
	free(idt);
}

/* session_max_age (issue 16): past it, counted from the last login, no
 * refresh and no grace renews the session; a new login does. */
static void test_session_max_age(void **state)
{
	(void)state;
	service = "short";
	char *at = token(key, "k1", now + HOUR, true);
	start_session(at, "rt-1");
	now += 56 * 60; /* 4 minutes left: due for refresh, but too old */
	idp.access = token(key, "k1", now + HOUR, true);
	idp.rotated = tg_strdup("rt-2");
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_OK);
	assert_string_equal(o.step, "stored");
	assert_non_null(strstr(o.detail, "session_max_age"));
	assert_int_equal(idp.posts, 0);
	tg_session_free(s);
	now += 10 * 60; /* expired */
	assert_rc(run(&o, &s), TG_E_EXPIRED);
	assert_int_equal(idp.posts, 0);
	tg_session_free(s);
	idp.mode = DOWN; /* and no grace: the provider is not even asked */
	assert_rc(run(&o, &s), TG_E_EXPIRED);
	assert_string_not_equal(o.step, "grace");
	assert_int_equal(idp.posts + idp.gets, 0);
	tg_session_free(s);
	/* a new login starts the count again: refreshed when due */
	idp.mode = UP;
	char *again = token(key, "k1", now + 10 * 60, true);
	start_session(again, "rt-3");
	now += 8 * 60;
	free(idp.access);
	idp.access = token(key, "k1", now + HOUR, true);
	idp.posts = 0;
	assert_rc(run(&o, &s), TG_OK);
	assert_string_equal(o.step, "refresh");
	assert_int_equal(idp.posts, 1);
	tg_session_free(s);
	free(again);
	free(at);
}

/* A typed token never renews the session's count: typing back the token
 * the session handed out (export_token) keeps login_at (a second reader's
 * finding). */
static void test_typed_token_keeps_login_at(void **state)
{
	(void)state;
	char *at = token(key, "k1", now + HOUR, true);
	start_session(at, "rt-1");
	int64_t t0 = now;
	now += 25 * 60;
	token_login(at);
	struct tg_chain_out o;
	json_t *s = NULL;
	assert_rc(run(&o, &s), TG_OK);
	assert_int_equal(tg_session_int(s, "login_at"), t0);
	assert_string_equal(tg_session_str(s, "refresh_token"), "rt-1");
	tg_session_free(s);
	free(at);
}

/* The issuer handle's key cache (issuer "disco": discovered keys). */
static tg_rc keys_at(const char *kid, bool force, size_t *count, bool *fetched)
{
	struct tg_ctx x = { .cfg = cfg, .now = now };
	tg_jwks *k = NULL;
	tg_rc rc = tg_issuer_keys(&x, 1, kid, force, &k, fetched);
	*count = k != NULL ? tg_jwks_count(k) : 0;
	tg_jwks_free(k);
	return rc;
}

static void test_cache_fresh_used_without_fetch(void **state)
{
	(void)state;
	size_t n = 0;
	bool fetched = false;
	idp.jwks = jwks_of(key, "k1", NULL, NULL);
	idp.jwks_max_age = 300;
	assert_rc(keys_at("k1", false, &n, &fetched), TG_OK);
	assert_true(fetched);
	assert_int_equal(idp.jwks_gets, 1);
	now += 299;
	assert_rc(keys_at("k1", false, &n, &fetched), TG_OK);
	assert_false(fetched);
	assert_int_equal(n, 1);
	assert_int_equal(idp.jwks_gets, 1);
}

static void test_cache_stale_refetched(void **state)
{
	(void)state;
	size_t n = 0;
	bool fetched = false;
	idp.jwks = jwks_of(key, "k1", NULL, NULL);
	idp.jwks_max_age = 300;
	assert_rc(keys_at(NULL, false, &n, &fetched), TG_OK);
	now += 300; /* the TTL has passed */
	free(idp.jwks);
	idp.jwks = jwks_of(key, "k1", key2, "k2");
	assert_rc(keys_at(NULL, false, &n, &fetched), TG_OK);
	assert_true(fetched);
	assert_int_equal(n, 2);
	assert_int_equal(idp.jwks_gets, 2);
}

static void test_unknown_kid_one_refetch_per_interval(void **state)
{
	(void)state;
	size_t n = 0;
	bool fetched = false;
	idp.jwks = jwks_of(key, "k1", NULL, NULL);
	idp.jwks_max_age = 3600;
	assert_rc(keys_at("k1", false, &n, &fetched), TG_OK);
	now += 60;
	/* an unknown kid: one refetch (the rotation is picked up) */
	free(idp.jwks);
	idp.jwks = jwks_of(key, "k1", key2, "k2");
	assert_rc(keys_at("k2", false, &n, &fetched), TG_OK);
	assert_true(fetched);
	assert_int_equal(n, 2);
	assert_int_equal(idp.jwks_gets, 2);
	/* a flood of bogus kids inside jwks_min_refetch: no more requests */
	for (int i = 0; i < 5; i++) {
		now += 5;
		assert_rc(keys_at("bogus", true, &n, &fetched), TG_OK);
		assert_false(fetched);
	}
	assert_int_equal(idp.jwks_gets, 2);
	now += 30; /* the interval has passed: one more */
	assert_rc(keys_at("bogus", true, &n, &fetched), TG_OK);
	assert_true(fetched);
	assert_int_equal(idp.jwks_gets, 3);
}

static void test_fetch_failure_serves_cached_keys(void **state)
{
	(void)state;
	size_t n = 0;
	bool fetched = false;
	idp.jwks = jwks_of(key, "k1", NULL, NULL);
	idp.jwks_max_age = 300;
	assert_rc(keys_at(NULL, false, &n, &fetched), TG_OK);
	idp.mode = DOWN;
	now += 600; /* stale, inside jwks_max_stale */
	assert_rc(keys_at(NULL, false, &n, &fetched), TG_OK);
	assert_false(fetched);
	assert_int_equal(n, 1);
	assert_true(idp.gets > 1); /* it did ask */
	now += 2 * HOUR; /* past max_stale: nothing usable */
	assert_true(keys_at(NULL, false, &n, &fetched) != TG_OK);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stored_token_valid_no_request, each, after),
		cmocka_unit_test_setup_teardown(test_refresh_due_one_grant_rotated, each, after),
		cmocka_unit_test_setup_teardown(test_invalid_grant_purges, each, after),
		cmocka_unit_test_setup_teardown(test_unreachable_inside_grace, each, after),
		cmocka_unit_test_setup_teardown(test_unreachable_outside_grace, each, after),
		cmocka_unit_test_setup_teardown(test_not_authorized_refresh_opens_no_grace, each,
						after),
		cmocka_unit_test_setup_teardown(test_token_login_that_changes_nothing_writes_nothing,
						each, after),
		cmocka_unit_test_setup_teardown(test_token_response_tolerance, each, after),
		cmocka_unit_test_setup_teardown(test_refused_response_keeps_refresh_token, each,
						after),
		cmocka_unit_test_setup_teardown(test_device_response_tolerance, each, after),
		cmocka_unit_test_setup_teardown(test_refused_refresh_stores_rotated_token, each,
						after),
		cmocka_unit_test_setup_teardown(test_unpurgeable_session_keeps_no_foreign_grant, each,
						after),
		cmocka_unit_test_setup_teardown(test_refresh_of_another_identity_still_purges,
						each, after),
		cmocka_unit_test_setup_teardown(test_opaque_access_token_session_from_id_token, each,
						after),
		cmocka_unit_test_setup_teardown(test_id_token_of_another_client_refused, each, after),
		cmocka_unit_test_setup_teardown(test_refused_access_token_never_falls_back, each,
						after),
		cmocka_unit_test_setup_teardown(test_session_token_modes, each, after),
		cmocka_unit_test_setup_teardown(test_id_session_refresh, each, after),
		cmocka_unit_test_setup_teardown(test_id_session_refresh_without_id_token, each, after),
		cmocka_unit_test_setup_teardown(test_signed_access_token_is_never_replaced, each,
						after),
		cmocka_unit_test_setup_teardown(test_session_token_switched_to_access, each, after),
		cmocka_unit_test_setup_teardown(test_session_max_age, each, after),
		cmocka_unit_test_setup_teardown(test_typed_token_keeps_login_at, each, after),
		cmocka_unit_test_setup_teardown(test_cache_fresh_used_without_fetch, each, after),
		cmocka_unit_test_setup_teardown(test_cache_stale_refetched, each, after),
		cmocka_unit_test_setup_teardown(test_unknown_kid_one_refetch_per_interval, each,
						after),
		cmocka_unit_test_setup_teardown(test_fetch_failure_serves_cached_keys, each, after),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
