/*
 * http.h - the HTTP client of the helper (libcurl, loaded with dlopen on
 * first use so that the warm path never maps it).
 */
#ifndef TG_HTTP_H
#define TG_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "tg_internal.h"

typedef enum tg_http_class {
	TG_HTTP_OK = 0,
	TG_HTTP_NETWORK,	/* refused, unreachable, reset, nothing received */
	TG_HTTP_TIMEOUT,
	TG_HTTP_TLS,
	TG_HTTP_4XX,
	TG_HTTP_429,
	TG_HTTP_5XX,
	TG_HTTP_MALFORMED,	/* redirect, truncated, wrong content, not JSON */
	TG_HTTP_TOO_BIG,
	TG_HTTP_BAD_URL,	/* refused by policy before any request */
	TG_HTTP_UNAVAILABLE,	/* libcurl could not be loaded */
	TG_HTTP_CIRCUIT_OPEN,	/* not sent: the provider is known to be down */
} tg_http_class;

struct tg_http_opts {
	long connect_timeout_ms;
	long timeout_ms;
	size_t max_body;		/* default 1 MiB */
	const char *ca_file;
	const char *proxy;		/* NULL: never a proxy */
	bool allow_http_loopback;
};

struct tg_http_resp {
	tg_http_class cls;
	long status;
	char *body;			/* NUL-terminated; wiped when freed */
	size_t len;
	long max_age;			/* Cache-Control max-age, -1 if none */
	long retry_after;		/* seconds, -1 if none */
	bool json;			/* Content-Type is application/json (or +json) */
	char error[160];
};

/* GET (form == NULL) or POST application/x-www-form-urlencoded. With
 * basic_user set, HTTP Basic client authentication. */
TG_HIDDEN tg_rc tg_http_request(const struct tg_http_opts *o, const char *url,
				const char *form, const char *basic_user,
				const char *basic_pass, struct tg_http_resp *r);
TG_HIDDEN void tg_http_resp_free(struct tg_http_resp *r);
TG_HIDDEN const char *tg_http_class_name(tg_http_class c);
/* Worth retrying: network, timeout, 429, 5xx. */
TG_HIDDEN bool tg_http_retryable(tg_http_class c);
/* Is url acceptable: https, or http to a loopback literal when allowed. */
TG_HIDDEN bool tg_http_url_allowed(const char *url, bool allow_http_loopback);

#endif
