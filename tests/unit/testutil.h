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
#include <string.h>

#include <cmocka.h>

#include "tokengate.h"

/* The directory of the Wycheproof vectors (set by the Makefile). */
#ifndef TG_VECTORS
#define TG_VECTORS "../shared/vectors/wycheproof"
#endif

#define assert_rc(expr, want) assert_string_equal(tg_reason(expr), tg_reason(want))

#endif
