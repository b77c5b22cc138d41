/*
 * module_conv.c - the conversation with the person, through libpam.
 */
#include <stdlib.h>
#include <string.h>

#include <security/pam_ext.h>

#include "module.h"

void tg_wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int tg_converse(pam_handle_t *pamh, int style, const char *text, char **answer)
{
	char *resp = NULL;
	*answer = NULL;
	int rc = pam_prompt(pamh, style, &resp, "%s", text);
	if (rc != PAM_SUCCESS) {
		tg_wipe_free(resp);
		return rc;
	}
	if (style == PAM_PROMPT_ECHO_OFF || style == PAM_PROMPT_ECHO_ON) {
		if (resp == NULL)
			return PAM_CONV_ERR;
		*answer = resp;
		return PAM_SUCCESS;
	}
	tg_wipe_free(resp);
	*answer = strdup("");
	return *answer ? PAM_SUCCESS : PAM_BUF_ERR;
}
