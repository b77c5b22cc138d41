/*
 * test_attacks.c - the attack catalogue: every rule of DESIGN section 4,
 * each as a forged or broken token that must be refused with the right
 * reason, next to the valid token it was derived from.
 */
#include <stdio.h>

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "testutil.h"
#include "ctl_sign.h"
#include "tg_internal.h"

#define NOW 1700000000LL
#define ISS "https://idp.test/realms/corp"

static EVP_PKEY *k_rsa, *k_ps, *k_ec, *k_ed, *k_evil, *k_short, *k_rsa2;
static tg_jwks *keys;
static char *jwks_text;
static int skipped;
static char skip_causes[1024];

static void on_skip(void *ud, size_t i, const char *kid, const char *cause)
{
	(void)ud;
	(void)i;
	skipped++;
	size_t n = strlen(skip_causes);
	snprintf(skip_causes + n, sizeof(skip_causes) - n, "%s:%s ", kid ? kid : "-",
		 cause);
}

static json_t *jwk(EVP_PKEY *k, const char *kid, const char *alg)
{
	json_t *j = ctl_public_jwk(k, kid, alg);
	assert_non_null(j);
	return j;
}

/* The RSA modulus of k as base64url, for hand-made JWKs. */
static char *rsa_n(EVP_PKEY *k)
{
	BIGNUM *n = NULL;
	unsigned char buf[1024];
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	int len = BN_bn2bin(n, buf);
	BN_free(n);
	return tg_b64url_encode(buf, (size_t)len);
}

static int setup(void **state)
{
	(void)state;
	tg_crypto_init();
	k_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k_rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k_ps = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k_evil = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k_short = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	k_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k_ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_true(k_rsa && k_rsa2 && k_ps && k_evil && k_short && k_ec && k_ed);

	json_t *arr = json_array();
	json_array_append_new(arr, jwk(k_rsa, "k-rsa", "RS256"));
	json_array_append_new(arr, jwk(k_ps, "k-ps", "PS256"));
	json_array_append_new(arr, jwk(k_ec, "k-ec", NULL));
	json_array_append_new(arr, jwk(k_ed, "k-ed", NULL));
	json_array_append_new(arr, jwk(k_short, "k-short", "RS256"));
	/* e = 1: any "signature" equal to the padded message verifies */
	char *n = rsa_n(k_rsa2);
	json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "RSA",
					     "kid", "k-e1", "alg", "RS256", "n", n,
					     "e", "AQ"));
	free(n);
	/* private members present */
	json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}", "kty", "oct",
					     "kid", "k-oct", "alg", "HS256", "k",
					     "c2VjcmV0c2VjcmV0c2VjcmV0"));
	json_t *priv = jwk(k_rsa2, "k-priv", "RS256");
	json_object_set_new(priv, "d", json_string("AQAB"));
	json_array_append_new(arr, priv);
	/* point off the curve */
	json_t *bad_ec = jwk(k_ec, "k-offcurve", NULL);
	json_object_set_new(bad_ec, "y", json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"));
	json_array_append_new(arr, bad_ec);
	json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s}", "kty", "RSA",
					     "kid", "k-enc", "use", "enc", "n", "AQAB",
					     "e", "AQAB"));
	json_t *set = json_pack("{s:o}", "keys", arr);
	jwks_text = json_dumps(set, JSON_COMPACT);
	json_decref(set);
	assert_rc(tg_jwks_parse(jwks_text, strlen(jwks_text), on_skip, NULL, &keys), TG_OK);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY *all[] = { k_rsa, k_rsa2, k_ps, k_ec, k_ed, k_evil, k_short };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		EVP_PKEY_free(all[i]);
	tg_jwks_free(keys);
	free(jwks_text);
	return 0;
}

static tg_policy *policy(tg_kind kind)
{
	tg_policy *p = tg_policy_new();
	assert_non_null(p);
	tg_policy_set_issuer(p, ISS);
	tg_policy_set_audience(p, kind == TG_KIND_ID ? NULL : "linux-hosts");
	tg_policy_set_client_id(p, "linux-client");
	tg_policy_set_user(p, "alice");
	tg_policy_set_now(p, NOW);
	tg_policy_set_kind(p, kind);
	return p;
}

static tg_rc check_with(const tg_policy *p, const char *token)
{
	tg_token *t = NULL;
	tg_rc rc = tg_token_validate(p, keys, token, strlen(token), &t);
	assert_non_null(t);
	tg_token_free(t);
	return rc;
}

/* an access token for alice against the key set ks */
static tg_rc check_in(const tg_jwks *ks, const char *token)
{
	tg_policy *p = policy(TG_KIND_ACCESS);
	tg_token *t = NULL;
	tg_rc rc = tg_token_validate(p, ks, token, strlen(token), &t);
	assert_non_null(t);
	tg_token_free(t);
	tg_policy_free(p);
	return rc;
}

static tg_rc check(const char *token)
{
	return check_in(keys, token);
}

static char *sign(EVP_PKEY *k, const char *alg, const char *hdr, const char *payload)
{
	char *t = ctl_jws_sign(k, (const unsigned char *)"x", 1, alg, hdr, payload);
	assert_non_null(t);
	return t;
}

#define PAYLOAD_FMT "{\"iss\":\"" ISS "\",\"aud\":\"linux-hosts\",\"sub\":\"s-1\"," \
	"\"preferred_username\":\"alice\",\"exp\":%lld,\"iat\":%lld%s}"

static char *payload(long long exp, const char *extra)
{
	static char buf[4096];
	snprintf(buf, sizeof(buf), PAYLOAD_FMT, exp, NOW, extra ? extra : "");
	return buf;
}

static char *good(EVP_PKEY *k, const char *alg, const char *kid)
{
	char hdr[256];
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}",
		 alg, kid);
	return sign(k, alg, hdr, payload(NOW + 300, NULL));
}

/* expects rc for a token built from header and payload text, signed */
static void expect(tg_rc want, EVP_PKEY *k, const char *alg, const char *hdr,
		   const char *pl)
{
	char *t = sign(k, alg, hdr, pl);
	tg_rc rc = check(t);
	if (rc != want)
		fail_msg("header %s payload %s: got %s, want %s", hdr, pl,
			 tg_reason(rc), tg_reason(want));
	free(t);
}

#define HDR_RS "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":\"at+jwt\"}"

/* ---- the catalogue ---- */

static void test_valid_tokens_pass(void **state)
{
	(void)state;
	const struct { EVP_PKEY **k; const char *alg, *kid; } v[] = {
		{ &k_rsa, "RS256", "k-rsa" }, { &k_ps, "PS256", "k-ps" },
		{ &k_ec, "ES256", "k-ec" }, { &k_ed, "EdDSA", "k-ed" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *t = good(*v[i].k, v[i].alg, v[i].kid);
		assert_rc(check(t), TG_OK);
		free(t);
	}
}

static void test_key_policy_skips_unsafe_keys(void **state)
{
	(void)state;
	assert_int_equal(tg_jwks_count(keys), 4);	/* rsa, ps, ec, ed */
	assert_int_equal(skipped, 6);
	assert_non_null(strstr(skip_causes, "k-short:rsa_too_short"));
	assert_non_null(strstr(skip_causes, "k-e1:rsa_bad_exponent"));
	assert_non_null(strstr(skip_causes, "k-oct:private_key_material"));
	assert_non_null(strstr(skip_causes, "k-priv:private_key_material"));
	assert_non_null(strstr(skip_causes, "k-offcurve:ec_point_not_on_curve"));
	assert_non_null(strstr(skip_causes, "k-enc:use_not_sig"));
}

/* x or y of an EC key as base64url, with its leading zero bytes dropped
 * (drop = 1) as Glewlwyd 2.7 writes them, or with one zero byte too many
 * (drop = -1). */
static char *ec_coord(EVP_PKEY *k, const char *name, int drop)
{
	BIGNUM *v = NULL;
	unsigned char buf[33] = { 0 };
	assert_int_equal(EVP_PKEY_get_bn_param(k, name, &v), 1);
	int len = drop == 1 ? BN_bn2bin(v, buf) : BN_bn2binpad(v, buf + (drop < 0), 32) + (drop < 0);
	BN_free(v);
	return tg_b64url_encode(buf, (size_t)len);
}

static void test_ec_coordinates_without_leading_zeros(void **state)
{
	(void)state;
	EVP_PKEY *k = NULL;
	BIGNUM *x = NULL, *y = NULL;
	for (int i = 0; i < 5000 && k == NULL; i++) { /* 1 key in 128 */
		EVP_PKEY *c = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		assert_non_null(c);
		EVP_PKEY_get_bn_param(c, OSSL_PKEY_PARAM_EC_PUB_X, &x);
		EVP_PKEY_get_bn_param(c, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
		if (BN_num_bytes(x) < 32 || BN_num_bytes(y) < 32)
			k = c;
		else
			EVP_PKEY_free(c);
		BN_free(x);
		BN_free(y);
		x = y = NULL;
	}
	assert_non_null(k);
	const char *sx = OSSL_PKEY_PARAM_EC_PUB_X, *sy = OSSL_PKEY_PARAM_EC_PUB_Y;
	for (int drop = 1; drop >= -1; drop -= 2) {
		char *ex = ec_coord(k, sx, drop), *ey = ec_coord(k, sy, drop);
		json_t *set = json_pack("{s:[{s:s,s:s,s:s,s:s,s:s}]}", "keys", "kty", "EC",
					"kid", "k-short-ec", "crv", "P-256", "x", ex, "y", ey);
		char *text = json_dumps(set, JSON_COMPACT);
		tg_jwks *ks = NULL;
		int before = skipped;
		skip_causes[0] = '\0';
		assert_rc(tg_jwks_parse(text, strlen(text), on_skip, NULL, &ks), TG_OK);
		if (drop == 1) { /* shorter: padded back, and it verifies */
			assert_int_equal(tg_jwks_count(ks), 1);
			char *t = good(k, "ES256", "k-short-ec");
			assert_rc(check_in(ks, t), TG_OK);
			free(t);
		} else { /* longer than the curve: refused */
			assert_int_equal(tg_jwks_count(ks), 0);
			assert_non_null(strstr(skip_causes, "k-short-ec:ec_bad_encoding"));
		}
		skipped = before;
		tg_jwks_free(ks);
		free(text);
		json_decref(set);
		free(ex);
		free(ey);
	}
	EVP_PKEY_free(k);
}

static void test_alg_none_any_case(void **state)
{
	(void)state;
	const char *names[] = { "none", "None", "NONE", "nOnE" };
	for (size_t i = 0; i < 4; i++) {
		char hdr[128], *t;
		snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"at+jwt\"}", names[i]);
		t = sign(NULL, "none", hdr, payload(NOW + 300, NULL));
		assert_rc(check(t), TG_E_MALFORMED);	/* empty signature */
		char *withsig = malloc(strlen(t) + 8);
		sprintf(withsig, "%sAAAA", t);
		assert_rc(check(withsig), TG_E_ALG_NOT_ALLOWED);
		free(withsig);
		free(t);
	}
}

static void test_refused_header_is_reported(void **state)
{
	(void)state;
	char *t = sign(k_rsa, "HS256", "{\"alg\":\"HS256\",\"kid\":\"k-rsa\"}",
		       payload(NOW + 300, NULL));
	tg_policy *p = policy(TG_KIND_ACCESS);
	tg_token *tok = NULL;
	assert_rc(tg_token_validate(p, keys, t, strlen(t), &tok), TG_E_ALG_NOT_ALLOWED);
	assert_string_equal(tg_token_alg(tok), "HS256");
	assert_string_equal(tg_token_kid(tok), "k-rsa");
	tg_token_free(tok);
	tg_policy_free(p);
	free(t);
}

static void test_hs256_with_rsa_public_key(void **state)
{
	(void)state;
	/* The classic key-confusion forgery, made by libjwt (which would
	 * accept it): HMAC keyed with the issuer's RSA public key PEM. */
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL;
	PEM_write_bio_PUBKEY(b, k_rsa);
	long len = BIO_get_mem_data(b, &pem);
	jwt_t *j = NULL;
	assert_int_equal(jwt_new(&j), 0);
	jwt_add_header(j, "kid", "k-rsa");
	jwt_add_grants_json(j, payload(NOW + 300, NULL));
	assert_int_equal(jwt_set_alg(j, JWT_ALG_HS256, (unsigned char *)pem, (int)len), 0);
	char *t = jwt_encode_str(j);
	assert_non_null(t);
	assert_rc(check(t), TG_E_ALG_NOT_ALLOWED);
	free(t);
	jwt_free(j);
	BIO_free(b);
}

static void test_alg_case_and_fit(void **state)
{
	(void)state;
	expect(TG_E_ALG_NOT_ALLOWED, k_rsa, "RS256",
	       "{\"alg\":\"rs256\",\"kid\":\"k-rsa\",\"typ\":\"at+jwt\"}", payload(NOW + 300, NULL));
	expect(TG_E_ALG_NOT_ALLOWED, k_rsa, "RS256",
	       "{\"alg\":\"RS384\",\"kid\":\"k-rsa\",\"typ\":\"at+jwt\"}", payload(NOW + 300, NULL));
	/* ES256 header naming an RSA key, PS256 on an RS256-bound key */
	expect(TG_E_ALG_NOT_ALLOWED, k_ec, "ES256",
	       "{\"alg\":\"ES256\",\"kid\":\"k-rsa\",\"typ\":\"at+jwt\"}", payload(NOW + 300, NULL));
	expect(TG_E_ALG_NOT_ALLOWED, k_rsa, "PS256",
	       "{\"alg\":\"PS256\",\"kid\":\"k-rsa\",\"typ\":\"at+jwt\"}", payload(NOW + 300, NULL));
	expect(TG_E_MALFORMED, k_rsa, "RS256",
	       "{\"alg\":[\"RS256\"],\"kid\":\"k-rsa\",\"typ\":\"at+jwt\"}", payload(NOW + 300, NULL));
	expect(TG_E_MALFORMED, k_rsa, "RS256", "{\"kid\":\"k-rsa\",\"typ\":\"at+jwt\"}",
	       payload(NOW + 300, NULL));
	/* an allow-list without the alg */
	tg_policy *p = policy(TG_KIND_ACCESS);
	tg_policy_set_algorithms(p, "ES256");
	char *t = good(k_rsa, "RS256", "k-rsa");
	assert_rc(check_with(p, t), TG_E_ALG_NOT_ALLOWED);
	free(t);
	tg_policy_free(p);
}

static void test_kid(void **state)
{
	(void)state;
	const char *pl = payload(NOW + 300, NULL);
	expect(TG_E_UNKNOWN_KID, k_rsa, "RS256",
	       "{\"alg\":\"RS256\",\"kid\":\"nope\",\"typ\":\"at+jwt\"}", pl);
	expect(TG_E_UNKNOWN_KID, k_rsa, "RS256",
	       "{\"alg\":\"RS256\",\"kid\":\"../../../../etc/passwd\",\"typ\":\"at+jwt\"}", pl);
	expect(TG_E_UNKNOWN_KID, k_rsa, "RS256",
	       "{\"alg\":\"RS256\",\"kid\":\"' OR '1'='1\",\"typ\":\"at+jwt\"}", pl);
	expect(TG_E_UNKNOWN_KID, k_rsa, "RS256",
	       "{\"alg\":\"RS256\",\"kid\":\"k-short\",\"typ\":\"at+jwt\"}", pl);
	expect(TG_E_MALFORMED, k_rsa, "RS256",
	       "{\"alg\":\"RS256\",\"kid\":42,\"typ\":\"at+jwt\"}", pl);
	expect(TG_E_MALFORMED, k_rsa, "RS256",
	       "{\"alg\":\"RS256\",\"kid\":\"k-rsa\\u0000x\",\"typ\":\"at+jwt\"}", pl);
	char hdr[2048];
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"%0300d\",\"typ\":\"at+jwt\"}", 7);
	expect(TG_E_MALFORMED, k_rsa, "RS256", hdr, pl);
	/* no kid: the one key fitting the alg */
	expect(TG_OK, k_rsa, "RS256", "{\"alg\":\"RS256\",\"typ\":\"at+jwt\"}", pl);
	expect(TG_OK, k_ec, "ES256", "{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}", pl);
}

static void test_kidless_ambiguous(void **state)
{
	(void)state;
	json_t *set = json_pack("{s:[o,o]}", "keys", jwk(k_rsa, "a", "RS256"),
				jwk(k_rsa2, "b", "RS256"));
	char *txt = json_dumps(set, 0);
	tg_jwks *two = NULL;
	assert_rc(tg_jwks_parse(txt, strlen(txt), NULL, NULL, &two), TG_OK);
	char *t = sign(k_rsa, "RS256", "{\"alg\":\"RS256\",\"typ\":\"at+jwt\"}",
		       payload(NOW + 300, NULL));
	assert_rc(check_in(two, t), TG_E_UNKNOWN_KID);
	free(t);
	free(txt);
	json_decref(set);
	tg_jwks_free(two);
}

static void test_duplicate_kids_are_dropped(void **state)
{
	(void)state;
	json_t *set = json_pack("{s:[o,o,o]}", "keys", jwk(k_rsa, "same", "RS256"),
				jwk(k_rsa2, "same", "RS256"), jwk(k_ec, "other", NULL));
	char *txt = json_dumps(set, 0);
	tg_jwks *s = NULL;
	assert_rc(tg_jwks_parse(txt, strlen(txt), NULL, NULL, &s), TG_OK);
	assert_int_equal(tg_jwks_count(s), 1);
	free(txt);
	json_decref(set);
	tg_jwks_free(s);
}

static void test_embedded_keys_are_never_used(void **state)
{
	(void)state;
	/* attacker's own key, offered in jwk / jku / x5u / x5c */
	json_t *evil = jwk(k_evil, "k-rsa", "RS256");
	char *ej = json_dumps(evil, JSON_COMPACT);
	char hdr[4096];
	const char *pl = payload(NOW + 300, NULL);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":\"at+jwt\",\"jwk\":%s}", ej);
	expect(TG_E_BAD_SIGNATURE, k_evil, "RS256", hdr, pl);
	expect(TG_E_BAD_SIGNATURE, k_evil, "RS256",
	       "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":\"at+jwt\",\"jku\":\"https://evil/jwks\"}", pl);
	expect(TG_E_BAD_SIGNATURE, k_evil, "RS256",
	       "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":\"at+jwt\",\"x5u\":\"https://evil/c\"}", pl);
	expect(TG_E_BAD_SIGNATURE, k_evil, "RS256",
	       "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":\"at+jwt\",\"x5c\":[\"MIIB\"]}", pl);
	expect(TG_E_UNKNOWN_KID, k_evil, "RS256",
	       "{\"alg\":\"RS256\",\"kid\":\"evil\",\"typ\":\"at+jwt\",\"jku\":\"https://evil/jwks\"}", pl);
	free(ej);
	json_decref(evil);
}

static void test_crit(void **state)
{
	(void)state;
	expect(TG_E_MALFORMED, k_rsa, "RS256",
	       "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":\"at+jwt\",\"crit\":[\"exp\"],\"exp\":1}",
	       payload(NOW + 300, NULL));
	expect(TG_E_MALFORMED, k_rsa, "RS256",
	       "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":\"at+jwt\",\"crit\":[]}",
	       payload(NOW + 300, NULL));
}

/* Replaces the signature segment of t with sig bytes. */
static char *with_sig(const char *t, const unsigned char *sig, size_t n)
{
	const char *dot = strrchr(t, '.');
	char *s = tg_b64url_encode(sig, n);
	char *out = malloc((size_t)(dot - t) + strlen(s) + 2);
	sprintf(out, "%.*s.%s", (int)(dot - t), t, s);
	free(s);
	return out;
}

static void test_es256_signature_forms(void **state)
{
	(void)state;
	char *t = good(k_ec, "ES256", "k-ec");
	assert_rc(check(t), TG_OK);
	unsigned char zero[64] = { 0 };
	char *z = with_sig(t, zero, 64);
	assert_rc(check(z), TG_E_BAD_SIGNATURE);	/* r = s = 0 */
	free(z);
	/* the same signature in DER form, as OpenSSL makes it */
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	const char *dot = strrchr(t, '.');
	assert_rc(tg_b64url_decode(dot + 1, strlen(dot + 1), &raw, &rawlen), TG_OK);
	ECDSA_SIG *es = ECDSA_SIG_new();
	ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL));
	unsigned char *der = NULL;
	int derlen = i2d_ECDSA_SIG(es, &der);
	char *d = with_sig(t, der, (size_t)derlen);
	assert_rc(check(d), TG_E_BAD_SIGNATURE);
	free(d);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	char *shortsig = with_sig(t, raw, 63);
	assert_rc(check(shortsig), TG_E_BAD_SIGNATURE);
	free(shortsig);
	unsigned char longer[65];
	memcpy(longer, raw, 64);
	longer[64] = 0;
	char *l = with_sig(t, longer, 65);
	assert_rc(check(l), TG_E_BAD_SIGNATURE);
	free(l);
	/* r = n (the group order): out of range */
	static const unsigned char order[32] = {
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
		0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51 };
	unsigned char rn[64];
	memcpy(rn, order, 32);
	memcpy(rn + 32, raw + 32, 32);
	char *o = with_sig(t, rn, 64);
	assert_rc(check(o), TG_E_BAD_SIGNATURE);
	free(o);
	free(raw);
	free(t);
}

static void test_rsa_signature_length(void **state)
{
	(void)state;
	char *t = good(k_rsa, "RS256", "k-rsa");
	unsigned char *raw = NULL;
	size_t n = 0;
	const char *dot = strrchr(t, '.');
	assert_rc(tg_b64url_decode(dot + 1, strlen(dot + 1), &raw, &n), TG_OK);
	unsigned char longer[300];
	longer[0] = 0;
	memcpy(longer + 1, raw, n);	/* same value, one leading zero byte */
	char *l = with_sig(t, longer, n + 1);
	assert_rc(check(l), TG_E_BAD_SIGNATURE);
	free(l);
	char *s = with_sig(t, raw, n - 1);
	assert_rc(check(s), TG_E_BAD_SIGNATURE);
	free(s);
	free(raw);
	free(t);
}

static void test_encoding_and_segments(void **state)
{
	(void)state;
	char *t = good(k_rsa, "RS256", "k-rsa");
	char *d1 = strchr(t, '.'), *d2 = strrchr(t, '.');
	char buf[8192];
	/* padding in each segment */
	snprintf(buf, sizeof(buf), "%.*s=%s", (int)(d1 - t), t, d1);
	assert_rc(check(buf), TG_E_MALFORMED);
	snprintf(buf, sizeof(buf), "%.*s=%s", (int)(d2 - t), t, d2);
	assert_rc(check(buf), TG_E_MALFORMED);
	snprintf(buf, sizeof(buf), "%s=", t);
	assert_rc(check(buf), TG_E_MALFORMED);
	/* standard alphabet and whitespace */
	for (const char *bad = "+/ \n\t"; *bad; bad++) {
		snprintf(buf, sizeof(buf), "%.*s%c%s", (int)(d1 - t), t, *bad, d1);
		assert_rc(check(buf), TG_E_MALFORMED);
		snprintf(buf, sizeof(buf), "%.*s%c%s", (int)(d2 - t + 3), t, *bad, d2 + 3);
		assert_rc(check(buf), TG_E_MALFORMED);
	}
	/* two, four and five segments, empty segments */
	snprintf(buf, sizeof(buf), "%.*s", (int)(d2 - t), t);
	assert_rc(check(buf), TG_E_MALFORMED);
	snprintf(buf, sizeof(buf), "%s.AAAA", t);
	assert_rc(check(buf), TG_E_MALFORMED);
	snprintf(buf, sizeof(buf), "%s.AAAA.AAAA", t);
	assert_rc(check(buf), TG_E_MALFORMED);
	snprintf(buf, sizeof(buf), "%s.", t);
	assert_rc(check(buf), TG_E_MALFORMED);
	snprintf(buf, sizeof(buf), ".%s", d1 + 1);
	assert_rc(check(buf), TG_E_MALFORMED);
	assert_rc(check(".."), TG_E_MALFORMED);
	assert_rc(check(""), TG_E_MALFORMED);
	/* OpenSSH's fake password for invalid users */
	assert_rc(check("\b\n\r\177INCORRECT"), TG_E_MALFORMED);
	/* a NUL inside the token */
	size_t len = strlen(t);
	memcpy(buf, t, len);
	buf[10] = '\0';
	tg_policy *p = policy(TG_KIND_ACCESS);
	tg_token *tok = NULL;
	assert_rc(tg_token_validate(p, keys, buf, len, &tok), TG_E_MALFORMED);
	tg_token_free(tok);
	tg_policy_free(p);
	free(t);
}

static void test_tampering(void **state)
{
	(void)state;
	char *a = good(k_rsa, "RS256", "k-rsa");
	char *pl = strdup(payload(NOW + 300, NULL));
	char *bob = strstr(pl, "alice");
	memcpy(bob, "bobby", 5);
	char *b = sign(k_evil, "RS256", HDR_RS, pl);
	/* bob's header and payload with alice's signature */
	char buf[8192];
	snprintf(buf, sizeof(buf), "%.*s%s", (int)(strrchr(b, '.') - b), b, strrchr(a, '.'));
	assert_rc(check(buf), TG_E_BAD_SIGNATURE);
	free(a);
	free(b);
	free(pl);
}

static void test_time_claims(void **state)
{
	(void)state;
	char pl[512];
	const char *base = "{\"iss\":\"" ISS "\",\"aud\":\"linux-hosts\",\"sub\":\"s\","
			   "\"preferred_username\":\"alice\"";
	struct { const char *claims; tg_rc want; } v[] = {
		{ ",\"exp\":1700000300}", TG_OK },
		{ ",\"exp\":1699999941}", TG_OK },		/* within 60 s leeway */
		{ ",\"exp\":1699999940}", TG_E_EXPIRED },	/* now == exp + leeway */
		{ ",\"exp\":1600000000}", TG_E_EXPIRED },
		{ ",\"exp\":-1}", TG_E_EXPIRED },
		{ "}", TG_E_MALFORMED },			/* no exp */
		{ ",\"exp\":\"1700000300\"}", TG_E_MALFORMED },
		{ ",\"exp\":1700000300.0}", TG_E_MALFORMED },
		{ ",\"exp\":1.7e9}", TG_E_MALFORMED },
		{ ",\"exp\":1e300}", TG_E_MALFORMED },
		{ ",\"exp\":99999999999999999999999}", TG_E_MALFORMED },
		{ ",\"exp\":true}", TG_E_MALFORMED },
		{ ",\"exp\":null}", TG_E_MALFORMED },
		{ ",\"exp\":9223372036854775807}", TG_OK },
		{ ",\"exp\":1700000300,\"nbf\":1700000061}", TG_E_NOT_YET_VALID },
		{ ",\"exp\":1700000300,\"nbf\":1700000060}", TG_OK },
		{ ",\"exp\":1700000300,\"nbf\":9223372036854775807}", TG_E_NOT_YET_VALID },
		{ ",\"exp\":1700000300,\"nbf\":-9223372036854775807}", TG_OK },
		{ ",\"exp\":1700000300,\"nbf\":\"0\"}", TG_E_MALFORMED },
		{ ",\"exp\":1700000300,\"iat\":1700003600}", TG_E_NOT_YET_VALID },
		{ ",\"exp\":1700000300,\"iat\":1699990000.5}", TG_E_MALFORMED },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(pl, sizeof(pl), "%s%s", base, v[i].claims);
		expect(v[i].want, k_rsa, "RS256", HDR_RS, pl);
	}
}

static void test_issuer_and_audience(void **state)
{
	(void)state;
	char pl[512];
	struct { const char *iss, *aud; tg_rc want; } v[] = {
		{ "\"" ISS "\"", "\"linux-hosts\"", TG_OK },
		{ "\"" ISS "/\"", "\"linux-hosts\"", TG_E_BAD_ISSUER },
		{ "\"https://IDP.test/realms/corp\"", "\"linux-hosts\"", TG_E_BAD_ISSUER },
		{ "\"https://evil.test/realms/corp\"", "\"linux-hosts\"", TG_E_BAD_ISSUER },
		{ "[\"" ISS "\"]", "\"linux-hosts\"", TG_E_BAD_ISSUER },
		{ "\"" ISS "\"", "\"other\"", TG_E_BAD_AUDIENCE },
		{ "\"" ISS "\"", "[\"a\",\"linux-hosts\"]", TG_OK },
		{ "\"" ISS "\"", "[\"a\",\"b\"]", TG_E_BAD_AUDIENCE },
		{ "\"" ISS "\"", "[]", TG_E_BAD_AUDIENCE },
		{ "\"" ISS "\"", "[\"linux-hosts\",7]", TG_E_MALFORMED },
		{ "\"" ISS "\"", "\"Linux-Hosts\"", TG_E_BAD_AUDIENCE },
		{ "\"" ISS "\"", "null", TG_E_BAD_AUDIENCE },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(pl, sizeof(pl), "{\"iss\":%s,\"aud\":%s,\"sub\":\"s\","
			 "\"preferred_username\":\"alice\",\"exp\":%lld}",
			 v[i].iss, v[i].aud, NOW + 300);
		expect(v[i].want, k_rsa, "RS256", HDR_RS, pl);
	}
	snprintf(pl, sizeof(pl), "{\"iss\":\"" ISS "\",\"sub\":\"s\","
		 "\"preferred_username\":\"alice\",\"exp\":%lld}", NOW + 300);
	expect(TG_E_BAD_AUDIENCE, k_rsa, "RS256", HDR_RS, pl);
}

static tg_rc id_check_iat(const char *hdr, const char *aud, const char *azp, bool iat)
{
	char pl[512], at[32] = "";
	if (iat)
		snprintf(at, sizeof(at), ",\"iat\":%lld", NOW - 10);
	snprintf(pl, sizeof(pl), "{\"iss\":\"" ISS "\",\"aud\":%s,%s%s%s\"sub\":\"s\","
		 "\"preferred_username\":\"alice\",\"exp\":%lld%s}", aud,
		 azp ? "\"azp\":\"" : "", azp ? azp : "", azp ? "\"," : "", NOW + 300, at);
	char *t = sign(k_rsa, "RS256", hdr, pl);
	tg_policy *p = policy(TG_KIND_ID);
	tg_rc rc = check_with(p, t);
	tg_policy_free(p);
	free(t);
	return rc;
}

static tg_rc id_check(const char *hdr, const char *aud, const char *azp)
{
	return id_check_iat(hdr, aud, azp, true);
}

static void test_token_kinds_do_not_mix(void **state)
{
	(void)state;
	const char *pl = payload(NOW + 300, NULL);
	/* access policy */
	expect(TG_E_BAD_TYPE, k_rsa, "RS256", "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":\"JWT\"}", pl);
	expect(TG_E_BAD_TYPE, k_rsa, "RS256", "{\"alg\":\"RS256\",\"kid\":\"k-rsa\"}", pl);
	expect(TG_E_MALFORMED, k_rsa, "RS256", "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":7}", pl);
	expect(TG_OK, k_rsa, "RS256", "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":\"application/at+jwt\"}", pl);
	expect(TG_OK, k_rsa, "RS256", "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":\"AT+JWT\"}", pl);
	/* ID token policy */
	const char *id_hdr = "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":\"JWT\"}";
	assert_rc(id_check(id_hdr, "\"linux-client\"", NULL), TG_OK);
	assert_rc(id_check("{\"alg\":\"RS256\",\"kid\":\"k-rsa\"}", "\"linux-client\"", NULL), TG_OK);
	assert_rc(id_check(HDR_RS, "\"linux-client\"", NULL), TG_E_BAD_TYPE);
	assert_rc(id_check(id_hdr, "\"linux-hosts\"", NULL), TG_E_BAD_AUDIENCE);
	/* several audiences need azp == client_id */
	assert_rc(id_check(id_hdr, "[\"linux-client\",\"x\"]", NULL), TG_E_BAD_AUDIENCE);
	assert_rc(id_check(id_hdr, "[\"linux-client\",\"x\"]", "linux-client"), TG_OK);
	assert_rc(id_check(id_hdr, "[\"linux-client\",\"x\"]", "x"), TG_E_BAD_AUDIENCE);
	assert_rc(id_check(id_hdr, "\"linux-client\"", "x"), TG_E_BAD_AUDIENCE);
	/* iat is required in an ID token (OIDC Core 2), not in an access token */
	assert_rc(id_check_iat(id_hdr, "\"linux-client\"", NULL, false), TG_E_MALFORMED);
}

/* typ absent for an access token only when access_token_types lists
 * none (Okta's custom servers send {kid, alg}); a payload typ of ID
 * (Keycloak's ID tokens) is never an access token; an unverified email
 * as the username names nobody. */
static tg_rc with_policy(tg_policy *p, const char *hdr, const char *pl)
{
	char *t = sign(k_rsa, "RS256", hdr, pl);
	tg_rc rc = check_with(p, t);
	tg_policy_free(p);
	free(t);
	return rc;
}

static void test_typ_rules_and_email_verified(void **state)
{
	(void)state;
	const char *bare = "{\"alg\":\"RS256\",\"kid\":\"k-rsa\"}";
	const char *jwt = "{\"alg\":\"RS256\",\"kid\":\"k-rsa\",\"typ\":\"JWT\"}";
	const char *pl = payload(NOW + 300, NULL);
	tg_policy *p = policy(TG_KIND_ACCESS);
	assert_rc(with_policy(p, bare, pl), TG_E_BAD_TYPE);
	p = policy(TG_KIND_ACCESS);
	assert_rc(tg_policy_set_access_types(p, "at+jwt none"), TG_OK);
	assert_rc(with_policy(p, bare, pl), TG_OK);
	p = policy(TG_KIND_ACCESS);
	assert_rc(tg_policy_set_access_types(p, "at+jwt none"), TG_OK);
	assert_rc(with_policy(p, jwt, pl), TG_E_BAD_TYPE); /* none is not "any" */
	p = policy(TG_KIND_ACCESS);
	assert_rc(tg_policy_set_access_types(p, "at+jwt JWT"), TG_OK);
	assert_rc(with_policy(p, jwt, pl), TG_OK);
	p = policy(TG_KIND_ACCESS);
	assert_rc(tg_policy_set_access_types(p, "at+jwt JWT"), TG_OK);
	assert_rc(with_policy(p, jwt, payload(NOW + 300, ",\"typ\":\"ID\"")), TG_E_BAD_TYPE);
	char ev[256];
	snprintf(ev, sizeof(ev), "{\"iss\":\"" ISS "\",\"aud\":\"linux-hosts\",\"sub\":\"s-1\","
		 "\"email\":\"alice\",\"email_verified\":%%s,\"exp\":%lld}", NOW + 300);
	char plf[300], plt[300];
	snprintf(plf, sizeof(plf), ev, "false");
	snprintf(plt, sizeof(plt), ev, "true");
	p = policy(TG_KIND_ACCESS);
	assert_rc(tg_policy_set_username_claim(p, "email"), TG_OK);
	assert_rc(with_policy(p, HDR_RS, plf), TG_E_USER_MISMATCH);
	p = policy(TG_KIND_ACCESS);
	assert_rc(tg_policy_set_username_claim(p, "email"), TG_OK);
	assert_rc(with_policy(p, HDR_RS, plt), TG_OK);
}

/* Freshness and strength per service (issue 16): auth_time within
 * max_auth_age, acr in required_acr, amr with one of required_amr; a
 * missing claim fails closed; stored claims never count as fresh. */
static tg_rc strength(int64_t age, const char *acr, const char *amr, const char *extra)
{
	tg_policy *p = policy(TG_KIND_ACCESS);
	assert_rc(tg_policy_set_strength(p, age, acr, amr), TG_OK);
	return with_policy(p, HDR_RS, payload(NOW + 300, extra));
}

static void test_freshness_and_strength(void **state)
{
	(void)state;
	char fresh[64], old[64];
	snprintf(fresh, sizeof(fresh), ",\"auth_time\":%lld", NOW - 300);
	snprintf(old, sizeof(old), ",\"auth_time\":%lld", NOW - 3 * 3600);
	assert_rc(strength(600, NULL, NULL, fresh), TG_OK);
	assert_rc(strength(600, NULL, NULL, old), TG_E_NOT_AUTHORIZED);
	assert_rc(strength(600, NULL, NULL, NULL), TG_E_NOT_AUTHORIZED); /* no auth_time */
	assert_rc(strength(0, NULL, NULL, old), TG_OK); /* not asked */
	assert_rc(strength(0, "gold silver", NULL, ",\"acr\":\"silver\""), TG_OK);
	assert_rc(strength(0, "gold", NULL, ",\"acr\":\"silver\""), TG_E_NOT_AUTHORIZED);
	assert_rc(strength(0, "gold", NULL, NULL), TG_E_NOT_AUTHORIZED);
	assert_rc(strength(0, NULL, "mfa hwk", ",\"amr\":[\"pwd\",\"hwk\"]"), TG_OK);
	assert_rc(strength(0, NULL, "mfa", ",\"amr\":[\"pwd\"]"), TG_E_NOT_AUTHORIZED);
	assert_rc(strength(0, NULL, "mfa", ",\"amr\":\"mfa\""), TG_E_NOT_AUTHORIZED); /* not an array */
	assert_rc(strength(0, NULL, "mfa", NULL), TG_E_NOT_AUTHORIZED);
	/* what a session stored of its token */
	json_t *c = json_pack("{s:s,s:I,s:s,s:[s]}", "username", "alice", "auth_time",
			      (json_int_t)(NOW - 10), "acr", "gold", "amr", "mfa");
	tg_policy *p = policy(TG_KIND_ACCESS);
	assert_rc(tg_policy_set_strength(p, 0, "gold", "mfa"), TG_OK);
	assert_rc(tg_claims_authorize_stored(p, ISS, c), TG_OK);
	assert_rc(tg_policy_set_strength(p, 0, "platinum", NULL), TG_OK);
	assert_rc(tg_claims_authorize_stored(p, ISS, c), TG_E_NOT_AUTHORIZED);
	assert_rc(tg_policy_set_strength(p, 3600, NULL, NULL), TG_OK);
	assert_rc(tg_claims_authorize_stored(p, ISS, c), TG_E_NOT_AUTHORIZED); /* never fresh */
	tg_policy_free(p);
	json_decref(c);
}

static void test_strict_json_in_token(void **state)
{
	(void)state;
	const char *pl = payload(NOW + 300, NULL);
	expect(TG_E_MALFORMED, k_rsa, "RS256",
	       "{\"alg\":\"RS256\",\"alg\":\"none\",\"kid\":\"k-rsa\",\"typ\":\"at+jwt\"}", pl);
	char dup[600];
	snprintf(dup, sizeof(dup), "{\"iss\":\"" ISS "\",\"aud\":\"linux-hosts\",\"sub\":\"s\","
		 "\"preferred_username\":\"alice\",\"preferred_username\":\"root\",\"exp\":%lld}",
		 NOW + 300);
	expect(TG_E_MALFORMED, k_rsa, "RS256", HDR_RS, dup);
	expect(TG_E_MALFORMED, k_rsa, "RS256", HDR_RS, payload(NOW + 300, ",\"x\":\"a\\u0000b\""));
	expect(TG_E_MALFORMED, k_rsa, "RS256", HDR_RS, payload(NOW + 300, ",\"x\":\"\xff\xfe\""));
	expect(TG_E_MALFORMED, k_rsa, "RS256", HDR_RS, payload(NOW + 300, ",\"x\":\"\xed\xa0\x80\""));
	expect(TG_E_MALFORMED, k_rsa, "RS256", HDR_RS "x", pl);	/* trailing bytes */
	expect(TG_E_MALFORMED, k_rsa, "RS256", "[\"RS256\"]", pl);
	/* a NUL inside the username claim */
	char nul[600];
	snprintf(nul, sizeof(nul), "{\"iss\":\"" ISS "\",\"aud\":\"linux-hosts\",\"sub\":\"s\","
		 "\"preferred_username\":\"alice\\u0000root\",\"exp\":%lld}", NOW + 300);
	expect(TG_E_MALFORMED, k_rsa, "RS256", HDR_RS, nul);
	/* deep nesting */
	char deep[1024], *q = deep;
	q += sprintf(q, "%s", ",\"x\":");
	for (int i = 0; i < 100; i++)
		*q++ = '[';
	for (int i = 0; i < 100; i++)
		*q++ = ']';
	*q = '\0';
	expect(TG_E_MALFORMED, k_rsa, "RS256", HDR_RS, payload(NOW + 300, deep));
}

static void test_oversize(void **state)
{
	(void)state;
	char *filler = malloc(20000);
	memset(filler, 'a', 19990);
	memcpy(filler, ",\"x\":\"", 6);
	strcpy(filler + 19990, "\"");
	char *big = malloc(30000);
	snprintf(big, 30000, PAYLOAD_FMT, NOW + 300, NOW, filler);
	expect(TG_E_MALFORMED, k_rsa, "RS256", HDR_RS, big);
	/* the same token passes under a larger cap */
	char *t = sign(k_rsa, "RS256", HDR_RS, big);
	tg_policy *p = policy(TG_KIND_ACCESS);
	tg_policy_set_max_len(p, 64 * 1024);
	assert_rc(check_with(p, t), TG_OK);
	tg_policy_free(p);
	free(t);
	/* 1 MB of garbage */
	char *mb = malloc(1 << 20);
	memset(mb, 'A', (1 << 20) - 1);
	mb[(1 << 20) - 1] = '\0';
	assert_rc(check(mb), TG_E_MALFORMED);
	free(mb);
	free(big);
	free(filler);
}

static void test_identity_mapping(void **state)
{
	(void)state;
	const char *base = "{\"iss\":\"" ISS "\",\"aud\":\"linux-hosts\",\"exp\":1700000300";
	char pl[512];
	struct { const char *claims; tg_rc want; } v[] = {
		{ ",\"sub\":\"s\",\"preferred_username\":\"bob\"}", TG_E_USER_MISMATCH },
		{ ",\"sub\":\"s\",\"preferred_username\":\"Alice\"}", TG_E_USER_MISMATCH },
		{ ",\"sub\":\"s\",\"preferred_username\":\"alice \"}", TG_E_USER_MISMATCH },
		{ ",\"sub\":\"s\"}", TG_E_USER_MISMATCH },
		{ ",\"sub\":\"s\",\"preferred_username\":[\"alice\"]}", TG_E_USER_MISMATCH },
		{ ",\"preferred_username\":\"alice\"}", TG_E_MALFORMED },	/* no sub */
		{ ",\"sub\":\"\",\"preferred_username\":\"alice\"}", TG_E_MALFORMED },
		/* client credentials: the client acting for itself */
		{ ",\"sub\":\"linux-client\",\"client_id\":\"linux-client\",\"preferred_username\":\"alice\"}", TG_E_USER_MISMATCH },
		{ ",\"sub\":\"s\",\"client_id\":\"linux-client\",\"preferred_username\":\"alice\"}", TG_OK },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(pl, sizeof(pl), "%s%s", base, v[i].claims);
		expect(v[i].want, k_rsa, "RS256", HDR_RS, pl);
	}
}

static void test_authorization(void **state)
{
	(void)state;
	tg_policy *p = policy(TG_KIND_ACCESS);
	tg_policy_set_groups(p, "groups", "admins ops");
	struct { const char *extra; tg_rc want; } v[] = {
		{ ",\"groups\":[\"devs\",\"admins\"]", TG_OK },
		{ ",\"groups\":\"ops\"", TG_OK },
		{ ",\"groups\":[\"devs\"]", TG_E_NOT_AUTHORIZED },
		{ ",\"groups\":[]", TG_E_NOT_AUTHORIZED },
		{ "", TG_E_NOT_AUTHORIZED },
		{ ",\"groups\":[\"Admins\"]", TG_E_NOT_AUTHORIZED },
		{ ",\"groups\":{\"admins\":true}", TG_E_NOT_AUTHORIZED },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *t = sign(k_rsa, "RS256", HDR_RS, payload(NOW + 300, v[i].extra));
		assert_rc(check_with(p, t), v[i].want);
		free(t);
	}
	/* Keycloak keeps roles in a nested claim */
	tg_policy_set_groups(p, "realm_access.roles", "admins");
	char *t = sign(k_rsa, "RS256", HDR_RS,
		       payload(NOW + 300, ",\"realm_access\":{\"roles\":[\"admins\"]}"));
	assert_rc(check_with(p, t), TG_OK);
	free(t);
	tg_policy_free(p);
}

/* What validate --explain is told: the failing checks and their detail. */
static char explained[1024];
static void on_explain(void *ud, const char *check, tg_rc rc, const char *detail)
{
	(void)ud;
	if (rc != TG_OK)
		snprintf(explained + strlen(explained), sizeof(explained) - strlen(explained),
			 "%s: %s; ", check, detail ? detail : "");
}

/* Entra ID's groups overage: the groups claim left out and named in
 * _claim_names. Refused as an overage, with a detail saying so, never as
 * "in no group"; the groups of another claim, or a service that reads no
 * groups, are not affected. */
#define OVERAGE ",\"_claim_names\":{\"groups\":\"src1\"},\"_claim_sources\":{\"src1\":" \
	"{\"endpoint\":\"https://graph.microsoft.com/v1.0/users/x/getMemberObjects\"}}"
static void test_groups_overage(void **state)
{
	(void)state;
	tg_policy *p = policy(TG_KIND_ACCESS);
	tg_policy_set_groups(p, "groups", "admins");
	tg_policy_set_explain(p, on_explain, NULL);
	char *t = sign(k_rsa, "RS256", HDR_RS, payload(NOW + 300, OVERAGE));
	explained[0] = '\0';
	assert_rc(check_with(p, t), TG_E_NOT_AUTHORIZED);
	assert_non_null(strstr(explained, "overage: groups overage: "));
	assert_non_null(strstr(explained, "groupMembershipClaims"));
	assert_null(strstr(explained, "groups: a group in allowed_groups"));
	free(t);
	/* no overage: the plain groups answer, as before */
	t = sign(k_rsa, "RS256", HDR_RS, payload(NOW + 300, NULL));
	explained[0] = '\0';
	assert_rc(check_with(p, t), TG_E_NOT_AUTHORIZED);
	assert_null(strstr(explained, "overage"));
	free(t);
	/* an overage of groups does not touch roles read from another claim */
	tg_policy_set_groups(p, "roles", "admins");
	t = sign(k_rsa, "RS256", HDR_RS, payload(NOW + 300, OVERAGE ",\"roles\":[\"admins\"]"));
	assert_rc(check_with(p, t), TG_OK);
	free(t);
	tg_policy_free(p);
	/* a service that requires no groups reads none */
	p = policy(TG_KIND_ACCESS);
	t = sign(k_rsa, "RS256", HDR_RS, payload(NOW + 300, OVERAGE));
	assert_rc(check_with(p, t), TG_OK);
	free(t);
	tg_policy_free(p);
}

static void test_libjwt_interop(void **state)
{
	(void)state;
	/* Tokens made by an independent implementation (libjwt) verify;
	 * libjwt 1.10.2 writes typ "JWT", which an access policy refuses
	 * unless access_token_types allows it (Keycloak's case). */
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL;
	PEM_write_bio_PrivateKey(b, k_ec, NULL, NULL, 0, NULL, NULL);
	long len = BIO_get_mem_data(b, &pem);
	jwt_t *j = NULL;
	assert_int_equal(jwt_new(&j), 0);
	jwt_add_header(j, "kid", "k-ec");
	jwt_add_grants_json(j, payload(NOW + 300, NULL));
	assert_int_equal(jwt_set_alg(j, JWT_ALG_ES256, (unsigned char *)pem, (int)len), 0);
	char *t = jwt_encode_str(j);
	assert_non_null(t);
	assert_rc(check(t), TG_E_BAD_TYPE);
	tg_policy *p = policy(TG_KIND_ACCESS);
	tg_policy_set_access_types(p, "at+jwt JWT");
	assert_rc(check_with(p, t), TG_OK);
	tg_policy_free(p);
	free(t);
	jwt_free(j);
	BIO_free(b);
}

static void test_failed_token_reports_no_identity(void **state)
{
	(void)state;
	char *pl = strdup(payload(NOW + 300, NULL));
	char *t = sign(k_evil, "RS256", HDR_RS, pl);
	tg_policy *p = policy(TG_KIND_ACCESS);
	tg_token *tok = NULL;
	assert_rc(tg_token_validate(p, keys, t, strlen(t), &tok), TG_E_BAD_SIGNATURE);
	assert_string_equal(tg_token_kid(tok), "k-rsa");
	assert_string_equal(tg_token_alg(tok), "RS256");
	assert_null(tg_token_sub(tok));	/* unverified: not for the audit */
	assert_null(tg_token_iss(tok));
	tg_token_free(tok);
	tg_policy_free(p);
	free(t);
	free(pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_tokens_pass),
		cmocka_unit_test(test_key_policy_skips_unsafe_keys),
		cmocka_unit_test(test_ec_coordinates_without_leading_zeros),
		cmocka_unit_test(test_alg_none_any_case),
		cmocka_unit_test(test_hs256_with_rsa_public_key),
		cmocka_unit_test(test_refused_header_is_reported),
		cmocka_unit_test(test_alg_case_and_fit),
		cmocka_unit_test(test_kid),
		cmocka_unit_test(test_kidless_ambiguous),
		cmocka_unit_test(test_duplicate_kids_are_dropped),
		cmocka_unit_test(test_embedded_keys_are_never_used),
		cmocka_unit_test(test_crit),
		cmocka_unit_test(test_es256_signature_forms),
		cmocka_unit_test(test_rsa_signature_length),
		cmocka_unit_test(test_encoding_and_segments),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_time_claims),
		cmocka_unit_test(test_issuer_and_audience),
		cmocka_unit_test(test_token_kinds_do_not_mix),
		cmocka_unit_test(test_typ_rules_and_email_verified),
		cmocka_unit_test(test_freshness_and_strength),
		cmocka_unit_test(test_strict_json_in_token),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_identity_mapping),
		cmocka_unit_test(test_authorization),
		cmocka_unit_test(test_groups_overage),
		cmocka_unit_test(test_libjwt_interop),
		cmocka_unit_test(test_failed_token_reports_no_identity),
	};
	return cmocka_run_group_tests_name("attacks", tests, setup, teardown);
}
