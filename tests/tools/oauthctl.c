/*
 * oauthctl - drives lib/oauth.c against a provider, for the tests:
 *   oauthctl CONFIG ISSUER client_credentials [RESOURCE]
 *   oauthctl CONFIG ISSUER introspect TOKEN | revoke TOKEN
 *   oauthctl CONFIG ISSUER device_start | device_poll CODE
 *   oauthctl CONFIG ISSUER refresh TOKEN | password USER PASSWORD
 * Prints key=value lines; "rc=" is the result's reason code.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "oauth.h"

static void on_event(void *ud, enum tg_ev kind, const char *event, const char *result,
		     tg_rc reason, const char *detail)
{
	(void)ud;
	if (kind != TG_EV_PROVIDER)
		return;
	fprintf(stderr, "event=%s result=%s reason=%s detail=%s\n", event, result,
		tg_reason(reason), detail ? detail : "-");
}

static void print_err(tg_rc rc, const struct tg_oauth_err *e)
{
	printf("rc=%s\nerror=%s\ndetail=%s\n", tg_reason(rc), e->error, e->detail);
}

int main(int argc, char **argv)
{
	tg_config *cfg = NULL;
	char err[512];
	if (argc < 4 || tg_config_load(argv[1], NULL, NULL, &cfg, err, sizeof(err)) != TG_OK) {
		fprintf(stderr, "oauthctl: %s\n", argc < 4 ? "usage" : err);
		return 2;
	}
	tg_crypto_init();
	long idx = tg_config_find_issuer(cfg, argv[2]);
	size_t i = (size_t)(idx < 0 ? 0 : idx);
	struct tg_ctx q = { .cfg = cfg, .now = (int64_t)time(NULL), .sink = on_event };
	struct tg_oauth_err e;
	struct tg_tokens t = { 0 };
	struct tg_device d = { 0 };
	const char *op = argv[3], *a1 = argc > 4 ? argv[4] : NULL, *a2 = argc > 5 ? argv[5] : NULL;
	tg_rc rc;
	bool active = false;
	if (!strcmp(op, "client_credentials"))
		rc = tg_oauth_client_credentials(&q, i, a1, &t, &e);
	else if (!strcmp(op, "refresh"))
		rc = tg_oauth_refresh(&q, i, a1, &t, &e);
	else if (!strcmp(op, "password"))
		rc = tg_oauth_password(&q, i, a1, a2, "openid", &t, &e);
	else if (!strcmp(op, "device_poll"))
		rc = tg_oauth_device_poll(&q, i, a1, &t, &e);
	else if (!strcmp(op, "introspect")) {
		rc = tg_oauth_introspect(&q, i, a1, &active, &e);
		printf("active=%s\n", active ? "true" : "false");
	} else if (!strcmp(op, "revoke"))
		rc = tg_oauth_revoke(&q, i, a1, "access_token", &e);
	else if (!strcmp(op, "device_start")) {
		rc = tg_oauth_device_start(&q, i, "openid", NULL, &d, &e);
		if (rc == TG_OK)
			printf("user_code=%s\ninterval=%lld\nexpires_in=%lld\ncomplete=%s\ndevice_code=%s\n",
			       d.user_code, (long long)d.interval, (long long)d.expires_in,
			       d.verification_uri_complete ? "yes" : "no", d.device_code);
		tg_device_clear(&d);
	} else {
		fprintf(stderr, "oauthctl: unknown op %s\n", op);
		tg_config_free(cfg);
		return 2;
	}
	print_err(rc, &e);
	if (t.access_token)
		printf("token_type=%s\nexpires_in=%lld\naccess_token=%s\n", t.token_type,
		       (long long)t.expires_in, t.access_token);
	if (t.refresh_token)
		printf("refresh_token=%s\n", t.refresh_token);
	tg_tokens_clear(&t);
	tg_config_free(cfg);
	return 0;
}
