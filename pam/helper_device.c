/*
 * helper_device.c - the device method (RFC 8628): ask the provider for a
 * user code, show where to enter it (and a QR code with qr = yes) in an
 * echo-off prompt - OpenSSH shows messages only with the next prompt - and
 * after Enter poll the token endpoint at the provider's interval until the
 * login is approved, denied, expired or device_timeout has passed (counted
 * from the PAM call: sshd's LoginGraceTime is 120 s). No store lock is held
 * here: a person's approval can take a minute.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "helper.h"
#include "oauth.h"
#include "tg_internal.h"
#include "settings.h"

#define SLOW_DOWN_STEP 5	/* seconds added on slow_down (RFC 8628 3.5) */
#define MAX_UNREACHABLE 3	/* failed polls in a row before giving up */

struct poll {
	struct hctx *c;
	size_t idx;		/* the issuer */
	uint64_t deadline_ms;	/* monotonic */
	int64_t interval;	/* seconds */
	char *detail;
	size_t detail_len;
};

static tg_rc fail(struct poll *p, tg_rc rc, const char *why, const char *msg)
{
	snprintf(p->detail, p->detail_len, "%s", why);
	if (msg != NULL)
		helper_message(p->c, TG_STYLE_ERROR, msg);
	return rc;
}

static uint64_t ms_left(const struct poll *p)
{
	uint64_t now = tg_monotonic_ms();
	return now >= p->deadline_ms ? 0 : p->deadline_ms - now;
}

static int64_t seconds_left(const struct poll *p)
{
	return (int64_t)((ms_left(p) + 999u) / 1000u);
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000u), .tv_nsec = (long)(ms % 1000u) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The instructions, in the prompt itself. */
static char *instructions(const struct hctx *c, const struct tg_device *d, bool typed,
			  const char *typed_label)
{
	bool qr_on = tg_service_settings(c->cfg, c->service)->qr;
	const char *link = d->verification_uri_complete;
	char *qr = qr_on ? tg_qr_text(link ? link : d->verification_uri) : NULL;
	char *text = NULL;
	char tail[96];
	snprintf(tail, sizeof(tail), "%s%s%s", typed ? " (or type your " : "",
		 typed ? typed_label : "", typed ? " instead)" : "");
	int n;
	if (link != NULL)
		n = asprintf(&text,
			     "To log in, open this address and approve the login:\n  %s\n"
			     "(or open %s and enter the code %s)\n%s"
			     "Press Enter when you have approved it%s: ",
			     link, d->verification_uri, d->user_code, qr ? qr : "", tail);
	else
		n = asprintf(&text,
			     "To log in, open %s and enter the code %s\n%s"
			     "Press Enter when you have approved it%s: ",
			     d->verification_uri, d->user_code, qr ? qr : "", tail);
	free(qr);
	return n < 0 ? NULL : text;
}

/* Polls until a decision or the deadline. */
static tg_rc poll_tokens(struct poll *p, const char *device_code, struct tg_tokens *t)
{
	char left[32], msg[160];
	int unreachable = 0;
	tg_duration_text(seconds_left(p), false, left, sizeof(left));
	snprintf(msg, sizeof(msg), "Waiting for the approval (at most %s)...", left);
	char *ignored = NULL;
	/* an announcement, and the module is told how long this may take */
	if (helper_prompt_wait(p->c, TG_STYLE_INFO, msg, (uint32_t)seconds_left(p) + 1,
			       &ignored) == 0)
		tg_free_secret(ignored);
	for (int round = 0;; round++) {
		if (round > 0) {
			/* the last poll is at the deadline itself */
			uint64_t rest = ms_left(p), step = (uint64_t)p->interval * 1000u;
			if (rest == 0)
				break;
			sleep_ms(rest < step ? rest : step);
		}
		struct tg_oauth_err e = { .status = 0 };
		tg_rc rc = tg_oauth_device_poll(helper_ctx(p->c), p->idx, device_code, t, &e);
		if (rc == TG_OK)
			return TG_OK;
		tg_tokens_clear(t);
		if (rc == TG_E_NO_CREDENTIALS && strcmp(e.error, "slow_down") == 0) {
			p->interval += SLOW_DOWN_STEP;
			unreachable = 0;
			continue;
		}
		if (rc == TG_E_NO_CREDENTIALS) { /* authorization_pending */
			unreachable = 0;
			continue;
		}
		if (rc == TG_E_IDP_UNREACHABLE) {
			if (++unreachable < MAX_UNREACHABLE)
				continue;
			return fail(p, TG_E_IDP_UNREACHABLE, e.detail[0] ? e.detail : "provider unreachable while polling",
				    "Identity provider unreachable; the browser login cannot finish now.");
		}
		if (rc == TG_E_NOT_AUTHORIZED)
			return fail(p, rc, "the login was denied at the provider (access_denied)",
				    "The login was denied at the identity provider.");
		if (rc == TG_E_EXPIRED)
			return fail(p, TG_E_NO_CREDENTIALS, "the device code expired (expired_token)",
				    "The code expired before the login was approved; try again.");
		return fail(p, rc == TG_E_REVOKED ? TG_E_NO_CREDENTIALS : rc,
			    e.error[0] ? e.error : e.detail[0] ? e.detail : "device_code grant failed",
			    "The browser login failed; contact your administrator.");
	}
	int64_t limit = tg_service_settings(p->c->cfg, p->c->service)->device_timeout;
	tg_duration_text(limit, false, left, sizeof(left));
	snprintf(msg, sizeof(msg), "The login was not approved within %s; try again.", left);
	char why[96];
	snprintf(why, sizeof(why), "not approved within device_timeout (%s)", left);
	return fail(p, TG_E_NO_CREDENTIALS, why, msg);
}

/* The scope the issuer's device grant asks for. */
static const char *scope_of(const struct hctx *c, size_t idx)
{
	const struct tg_issuer *h = tg_issuer_of(c->cfg, idx);
	return h != NULL ? h->scope : NULL;
}

/* What the service needs of the login (max_auth_age, required_acr), asked
 * of the provider with the device authorization. */
static void strength_ask(struct hctx *c, struct tg_device_ask *ask, char *acr, size_t len)
{
	const struct tg_service_settings *s = tg_service_settings(c->cfg, c->service);
	struct tg_strlist l = { 0 };
	size_t used = 0;
	ask->max_age = s->max_auth_age > 0 ? s->max_auth_age : -1;
	ask->acr_values = NULL;
	acr[0] = '\0';
	if (s->required_acr != NULL && tg_strlist_parse(&l, s->required_acr) == TG_OK) {
		for (size_t i = 0; i < l.n; i++) {
			int n = snprintf(acr + used, len - used, "%s%s", used ? " " : "", l.v[i]);
			if (n < 0 || (size_t)n >= len - used) {
				acr[used] = '\0';
				break;
			}
			used += (size_t)n;
		}
		ask->acr_values = used > 0 ? acr : NULL;
	}
	tg_strlist_clear(&l);
}

tg_rc helper_device_obtain(struct hctx *c, size_t idx, bool token_on, bool password_on,
			   struct tg_tokens *t, struct helper_cred *cr, char *detail,
			   size_t detail_len)
{
	struct tg_device d = { .expires_in = -1 };
	struct tg_oauth_err e = { .status = 0 };
	struct tg_device_ask ask;
	char acr[512];
	int64_t limit = tg_service_settings(c->cfg, c->service)->device_timeout;
	struct poll p = {
		.c = c, .deadline_ms = c->start_ns / 1000000u + (uint64_t)(limit > 0 ? limit : 100) * 1000u,
		.detail = detail, .detail_len = detail_len,
		.idx = idx,
	};
	cr->kind = HELPER_CRED_NONE;
	cr->secret = NULL;
	if (c->start_ns == 0)
		p.deadline_ms = tg_monotonic_ms() + (uint64_t)(limit > 0 ? limit : 100) * 1000u;
	if (ms_left(&p) < 1000u) /* an earlier prompt used the whole budget */
		return fail(&p, TG_E_NO_CREDENTIALS, "device_timeout passed before the device login began",
			    "Too late for a browser login now; try again.");
	strength_ask(c, &ask, acr, sizeof(acr));
	tg_rc rc = tg_oauth_device_start(helper_ctx(c), idx, scope_of(c, idx), &ask, &d, &e);
	if (rc != TG_OK) {
		snprintf(detail, detail_len, "device authorization: %s",
			 e.error[0] ? e.error : e.detail[0] ? e.detail : tg_reason(rc));
		/* only the provider's doing may lead to a typed login with grace */
		return rc == TG_E_IDP_UNREACHABLE || rc == TG_E_NOMEM || rc == TG_E_INTERNAL ||
			       rc == TG_E_MALFORMED ? rc : TG_E_CONFIG;
	}
	if (d.expires_in > 0 && (uint64_t)d.expires_in * 1000u < ms_left(&p))
		p.deadline_ms = tg_monotonic_ms() + (uint64_t)d.expires_in * 1000u;
	p.interval = d.interval > 0 ? d.interval : 5;
	const char *typed_label = token_on && password_on ? "password or token"
				  : password_on ? "password" : "token";
	char *text = instructions(c, &d, token_on || password_on, typed_label);
	char *ans = NULL;
	if (text == NULL) {
		rc = TG_E_NOMEM;
	} else if (helper_prompt(c, TG_STYLE_ECHO_OFF, text, &ans) < 0) {
		rc = fail(&p, TG_E_NO_CREDENTIALS, "no answer at the device prompt", NULL);
	} else {
		/* sshd answers for a name it does not know yet with its
		 * placeholder: that is Enter (the approval is what counts),
		 * and tells us sshd will refuse this connection anyway */
		c->sshd_invalid = helper_sshd_placeholder(ans);
		if (*ans != '\0' && !c->sshd_invalid && (token_on || password_on)) {
			rc = helper_cred_from_answer(c, ans, token_on, password_on, cr);
			ans = NULL; /* owned by cr now */
		} else {
			/* the provider was asked for the service's login; what
			 * the approval gives is its answer (no second ask) */
			c->asked_strength |= ask.max_age >= 0 || ask.acr_values != NULL;
			rc = poll_tokens(&p, d.device_code, t);
		}
	}
	tg_free_secret(ans);
	free(text);
	tg_device_clear(&d);
	return rc;
}
