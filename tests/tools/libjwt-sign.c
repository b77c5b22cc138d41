/*
 * libjwt-sign - tokens from an implementation independent of tokengate
 * (Debian's libjwt), for tests and the demo:
 *   libjwt-sign ALG KEYFILE KID CLAIMS_JSON
 * ALG is RS256, ES256 or HS256; for HS256 the whole key file is the HMAC
 * secret (the classic forgery uses the issuer's public key PEM).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: libjwt-sign ALG KEYFILE KID CLAIMS_JSON\n");
		return 2;
	}
	FILE *f = fopen(argv[2], "r");
	static unsigned char key[65536];
	size_t n = f ? fread(key, 1, sizeof(key), f) : 0;
	if (f)
		fclose(f);
	jwt_alg_t alg = jwt_str_alg(argv[1]);
	jwt_t *j = NULL;
	char *out = NULL;
	if (n == 0 || alg == JWT_ALG_INVAL || jwt_new(&j) != 0 ||
	    jwt_add_header(j, "kid", argv[3]) != 0 ||
	    jwt_add_grants_json(j, argv[4]) != 0 ||
	    jwt_set_alg(j, alg, key, (int)n) != 0 || (out = jwt_encode_str(j)) == NULL) {
		fprintf(stderr, "libjwt-sign: cannot sign\n");
		return 1;
	}
	printf("%s\n", out);
	free(out);
	jwt_free(j);
	return 0;
}
