/*
 * settings.h - the configuration as typed values, converted once when it
 * is loaded (durations in seconds, flags as bool, numbers): the global
 * settings, and per PAM service the service keys under the override rule
 * [service NAME], then [global], then the default. A value that does not
 * convert (check-config refuses such files) reads as the key's default,
 * as before: durations, or false, or 0.
 */
#ifndef TG_SETTINGS_H
#define TG_SETTINGS_H

#include "tg_internal.h"
#include "userid.h"

struct tg_service_settings {
	const char *methods;	/* the method list, as written */
	const char *issuer;	/* issuer = NAME, or NULL: any (by iss; new
				   sessions: the first with a client_id) */
	long issuer_idx;	/* its index, -1 without the key */
	int64_t offline_grace, refresh_ahead, leeway, device_timeout;
	int64_t session_max_age;	/* since the last interactive login */
	int64_t idle_timeout;		/* since the session was last used (0: none) */
	int64_t max_auth_age;		/* the login at the provider (0: none) */
	const char *required_acr;	/* the list, as written, or NULL */
	bool qr, revoke_on_logout, export_token;
};

struct tg_settings {
	const char *store_dir, *cache_dir, *export_dir;
	int64_t http_connect_timeout, http_timeout;
	int64_t lockout_window, lockout_time;
	long lockout_attempts;
	/* the records of people who exist only at the provider */
	const char *nss_dir, *home_template, *shell, *user_group;
	struct tg_id_range uid_range, gid_range;
	int64_t users_expire;
	struct tg_service_settings global;	/* a service without a section */
};

TG_HIDDEN const struct tg_settings *tg_settings(const tg_config *cfg);
/* The service's settings (service NULL or without a section: global). */
TG_HIDDEN const struct tg_service_settings *tg_service_settings(const tg_config *cfg,
								 const char *service);

#endif
