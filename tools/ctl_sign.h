/*
 * ctl_sign.h - JWS signing for tokengatectl mint and the test tools.
 */
#ifndef TG_CTL_SIGN_H
#define TG_CTL_SIGN_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

EVP_PKEY *ctl_load_private_key(const char *path);
/* Signs header.payload (both JSON texts, used verbatim) with alg: RS256,
 * PS256, ES256, EdDSA with key; HS256 with hmac_key; "none" unsigned.
 * Returns a new compact JWS or NULL. */
char *ctl_jws_sign(EVP_PKEY *key, const unsigned char *hmac_key,
		   size_t hmac_len, const char *alg, const char *header,
		   const char *payload);

/* The public JWK of a key (RSA, EC P-256, Ed25519); alg may be NULL. */
json_t *ctl_public_jwk(EVP_PKEY *pk, const char *kid, const char *alg);

#endif
