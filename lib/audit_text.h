/*
 * audit_text.h - how audit values are written (audit.c), for the one
 * program that reads them back (tokengatectl audit): which byte sequences
 * are valid UTF-8, and which valid code points are escaped all the same.
 */
#ifndef TG_AUDIT_TEXT_H
#define TG_AUDIT_TEXT_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid (overlong,
 * surrogate, beyond U+10FFFF, cut short); *cp gets its code point. */
__attribute__((visibility("hidden"))) size_t tg_utf8_decode(const unsigned char *s,
							       size_t avail, unsigned *cp);
/* Is cp, valid, escaped in a value all the same (C1 controls, line and
 * paragraph separators, bidi and zero-width characters, U+FEFF)? */
__attribute__((visibility("hidden"))) int tg_audit_escaped_cp(unsigned cp);

#endif
