/*
 * nsscheck - the NSS contract of libnss_tokengate where getent cannot show
 * it: the module (the test build) is dlopen'ed and its _nss_tokengate_*
 * functions called directly, so each status and *errnop is seen as glibc
 * sees it. Writes its fixture into $TG_NSS_DIR (an existing directory,
 * owned by root as the module requires).
 *   nsscheck MODULE.so
 * Checks: ERANGE with a small buffer (TRYAGAIN + ERANGE, then the same
 * record with a larger one, in lookups and in enumeration), uid 0 / root
 * never answered, one enumeration shared by threads (every record once),
 * lookups beside it, initgroups_dyn (growth, limit, no duplicates, not the
 * primary group), and a missing directory (UNAVAIL, ENOENT, no crash).
 */
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NUSERS 200
#define BASE 300000

typedef enum nss_status (*pwnam_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*pwuid_fn)(uid_t, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grnam_fn)(const char *, struct group *, char *, size_t, int *);
typedef enum nss_status (*grgid_fn)(gid_t, struct group *, char *, size_t, int *);
typedef enum nss_status (*setent_fn)(int);
typedef enum nss_status (*endent_fn)(void);
typedef enum nss_status (*pwent_fn)(struct passwd *, char *, size_t, int *);
typedef enum nss_status (*grent_fn)(struct group *, char *, size_t, int *);
typedef enum nss_status (*initgr_fn)(const char *, gid_t, long int *, long int *, gid_t **,
	long int, int *);

static pwnam_fn pwnam;
static pwuid_fn pwuid;
static grnam_fn grnam;
static grgid_fn grgid;
static setent_fn setpw, setgr;
static endent_fn endpw, endgr;
static pwent_fn pwent;
static grent_fn grent;
static initgr_fn initgr;

static int fails, checks;
static void check(bool ok, const char *what)
{
	checks++;
	if (!ok)
		fails++;
	printf("  %s %s\n", ok ? "ok  " : "FAIL", what);
}

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);
	if (p == NULL) {
		fprintf(stderr, "nsscheck: %s missing\n", name);
		exit(2);
	}
	return p;
}

static void write_fixture(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/passwd", dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		exit(2);
	fprintf(f, "root:x:0:0:root:/root:/bin/sh\n");
	fprintf(f, "toor:x:0:0:uid 0 by another name:/root:/bin/sh\n");
	for (int i = 1; i <= NUSERS; i++)
		fprintf(f, "cu%03d:x:%d:%d:C %d:/home/cu%03d:/bin/sh\n", i, BASE + i, BASE + i, i, i);
	char gecos[3001];
	memset(gecos, 'g', 3000);
	gecos[3000] = 0;
	fprintf(f, "long:x:%d:%d:%s:/home/long:/bin/sh\n", BASE + 999, BASE + 999, gecos);
	fclose(f);
	snprintf(path, sizeof(path), "%s/group", dir);
	if ((f = fopen(path, "w")) == NULL)
		exit(2);
	fprintf(f, "root:x:0:cu001\n");
	fprintf(f, "big:x:%d:", BASE + 5000);
	for (int i = 1; i <= NUSERS; i++)
		fprintf(f, "%scu%03d", i > 1 ? "," : "", i);
	fprintf(f, "\ng1:x:%d:cu001\n", BASE + 5001);
	fprintf(f, "g1again:x:%d:cu001\n", BASE + 5001);      /* the same gid twice */
	fprintf(f, "ownprimary:x:%d:cu001\n", BASE + 1);      /* cu001's primary gid */
	fprintf(f, "g2:x:%d:cu002\n", BASE + 5002);
	fclose(f);
}

static void lookups(void)
{
	struct passwd pw;
	struct group gr;
	char small[16], buf[8192];
	int err = 0;
	enum nss_status st = pwnam("cu001", &pw, small, sizeof(small), &err);
	check(st == NSS_STATUS_TRYAGAIN && err == ERANGE, "getpwnam_r, 16-byte buffer: TRYAGAIN, ERANGE");
	err = 0;
	st = pwnam("cu001", &pw, buf, sizeof(buf), &err);
	check(st == NSS_STATUS_SUCCESS && pw.pw_uid == BASE + 1 && strcmp(pw.pw_dir, "/home/cu001") == 0,
		"getpwnam_r, then a large buffer: the record");
	st = pwnam("long", &pw, buf, 1024, &err);
	check(st == NSS_STATUS_TRYAGAIN && err == ERANGE, "getpwnam_r of a 3000-byte record, 1 KiB buffer: ERANGE");
	st = pwnam("long", &pw, buf, sizeof(buf), &err);
	check(st == NSS_STATUS_SUCCESS && strlen(pw.pw_gecos) == 3000, "... 8 KiB: the whole record");
	st = pwuid(BASE + 2, &pw, small, sizeof(small), &err);
	check(st == NSS_STATUS_TRYAGAIN && err == ERANGE, "getpwuid_r, small buffer: ERANGE");
	st = pwuid(BASE + 2, &pw, buf, sizeof(buf), &err);
	check(st == NSS_STATUS_SUCCESS && strcmp(pw.pw_name, "cu002") == 0, "getpwuid_r: the record");
	check(pwuid(0, &pw, buf, sizeof(buf), &err) == NSS_STATUS_NOTFOUND, "getpwuid_r(0): NOTFOUND");
	check(pwnam("root", &pw, buf, sizeof(buf), &err) == NSS_STATUS_NOTFOUND, "getpwnam_r(root): NOTFOUND");
	check(pwnam("toor", &pw, buf, sizeof(buf), &err) == NSS_STATUS_NOTFOUND,
		"getpwnam_r(toor), uid 0 under another name: NOTFOUND");
	check(pwnam("nosuch", &pw, buf, sizeof(buf), &err) == NSS_STATUS_NOTFOUND, "unknown name: NOTFOUND");
	st = grnam("big", &gr, buf, 64, &err);
	check(st == NSS_STATUS_TRYAGAIN && err == ERANGE, "getgrnam_r of a 200-member group, 64 bytes: ERANGE");
	st = grnam("big", &gr, buf, sizeof(buf), &err);
	int nm = 0;
	while (st == NSS_STATUS_SUCCESS && gr.gr_mem[nm] != NULL)
		nm++;
	check(st == NSS_STATUS_SUCCESS && nm == NUSERS, "... large buffer: all 200 members");
	st = grgid(BASE + 5002, &gr, small, sizeof(small), &err);
	check(st == NSS_STATUS_TRYAGAIN && err == ERANGE, "getgrgid_r, small buffer: ERANGE");
	st = grgid(BASE + 5002, &gr, buf, sizeof(buf), &err);
	check(st == NSS_STATUS_SUCCESS && strcmp(gr.gr_name, "g2") == 0, "getgrgid_r: the record");
	check(grgid(0, &gr, buf, sizeof(buf), &err) == NSS_STATUS_NOTFOUND, "getgrgid_r(0): NOTFOUND");
	check(grnam("root", &gr, buf, sizeof(buf), &err) == NSS_STATUS_NOTFOUND, "getgrnam_r(root): NOTFOUND");
}

/* the enumeration with a buffer that one record does not fit: ERANGE, and
 * the retry with more room returns that record, not the next */
static void enumeration(void)
{
	struct passwd pw;
	char buf[8192];
	int err = 0, n = 0, eranges = 0, zero = 0;
	bool long_seen = false;
	setpw(0);
	size_t len = 256;
	enum nss_status st;
	while ((st = pwent(&pw, buf, len, &err)) != NSS_STATUS_NOTFOUND) {
		if (st == NSS_STATUS_TRYAGAIN && err == ERANGE && len == 256) {
			eranges++;
			len = sizeof(buf);
			continue;
		}
		if (st != NSS_STATUS_SUCCESS)
			break;
		n++;
		zero += pw.pw_uid == 0;
		if (strcmp(pw.pw_name, "long") == 0)
			long_seen = true;
		len = 256;
	}
	endpw();
	check(st == NSS_STATUS_NOTFOUND && eranges == 1 && long_seen,
		"getpwent_r: ERANGE once (the long record), and the retry returns it");
	check(n == NUSERS + 1 && zero == 0, "getpwent_r: every valid record once, none with uid 0");
	struct group gr;
	n = 0;
	setgr(0);
	while (grent(&gr, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS)
		n += gr.gr_gid != 0;
	endgr();
	check(n == 5, "getgrent_r: the 5 groups, not root's");
	/* no setpwent first: the stream opens on first use; endpwent twice */
	check(pwent(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS, "getpwent_r without setpwent");
	endpw();
	check(endpw() == NSS_STATUS_SUCCESS, "endpwent twice");
}

static atomic_int seen[NUSERS + 1000];
static atomic_int lookups_bad;

static void *enum_thread(void *arg)
{
	struct passwd pw;
	char buf[8192];
	int err = 0, i = 0;
	while (pwent(&pw, buf, sizeof(buf), &err) == NSS_STATUS_SUCCESS) {
		if (pw.pw_uid >= BASE && pw.pw_uid < BASE + NUSERS + 1000)
			atomic_fetch_add(&seen[pw.pw_uid - BASE], 1);
		struct passwd q;
		char qb[1024];
		char name[16];
		snprintf(name, sizeof(name), "cu%03d", (i++ % NUSERS) + 1);
		if (pwnam(name, &q, qb, sizeof(qb), &err) != NSS_STATUS_SUCCESS || strcmp(q.pw_name, name) != 0)
			atomic_fetch_add(&lookups_bad, 1);
	}
	return arg;
}

static void threads(void)
{
	pthread_t t[8];
	setpw(0);
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, enum_thread, NULL);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	endpw();
	int once = 0, more = 0;
	for (int i = 0; i < NUSERS + 1000; i++) {
		once += seen[i] == 1;
		more += seen[i] > 1;
	}
	check(once == NUSERS + 1 && more == 0,
		"one enumeration shared by 8 threads: every record exactly once");
	check(lookups_bad == 0, "getpwnam_r in the same threads meanwhile: every answer right");
}

static bool has(const gid_t *g, long n, gid_t want)
{
	int c = 0;
	for (long i = 0; i < n; i++)
		c += g[i] == want;
	return c == 1;
}

static void initgroups_dyn(void)
{
	long start = 0, size = 0;
	gid_t *g = NULL;
	int err = 0;
	enum nss_status st = initgr("cu001", BASE + 1, &start, &size, &g, 0, &err);
	check(st == NSS_STATUS_SUCCESS && start == 2 && has(g, start, BASE + 5000) &&
		has(g, start, BASE + 5001), "initgroups_dyn(cu001): big and g1, once each (g1's gid is on two lines)");
	check(!has(g, start, BASE + 1) && !has(g, start, 0), "... not the primary group, not gid 0");
	free(g);
	start = 1;
	size = 1;
	g = malloc(sizeof(gid_t));
	g[0] = BASE + 5000; /* already there (from files, say) */
	st = initgr("cu001", BASE + 1, &start, &size, &g, 0, &err);
	check(st == NSS_STATUS_SUCCESS && start == 2 && size >= 2 && has(g, start, BASE + 5000),
		"initgroups_dyn appends, grows the array, adds no duplicate");
	free(g);
	start = 0, size = 0, g = NULL;
	st = initgr("cu001", BASE + 1, &start, &size, &g, 1, &err);
	check(st == NSS_STATUS_SUCCESS && start == 1 && size == 1, "initgroups_dyn with limit 1: one group");
	free(g);
	start = 0, size = 0, g = NULL;
	check(initgr("root", 0, &start, &size, &g, 0, &err) == NSS_STATUS_NOTFOUND && start == 0,
		"initgroups_dyn(root): NOTFOUND, nothing added");
	free(g);
}

static void missing(void)
{
	struct passwd pw;
	struct group gr;
	char buf[1024];
	int err = 0;
	setenv("TG_NSS_DIR", "/nonexistent/tokengate-nss", 1);
	check(pwnam("cu001", &pw, buf, sizeof(buf), &err) == NSS_STATUS_UNAVAIL && err == ENOENT,
		"directory missing: getpwnam_r UNAVAIL, ENOENT");
	check(grgid(BASE + 5000, &gr, buf, sizeof(buf), &err) == NSS_STATUS_UNAVAIL, "... getgrgid_r UNAVAIL");
	check(setpw(0) == NSS_STATUS_UNAVAIL && pwent(&pw, buf, sizeof(buf), &err) == NSS_STATUS_UNAVAIL,
		"... setpwent and getpwent_r UNAVAIL");
	endpw();
	long start = 0, size = 0;
	gid_t *g = NULL;
	check(initgr("cu001", BASE + 1, &start, &size, &g, 0, &err) == NSS_STATUS_UNAVAIL && start == 0,
		"... initgroups_dyn UNAVAIL, nothing added");
	free(g);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("TG_NSS_DIR");
	if (argc != 2 || dir == NULL)
		return 2;
	write_fixture(dir);
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		fprintf(stderr, "nsscheck: %s\n", dlerror());
		return 2;
	}
	pwnam = (pwnam_fn)sym(h, "_nss_tokengate_getpwnam_r");
	pwuid = (pwuid_fn)sym(h, "_nss_tokengate_getpwuid_r");
	grnam = (grnam_fn)sym(h, "_nss_tokengate_getgrnam_r");
	grgid = (grgid_fn)sym(h, "_nss_tokengate_getgrgid_r");
	setpw = (setent_fn)sym(h, "_nss_tokengate_setpwent");
	setgr = (setent_fn)sym(h, "_nss_tokengate_setgrent");
	endpw = (endent_fn)sym(h, "_nss_tokengate_endpwent");
	endgr = (endent_fn)sym(h, "_nss_tokengate_endgrent");
	pwent = (pwent_fn)sym(h, "_nss_tokengate_getpwent_r");
	grent = (grent_fn)sym(h, "_nss_tokengate_getgrent_r");
	initgr = (initgr_fn)sym(h, "_nss_tokengate_initgroups_dyn");
	lookups();
	enumeration();
	threads();
	initgroups_dyn();
	missing();
	printf("  nsscheck: %d checks, %d failed\n", checks, fails);
	return fails ? 1 : 0;
}
