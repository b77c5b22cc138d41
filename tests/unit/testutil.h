/*
 * testutil.h - shared pieces of the cmocka unit tests.
 */
#ifndef TG_TESTUTIL_H
#define TG_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tokengate.h"

/* The directory of the Wycheproof vectors (set by the Makefile). */
#ifndef TG_VECTORS
#define TG_VECTORS "../shared/vectors/wycheproof"
#endif

#define assert_rc(expr, want) assert_string_equal(tg_reason(expr), tg_reason(want))

/* A group's own temporary directory (no host state): tu_tmpdir makes
 * /tmp/tg-NAME.XXXXXX into dir, tu_rmdir removes it and all inside. */
static inline int tu_tmpdir(char *dir, size_t len, const char *name)
{
	int n = snprintf(dir, len, "/tmp/tg-%s.XXXXXX", name);
	return n > 0 && (size_t)n < len && mkdtemp(dir) != NULL ? 0 : -1;
}

static inline int tu_rmdir(const char *dir)
{
	char cmd[160];
	int n = snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return n > 0 && (size_t)n < sizeof(cmd) && system(cmd) == 0 ? 0 : -1;
}

#endif
