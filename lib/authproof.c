/*
 * authproof.c - proof, across sshd's process split, that tokengate itself
 * authenticated a user (DESIGN section 3, "nothing forgeable proves our
 * own auth").
 *
 * sshd authenticates in a child and calls pam_setcred elsewhere, so the
 * fact can only travel in the PAM environment, which the application and
 * every other module can write. A plain TOKENGATE_AUTH=alice is therefore
 * no proof. What travels instead is
 *
 *     user:service:time:SID:HMAC-SHA256(host key, "tokengate-auth" NUL user NUL service
 *                                       NUL time NUL SID)
 *
 * SID is the login's session id (a UUID, in every audit record of the
 * login): the proof carries it across the split, so that the account and
 * session stages in sshd's other process write the same id, and nobody
 * who can write the PAM environment can make a login's records name
 * another user's or service's login. (A person who puts one of their own
 * proofs back into the PAM environment, with pam_env's user_readenv, can
 * give a second login of theirs at the same service within the proof's
 * TTL the first one's id: their own two logins look like one.)
 *
 * keyed by 32 random bytes in store_dir/auth.key (root, 0600, made on first
 * use), which no one but the helper can read. The proof is bound to the
 * user and the PAM service and expires after TG_AUTHPROOF_TTL seconds;
 * nothing is written per login.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "authproof.h"
#include "file.h"

#define KEY_NAME "auth.key"
#define KEY_LEN 32

/* A new key, whole or not at all: written to a temporary name, then
 * linked into place (linkat fails if another helper won the race, and
 * its key is the one read). */
static void make_key(int dfd)
{
	unsigned char fresh[KEY_LEN];
	char tmp[64];
	if (RAND_bytes(fresh, sizeof(fresh)) != 1)
		return;
	snprintf(tmp, sizeof(tmp), ".auth.key.%ld.tmp", (long)getpid());
	unlinkat(dfd, tmp, 0);
	int w = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (w >= 0) {
		/* EEXIST: another helper's key won; it is read below */
		if (tg_write_all(w, (const char *)fresh, sizeof(fresh)) == 0 && fsync(w) == 0 &&
		    linkat(dfd, tmp, dfd, KEY_NAME, 0) != 0 && errno != EEXIST)
			errno = EIO;
		close(w);
		unlinkat(dfd, tmp, 0);
		fsync(dfd);
	}
	OPENSSL_cleanse(fresh, sizeof(fresh));
}

/* Reads the host key (a secret: root's or ours, nothing for group or
 * others, exactly KEY_LEN bytes), making it when it is missing. */
static tg_rc host_key(const char *store_dir, unsigned char key[KEY_LEN])
{
	char *buf = NULL;
	size_t len = 0;
	const char *bad = NULL;
	int dfd = tg_dir_open(store_dir);
	if (dfd < 0)
		return TG_E_IO;
	tg_rc rc = tg_file_read_at(dfd, KEY_NAME, KEY_LEN, TG_FILE_PRIVATE | TG_FILE_MISSING_OK,
				   &buf, &len, &bad);
	if (rc == TG_OK && buf == NULL) {
		make_key(dfd);
		rc = tg_file_read_at(dfd, KEY_NAME, KEY_LEN, TG_FILE_PRIVATE, &buf, &len, &bad);
	}
	close(dfd);
	if (rc == TG_OK && len == KEY_LEN)
		memcpy(key, buf, KEY_LEN);
	else
		rc = TG_E_IO;
	if (buf != NULL) {
		tg_wipe(buf, len);
		free(buf);
	}
	return rc;
}

static bool plain(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 256)
		return false;
	for (; *s; s++)
		if (*s == ':' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

/* A session id as tg_uuid4 writes it: 36 of [0-9a-f-]. */
bool tg_session_id_ok(const char *s)
{
	return s != NULL && strlen(s) == TG_SESSION_ID_LEN &&
	       strspn(s, "0123456789abcdef-") == TG_SESSION_ID_LEN;
}

/* hex(HMAC(key, label NUL user NUL service NUL time NUL sid)) */
static tg_rc mac_hex(const unsigned char key[KEY_LEN], const char *user, const char *service,
		     long long t, const char *sid, char out[65])
{
	char msg[700];
	int n = snprintf(msg, sizeof(msg), "tokengate-auth%c%s%c%s%c%lld%c%s", '\0', user, '\0',
			 service, '\0', t, '\0', sid);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    HMAC(EVP_sha256(), key, KEY_LEN, (const unsigned char *)msg, (size_t)n, md, &mdlen) ==
		    NULL ||
	    mdlen != 32)
		return TG_E_INTERNAL;
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return TG_OK;
}

tg_rc tg_authproof_make(const char *store_dir, const char *user, const char *service,
			const char *sid, int64_t now, char *out, size_t outlen)
{
	unsigned char key[KEY_LEN];
	char mac[65];
	if (!plain(user) || !plain(service) || !tg_session_id_ok(sid))
		return TG_E_INTERNAL;
	tg_rc rc = host_key(store_dir, key);
	if (rc == TG_OK)
		rc = mac_hex(key, user, service, (long long)now, sid, mac);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc == TG_OK && snprintf(out, outlen, "%s:%s:%lld:%s:%s", user, service, (long long)now,
				    sid, mac) >= (int)outlen)
		rc = TG_E_INTERNAL;
	return rc;
}

tg_rc tg_authproof_check(const char *store_dir, const char *proof, const char *user,
			 const char *service, int64_t now, char sid[TG_SESSION_ID_LEN + 1])
{
	unsigned char key[KEY_LEN];
	char want[65], expect[600], got[TG_SESSION_ID_LEN + 1];
	const char *mac = proof ? strrchr(proof, ':') : NULL;
	if (sid != NULL)
		sid[0] = '\0';
	if (mac == NULL || !plain(user) || !plain(service) || strlen(mac + 1) != 64)
		return TG_E_NO_CREDENTIALS;
	/* user:service:time:sid: exactly, the time a plain decimal */
	int pre = snprintf(expect, sizeof(expect), "%s:%s:", user, service);
	if (pre < 0 || (size_t)pre >= sizeof(expect) || strncmp(proof, expect, (size_t)pre) != 0)
		return TG_E_NO_CREDENTIALS;
	/* the time: 1 to 19 decimal digits, then ':' and the session id */
	const char *d = proof + pre;
	size_t nd = strspn(d, "0123456789");
	if (nd == 0 || nd > 19 || d[nd] != ':' ||
	    (size_t)(mac - (d + nd + 1)) != TG_SESSION_ID_LEN)
		return TG_E_NO_CREDENTIALS;
	memcpy(got, d + nd + 1, TG_SESSION_ID_LEN);
	got[TG_SESSION_ID_LEN] = '\0';
	if (!tg_session_id_ok(got))
		return TG_E_NO_CREDENTIALS;
	long long t = strtoll(d, NULL, 10);
	if (t > now + 60 || t < now - TG_AUTHPROOF_TTL)
		return TG_E_NO_CREDENTIALS;
	tg_rc rc = host_key(store_dir, key);
	if (rc == TG_OK)
		rc = mac_hex(key, user, service, t, got, want);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != TG_OK)
		return TG_E_INTERNAL;
	if (CRYPTO_memcmp(want, mac + 1, 64) != 0)
		return TG_E_NO_CREDENTIALS;
	if (sid != NULL)
		memcpy(sid, got, TG_SESSION_ID_LEN + 1);
	return TG_OK;
}
