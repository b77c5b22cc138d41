/*
 * ctl_user.c - tokengatectl user: the records of people who exist only at
 * the provider (lib/userdb.h, docs/USERS.md).
 *
 *   user add [--config FILE] [--issuer NAME] [--uid N] [--name TEXT] NAME --sub SUB
 *            pre-provisions NAME for the identity (iss of the issuer, SUB),
 *            with the same uid a login would derive (or --uid)
 *   user list [--config FILE]
 *   user disable [--config FILE] NAME   nologin, every login and stage refused,
 *                                       at once; removed by cleanup after
 *                                       users_expire
 *   user enable [--config FILE] NAME    the only way back (a login never)
 *   user remove [--config FILE] NAME    the record goes; files stay
 * Each change is audited (event=user).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "ctl.h"
#include "issuer.h"
#include "settings.h"
#include "tg_internal.h"
#include "userdb.h"

#define USAGE_ADD "tokengatectl user add [--config FILE] [--issuer NAME] [--uid N] [--name TEXT] NAME --sub SUB"
#define USAGE "tokengatectl user add|list|disable|enable|remove ... (see tokengatectl(8))"

static void audit(const char *result, const char *user, const char *detail)
{
	tg_audit *a = tg_audit_new("user");
	tg_audit_add(a, "result", result);
	tg_audit_add(a, "reason", "ok");
	tg_audit_add(a, "service", "tokengatectl");
	tg_audit_add(a, "user", user);
	tg_audit_add(a, "detail", detail);
	char *line = tg_audit_render(a, 0);
	if (line != NULL)
		syslog(LOG_NOTICE, "%s", line);
	free(line);
	tg_audit_free(a);
}

struct add_args {
	const char *config, *issuer, *name, *sub, *gecos;
	int64_t uid;
};

static bool parse_add(int argc, char **argv, struct add_args *a)
{
	*a = (struct add_args){ .config = TG_CONFIG_PATH, .uid = -1 };
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--config") == 0 && v)
			a->config = argv[++i];
		else if (strcmp(argv[i], "--issuer") == 0 && v)
			a->issuer = argv[++i];
		else if (strcmp(argv[i], "--sub") == 0 && v)
			a->sub = argv[++i];
		else if (strcmp(argv[i], "--name") == 0 && v)
			a->gecos = argv[++i];
		else if (strcmp(argv[i], "--uid") == 0 && v) {
			char *end = NULL;
			a->uid = strtoll(argv[++i], &end, 10);
			if (*end != '\0' || a->uid < 0)
				return false;
		} else if (argv[i][0] != '-' && a->name == NULL)
			a->name = argv[i];
		else
			return false;
	}
	return a->name != NULL && a->sub != NULL && *a->sub != '\0';
}

/* The issuer of new records: --issuer, else the only one with
 * create_users = yes. */
static long pick_issuer(const tg_config *cfg, const char *name)
{
	if (name != NULL)
		return tg_config_find_issuer(cfg, name);
	long found = -1;
	for (size_t i = 0; i < tg_config_issuer_count(cfg); i++) {
		const struct tg_issuer *h = tg_issuer_of(cfg, i);
		if (h != NULL && h->create_users) {
			if (found >= 0)
				return -2; /* several: say which */
			found = (long)i;
		}
	}
	return found;
}

static int user_add(int argc, char **argv)
{
	struct add_args a;
	if (!parse_add(argc, argv, &a)) {
		fprintf(stderr, "usage: %s\n", USAGE_ADD);
		return CTL_USAGE;
	}
	tg_config *cfg = ctl_load_config(a.config);
	if (cfg == NULL)
		return CTL_USAGE;
	long idx = pick_issuer(cfg, a.issuer);
	if (idx < 0) {
		fprintf(stderr, "tokengatectl: %s\n",
			idx == -2 ? "several issuers have create_users = yes: name one with --issuer"
				  : "no issuer with create_users = yes (or no such --issuer)");
		tg_config_free(cfg);
		return CTL_USAGE;
	}
	const struct tg_issuer *h = tg_issuer_of(cfg, (size_t)idx);
	tg_userdb *db = NULL;
	char why[320] = "";
	uint32_t uid = 0;
	struct tg_user_in in = { .name = a.name, .iss = h->iss, .sub = a.sub,
				 .issuer = tg_config_issuer_name(cfg, (size_t)idx), .gecos = a.gecos,
				 .uid_number = a.uid, .now = tg_unix_time() };
	tg_rc rc = tg_userdb_open(cfg, 5000, &db, why, sizeof(why));
	if (rc == TG_OK && (rc = tg_userdb_put(db, (size_t)idx, &in, &uid, why, sizeof(why))) != TG_OK)
		tg_userdb_close(db);
	else if (rc == TG_OK)
		rc = tg_userdb_commit(db, why, sizeof(why));
	char detail[600];
	snprintf(detail, sizeof(detail), "uid %u for sub %.128s of %.128s%s%.200s", uid, a.sub,
		 h->iss, why[0] ? "; " : "", why);
	tg_config_free(cfg);
	if (rc != TG_OK) {
		fprintf(stderr, "%s: %s\n", tg_reason(rc), why[0] ? why : "the record was not written");
		return CTL_REJECTED;
	}
	printf("%s: %s\n", a.name, detail);
	audit("add", a.name, detail);
	return CTL_OK;
}

static int user_list(int argc, char **argv)
{
	tg_config *cfg = ctl_simple_config(argc, argv, "tokengatectl user list [--config FILE]", NULL,
					   NULL);
	if (cfg == NULL)
		return CTL_USAGE;
	tg_userdb *db = NULL;
	char why[320] = "";
	tg_rc rc = tg_userdb_open(cfg, 5000, &db, why, sizeof(why));
	if (rc != TG_OK) {
		fprintf(stderr, "%s: %s\n", tg_reason(rc), why);
		tg_config_free(cfg);
		return CTL_REJECTED;
	}
	const char *name;
	json_t *u;
	printf("%-16s %-11s %-9s %-10s %s\n", "USER", "UID", "STATE", "ISSUER", "SUB");
	json_object_foreach(tg_userdb_users(db), name, u) {
		printf("%-16s %-11lld %-9s %-10s %s\n", name,
		       (long long)json_integer_value(json_object_get(u, "uid")),
		       json_object_get(u, "disabled") ? "disabled" : "enabled",
		       json_string_value(json_object_get(u, "issuer")) ?: "-",
		       json_string_value(json_object_get(u, "sub")) ?: "-");
	}
	tg_userdb_close(db);
	tg_config_free(cfg);
	return CTL_OK;
}

/* disable / enable / remove NAME */
enum change { DISABLE, ENABLE, REMOVE };

static int user_change(int argc, char **argv, enum change what)
{
	const char *config = TG_CONFIG_PATH, *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else
			name = NULL, i = argc;
	}
	if (name == NULL) {
		fprintf(stderr, "usage: tokengatectl user %s [--config FILE] NAME\n",
			what == REMOVE ? "remove" : what == ENABLE ? "enable" : "disable");
		return CTL_USAGE;
	}
	tg_config *cfg = ctl_load_config(config);
	if (cfg == NULL)
		return CTL_USAGE;
	tg_userdb *db = NULL;
	char why[320] = "";
	tg_rc rc = tg_userdb_open(cfg, 5000, &db, why, sizeof(why));
	if (rc == TG_OK) {
		rc = what == REMOVE ? tg_userdb_remove(db, name)
		   : what == ENABLE ? tg_userdb_enable(db, name)
				    : tg_userdb_disable(db, name, tg_unix_time());
		if (rc == TG_OK)
			rc = tg_userdb_commit(db, why, sizeof(why));
		else
			tg_userdb_close(db);
	}
	tg_config_free(cfg);
	if (rc != TG_OK) {
		fprintf(stderr, "%s: %s\n", tg_reason(rc),
			rc == TG_E_NO_CREDENTIALS ? "no such record" : why);
		return CTL_REJECTED;
	}
	const char *said = what == REMOVE ? "record removed (the home directory and files stay)"
			 : what == ENABLE ? "record enabled: logins of its identity are let in again"
			 : "record disabled (shell nologin; every login and stage refused); cleanup "
			   "removes it after users_expire";
	printf("%s: %s\n", name, said);
	audit(what == REMOVE ? "remove" : what == ENABLE ? "enable" : "disable", name, said);
	return CTL_OK;
}

int ctl_user_counts(const tg_config *cfg, size_t *enabled, size_t *disabled)
{
	char why[320];
	tg_userdb *db = NULL;
	*enabled = *disabled = 0;
	if (!tg_userdb_exists(cfg))
		return 0; /* nobody was ever given a record */
	if (tg_userdb_open(cfg, 5000, &db, why, sizeof(why)) != TG_OK)
		return -1;
	const char *name;
	json_t *u;
	json_object_foreach(tg_userdb_users(db), name, u) {
		if (json_object_get(u, "disabled") != NULL)
			(*disabled)++;
		else
			(*enabled)++;
	}
	tg_userdb_close(db);
	return 0;
}

int ctl_user(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	if (strcmp(sub, "add") == 0)
		return user_add(argc - 1, argv + 1);
	if (strcmp(sub, "list") == 0)
		return user_list(argc - 1, argv + 1);
	if (strcmp(sub, "disable") == 0)
		return user_change(argc - 1, argv + 1, DISABLE);
	if (strcmp(sub, "enable") == 0)
		return user_change(argc - 1, argv + 1, ENABLE);
	if (strcmp(sub, "remove") == 0)
		return user_change(argc - 1, argv + 1, REMOVE);
	fprintf(stderr, "usage: %s\n", USAGE);
	return CTL_USAGE;
}
