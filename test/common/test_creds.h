/* Credentials fixtures: keys made with the openssl CLI and Nebius CLI style
 * credentials files, for auth and transport tests (no sim needed). */
#ifndef BN_TEST_CREDS_H
#define BN_TEST_CREDS_H

/* Runs `openssl genpkey <args>` and returns the PEM text (malloc'd), e.g.
 * "-algorithm RSA -pkeyopt rsa_keygen_bits:2048" or
 * "-algorithm EC -pkeyopt ec_paramgen_curve:P-256". ck_asserts on failure. */
char *bn_test_genpkey(const char *args);

/* The credentials JSON text; a NULL field is left out of "subject-credentials". */
char *bn_test_credentials_json(const char *type, const char *alg, const char *pem, const char *kid, const char *iss,
                               const char *sub);

/* Writes text to path with the given mode (e.g. 0600). ck_asserts on failure. */
void bn_test_write_file(const char *path, const char *text, int mode);

/* A fresh temp directory (mkdtemp under /tmp), path in out[4096]; remove with bn_test_rmtree. */
void bn_test_tempdir(char out[4096]);
void bn_test_rmtree(const char *dir);

/* A TCP port nobody listens on right now (bound to 127.0.0.1:0 then released). */
int bn_test_free_port(void);

#endif
