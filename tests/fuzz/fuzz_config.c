/* fuzz_config - the config parser and the policies it builds. */
#include <stdlib.h>

#include "tokengate.h"

static void on_warn(void *ud, const char *msg)
{
	(void)ud;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	tg_config *c = NULL;
	char err[256];
	if (tg_config_parse("fuzz.conf", (const char *)data, size, on_warn, NULL, &c,
			    err, sizeof(err)) == TG_OK) {
		for (size_t i = 0; i < tg_config_issuer_count(c); i++) {
			tg_policy *p = NULL;
			if (tg_policy_from_config(c, i, "sshd", &p) == TG_OK)
				tg_policy_free(p);
		}
		tg_config_methods(c, "sudo");
	}
	tg_config_free(c);
	return 0;
}
