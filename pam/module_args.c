/*
 * module_args.c - module arguments, as Linux-PAM modules take them:
 *   debug  config=/path  use_first_pass  try_first_pass  kind=access|id
 *   timeout=SECONDS (each helper step, 1..600, default 30)
 *   require_session (account: a user without a tokengate session is denied
 *   instead of ignored)
 *   noninteractive (never prompt or poll: decide from what is stored; also
 *   implied by a missing conversation function and by PAM_TTY "cron")
 * Test builds also take helper=/path and clock=+SECONDS / clock=-SECONDS
 * (the helper's clock is moved, to test grace windows). Unknown arguments are logged and
 * ignored; a malformed value fails closed.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "module.h"

#ifndef TG_HELPER_PATH
#error "TG_HELPER_PATH must be set at build time"
#endif

static int bad_arg(pam_handle_t *pamh, const char *arg)
{
	pam_syslog(pamh, LOG_ERR, "bad module argument: %s", arg);
	return PAM_SERVICE_ERR;
}

int tg_args_parse(pam_handle_t *pamh, int argc, const char **argv,
		  struct tg_args *a)
{
	memset(a, 0, sizeof(*a));
	a->timeout_s = 30;
	a->helper = TG_HELPER_PATH;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "debug") == 0) {
			a->debug = true;
		} else if (strcmp(arg, "use_first_pass") == 0) {
			a->use_first_pass = true;
		} else if (strcmp(arg, "try_first_pass") == 0) {
			a->try_first_pass = true;
		} else if (strcmp(arg, "require_session") == 0) {
			a->require_session = true;
		} else if (strcmp(arg, "noninteractive") == 0) {
			a->noninteractive = true;
		} else if (strncmp(arg, "config=", 7) == 0) {
			if (arg[7] != '/')
				return bad_arg(pamh, arg);
			a->config = arg + 7;
		} else if (strncmp(arg, "kind=", 5) == 0) {
			if (strcmp(arg + 5, "access") && strcmp(arg + 5, "id"))
				return bad_arg(pamh, arg);
			a->kind = arg + 5;
		} else if (strncmp(arg, "timeout=", 8) == 0) {
			char *end;
			long v = strtol(arg + 8, &end, 10);
			if (end == arg + 8 || *end || v < 1 || v > 600)
				return bad_arg(pamh, arg);
			a->timeout_s = (unsigned)v;
#ifdef TG_TESTING
		} else if (strncmp(arg, "helper=", 7) == 0) {
			a->helper = arg + 7;
		} else if (strncmp(arg, "clock=", 6) == 0) {
			char *end;
			long long v = strtoll(arg + 6, &end, 10);
			if (end == arg + 6 || *end)
				return bad_arg(pamh, arg);
			a->clock_offset = v;
			a->have_clock = true;
#endif
		} else {
			pam_syslog(pamh, LOG_ERR, "unknown module argument ignored: %s",
				   arg);
		}
	}
	return PAM_SUCCESS;
}
