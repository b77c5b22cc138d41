/* fuzz_json - the strict JSON parser and the claim rules over any object. */
#include <stdlib.h>

#include "tg_internal.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	json_t *j = NULL;
	if (tg_json_parse_object((const char *)data, size, 64 * 1024,
				 TG_JSON_MAX_DEPTH, &j) != TG_OK)
		return 0;
	static tg_policy *p;
	if (p == NULL) {
		p = tg_policy_new();
		tg_policy_set_issuer(p, "https://idp.test");
		tg_policy_set_audience(p, "hosts");
		tg_policy_set_user(p, "alice");
		tg_policy_set_groups(p, "realm_access.roles", "admins");
		/* the username mapping: strip and lowercase */
		tg_strlist_parse(&p->usermap.strip_domains, "corp.example eng.corp.example");
		p->usermap.lowercase = true;
	}
	char user[260];
	tg_claims_check(p, j, 1700000000, user, sizeof(user));
	tg_claims_authorize_stored(p, "https://idp.test", j);
	tg_claims_check_type(p, j);
	json_decref(j);
	return 0;
}
