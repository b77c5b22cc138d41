/*
 * helper_common.c - the plumbing every helper stage shares: the config
 * load, the clock, the audit sinks the library reports through, the
 * chain's request and the user's store entry. The stages (helper_auth.c,
 * helper_token.c, helper_session.c, helper_device.c) call down into this
 * file, never into each other in a circle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "authproof.h"
#include "helper.h"
#include "store.h"
#include "tg_internal.h"
#include "settings.h"

#define LOCK_EXTRA_MS 5000u

static void on_warning(void *ud, const char *msg)
{
	helper_audit_simple(ud, "config", "warn", "-", msg, LOG_WARNING);
}

tg_rc helper_load_config(struct hctx *c)
{
	char err[512] = "";
	tg_rc rc = tg_config_load(c->config_path, on_warning, c, &c->cfg, err,
				  sizeof(err));
	if (rc != TG_OK) {
		helper_audit_simple(c, "config", "error", "internal", err, LOG_ALERT);
		return TG_E_CONFIG;
	}
	c->json = strcmp(tg_config_audit_format(c->cfg), "json") == 0;
	helper_session_id(c);
	return TG_OK;
}

void helper_session_id(struct hctx *c)
{
	if (c->sid[0] != '\0')
		return;
	if (tg_session_id_ok(c->session_in)) {
		snprintf(c->sid, sizeof(c->sid), "%s", c->session_in);
		return;
	}
	if (c->proof_in != NULL && helper_proof(c) == TG_OK) {
		snprintf(c->sid, sizeof(c->sid), "%s", c->proof_sid);
		return;
	}
	if (tg_uuid4(c->sid, sizeof(c->sid)) != TG_OK)
		c->sid[0] = '\0';
}

tg_rc helper_proof(struct hctx *c)
{
	if (!c->proof_checked) {
		c->proof_checked = true;
		c->proof_rc = c->proof_in == NULL || c->cfg == NULL
				      ? TG_E_NO_CREDENTIALS
				      : tg_authproof_check(tg_settings(c->cfg)->store_dir, c->proof_in,
							   c->user, c->service, helper_now(c),
							   c->proof_sid);
	}
	return c->proof_rc;
}

int64_t helper_now(const struct hctx *c)
{
	return tg_unix_time() + c->clock_offset;
}

/* An audit-worthy step of the library, as one record (a validation
 * check only in debug mode). */
static void check_record(const struct hctx *c, const char *check, tg_rc rc, const char *rule)
{
	if (!(c->flags & TG_F_DEBUG))
		return;
	tg_audit *a = tg_audit_new("check");
	tg_audit_add(a, "check", check);
	tg_audit_add(a, "result", tg_reason(rc));
	tg_audit_add(a, "rule", rule);
	char *line = tg_audit_render(a, 0);
	if (line != NULL)
		helper_debug(c, line);
	free(line);
	tg_audit_free(a);
}

static void sink(void *ud, enum tg_ev kind, const char *event, const char *result, tg_rc reason,
		 const char *detail)
{
	int prio;
	switch (kind) {
	case TG_EV_CHECK:
		check_record(ud, event, reason, detail);
		return;
	case TG_EV_SKIP:
		helper_audit_simple(ud, event, result, "malformed", detail, LOG_WARNING);
		return;
	case TG_EV_PROVIDER:
		prio = strcmp(result, "ok") == 0 ? LOG_INFO : LOG_WARNING;
		helper_audit_simple(ud, event, result, reason == TG_OK ? "ok" : tg_reason(reason),
				    detail, prio);
		return;
	case TG_EV_NOTE:
		prio = strcmp(result, "ok") == 0 ? LOG_INFO
		     : strcmp(result, "allow") == 0 || strcmp(result, "purge") == 0 ? LOG_NOTICE
										    : tg_rc_priority(reason);
		helper_audit_simple(ud, event, result, tg_reason(reason), detail, prio);
		return;
	}
}

const struct tg_ctx *helper_ctx(struct hctx *c)
{
	c->x = (struct tg_ctx){
		.cfg = c->cfg, .service = c->service, .user = c->user, .rhost = c->rhost,
		.uid = c->uid, .now = helper_now(c), .clock_offset = c->clock_offset,
		.sink = sink, .ud = c, .shortfall = &c->shortfall,
		.session_id = c->sid[0] ? c->sid : NULL,
	};
	return &c->x;
}

tg_rc helper_store_open(struct hctx *c, struct tg_store **st, json_t **sess)
{
	char why[320] = "";
	*st = NULL;
	*sess = NULL;
	/* Wait for another process's refresh: its round trip, and a margin. */
	int64_t wait = tg_settings(c->cfg)->http_timeout +
		       tg_settings(c->cfg)->http_connect_timeout;
	unsigned wait_ms = (unsigned)(wait > 0 && wait < 600 ? wait : 13) * 1000u + LOCK_EXTRA_MS;
	tg_rc rc = tg_store_open(tg_settings(c->cfg)->store_dir, c->uid, wait_ms,
				 st, why, sizeof(why));
	if (rc != TG_OK) {
		helper_audit_simple(c, "store", "error", tg_reason(rc), why, LOG_ERR);
		return rc;
	}
	rc = tg_store_load(*st, sess, why, sizeof(why));
	if (rc == TG_OK && *sess != NULL)
		snprintf(c->login_id, sizeof(c->login_id), "%s",
			 tg_session_str(*sess, "login_id") ?: "");
	if (rc == TG_E_MALFORMED) {
		/* moved aside: the user simply has no session */
		helper_audit_simple(c, "store", "corrupt", "malformed", why, LOG_ERR);
		return TG_OK;
	}
	if (rc != TG_OK) {
		helper_audit_simple(c, "store", "error", tg_reason(rc), why, LOG_ERR);
		tg_store_close(*st);
		*st = NULL;
	}
	return rc;
}
