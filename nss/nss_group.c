/*
 * nss_group.c - the group database of libnss_tokengate: by name, by
 * gid, and enumerated. glibc's fgetgrent_r parses (malformed lines are
 * skipped, and on ERANGE it seeks back to the line's start so the retry
 * with a larger buffer reads the same record); tgn_group_ok decides
 * which parsed records are answered.
 */
#include "nss_tokengate.h"

#include <errno.h>
#include <string.h>

/* The first valid record that matches (by name when name is set, else by
 * gid); NOTFOUND at the end of the file. */
static enum nss_status find(const char *name, gid_t gid, struct group *gr, char *buf,
	size_t len, int *errnop)
{
	FILE *fp;
	enum nss_status st = tgn_open(TGN_GROUP, &fp, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	struct group *res;
	while ((st = tgn_read_status(fgetgrent_r(fp, gr, buf, len, &res), errnop)) ==
		NSS_STATUS_SUCCESS) {
		if (tgn_group_ok(gr) && (name ? strcmp(gr->gr_name, name) == 0 : gr->gr_gid == gid))
			break;
	}
	fclose(fp);
	if (st != NSS_STATUS_SUCCESS)
		memset(gr, 0, sizeof(*gr));
	return st;
}

enum nss_status _nss_tokengate_getgrnam_r(const char *name, struct group *gr, char *buf,
	size_t len, int *errnop)
{
	if (!tgn_name_ok(name))
		return NSS_STATUS_NOTFOUND;
	return find(name, 0, gr, buf, len, errnop);
}

enum nss_status _nss_tokengate_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t len,
	int *errnop)
{
	if (gid == 0 || gid == (gid_t)-1)
		return NSS_STATUS_NOTFOUND;
	return find(NULL, gid, gr, buf, len, errnop);
}

static struct tgn_enum gr_enum = { PTHREAD_MUTEX_INITIALIZER, NULL, TGN_GROUP };

enum nss_status _nss_tokengate_setgrent(int stayopen)
{
	return tgn_enum_set(&gr_enum);
}

enum nss_status _nss_tokengate_endgrent(void)
{
	return tgn_enum_end(&gr_enum);
}

enum nss_status _nss_tokengate_getgrent_r(struct group *gr, char *buf, size_t len, int *errnop)
{
	enum nss_status st;
	struct group *res;
	pthread_mutex_lock(&gr_enum.lock);
	FILE *fp = tgn_enum_stream(&gr_enum, &st, errnop);
	while (fp != NULL &&
		(st = tgn_read_status(fgetgrent_r(fp, gr, buf, len, &res), errnop)) ==
			NSS_STATUS_SUCCESS && !tgn_group_ok(gr))
		;
	pthread_mutex_unlock(&gr_enum.lock);
	if (st != NSS_STATUS_SUCCESS)
		memset(gr, 0, sizeof(*gr));
	return st;
}
