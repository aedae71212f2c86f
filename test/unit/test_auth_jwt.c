/* The JWT is exactly what the token service expects (as the SDKs build it),
 * checked by decoding it with libjwt and the public key. */
#include <check.h>
#include <errno.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include <brev/errors.h>
#include "auth/credentials.h"
#include "auth/jwt.h"
#include "test_creds.h"

#define SA "serviceaccount-jwt000000001"
#define KID "publickey-jwt000000001"

static char *private_pem;
static char *public_pem;

static char *public_of(const char *pem)
{
    BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
    EVP_PKEY *key = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
    char *data, *copy;
    long n;

    ck_assert_ptr_nonnull(key);
    ck_assert_int_eq(PEM_write_bio_PUBKEY(out, key), 1);
    n = BIO_get_mem_data(out, &data);
    copy = strndup(data, (size_t)n);
    EVP_PKEY_free(key);
    BIO_free(in);
    BIO_free(out);
    return copy;
}

static void keys_up(void)
{
    private_pem = bn_test_genpkey("-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
    public_pem = public_of(private_pem);
}

static void keys_down(void)
{
    free(private_pem);
    free(public_pem);
}

START_TEST(rs256_with_kid_and_sdk_claims)
{
    bn_sa_credentials c = {SA, KID, private_pem};
    char *token = NULL;
    jwt_t *j = NULL;
    time_t now = 1700000000;

    ck_assert_int_eq(bn_jwt_sign(&c, now, &token), 0);
    ck_assert_ptr_nonnull(token);
    ck_assert_int_eq(jwt_decode(&j, token, (const unsigned char *)public_pem, (int)strlen(public_pem)), 0);
    ck_assert_int_eq(jwt_get_alg(j), JWT_ALG_RS256);
    ck_assert_str_eq(jwt_get_header(j, "kid"), KID);
    ck_assert_str_eq(jwt_get_header(j, "typ"), "JWT");
    ck_assert_str_eq(jwt_get_grant(j, "iss"), SA);
    ck_assert_str_eq(jwt_get_grant(j, "sub"), SA);
    ck_assert_str_eq(jwt_get_grant(j, "aud"), "token-service.iam.new.nebiuscloud.net");
    ck_assert_int_eq(jwt_get_grant_int(j, "iat"), (long)now);
    ck_assert_int_eq(jwt_get_grant_int(j, "exp"), (long)now + 60);
    jwt_free(j);
    free(token);
}
END_TEST

START_TEST(signature_does_not_verify_with_another_key)
{
    bn_sa_credentials c = {SA, KID, private_pem};
    char *other = bn_test_genpkey("-algorithm RSA -pkeyopt rsa_keygen_bits:2048");
    char *other_pub = public_of(other);
    char *token = NULL;
    jwt_t *j = NULL;

    ck_assert_int_eq(bn_jwt_sign(&c, time(NULL), &token), 0);
    ck_assert_int_ne(jwt_decode(&j, token, (const unsigned char *)other_pub, (int)strlen(other_pub)), 0);
    ck_assert_ptr_null(j);
    free(token);
    free(other);
    free(other_pub);
}
END_TEST

START_TEST(no_key_is_a_credentials_error)
{
    bn_sa_credentials c = {SA, KID, NULL};
    char *token = (char *)"x";

    ck_assert_int_eq(bn_jwt_sign(&c, time(NULL), &token), BREV_ECREDENTIALS);
    ck_assert_ptr_null(token);
}
END_TEST

Suite *suite(void)
{
    Suite *s = suite_create("auth_jwt");
    TCase *tc = tcase_create("jwt");

    tcase_add_unchecked_fixture(tc, keys_up, keys_down);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, rs256_with_kid_and_sdk_claims);
    tcase_add_test(tc, signature_does_not_verify_with_another_key);
    tcase_add_test(tc, no_key_is_a_credentials_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
