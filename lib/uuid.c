/*
 * uuid.c - random (version 4) UUIDs for session identifiers.
 */
#include <openssl/rand.h>

#include "tg_internal.h"

tg_rc tg_uuid4(char *buf, size_t len)
{
	unsigned char b[16];
	if (len < 37 || RAND_bytes(b, sizeof(b)) != 1)
		return TG_E_INTERNAL;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[o++] = '-';
		buf[o++] = hex[b[i] >> 4];
		buf[o++] = hex[b[i] & 15];
	}
	buf[o] = '\0';
	return TG_OK;
}
