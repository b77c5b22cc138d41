/*
 * fakehelper - broken stand-ins for tokengate-helper, one per FAKE_MODE:
 * crash, hang, garbage, badversion, silent, exit1, liar. The module must
 * answer PAM_AUTHINFO_UNAVAIL to every one of them. "ok" answers success
 * (for the spawn test, never installed as a PAM helper).
 */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

extern char **environ;

/* "ok" checks what the module promised: an empty environment, nothing open
 * beyond 0, 1 and 2, and 0/1 being the socket. */
static uint32_t inherited_state(void)
{
	if (environ != NULL && environ[0] != NULL)
		return 101;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	uint32_t rc = 0;
	if (d == NULL)
		return 102;
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] != '.' && fd > 2 && fd != dirfd(d))
			rc = 103;
	}
	closedir(d);
	return rc;
}

static void result(uint32_t rc)
{
	struct tg_msg m;
	tg_msg_init(&m, TG_MSG_RESULT);
	tg_msg_add_u32(&m, TG_T_RC, rc);
	tg_msg_send(1, &m, 0);
	tg_msg_free(&m);
}

int main(void)
{
	struct tg_msg req;
	const char *mode = FAKE_MODE;
	if (tg_msg_recv(0, &req, tg_monotonic_ms() + 5000) == 0)
		tg_msg_free(&req);
	if (!strcmp(mode, "crash")) {
		raise(SIGSEGV);
	} else if (!strcmp(mode, "hang")) {
		sleep(120);
	} else if (!strcmp(mode, "garbage")) {
		static const char junk[] = "HTTP/1.1 200 OK\r\n\r\nyes, authenticated";
		write(1, junk, sizeof(junk) - 1);
	} else if (!strcmp(mode, "badversion")) {
		static const unsigned char frame[] = { 9, 4, 0, 0, 0, 9, 14, 0, 0, 0, 4, 0, 0, 0, 0 };
		write(1, frame, sizeof(frame));
	} else if (!strcmp(mode, "exit1")) {
		result(0);		/* claims success, then fails */
		return 1;
	} else if (!strcmp(mode, "ok")) {
		result(inherited_state());
	} else if (!strcmp(mode, "liar")) {
		result(9999);		/* no such result code */
	}
	/* silent: exit 0 without a result */
	return 0;
}
