/*
 * dlopen_check - the shipped .so files load with every symbol resolved
 * (RTLD_NOW) and export exactly what they should: pam_sm_* for the module,
 * tg_* for the library.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

static int check_module(const char *path)
{
	static const char *const want[] = { "pam_sm_authenticate", "pam_sm_setcred",
		"pam_sm_acct_mgmt", "pam_sm_open_session", "pam_sm_close_session" };
	int bad = 0;
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		printf("FAIL dlopen %s: %s\n", path, dlerror());
		return 1;
	}
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (dlsym(h, want[i]) == NULL) {
			printf("FAIL %s: %s missing\n", path, want[i]);
			bad++;
		}
	}
	static const char *const hidden[] = { "tg_reason", "tg_audit_new", "tg_msg_send",
		"tg_run_helper", "tg_args_parse" };
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		if (dlsym(h, hidden[i]) != NULL) {
			printf("FAIL %s exports %s\n", path, hidden[i]);
			bad++;
		}
	}
	dlclose(h);
	return bad;
}

int main(int argc, char **argv)
{
	int bad = 0;
	for (int i = 1; i < argc; i++) {
		bad += check_module(argv[i]);
		printf("%s %s\n", bad ? "FAIL" : "ok  ", argv[i]);
	}
	return bad ? 1 : 0;
}
