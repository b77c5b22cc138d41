/*
 * userid.c - stable ids from (iss, sub) and (iss, group) (userid.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "userid.h"

static bool parse_u32(const char *s, const char *end, uint64_t *v)
{
	uint64_t n = 0;
	if (s == end || end - s > 10)
		return false;
	for (const char *p = s; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		n = n * 10 + (uint64_t)(*p - '0');
	}
	*v = n;
	return true;
}

bool tg_id_range_parse(const char *s, struct tg_id_range *r, const char **why)
{
	const char *dash = s ? strchr(s, '-') : NULL;
	uint64_t lo = 0, hi = 0;
	*why = "must be LOW-HIGH, two whole numbers";
	if (dash == NULL || !parse_u32(s, dash, &lo) || !parse_u32(dash + 1, dash + strlen(dash), &hi))
		return false;
	*why = "must lie within 65536-2147483646 (below: the host's own accounts; above: signed-int trouble)";
	if (lo < TG_ID_MIN || hi > TG_ID_MAX)
		return false;
	*why = "must be at least 65536 ids wide, LOW before HIGH";
	if (lo > hi || hi - lo + 1 < 65536)
		return false;
	r->lo = (uint32_t)lo;
	r->hi = (uint32_t)hi;
	*why = NULL;
	return true;
}

bool tg_id_range_overlap(const struct tg_id_range *a, const struct tg_id_range *b)
{
	return a->lo <= b->hi && b->lo <= a->hi;
}

bool tg_id_in_range(const struct tg_id_range *r, uint64_t id)
{
	return id >= r->lo && id <= r->hi;
}

uint32_t tg_id_derive(const struct tg_id_range *r, const char *kind, const char *a,
		      const char *b)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
		  EVP_DigestUpdate(c, kind, strlen(kind) + 1) == 1 &&
		  EVP_DigestUpdate(c, a, strlen(a) + 1) == 1 &&
		  EVP_DigestUpdate(c, b, strlen(b)) == 1 && EVP_DigestFinal_ex(c, md, &n) == 1;
	EVP_MD_CTX_free(c);
	if (!ok || n < 8)
		return 0; /* not in any range: the caller refuses it */
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | md[i];
	uint64_t span = (uint64_t)r->hi - r->lo + 1;
	return r->lo + (uint32_t)(v % span);
}
