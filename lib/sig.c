/*
 * sig.c - signature verification with OpenSSL EVP, one algorithm per key.
 * JWS signatures have fixed lengths: the RSA modulus length, 64 bytes r||s
 * for ES256 (RFC 7518 section 3.4), 64 bytes for Ed25519.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "tg_internal.h"

/* r||s (32 + 32 bytes) to the DER form OpenSSL verifies. r = 0 or s = 0 is
 * refused here already; the range check against n is OpenSSL's. */
static unsigned char *ecdsa_p1363_to_der(const unsigned char *sig, size_t *len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL);
	BIGNUM *s = BN_bin2bn(sig + 32, 32, NULL);
	unsigned char *der = NULL;
	if (es == NULL || r == NULL || s == NULL || BN_is_zero(r) || BN_is_zero(s))
		goto fail;
	if (ECDSA_SIG_set0(es, r, s) != 1)
		goto fail;
	r = s = NULL; /* owned by es now */
	int n = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return NULL;
	*len = (size_t)n;
	return der;
fail:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return NULL;
}

static bool set_padding(EVP_PKEY_CTX *pctx, tg_alg alg)
{
	if (alg == TG_ALG_RS256)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
	if (alg == TG_ALG_PS256)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0 &&
		       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0;
	return true;
}

/* The context slot of alg on a key: RSA keys unbound to an alg may hold
 * both RS256 and PS256. */
static size_t slot(tg_alg alg)
{
	return alg == TG_ALG_PS256 ? 1 : 0;
}

/* A context initialised for (k, alg), ready for one EVP_DigestVerify. */
static EVP_MD_CTX *verify_ctx_new(const struct tg_key *k, tg_alg alg)
{
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const EVP_MD *digest = alg == TG_ALG_EDDSA ? NULL : EVP_sha256();
	if (md == NULL || EVP_DigestVerifyInit(md, &pctx, digest, NULL, k->pkey) != 1 ||
	    !set_padding(pctx, alg)) {
		EVP_MD_CTX_free(md);
		return NULL;
	}
	return md;
}

/* DigestVerifyInit (algorithm fetches, a new provider context, padding)
 * is done once per key here; each verification copies the result. */
void tg_sig_prepare(struct tg_key *k)
{
	static const tg_alg algs[] = { TG_ALG_RS256, TG_ALG_PS256, TG_ALG_ES256,
				       TG_ALG_EDDSA };
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (tg_key_fits(k, algs[i]) && k->verify[slot(algs[i])] == NULL)
			k->verify[slot(algs[i])] = verify_ctx_new(k, algs[i]);
}

/* A context for one verification: a copy of the key's prepared one, or a
 * fresh one when there is none. NULL when neither could be made. */
static EVP_MD_CTX *verify_ctx(const struct tg_key *k, tg_alg alg)
{
	const EVP_MD_CTX *prepared = k->verify[slot(alg)];
	if (prepared == NULL)
		return verify_ctx_new(k, alg);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (md == NULL || EVP_MD_CTX_copy_ex(md, prepared) != 1) {
		EVP_MD_CTX_free(md);
		return NULL;
	}
	return md;
}

tg_rc tg_sig_verify(const struct tg_key *k, tg_alg alg, const unsigned char *msg,
		    size_t msglen, const unsigned char *sig, size_t siglen)
{
	if (k == NULL || !tg_key_fits(k, alg))
		return TG_E_ALG_NOT_ALLOWED;
	if (siglen != k->sig_len)
		return TG_E_BAD_SIGNATURE;

	unsigned char *der = NULL;
	size_t derlen = 0;
	if (alg == TG_ALG_ES256) {
		der = ecdsa_p1363_to_der(sig, &derlen);
		if (der == NULL)
			return TG_E_BAD_SIGNATURE;
		sig = der;
		siglen = derlen;
	}

	tg_rc rc = TG_E_BAD_SIGNATURE;
	EVP_MD_CTX *md = verify_ctx(k, alg);
	if (md == NULL) {
		rc = TG_E_INTERNAL;
		goto out;
	}
	/* one message per context: the final step need not work on a copy */
	EVP_MD_CTX_set_flags(md, EVP_MD_CTX_FLAG_FINALISE);
	if (EVP_DigestVerify(md, sig, siglen, msg, msglen) == 1)
		rc = TG_OK;
out:
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return rc;
}

void tg_crypto_init(void)
{
	/* No configuration file: the helper's behaviour must not depend on
	 * openssl.cnf or on anything the environment could name. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
}
