/*
 * bench_verify - verification throughput per algorithm: tg_token_validate
 * (whole token: decode, JSON, key lookup, signature, claims) next to a bare
 * EVP_DigestVerify of the same signature with the same public key, in one
 * run, interleaved (batches of 16 alternate, so machine load falls on both
 * sides alike; the ratio is the median over the rounds). The ratio is the figure: what tokengate's checks cost over
 * the crypto. The raw side is what a caller writes (signature decoded,
 * DigestVerifyInit, DigestVerify, per token); the crypto floor is a copy of
 * a context prepared once per key (as tokengate does) on a signature
 * decoded once: tokengate over it is the whole cost of its checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ctl_sign.h"
#include "tokengate.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The signature as OpenSSL verifies it (DER for ES256), malloc'd; NULL on
 * error. */
static unsigned char *raw_sig(const char *alg, const char *tok, size_t *slen)
{
	const char *dot = strrchr(tok, '.');
	unsigned char *sig = NULL, *der = NULL;
	size_t siglen = 0;
	if (tg_b64url_decode(dot + 1, strlen(dot + 1), &sig, &siglen) != TG_OK)
		return NULL;
	*slen = siglen;
	if (strcmp(alg, "ES256") != 0)
		return sig;
	ECDSA_SIG *es = ECDSA_SIG_new();
	ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
	int n = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (n > 0 && (size_t)n <= siglen + 8 && (sig = realloc(sig, (size_t)n)) != NULL) {
		memcpy(sig, der, (size_t)n);
		*slen = (size_t)n;
	}
	OPENSSL_free(der);
	return sig;
}

static EVP_MD_CTX *raw_init(EVP_PKEY *k, const char *alg)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int eddsa = strcmp(alg, "EdDSA") == 0;
	EVP_DigestVerifyInit(md, &pctx, eddsa ? NULL : EVP_sha256(), NULL, k);
	if (strcmp(alg, "PS256") == 0) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32);
	}
	return md;
}

struct raw {
	EVP_PKEY *k;		/* the public key tokengate imported, re-read from DER */
	const char *alg;
	const char *tok;
	size_t msglen;
	unsigned char *sig;	/* decoded once, for the crypto floor */
	size_t siglen;
	EVP_MD_CTX *prepared;	/* NULL: a caller's raw verify, see raw_verify */
};

/* Raw EVP verify of the token's signature. As a caller writes it (prepared
 * NULL): the signature decoded (and DER for ES256), DigestVerifyInit and
 * DigestVerify, per token. The crypto floor (prepared set): a copy of a
 * context initialised once, on the signature decoded once. */
static int raw_verify(const struct raw *r)
{
	EVP_MD_CTX *md;
	unsigned char *sig = r->sig;
	size_t siglen = r->siglen;
	if (r->prepared != NULL) {
		md = EVP_MD_CTX_new();
		EVP_MD_CTX_copy_ex(md, r->prepared);
		EVP_MD_CTX_set_flags(md, EVP_MD_CTX_FLAG_FINALISE);
	} else {
		sig = raw_sig(r->alg, r->tok, &siglen);
		md = raw_init(r->k, r->alg);
	}
	int ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)r->tok,
				  r->msglen);
	EVP_MD_CTX_free(md);
	if (sig != r->sig)
		free(sig);
	return ok == 1;
}

/* The public half of k, as a fresh key object (what a JWK import makes). */
static EVP_PKEY *public_only(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	const unsigned char *p = der;
	EVP_PKEY *pub = n > 0 ? d2i_PUBKEY(NULL, &p, n) : NULL;
	OPENSSL_free(der);
	return pub;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n ? v[n / 2] : 0;
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

	struct raw r = { .k = public_only(k), .alg = alg, .tok = tok,
			 .msglen = (size_t)(strrchr(tok, '.') - tok) };
	r.sig = raw_sig(alg, tok, &r.siglen);
	EVP_MD_CTX *prepared = raw_init(r.k, alg);

	/* three sides, a batch of 16 each in turn, until each had secs; the
	 * ratios are the medians over the rounds (a round preempted on a busy
	 * machine moves a mean, hardly a median) */
	long n[3] = { 0, 0, 0 }, bad = r.k == NULL || r.sig == NULL;
	double spent[3] = { 0, 0, 0 };
	size_t rounds = 0, cap = 0;
	double *vs_raw = NULL, *vs_floor = NULL;
	while (spent[0] < secs || spent[1] < secs || spent[2] < secs) {
		double t[3];
		for (int side = 0; side < 3; side++) {
			double t0 = now_s();
			for (int i = 0; i < 16; i++, n[side]++) {
				if (side == 0) {
					tg_token *tt = NULL;
					bad += tg_token_validate(p, keys, tok, strlen(tok), &tt) != TG_OK;
					tg_token_free(tt);
				} else {
					r.prepared = side == 2 ? prepared : NULL;
					bad += !raw_verify(&r);
				}
			}
			t[side] = now_s() - t0;
			spent[side] += t[side];
		}
		if (rounds == cap) {
			cap = cap ? 2 * cap : 1024;
			vs_raw = realloc(vs_raw, cap * sizeof(double));
			vs_floor = realloc(vs_floor, cap * sizeof(double));
			if (vs_raw == NULL || vs_floor == NULL)
				exit(2);
		}
		vs_raw[rounds] = t[1] / t[0];	/* equal counts: a throughput ratio */
		vs_floor[rounds++] = t[2] / t[0];
	}
	printf("  %-6s tokengate %8.0f tokens/s   raw EVP_DigestVerify %8.0f /s   "
	       "crypto floor %8.0f /s   (%zu rounds, %s)\n", alg, (double)n[0] / spent[0],
	       (double)n[1] / spent[1], (double)n[2] / spent[2], rounds,
	       bad ? "ERRORS" : "all verified");
	printf("%s verify / raw EVP_DigestVerify: %.2fx (target >= 0.90x)%s"
	       "   [/ crypto floor: %.2fx]\n", alg, median(vs_raw, rounds),
	       bad ? "   ERRORS" : "", median(vs_floor, rounds));
	free(vs_raw);
	free(vs_floor);
	EVP_MD_CTX_free(prepared);
	EVP_PKEY_free(r.k);
	free(r.sig);
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
	printf("verification throughput, one core, %.1f s per side, interleaved:\n", secs);
	bench("RS256", rsa, secs);
	bench("PS256", rsa, secs);
	bench("ES256", ec, secs);
	bench("EdDSA", ed, secs);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ed);
	return 0;
}
