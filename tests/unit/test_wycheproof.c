/*
 * test_wycheproof.c - the Wycheproof primitive vectors (ECDSA P-256 P1363,
 * RSA PKCS#1 2048, RSA-PSS 2048 salt 32, Ed25519) through the verifier's
 * own key import (the JWK of each group) and signature check.
 */
#include <stdio.h>

#include "testutil.h"
#include "tg_internal.h"

struct counts {
	int valid_ok, invalid_rejected, acceptable, failures, keys_refused;
};

static unsigned char *unhex(const char *h, size_t *n)
{
	size_t len = strlen(h) / 2;
	unsigned char *b = malloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		b[i] = (unsigned char)v;
	}
	*n = len;
	return b;
}

static json_t *load(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", TG_VECTORS, name);
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (j == NULL)
		fail_msg("cannot load %s: %s", path, e.text);
	return j;
}

/* The group's JWK as a one-key set (the member name differs by file). */
/* Some ECDSA groups give no JWK: build it from the point's hex. */
static json_t *ec_jwk_from_hex(const json_t *g)
{
	const json_t *pk = json_object_get(g, "publicKey");
	const char *wx = json_string_value(json_object_get(pk, "wx"));
	const char *wy = json_string_value(json_object_get(pk, "wy"));
	if (wx == NULL || wy == NULL)
		return NULL;
	unsigned char x[33] = { 0 }, y[33] = { 0 };
	size_t xl, yl;
	unsigned char *xb = unhex(wx, &xl), *yb = unhex(wy, &yl);
	json_t *j = NULL;
	if (xl <= 33 && yl <= 33) {
		memcpy(x + 33 - xl, xb, xl);	/* left-pad to 32 (+ sign byte) */
		memcpy(y + 33 - yl, yb, yl);
		char *xs = tg_b64url_encode(x + 1, 32), *ys = tg_b64url_encode(y + 1, 32);
		j = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256", "x", xs,
			      "y", ys);
		free(xs);
		free(ys);
	}
	free(xb);
	free(yb);
	return j;
}

static tg_jwks *group_key(const json_t *g)
{
	json_t *jwk = json_object_get(g, "publicKeyJwk");
	if (jwk == NULL)
		jwk = json_object_get(g, "keyJwk");
	json_t *made = jwk ? NULL : ec_jwk_from_hex(g);
	if (made != NULL)
		jwk = made;
	if (jwk == NULL)
		return NULL;
	json_t *set = json_pack("{s:[O]}", "keys", jwk);
	json_decref(made);
	char *s = json_dumps(set, 0);
	tg_jwks *k = NULL;
	if (tg_jwks_parse(s, strlen(s), NULL, NULL, &k) != TG_OK || tg_jwks_count(k) != 1) {
		tg_jwks_free(k);
		k = NULL;
	}
	free(s);
	json_decref(set);
	return k;
}

static void run_file(const char *name, const char *alg, struct counts *c)
{
	json_t *root = load(name);
	size_t gi, ti;
	json_t *g, *t;
	json_array_foreach(json_object_get(root, "testGroups"), gi, g) {
		tg_jwks *k = group_key(g);
		json_array_foreach(json_object_get(g, "tests"), ti, t) {
			const char *result = json_string_value(json_object_get(t, "result"));
			size_t mlen, slen;
			unsigned char *msg = unhex(json_string_value(json_object_get(t, "msg")), &mlen);
			unsigned char *sig = unhex(json_string_value(json_object_get(t, "sig")), &slen);
			tg_rc rc = k ? tg_jwks_verify_raw(k, 0, alg, msg, mlen, sig, slen)
				     : TG_E_UNKNOWN_KID;
			if (k == NULL) {
				/* our key policy refused the group's key */
				c->keys_refused++;
			} else if (strcmp(result, "valid") == 0) {
				if (rc == TG_OK)
					c->valid_ok++;
				else {
					c->failures++;
					print_message("%s tcId %lld: valid vector rejected (%s)\n", name,
						      (long long)json_integer_value(json_object_get(t, "tcId")),
						      tg_reason(rc));
				}
			} else if (strcmp(result, "invalid") == 0) {
				if (rc != TG_OK)
					c->invalid_rejected++;
				else {
					c->failures++;
					print_message("%s tcId %lld: invalid vector accepted\n", name,
						      (long long)json_integer_value(json_object_get(t, "tcId")));
				}
			} else {
				c->acceptable++;
			}
			free(msg);
			free(sig);
		}
		tg_jwks_free(k);
	}
	json_decref(root);
	print_message("%-42s %s: %d valid accepted, %d invalid rejected, %d acceptable, "
		      "%d with a key the key policy refuses (e < 65537)\n", name, alg, c->valid_ok,
		      c->invalid_rejected, c->acceptable, c->keys_refused);
}

/* refused: vectors whose key the key policy must refuse (RSA e = 3). */
#define FILE_TEST(fn, file, alg, refused)                          \
	static void fn(void **state)                               \
	{                                                          \
		(void)state;                                       \
		struct counts c = { 0 };                           \
		run_file(file, alg, &c);                           \
		assert_int_equal(c.failures, 0);                   \
		assert_int_equal(c.keys_refused, refused);         \
		assert_true(c.valid_ok > 0 && c.invalid_rejected > 0); \
	}

FILE_TEST(test_ecdsa_p256_p1363, "ecdsa_secp256r1_sha256_p1363_test.json", "ES256", 0)
FILE_TEST(test_rsa_pkcs1_2048, "rsa_signature_2048_sha256_test.json", "RS256", 2)
FILE_TEST(test_rsa_pss_2048, "rsa_pss_2048_sha256_mgf1_32_test.json", "PS256", 0)
FILE_TEST(test_ed25519, "ed25519_test.json", "EdDSA", 0)

int main(void)
{
	tg_crypto_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ecdsa_p256_p1363),
		cmocka_unit_test(test_rsa_pkcs1_2048),
		cmocka_unit_test(test_rsa_pss_2048),
		cmocka_unit_test(test_ed25519),
	};
	return cmocka_run_group_tests_name("wycheproof", tests, NULL, NULL);
}
