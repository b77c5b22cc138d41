/*
 * b64url.c - strict base64url (RFC 4648 section 5, no padding), as JWS
 * requires: only A-Z a-z 0-9 - _, no '=', no whitespace, a length that is
 * not 1 mod 4, and zero bits in the unused tail of the last symbol.
 */
#include <stdlib.h>
#include <string.h>

#include "tg_internal.h"

/* Each byte's symbol value, -1 for anything outside the alphabet. */
static const signed char sym[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

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

	const unsigned char *u = (const unsigned char *)in;
	size_t o = 0, i = 0;
	/* whole quads: four symbols, three bytes */
	for (; i + 4 <= inlen; i += 4) {
		int a = sym[u[i]], b = sym[u[i + 1]], c = sym[u[i + 2]], d = sym[u[i + 3]];
		if ((a | b | c | d) < 0)
			goto bad;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		buf[o++] = (unsigned char)(v >> 16);
		buf[o++] = (unsigned char)(v >> 8);
		buf[o++] = (unsigned char)v;
	}
	/* the tail: 2 symbols (one byte) or 3 (two), and its unused bits
	 * zero: one encoding per value */
	size_t rest = inlen - i;
	if (rest > 0) {
		int a = sym[u[i]], b = sym[u[i + 1]], c = rest == 3 ? sym[u[i + 2]] : 0;
		if ((a | b | c) < 0)
			goto bad;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
		buf[o++] = (unsigned char)(v >> 16);
		if (rest == 3)
			buf[o++] = (unsigned char)(v >> 8);
		if ((rest == 2 && (v & 0xffff) != 0) || (rest == 3 && (v & 0xff) != 0))
			goto bad;
	}
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
