/*
 * helper_audit.c - the audit records: one per decision, facility
 * LOG_AUTHPRIV, ident "tokengate", constant "%s" format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "helper.h"
#include "tg_internal.h"
#include "settings.h"

void helper_audit_open(void)
{
	openlog("tokengate", LOG_PID, LOG_AUTHPRIV);
}

static double latency_ms(const struct hctx *c)
{
	uint64_t now = tg_monotonic_ns();
	return c->start_ns && now > c->start_ns ? (double)(now - c->start_ns) / 1e6 : 0;
}

static void emit(const struct hctx *c, tg_audit *a, int prio)
{
	char *body = tg_audit_render(a, c->json);
	if (body != NULL)
		syslog(prio, "%s", body);
	else
		syslog(LOG_CRIT, "%s", "event=internal result=error reason=internal");
	free(body);
}

static void add_context(const struct hctx *c, tg_audit *a)
{
	tg_audit_add(a, "service", c->service);
	tg_audit_add(a, "user", c->user);
	tg_audit_add(a, "rhost", c->rhost);
}

/* session: this PAM login; login: the interactive login the stored
 * session's tokens come from (the session id of its auth). */
static void add_ids(const struct hctx *c, tg_audit *a, const char *login)
{
	tg_audit_add(a, "session", c->sid[0] ? c->sid : NULL);
	tg_audit_add(a, "login", login && *login ? login : c->login_id[0] ? c->login_id : NULL);
}

void helper_audit_decision(const struct hctx *c, const char *event,
			   const struct hresult *r)
{
	tg_audit *a = tg_audit_new(event);
	bool ok = r->rc == TG_OK;
	tg_audit_add(a, "result", ok ? "allow" : "deny");
	tg_audit_add(a, "reason", tg_reason(r->rc));
	add_context(c, a);
	tg_audit_add(a, "method", r->method);
	tg_audit_add(a, "iss", r->token ? tg_token_iss(r->token) : r->iss);
	tg_audit_add(a, "sub", r->token ? tg_token_sub(r->token) : r->sub);
	tg_audit_add(a, "kid", tg_token_kid(r->token));
	tg_audit_add(a, "alg", tg_token_alg(r->token));
	tg_audit_add(a, "token", r->fingerprint[0] ? r->fingerprint : NULL);
	add_ids(c, a, r->login);
	if (r->step != NULL)
		tg_audit_add(a, "step", r->step);
	if (r->step != NULL && strcmp(r->step, "grace") == 0) {
		char left[32];
		snprintf(left, sizeof(left), "%lld", (long long)r->grace_left);
		tg_audit_add(a, "grace_left_s", left);
	}
	tg_audit_add(a, "issuer", r->issuer);
	tg_audit_add(a, "session_token", r->session_token);
	if (c->step_up)
		tg_audit_add(a, "step_up", "yes");
	tg_audit_addf_ms(a, "latency_ms", latency_ms(c));
	if (r->detail != NULL)
		tg_audit_add(a, "detail", r->detail);
	emit(c, a, tg_rc_priority(r->rc));
	tg_audit_free(a);
	if (c->cfg != NULL)
		tg_metrics_decision(tg_settings(c->cfg)->cache_dir, event,
				    ok ? "allow" : "deny", r->method);
}

void helper_audit_simple(const struct hctx *c, const char *event,
			 const char *result, const char *reason,
			 const char *detail, int prio)
{
	tg_audit *a = tg_audit_new(event);
	tg_audit_add(a, "result", result);
	tg_audit_add(a, "reason", reason);
	add_context(c, a);
	add_ids(c, a, NULL);
	tg_audit_add(a, "detail", detail);
	emit(c, a, prio);
	tg_audit_free(a);
	if (c->cfg != NULL && (!strcmp(event, "grace") || !strcmp(event, "refresh") ||
			       !strcmp(event, "lockout"))) {
		char name[64];
		snprintf(name, sizeof(name), "%s:%s", event, result);
		tg_metrics_count(tg_settings(c->cfg)->cache_dir, name);
	}
}

void helper_debug(const struct hctx *c, const char *msg)
{
	if (c->flags & TG_F_DEBUG)
		syslog(LOG_DEBUG, "%s", msg);
}
