/*
 * rc.c - the result table: for every result, its audit reason code, its
 * text, the syslog priority of its record, whether it is a guess the
 * lockout counter keeps, what the user is told, and the PAM code at each
 * stage (DESIGN sections 7 and 8). It is the only place results are
 * mapped: the helper and the PAM module read it, nothing else decides.
 * No dependencies (PAM's and syslog's numbers are header constants): the
 * PAM module links it too.
 *
 * Priorities, as the Linux-PAM module writers' guide asks: LOG_NOTICE for
 * wrong credentials and refusals, LOG_WARNING for provider trouble,
 * LOG_ERR for the module's own failures, LOG_ALERT for a broken
 * configuration, LOG_CRIT for a resource shortage (memory, files).
 */
#include <syslog.h>

#include <security/_pam_types.h>

#include "tokengate.h"

struct result {
	const char *reason;
	const char *text;
	int priority;
	int guess;
	const char *token_msg;	/* a typed token ended in it */
	const char *login_msg;	/* a login or the session chain ended in it */
	int pam[TG_AT_COUNT];
};

/* The PAM columns: auth, setcred, account (claimed user), account
 * (unclaimed user), open_session, close_session. */
#define PAM6(au, sc, ac, un, op, cl) \
	{ [TG_AT_AUTH] = (au), [TG_AT_SETCRED] = (sc), [TG_AT_ACCOUNT] = (ac), \
	  [TG_AT_ACCOUNT_UNCLAIMED] = (un), [TG_AT_OPEN_SESSION] = (op), \
	  [TG_AT_CLOSE_SESSION] = (cl) }
/* a wrong credential: auth error, account denial */
#define REFUSED PAM6(PAM_AUTH_ERR, PAM_IGNORE, PAM_PERM_DENIED, PAM_PERM_DENIED, \
		     PAM_SESSION_ERR, PAM_SESSION_ERR)
/* authenticated, or not, but not allowed in */
#define DENIED PAM6(PAM_PERM_DENIED, PAM_IGNORE, PAM_PERM_DENIED, PAM_PERM_DENIED, \
		    PAM_SESSION_ERR, PAM_SESSION_ERR)
/* nothing could be decided: the provider, the store or the host failed */
#define UNAVAIL PAM6(PAM_AUTHINFO_UNAVAIL, PAM_IGNORE, PAM_AUTHINFO_UNAVAIL, \
		     PAM_AUTHINFO_UNAVAIL, PAM_SESSION_ERR, PAM_SESSION_ERR)
/* the same answer at every stage */
#define ALL(x) PAM6((x), (x), (x), (x), (x), (x))

#define TOKEN_REJECTED "Token rejected."
#define TOKEN_UNAVAILABLE "Token login is unavailable; contact your administrator."
#define LOGIN_UNAVAILABLE "Login is unavailable; contact your administrator."
#define NOT_AUTHORIZED "Access denied: you are not authorized on this host."

static const struct result table[TG_R_COUNT] = {
	[TG_OK] = { "ok", "success", LOG_INFO, 0, NULL, NULL,
		    ALL(PAM_SUCCESS) },
	[TG_E_MALFORMED] = { "malformed", "the token or input is malformed", LOG_NOTICE, 0,
			     "Token rejected: that is not a well-formed token.",
			     LOGIN_UNAVAILABLE, REFUSED },
	[TG_E_BAD_SIGNATURE] = { "bad_signature", "the signature does not verify", LOG_NOTICE, 0,
				 TOKEN_REJECTED, LOGIN_UNAVAILABLE, REFUSED },
	[TG_E_ALG_NOT_ALLOWED] = { "alg_not_allowed", "the signing algorithm is not allowed",
				   LOG_NOTICE, 0, TOKEN_REJECTED, LOGIN_UNAVAILABLE, REFUSED },
	[TG_E_UNKNOWN_KID] = { "unknown_kid", "no usable key matches the token", LOG_NOTICE, 0,
			       TOKEN_REJECTED, LOGIN_UNAVAILABLE, REFUSED },
	[TG_E_EXPIRED] = { "expired", "the token has expired", LOG_NOTICE, 0,
			   "Token rejected: it has expired.",
			   "Your session has expired; log in again.", REFUSED },
	[TG_E_NOT_YET_VALID] = { "not_yet_valid", "the token is not valid yet", LOG_NOTICE, 0,
				 "Token rejected: it is not valid yet (check the clock).",
				 LOGIN_UNAVAILABLE, REFUSED },
	[TG_E_BAD_ISSUER] = { "bad_issuer", "the token comes from another issuer", LOG_NOTICE, 0,
			      TOKEN_REJECTED, LOGIN_UNAVAILABLE, REFUSED },
	[TG_E_BAD_AUDIENCE] = { "bad_audience", "the token is meant for another audience",
				LOG_NOTICE, 0, TOKEN_REJECTED, LOGIN_UNAVAILABLE, REFUSED },
	[TG_E_BAD_TYPE] = { "bad_type", "the token is of the wrong type", LOG_NOTICE, 0,
			    TOKEN_REJECTED, LOGIN_UNAVAILABLE, REFUSED },
	[TG_E_USER_MISMATCH] = { "user_mismatch", "the token belongs to another user", LOG_NOTICE, 0,
				 "Token rejected: it was not issued for this user.",
				 "Your session does not belong to this user.", REFUSED },
	[TG_E_NOT_AUTHORIZED] = { "not_authorized", "the user is not authorized here", LOG_NOTICE, 0,
				  NOT_AUTHORIZED, NOT_AUTHORIZED, DENIED },
	[TG_E_REVOKED] = { "revoked", "the session was revoked", LOG_NOTICE, 0,
			   "Token rejected: your session was revoked; log in with your password or a browser login.",
			   "Your session was revoked by the identity provider.", REFUSED },
	[TG_E_IDP_UNREACHABLE] = { "idp_unreachable", "the identity provider is unreachable",
				   LOG_WARNING, 0, TOKEN_REJECTED,
				   "Identity provider unreachable; no offline access is possible.",
				   UNAVAIL },
	/* renewable only online or interactively: at account, a denial */
	[TG_E_GRACE_EXPIRED] = { "grace_expired", "the offline grace period has ended", LOG_WARNING, 0,
				 TOKEN_REJECTED,
				 "Identity provider unreachable, and the offline grace period has ended.",
				 PAM6(PAM_AUTHINFO_UNAVAIL, PAM_IGNORE, PAM_PERM_DENIED, PAM_PERM_DENIED,
				      PAM_SESSION_ERR, PAM_SESSION_ERR) },
	[TG_E_LOCKED_OUT] = { "locked_out", "too many failed attempts", LOG_NOTICE, 0, TOKEN_REJECTED,
			      "Too many failed attempts; try again later.", DENIED },
	/* nothing given, no session: a user who may not be tokengate's */
	[TG_E_NO_CREDENTIALS] = { "no_credentials", "no credentials were given", LOG_NOTICE, 0, NULL,
				  NULL, PAM6(PAM_AUTH_ERR, PAM_IGNORE, PAM_PERM_DENIED, PAM_IGNORE,
					     PAM_IGNORE, PAM_IGNORE) },
	[TG_E_TIMEOUT] = { "timeout", "the operation timed out", LOG_ERR, 0, TOKEN_REJECTED,
			   "Your session is busy; try again.", UNAVAIL },
	[TG_E_INTERNAL] = { "internal", "internal error", LOG_ERR, 0, TOKEN_UNAVAILABLE,
			    LOGIN_UNAVAILABLE, UNAVAIL },
	[TG_E_CONFIG] = { "internal", "configuration error", LOG_ALERT, 0, TOKEN_UNAVAILABLE,
			  LOGIN_UNAVAILABLE, UNAVAIL },
	[TG_E_NOMEM] = { "internal", "out of memory", LOG_CRIT, 0, TOKEN_UNAVAILABLE,
			 LOGIN_UNAVAILABLE, UNAVAIL },
	[TG_E_IO] = { "internal", "input/output error", LOG_CRIT, 0, TOKEN_UNAVAILABLE,
		      LOGIN_UNAVAILABLE, UNAVAIL },
	/* the one guess: counted, and kept when refused */
	[TG_E_BAD_PASSWORD] = { "bad_password", "the password was refused", LOG_NOTICE, 1,
				TOKEN_REJECTED, "Password rejected.", REFUSED },

	/* the module's own results (the helper could not say) */
	[TG_R_HELPER_FAILED] = { "internal", "the helper failed", LOG_ERR, 0, NULL, NULL,
				 UNAVAIL },
	[TG_R_MODULE_FAILED] = { "internal", "the module cannot ask the helper", LOG_ERR, 0, NULL,
				 NULL, ALL(PAM_AUTHINFO_UNAVAIL) },
	[TG_R_UNKNOWN_USER] = { "user_mismatch", "the PAM user is not usable here", LOG_NOTICE, 0,
				NULL, NULL, ALL(PAM_USER_UNKNOWN) },
	[TG_R_CONV_AGAIN] = { "no_credentials", "the application asks to be called again",
			      LOG_INFO, 0, NULL, NULL, ALL(PAM_INCOMPLETE) },
	[TG_R_BUF_ERR] = { "internal", "a PAM call failed for memory", LOG_CRIT, 0, NULL, NULL,
			   ALL(PAM_BUF_ERR) },
};

/* Outside the table: an internal failure, never a success. */
static const struct result unknown = { "internal", "unknown error", LOG_ERR, 0,
				       TOKEN_UNAVAILABLE, LOGIN_UNAVAILABLE, UNAVAIL };

static const struct result *row(tg_rc rc)
{
	return (unsigned)rc < TG_R_COUNT ? &table[rc] : &unknown;
}

const char *tg_reason(tg_rc rc)
{
	return row(rc)->reason;
}

const char *tg_strerror(tg_rc rc)
{
	return row(rc)->text;
}

int tg_rc_priority(tg_rc rc)
{
	return row(rc)->priority;
}

int tg_rc_is_guess(tg_rc rc)
{
	return row(rc)->guess;
}

const char *tg_rc_token_message(tg_rc rc)
{
	return row(rc)->token_msg;
}

const char *tg_rc_login_message(tg_rc rc)
{
	return row(rc)->login_msg;
}

int tg_rc_pam(tg_rc rc, tg_pam_at at)
{
	if ((unsigned)at >= TG_AT_COUNT)
		return PAM_SERVICE_ERR;
	return row(rc)->pam[at];
}

const char *tg_version(void)
{
	return TG_VERSION;
}
