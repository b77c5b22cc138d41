/*
 * helper.h - tokengate-helper, the privileged back half of the module:
 * config, keys, crypto (and later network and store) run here, in a fresh
 * process with an empty environment.
 */
#ifndef TG_HELPER_H
#define TG_HELPER_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"
#include "tokengate.h"

struct hctx {
	uint32_t op;
	uint32_t flags;
	char *service;
	char *user;
	char *rhost;
	char *config_path;
	char *kind;		/* module's kind= override, or NULL */
	char *authtok;		/* secret */
	uint64_t start_ns;
	int fd;			/* the socket to the module (stdin/stdout) */
	tg_config *cfg;
	bool json;		/* audit_format = json */
	char *keep;		/* secret handed back for the account stage */
};

/* One step's outcome, for the decision's audit record. */
struct hresult {
	tg_rc rc;
	const char *method;
	const char *detail;
	const tg_token *token;
	char fingerprint[24];
};

int helper_prompt(struct hctx *c, uint32_t style, const char *text,
		  char **answer);
void helper_message(struct hctx *c, uint32_t style, const char *text);

void helper_audit_open(void);
void helper_audit_decision(const struct hctx *c, const char *event,
			   const struct hresult *r);
void helper_audit_simple(const struct hctx *c, const char *event,
			 const char *result, const char *reason,
			 const char *detail, int prio);
void helper_debug(const struct hctx *c, const char *msg);

tg_rc helper_load_config(struct hctx *c);
tg_rc helper_authenticate(struct hctx *c);
tg_rc helper_account(struct hctx *c);

#endif
