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
	TG_HTTP_LOCAL,		/* failed here: memory, descriptors, a callback */
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
/* The one classification of a request's outcome (DESIGN section 3): only a
 * request that was sent and met a network error, a timeout, a 429 or a 5xx
 * (or the open circuit those opened) is TG_E_IDP_UNREACHABLE, the one code
 * that may lead to grace. Local failures are TG_E_INTERNAL, a policy or
 * endpoint problem TG_E_CONFIG, a garbled answer TG_E_MALFORMED. */
TG_HIDDEN tg_rc tg_http_class_rc(tg_http_class c);
/* What the outcome tells the circuit breaker: 1 the provider answered,
 * -1 it failed (the classes above), 0 nothing about the provider. */
TG_HIDDEN int tg_http_circuit_verdict(tg_http_class c);
/* Is url acceptable: https, or http to a loopback literal when allowed. */
TG_HIDDEN bool tg_http_url_allowed(const char *url, bool allow_http_loopback);

#endif
