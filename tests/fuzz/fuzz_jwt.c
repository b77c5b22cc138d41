/* fuzz_jwt - whole-token validation against a real key set. */
#include <stdlib.h>
#include <string.h>

#include "tokengate.h"
#include "fuzz_jwks_seed.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static tg_jwks *keys;
	static tg_policy *p, *sigonly;
	if (keys == NULL) {
		tg_crypto_init();
		if (tg_jwks_parse(fuzz_jwks, strlen(fuzz_jwks), NULL, NULL, &keys) != TG_OK)
			abort();
		p = tg_policy_new();
		tg_policy_set_issuer(p, "https://idp.test");
		tg_policy_set_audience(p, "hosts");
		tg_policy_set_user(p, "alice");
		sigonly = tg_policy_new();
		tg_policy_set_signature_only(sigonly, 1);
	}
	tg_token *t = NULL;
	if (tg_token_validate(p, keys, (const char *)data, size, &t) == TG_OK)
		abort(); /* nobody can forge a signature by fuzzing */
	tg_token_free(t);
	t = NULL;
	tg_token_validate(sigonly, keys, (const char *)data, size, &t);
	tg_token_free(t);
	free(tg_token_peek_iss((const char *)data, size, 16384));
	return 0;
}
