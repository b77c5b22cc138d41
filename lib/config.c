/*
 * config.c - tokengate.conf: INI sections [global], [issuer NAME] and
 * [service NAME], "key = value" lines, '#' comments. Every value is checked
 * against its type when read; errors name the file and line. Everything that
 * is not understood is an error, so a typo fails closed (DESIGN section 12):
 * unknown sections, unknown keys, keys in a kind of section they do not
 * belong to, malformed values and repeated keys. The parser goes on after a
 * problem so that tokengatectl check-config can list every one; a load
 * reports the first.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "userid.h"

#define CONFIG_MAX_BYTES TG_CONFIG_MAX_BYTES
#define LINE_MAX_BYTES 1024u

enum vtype { T_STR, T_PATH, T_DUR, T_BOOL, T_INT, T_LIST, T_KIND, T_METHODS,
	     T_ALGS, T_AUDFMT, T_URL, T_CLIENTAUTH, T_NAME, T_SESSTOK, T_RANGE,
	     T_HOME };
enum { S_GLOBAL = 1, S_ISSUER = 2, S_SERVICE = 4 };

static const struct keydef {
	const char *key;
	enum vtype type;
	unsigned sections;
	const char *def;
} keydefs[] = {
	{ "store_dir", T_PATH, S_GLOBAL, "/var/lib/tokengate" },
	{ "cache_dir", T_PATH, S_GLOBAL, "/var/cache/tokengate" },
	{ "methods", T_METHODS, S_GLOBAL | S_SERVICE, "token" },
	{ "offline_grace", T_DUR, S_GLOBAL | S_SERVICE, "12h" },
	{ "session_max_age", T_DUR, S_GLOBAL | S_SERVICE, "7d" },
	{ "idle_timeout", T_DUR, S_GLOBAL | S_SERVICE, NULL },
	{ "refresh_ahead", T_DUR, S_GLOBAL | S_SERVICE, "5m" },
	{ "leeway", T_DUR, S_GLOBAL | S_SERVICE, "60s" },
	{ "http_connect_timeout", T_DUR, S_GLOBAL, "3s" },
	{ "http_timeout", T_DUR, S_GLOBAL, "10s" },
	{ "device_timeout", T_DUR, S_GLOBAL | S_SERVICE, "100s" },
	{ "qr", T_BOOL, S_GLOBAL | S_SERVICE, "no" },
	{ "audit_format", T_AUDFMT, S_GLOBAL, "logfmt" },
	{ "lockout_attempts", T_INT, S_GLOBAL, "10" },
	{ "lockout_window", T_DUR, S_GLOBAL, "1m" },
	{ "lockout_time", T_DUR, S_GLOBAL, "5m" },
	{ "max_token_bytes", T_INT, S_GLOBAL, "16384" },
	{ "revoke_on_logout", T_BOOL, S_GLOBAL | S_SERVICE, "no" },
	{ "export_token", T_BOOL, S_GLOBAL | S_SERVICE, "no" },
	{ "export_dir", T_PATH, S_GLOBAL, "/run/user" },
	/* people who exist only at the provider (docs/USERS.md) */
	{ "nss_dir", T_PATH, S_GLOBAL, "/var/lib/tokengate-nss" },
	{ "uid_range", T_RANGE, S_GLOBAL, "1879048192-2013265919" },
	{ "gid_range", T_RANGE, S_GLOBAL, "2013265920-2147483646" },
	{ "home_template", T_HOME, S_GLOBAL, "/home/%u" },
	{ "shell", T_PATH, S_GLOBAL, "/bin/bash" },
	{ "user_group", T_STR, S_GLOBAL, "users" },
	{ "users_expire", T_DUR, S_GLOBAL, "30d" },
	{ "create_users", T_BOOL, S_ISSUER, "no" },
	{ "uid_claim", T_STR, S_ISSUER, NULL },
	{ "unix_groups", T_LIST, S_ISSUER, NULL },
	{ "group_map", T_PATH, S_ISSUER, NULL },
	{ "issuer", T_URL, S_ISSUER, NULL },
	/* the same key in [global] / [service NAME]: an [issuer NAME] */
	{ "issuer", T_NAME, S_GLOBAL | S_SERVICE, NULL },
	{ "jwks_file", T_PATH, S_ISSUER, NULL },
	{ "client_id", T_STR, S_ISSUER, NULL },
	{ "client_secret_file", T_PATH, S_ISSUER, NULL },
	{ "client_auth", T_CLIENTAUTH, S_ISSUER, NULL },
	{ "scope", T_STR, S_ISSUER, "openid" },
	{ "audience", T_LIST, S_ISSUER, NULL },
	{ "token_kind", T_KIND, S_ISSUER | S_SERVICE, "access" },
	{ "session_token", T_SESSTOK, S_ISSUER, "auto" },
	{ "access_token_types", T_LIST, S_ISSUER, "at+jwt application/at+jwt" },
	{ "algorithms", T_ALGS, S_ISSUER, "RS256 ES256 PS256 EdDSA" },
	{ "username_claim", T_STR, S_ISSUER, "preferred_username" },
	{ "username_strip_domains", T_LIST, S_ISSUER, NULL },
	{ "username_lowercase", T_BOOL, S_ISSUER, "no" },
	{ "username_map", T_PATH, S_ISSUER, NULL },
	{ "groups_claim", T_STR, S_ISSUER, "groups" },
	{ "allowed_groups", T_LIST, S_ISSUER | S_SERVICE, NULL },
	/* the login behind the token: how fresh, how strong (strength.c) */
	{ "max_auth_age", T_DUR, S_GLOBAL | S_SERVICE, NULL },
	{ "required_acr", T_LIST, S_GLOBAL | S_SERVICE, NULL },
	{ "required_amr", T_LIST, S_GLOBAL | S_SERVICE, NULL },
	{ "allow_http_loopback", T_BOOL, S_ISSUER, "no" },
	{ "ca_file", T_PATH, S_ISSUER, NULL },
	{ "proxy", T_STR, S_ISSUER, NULL },
	{ "jwks_min_ttl", T_DUR, S_ISSUER, "5m" },
	{ "jwks_max_ttl", T_DUR, S_ISSUER, "24h" },
	{ "jwks_max_stale", T_DUR, S_ISSUER, "24h" },
	{ "jwks_min_refetch", T_DUR, S_ISSUER, "60s" },
	{ "circuit_failures", T_INT, S_ISSUER, "5" },
	{ "introspect", T_BOOL, S_ISSUER, "no" },
	{ "circuit_cooldown", T_DUR, S_ISSUER, "30s" },
};

#define NKEYS (sizeof(keydefs) / sizeof(keydefs[0]))

struct parser {
	const char *name;
	unsigned line;
	char *err;		/* the first problem */
	size_t errlen;
	tg_warn_fn problem;	/* check-config: every problem, or NULL */
	void *ud;
	unsigned nproblems;
};

/* Records one problem at ps->line (0: a whole-file rule) and goes on. */
static tg_rc fail(struct parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static tg_rc fail(struct parser *ps, const char *fmt, ...)
{
	char msg[320], full[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ps->line == 0)
		snprintf(full, sizeof(full), "%s: %s", ps->name, msg);
	else
		snprintf(full, sizeof(full), "%s:%u: %s", ps->name, ps->line, msg);
	if (ps->nproblems++ == 0 && ps->err != NULL && ps->errlen > 0)
		snprintf(ps->err, ps->errlen, "%s", full);
	if (ps->problem != NULL)
		ps->problem(ps->ud, full);
	return TG_E_CONFIG;
}

/* The key's definition for this kind of section (0: any), else its
 * first one (the caller then says where it belongs). */
static const struct keydef *find_key_in(const char *key, unsigned kind)
{
	const struct keydef *first = NULL;
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keydefs[i].key, key) == 0) {
			if (keydefs[i].sections & kind)
				return &keydefs[i];
			if (first == NULL)
				first = &keydefs[i];
		}
	return first;
}

static const struct keydef *find_key(const char *key)
{
	return find_key_in(key, 0);
}

/* Edit distance, for "did you mean"; keys are short (64 bytes at most). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[65];
	if (la > 64 || lb > 64)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The known key of this kind of section closest to key, if close enough. */
static const char *suggest(const char *key, unsigned kind)
{
	const char *best = NULL;
	size_t bestd = 3; /* two edits at most */
	for (size_t i = 0; i < NKEYS; i++) {
		size_t d = distance(key, keydefs[i].key);
		if ((keydefs[i].sections & kind) && d < bestd && 2 * d <= strlen(key)) {
			bestd = d;
			best = keydefs[i].key;
		}
	}
	return best;
}

static const char *kind_name(unsigned kind)
{
	return kind == S_GLOBAL ? "[global]" : kind == S_ISSUER ? "[issuer NAME]"
					      : "[service NAME]";
}

/* "[global]", "[issuer corp]", "[service sudo]". */
static void section_label(const struct tg_section *s, char *buf, size_t len)
{
	if (s->name == NULL)
		snprintf(buf, len, "[global]");
	else
		snprintf(buf, len, "[%s %s]", s->kind == S_ISSUER ? "issuer" : "service",
			 s->name);
}

static bool valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-@", *s))
			return false;
	return true;
}

static bool list_within(const char *v, const char *const *allowed)
{
	struct tg_strlist l = { 0 };
	bool ok = tg_strlist_parse(&l, v) == TG_OK && l.n > 0;
	for (size_t i = 0; ok && i < l.n; i++) {
		ok = false;
		for (size_t j = 0; allowed[j]; j++)
			if (strcmp(l.v[i], allowed[j]) == 0)
				ok = true;
		for (size_t j = 0; ok && j < i; j++)
			if (strcmp(l.v[i], l.v[j]) == 0)
				ok = false; /* listed twice */
	}
	tg_strlist_clear(&l);
	return ok;
}

/* Is v a well-formed value of type t? On failure *why says what is wrong. */
static bool check_value(enum vtype t, const char *v, const char **why)
{
	static const char *const methods[] = { "token", "password", "device", NULL };
	static const char *const algs[] = { "RS256", "PS256", "ES256", "EdDSA", NULL };
	int64_t d;
	bool b;
	char *end;
	switch (t) {
	case T_STR:
		*why = "must not be empty";
		return *v != '\0';
	case T_PATH:
		*why = "must be an absolute path";
		return v[0] == '/';
	case T_DUR:
		*why = "must be a duration such as 90s, 5m, 12h or 7d";
		return tg_parse_duration(v, &d);
	case T_BOOL:
		*why = "must be yes or no";
		return tg_parse_bool(v, &b);
	case T_INT:
		*why = "must be a whole number from 1 to 1000000";
		d = strtoll(v, &end, 10);
		return isdigit((unsigned char)*v) && *end == '\0' && d >= 1 &&
		       d <= 1000000;
	case T_LIST:
		*why = "must not be empty";
		return *v != '\0';
	case T_KIND:
		*why = "must be access or id";
		return !strcmp(v, "access") || !strcmp(v, "id");
	case T_RANGE: {
		struct tg_id_range r;
		return tg_id_range_parse(v, &r, why);
	}
	case T_HOME:
		*why = "must be an absolute path with %u (the login name), such as /home/%u";
		return v[0] == '/' && strstr(v, "%u") != NULL && strstr(v, "..") == NULL;
	case T_SESSTOK:
		*why = "must be access, id or auto";
		return !strcmp(v, "access") || !strcmp(v, "id") || !strcmp(v, "auto");
	case T_METHODS:
		*why = "must list token, password or device, each at most once";
		return list_within(v, methods);
	case T_ALGS:
		*why = "must list RS256, PS256, ES256 or EdDSA (exact case)";
		return list_within(v, algs);
	case T_AUDFMT:
		*why = "must be logfmt or json";
		return !strcmp(v, "logfmt") || !strcmp(v, "json");
	case T_CLIENTAUTH:
		*why = "must be client_secret_basic, client_secret_post or none";
		return !strcmp(v, "client_secret_basic") || !strcmp(v, "client_secret_post") ||
		       !strcmp(v, "none");
	case T_NAME:
		*why = "must name an [issuer NAME] section";
		return valid_name(v);
	case T_URL:
		*why = "must be an https:// URL (http:// only for loopback)";
		return (!strncmp(v, "https://", 8) && v[8] != '\0') ||
		       (!strncmp(v, "http://", 7) && v[7] != '\0');
	}
	return false;
}

static struct tg_section *add_section(tg_config *c, int kind, const char *name)
{
	struct tg_section *ns = realloc(c->sec, (c->nsec + 1) * sizeof(*ns));
	if (ns == NULL)
		return NULL;
	c->sec = ns;
	struct tg_section *s = &c->sec[c->nsec];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->name = tg_strdup(name);
	if (name != NULL && s->name == NULL)
		return NULL;
	c->nsec++;
	return s;
}

static void clear_kv(struct tg_section *s)
{
	for (size_t j = 0; j < s->nkv; j++)
		free(s->kv[j].value);
	free(s->kv);
	s->kv = NULL;
	s->nkv = 0;
}

/* A header starts a section. On a problem *cur becomes NULL (an unknown
 * section: its keys cannot be judged and are skipped) or the scratch
 * section (a repeated one: its keys are checked, then dropped). */
static tg_rc section_header(struct parser *ps, tg_config *c, char *line,
			    struct tg_section **cur, struct tg_section *scratch)
{
	size_t n = strlen(line);
	*cur = NULL;
	if (line[n - 1] != ']')
		return fail(ps, "section header must end with ']'");
	line[n - 1] = '\0';
	char *p = line + 1;
	while (*p == ' ')
		p++;
	char *name = strchr(p, ' ');
	if (name != NULL) {
		*name++ = '\0';
		while (*name == ' ')
			name++;
		char *e = name + strlen(name);
		while (e > name && e[-1] == ' ')
			*--e = '\0';
	}
	int kind;
	if (strcmp(p, "global") == 0 && name == NULL)
		kind = S_GLOBAL;
	else if (strcmp(p, "issuer") == 0 && name && valid_name(name))
		kind = S_ISSUER;
	else if (strcmp(p, "service") == 0 && name && valid_name(name))
		kind = S_SERVICE;
	else
		return fail(ps, "unknown section [%s%s%s]; expected [global], "
				"[issuer NAME] or [service NAME]",
			    p, name ? " " : "", name ? name : "");
	for (size_t i = 0; i < c->nsec; i++) {
		if (c->sec[i].kind == kind && !c->sec[i].implicit &&
		    ((name == NULL && c->sec[i].name == NULL) ||
		     (name && c->sec[i].name && !strcmp(name, c->sec[i].name)))) {
			clear_kv(scratch);
			scratch->kind = kind;
			scratch->name = c->sec[i].name;
			*cur = scratch;
			return fail(ps, "section [%s%s%s] appears twice", p,
				    name ? " " : "", name ? name : "");
		}
	}
	*cur = add_section(c, kind, name);
	if (*cur == NULL)
		return TG_E_NOMEM;
	(*cur)->line = ps->line;
	return TG_OK;
}

static tg_rc key_value(struct parser *ps, struct tg_section *cur, char *line)
{
	char *eq = strchr(line, '=');
	if (eq == NULL)
		return fail(ps, "expected 'key = value'");
	*eq = '\0';
	char *key = line, *val = eq + 1;
	char *e = key + strlen(key);
	while (e > key && isspace((unsigned char)e[-1]))
		*--e = '\0';
	while (isspace((unsigned char)*val))
		val++;
	if (*key == '\0')
		return fail(ps, "missing key before '='");

	if (cur == NULL)
		return TG_OK; /* inside an unknown section, already reported */

	char where[96];
	section_label(cur, where, sizeof(where));
	const struct keydef *kd = find_key_in(key, (unsigned)cur->kind);
	if (kd == NULL) {
		const char *near = suggest(key, (unsigned)cur->kind);
		return fail(ps, "unknown key '%.64s' in %s%s%s%s", key, where,
			    near ? " (did you mean " : "", near ? near : "",
			    near ? "?)" : "");
	}
	if (!(kd->sections & (unsigned)cur->kind)) {
		char only[64] = "";
		for (unsigned k = S_GLOBAL; k <= S_SERVICE; k <<= 1)
			if (kd->sections & k)
				snprintf(only + strlen(only), sizeof(only) - strlen(only),
					 "%s%s", only[0] ? " or " : "", kind_name(k));
		return fail(ps, "key '%s' does not belong in %s (only in %s)", kd->key,
			    where, only);
	}
	for (size_t i = 0; i < cur->nkv; i++)
		if (strcmp(cur->kv[i].key, kd->key) == 0)
			return fail(ps, "%s is set twice in this section", kd->key);
	const char *why = NULL;
	bool good = check_value(kd->type, val, &why);
	struct tg_kv *nkv = realloc(cur->kv, (cur->nkv + 1) * sizeof(*nkv));
	if (nkv == NULL)
		return TG_E_NOMEM;
	cur->kv = nkv;
	/* A malformed value is kept as present without a value: the file is
	 * refused anyway, and the whole-file rules then do not also call the
	 * key missing. */
	cur->kv[cur->nkv].key = kd->key;
	cur->kv[cur->nkv].value = good ? strdup(val) : NULL;
	cur->kv[cur->nkv].line = ps->line;
	if (good && cur->kv[cur->nkv].value == NULL)
		return TG_E_NOMEM;
	cur->nkv++;
	return good ? TG_OK : fail(ps, "%s %s", kd->key, why);
}

/* Strips a comment: '#' at the start or after whitespace. */
static void strip(char *line)
{
	for (char *p = line; *p; p++) {
		if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			break;
		}
	}
	char *e = line + strlen(line);
	while (e > line && isspace((unsigned char)e[-1]))
		*--e = '\0';
}

/* Is this line free of NUL and control bytes (tabs and CR allowed)? */
static tg_rc check_bytes(struct parser *ps, const char *line, size_t n)
{
	if (strlen(line) != n)
		return fail(ps, "NUL byte in line");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t' && line[i] != '\r')
			return fail(ps, "control character in line");
	return TG_OK;
}

/* Every line, problems recorded and skipped; only TG_E_NOMEM stops it. */
static tg_rc parse_lines(struct parser *ps, tg_config *c, const char *buf,
			 size_t len)
{
	struct tg_section *cur = add_section(c, S_GLOBAL, NULL);
	struct tg_section scratch = { 0 };
	char line[LINE_MAX_BYTES + 1];
	size_t pos = 0;
	tg_rc rc = TG_OK;
	if (cur == NULL)
		return TG_E_NOMEM;
	cur->implicit = true;
	while (pos < len && rc != TG_E_NOMEM) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		ps->line++;
		if (n > LINE_MAX_BYTES) {
			pos += n + (nl ? 1 : 0);
			fail(ps, "line longer than %u bytes", LINE_MAX_BYTES);
			continue;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (check_bytes(ps, line, n) != TG_OK)
			continue;
		strip(line);
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			continue;
		rc = *p == '[' ? section_header(ps, c, p, &cur, &scratch)
			       : key_value(ps, cur, p);
	}
	clear_kv(&scratch);
	return rc == TG_E_NOMEM ? rc : TG_OK;
}

const char *tg_section_get(const struct tg_section *s, const char *key)
{
	for (size_t i = 0; s && i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return s->kv[i].value;
	return NULL;
}

const char *tg_config_default(const char *key)
{
	const struct keydef *kd = find_key(key);
	return kd ? kd->def : NULL;
}

/* Merges the implicit and explicit [global] sections' lookups. */
const char *tg_config_global(const tg_config *c, const char *key)
{
	for (size_t i = 0; i < c->nsec; i++)
		if (c->sec[i].kind == S_GLOBAL) {
			const char *v = tg_section_get(&c->sec[i], key);
			if (v != NULL)
				return v;
		}
	return tg_config_default(key);
}

const struct tg_section *tg_config_issuer(const tg_config *c, size_t idx)
{
	for (size_t i = 0; i < c->nsec; i++)
		if (c->sec[i].kind == S_ISSUER && idx-- == 0)
			return &c->sec[i];
	return NULL;
}

const struct tg_section *tg_config_service(const tg_config *c, const char *name)
{
	for (size_t i = 0; name && i < c->nsec; i++)
		if (c->sec[i].kind == S_SERVICE && !strcmp(c->sec[i].name, name))
			return &c->sec[i];
	return NULL;
}

/* A service key: [service NAME], then [global], then the default. */
const char *tg_config_service_get(const tg_config *c, const char *service,
				  const char *key)
{
	const char *v = tg_section_get(tg_config_service(c, service), key);
	return v ? v : tg_config_global(c, key);
}

/* Was key given in s (even with a malformed value)? */
static bool present(const struct tg_section *s, const char *key)
{
	for (size_t i = 0; i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return true;
	return false;
}

/* The line of key in s, or 0. */
static unsigned line_of(const struct tg_section *s, const char *key)
{
	for (size_t i = 0; s && i < s->nkv; i++)
		if (strcmp(s->kv[i].key, key) == 0)
			return s->kv[i].line;
	return 0;
}

/* issuer = NAME in [global] and [service NAME]: a configured issuer, and
 * one with a client_id where the section's methods (its own, else
 * [global]'s) ask for a password or device login. Problems name the line
 * of the issuer key (a service that inherits [global]'s: its header). */
static void check_service_issuers(struct parser *ps, tg_config *c)
{
	for (size_t i = 0; i < c->nsec; i++) {
		const struct tg_section *s = &c->sec[i];
		if (s->kind != S_GLOBAL && s->kind != S_SERVICE)
			continue;
		const char *name = tg_section_get(s, "issuer");
		bool own = name != NULL;
		if (name == NULL && s->kind == S_SERVICE)
			name = tg_config_global(c, "issuer");
		if (name == NULL)
			continue; /* none, or malformed (already reported) */
		const char *methods = s->kind == S_SERVICE
			? tg_config_service_get(c, s->name, "methods")
			: tg_config_global(c, "methods");
		struct tg_strlist l = { 0 };
		bool online = false;
		if (methods != NULL && tg_strlist_parse(&l, methods) == TG_OK)
			for (size_t j = 0; j < l.n; j++)
				online |= !strcmp(l.v[j], "password") || !strcmp(l.v[j], "device");
		tg_strlist_clear(&l);
		long idx = tg_config_find_issuer(c, name);
		char where[96];
		section_label(s, where, sizeof(where));
		ps->line = own ? line_of(s, "issuer") : s->line;
		if (idx < 0 && own)
			fail(ps, "issuer %s in %s: no [issuer %s] section", name, where, name);
		else if (idx >= 0 && online &&
			 !present(tg_config_issuer(c, (size_t)idx), "client_id"))
			fail(ps, "%s uses [issuer %s] for password or device logins, "
				 "but it has no client_id", where, name);
	}
	ps->line = 0;
}

/* Whole-file rules: at least one issuer, each with an issuer URL, and the
 * members each token kind needs. Problems name the section's header line. */
static void check_semantics(struct parser *ps, tg_config *c)
{
	size_t n = 0;
	const struct tg_section *s;
	for (; (s = tg_config_issuer(c, n)) != NULL; n++) {
		const char *kind = tg_section_get(s, "token_kind");
		const char *url = tg_section_get(s, "issuer");
		bool loop = false;
		const char *lb = tg_section_get(s, "allow_http_loopback");
		if (lb != NULL)
			tg_parse_bool(lb, &loop);
		ps->line = s->line;
		if (!present(s, "issuer"))
			fail(ps, "[issuer %s] has no issuer URL", s->name);
		if (url && !strncmp(url, "http://", 7) && !loop && !(lb == NULL &&
		    present(s, "allow_http_loopback")))
			fail(ps, "[issuer %s] issuer is http:// without "
				 "allow_http_loopback = yes", s->name);
		if (kind == NULL && present(s, "token_kind"))
			continue; /* malformed, already reported */
		if (kind && !strcmp(kind, "id") && !present(s, "client_id"))
			fail(ps, "[issuer %s] token_kind = id needs client_id", s->name);
		const char *st = tg_section_get(s, "session_token");
		if (st && !strcmp(st, "id") && !present(s, "client_id"))
			fail(ps, "[issuer %s] session_token = id needs client_id", s->name);
		/* an issuer whose sessions rest on ID tokens may take no access
		 * tokens at all (Google's are opaque) */
		if ((!kind || !strcmp(kind, "access")) && !present(s, "audience") &&
		    !(st && !strcmp(st, "id")))
			fail(ps, "[issuer %s] needs audience (or session_token = id)", s->name);
	}
	ps->line = 0;
	if (n == 0)
		fail(ps, "no [issuer NAME] section");
	struct tg_id_range ur, gr;
	const char *why;
	if (tg_id_range_parse(tg_config_global(c, "uid_range"), &ur, &why) &&
	    tg_id_range_parse(tg_config_global(c, "gid_range"), &gr, &why) &&
	    tg_id_range_overlap(&ur, &gr))
		fail(ps, "uid_range and gid_range overlap (keep people's and groups' ids apart)");
	check_service_issuers(ps, c);
}

/* The typed value of a duration, flag or number key, converted the way
 * the by-name reads did: the value, else the default (durations), else
 * false or 0. */
static int64_t seconds_of(const char *v, const char *key)
{
	int64_t s = 0;
	if (!tg_parse_duration(v, &s))
		tg_parse_duration(tg_config_default(key), &s);
	return s;
}

static bool flag_of(const char *v)
{
	bool b = false;
	if (v != NULL)
		tg_parse_bool(v, &b);
	return b;
}

static void type_service(const tg_config *c, const char *name, struct tg_service_settings *o)
{
	o->methods = tg_config_service_get(c, name, "methods");
	o->issuer = tg_config_service_get(c, name, "issuer");
	o->issuer_idx = tg_config_find_issuer(c, o->issuer);
	o->offline_grace = seconds_of(tg_config_service_get(c, name, "offline_grace"), "offline_grace");
	o->session_max_age = seconds_of(tg_config_service_get(c, name, "session_max_age"),
					"session_max_age");
	o->idle_timeout = seconds_of(tg_config_service_get(c, name, "idle_timeout"), "idle_timeout");
	o->max_auth_age = seconds_of(tg_config_service_get(c, name, "max_auth_age"), "max_auth_age");
	o->required_acr = tg_config_service_get(c, name, "required_acr");
	o->refresh_ahead = seconds_of(tg_config_service_get(c, name, "refresh_ahead"), "refresh_ahead");
	o->leeway = seconds_of(tg_config_service_get(c, name, "leeway"), "leeway");
	o->device_timeout = seconds_of(tg_config_service_get(c, name, "device_timeout"),
				       "device_timeout");
	o->qr = flag_of(tg_config_service_get(c, name, "qr"));
	o->revoke_on_logout = flag_of(tg_config_service_get(c, name, "revoke_on_logout"));
	o->export_token = flag_of(tg_config_service_get(c, name, "export_token"));
}

/* Every setting as its typed value, once, for a valid configuration. */
static void type_values(tg_config *c)
{
	struct tg_settings *s = &c->set;
	const char *n = tg_config_global(c, "lockout_attempts");
	s->store_dir = tg_config_global(c, "store_dir");
	s->cache_dir = tg_config_global(c, "cache_dir");
	s->export_dir = tg_config_global(c, "export_dir");
	s->http_connect_timeout = seconds_of(tg_config_global(c, "http_connect_timeout"),
					     "http_connect_timeout");
	s->http_timeout = seconds_of(tg_config_global(c, "http_timeout"), "http_timeout");
	s->lockout_window = seconds_of(tg_config_global(c, "lockout_window"), "lockout_window");
	s->lockout_time = seconds_of(tg_config_global(c, "lockout_time"), "lockout_time");
	s->lockout_attempts = n ? strtol(n, NULL, 10) : 0;
	const char *why;
	s->nss_dir = tg_config_global(c, "nss_dir");
	s->home_template = tg_config_global(c, "home_template");
	s->shell = tg_config_global(c, "shell");
	s->user_group = tg_config_global(c, "user_group");
	s->users_expire = seconds_of(tg_config_global(c, "users_expire"), "users_expire");
	if (!tg_id_range_parse(tg_config_global(c, "uid_range"), &s->uid_range, &why))
		tg_id_range_parse(tg_config_default("uid_range"), &s->uid_range, &why);
	if (!tg_id_range_parse(tg_config_global(c, "gid_range"), &s->gid_range, &why))
		tg_id_range_parse(tg_config_default("gid_range"), &s->gid_range, &why);
	type_service(c, NULL, &s->global);
	for (size_t i = 0; i < c->nsec; i++)
		if (c->sec[i].kind == S_SERVICE)
			type_service(c, c->sec[i].name, &c->sec[i].svc);
}

/* Each issuer's username mapping, its map file read and checked now: an
 * unsafe or malformed map file is a problem of the username_map line. */
static void load_usermaps(struct parser *ps, tg_config *c)
{
	for (size_t i = 0; i < c->nsec; i++) {
		struct tg_section *s = &c->sec[i];
		struct tg_usermap *m = &s->usermap;
		if (s->kind != S_ISSUER)
			continue;
		const char *lc = tg_section_get(s, "username_lowercase");
		if (tg_strlist_parse(&m->strip_domains,
				     tg_section_get(s, "username_strip_domains")) != TG_OK)
			fail(ps, "out of memory");
		m->lowercase = lc != NULL && flag_of(lc);
		for (size_t k = 0; k < s->nkv; k++) {
			char err[400] = "";
			bool groups = strcmp(s->kv[k].key, "group_map") == 0;
			if ((!groups && strcmp(s->kv[k].key, "username_map") != 0) ||
			    s->kv[k].value == NULL)
				continue;
			ps->line = s->kv[k].line;
			if (tg_usermap_load(groups ? &s->groupmap : m, s->kv[k].value, err,
					    sizeof(err)) != TG_OK)
				fail(ps, "%s %s", s->kv[k].key, err);
		}
	}
	ps->line = 0;
}

/* The parser behind both: every problem goes to ps (the first into its
 * err, each to its problem callback); a configuration only without any. */
static tg_rc parse_all(struct parser *ps, const char *buf, size_t len, tg_config **out)
{
	*out = NULL;
	if (ps->err != NULL && ps->errlen > 0)
		ps->err[0] = '\0';
	if (len > CONFIG_MAX_BYTES)
		return fail(ps, "file larger than %u bytes", CONFIG_MAX_BYTES);
	tg_config *c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->lazy = calloc(1, sizeof(*c->lazy));
	if (c == NULL || c->lazy == NULL || parse_lines(ps, c, buf, len) == TG_E_NOMEM) {
		ps->line = 0;
		fail(ps, "out of memory");
	} else {
		check_semantics(ps, c);
		load_usermaps(ps, c);
	}
	if (ps->nproblems == 0)
		type_values(c);
	if (ps->nproblems > 0) {
		tg_config_free(c);
		return TG_E_CONFIG;
	}
	*out = c;
	return TG_OK;
}

/* warn_fn is no longer called: nothing in a configuration is only a
 * warning now (unknown keys are errors). It stays for the API. */
tg_rc tg_config_parse(const char *name, const char *buf, size_t len,
		      tg_warn_fn warn_fn, void *ud, tg_config **out, char *err,
		      size_t errlen)
{
	struct parser ps = { name ? name : "(config)", 0, err, errlen, NULL, NULL, 0 };
	(void)warn_fn;
	(void)ud;
	return parse_all(&ps, buf, len, out);
}

unsigned tg_config_problems(const char *name, const char *buf, size_t len,
			    tg_warn_fn problem_fn, void *ud)
{
	struct parser ps = { name ? name : "(config)", 0, NULL, 0, problem_fn, ud, 0 };
	tg_config *c = NULL;
	parse_all(&ps, buf, len, &c);
	tg_config_free(c);
	return ps.nproblems;
}

tg_rc tg_config_load(const char *path, tg_warn_fn warn_fn, void *ud,
		     tg_config **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	*out = NULL;
	tg_rc rc = tg_read_file_safely(path, CONFIG_MAX_BYTES, &buf, &len, err,
				       errlen);
	if (rc != TG_OK)
		return TG_E_CONFIG;
	rc = tg_config_parse(path, buf, len, warn_fn, ud, out, err, errlen);
	free(buf);
	return rc;
}

void tg_config_free(tg_config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nsec; i++) {
		clear_kv(&c->sec[i]);
		tg_usermap_clear(&c->sec[i].usermap);
		tg_usermap_clear(&c->sec[i].groupmap);
		free(c->sec[i].name);
	}
	free(c->sec);
	if (c->lazy != NULL)
		free(c->lazy->issuers);
	free(c->lazy);
	free(c);
}
