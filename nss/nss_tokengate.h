/*
 * nss_tokengate.h - libnss_tokengate.so.2: passwd and group records for
 * people who exist only at the provider, from two local files in passwd(5)
 * and group(5) format (DESIGN section 13, docs/USERS.md). No network, no
 * session store, no lock held across calls (except the enumeration
 * position), no environment (the test build only: TG_NSS_DIR), no memory
 * kept between calls (except the enumeration stream).
 */
#ifndef TG_NSS_TOKENGATE_H
#define TG_NSS_TOKENGATE_H

#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#ifndef TG_NSS_DIR
#define TG_NSS_DIR "/var/lib/tokengate-nss"
#endif

#define TGN_EXPORT __attribute__((visibility("default")))

/* nss_db.c: the database files and the record rules */
enum tgn_file { TGN_PASSWD, TGN_GROUP };
/* The file opened for reading after the safety checks (directory and file
 * root-owned, not group/other writable, no symlink as last component, a
 * regular file): NSS_STATUS_SUCCESS and *fp, else NSS_STATUS_UNAVAIL with
 * *errnop set (ENOENT: absent or refused). */
enum nss_status tgn_open(enum tgn_file which, FILE **fp, int *errnop);
bool tgn_name_ok(const char *name);
bool tgn_passwd_ok(const struct passwd *pw);
bool tgn_group_ok(const struct group *gr);
/* A parse or read result of fgetpwent_r/fgetgrent_r as an NSS status. */
enum nss_status tgn_read_status(int rc, int *errnop);

/* The one state kept between calls: an enumeration's stream, behind its
 * mutex. The caller of tgn_enum_stream holds e->lock. */
struct tgn_enum {
	pthread_mutex_t lock;
	FILE *fp;
	enum tgn_file which;
};
enum nss_status tgn_enum_set(struct tgn_enum *e);
enum nss_status tgn_enum_end(struct tgn_enum *e);
/* the open stream (opened now when setent was not called), or NULL */
FILE *tgn_enum_stream(struct tgn_enum *e, enum nss_status *st, int *errnop);

/* nss_passwd.c */
TGN_EXPORT enum nss_status _nss_tokengate_getpwnam_r(const char *name, struct passwd *pw,
	char *buf, size_t len, int *errnop);
TGN_EXPORT enum nss_status _nss_tokengate_getpwuid_r(uid_t uid, struct passwd *pw,
	char *buf, size_t len, int *errnop);
TGN_EXPORT enum nss_status _nss_tokengate_setpwent(int stayopen);
TGN_EXPORT enum nss_status _nss_tokengate_getpwent_r(struct passwd *pw, char *buf, size_t len,
	int *errnop);
TGN_EXPORT enum nss_status _nss_tokengate_endpwent(void);

/* nss_group.c */
TGN_EXPORT enum nss_status _nss_tokengate_getgrnam_r(const char *name, struct group *gr,
	char *buf, size_t len, int *errnop);
TGN_EXPORT enum nss_status _nss_tokengate_getgrgid_r(gid_t gid, struct group *gr,
	char *buf, size_t len, int *errnop);
TGN_EXPORT enum nss_status _nss_tokengate_setgrent(int stayopen);
TGN_EXPORT enum nss_status _nss_tokengate_getgrent_r(struct group *gr, char *buf, size_t len,
	int *errnop);
TGN_EXPORT enum nss_status _nss_tokengate_endgrent(void);

/* nss_initgroups.c */
TGN_EXPORT enum nss_status _nss_tokengate_initgroups_dyn(const char *user, gid_t group,
	long int *start, long int *size, gid_t **groupsp, long int limit, int *errnop);

#endif
