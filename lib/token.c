/*
 * token.c - validation of a compact JWS token: structure, header rules, key
 * choice, signature, then the claims. Cheap structural checks come first;
 * identity values are kept for the audit record only once the signature
 * has verified.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "tg_internal.h"

#define HEADER_MAX_BYTES 4096u
#define KID_MAX 256u

struct tg_token {
	char *alg;
	char *kid;
	char *iss;
	char *sub;
	char *username;
	int64_t exp;
	json_t *claims;		/* {auth_time, groups} when present, for the store */
	tg_kind kind;		/* the rules it was validated under */
	bool verified;		/* its signature verified with the issuer's keys */
};

struct parts {
	const char *seg[3];
	size_t len[3];
};

/* Exactly three segments; the header and signature are never empty. */
static tg_rc split(const char *s, size_t len, struct parts *pt)
{
	size_t start = 0, n = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (n == 3)
			return TG_E_MALFORMED;
		pt->seg[n] = s + start;
		pt->len[n] = i - start;
		n++;
		start = i + 1;
	}
	if (n != 3 || pt->len[0] == 0 || pt->len[2] == 0)
		return TG_E_MALFORMED;
	return TG_OK;
}

static tg_rc decode_json(const char *seg, size_t len, size_t max, json_t **out)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	*out = NULL;
	tg_rc rc = tg_b64url_decode(seg, len, &raw, &rawlen);
	if (rc != TG_OK)
		return rc;
	rc = tg_json_parse_object((const char *)raw, rawlen, max,
				  TG_JSON_MAX_DEPTH, out);
	free(raw);
	return rc;
}

/* alg allowed, crit absent, kid a bounded string. */
static tg_rc check_header(const tg_policy *p, const json_t *hdr, tg_alg *alg,
			  const char **kid)
{
	const json_t *a = json_object_get(hdr, "alg");
	tg_rc rc = TG_OK;
	*alg = TG_ALG_NONE;
	if (!json_is_string(a))
		rc = TG_E_MALFORMED;
	else if (strcasecmp(json_string_value(a), "none") == 0 ||
		 !tg_strlist_has(&p->algs, json_string_value(a)) ||
		 (*alg = tg_alg_from_name(json_string_value(a))) == TG_ALG_NONE)
		rc = TG_E_ALG_NOT_ALLOWED;
	tg_explain(p, "alg", rc, "alg is in the allow-list (exact case), never none");
	if (rc != TG_OK)
		return rc;

	rc = json_object_get(hdr, "crit") != NULL ? TG_E_MALFORMED : TG_OK;
	tg_explain(p, "crit", rc, "no crit header (no extensions are understood)");
	if (rc != TG_OK)
		return rc;

	const json_t *k = json_object_get(hdr, "kid");
	*kid = json_string_value(k);
	if (k != NULL && (!json_is_string(k) || json_string_length(k) > KID_MAX ||
			  strlen(*kid) != json_string_length(k)))
		rc = TG_E_MALFORMED;
	tg_explain(p, "kid", rc, k ? "kid is a string" : "no kid: the one key fitting alg");
	return rc;
}

static tg_rc verify_signature(const tg_policy *p, const tg_jwks *keys,
			      const struct parts *pt, tg_alg alg,
			      const char *kid)
{
	const struct tg_key *key = NULL;
	tg_rc rc = tg_jwks_select(keys, kid, alg, &key);
	tg_explain(p, "key", rc, "a pinned key with this kid, bound to this alg");
	if (rc != TG_OK)
		return rc;

	unsigned char *sig = NULL;
	size_t siglen = 0;
	rc = tg_b64url_decode(pt->seg[2], pt->len[2], &sig, &siglen);
	if (rc == TG_OK) {
		size_t msglen = pt->len[0] + 1 + pt->len[1];
		rc = tg_sig_verify(key, alg, (const unsigned char *)pt->seg[0],
				   msglen, sig, siglen);
	}
	free(sig);
	tg_explain(p, "signature", rc, tg_alg_name(alg));
	return rc;
}

static int64_t policy_now(const tg_policy *p)
{
	return p->now != 0 ? p->now : tg_unix_time();
}

/* The claims a session keeps: auth_time, the groups claim, and the
 * username claim's value as the provider sent it (as "username"), so that
 * every offline step maps it again under today's username mapping; for
 * the records of people who exist only at the provider, the display name
 * ("name", capped) and the uid_claim's value when it is a non-negative
 * integer (as "uid_number"). */
static json_t *keep_claims(const tg_policy *p, const json_t *payload)
{
	json_t *c = json_object();
	json_t *v = json_object_get(payload, "auth_time");
	if (c != NULL && json_is_integer(v))
		json_object_set(c, "auth_time", v);
	/* the login's strength, for the offline steps (strength.c) */
	json_t *acr = json_object_get(payload, "acr"), *amr = json_object_get(payload, "amr");
	if (c != NULL && json_is_string(acr))
		json_object_set(c, "acr", acr);
	if (c != NULL && json_is_array(amr))
		json_object_set_new(c, "amr", json_deep_copy(amr));
	/* the same lookup as the groups check (dotted paths: Keycloak's
	 * realm_access.roles), or grace would never see the groups */
	const json_t *g = p->groups_claim ? tg_claim_path(payload, p->groups_claim) : NULL;
	if (c != NULL && (json_is_array(g) || json_is_string(g)))
		json_object_set_new(c, "groups", json_deep_copy(g));
	const json_t *u = tg_claim_path(payload, p->username_claim);
	if (c != NULL && json_is_string(u))
		json_object_set_new(c, "username", json_deep_copy(u));
	const json_t *name = json_object_get(payload, "name");
	if (c != NULL && json_is_string(name) && json_string_length(name) <= 256)
		json_object_set_new(c, "name", json_deep_copy(name));
	const json_t *num = p->uid_claim ? tg_claim_path(payload, p->uid_claim) : NULL;
	if (c != NULL && json_is_integer(num) && json_integer_value(num) >= 0)
		json_object_set_new(c, "uid_number", json_integer(json_integer_value(num)));
	/* which claims they came from: read under another claim name later,
	 * they would answer a question nobody asked (claims.c) */
	if (c != NULL && p->username_claim != NULL)
		json_object_set_new(c, "username_claim", json_string(p->username_claim));
	if (c != NULL && p->groups_claim != NULL)
		json_object_set_new(c, "groups_claim", json_string(p->groups_claim));
	return c;
}

/* One token, decoded once: every structural step's result, kept for the
 * checks in their order (validate) and for the look before them (the
 * issuer it names, whether it is a JWT at all). Nothing here is trusted. */
struct tg_jws {
	const char *s;		/* borrowed: the caller's text */
	size_t len;
	size_t max;		/* the size cap it was decoded under */
	tg_rc size_rc;		/* 1 .. max bytes, no NUL */
	bool nul;
	tg_rc split_rc, hdr_rc, body_rc, payload_rc;
	struct parts pt;
	json_t *hdr, *payload;
	unsigned char *body;
	size_t bodylen;
	char *iss;		/* the payload's iss, unverified */
};

tg_jws *tg_jws_parse(const char *s, size_t len, size_t max)
{
	tg_jws *j = calloc(1, sizeof(*j));
	if (j == NULL)
		return NULL;
	j->s = s;
	j->len = len;
	j->max = max;
	j->nul = s != NULL && memchr(s, '\0', len) != NULL;
	j->size_rc = s == NULL || len == 0 || len > max ? TG_E_MALFORMED : TG_OK;
	j->split_rc = j->hdr_rc = j->body_rc = j->payload_rc = TG_E_MALFORMED;
	if (j->size_rc != TG_OK || (j->split_rc = split(s, len, &j->pt)) != TG_OK)
		return j;
	j->hdr_rc = decode_json(j->pt.seg[0], j->pt.len[0], HEADER_MAX_BYTES, &j->hdr);
	j->body_rc = tg_b64url_decode(j->pt.seg[1], j->pt.len[1], &j->body, &j->bodylen);
	if (j->body_rc == TG_OK)
		j->payload_rc = tg_json_parse_object((const char *)j->body, j->bodylen, max,
						     TG_JSON_MAX_DEPTH, &j->payload);
	if (j->payload_rc == TG_OK)
		j->iss = tg_strdup(json_string_value(json_object_get(j->payload, "iss")));
	return j;
}

void tg_jws_free(tg_jws *j)
{
	if (j == NULL)
		return;
	json_decref(j->hdr);
	json_decref(j->payload);
	free(j->body);
	free(j->iss);
	free(j);
}

const char *tg_jws_iss(const tg_jws *j)
{
	return j != NULL ? j->iss : NULL;
}

bool tg_jws_is_jwt(const tg_jws *j)
{
	return j != NULL && j->split_rc == TG_OK && j->hdr_rc == TG_OK && j->payload_rc == TG_OK;
}

/* The checks in their order, on what j decoded. */
static tg_rc validate(const tg_policy *p, const tg_jwks *keys, const tg_jws *j, tg_token *t)
{
	tg_alg alg;
	const char *kid = NULL;
	char username[260];

	tg_rc rc = j->size_rc != TG_OK || j->nul ? TG_E_MALFORMED : TG_OK;
	tg_explain(p, "size", rc, "1 .. max_token_bytes, no NUL");
	if (rc == TG_OK)
		rc = j->split_rc;
	if (rc == TG_OK)
		tg_explain(p, "structure", rc, "three segments");
	if (rc == TG_OK)
		rc = j->hdr_rc;
	tg_explain(p, "header", rc, "strict base64url, a strict JSON object");
	if (rc != TG_OK)
		return rc;
	/* Every segment is held to strict base64url before any crypto. */
	rc = j->body_rc;
	tg_explain(p, "encoding", rc, "payload is strict base64url");
	if (rc != TG_OK)
		return rc;
	/* What the header claims, for the audit record even when refused
	 * (escaped and capped there; never used to choose anything). */
	t->alg = tg_strndup(json_string_value(json_object_get(j->hdr, "alg")), 32);
	t->kid = tg_strndup(json_string_value(json_object_get(j->hdr, "kid")), KID_MAX);
	if ((rc = check_header(p, j->hdr, &alg, &kid)) != TG_OK)
		return rc;
	if ((rc = verify_signature(p, keys, &j->pt, alg, kid)) != TG_OK)
		return rc;
	t->verified = true;
	if (p->signature_only)
		return rc;
	if ((rc = tg_claims_check_type(p, j->hdr)) != TG_OK)
		return rc;
	rc = j->payload_rc;
	tg_explain(p, "payload", rc, "a strict JSON object");
	if (rc != TG_OK)
		return rc;
	/* Signed: the identity may now appear in the audit record. */
	const json_t *payload = j->payload;
	t->iss = tg_strdup(json_string_value(json_object_get(payload, "iss")));
	t->sub = tg_strdup(json_string_value(json_object_get(payload, "sub")));
	tg_json_int(json_object_get(payload, "exp"), &t->exp);
	rc = tg_claims_check(p, payload, policy_now(p), username, sizeof(username));
	t->username = username[0] != '\0' ? tg_strdup(username) : NULL;
	if (rc == TG_OK || rc == TG_E_NOT_AUTHORIZED)
		t->claims = keep_claims(p, payload);
	t->kind = p->kind;
	return rc;
}

tg_rc tg_token_validate_jws(const tg_policy *p, const tg_jwks *keys, const tg_jws *j,
			    tg_token **out)
{
	*out = NULL;
	if (p == NULL || j == NULL || j->s == NULL)
		return TG_E_INTERNAL;
	/* decoded under another size cap: decode again under the policy's */
	tg_jws *own = j->max != p->max_len ? tg_jws_parse(j->s, j->len, p->max_len) : NULL;
	if (j->max != p->max_len && own == NULL)
		return TG_E_NOMEM;
	tg_token *t = calloc(1, sizeof(*t));
	if (t == NULL) {
		tg_jws_free(own);
		return TG_E_NOMEM;
	}
	tg_rc rc = validate(p, keys, own != NULL ? own : j, t);
	tg_jws_free(own);
	*out = t;
	return rc;
}

tg_rc tg_token_validate(const tg_policy *p, const tg_jwks *keys,
			const char *token, size_t len, tg_token **out)
{
	*out = NULL;
	if (p == NULL || token == NULL)
		return TG_E_INTERNAL;
	tg_jws *j = tg_jws_parse(token, len, p->max_len);
	if (j == NULL)
		return TG_E_NOMEM;
	tg_rc rc = tg_token_validate_jws(p, keys, j, out);
	tg_jws_free(j);
	return rc;
}

void tg_token_free(tg_token *t)
{
	if (t == NULL)
		return;
	free(t->alg);
	free(t->kid);
	free(t->iss);
	free(t->sub);
	free(t->username);
	json_decref(t->claims);
	free(t);
}

const char *tg_token_alg(const tg_token *t) { return t ? t->alg : NULL; }
const char *tg_token_kid(const tg_token *t) { return t ? t->kid : NULL; }
const char *tg_token_iss(const tg_token *t) { return t ? t->iss : NULL; }
const char *tg_token_sub(const tg_token *t) { return t ? t->sub : NULL; }
const char *tg_token_username(const tg_token *t) { return t ? t->username : NULL; }
int64_t tg_token_exp(const tg_token *t) { return t ? t->exp : 0; }

char *tg_token_peek_iss(const char *token, size_t len, size_t max_len)
{
	tg_jws *j = tg_jws_parse(token, len, max_len);
	char *iss = tg_strdup(tg_jws_iss(j));
	tg_jws_free(j);
	return iss;
}

void tg_token_fingerprint(const char *token, size_t len, char *buf,
			  size_t buflen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (buflen == 0)
		return;
	buf[0] = '\0';
	if (EVP_Digest(token, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    buflen < 16)
		return;
	snprintf(buf, buflen, "sha256:%02x%02x%02x%02x", md[0], md[1], md[2],
		 md[3]);
}

const json_t *tg_token_claims(const tg_token *t) { return t ? t->claims : NULL; }
bool tg_token_verified(const tg_token *t)
{
	return t != NULL && t->verified;
}

const char *tg_token_kind_name(const tg_token *t)
{
	return t && t->kind == TG_KIND_ID ? "id" : "access";
}
