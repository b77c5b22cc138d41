/*
 * helper_main.c - tokengate-helper: reads one request from the module on
 * stdin, may ask it for prompts, answers with one result, exits.
 *
 * It runs as the PAM application's user (root for sshd, su, sudo) with an
 * empty environment; it drops to a plain root identity when it can, so the
 * invoking user of a setuid caller cannot signal or trace it.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "helper.h"

#ifndef TG_CONFIG_PATH
#define TG_CONFIG_PATH "/etc/security/tokengate.conf"
#endif

#define REQUEST_WAIT_MS 10000u

/* After helper_own_process: one identity, and a last-resort deadline. */
static void harden(void)
{
	if (geteuid() == 0) {
		if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0)
			_exit(3);
	}
	alarm(15 * 60); /* a last resort: no helper outlives a login */
}

static int read_request(struct hctx *c)
{
	struct tg_msg m;
	if (tg_msg_recv(c->fd, &m, tg_monotonic_ms() + REQUEST_WAIT_MS) < 0)
		return -1;
	int ok = m.type == TG_MSG_REQUEST && tg_msg_get_u32(&m, TG_T_OP, &c->op) &&
		 tg_msg_get_u32(&m, TG_T_FLAGS, &c->flags);
	tg_msg_get_u64(&m, TG_T_START_NS, &c->start_ns);
	c->service = tg_msg_get_str(&m, TG_T_SERVICE);
	c->user = tg_msg_get_str(&m, TG_T_USER);
	c->rhost = tg_msg_get_str(&m, TG_T_RHOST);
	c->tty = tg_msg_get_str(&m, TG_T_TTY);
	c->config_path = tg_msg_get_str(&m, TG_T_CONFIG);
	c->kind = tg_msg_get_str(&m, TG_T_KIND);
	c->authtok = tg_msg_get_str(&m, TG_T_AUTHTOK);
	c->have_uid = tg_msg_get_u32(&m, TG_T_UID, &c->uid);
	c->session_in = tg_msg_get_str(&m, TG_T_SESSION);
	c->proof_in = tg_msg_get_str(&m, TG_T_PROOF);
#ifdef TG_TESTING
	/* test builds only: the shipped helper's clock cannot be moved */
	uint64_t off = 0;
	if (tg_msg_get_u64(&m, TG_T_CLOCK, &off))
		c->clock_offset = (int64_t)off;
#endif
	tg_msg_free(&m);
	if (c->config_path == NULL)
		c->config_path = strdup(TG_CONFIG_PATH);
	if (!ok || c->user == NULL || c->config_path == NULL)
		return -1;
	return 0;
}

static int send_result(struct hctx *c, tg_rc rc)
{
	struct tg_msg m;
	tg_msg_init(&m, TG_MSG_RESULT);
	tg_msg_add_u32(&m, TG_T_RC, (uint32_t)rc);
	if (rc == TG_OK && c->keep != NULL)
		tg_msg_add_str(&m, TG_T_KEEP, c->keep);
	/* the login's session id, whatever the outcome: the module keeps it
	 * for the handle's later stages */
	if (c->session_out != NULL || c->sid[0] != '\0')
		tg_msg_add_str(&m, TG_T_SESSION, c->session_out ? c->session_out : c->sid);
	if (rc == TG_OK && c->proof_out != NULL)
		tg_msg_add_str(&m, TG_T_PROOF, c->proof_out);
	int r = tg_msg_send(c->fd, &m, tg_monotonic_ms() + REQUEST_WAIT_MS);
	tg_msg_free(&m);
	return r;
}

static void cleanup(struct hctx *c)
{
	free(c->service);
	free(c->user);
	free(c->rhost);
	free(c->tty);
	free(c->config_path);
	free(c->kind);
	tg_free_secret(c->authtok);
	tg_free_secret(c->keep);
	free(c->session_in);
	free(c->session_out);
	free(c->proof_in);
	free(c->proof_out);
	tg_config_free(c->cfg);
}

int main(void)
{
	struct hctx c = { .fd = 0 };
	helper_audit_open();
	if (helper_own_process() < 0)
		return 3; /* the module: a helper failure, PAM_AUTHINFO_UNAVAIL */
	harden();
	/* Nothing here looks a cipher or digest up by its legacy name (keys,
	 * digests and libcurl's TLS are fetched from the provider), so
	 * OpenSSL's legacy name tables are never built: 0.4 ms of a start. */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
			    OPENSSL_INIT_NO_ADD_ALL_DIGESTS, NULL);
	tg_crypto_init();
	if (read_request(&c) < 0) {
		syslog(LOG_ERR, "%s", "event=internal result=error reason=internal detail=bad_request");
		cleanup(&c);
		return 2;
	}
	tg_rc rc;
	if (c.op == TG_OP_AUTH)
		rc = helper_authenticate(&c);
	else if (c.op == TG_OP_ACCOUNT)
		rc = helper_account(&c);
	else if (c.op == TG_OP_OPEN_SESSION)
		rc = helper_open_session(&c);
	else if (c.op == TG_OP_CLOSE_SESSION)
		rc = helper_close_session(&c);
	else if (c.op == TG_OP_SETCRED)
		rc = helper_setcred(&c);
	else
		rc = TG_E_INTERNAL;
	int sent = send_result(&c, rc);
	cleanup(&c);
	return sent < 0 ? 2 : 0;
}
