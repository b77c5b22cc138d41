/*
 * ctl_common.c - what several tokengatectl subcommands share: the
 * "[--config FILE] [--FLAG]" command line and loading the configuration.
 * (The store's file names are the library's: store.h.)
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

tg_config *ctl_load_config(const char *path)
{
	tg_config *cfg = NULL;
	char err[512] = "";
	if (tg_config_load(path, NULL, NULL, &cfg, err, sizeof(err)) != TG_OK) {
		fprintf(stderr, "tokengatectl: %s\n", err);
		return NULL;
	}
	return cfg;
}

const char *ctl_config_path(int argc, char **argv, const char *usage, const char *flag,
			    bool *flag_on)
{
	const char *path = TG_CONFIG_PATH;
	if (flag_on != NULL)
		*flag_on = false;
	for (int i = 1; i < argc; i++) {
		if (flag != NULL && strcmp(argv[i], flag) == 0) {
			*flag_on = true;
		} else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else {
			fprintf(stderr, "usage: %s\n", usage);
			return NULL;
		}
	}
	return path;
}

tg_config *ctl_simple_config(int argc, char **argv, const char *usage, const char *flag,
			     bool *flag_on)
{
	const char *path = ctl_config_path(argc, argv, usage, flag, flag_on);
	return path ? ctl_load_config(path) : NULL;
}
