/*
 * module_result.c - the one table from results to PAM codes (DESIGN
 * section 8), and the module's own audit record for helper failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "module.h"

int tg_pam_code(enum tg_stage stage, const struct tg_outcome *o)
{
	if (!o->helper_ok)
		return PAM_AUTHINFO_UNAVAIL;
	switch (o->rc) {
	case TG_OK:
		return PAM_SUCCESS;
	case TG_E_MALFORMED:
	case TG_E_BAD_SIGNATURE:
	case TG_E_ALG_NOT_ALLOWED:
	case TG_E_UNKNOWN_KID:
	case TG_E_EXPIRED:
	case TG_E_NOT_YET_VALID:
	case TG_E_BAD_ISSUER:
	case TG_E_BAD_AUDIENCE:
	case TG_E_BAD_TYPE:
	case TG_E_USER_MISMATCH:
	case TG_E_REVOKED:
	case TG_E_BAD_PASSWORD:
	case TG_E_NO_CREDENTIALS:
		return stage == TG_STAGE_ACCOUNT ? PAM_PERM_DENIED : PAM_AUTH_ERR;
	case TG_E_NOT_AUTHORIZED:
	case TG_E_LOCKED_OUT:
		return PAM_PERM_DENIED;
	case TG_E_GRACE_EXPIRED:
		/* a session that can only be renewed online or interactively */
		return stage == TG_STAGE_ACCOUNT ? PAM_PERM_DENIED : PAM_AUTHINFO_UNAVAIL;
	case TG_E_IDP_UNREACHABLE:
	case TG_E_TIMEOUT:
	case TG_E_INTERNAL:
	case TG_E_CONFIG:
	case TG_E_NOMEM:
	case TG_E_IO:
	case TG_RC_COUNT:
		break;
	}
	return PAM_AUTHINFO_UNAVAIL;
}

static const char *stage_event(enum tg_stage s)
{
	switch (s) {
	case TG_STAGE_ACCOUNT: return "account";
	case TG_STAGE_OPEN_SESSION: return "session_open";
	case TG_STAGE_CLOSE_SESSION: return "session_close";
	default: return "auth";
	}
}

void tg_module_audit(const struct tg_call *c, const char *reason,
		     const char *detail)
{
	tg_audit *a = tg_audit_new(stage_event(c->stage));
	tg_audit_add(a, "result", "deny");
	tg_audit_add(a, "reason", reason);
	tg_audit_add(a, "service", c->service);
	tg_audit_add(a, "user", c->user);
	tg_audit_add(a, "rhost", c->rhost);
	tg_audit_add(a, "detail", detail);
	tg_audit_addf_ms(a, "latency_ms",
			 (double)(tg_monotonic_ns() - c->start_ns) / 1e6);
	char *body = tg_audit_render(a, 0);
	pam_syslog(c->pamh, LOG_ERR, "%s", body ? body : "event=auth result=deny reason=internal");
	free(body);
	tg_audit_free(a);
}
