/*
 * http.c - HTTP for the helper on libcurl, loaded with dlopen the first
 * time the network is needed: a program linked to libcurl pays ~12 ms at
 * start (33 shared objects), and the warm path (cached keys) must not.
 *
 * Always: TLS verification, https only (http only to a loopback literal
 * with allow_http_loopback), connect and total timeouts, a body cap, no
 * proxy unless configured (CURLOPT_PROXY is always set, so the environment
 * can never pick one), CURLOPT_NOSIGNAL, no redirects, no compression.
 */
#include <ctype.h>
#include <errno.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"

#define TG_CURL_SONAME "libcurl.so.4"	/* Debian: libcurl4, OpenSSL flavour */
#define DEFAULT_MAX_BODY (1024u * 1024u)

static struct {
	void *dl;
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *init;
	__typeof__(curl_easy_setopt) *setopt;
	__typeof__(curl_easy_perform) *perform;
	__typeof__(curl_easy_getinfo) *getinfo;
	__typeof__(curl_easy_cleanup) *cleanup;
	__typeof__(curl_easy_strerror) *strerror;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
} cu;

static bool load_curl(void)
{
	if (cu.dl != NULL)
		return true;
	void *dl = dlopen(TG_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL)
		return false;
#define SYM(field, name) (*(void **)&cu.field = dlsym(dl, name)) != NULL
	bool ok = SYM(global_init, "curl_global_init") && SYM(init, "curl_easy_init") &&
		  SYM(setopt, "curl_easy_setopt") && SYM(perform, "curl_easy_perform") &&
		  SYM(getinfo, "curl_easy_getinfo") && SYM(cleanup, "curl_easy_cleanup") &&
		  SYM(strerror, "curl_easy_strerror") &&
		  SYM(slist_append, "curl_slist_append") &&
		  SYM(slist_free_all, "curl_slist_free_all");
#undef SYM
	if (!ok || cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		dlclose(dl);
		memset(&cu, 0, sizeof(cu));
		return false;
	}
	cu.dl = dl;
	return true;
}

const char *tg_http_class_name(tg_http_class c)
{
	static const char *const names[] = {
		"ok", "network", "timeout", "tls", "http_4xx", "http_429", "http_5xx",
		"malformed", "too_big", "bad_url", "unavailable", "circuit_open", "local",
	};
	return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "unknown";
}

bool tg_http_retryable(tg_http_class c)
{
	return c == TG_HTTP_NETWORK || c == TG_HTTP_TIMEOUT || c == TG_HTTP_429 ||
	       c == TG_HTTP_5XX;
}

tg_rc tg_http_class_rc(tg_http_class c)
{
	switch (c) {
	case TG_HTTP_OK:
		return TG_OK;
	case TG_HTTP_NETWORK:
	case TG_HTTP_TIMEOUT:
	case TG_HTTP_429:
	case TG_HTTP_5XX:
	case TG_HTTP_CIRCUIT_OPEN:
		return TG_E_IDP_UNREACHABLE;
	case TG_HTTP_4XX:
	case TG_HTTP_BAD_URL:
		return TG_E_CONFIG;
	case TG_HTTP_TLS:	/* a provider we cannot authenticate: no grace */
	case TG_HTTP_MALFORMED:
	case TG_HTTP_TOO_BIG:
		return TG_E_MALFORMED;
	case TG_HTTP_UNAVAILABLE:
	case TG_HTTP_LOCAL:
		break;
	}
	return TG_E_INTERNAL;
}

int tg_http_circuit_verdict(tg_http_class c)
{
	if (c == TG_HTTP_OK || c == TG_HTTP_4XX)
		return 1;
	return tg_http_retryable(c) ? -1 : 0;
}

/* The host part of an http(s) URL is a loopback literal. */
static bool loopback_host(const char *authority, size_t n)
{
	char host[64];
	if (memchr(authority, '@', n) != NULL || n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, authority, n);
	host[n] = '\0';
	if (host[0] == '[') {
		char *e = strchr(host, ']');
		return e != NULL && (size_t)(e - host) == 4 && !strncmp(host, "[::1]", 5) &&
		       (e[1] == '\0' || e[1] == ':');
	}
	char *colon = strchr(host, ':');
	if (colon)
		*colon = '\0';
	if (strcmp(host, "localhost") == 0)
		return true;
	unsigned a, b, c, d;
	char tail;
	return sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a == 127 &&
	       b < 256 && c < 256 && d < 256;
}

bool tg_http_url_allowed(const char *url, bool allow_http_loopback)
{
	if (url == NULL)
		return false;
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	const char *rest;
	bool https = strncmp(url, "https://", 8) == 0;
	if (https)
		rest = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		rest = url + 7;
	else
		return false;
	size_t n = strcspn(rest, "/?#");
	if (n == 0 || memchr(rest, '@', n) != NULL)
		return false;
	return https || (allow_http_loopback && loopback_host(rest, n));
}

struct sink {
	struct tg_http_resp *r;
	size_t cap, max;
	bool overflow;
	bool nomem;		/* a local failure, not the provider's */
	int socket_errno;	/* socket() failed here (EMFILE, ENOBUFS, ...) */
};

/* libcurl opens its sockets through this, so a socket that could not even
 * be created (descriptors used up, no buffers) is known to be ours, not
 * the network's. */
static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct sink *s = ud;
	(void)purpose;
	int fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	if (fd < 0) {
		s->socket_errno = errno;
		return CURL_SOCKET_BAD;
	}
	return fd;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	if (s->r->len + n > s->max) {
		s->overflow = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (s->r->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->r->len + n + 1)
			cap *= 2;
		char *nb = malloc(cap);
		if (nb == NULL) {
			s->nomem = true;
			return 0;
		}
		if (s->r->body != NULL) {
			memcpy(nb, s->r->body, s->r->len);
			tg_wipe(s->r->body, s->cap);
			free(s->r->body);
		}
		s->r->body = nb;
		s->cap = cap;
	}
	memcpy(s->r->body + s->r->len, data, n);
	s->r->len += n;
	s->r->body[s->r->len] = '\0';
	return n;
}

/* Reads Cache-Control max-age, Retry-After and Content-Type. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
	struct tg_http_resp *r = ud;
	size_t n = size * nmemb;
	char line[512];
	if (n >= sizeof(line))
		return n;
	memcpy(line, data, n);
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (!strncasecmp(line, "HTTP/", 5)) { /* a new response: reset */
		r->max_age = r->retry_after = -1;
		r->json = false;
	} else if (!strncasecmp(line, "cache-control:", 14)) {
		for (char *p = line + 14; *p; p++) {
			if (!strncasecmp(p, "no-store", 8) || !strncasecmp(p, "no-cache", 8))
				r->max_age = 0;
			if (!strncasecmp(p, "max-age=", 8) && isdigit((unsigned char)p[8]))
				r->max_age = strtol(p + 8, NULL, 10);
		}
	} else if (!strncasecmp(line, "retry-after:", 12)) {
		char *p = line + 12;
		while (*p == ' ')
			p++;
		if (isdigit((unsigned char)*p))
			r->retry_after = strtol(p, NULL, 10);
	} else if (!strncasecmp(line, "content-type:", 13)) {
		char *p = line + 13;
		while (*p == ' ')
			p++;
		size_t t = strcspn(p, "; ");
		r->json = (t == 16 && !strncasecmp(p, "application/json", 16)) ||
			  (t > 5 && !strncasecmp(p + t - 5, "+json", 5));
	}
	return n;
}

/* A connect or transfer that failed because of this process, not the
 * network: no descriptors, no memory, no thread for the resolver. The
 * caller's resource limits must never look like an outage. */
static bool local_errno(long e)
{
	return e == EMFILE || e == ENFILE || e == ENOMEM || e == ENOBUFS || e == EAGAIN ||
	       e == EPERM || e == EACCES || e == EINTR || e == EFBIG || e == EADDRNOTAVAIL;
}

/* ---- was it us? ----
 * A timeout is the provider's only when this process could run: time
 * spent waiting for a CPU (the caller's affinity, other processes' load)
 * or throttled by a cgroup's CPU quota is counted here, and a timeout that
 * is mostly that is a local failure. */
struct starve {
	uint64_t wall_ns, run_delay_ns, throttled_ns;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* /proc/thread-self/schedstat: "cpu_ns run_delay_ns slices" of this
 * thread, the one that waits for the transfer. */
static uint64_t run_delay(void)
{
	unsigned long long cpu = 0, delay = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "re");
	if (f != NULL && fscanf(f, "%llu %llu", &cpu, &delay) != 2)
		delay = 0;
	if (f != NULL)
		fclose(f);
	return delay;
}

/* CPU quota throttling of our cgroup: v2 cpu.stat throttled_usec, or v1
 * cpu,cpuacct cpu.stat throttled_time (ns). 0 when unknown. */
static uint64_t throttled(void)
{
	char line[512], path[700];
	uint64_t ns = 0;
	FILE *f = fopen("/proc/self/cgroup", "re");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		*c2 = '\0';
		const char *ctl = c1 + 1, *cg = c2 + 1, *key = NULL;
		if (*ctl == '\0') {
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cpu.stat", cg);
			key = "throttled_usec";
		} else if (strstr(ctl, "cpu") != NULL && strstr(ctl, "cpuset") == NULL) {
			snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s/cpu.stat", ctl, cg);
			key = "throttled_time";
		} else {
			continue;
		}
		FILE *st = fopen(path, "re");
		char k[64];
		unsigned long long v;
		while (st != NULL && fscanf(st, "%63s %llu", k, &v) == 2)
			if (strcmp(k, key) == 0)
				ns += strcmp(key, "throttled_usec") == 0 ? (uint64_t)v * 1000u : (uint64_t)v;
		if (st != NULL)
			fclose(st);
	}
	if (f != NULL)
		fclose(f);
	return ns;
}

static void starve_start(struct starve *s)
{
	s->wall_ns = mono_ns();
	s->run_delay_ns = run_delay();
	s->throttled_ns = throttled();
}

/* More than a quarter of the wait was not the network's. */
static bool starved(const struct starve *s)
{
	uint64_t wall = mono_ns() - s->wall_ns;
	uint64_t lost = (run_delay() - s->run_delay_ns) + (throttled() - s->throttled_ns);
	return wall > 0 && lost * 4 > wall;
}

static tg_http_class classify(CURLcode rc, long status, bool overflow, long os_errno,
			      bool local_failure)
{
	if (overflow)
		return TG_HTTP_TOO_BIG;
	if (local_failure)
		return TG_HTTP_LOCAL;
	switch (rc) {
	case CURLE_OK:
		break;
	case CURLE_OUT_OF_MEMORY:
	case CURLE_FAILED_INIT:
	case CURLE_WRITE_ERROR:		/* our write callback gave up (not the cap) */
	case CURLE_READ_ERROR:
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_NOT_BUILT_IN:
	case CURLE_UNKNOWN_OPTION:
	case CURLE_FUNCTION_NOT_FOUND:
	case CURLE_INTERFACE_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CERTPROBLEM:	/* a local certificate file */
	case CURLE_SSL_CACERT_BADFILE:	/* ca_file unreadable */
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SEND_FAIL_REWIND:
		return TG_HTTP_LOCAL;
	case CURLE_OPERATION_TIMEDOUT:
		return TG_HTTP_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return TG_HTTP_TLS;
	case CURLE_FILESIZE_EXCEEDED:
		return TG_HTTP_TOO_BIG;
	case CURLE_PARTIAL_FILE:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:	/* "HTTP/0.9": not HTTP at all */
		return TG_HTTP_MALFORMED;
	default:
		/* refused, reset, unreachable, DNS: unless the system call
		 * failed for a reason of this process */
		return local_errno(os_errno) ? TG_HTTP_LOCAL : TG_HTTP_NETWORK;
	}
	if (status == 429)
		return TG_HTTP_429;
	if (status >= 500)
		return TG_HTTP_5XX;
	if (status >= 400)
		return TG_HTTP_4XX;
	if (status >= 200 && status < 300)
		return TG_HTTP_OK;
	return TG_HTTP_MALFORMED; /* 1xx/3xx: redirects are not followed */
}

static void set_options(CURL *h, const struct tg_http_opts *o, const char *url,
			struct sink *s, bool http)
{
	cu.setopt(h, CURLOPT_URL, url);
	cu.setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu.setopt(h, CURLOPT_PROTOCOLS_STR, http ? "http" : "https");
	cu.setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	cu.setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	cu.setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		cu.setopt(h, CURLOPT_CAINFO, o->ca_file);
	/* Always set: "" means no proxy at all, whatever the environment says. */
	cu.setopt(h, CURLOPT_PROXY, o->proxy ? o->proxy : "");
	cu.setopt(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 3000L);
	cu.setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms : 10000L);
	cu.setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
	cu.setopt(h, CURLOPT_USERAGENT, "tokengate/" TG_VERSION);
	cu.setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	cu.setopt(h, CURLOPT_WRITEDATA, s);
	cu.setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	cu.setopt(h, CURLOPT_HEADERDATA, s->r);
	cu.setopt(h, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	cu.setopt(h, CURLOPT_OPENSOCKETDATA, s);
}

tg_rc tg_http_request(const struct tg_http_opts *o, const char *url,
		      const char *form, const char *basic_user,
		      const char *basic_pass, struct tg_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->max_age = r->retry_after = -1;
	if (!tg_http_url_allowed(url, o->allow_http_loopback)) {
		r->cls = TG_HTTP_BAD_URL;
		snprintf(r->error, sizeof(r->error), "URL refused by policy (https only)");
		return TG_E_CONFIG;
	}
	if (!load_curl()) {
		r->cls = TG_HTTP_UNAVAILABLE;
		snprintf(r->error, sizeof(r->error), "cannot load %s", TG_CURL_SONAME);
		return tg_http_class_rc(r->cls);
	}
	CURL *h = cu.init();
	struct curl_slist *hdrs = h ? cu.slist_append(NULL, "Accept: application/json") : NULL;
	if (hdrs == NULL) {
		if (h != NULL)
			cu.cleanup(h);
		r->cls = TG_HTTP_LOCAL;
		snprintf(r->error, sizeof(r->error), "libcurl: out of memory");
		return tg_http_class_rc(r->cls);
	}
	struct sink s = { r, 0, o->max_body ? o->max_body : DEFAULT_MAX_BODY, false, false, 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	set_options(h, o, url, &s, strncmp(url, "http://", 7) == 0);
	cu.setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	cu.setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (form != NULL) {
		cu.setopt(h, CURLOPT_POSTFIELDS, form);
	}
	if (basic_user != NULL) {
		cu.setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		cu.setopt(h, CURLOPT_USERNAME, basic_user);
		cu.setopt(h, CURLOPT_PASSWORD, basic_pass ? basic_pass : "");
	}
	struct starve sv;
	starve_start(&sv);
	CURLcode rc = cu.perform(h);
	long os_errno = 0;
	cu.getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	cu.getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	if (rc != CURLE_OK && s.socket_errno != 0)
		os_errno = s.socket_errno;
	/* the resolver thread could not start (a pids limit), or we were
	 * kept off the CPU: ours, not the network's */
	bool ours = s.nomem || (rc != CURLE_OK && s.socket_errno != 0) ||
		    (rc == CURLE_COULDNT_RESOLVE_HOST && strstr(errbuf, "thread") != NULL) ||
		    (rc == CURLE_OPERATION_TIMEDOUT && starved(&sv));
	r->cls = classify(rc, r->status, s.overflow, os_errno, ours);
	if (s.nomem) /* before errbuf, which only says the write failed */
		snprintf(r->error, sizeof(r->error), "out of memory for the response");
	else if (r->cls == TG_HTTP_LOCAL && rc == CURLE_OPERATION_TIMEDOUT)
		snprintf(r->error, sizeof(r->error), "%s: this process was kept off the CPU",
			 cu.strerror(rc));
	else if (r->cls == TG_HTTP_LOCAL && os_errno != 0)
		snprintf(r->error, sizeof(r->error), "%s (%s)", cu.strerror(rc), strerror((int)os_errno));
	else if (r->cls == TG_HTTP_LOCAL && errbuf[0] != '\0')
		snprintf(r->error, sizeof(r->error), "%.150s", errbuf);
	else if (rc != CURLE_OK)
		snprintf(r->error, sizeof(r->error), "%s", cu.strerror(rc));
	else if (r->cls != TG_HTTP_OK)
		snprintf(r->error, sizeof(r->error), "HTTP %ld", r->status);
	cu.slist_free_all(hdrs);
	cu.cleanup(h);
	return tg_http_class_rc(r->cls);
}

void tg_http_resp_free(struct tg_http_resp *r)
{
	if (r->body != NULL) {
		tg_wipe(r->body, r->len);
		free(r->body);
	}
	r->body = NULL;
	r->len = 0;
}
