/*
 * ctl_sign.c - a small JWS signer over OpenSSL EVP, for tokengatectl mint
 * and the test tools. It shares no code with the verifier in lib/.
 * (Debian 12's libjwt 1.10.2 always writes typ "JWT", so it cannot mint the
 * RFC 9068 at+jwt access tokens tokengate expects by default.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ctl_sign.h"
#include "tokengate.h"

EVP_PKEY *ctl_load_private_key(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return NULL;
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

/* DER ECDSA signature to 64 bytes r||s. */
static int der_to_p1363(const unsigned char *der, size_t len, unsigned char out[64])
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r = NULL, *sv = NULL;
	if (s == NULL)
		return -1;
	ECDSA_SIG_get0(s, &r, &sv);
	int ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(sv, out + 32, 32) == 32;
	ECDSA_SIG_free(s);
	return ok ? 0 : -1;
}

static unsigned char *sign_pkey(EVP_PKEY *key, const char *alg,
				const char *msg, size_t *siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL;
	size_t len = 0;
	int eddsa = strcmp(alg, "EdDSA") == 0;
	if (md == NULL ||
	    EVP_DigestSignInit(md, &pctx, eddsa ? NULL : EVP_sha256(), NULL, key) != 1)
		goto fail;
	if (strcmp(alg, "PS256") == 0 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) <= 0))
		goto fail;
	if (EVP_DigestSign(md, NULL, &len, (const unsigned char *)msg, strlen(msg)) != 1 ||
	    (sig = malloc(len)) == NULL ||
	    EVP_DigestSign(md, sig, &len, (const unsigned char *)msg, strlen(msg)) != 1)
		goto fail;
	if (strcmp(alg, "ES256") == 0) {
		unsigned char rs[64];
		if (der_to_p1363(sig, len, rs) < 0)
			goto fail;
		memcpy(sig, rs, 64);
		len = 64;
	}
	EVP_MD_CTX_free(md);
	*siglen = len;
	return sig;
fail:
	free(sig);
	EVP_MD_CTX_free(md);
	return NULL;
}

char *ctl_jws_sign(EVP_PKEY *key, const unsigned char *hmac_key,
		   size_t hmac_len, const char *alg, const char *header,
		   const char *payload)
{
	char *h = tg_b64url_encode((const unsigned char *)header, strlen(header));
	char *p = tg_b64url_encode((const unsigned char *)payload, strlen(payload));
	char *msg = NULL, *out = NULL, *s = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	if (h == NULL || p == NULL || asprintf(&msg, "%s.%s", h, p) < 0)
		goto done;
	if (strcmp(alg, "none") == 0) {
		sig = NULL;
	} else if (strncmp(alg, "HS", 2) == 0) {
		unsigned int n = 0;
		sig = malloc(EVP_MAX_MD_SIZE);
		if (sig == NULL || HMAC(EVP_sha256(), hmac_key, (int)hmac_len,
					(const unsigned char *)msg, strlen(msg), sig,
					&n) == NULL)
			goto done;
		siglen = n;
	} else if ((sig = sign_pkey(key, alg, msg, &siglen)) == NULL) {
		goto done;
	}
	s = tg_b64url_encode(sig ? sig : (const unsigned char *)"", siglen);
	if (s != NULL && asprintf(&out, "%s.%s", msg, s) < 0)
		out = NULL;
done:
	free(h);
	free(p);
	free(msg);
	free(sig);
	free(s);
	return out;
}

static char *bn_b64(const EVP_PKEY *pk, const char *name, size_t pad)
{
	BIGNUM *bn = NULL;
	unsigned char buf[1024];
	char *s = NULL;
	if (EVP_PKEY_get_bn_param(pk, name, &bn) == 1) {
		int n = pad ? BN_bn2binpad(bn, buf, (int)pad) : BN_bn2bin(bn, buf);
		if (n > 0)
			s = tg_b64url_encode(buf, (size_t)n);
	}
	BN_free(bn);
	return s;
}

json_t *ctl_public_jwk(EVP_PKEY *pk, const char *kid, const char *alg)
{
	json_t *j = json_object();
	char *a = NULL, *b = NULL;
	if (EVP_PKEY_is_a(pk, "RSA")) {
		a = bn_b64(pk, OSSL_PKEY_PARAM_RSA_N, 0);
		b = bn_b64(pk, OSSL_PKEY_PARAM_RSA_E, 0);
		json_object_set_new(j, "kty", json_string("RSA"));
		json_object_set_new(j, "n", json_string(a ? a : ""));
		json_object_set_new(j, "e", json_string(b ? b : ""));
		if (!alg)
			alg = "RS256";
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		a = bn_b64(pk, OSSL_PKEY_PARAM_EC_PUB_X, 32);
		b = bn_b64(pk, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
		json_object_set_new(j, "kty", json_string("EC"));
		json_object_set_new(j, "crv", json_string("P-256"));
		json_object_set_new(j, "x", json_string(a ? a : ""));
		json_object_set_new(j, "y", json_string(b ? b : ""));
		alg = "ES256";
	} else if (EVP_PKEY_is_a(pk, "ED25519")) {
		unsigned char raw[32];
		size_t len = sizeof(raw);
		if (EVP_PKEY_get_raw_public_key(pk, raw, &len) == 1)
			a = tg_b64url_encode(raw, len);
		json_object_set_new(j, "kty", json_string("OKP"));
		json_object_set_new(j, "crv", json_string("Ed25519"));
		json_object_set_new(j, "x", json_string(a ? a : ""));
		alg = "EdDSA";
	} else {
		json_decref(j);
		return NULL;
	}
	free(a);
	free(b);
	json_object_set_new(j, "kid", json_string(kid));
	json_object_set_new(j, "alg", json_string(alg));
	json_object_set_new(j, "use", json_string("sig"));
	return j;
}

