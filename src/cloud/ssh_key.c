/* OpenSSH public key validation: "<type> <base64 blob> [comment]" on one
 * line, where the blob is the SSH wire encoding that starts with the same
 * type string. Catches pasted private keys, truncated keys, PEM/RFC4716
 * files and keys split over lines before they reach cloud-init. */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/instance_internal.h"
#include "util/error.h"

#define MAX_KEY_LEN 16384

static const char *const key_types[] = {
    "ssh-rsa",
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
};

static int known_type(const char *type, size_t len)
{
    for (size_t i = 0; i < sizeof key_types / sizeof key_types[0]; i++)
        if (strlen(key_types[i]) == len && memcmp(key_types[i], type, len) == 0)
            return 1;
    return 0;
}

static int is_b64(int c)
{
    return isalnum(c) || c == '+' || c == '/' || c == '=';
}

/* The next UTF-8 code point of s (strict: no overlong forms, surrogates or
 * values past U+10FFFF); its byte length, or 0 when s is not valid UTF-8. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    size_t len;
    uint32_t min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0)
        len = 2, min = 0x80, *cp = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0)
        len = 3, min = 0x800, *cp = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0)
        len = 4, min = 0x10000, *cp = s[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return len;
}

/* The key travels inside our #cloud-config as a YAML string: a byte that is
 * not UTF-8 or a character YAML refuses (C1 controls, U+FFFE/U+FFFF) makes
 * cloud-init drop the whole document, and YAML's extra line breaks (U+0085,
 * U+2028, U+2029) and U+FEFF would change the key on the way. */
static int check_text(const char *key)
{
    const unsigned char *p = (const unsigned char *)key;

    while (*p) {
        uint32_t cp;
        size_t n = utf8_next(p, &cp);

        if (n == 0)
            return bn_err_set(BREV_EINVAL, "SSH key is not valid UTF-8 (byte 0x%02x at offset %zu)", *p,
                              (size_t)(p - (const unsigned char *)key));
        if ((cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp == 0xfffe ||
            cp == 0xffff)
            return bn_err_set(BREV_EINVAL, "SSH key contains the character U+%04X, which cloud-init cannot carry",
                              (unsigned)cp);
        p += n;
    }
    return BREV_OK;
}

/* Decodes the blob and checks its leading string is the declared type. */
static int check_blob(const char *b64, size_t len, const char *type, size_t type_len)
{
    unsigned char *raw;
    int n;
    size_t pad = 0;
    uint32_t inner;
    int rc = BREV_OK;

    if (len == 0 || len % 4 != 0 || len > MAX_KEY_LEN)
        return bn_err_set(BREV_EINVAL, "SSH key: the key data is not valid base64 (length %zu)", len);
    for (size_t i = 0; i < len; i++) {
        if (!is_b64((unsigned char)b64[i]) || (b64[i] == '=' && i < len - 2))
            return bn_err_set(BREV_EINVAL, "SSH key: the key data is not valid base64");
    }
    if (b64[len - 1] == '=')
        pad = b64[len - 2] == '=' ? 2 : 1;
    raw = malloc(len);
    if (!raw)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
    if (n < 0) {
        free(raw);
        return bn_err_set(BREV_EINVAL, "SSH key: the key data is not valid base64");
    }
    n -= (int)pad;
    if (n < 4) {
        rc = bn_err_set(BREV_EINVAL, "SSH key: the key data is too short to be a public key");
    } else {
        inner = ((uint32_t)raw[0] << 24) | ((uint32_t)raw[1] << 16) | ((uint32_t)raw[2] << 8) | raw[3];
        if (inner != type_len || (size_t)n < 4 + type_len || memcmp(raw + 4, type, type_len) != 0)
            rc = bn_err_set(BREV_EINVAL, "SSH key: the key data does not encode a %.*s key", (int)type_len, type);
        else if ((size_t)n < 4 + type_len + 8)
            rc = bn_err_set(BREV_EINVAL, "SSH key: the %.*s key data is truncated", (int)type_len, type);
    }
    free(raw);
    return rc;
}

int bn_validate_ssh_key(const char *key)
{
    const char *type, *blob, *p;
    size_t type_len, blob_len, len;

    if (!key || !*key)
        return bn_err_set(BREV_EINVAL, "SSH key must not be empty");
    len = strlen(key);
    if (len > MAX_KEY_LEN)
        return bn_err_set(BREV_EINVAL, "SSH key is too long (%zu bytes, at most %d)", len, MAX_KEY_LEN);
    for (p = key; *p; p++) {
        if (*p == '\n' || *p == '\r')
            return bn_err_set(BREV_EINVAL, "SSH key must be one line (it contains a line break; strip the "
                                           "trailing newline of a .pub file)");
        if (iscntrl((unsigned char)*p) && *p != '\t')
            return bn_err_set(BREV_EINVAL, "SSH key contains a control character");
    }
    if (check_text(key) != BREV_OK)
        return BREV_EINVAL;
    if (strstr(key, "PRIVATE KEY"))
        return bn_err_set(BREV_EINVAL, "SSH key: this is a private key; pass the public key (the .pub file)");
    type = key;
    type_len = strcspn(type, " \t");
    if (!known_type(type, type_len))
        return bn_err_set(BREV_EINVAL,
                          "SSH key: unsupported key type '%.*s' (expected ssh-rsa, ssh-ed25519, "
                          "ecdsa-sha2-nistp256/384/521, sk-ssh-ed25519@openssh.com or "
                          "sk-ecdsa-sha2-nistp256@openssh.com)",
                          (int)(type_len > 40 ? 40 : type_len), type);
    blob = type + type_len;
    blob += strspn(blob, " \t");
    blob_len = strcspn(blob, " \t");
    if (blob_len == 0)
        return bn_err_set(BREV_EINVAL, "SSH key: the key data after '%.*s' is missing", (int)type_len, type);
    return check_blob(blob, blob_len, type, type_len);
}
