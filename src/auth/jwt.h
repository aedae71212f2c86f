/* The self-signed JWT a service account trades for an IAM token. */
#ifndef BN_AUTH_JWT_H
#define BN_AUTH_JWT_H

#include <time.h>

#include "auth/credentials.h"

#define BN_JWT_AUDIENCE "token-service.iam.new.nebiuscloud.net"
#define BN_JWT_LIFETIME_S 60

/* RS256, header kid + typ JWT; claims iss = sub = service account, aud, iat =
 * now, exp = now + 60 s. *jwt is malloc'd: wipe and free it (bn_str_free_secret). */
int bn_jwt_sign(const bn_sa_credentials *creds, time_t now, char **jwt);

#endif
