/*
 * proto.h - the module <-> helper message protocol (version 1).
 *
 * A frame is: version (1 byte) | type (1 byte) | length (4 bytes, big
 * endian) | payload. The payload is a sequence of fields: tag (1 byte) |
 * length (4 bytes, big endian) | bytes. Frames are capped at 1 MiB; every
 * field must fit its frame exactly. Strings carry no NUL.
 *
 *   module -> helper   TG_MSG_REQUEST   (once, first)
 *   helper -> module   TG_MSG_PROMPT    (0..n; the module answers each)
 *   module -> helper   TG_MSG_ANSWER
 *   helper -> module   TG_MSG_RESULT    (once, last)
 */
#ifndef TG_PROTO_H
#define TG_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TG_PROTO_VERSION 1
#define TG_PROTO_MAX_FRAME (1024u * 1024u)

enum tg_msg_type {
	TG_MSG_REQUEST = 1,
	TG_MSG_PROMPT = 2,
	TG_MSG_ANSWER = 3,
	TG_MSG_RESULT = 4,
};

enum tg_tag {
	TG_T_OP = 1,		/* u32: TG_OP_* */
	TG_T_SERVICE = 2,
	TG_T_USER = 3,
	TG_T_RHOST = 4,
	TG_T_TTY = 5,
	TG_T_RUSER = 6,
	TG_T_CONFIG = 7,	/* config file path */
	TG_T_KIND = 8,		/* "access" / "id" override */
	TG_T_FLAGS = 9,		/* u32: TG_F_* */
	TG_T_AUTHTOK = 10,	/* a secret: PAM_AUTHTOK or a kept token */
	TG_T_START_NS = 11,	/* u64: CLOCK_MONOTONIC at the PAM call */
	TG_T_STYLE = 12,	/* u32: TG_STYLE_* */
	TG_T_TEXT = 13,		/* prompt text, answer text, user message */
	TG_T_RC = 14,		/* u32: tg_rc */
	TG_T_KEEP = 15,		/* result: secret the module keeps for account */
	TG_T_UID = 16,		/* u32: the user's uid, when the account exists */
	TG_T_SESSION = 17,	/* the PAM session's id (TOKENGATE_SESSION) */
	TG_T_CLOCK = 18,	/* u64: a signed clock offset (test builds only) */
	TG_T_WAIT = 19,		/* u32, in a prompt: the helper's next step may take up
				   to this many seconds (device polling); 1..600 */
	TG_T_PROOF = 20,	/* auth result / setcred request: the proof that
				   tokengate authenticated the user (authproof.h) */
};

enum { TG_OP_AUTH = 1, TG_OP_ACCOUNT = 2, TG_OP_OPEN_SESSION = 3, TG_OP_CLOSE_SESSION = 4,
       TG_OP_SETCRED = 5 };
enum {
	TG_F_DEBUG = 1u << 0,
	TG_F_USE_FIRST_PASS = 1u << 1,
	TG_F_TRY_FIRST_PASS = 1u << 2,
	TG_F_NO_CONV = 1u << 3,		/* never prompt */
	TG_F_AUTHED = 1u << 4,		/* tokengate authenticated this handle */
	TG_F_REQUIRE_SESSION = 1u << 5,	/* account: no session is a denial */
	TG_F_NONINTERACTIVE = 1u << 6,	/* a conversation, but no person (cron):
					   messages only, never a prompt or a poll */
	TG_F_SHORT_ANSWERS = 1u << 7,	/* the program cuts answers at 511 bytes
					   (sudo): no token fits */
};
enum {
	TG_STYLE_ECHO_OFF = 1,
	TG_STYLE_ECHO_ON = 2,
	TG_STYLE_ERROR = 3,
	TG_STYLE_INFO = 4,
};

struct tg_msg {
	uint8_t type;
	unsigned char *buf;	/* the payload; wiped when freed */
	size_t len, cap;
};

void tg_msg_init(struct tg_msg *m, uint8_t type);
void tg_msg_free(struct tg_msg *m);
bool tg_msg_add(struct tg_msg *m, uint8_t tag, const void *data, size_t len);
bool tg_msg_add_str(struct tg_msg *m, uint8_t tag, const char *s);
bool tg_msg_add_u32(struct tg_msg *m, uint8_t tag, uint32_t v);
bool tg_msg_add_u64(struct tg_msg *m, uint8_t tag, uint64_t v);

/* The first field with this tag, borrowed. */
bool tg_msg_get(const struct tg_msg *m, uint8_t tag, const unsigned char **p,
		size_t *len);
/* A copy of a string field (NULL when absent or holding a NUL). */
char *tg_msg_get_str(const struct tg_msg *m, uint8_t tag);
bool tg_msg_get_u32(const struct tg_msg *m, uint8_t tag, uint32_t *v);
bool tg_msg_get_u64(const struct tg_msg *m, uint8_t tag, uint64_t *v);

/* Whole-frame I/O. deadline_ms is a CLOCK_MONOTONIC time in milliseconds
 * (0: none). Returns 0, or -1 with errno (ETIMEDOUT, EPROTO, EPIPE...). */
int tg_msg_send(int fd, const struct tg_msg *m, uint64_t deadline_ms);
int tg_msg_recv(int fd, struct tg_msg *m, uint64_t deadline_ms);

uint64_t tg_monotonic_ms(void);
uint64_t tg_monotonic_ns(void);

#endif
