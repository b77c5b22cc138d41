/*
 * b64url.c - strict base64url (RFC 4648 section 5, no padding), as JWS
 * requires: only A-Z a-z 0-9 - _, no '=', no whitespace, a length that is
 * not 1 mod 4, and zero bits in the unused tail of the last symbol.
 */
#include <stdlib.h>
#include <string.h>

#include "tg_internal.h"

static int sym_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

tg_rc tg_b64url_decode(const char *in, size_t inlen, unsigned char **out,
		       size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (in == NULL || inlen % 4 == 1 || inlen > SIZE_MAX / 3)
		return TG_E_MALFORMED;

	size_t cap = inlen / 4 * 3 + 3;
	unsigned char *buf = malloc(cap + 1);
	if (buf == NULL)
		return TG_E_NOMEM;

	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < inlen; i++) {
		int v = sym_value((unsigned char)in[i]);
		if (v < 0)
			goto bad;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits (2 or 4) must be zero: one encoding per value. */
	if (acc != 0)
		goto bad;
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return TG_OK;
bad:
	tg_wipe(buf, cap + 1);
	free(buf);
	return TG_E_MALFORMED;
}

char *tg_b64url_encode(const unsigned char *in, size_t inlen)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	if (inlen > (SIZE_MAX - 4) / 4 * 3)
		return NULL;
	char *s = malloc(inlen / 3 * 4 + 4 + 1);
	if (s == NULL)
		return NULL;
	size_t o = 0, i = 0;
	for (; i + 3 <= inlen; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		s[o++] = alphabet[v >> 18 & 63];
		s[o++] = alphabet[v >> 12 & 63];
		s[o++] = alphabet[v >> 6 & 63];
		s[o++] = alphabet[v & 63];
	}
	if (inlen - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		s[o++] = alphabet[v >> 18 & 63];
		s[o++] = alphabet[v >> 12 & 63];
	} else if (inlen - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		s[o++] = alphabet[v >> 18 & 63];
		s[o++] = alphabet[v >> 12 & 63];
		s[o++] = alphabet[v >> 6 & 63];
	}
	s[o] = '\0';
	return s;
}
