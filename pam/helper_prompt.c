/*
 * helper_prompt.c - asking the module to show a prompt or a message.
 */
#include <stdlib.h>

#include "helper.h"

/* A person may take a while to answer; not forever. */
#define ANSWER_WAIT_MS (10u * 60u * 1000u)

bool helper_interactive(const struct hctx *c)
{
	return !(c->flags & (TG_F_NO_CONV | TG_F_NONINTERACTIVE));
}

int helper_prompt_wait(struct hctx *c, uint32_t style, const char *text,
		       uint32_t wait_s, char **answer)
{
	struct tg_msg m, reply;
	*answer = NULL;
	bool asks = style == TG_STYLE_ECHO_OFF || style == TG_STYLE_ECHO_ON;
	if ((c->flags & TG_F_NO_CONV) || (asks && !helper_interactive(c)))
		return -1;
	tg_msg_init(&m, TG_MSG_PROMPT);
	tg_msg_add_u32(&m, TG_T_STYLE, style);
	tg_msg_add_str(&m, TG_T_TEXT, text);
	if (wait_s > 0)
		tg_msg_add_u32(&m, TG_T_WAIT, wait_s);
	int rc = tg_msg_send(c->fd, &m, tg_monotonic_ms() + ANSWER_WAIT_MS);
	tg_msg_free(&m);
	if (rc < 0)
		return -1;
	if (tg_msg_recv(c->fd, &reply, tg_monotonic_ms() + ANSWER_WAIT_MS) < 0)
		return -1;
	if (reply.type != TG_MSG_ANSWER) {
		tg_msg_free(&reply);
		return -1;
	}
	*answer = tg_msg_get_str(&reply, TG_T_TEXT);
	tg_msg_free(&reply);
	return *answer ? 0 : -1;
}

int helper_prompt(struct hctx *c, uint32_t style, const char *text,
		  char **answer)
{
	return helper_prompt_wait(c, style, text, 0, answer);
}

void helper_message(struct hctx *c, uint32_t style, const char *text)
{
	char *ignored = NULL;
	if (helper_prompt(c, style, text, &ignored) == 0)
		tg_free_secret(ignored);
}
