/*
 * tokengatectl - the administrator's tool.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "tokengate.h"

static void usage(FILE *f)
{
	fputs("usage: tokengatectl COMMAND [OPTIONS]\n"
	      "\n"
	      "  validate [--config FILE] [--issuer NAME] [--jwks FILE --iss URL --aud AUD]\n"
	      "           [--kind access|id] [--user NAME] [--signature-only]\n"
	      "           [--now UNIXTIME] [--explain] TOKEN|-\n"
	      "  mint     --key PEM --kid KID --iss URL --aud AUD --sub SUB [--user NAME]\n"
	      "           [--ttl SECONDS] [--alg RS256|ES256] [--typ TYP] [--claim k=v ...]\n"
	      "  jwks     --key PEM --kid KID [--alg ALG]   print the public JWKS of a key\n"
	      "  status   [--config FILE] [--json]          issuers and sessions: state, health, grace\n"
	      "  refresh  [--config FILE] [--ahead DURATION] USER|--all\n"
	      "                                             renew sessions due within DURATION\n"
	      "  revoke   [--config FILE] USER|--all        revoke at the provider, purge here\n"
	      "  cleanup  [--config FILE] [--dry-run]       remove what can never be used again\n"
	      "  metrics  [--config FILE]                   Prometheus text format\n"
	      "  user     add [--config FILE] [--issuer NAME] [--uid N] [--name TEXT] NAME --sub SUB\n"
	      "           list | disable NAME | enable NAME | remove NAME   records of people\n"
	      "                                             who exist only\n"
	      "                                             at the provider (create_users)\n"
	      "  check-config [--config FILE]               every problem in the file, as\n"
	      "                                             FILE:LINE: message (exit 1 if any)\n"
	      "  audit    USER [--since WHEN] [--until WHEN] [--file PATH|-] [--json]\n"
	      "                                             one person's audit records, by login\n"
	      "                                             (journal, else /var/log/auth.log)\n"
	      "  version\n"
	      "\n"
	      "Exit status: 0 valid/done, 1 rejected (reason code on stderr),\n"
	      "2 usage or configuration error.\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CTL_USAGE;
	}
	tg_crypto_init();
	const char *cmd = argv[1];
	if (strcmp(cmd, "validate") == 0)
		return ctl_validate(argc - 1, argv + 1);
	if (strcmp(cmd, "mint") == 0)
		return ctl_mint(argc - 1, argv + 1);
	if (strcmp(cmd, "status") == 0)
		return ctl_status(argc - 1, argv + 1);
	if (strcmp(cmd, "refresh") == 0)
		return ctl_refresh(argc - 1, argv + 1);
	if (strcmp(cmd, "revoke") == 0)
		return ctl_revoke(argc - 1, argv + 1);
	if (strcmp(cmd, "cleanup") == 0)
		return ctl_cleanup(argc - 1, argv + 1);
	if (strcmp(cmd, "metrics") == 0)
		return ctl_metrics(argc - 1, argv + 1);
	if (strcmp(cmd, "jwks") == 0)
		return ctl_jwks(argc - 1, argv + 1);
	if (strcmp(cmd, "user") == 0)
		return ctl_user(argc - 1, argv + 1);
	if (strcmp(cmd, "check-config") == 0)
		return ctl_check_config(argc - 1, argv + 1);
	if (strcmp(cmd, "audit") == 0)
		return ctl_audit(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("tokengatectl %s\n", tg_version());
		return CTL_OK;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return CTL_OK;
	}
	fprintf(stderr, "tokengatectl: unknown command '%s'\n", cmd);
	usage(stderr);
	return CTL_USAGE;
}
