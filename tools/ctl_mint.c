/*
 * ctl_mint.c - tokengatectl mint: signs a token (tests, demos, break-glass)
 * with the EVP signer of ctl_sign.c, and tokengatectl jwks: the public JWKS
 * of a PEM key, for a static jwks_file.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ctl.h"
#include "ctl_sign.h"
#include "tokengate.h"

#define MAX_CLAIMS 32

struct mopts {
	const char *key, *kid, *iss, *aud, *sub, *user, *alg, *typ;
	long long ttl;
	const char *claims[MAX_CLAIMS];
	int nclaims;
};

/* k=v: v is taken as JSON when it parses as JSON, else as a string. */
static int add_claim(json_t *obj, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL || eq == kv)
		return -1;
	char *k = strndup(kv, (size_t)(eq - kv));
	json_t *v = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
	if (v == NULL)
		v = json_string(eq + 1);
	int r = k && v ? json_object_set_new(obj, k, v) : -1;
	free(k);
	return r;
}

static int parse_mint(int argc, char **argv, struct mopts *o)
{
	static const struct option lo[] = {
		{ "key", required_argument, NULL, 'K' },
		{ "kid", required_argument, NULL, 'k' },
		{ "iss", required_argument, NULL, 'i' },
		{ "aud", required_argument, NULL, 'a' },
		{ "sub", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "ttl", required_argument, NULL, 't' },
		{ "alg", required_argument, NULL, 'A' },
		{ "typ", required_argument, NULL, 'T' },
		{ "claim", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	char *end;
	o->ttl = 300;
	o->alg = "RS256";
	o->typ = "at+jwt";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'K': o->key = optarg; break;
		case 'k': o->kid = optarg; break;
		case 'i': o->iss = optarg; break;
		case 'a': o->aud = optarg; break;
		case 's': o->sub = optarg; break;
		case 'u': o->user = optarg; break;
		case 'A': o->alg = optarg; break;
		case 'T': o->typ = optarg; break;
		case 't':
			o->ttl = strtoll(optarg, &end, 10);
			if (*end)
				return -1;
			break;
		case 'c':
			if (o->nclaims == MAX_CLAIMS)
				return -1;
			o->claims[o->nclaims++] = optarg;
			break;
		default: return -1;
		}
	}
	if (optind != argc || !o->key || !o->kid || !o->iss || !o->aud || !o->sub)
		return -1;
	if (strcmp(o->alg, "RS256") && strcmp(o->alg, "ES256") &&
	    strcmp(o->alg, "PS256") && strcmp(o->alg, "EdDSA"))
		return -1;
	return 0;
}

static json_t *build_claims(const struct mopts *o)
{
	json_t *c = json_object();
	long long now = (long long)time(NULL);
	json_object_set_new(c, "iss", json_string(o->iss));
	json_object_set_new(c, "aud", json_string(o->aud));
	json_object_set_new(c, "sub", json_string(o->sub));
	json_object_set_new(c, "iat", json_integer(now));
	json_object_set_new(c, "exp", json_integer(now + o->ttl));
	if (o->user)
		json_object_set_new(c, "preferred_username", json_string(o->user));
	for (int i = 0; i < o->nclaims; i++)
		if (add_claim(c, o->claims[i]) < 0) {
			json_decref(c);
			return NULL;
		}
	return c;
}

int ctl_mint(int argc, char **argv)
{
	struct mopts o = { 0 };
	if (parse_mint(argc, argv, &o) < 0) {
		fputs("usage: tokengatectl mint --key PEM --kid KID --iss URL --aud AUD "
		      "--sub SUB [--user NAME] [--ttl SECONDS] "
		      "[--alg RS256|ES256|PS256|EdDSA] [--typ TYP] [--claim k=v ...]\n",
		      stderr);
		return CTL_USAGE;
	}
	EVP_PKEY *key = ctl_load_private_key(o.key);
	json_t *claims = build_claims(&o);
	json_t *hdr = json_pack("{s:s,s:s}", "alg", o.alg, "kid", o.kid);
	if (hdr && *o.typ)
		json_object_set_new(hdr, "typ", json_string(o.typ));
	char *h = hdr ? json_dumps(hdr, JSON_COMPACT) : NULL;
	char *payload = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
	char *out = NULL;
	int ret = CTL_USAGE;
	if (key == NULL)
		fprintf(stderr, "tokengatectl: cannot read a private key from %s\n", o.key);
	else if (h && payload &&
		 (out = ctl_jws_sign(key, NULL, 0, o.alg, h, payload)) != NULL)
		ret = CTL_OK;
	else
		fputs("tokengatectl: cannot sign (does --alg fit the key?)\n", stderr);
	if (out)
		printf("%s\n", out);
	free(out);
	free(h);
	free(payload);
	json_decref(hdr);
	json_decref(claims);
	EVP_PKEY_free(key);
	return ret;
}

int ctl_jwks(int argc, char **argv)
{
	const char *key = NULL, *kid = NULL, *alg = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--key")) key = argv[i + 1];
		else if (!strcmp(argv[i], "--kid")) kid = argv[i + 1];
		else if (!strcmp(argv[i], "--alg")) alg = argv[i + 1];
		else return CTL_USAGE;
	}
	if (!key || !kid || argc % 2 == 0) {
		fputs("usage: tokengatectl jwks --key PEM --kid KID [--alg ALG]\n", stderr);
		return CTL_USAGE;
	}
	FILE *f = fopen(key, "re");
	EVP_PKEY *pk = NULL;
	if (f != NULL) {
		pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		if (pk == NULL) {
			rewind(f);
			pk = PEM_read_PUBKEY(f, NULL, NULL, NULL);
		}
		fclose(f);
	}
	json_t *jwk = pk ? ctl_public_jwk(pk, kid, alg) : NULL;
	EVP_PKEY_free(pk);
	if (jwk == NULL) {
		fprintf(stderr, "tokengatectl: cannot read a supported key from %s\n", key);
		return CTL_USAGE;
	}
	json_t *set = json_pack("{s:[o]}", "keys", jwk);
	char *s = json_dumps(set, JSON_INDENT(2));
	printf("%s\n", s);
	free(s);
	json_decref(set);
	return CTL_OK;
}
