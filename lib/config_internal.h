/*
 * config_internal.h - the parsed configuration, for config*.c only (and
 * tg_config_problems for tokengatectl check-config).
 */
#ifndef TG_CONFIG_INTERNAL_H
#define TG_CONFIG_INTERNAL_H

#include "settings.h"
#include "tg_internal.h"

#define TG_CONFIG_MAX_BYTES (64u * 1024u) /* a larger file is refused */

struct tg_kv {
	const char *key;	/* points into the static key table */
	char *value;
	unsigned line;
};

struct tg_section {
	int kind;		/* S_GLOBAL, S_ISSUER, S_SERVICE */
	char *name;		/* NULL for [global] */
	struct tg_service_settings svc;	/* S_SERVICE: its typed keys */
	struct tg_usermap usermap;	/* S_ISSUER: its username mapping */
	struct tg_usermap groupmap;	/* S_ISSUER: group_map (provider -> unix group) */
	bool implicit;		/* the lines before any section header */
	unsigned line;		/* of the header; 0 for the implicit one */
	struct tg_kv *kv;
	size_t nkv;
};

/* What is built from a config on first use, through a const config. */
struct tg_config_lazy {
	void *issuers;		/* issuer.c's handles: one block of plain data */
};

struct tg_config {
	struct tg_section *sec;
	size_t nsec;
	struct tg_config_lazy *lazy;	/* never NULL; freed with the config */
	struct tg_settings set;		/* typed, converted at load */
};

TG_HIDDEN const char *tg_section_get(const struct tg_section *s, const char *key);
TG_HIDDEN const char *tg_config_default(const char *key);
TG_HIDDEN const char *tg_config_global(const tg_config *c, const char *key);
TG_HIDDEN const struct tg_section *tg_config_issuer(const tg_config *c, size_t idx);
TG_HIDDEN const struct tg_section *tg_config_service(const tg_config *c,
						     const char *name);
TG_HIDDEN const char *tg_config_service_get(const tg_config *c,
					    const char *service, const char *key);

/* Every problem in a configuration, in file order, each through problem_fn
 * as "FILE:LINE: message" ("FILE: message" for whole-file rules), where
 * tg_config_parse would stop at the first. Returns how many: 0 means the
 * buffer is a valid configuration. No checks of the configuration file
 * itself (the caller reads it); a username_map file it names is read and
 * checked like every file the helper trusts. */
TG_HIDDEN unsigned tg_config_problems(const char *name, const char *buf, size_t len,
				      tg_warn_fn problem_fn, void *ud);

#endif
