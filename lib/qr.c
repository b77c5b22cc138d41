/*
 * qr.c - a QR code drawn in text (Unicode half blocks, two module rows per
 * line) for the device login's verification URI. libqrencode is loaded
 * with dlopen on first use, as libcurl is: the warm path never pays for it,
 * and a host without it simply shows no code.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "tg_internal.h"

#define TG_QR_SONAME "libqrencode.so.4"
#define QUIET 2			/* modules of light border each side */
#define QR_MAX_INPUT 512

static struct {
	void *dl;
	__typeof__(QRcode_encodeString) *encode;
	__typeof__(QRcode_free) *free;
} qr;

static bool load_qr(void)
{
	if (qr.dl != NULL)
		return true;
	void *dl = dlopen(TG_QR_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL)
		return false;
	*(void **)&qr.encode = dlsym(dl, "QRcode_encodeString");
	*(void **)&qr.free = dlsym(dl, "QRcode_free");
	if (qr.encode == NULL || qr.free == NULL) {
		dlclose(dl);
		memset(&qr, 0, sizeof(qr));
		return false;
	}
	qr.dl = dl;
	return true;
}

/* Module (x, y) is dark; outside the symbol is the light quiet zone. */
static bool dark(const QRcode *c, int x, int y)
{
	if (x < 0 || y < 0 || x >= c->width || y >= c->width)
		return false;
	return (c->data[(size_t)y * (size_t)c->width + (size_t)x] & 1) != 0;
}

/* Light modules are drawn (a terminal's background is dark more often
 * than not; scanners read either polarity). */
static const char *glyph(bool top_light, bool bottom_light)
{
	if (top_light && bottom_light)
		return "\xe2\x96\x88";	/* full block */
	if (top_light)
		return "\xe2\x96\x80";	/* upper half */
	if (bottom_light)
		return "\xe2\x96\x84";	/* lower half */
	return " ";
}

static char *render(const QRcode *c)
{
	int side = c->width + 2 * QUIET;
	int lines = (side + 1) / 2;
	size_t cap = (size_t)lines * ((size_t)side * 3 + 1) + 1;
	char *out = malloc(cap), *p = out;
	if (out == NULL)
		return NULL;
	for (int l = 0; l < lines; l++) {
		int y = 2 * l - QUIET;
		for (int x = -QUIET; x < c->width + QUIET; x++) {
			bool bottom_in = 2 * l + 1 < side;
			const char *g = glyph(!dark(c, x, y), bottom_in && !dark(c, x, y + 1));
			size_t n = strlen(g);
			memcpy(p, g, n);
			p += n;
		}
		*p++ = '\n';
	}
	*p = '\0';
	return out;
}

char *tg_qr_text(const char *data)
{
	if (data == NULL || strlen(data) > QR_MAX_INPUT || !load_qr())
		return NULL;
	QRcode *c = qr.encode(data, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	if (c == NULL)
		return NULL;
	char *s = render(c);
	qr.free(c);
	return s;
}
