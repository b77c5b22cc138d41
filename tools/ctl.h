/*
 * ctl.h - tokengatectl subcommands. Exit codes: 0 valid / done,
 * 1 rejected (one-line reason code on stderr), 2 usage or config error.
 */
#ifndef TG_CTL_H
#define TG_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "tokengate.h"

#ifndef TG_CONFIG_PATH
#define TG_CONFIG_PATH "/etc/security/tokengate.conf"
#endif

#define CTL_OK 0
#define CTL_REJECTED 1
#define CTL_USAGE 2

int ctl_validate(int argc, char **argv);
int ctl_mint(int argc, char **argv);
int ctl_jwks(int argc, char **argv);
int ctl_status(int argc, char **argv);
int ctl_refresh(int argc, char **argv);
int ctl_revoke(int argc, char **argv);
int ctl_cleanup(int argc, char **argv);
int ctl_metrics(int argc, char **argv);
int ctl_check_config(int argc, char **argv);
int ctl_user(int argc, char **argv);
/* Audit records of one user, grouped by login (ctl_audit.c). */
int ctl_audit(int argc, char **argv);
/* Records of people who exist only at the provider: 0 with the counts
 * (0 and 0 without a user database), -1 when it cannot be read. */
int ctl_user_counts(const tg_config *cfg, size_t *enabled, size_t *disabled);
/* The configuration at path, or NULL after printing why (exit CTL_USAGE). */
tg_config *ctl_load_config(const char *path);
/* "[--config FILE] [FLAG]" (flag NULL: none; *flag_on tells whether it was
 * given): the config path (TG_CONFIG_PATH by default), or NULL after
 * printing usage. */
const char *ctl_config_path(int argc, char **argv, const char *usage, const char *flag,
			    bool *flag_on);
/* The same, then the configuration; NULL after printing usage or the error. */
tg_config *ctl_simple_config(int argc, char **argv, const char *usage, const char *flag,
			     bool *flag_on);
/* Reads a token from a file descriptor (for "-"), up to max bytes, without
 * the final newline. */
char *ctl_read_token(int fd, size_t max);

#endif
