/*
 * username.h - the one rule for a login name, shared by the PAM module
 * (PAM_USER) and the library (the name a token's username claim maps to):
 * 1 to 256 bytes, not starting with '-', no control character, DEL or '/'.
 * Header-only, so the module links nothing more for it.
 */
#ifndef TG_USERNAME_H
#define TG_USERNAME_H

#include <stdbool.h>
#include <string.h>

static inline bool tg_login_name_ok(const char *u)
{
	size_t n = u ? strlen(u) : 0;
	if (n == 0 || n > 256 || u[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)u[i] < 0x20 || u[i] == 0x7f || u[i] == '/')
			return false;
	return true;
}

/* A name in a passwd or group line that tokengate writes or serves (a
 * record of a person who exists only at the provider, a provider group):
 * a login name, and none of what those lines use as separators or what
 * other NSS sources treat specially: no ':' (fields), ',' (members),
 * space or tab, not '+' or '@' first (nss_compat, netgroups), not '.'
 * first (a file name in the store's index: ".", "..", hidden), not all
 * digits (a name that reads as an id), not root. */
static inline bool tg_record_name_ok(const char *u)
{
	if (!tg_login_name_ok(u) || strcmp(u, "root") == 0 || u[0] == '+' || u[0] == '@' ||
	    u[0] == '.')
		return false;
	if (strpbrk(u, ":, \t") != NULL)
		return false;
	return strspn(u, "0123456789") != strlen(u);
}

#endif
