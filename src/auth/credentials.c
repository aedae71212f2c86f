/* Loading and checking service-account credentials. Every failure has its
 * own message: a user with a bad file must learn what is wrong at once. */
#include "auth/credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"

#define MAX_CREDENTIALS_BYTES (1u << 20)

void bn_sa_credentials_clear(bn_sa_credentials *c)
{
    if (!c)
        return;
    free(c->service_account_id);
    free(c->key_id);
    if (c->private_key_pem) {
        OPENSSL_cleanse(c->private_key_pem, strlen(c->private_key_pem));
        free(c->private_key_pem);
    }
    memset(c, 0, sizeof *c);
}

/* OpenSSL must never prompt for a pass phrase: an encrypted key fails instead. */
static int refuse_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static int check_private_key(const char *pem, const char *origin)
{
    BIO *bio;
    EVP_PKEY *key;
    int type;

    if (!strstr(pem, "-----BEGIN ") || !strstr(pem, "-----END "))
        return bn_err_set(BREV_ECREDENTIALS, "%s: \"private-key\" is not a PEM private key (no -----BEGIN/END lines)",
                          origin);
    if (strstr(pem, "ENCRYPTED"))
        return bn_err_set(BREV_ECREDENTIALS,
                          "%s: \"private-key\" is encrypted with a pass phrase; export it without one "
                          "(openssl pkey -in key.pem -out plain.pem)",
                          origin);
    bio = BIO_new_mem_buf(pem, -1);
    if (!bio)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    key = PEM_read_bio_PrivateKey(bio, NULL, refuse_password, NULL);
    BIO_free(bio);
    ERR_clear_error();
    if (!key)
        return bn_err_set(BREV_ECREDENTIALS, "%s: \"private-key\" is not a readable PEM private key", origin);
    type = EVP_PKEY_get_base_id(key);
    if (type != EVP_PKEY_RSA) {
        const char *name = EVP_PKEY_get0_type_name(key);
        EVP_PKEY_free(key);
        return bn_err_set(BREV_ECREDENTIALS, "%s: \"private-key\" is a%s %s key; RS256 needs an RSA key", origin,
                          name && (name[0] == 'E' || name[0] == 'e') ? "n" : "", name ? name : "non-RSA");
    }
    EVP_PKEY_free(key);
    return 0;
}

/* A required string member; *value borrowed from obj. */
static int get_field(json_t *obj, const char *name, const char *origin, const char **value)
{
    json_t *v = json_object_get(obj, name);

    if (!v)
        return bn_err_set(BREV_ECREDENTIALS, "%s: \"subject-credentials\" has no \"%s\" field", origin, name);
    if (!json_is_string(v))
        return bn_err_set(BREV_ECREDENTIALS, "%s: \"subject-credentials\".\"%s\" must be a string", origin, name);
    *value = json_string_value(v);
    if (!**value)
        return bn_err_set(BREV_ECREDENTIALS, "%s: \"subject-credentials\".\"%s\" is empty", origin, name);
    return 0;
}

static int parse_root(bn_sa_credentials *out, json_t *root, const char *origin)
{
    json_t *sc, *type;
    const char *alg, *pem, *kid, *iss, *sub;
    int rc;

    if (!json_is_object(root))
        return bn_err_set(BREV_ECREDENTIALS, "%s: malformed credentials: the JSON must be an object", origin);
    sc = json_object_get(root, "subject-credentials");
    if (!sc)
        return bn_err_set(BREV_ECREDENTIALS,
                          "%s: no \"subject-credentials\" object (want a Nebius service-account credentials file)",
                          origin);
    if (!json_is_object(sc))
        return bn_err_set(BREV_ECREDENTIALS, "%s: \"subject-credentials\" must be an object", origin);

    type = json_object_get(sc, "type");
    if (type && (!json_is_string(type) ||
                 (*json_string_value(type) && strcmp(json_string_value(type), "JWT") != 0)))
        return bn_err_set(BREV_ECREDENTIALS, "%s: \"subject-credentials\".\"type\" must be \"JWT\" (got %s%s%s)", origin,
                          json_is_string(type) ? "\"" : "", json_is_string(type) ? json_string_value(type) : "a non-string",
                          json_is_string(type) ? "\"" : "");
    if ((rc = get_field(sc, "alg", origin, &alg)) != 0)
        return rc;
    if (strcmp(alg, "RS256") != 0)
        return bn_err_set(BREV_ECREDENTIALS, "%s: unsupported \"alg\" \"%s\": only RS256 is supported", origin, alg);
    if ((rc = get_field(sc, "private-key", origin, &pem)) != 0 || (rc = get_field(sc, "kid", origin, &kid)) != 0 ||
        (rc = get_field(sc, "iss", origin, &iss)) != 0 || (rc = get_field(sc, "sub", origin, &sub)) != 0)
        return rc;
    if (strcmp(iss, sub) != 0)
        return bn_err_set(BREV_ECREDENTIALS,
                          "%s: \"iss\" (%s) and \"sub\" (%s) differ; both must be the service account id", origin, iss,
                          sub);
    if ((rc = check_private_key(pem, origin)) != 0)
        return rc;

    out->service_account_id = strdup(sub);
    out->key_id = strdup(kid);
    out->private_key_pem = strdup(pem);
    if (!out->service_account_id || !out->key_id || !out->private_key_pem) {
        bn_sa_credentials_clear(out);
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    return 0;
}

/* Wipes every string in a parsed JSON tree (the private key lives in it). */
static void wipe_json(json_t *v)
{
    const char *k;
    json_t *child;
    size_t i;

    if (json_is_string(v)) {
        /* The buffer is jansson's heap memory; it is wiped in place before json_decref frees it. */
        OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    } else if (json_is_object(v)) {
        json_object_foreach(v, k, child) wipe_json(child);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, child) wipe_json(child);
    }
}

int bn_sa_credentials_parse(bn_sa_credentials *out, const char *json, const char *origin)
{
    json_error_t jerr;
    json_t *root;
    int rc;

    memset(out, 0, sizeof *out);
    if (!json || !*json)
        return bn_err_set(BREV_ECREDENTIALS, "%s: empty credentials", origin);
    root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return bn_err_set(BREV_ECREDENTIALS, "%s: malformed JSON at line %d, column %d: %s", origin, jerr.line,
                          jerr.column, jerr.text);
    rc = parse_root(out, root, origin);
    wipe_json(root);
    json_decref(root);
    return rc;
}

static char *read_all(int fd, const char *path, int *rc)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);

    if (!buf) {
        *rc = bn_err_set(BREV_ENOMEM, "out of memory");
        return NULL;
    }
    for (;;) {
        ssize_t n;
        if (len + 1 >= cap) {
            char *grown;
            if (cap >= MAX_CREDENTIALS_BYTES) {
                *rc = bn_err_set(BREV_ECREDENTIALS, "credentials file %s is larger than %u bytes", path,
                                 MAX_CREDENTIALS_BYTES);
                goto fail;
            }
            grown = malloc(cap * 2);
            if (!grown) {
                *rc = bn_err_set(BREV_ENOMEM, "out of memory");
                goto fail;
            }
            memcpy(grown, buf, len);
            OPENSSL_cleanse(buf, len);
            free(buf);
            buf = grown;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *rc = bn_err_set(BREV_ECREDENTIALS, "credentials file %s cannot be read: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *rc = 0;
    return buf;
fail:
    OPENSSL_cleanse(buf, len);
    free(buf);
    return NULL;
}

/* Opens, checks and reads a file that holds a private key (what = "credentials
 * file" or "private key file"): a regular file, not too big, warned about when
 * group or others can read it. *text is wiped by the caller. */
static int read_secret_file(const char *path, const char *what, const bn_logger *logger, char **text)
{
    struct stat st;
    int fd, rc;

    *text = NULL;
    if (!path || !*path)
        return bn_err_set(BREV_ECREDENTIALS, "no %s given", what);
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return bn_err_set(BREV_ECREDENTIALS, "%s %s does not exist", what, path);
        return bn_err_set(BREV_ECREDENTIALS, "%s %s cannot be read: %s", what, path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return bn_err_set(BREV_ECREDENTIALS, "%s %s cannot be read: it is a directory", what, path);
    if (!S_ISREG(st.st_mode))
        return bn_err_set(BREV_ECREDENTIALS, "%s %s cannot be read: not a regular file", what, path);
    /* O_NONBLOCK|O_NOCTTY: a FIFO swapped in after stat must not block us. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return bn_err_set(BREV_ECREDENTIALS, "%s %s cannot be read: %s", what, path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return bn_err_set(BREV_ECREDENTIALS, "%s %s cannot be read: not a regular file", what, path);
    }
    if (st.st_mode & (S_IRGRP | S_IROTH))
        bn_log(logger, BREV_LOG_WARN,
               "%s %s is readable by group or others (mode %03o): it holds a private key, "
               "restrict it with chmod 600",
               what, path, (unsigned)(st.st_mode & 0777));
    *text = read_all(fd, path, &rc);
    close(fd);
    return *text ? 0 : rc;
}

int bn_sa_credentials_load_file(bn_sa_credentials *out, const char *path, const bn_logger *logger)
{
    char *text;
    int rc;

    memset(out, 0, sizeof *out);
    rc = read_secret_file(path, "credentials file", logger, &text);
    if (rc)
        return rc;
    rc = bn_sa_credentials_parse(out, text, path);
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    return rc;
}

int bn_sa_credentials_from_key_file(bn_sa_credentials *out, const char *service_account_id, const char *key_id,
                                    const char *pem_path, const bn_logger *logger)
{
    char *pem;
    int rc;

    memset(out, 0, sizeof *out);
    if (!service_account_id || !*service_account_id)
        return bn_err_set(BREV_ECREDENTIALS, "private_key_file %s needs service_account_id (\"serviceaccount-...\")",
                          pem_path ? pem_path : "");
    if (!key_id || !*key_id)
        return bn_err_set(BREV_ECREDENTIALS, "private_key_file %s needs public_key_id (\"publickey-...\")",
                          pem_path ? pem_path : "");
    rc = read_secret_file(pem_path, "private key file", logger, &pem);
    if (rc)
        return rc;
    rc = check_private_key(pem, pem_path);
    if (rc == 0) {
        out->service_account_id = strdup(service_account_id);
        out->key_id = strdup(key_id);
        out->private_key_pem = pem;
        pem = NULL;
        if (!out->service_account_id || !out->key_id) {
            bn_sa_credentials_clear(out);
            rc = bn_err_set(BREV_ENOMEM, "out of memory");
        }
    }
    if (pem) {
        OPENSSL_cleanse(pem, strlen(pem));
        free(pem);
    }
    return rc;
}
