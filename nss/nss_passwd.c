/*
 * nss_passwd.c - the passwd database of libnss_tokengate: by name, by
 * uid, and enumerated. glibc's fgetpwent_r parses (malformed lines are
 * skipped, and on ERANGE it seeks back to the line's start so the retry
 * with a larger buffer reads the same record); tgn_passwd_ok decides
 * which parsed records are answered.
 */
#include "nss_tokengate.h"

#include <errno.h>
#include <string.h>

/* The first valid record that matches (by name when name is set, else by
 * uid); NOTFOUND at the end of the file. */
static enum nss_status find(const char *name, uid_t uid, struct passwd *pw, char *buf,
	size_t len, int *errnop)
{
	FILE *fp;
	enum nss_status st = tgn_open(TGN_PASSWD, &fp, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	struct passwd *res;
	while ((st = tgn_read_status(fgetpwent_r(fp, pw, buf, len, &res), errnop)) ==
		NSS_STATUS_SUCCESS) {
		if (tgn_passwd_ok(pw) && (name ? strcmp(pw->pw_name, name) == 0 : pw->pw_uid == uid))
			break;
	}
	fclose(fp);
	if (st != NSS_STATUS_SUCCESS)
		memset(pw, 0, sizeof(*pw));
	return st;
}

enum nss_status _nss_tokengate_getpwnam_r(const char *name, struct passwd *pw, char *buf,
	size_t len, int *errnop)
{
	if (!tgn_name_ok(name))
		return NSS_STATUS_NOTFOUND;
	return find(name, 0, pw, buf, len, errnop);
}

enum nss_status _nss_tokengate_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t len,
	int *errnop)
{
	if (uid == 0 || uid == (uid_t)-1)
		return NSS_STATUS_NOTFOUND;
	return find(NULL, uid, pw, buf, len, errnop);
}

static struct tgn_enum pw_enum = { PTHREAD_MUTEX_INITIALIZER, NULL, TGN_PASSWD };

enum nss_status _nss_tokengate_setpwent(int stayopen)
{
	return tgn_enum_set(&pw_enum);
}

enum nss_status _nss_tokengate_endpwent(void)
{
	return tgn_enum_end(&pw_enum);
}

enum nss_status _nss_tokengate_getpwent_r(struct passwd *pw, char *buf, size_t len, int *errnop)
{
	enum nss_status st;
	struct passwd *res;
	pthread_mutex_lock(&pw_enum.lock);
	FILE *fp = tgn_enum_stream(&pw_enum, &st, errnop);
	while (fp != NULL &&
		(st = tgn_read_status(fgetpwent_r(fp, pw, buf, len, &res), errnop)) ==
			NSS_STATUS_SUCCESS && !tgn_passwd_ok(pw))
		;
	pthread_mutex_unlock(&pw_enum.lock);
	if (st != NSS_STATUS_SUCCESS)
		memset(pw, 0, sizeof(*pw));
	return st;
}
