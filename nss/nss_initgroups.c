/*
 * nss_initgroups.c - the supplementary groups of a user (initgroups,
 * getgrouplist, id): every valid group of the group file that lists the
 * user as a member, appended to the caller's array as glibc's contract
 * for initgroups_dyn says (grown with realloc, never past limit when
 * limit > 0, no duplicates, not the primary group).
 */
#include "nss_tokengate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* a group line longer than this makes the answer UNAVAIL, not a loop */
#define TGN_LINE_MAX (4u << 20)

static bool member(const struct group *gr, const char *user)
{
	for (char **m = gr->gr_mem; *m != NULL; m++)
		if (strcmp(*m, user) == 0)
			return true;
	return false;
}

/* Append gid unless present; false when the array cannot grow (ENOMEM). */
static bool add(gid_t gid, long int *start, long int *size, gid_t **groupsp, long int limit)
{
	for (long int i = 0; i < *start; i++)
		if ((*groupsp)[i] == gid)
			return true;
	if (limit > 0 && *start >= limit)
		return true; /* full: the rest is dropped, as nss_files does */
	if (*start == *size) {
		long int n = *size > 0 ? 2 * *size : 16;
		if (limit > 0 && n > limit)
			n = limit;
		gid_t *g = realloc(*groupsp, (size_t)n * sizeof(gid_t));
		if (g == NULL)
			return false;
		*groupsp = g;
		*size = n;
	}
	(*groupsp)[(*start)++] = gid;
	return true;
}

/* One pass over the file with a buffer of len bytes: TRYAGAIN/ERANGE when
 * a line does not fit (the caller doubles it and starts again; gids
 * already added are not added twice). */
static enum nss_status scan(FILE *fp, const char *user, gid_t group, long int *start,
	long int *size, gid_t **groupsp, long int limit, char *buf, size_t len, int *errnop)
{
	struct group gr, *res;
	enum nss_status st;
	while ((st = tgn_read_status(fgetgrent_r(fp, &gr, buf, len, &res), errnop)) ==
		NSS_STATUS_SUCCESS) {
		if (gr.gr_gid == group || !tgn_group_ok(&gr) || !member(&gr, user))
			continue;
		if (!add(gr.gr_gid, start, size, groupsp, limit)) {
			*errnop = ENOMEM;
			return NSS_STATUS_TRYAGAIN;
		}
	}
	return st;
}

enum nss_status _nss_tokengate_initgroups_dyn(const char *user, gid_t group, long int *start,
	long int *size, gid_t **groupsp, long int limit, int *errnop)
{
	if (!tgn_name_ok(user))
		return NSS_STATUS_NOTFOUND;
	FILE *fp;
	enum nss_status st = tgn_open(TGN_GROUP, &fp, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	size_t len = 4096;
	char *buf = NULL;
	for (;;) {
		char *nb = realloc(buf, len);
		if (nb == NULL) {
			*errnop = ENOMEM;
			st = NSS_STATUS_TRYAGAIN;
			break;
		}
		buf = nb;
		st = scan(fp, user, group, start, size, groupsp, limit, buf, len, errnop);
		if (st != NSS_STATUS_TRYAGAIN || *errnop != ERANGE)
			break;
		if (len >= TGN_LINE_MAX) {
			st = NSS_STATUS_UNAVAIL;
			break;
		}
		len *= 2; /* the stream is back at the start of the long line */
	}
	free(buf);
	fclose(fp);
	/* every group read: SUCCESS, the end of the file being the normal end */
	return st == NSS_STATUS_NOTFOUND ? NSS_STATUS_SUCCESS : st;
}
