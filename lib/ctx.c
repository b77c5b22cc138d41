/*
 * ctx.c - the context's clock and its key-skip adapter (see ctx.h).
 */
#include <stdio.h>
#include <time.h>

#include "ctx.h"

int64_t tg_ctx_time(const struct tg_ctx *x)
{
	int64_t t = tg_unix_time() + x->clock_offset;
	return t > x->now ? t : x->now;
}

void tg_ctx_skip(void *ud, size_t index, const char *kid, const char *cause)
{
	char detail[320];
	snprintf(detail, sizeof(detail), "key[%zu] kid=%.64s skipped: %s", index,
		 kid ? kid : "-", cause);
	tg_ctx_event(ud, TG_EV_SKIP, "jwks_fetch", "skip", TG_E_MALFORMED, detail);
}
