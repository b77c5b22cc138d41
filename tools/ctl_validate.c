/*
 * ctl_validate.c - tokengatectl validate: the module's checks, from the
 * command line, with --explain listing every check and its outcome.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "keysource.h"
#include "tokengate.h"

#ifndef TG_CONFIG_PATH
#define TG_CONFIG_PATH "/etc/security/tokengate.conf"
#endif

struct vopts {
	const char *config, *issuer, *jwks, *iss, *aud, *kind, *user;
	int signature_only, explain;
	long long now;
};

static void on_check(void *ud, const char *check, tg_rc rc, const char *detail)
{
	(void)ud;
	printf("  %-6s %-10s %s%s%s\n", rc == TG_OK ? "ok" : "FAIL", check, detail,
	       rc == TG_OK ? "" : "  -> ", rc == TG_OK ? "" : tg_reason(rc));
}

static void on_skip(void *ud, size_t index, const char *kid, const char *cause)
{
	const struct vopts *o = ud;
	if (o->explain)
		printf("  skip   key[%zu]    kid=%s: %s\n", index, kid ? kid : "-",
		       cause);
}

static void on_keys_event(void *ud, const char *event, const char *result,
			  tg_rc reason, const char *detail)
{
	const struct vopts *o = ud;
	if (o->explain || strcmp(result, "ok") != 0)
		fprintf(o->explain ? stdout : stderr, "  %-6s %-10s %s: %s\n",
			strcmp(result, "ok") ? "note" : "ok", event, result,
			detail ? detail : tg_reason(reason));
}

/* The library's events while it fetches discovered keys. */
static void on_event(void *ud, enum tg_ev kind, const char *event, const char *result,
		     tg_rc reason, const char *detail)
{
	const struct vopts *o = ud;
	if (kind == TG_EV_SKIP) {
		if (o->explain)
			printf("  skip   %s\n", detail);
	} else if (kind == TG_EV_PROVIDER) {
		on_keys_event(ud, event, result, reason, detail);
	}
}

static void on_warn(void *ud, const char *msg)
{
	(void)ud;
	fprintf(stderr, "tokengatectl: warning: %s\n", msg);
}

char *ctl_read_token(int fd, size_t max)
{
	char *buf = malloc(max + 2);
	size_t len = 0;
	ssize_t r;
	if (buf == NULL)
		return NULL;
	while (len <= max && (r = read(fd, buf + len, max + 1 - len)) > 0)
		len += (size_t)r;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	return buf;
}

static int parse(int argc, char **argv, struct vopts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "issuer", required_argument, NULL, 'I' },
		{ "jwks", required_argument, NULL, 'j' },
		{ "iss", required_argument, NULL, 'i' },
		{ "aud", required_argument, NULL, 'a' },
		{ "kind", required_argument, NULL, 'k' },
		{ "user", required_argument, NULL, 'u' },
		{ "signature-only", no_argument, NULL, 's' },
		{ "now", required_argument, NULL, 'n' },
		{ "explain", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	char *end;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'I': o->issuer = optarg; break;
		case 'j': o->jwks = optarg; break;
		case 'i': o->iss = optarg; break;
		case 'a': o->aud = optarg; break;
		case 'k': o->kind = optarg; break;
		case 'u': o->user = optarg; break;
		case 's': o->signature_only = 1; break;
		case 'e': o->explain = 1; break;
		case 'n':
			o->now = strtoll(optarg, &end, 10);
			if (*end || o->now <= 0)
				return -1;
			break;
		default: return -1;
		}
	}
	if (optind != argc - 1)
		return -1;
	if (o->kind && strcmp(o->kind, "access") && strcmp(o->kind, "id"))
		return -1;
	if (o->jwks && o->config)
		return -1;
	if (o->jwks && !o->signature_only && (!o->iss || !o->aud))
		return -1;
	return 0;
}

/* The policy and keys, from --jwks/--iss/--aud or from the config. */
static int setup(struct vopts *o, const char *token, tg_policy **p,
		 tg_jwks **keys, tg_config **cfg)
{
	char err[512] = "";
	if (o->jwks != NULL) {
		if (tg_jwks_load_file(o->jwks, on_skip, o, keys, err, sizeof(err)) != TG_OK) {
			fprintf(stderr, "tokengatectl: %s\n", err[0] ? err : o->jwks);
			return CTL_USAGE;
		}
		*p = tg_policy_new();
		if (*p == NULL || tg_policy_set_issuer(*p, o->iss) != TG_OK ||
		    tg_policy_set_audience(*p, o->aud) != TG_OK ||
		    tg_policy_set_client_id(*p, o->aud) != TG_OK)
			return CTL_USAGE;
		return CTL_OK;
	}
	const char *path = o->config ? o->config : TG_CONFIG_PATH;
	if (tg_config_load(path, on_warn, NULL, cfg, err, sizeof(err)) != TG_OK) {
		fprintf(stderr, "tokengatectl: %s\n", err);
		return CTL_USAGE;
	}
	long idx;
	if (o->issuer != NULL) {
		idx = tg_config_find_issuer(*cfg, o->issuer);
	} else {
		char *iss = tg_token_peek_iss(token, strlen(token),
					      tg_config_max_token_bytes(*cfg));
		idx = tg_config_issuer_for_iss(*cfg, iss);
		free(iss);
	}
	if (idx < 0) {
		fprintf(stderr, o->issuer ? "tokengatectl: no [issuer %s]\n"
					  : "bad_issuer\n", o->issuer);
		return o->issuer ? CTL_USAGE : CTL_REJECTED;
	}
	const char *jf = tg_config_jwks_file(*cfg, (size_t)idx);
	if (jf != NULL) {
		if (tg_jwks_load_file(jf, on_skip, o, keys, err, sizeof(err)) != TG_OK) {
			fprintf(stderr, "tokengatectl: %s\n", err);
			return CTL_USAGE;
		}
	} else {
		/* discovered keys, through the same cache the helper uses */
		struct tg_ctx x = { .cfg = *cfg, .now = tg_unix_time(), .sink = on_event,
				    .ud = o };
		bool fetched;
		if (tg_issuer_keys(&x, (size_t)idx, NULL, false, keys, &fetched) != TG_OK) {
			fprintf(stderr, "idp_unreachable\n");
			return CTL_REJECTED;
		}
	}
	return tg_policy_from_config(*cfg, (size_t)idx, NULL, p) == TG_OK
		       ? CTL_OK : CTL_USAGE;
}

int ctl_validate(int argc, char **argv)
{
	struct vopts o = { 0 };
	tg_policy *p = NULL;
	tg_jwks *keys = NULL;
	tg_config *cfg = NULL;
	tg_token *t = NULL;
	if (parse(argc, argv, &o) < 0) {
		fputs("usage: tokengatectl validate [--config FILE] [--issuer NAME] "
		      "[--jwks FILE --iss URL --aud AUD] [--kind access|id] "
		      "[--user NAME] [--signature-only] [--now UNIXTIME] "
		      "[--explain] TOKEN|-\n", stderr);
		return CTL_USAGE;
	}
	const char *arg = argv[argc - 1];
	char *token = strcmp(arg, "-") == 0 ? ctl_read_token(0, 256 * 1024)
					    : strdup(arg);
	int ret = token ? setup(&o, token, &p, &keys, &cfg) : CTL_USAGE;
	if (ret == CTL_OK) {
		if (o.kind)
			tg_policy_set_kind(p, strcmp(o.kind, "id") ? TG_KIND_ACCESS : TG_KIND_ID);
		if (o.now)
			tg_policy_set_now(p, o.now);
		if (o.user)
			tg_policy_set_user(p, o.user);
		tg_policy_set_signature_only(p, o.signature_only);
		if (o.explain)
			tg_policy_set_explain(p, on_check, NULL);
		tg_rc rc = tg_token_validate(p, keys, token, strlen(token), &t);
		if (rc == TG_OK) {
			printf("valid: iss=%s sub=%s user=%s kid=%s alg=%s\n",
			       tg_token_iss(t) ? tg_token_iss(t) : "-",
			       tg_token_sub(t) ? tg_token_sub(t) : "-",
			       tg_token_username(t) ? tg_token_username(t) : "-",
			       tg_token_kid(t) ? tg_token_kid(t) : "-", tg_token_alg(t));
		} else {
			fflush(stdout);
			fprintf(stderr, "%s\n", tg_reason(rc));
			ret = CTL_REJECTED;
		}
	}
	tg_token_free(t);
	tg_policy_free(p);
	tg_jwks_free(keys);
	tg_config_free(cfg);
	tg_free_secret(token);
	return ret;
}
