/*
 * helper_credential.c - what the person gives: a token (PAM_AUTHTOK or
 * prompts, in pieces when a client cuts long answers) or a password, by
 * the methods the service allows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper.h"
#include "tg_internal.h"

#define MAX_PIECES 16

size_t helper_max_token_len(const struct hctx *c)
{
	return tg_config_max_token_bytes(c->cfg);
}

static bool is_cut_length(size_t n)
{
	return n == 511 || n == 1023 || n == 4095;
}

/* Does the answer so far need another piece? (DESIGN section 9) */
static bool wants_more(const char *so_far, size_t last_len)
{
	size_t dots = 0;
	for (const char *p = so_far; *p; p++)
		dots += *p == '.';
	return dots < 2 || is_cut_length(last_len);
}

/* Could this be a token (two dots)? A password typed for an earlier
 * module is not. */
static bool looks_like_token(const char *s)
{
	const char *d = strchr(s, '.');
	return d != NULL && strchr(d + 1, '.') != NULL;
}

/* The rest of a token whose first piece is *buf. */
static tg_rc more_pieces(struct hctx *c, char *buf, size_t max_len, size_t first_len)
{
	size_t len = strlen(buf);
	if (!wants_more(buf, first_len))
		return TG_OK;
	for (int piece = 1; piece < MAX_PIECES; piece++) {
		char *ans = NULL;
		if (helper_prompt(c, TG_STYLE_ECHO_OFF, "Token (continued): ", &ans) < 0)
			break;
		size_t n = strlen(ans);
		if (n == 0) {
			tg_free_secret(ans);
			break;
		}
		if (len + n > max_len) {
			tg_free_secret(ans);
			return TG_E_MALFORMED; /* longer than any token we accept */
		}
		memcpy(buf + len, ans, n + 1);
		len += n;
		tg_free_secret(ans);
		if (!wants_more(buf, n))
			break;
	}
	return TG_OK;
}

/* A non-empty answer: a password, or a token (read in pieces). Takes
 * ownership of ans. */
tg_rc helper_cred_from_answer(struct hctx *c, char *ans, bool token_on, bool password_on,
			      struct helper_cred *out)
{
	/* Room for one piece past the cap, to tell "too long" apart. */
	size_t max_len = helper_max_token_len(c) + 1;
	size_t n = strlen(ans);
	bool token = token_on && (!password_on || strchr(ans, '.') != NULL || is_cut_length(n));
	if (!token) {
		out->kind = HELPER_CRED_PASSWORD;
		out->secret = ans;
		return TG_OK;
	}
	char *buf = n <= max_len ? calloc(1, max_len + 1) : NULL;
	if (buf == NULL) {
		tg_free_secret(ans);
		return n > max_len ? TG_E_MALFORMED : TG_E_NOMEM;
	}
	memcpy(buf, ans, n + 1);
	tg_free_secret(ans);
	tg_rc rc = more_pieces(c, buf, max_len, n);
	if (rc != TG_OK) {
		tg_wipe(buf, max_len + 1);
		free(buf);
		return rc;
	}
	out->kind = HELPER_CRED_TOKEN;
	out->secret = buf;
	return TG_OK;
}

static tg_rc from_prompt(struct hctx *c, bool token_on, bool password_on, bool device_on,
			 struct helper_cred *out)
{
	/* Under sudo no token fits an answer: ask for what does (a token
	 * short enough is still taken). */
	bool offer_token = token_on && !(c->flags & TG_F_SHORT_ANSWERS);
	const char *label = offer_token && password_on ? "Password or token" : password_on ? "Password"
											   : "Token";
	char prompt[96];
	snprintf(prompt, sizeof(prompt), "%s%s: ", label,
		 device_on ? " (Enter for a browser login)" : "");
	char *ans = NULL;
	if (helper_prompt(c, TG_STYLE_ECHO_OFF, prompt, &ans) < 0)
		return TG_E_NO_CREDENTIALS;
	if (*ans == '\0') {
		tg_free_secret(ans);
		out->kind = HELPER_CRED_EMPTY;
		return TG_OK;
	}
	return helper_cred_from_answer(c, ans, token_on, password_on, out);
}

bool helper_cred_from_authtok(struct hctx *c, bool token_on, bool password_on,
			      struct helper_cred *out)
{
	out->kind = HELPER_CRED_NONE;
	out->secret = NULL;
	bool have = c->authtok != NULL && *c->authtok;
	bool first = (c->flags & (TG_F_USE_FIRST_PASS | TG_F_TRY_FIRST_PASS)) != 0;
	if (!have || !first)
		return false;
	bool tok = token_on && (looks_like_token(c->authtok) ||
				(!password_on && (c->flags & TG_F_USE_FIRST_PASS)));
	if (!tok && !password_on)
		return false;
	out->kind = tok ? HELPER_CRED_TOKEN : HELPER_CRED_PASSWORD;
	out->secret = strdup(c->authtok);
	return true;
}

tg_rc helper_cred_prompt(struct hctx *c, bool token_on, bool password_on, bool device_on,
			 struct helper_cred *out)
{
	out->kind = HELPER_CRED_NONE;
	out->secret = NULL;
	if ((c->flags & TG_F_USE_FIRST_PASS) || !helper_interactive(c))
		return TG_E_NO_CREDENTIALS;
	if ((c->flags & TG_F_SHORT_ANSWERS) && !password_on && !device_on) {
		helper_message(c, TG_STYLE_ERROR,
			       "Token login is not possible here: this program (sudo) cuts answers at "
			       "511 bytes and tokens are longer. Ask your administrator for the password "
			       "or browser login on this service.");
		return TG_E_NO_CREDENTIALS;
	}
	return from_prompt(c, token_on, password_on, device_on, out);
}

void helper_cred_clear(struct helper_cred *cr)
{
	tg_free_secret(cr->secret);
	cr->secret = NULL;
	cr->kind = HELPER_CRED_NONE;
}

/* OpenSSH's stand-in for what an invalid user (or root where
 * PermitRootLogin forbids passwords) typed: "\b\n\r\177INCORRECT". Never a
 * real password or token: never sent to the provider, never counted. */
bool helper_sshd_placeholder(const char *answer)
{
	return answer != NULL && strcmp(answer, "\b\n\r\177INCORRECT") == 0;
}
