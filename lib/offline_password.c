/*
 * offline_password.c - the offline password verifier: a yescrypt hash
 * (libcrypt) of the password the provider last accepted, kept in the
 * session as "verifier", checked only inside the offline grace window,
 * compared in constant time.
 * libcrypt is loaded on first use (dlopen by soname), as libcurl is: only
 * the password path needs it, and a token login does not pay for mapping it.
 */
#include <crypt.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tg_internal.h"

#define TG_CRYPT_SONAME "libcrypt.so.1"	/* Debian: libcrypt1 (libxcrypt) */

static struct {
	__typeof__(crypt_rn) *rn;
	__typeof__(crypt_gensalt_rn) *gensalt_rn;
} lc;
static pthread_once_t lc_once = PTHREAD_ONCE_INIT;

static void lc_load(void)
{
	void *dl = dlopen(TG_CRYPT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL)
		return;
	*(void **)&lc.rn = dlsym(dl, "crypt_rn");
	*(void **)&lc.gensalt_rn = dlsym(dl, "crypt_gensalt_rn");
	if (lc.rn == NULL || lc.gensalt_rn == NULL) { /* both or neither */
		lc.rn = NULL;
		lc.gensalt_rn = NULL;
	}
}

/* libcrypt's functions, or false (no hash can be computed: TG_E_INTERNAL). */
static bool lc_ready(void)
{
	return pthread_once(&lc_once, lc_load) == 0 && lc.rn != NULL;
}

/* yescrypt of password under setting (a fresh one, or a verifier),
 * compared in constant time to want when it is given, else copied to
 * *out. TG_E_INTERNAL when no hash could be computed. */
static tg_rc hash(const char *password, const char *setting, const char *want, char **out)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return TG_E_NOMEM;
	tg_rc rc = TG_E_INTERNAL;
	const char *h = lc.rn(password, setting, cd, sizeof(*cd));
	if (h != NULL && h[0] == '$' && want != NULL) {
		size_t n = strlen(want);
		rc = strlen(h) == n && CRYPTO_memcmp(h, want, n) == 0 ? TG_OK : TG_E_BAD_PASSWORD;
	} else if (h != NULL && h[0] == '$' && (*out = tg_strdup(h)) != NULL) {
		rc = TG_OK;
	}
	OPENSSL_cleanse(cd, sizeof(*cd));
	free(cd);
	return rc;
}

tg_rc tg_offline_pw_make(const char *password, char **out)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	*out = NULL;
	if (!lc_ready() || lc.gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)) == NULL)
		return TG_E_INTERNAL;
	return hash(password, setting, NULL, out);
}

/* TG_OK, TG_E_BAD_PASSWORD for a hash that differs, and TG_E_INTERNAL
 * when no hash could be computed (out of memory, a damaged verifier): a
 * local failure is never a wrong guess. */
tg_rc tg_offline_pw_check(const char *verifier, const char *password)
{
	if (password == NULL)
		return TG_E_BAD_PASSWORD;
	if (verifier == NULL || strncmp(verifier, "$y$", 3) != 0 || !lc_ready())
		return TG_E_INTERNAL;
	return hash(password, verifier, verifier, NULL);
}
