/*
 * authproof.h - an unforgeable "tokengate authenticated USER for SERVICE"
 * for pam_setcred across sshd's process split (see authproof.c).
 */
#ifndef TG_AUTHPROOF_H
#define TG_AUTHPROOF_H

#include "tg_internal.h"

#define TG_AUTHPROOF_TTL 900	/* seconds: LoginGraceTime and session setup */
#define TG_AUTHPROOF_MAX 400	/* bytes, NUL included */

#define TG_SESSION_ID_LEN 36	/* a UUID (tg_uuid4) */

/* Is s a session id as tg_uuid4 writes one? */
TG_HIDDEN bool tg_session_id_ok(const char *s);
/* The proof for a successful auth of user at service, now, in the login
 * whose session id is sid. */
TG_HIDDEN tg_rc tg_authproof_make(const char *store_dir, const char *user, const char *service,
				  const char *sid, int64_t now, char *out, size_t outlen);
/* TG_OK when proof is ours, for user and service, not expired (sid, when
 * given, receives the login's session id); TG_E_NO_CREDENTIALS when it is
 * not; TG_E_INTERNAL when the key cannot be read. */
TG_HIDDEN tg_rc tg_authproof_check(const char *store_dir, const char *proof, const char *user,
				   const char *service, int64_t now,
				   char sid[TG_SESSION_ID_LEN + 1]);

#endif
