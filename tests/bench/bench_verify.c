/*
 * bench_verify - verification throughput per algorithm: tg_token_validate
 * (whole token: decode, JSON, key lookup, signature, claims) next to a bare
 * EVP_DigestVerify of the same signature with the same key, in one run.
 * The ratio is the figure: what tokengate's checks cost over the crypto.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "ctl_sign.h"
#include "tokengate.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Raw EVP verify of the token's signature, as a caller would write it. */
static int raw_verify(EVP_PKEY *k, const char *alg, const char *tok)
{
	const char *dot = strrchr(tok, '.');
	unsigned char *sig = NULL, *der = NULL;
	size_t siglen = 0;
	tg_b64url_decode(dot + 1, strlen(dot + 1), &sig, &siglen);
	const unsigned char *s = sig;
	size_t slen = siglen;
	if (strcmp(alg, "ES256") == 0) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
		int n = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		s = der;
		slen = (size_t)n;
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int eddsa = strcmp(alg, "EdDSA") == 0;
	EVP_DigestVerifyInit(md, &pctx, eddsa ? NULL : EVP_sha256(), NULL, k);
	if (strcmp(alg, "PS256") == 0) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
	}
	int ok = EVP_DigestVerify(md, s, slen, (const unsigned char *)tok,
				  (size_t)(dot - tok));
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	free(sig);
	return ok == 1;
}

static void bench(const char *alg, EVP_PKEY *k, double secs)
{
	json_t *set = json_pack("{s:[o]}", "keys", ctl_public_jwk(k, "b1", alg));
	char *jwks = json_dumps(set, 0);
	tg_jwks *keys = NULL;
	tg_jwks_parse(jwks, strlen(jwks), NULL, NULL, &keys);
	char hdr[128], pl[512];
	long long t = (long long)time(NULL);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"b1\",\"typ\":\"at+jwt\"}", alg);
	snprintf(pl, sizeof(pl), "{\"iss\":\"https://idp.bench\",\"aud\":\"hosts\",\"sub\":\"s\","
		 "\"preferred_username\":\"alice\",\"groups\":[\"a\",\"b\"],\"iat\":%lld,\"exp\":%lld}",
		 t, t + 3600);
	char *tok = ctl_jws_sign(k, NULL, 0, alg, hdr, pl);
	tg_policy *p = tg_policy_new();
	tg_policy_set_issuer(p, "https://idp.bench");
	tg_policy_set_audience(p, "hosts");
	tg_policy_set_user(p, "alice");

	long n1 = 0, n2 = 0, bad = 0;
	double t0 = now_s(), t1;
	do {
		for (int i = 0; i < 16; i++, n1++) {
			tg_token *tt = NULL;
			bad += tg_token_validate(p, keys, tok, strlen(tok), &tt) != TG_OK;
			tg_token_free(tt);
		}
	} while ((t1 = now_s()) - t0 < secs);
	double tg_rate = (double)n1 / (t1 - t0);
	t0 = now_s();
	do {
		for (int i = 0; i < 16; i++, n2++)
			bad += !raw_verify(k, alg, tok);
	} while ((t1 = now_s()) - t0 < secs);
	double raw_rate = (double)n2 / (t1 - t0);
	printf("  %-6s tokengate %9.0f tokens/s   raw EVP_DigestVerify %9.0f /s   "
	       "ratio %.2f   (%s)\n", alg, tg_rate, raw_rate, tg_rate / raw_rate,
	       bad ? "ERRORS" : "all verified");
	free(tok);
	free(jwks);
	json_decref(set);
	tg_jwks_free(keys);
	tg_policy_free(p);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	tg_crypto_init();
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	printf("verification throughput, one core, %.1f s per measurement:\n", secs);
	bench("RS256", rsa, secs);
	bench("PS256", rsa, secs);
	bench("ES256", ec, secs);
	bench("EdDSA", ed, secs);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ed);
	return 0;
}
