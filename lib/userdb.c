/*
 * userdb.c - the records of people who exist only at the provider
 * (userdb.h): kept in store_dir/users.json, published as nss_dir/passwd
 * and nss_dir/group for libnss_tokengate.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_internal.h"
#include "file.h"
#include "issuer.h"
#include "settings.h"
#include "userdb.h"
#include "username.h"

#define USERDB_FILE "users.json"
#define USERDB_LOCK "users.lock"
#define USERDB_MAX (64u * 1024u * 1024u)
#define NOLOGIN "/usr/sbin/nologin"

struct tg_userdb {
	const tg_config *cfg;
	int dfd;		/* store_dir */
	int lock;
	json_t *j;		/* { version, users, groups } */
	bool changed;
	json_t *dirty;		/* names whose index entry is to be rewritten */
};

/* Every stage of every login on a host with records asks who a name's
 * record belongs to (tg_userdb_identity): it reads one small file per
 * name, store_dir/users.d/NAME ("iss\nsub\n0|1\n", the last: disabled),
 * never the whole database (3 MB and 100 ms at 10,000 people). Entries
 * are written before users.json, so a failure between leaves the index
 * saying more than the database (a refusal), never less. */
#define USERDB_INDEX "users.d"

static void mark(tg_userdb *db, const char *name)
{
	db->changed = true;
	if (db->dirty != NULL)
		json_array_append_new(db->dirty, json_string(name));
}

/* ---- the host's own accounts (NSS), behind a seam ---- */

static bool nss_lookup(char kind, const char *name, uint32_t id, char *found, size_t foundlen,
		       uint32_t *found_id)
{
	char buf[16384];
	struct passwd pw, *pr = NULL;
	struct group gr, *grr = NULL;
	int e = 0;
	if (kind == 'u')
		e = getpwnam_r(name, &pw, buf, sizeof(buf), &pr);
	else if (kind == 'U')
		e = getpwuid_r(id, &pw, buf, sizeof(buf), &pr);
	else if (kind == 'g')
		e = getgrnam_r(name, &gr, buf, sizeof(buf), &grr);
	else
		e = getgrgid_r(id, &gr, buf, sizeof(buf), &grr);
	if (e != 0 && e != ENOENT && e != ESRCH)
		return true; /* cannot tell: taken, to be safe */
	if (pr != NULL) {
		snprintf(found, foundlen, "%s", pr->pw_name);
		*found_id = pr->pw_uid;
		return true;
	}
	if (grr != NULL) {
		snprintf(found, foundlen, "%s", grr->gr_name);
		*found_id = grr->gr_gid;
		return true;
	}
	return false;
}

static tg_userdb_lookup_fn lookup = nss_lookup;

void tg_userdb_set_lookup(tg_userdb_lookup_fn fn)
{
	lookup = fn != NULL ? fn : nss_lookup;
}

static tg_rc say(char *why, size_t len, tg_rc rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static tg_rc say(char *why, size_t len, tg_rc rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (why != NULL && len > 0)
		vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- open, load, close ---- */

static tg_rc load(tg_userdb *db, char *why, size_t whylen)
{
	char *text = NULL;
	size_t len = 0;
	const char *bad = NULL;
	tg_rc rc = tg_file_read_at(db->dfd, USERDB_FILE, USERDB_MAX,
				   TG_FILE_PRIVATE | TG_FILE_MISSING_OK, &text, &len, &bad);
	if (rc != TG_OK)
		return say(why, whylen, TG_E_IO, "%s: %s", USERDB_FILE, bad ? bad : "unreadable");
	if (text == NULL) {
		db->j = json_pack("{s:i,s:{},s:{}}", "version", 1, "users", "groups");
		return db->j != NULL ? TG_OK : TG_E_NOMEM;
	}
	rc = tg_json_parse_object(text, len, USERDB_MAX, 8, &db->j);
	free(text);
	if (rc != TG_OK || json_integer_value(json_object_get(db->j, "version")) != 1 ||
	    !json_is_object(json_object_get(db->j, "users")) ||
	    !json_is_object(json_object_get(db->j, "groups"))) {
		json_decref(db->j);
		db->j = NULL;
		return say(why, whylen, TG_E_MALFORMED, "%s: not a version-1 user database",
			   USERDB_FILE);
	}
	return TG_OK;
}

tg_rc tg_userdb_open(const tg_config *cfg, unsigned wait_ms, tg_userdb **out, char *why,
		     size_t whylen)
{
	*out = NULL;
	tg_userdb *db = calloc(1, sizeof(*db));
	if (db == NULL)
		return TG_E_NOMEM;
	db->cfg = cfg;
	db->lock = -1;
	db->dirty = json_array();
	db->dfd = tg_dir_open_private(tg_settings(cfg)->store_dir);
	tg_rc rc = TG_OK;
	if (db->dfd < 0)
		rc = say(why, whylen, TG_E_IO, "%s: cannot open the store directory",
			 tg_settings(cfg)->store_dir);
	if (rc == TG_OK && (db->lock = tg_file_lock_at(db->dfd, USERDB_LOCK, wait_ms)) < 0)
		rc = say(why, whylen, db->lock == -2 ? TG_E_TIMEOUT : TG_E_IO, "%s",
			 db->lock == -2 ? "the user database is busy (lock wait timed out)"
					: "cannot lock the user database");
	if (rc == TG_OK)
		rc = load(db, why, whylen);
	if (rc != TG_OK) {
		tg_userdb_close(db);
		return rc;
	}
	*out = db;
	return TG_OK;
}

void tg_userdb_close(tg_userdb *db)
{
	if (db == NULL)
		return;
	json_decref(db->j);
	json_decref(db->dirty);
	if (db->lock >= 0)
		close(db->lock);
	if (db->dfd >= 0)
		close(db->dfd);
	free(db);
}

/* ---- publishing: passwd(5) and group(5) lines ---- */

static const char *str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v != NULL ? v : "";
}

static json_int_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Appends to a growing buffer; false when out of memory. */
struct text {
	char *p;
	size_t len, cap;
};

static bool append(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool append(struct text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return false;
		if (t->p != NULL && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return true;
		}
		size_t cap = (t->cap + (size_t)n + 1) * 2;
		char *np = realloc(t->p, cap);
		if (np == NULL)
			return false;
		t->p = np;
		t->cap = cap;
	}
}

static bool passwd_text(json_t *users, struct text *t)
{
	const char *name;
	json_t *u;
	bool ok = append(t, "%s", "");
	json_object_foreach(users, name, u) {
		bool off = json_object_get(u, "disabled") != NULL;
		ok = ok && append(t, "%s:x:%lld:%lld:%s:%s:%s\n", name, (long long)num(u, "uid"),
				  (long long)num(u, "gid"), str(u, "gecos"), str(u, "home"),
				  off ? NOLOGIN : str(u, "shell"));
	}
	return ok;
}

/* Each provider group with the people whose records name them. (No group
 * is named after a person: a name such as "wheel" or "admin" would become
 * a group that sudoers or pam_wheel may already trust.) */
static bool group_text(json_t *users, json_t *groups, struct text *t)
{
	const char *name, *g;
	json_t *u, *v;
	bool ok = append(t, "%s", "");
	json_object_foreach(groups, g, v) {
		const char *sep = "";
		ok = ok && append(t, "%s:x:%lld:", g, (long long)num(v, "gid"));
		json_object_foreach(users, name, u) {
			size_t i;
			json_t *m;
			json_array_foreach(json_object_get(u, "groups"), i, m) {
				if (json_is_string(m) && strcmp(json_string_value(m), g) == 0) {
					ok = ok && append(t, "%s%s", sep, name);
					sep = ",";
				}
			}
		}
		ok = ok && append(t, "%s", "\n");
	}
	return ok;
}

static tg_rc publish(tg_userdb *db, char *why, size_t whylen)
{
	json_t *users = json_object_get(db->j, "users");
	struct text pw = { 0 }, gr = { 0 };
	tg_rc rc = passwd_text(users, &pw) && group_text(users, json_object_get(db->j, "groups"), &gr)
			   ? TG_OK : TG_E_NOMEM;
	int nfd = rc == TG_OK ? tg_dir_open_public(tg_settings(db->cfg)->nss_dir) : -1;
	if (rc == TG_OK && nfd < 0)
		rc = say(why, whylen, TG_E_IO, "%s: cannot open (must be root's, not writable by others)",
			 tg_settings(db->cfg)->nss_dir);
	/* group first: a passwd entry never names a group not yet published */
	if (rc == TG_OK && (tg_write_public_at(nfd, "group", gr.p, gr.len) != TG_OK ||
			    tg_write_public_at(nfd, "passwd", pw.p, pw.len) != TG_OK))
		rc = say(why, whylen, TG_E_IO, "%s: cannot write the NSS files",
			 tg_settings(db->cfg)->nss_dir);
	if (nfd >= 0)
		close(nfd);
	free(pw.p);
	free(gr.p);
	return rc;
}

/* The index entry of each changed name: written when it has a record,
 * removed when it has none. */
static tg_rc write_index(tg_userdb *db, char *why, size_t whylen)
{
	char path[4200], line[1200];
	snprintf(path, sizeof(path), "%s/" USERDB_INDEX, tg_settings(db->cfg)->store_dir);
	int ifd = tg_dir_open_private(path);
	if (ifd < 0)
		return say(why, whylen, TG_E_IO, "%s: cannot open", path);
	tg_rc rc = db->dirty != NULL ? TG_OK : TG_E_NOMEM;
	size_t i;
	json_t *v;
	json_array_foreach(db->dirty, i, v) {
		const char *name = json_string_value(v);
		const json_t *u = json_object_get(tg_userdb_users(db), name);
		if (rc != TG_OK)
			break;
		if (u == NULL) {
			rc = tg_file_remove_at(ifd, name);
			continue;
		}
		int n = snprintf(line, sizeof(line), "%s\n%s\n%d\n", str(u, "iss"), str(u, "sub"),
				 json_object_get(u, "disabled") != NULL);
		rc = n > 0 && (size_t)n < sizeof(line)
			     ? tg_write_atomically_at(ifd, name, line, (size_t)n) : TG_E_INTERNAL;
	}
	close(ifd);
	if (rc != TG_OK)
		say(why, whylen, rc, "%s: cannot write the index", path);
	return rc;
}

/* The published files are older than the database (a publish that failed
 * after the database was written), or missing. */
static bool nss_stale(const tg_userdb *db)
{
	struct stat u, p;
	char path[4200];
	if (fstatat(db->dfd, USERDB_FILE, &u, AT_SYMLINK_NOFOLLOW) != 0)
		return false; /* no database yet: nothing to publish */
	snprintf(path, sizeof(path), "%s/passwd", tg_settings(db->cfg)->nss_dir);
	if (lstat(path, &p) != 0)
		return true;
	return p.st_mtim.tv_sec < u.st_mtim.tv_sec ||
	       (p.st_mtim.tv_sec == u.st_mtim.tv_sec && p.st_mtim.tv_nsec < u.st_mtim.tv_nsec);
}

tg_rc tg_userdb_commit(tg_userdb *db, char *why, size_t whylen)
{
	tg_rc rc = TG_OK;
	if (!db->changed && nss_stale(db)) {
		rc = publish(db, why, whylen);
	} else if (db->changed) {
		rc = write_index(db, why, whylen);
		char *text = rc != TG_OK ? NULL : json_dumps(db->j, JSON_SORT_KEYS | JSON_INDENT(1));
		if (rc == TG_OK)
			rc = text == NULL ? TG_E_NOMEM
					  : tg_write_atomically_at(db->dfd, USERDB_FILE, text, strlen(text));
		free(text);
		if (rc == TG_E_IO && why != NULL && why[0] == '\0')
			say(why, whylen, rc, "%s: cannot write", USERDB_FILE);
		if (rc == TG_OK)
			rc = publish(db, why, whylen);
	}
	tg_userdb_close(db);
	return rc;
}

/* ---- records ---- */

json_t *tg_userdb_users(const tg_userdb *db)
{
	return json_object_get(db->j, "users");
}

tg_rc tg_userdb_find(const tg_userdb *db, const char *name, uint32_t *uid, bool *enabled)
{
	const json_t *u = json_object_get(tg_userdb_users(db), name);
	if (u == NULL)
		return TG_E_NO_CREDENTIALS;
	*uid = (uint32_t)num(u, "uid");
	*enabled = json_object_get(u, "disabled") == NULL;
	return TG_OK;
}

/* Is id taken by a record other than name's (a person's uid, or a
 * provider group's gid other than group's)? */
static const char *id_holder(const tg_userdb *db, uint32_t id, const char *name,
			     const char *group)
{
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(db->j, "users"), k, v) {
		if (num(v, "uid") == id && (name == NULL || strcmp(k, name)))
			return k;
	}
	json_object_foreach(json_object_get(db->j, "groups"), k, v) {
		if (num(v, "gid") == id && (group == NULL || strcmp(k, group)))
			return k;
	}
	return NULL;
}

/* A name or id the host has for itself: NSS knows it and it is not the
 * same record of ours. */
static bool taken_locally(char kind, const char *name, uint32_t id, const char *our_name,
			  uint32_t our_id, char *found, size_t foundlen)
{
	uint32_t fid = 0;
	if (!lookup(kind, name, id, found, foundlen, &fid))
		return false;
	return our_name == NULL || strcmp(found, our_name) != 0 || fid != our_id;
}

static tg_rc person_checks(const tg_userdb *db, const struct tg_user_in *in, uint32_t uid,
			   char *why, size_t whylen)
{
	const json_t *old = json_object_get(tg_userdb_users(db), in->name);
	char found[256];
	const char *k;
	json_t *v;
	if (!tg_record_name_ok(in->name))
		return say(why, whylen, TG_E_USER_MISMATCH, "%s is not a login name for a record", in->name);
	if (old != NULL && (strcmp(str(old, "iss"), in->iss) || strcmp(str(old, "sub"), in->sub)))
		return say(why, whylen, TG_E_USER_MISMATCH,
			   "the record %s belongs to another identity (sub %.64s)", in->name, str(old, "sub"));
	json_object_foreach(json_object_get(db->j, "users"), k, v) {
		if (strcmp(k, in->name) && !strcmp(str(v, "iss"), in->iss) && !strcmp(str(v, "sub"), in->sub))
			return say(why, whylen, TG_E_USER_MISMATCH,
				   "this identity already has the record %s", k);
	}
	const struct tg_id_range *ur = &tg_settings(db->cfg)->uid_range;
	if (!tg_id_in_range(ur, uid))
		return say(why, whylen, TG_E_CONFIG, "uid %u is outside uid_range %u-%u", uid, ur->lo, ur->hi);
	if ((k = id_holder(db, uid, in->name, NULL)) != NULL)
		return say(why, whylen, TG_E_USER_MISMATCH, "uid %u is taken by the record %s", uid, k);
	uint32_t ouid = old != NULL ? (uint32_t)num(old, "uid") : uid;
	if (taken_locally('u', in->name, 0, old ? in->name : NULL, ouid, found, sizeof(found)))
		return say(why, whylen, TG_E_USER_MISMATCH, "%s is a local account", in->name);
	if (taken_locally('U', NULL, uid, old ? in->name : NULL, ouid, found, sizeof(found)))
		return say(why, whylen, TG_E_USER_MISMATCH, "uid %u is the local account %s", uid, found);
	return TG_OK;
}

/* The unix group a provider group becomes, into out: group_map names it,
 * or unix_groups lets it through under its own name. false: none. */
static bool unix_group_of(const struct tg_issuer *h, const char *from, char *out, size_t outlen,
			  bool *mapped)
{
	*mapped = false;
	if (h->group_map != NULL) {
		for (size_t i = 0; i < h->group_map->from.n; i++) {
			if (strcmp(h->group_map->from.v[i], from) == 0) {
				snprintf(out, outlen, "%s", h->group_map->to.v[i]);
				*mapped = true;
				return tg_record_name_ok(out);
			}
		}
	}
	struct tg_strlist allow = { 0 };
	bool ok = false;
	if (h->unix_groups != NULL && tg_strlist_parse(&allow, h->unix_groups) == TG_OK)
		for (size_t i = 0; i < allow.n && !ok; i++)
			ok = fnmatch(allow.v[i], from, 0) == 0;
	tg_strlist_clear(&allow);
	if (!ok || !tg_record_name_ok(from) || strlen(from) >= outlen)
		return false;
	snprintf(out, outlen, "%s", from);
	return true;
}

/* The provider group from as a unix group of the record, added to
 * names; a collision leaves it out and says so in note. */
static tg_rc add_group(tg_userdb *db, const struct tg_issuer *h, const struct tg_user_in *in,
		       const char *from, json_t *names, char *note, size_t notelen)
{
	char g[64], found[256];
	bool mapped = false;
	uint32_t fid = 0;
	if (!unix_group_of(h, from, g, sizeof(g), &mapped))
		return TG_OK;
	json_t *groups = json_object_get(db->j, "groups");
	const json_t *known = json_object_get(groups, g);
	bool local = known != NULL ? json_is_true(json_object_get(known, "local"))
				   : lookup('g', g, 0, found, sizeof(found), &fid);
	if (local && !mapped) {
		/* a local group: only an explicit group_map line makes someone
		 * a member (of the local group itself: its gid, for initgroups) */
		snprintf(note, notelen, "provider group %.64s left out: %.64s is a local group "
			 "(group_map can name it)", from, g);
		return TG_OK;
	}
	if (known != NULL) {
		fid = (uint32_t)num(known, "gid");
		if (strcmp(str(known, "iss"), in->iss) != 0) {
			snprintf(note, notelen, "provider group %.64s left out: %.64s is another issuer's",
				 from, g);
			return TG_OK;
		}
	} else if (!local) {
		fid = tg_id_derive(&tg_settings(db->cfg)->gid_range, "gid", in->iss, g);
		const char *holder = id_holder(db, fid, NULL, g);
		if (!tg_id_in_range(&tg_settings(db->cfg)->gid_range, fid) || holder != NULL ||
		    lookup('G', NULL, fid, found, sizeof(found), &(uint32_t){ 0 })) {
			snprintf(note, notelen, "provider group %.64s left out: gid %u is taken", from, fid);
			return TG_OK;
		}
	}
	size_t i;
	json_t *m;
	json_array_foreach(names, i, m)
		if (strcmp(json_string_value(m), g) == 0)
			return TG_OK; /* named twice (a map and the name itself) */
	if (known == NULL) {
		json_t *rec = json_pack("{s:I,s:s,s:s,s:s,s:b}", "gid", (json_int_t)fid, "iss", in->iss,
					"issuer", in->issuer, "from", from, "local", local);
		if (rec == NULL || json_object_set_new(groups, g, rec) != 0)
			return TG_E_NOMEM;
	}
	return json_array_append_new(names, json_string(g)) == 0 ? TG_OK : TG_E_NOMEM;
}

/* The GECOS field: the display name without ':', ',' or control
 * characters, at most 100 bytes. */
static void gecos_of(const char *in, char *out, size_t outlen)
{
	size_t n = 0;
	for (; in != NULL && *in != '\0' && n + 1 < outlen && n < 100; in++)
		if ((unsigned char)*in >= 0x20 && *in != ':' && *in != ',' && *in != 0x7f)
			out[n++] = *in;
	out[n] = '\0';
}

static void home_of(const char *tmpl, const char *name, char *out, size_t outlen)
{
	size_t n = 0;
	for (const char *p = tmpl; *p != '\0' && n + 1 < outlen; p++) {
		if (p[0] == '%' && p[1] == 'u') {
			n += (size_t)snprintf(out + n, outlen - n, "%s", name);
			if (n >= outlen)
				n = outlen - 1;
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

static void drop_unused_groups(tg_userdb *db);

tg_rc tg_userdb_put(tg_userdb *db, size_t idx, const struct tg_user_in *in, uint32_t *uid,
		    char *why, size_t whylen)
{
	const struct tg_issuer *h = tg_issuer_of(db->cfg, idx);
	const struct tg_settings *s = tg_settings(db->cfg);
	if (h == NULL || !h->create_users)
		return say(why, whylen, TG_E_CONFIG, "%s", "create_users is off for this issuer");
	const json_t *old = json_object_get(tg_userdb_users(db), in->name);
	uint32_t id = old != NULL ? (uint32_t)num(old, "uid")
		    : in->uid_number >= 0 ? (in->uid_number <= TG_ID_MAX ? (uint32_t)in->uid_number : 0)
		    : tg_id_derive(&s->uid_range, "uid", in->iss, in->sub);
	tg_rc rc = person_checks(db, in, id, why, whylen);
	if (rc != TG_OK)
		return rc;
	/* every record's primary group: one the administrator chose, which
	 * must exist here */
	char found[256];
	uint32_t gid = 0;
	if (!lookup('g', s->user_group, 0, found, sizeof(found), &gid))
		return say(why, whylen, TG_E_CONFIG, "user_group %s is no group here", s->user_group);
	char gecos[128], home[512], note[200] = "";
	gecos_of(in->gecos, gecos, sizeof(gecos));
	home_of(s->home_template, in->name, home, sizeof(home));
	json_t *names = json_array();
	for (size_t i = 0; rc == TG_OK && names != NULL && i < in->ngroups; i++)
		rc = add_group(db, h, in, in->groups[i], names, note, sizeof(note));
	json_t *rec = names == NULL || rc != TG_OK ? NULL
		    : json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:I,s:I}",
				"uid", (json_int_t)id, "gid", (json_int_t)gid, "gecos", gecos,
				"home", home, "shell", s->shell, "iss", in->iss, "sub", in->sub,
				"issuer", in->issuer, "groups", names,
				"created", (json_int_t)(old ? num(old, "created") : in->now),
				"updated", (json_int_t)in->now);
	json_decref(names);
	if (rc == TG_OK && rec == NULL)
		rc = TG_E_NOMEM;
	/* a disabled record stays disabled: only an administrator enables it */
	json_t *off = old != NULL ? json_object_get(old, "disabled") : NULL;
	if (rc == TG_OK && off != NULL && json_object_set(rec, "disabled", off) != 0)
		rc = TG_E_NOMEM;
	if (rc != TG_OK) {
		json_decref(rec);
		return rc;
	}
	/* an unchanged record (but for updated) writes nothing */
	json_t *cmp = old != NULL ? json_deep_copy(old) : NULL;
	if (cmp != NULL)
		json_object_set_new(cmp, "updated", json_integer((json_int_t)in->now));
	bool same = cmp != NULL && json_equal(cmp, rec);
	json_decref(cmp);
	if (!same) {
		if (json_object_set_new(json_object_get(db->j, "users"), in->name, rec) != 0)
			return TG_E_NOMEM;
		drop_unused_groups(db); /* a group the person left, if nobody else is in it */
		mark(db, in->name);
	} else {
		json_decref(rec);
	}
	*uid = id;
	if (note[0] != '\0')
		say(why, whylen, TG_OK, "%s", note);
	return TG_OK;
}

tg_rc tg_userdb_enable(tg_userdb *db, const char *name)
{
	json_t *u = json_object_get(json_object_get(db->j, "users"), name);
	if (u == NULL)
		return TG_E_NO_CREDENTIALS;
	if (json_object_get(u, "disabled") == NULL)
		return TG_OK;
	mark(db, name);
	return json_object_del(u, "disabled") == 0 ? TG_OK : TG_E_NOMEM;
}

bool tg_userdb_exists(const tg_config *cfg)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/" USERDB_FILE, tg_settings(cfg)->store_dir);
	return access(path, F_OK) == 0 || errno != ENOENT; /* unsure: look */
}

tg_rc tg_userdb_disable_of(const tg_config *cfg, const char *name, uint32_t uid, int64_t now,
			   char *why, size_t whylen)
{
	tg_userdb *db = NULL;
	uint32_t ruid = 0;
	bool enabled = false;
	if (!tg_userdb_exists(cfg))
		return TG_E_NO_CREDENTIALS;
	tg_rc rc = tg_userdb_open(cfg, 5000, &db, why, whylen);
	if (rc != TG_OK)
		return rc;
	if (tg_userdb_find(db, name, &ruid, &enabled) != TG_OK || ruid != uid || !enabled) {
		tg_userdb_close(db);
		return TG_E_NO_CREDENTIALS;
	}
	rc = tg_userdb_disable(db, name, now);
	if (rc != TG_OK) {
		tg_userdb_close(db);
		return rc;
	}
	return tg_userdb_commit(db, why, whylen);
}

tg_rc tg_userdb_identity(const tg_config *cfg, const char *name, char *iss, size_t isslen,
			 char *sub, size_t sublen, bool *disabled)
{
	char path[4200];
	const char *bad = NULL;
	char *text = NULL;
	size_t len = 0;
	*disabled = false;
	if (!tg_record_name_ok(name) || !tg_userdb_exists(cfg))
		return TG_E_NO_CREDENTIALS; /* no record can have this name, or none at all */
	snprintf(path, sizeof(path), "%s/" USERDB_INDEX "/%s", tg_settings(cfg)->store_dir, name);
	tg_rc rc = tg_file_read_at(AT_FDCWD, path, 1200, TG_FILE_PRIVATE | TG_FILE_MISSING_OK,
				   &text, &len, &bad);
	if (rc != TG_OK)
		return rc == TG_E_NOMEM ? rc : TG_E_IO;
	if (text == NULL)
		return TG_E_NO_CREDENTIALS;
	char *nl1 = strchr(text, '\n'), *nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
	rc = nl2 != NULL && (nl2[1] == '0' || nl2[1] == '1') && nl2[2] == '\n' && nl2[3] == '\0'
		     ? TG_OK : TG_E_IO; /* anything else: unreadable, refused */
	if (rc == TG_OK) {
		*nl1 = *nl2 = '\0';
		snprintf(iss, isslen, "%s", text);
		snprintf(sub, sublen, "%s", nl1 + 1);
		*disabled = nl2[1] == '1';
	}
	free(text);
	return rc;
}

tg_rc tg_userdb_disable(tg_userdb *db, const char *name, int64_t now)
{
	json_t *u = json_object_get(json_object_get(db->j, "users"), name);
	if (u == NULL)
		return TG_E_NO_CREDENTIALS;
	if (json_object_get(u, "disabled") != NULL)
		return TG_OK;
	mark(db, name);
	return json_object_set_new(u, "disabled", json_integer((json_int_t)now)) == 0 ? TG_OK
										  : TG_E_NOMEM;
}

/* Provider groups no record names any more. */
static void drop_unused_groups(tg_userdb *db)
{
	json_t *groups = json_object_get(db->j, "groups");
	const char *g;
	json_t *v, *tmp;
	json_object_foreach_safe(groups, tmp, g, v) {
		bool used = false;
		const char *name;
		json_t *u;
		json_object_foreach(json_object_get(db->j, "users"), name, u) {
			size_t i;
			json_t *m;
			json_array_foreach(json_object_get(u, "groups"), i, m)
				used = used || (json_is_string(m) && strcmp(json_string_value(m), g) == 0);
		}
		if (!used)
			json_object_del(groups, g);
	}
}

tg_rc tg_userdb_remove(tg_userdb *db, const char *name)
{
	json_t *users = json_object_get(db->j, "users");
	if (json_object_get(users, name) == NULL)
		return TG_E_NO_CREDENTIALS;
	mark(db, name);
	json_object_del(users, name);
	drop_unused_groups(db);
	return TG_OK;
}

tg_rc tg_userdb_expire(tg_userdb *db, int64_t now, int64_t max_age, size_t *n)
{
	json_t *users = json_object_get(db->j, "users");
	const char *name;
	json_t *u, *tmp;
	*n = 0;
	json_object_foreach_safe(users, tmp, name, u) {
		json_t *d = json_object_get(u, "disabled");
		if (d != NULL && now - json_integer_value(d) > max_age) {
			mark(db, name);
			json_object_del(users, name);
			(*n)++;
		}
	}
	if (*n > 0)
		drop_unused_groups(db);
	return TG_OK;
}
