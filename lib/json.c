/*
 * json.c - strict JSON through jansson.
 *
 * jansson already rejects invalid UTF-8, \u0000 (without JSON_ALLOW_NUL),
 * trailing bytes (without JSON_DISABLE_EOF_CHECK) and, with
 * JSON_REJECT_DUPLICATES, duplicate member names. Size and nesting are
 * capped here before jansson sees the bytes: its own depth limit is 2048.
 */
#include <string.h>

#include "tg_internal.h"

/* Nesting depth of a JSON text, counted outside strings; -1 for a raw NUL. */
static int nesting_depth(const char *buf, size_t len, int limit)
{
	int depth = 0;
	bool in_str = false, esc = false;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (c == '\0')
			return -1;
		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > limit)
				return depth;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

tg_rc tg_json_parse_object(const char *buf, size_t len, size_t max_bytes,
			   int max_depth, json_t **out)
{
	*out = NULL;
	if (buf == NULL || len == 0 || len > max_bytes)
		return TG_E_MALFORMED;
	int d = nesting_depth(buf, len, max_depth);
	if (d != 0)
		return TG_E_MALFORMED;

	json_error_t err;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return TG_E_MALFORMED;
	if (!json_is_object(root)) {
		json_decref(root);
		return TG_E_MALFORMED;
	}
	*out = root;
	return TG_OK;
}

bool tg_json_int(const json_t *v, int64_t *out)
{
	if (!json_is_integer(v))
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}
