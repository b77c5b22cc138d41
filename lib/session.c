/*
 * session.c - the session object of the store: schema checks, accessors,
 * and wiping its secrets.
 */
#include <stdint.h>
#include <string.h>

#include "session.h"

static const char *const secret_keys[] = { "access_token", "refresh_token",
					   "verifier", NULL };

/* Known members and their JSON types; anything else is kept as it is. */
static const struct member {
	const char *key;
	json_type type;
	bool required;
} members[] = {
	{ "version", JSON_INTEGER, true },
	{ "user", JSON_STRING, true },
	{ "uid", JSON_INTEGER, true },
	{ "issuer", JSON_STRING, false },
	{ "iss", JSON_STRING, false },
	{ "sub", JSON_STRING, false },
	{ "method", JSON_STRING, false },
	{ "kind", JSON_STRING, false },
	{ "access_token", JSON_STRING, false },
	{ "access_exp", JSON_INTEGER, false },
	{ "refresh_token", JSON_STRING, false },
	{ "claims", JSON_OBJECT, false },
	{ "verifier", JSON_STRING, false },
	{ "created", JSON_INTEGER, false },
	{ "updated", JSON_INTEGER, false },
	{ "last_online", JSON_INTEGER, false },
	{ "login_at", JSON_INTEGER, false },
	{ "login_id", JSON_STRING, false },
	{ "last_used", JSON_INTEGER, false },
	{ "sessions", JSON_ARRAY, false },
};

json_t *tg_session_new(const char *user, uint32_t uid, int64_t now)
{
	return json_pack("{s:i,s:s,s:I,s:I,s:I,s:[]}", "version", TG_SESSION_VERSION,
			 "user", user, "uid", (json_int_t)uid, "created", (json_int_t)now,
			 "updated", (json_int_t)now, "sessions");
}

bool tg_session_valid(const json_t *sess, const char *user, uint32_t uid,
		      const char **why)
{
	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		const json_t *v = json_object_get(sess, members[i].key);
		if (v == NULL && members[i].required) {
			*why = "a required member is missing";
			return false;
		}
		if (v != NULL && json_typeof(v) != members[i].type) {
			*why = "a member has the wrong type";
			return false;
		}
	}
	if (json_integer_value(json_object_get(sess, "version")) != TG_SESSION_VERSION) {
		*why = "unknown schema version";
		return false;
	}
	if (json_integer_value(json_object_get(sess, "uid")) != (json_int_t)uid ||
	    (user != NULL && strcmp(tg_session_str(sess, "user"), user) != 0)) {
		*why = "it belongs to another user";
		return false;
	}
	return true;
}

const char *tg_session_str(const json_t *sess, const char *key)
{
	return json_string_value(json_object_get(sess, key));
}

int64_t tg_session_int(const json_t *sess, const char *key)
{
	const json_t *v = json_object_get(sess, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

int64_t tg_session_login_at(const json_t *sess)
{
	int64_t at = tg_session_int(sess, "login_at");
	return at > 0 ? at : tg_session_int(sess, "created");
}

int64_t tg_session_last_use(const json_t *sess)
{
	int64_t at = tg_session_int(sess, "last_used");
	return at > 0 ? at : tg_session_login_at(sess);
}

static void wipe_member(json_t *sess, const char *key)
{
	json_t *v = json_object_get(sess, key);
	if (json_is_string(v))
		/* jansson owns the buffer; wipe it in place before it is freed */
		tg_wipe((void *)(uintptr_t)json_string_value(v), json_string_length(v));
}

tg_rc tg_session_set_str(json_t *sess, const char *key, const char *v)
{
	wipe_member(sess, key);
	if (v == NULL) {
		json_object_del(sess, key);
		return TG_OK;
	}
	return json_object_set_new(sess, key, json_string(v)) == 0 ? TG_OK : TG_E_NOMEM;
}

tg_rc tg_session_set_int(json_t *sess, const char *key, int64_t v)
{
	return json_object_set_new(sess, key, json_integer((json_int_t)v)) == 0 ? TG_OK
									       : TG_E_NOMEM;
}

void tg_session_free(json_t *sess)
{
	if (sess == NULL)
		return;
	if (json_is_object(sess) && sess->refcount == 1)
		for (size_t i = 0; secret_keys[i]; i++)
			wipe_member(sess, secret_keys[i]);
	json_decref(sess);
}
