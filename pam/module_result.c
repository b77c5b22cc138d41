/*
 * module_result.c - results to PAM codes, through the result table
 * (lib/rc.c, DESIGN section 8) and nothing else, and the module's own
 * audit record for when the helper could not write one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include <security/pam_ext.h>

#include "module.h"

static tg_pam_at column(enum tg_stage stage, bool claimed)
{
	switch (stage) {
	case TG_STAGE_AUTH: return TG_AT_AUTH;
	case TG_STAGE_SETCRED: return TG_AT_SETCRED;
	case TG_STAGE_ACCOUNT: return claimed ? TG_AT_ACCOUNT : TG_AT_ACCOUNT_UNCLAIMED;
	case TG_STAGE_OPEN_SESSION: return TG_AT_OPEN_SESSION;
	case TG_STAGE_CLOSE_SESSION: return TG_AT_CLOSE_SESSION;
	}
	return TG_AT_COUNT; /* the table answers PAM_SERVICE_ERR */
}

int tg_pam_code(enum tg_stage stage, bool claimed, tg_rc result)
{
	return tg_rc_pam(result, column(stage, claimed));
}

tg_rc tg_outcome_result(const struct tg_outcome *o)
{
	return o->helper_ok ? o->rc : TG_R_HELPER_FAILED;
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

void tg_module_audit(const struct tg_call *c, tg_rc result, const char *detail)
{
	tg_audit *a = tg_audit_new(stage_event(c->stage));
	tg_audit_add(a, "result", "deny");
	tg_audit_add(a, "reason", tg_reason(result));
	tg_audit_add(a, "service", c->service);
	tg_audit_add(a, "user", c->user);
	tg_audit_add(a, "rhost", c->rhost);
	const void *sid = NULL; /* the login's id, when a stage of the handle had one */
	if (pam_get_data(c->pamh, TG_DATA_SESSION, &sid) == PAM_SUCCESS)
		tg_audit_add(a, "session", sid);
	tg_audit_add(a, "detail", detail);
	tg_audit_addf_ms(a, "latency_ms",
			 (double)(tg_monotonic_ns() - c->start_ns) / 1e6);
	char *body = tg_audit_render(a, 0);
	pam_syslog(c->pamh, body ? tg_rc_priority(result) : LOG_CRIT, "%s",
		   body ? body : "event=auth result=deny reason=internal");
	free(body);
	tg_audit_free(a);
}
