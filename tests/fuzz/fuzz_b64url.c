/* fuzz_b64url - strict base64url decode; decoded data re-encodes exactly. */
#include <stdlib.h>
#include <string.h>

#include "tokengate.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	unsigned char *out = NULL;
	size_t len = 0;
	if (tg_b64url_decode((const char *)data, size, &out, &len) == TG_OK) {
		char *again = tg_b64url_encode(out, len);
		/* canonical: one encoding per value */
		if (again == NULL || strlen(again) != size || memcmp(again, data, size))
			abort();
		free(again);
	}
	free(out);
	return 0;
}
