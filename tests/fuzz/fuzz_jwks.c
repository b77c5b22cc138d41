/* fuzz_jwks - key set parsing and the key policy. */
#include <stdlib.h>

#include "tokengate.h"

static void on_skip(void *ud, size_t i, const char *kid, const char *cause)
{
	(void)ud;
	(void)i;
	(void)kid;
	if (cause == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int init;
	if (!init) {
		tg_crypto_init();
		init = 1;
	}
	tg_jwks *k = NULL;
	if (tg_jwks_parse((const char *)data, size, on_skip, NULL, &k) == TG_OK) {
		static const unsigned char sig[64];
		for (size_t i = 0; i < tg_jwks_count(k); i++)
			tg_jwks_verify_raw(k, i, "ES256", sig, 1, sig, sizeof(sig));
	}
	tg_jwks_free(k);
	return 0;
}
