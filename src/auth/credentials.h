/* The Nebius CLI service-account credentials format:
 *   {"subject-credentials": {"type": "JWT", "alg": "RS256", "private-key": "<PEM>",
 *                            "kid": "publickey-...", "iss": "serviceaccount-...", "sub": "serviceaccount-..."}} */
#ifndef BN_AUTH_CREDENTIALS_H
#define BN_AUTH_CREDENTIALS_H

#include "util/log.h"

typedef struct bn_sa_credentials {
    char *service_account_id; /* iss = sub */
    char *key_id;             /* kid */
    char *private_key_pem;    /* secret: wiped by bn_sa_credentials_clear */
} bn_sa_credentials;

/* Reads and checks a credentials file. A file readable by group or others is
 * accepted with a WARN line. BREV_ECREDENTIALS names what is wrong. */
int bn_sa_credentials_load_file(bn_sa_credentials *out, const char *path, const bn_logger *logger);

/* Parses and checks credentials JSON text; origin names it in messages. */
int bn_sa_credentials_parse(bn_sa_credentials *out, const char *json, const char *origin);

/* The Nebius CLI profile's key-file form: ids given, the RSA key read from a
 * PEM file (checked as a credentials file's key is). */
int bn_sa_credentials_from_key_file(bn_sa_credentials *out, const char *service_account_id, const char *key_id,
                                    const char *pem_path, const bn_logger *logger);

/* Wipes and frees the fields. */
void bn_sa_credentials_clear(bn_sa_credentials *c);

#endif
