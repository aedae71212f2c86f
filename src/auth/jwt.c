#include "auth/jwt.h"

#include <errno.h>
#include <jwt.h>
#include <string.h>

#include "util/error.h"

int bn_jwt_sign(const bn_sa_credentials *creds, time_t now, char **out)
{
    jwt_t *jwt = NULL;
    char *encoded;
    int e;

    *out = NULL;
    if (!creds || !creds->private_key_pem || !creds->key_id || !creds->service_account_id)
        return bn_err_set(BREV_ECREDENTIALS, "no service-account key to sign a JWT with");
    if ((e = jwt_new(&jwt)) != 0)
        return bn_err_set(e == ENOMEM ? BREV_ENOMEM : BREV_ERROR, "cannot create a JWT (%s)", strerror(e));
    if ((e = jwt_add_header(jwt, "kid", creds->key_id)) != 0 ||
        (e = jwt_add_grant(jwt, "iss", creds->service_account_id)) != 0 ||
        (e = jwt_add_grant(jwt, "sub", creds->service_account_id)) != 0 ||
        (e = jwt_add_grant(jwt, "aud", BN_JWT_AUDIENCE)) != 0 || (e = jwt_add_grant_int(jwt, "iat", (long)now)) != 0 ||
        (e = jwt_add_grant_int(jwt, "exp", (long)(now + BN_JWT_LIFETIME_S))) != 0) {
        jwt_free(jwt);
        return bn_err_set(e == ENOMEM ? BREV_ENOMEM : BREV_ERROR, "cannot build the JWT claims (%s)", strerror(e));
    }
    /* libjwt copies the key and wipes its copy in jwt_free. */
    e = jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)creds->private_key_pem,
                    (int)strlen(creds->private_key_pem));
    if (e != 0) {
        jwt_free(jwt);
        return bn_err_set(e == ENOMEM ? BREV_ENOMEM : BREV_ECREDENTIALS, "cannot use the private key for RS256 (%s)",
                          strerror(e));
    }
    encoded = jwt_encode_str(jwt);
    e = errno;
    jwt_free(jwt);
    if (!encoded)
        return bn_err_set(BREV_ECREDENTIALS, "signing the JWT with the service-account key failed (%s)",
                          strerror(e ? e : EINVAL));
    *out = encoded;
    return 0;
}
