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

/* --- the key blob: RFC 4253 6.6, RFC 5656 3.1, RFC 8709 4, OpenSSH PROTOCOL.u2f */

/* OpenSSH refuses RSA moduli under 1024 bits (SSH_RSA_MINIMUM_MODULUS_SIZE)
 * and sshd would then ignore the key: refuse it here, where it is clear why. */
#define RSA_MIN_BITS 1024
#define RSA_MAX_BITS 16384
#define ED25519_KEY_LEN 32

typedef struct reader {
    const unsigned char *p;
    size_t n;
} reader;

/* One SSH "string" (uint32 length + bytes); 0 when the data ends first. */
static int read_string(reader *r, const unsigned char **s, size_t *len)
{
    uint32_t l;

    if (r->n < 4)
        return 0;
    l = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) | ((uint32_t)r->p[2] << 8) | r->p[3];
    if (l > r->n - 4)
        return 0;
    *s = r->p + 4;
    *len = l;
    r->p += 4 + (size_t)l;
    r->n -= 4 + (size_t)l;
    return 1;
}

/* Significant bits of a positive mpint; -1 when it is empty, negative or zero. */
static long mpint_bits(const unsigned char *v, size_t len)
{
    size_t i = 0;
    long bits;

    if (len == 0 || (v[0] & 0x80))
        return -1;
    while (i < len && v[i] == 0)
        i++;
    if (i == len)
        return -1;
    bits = (long)(len - i) * 8;
    for (unsigned char top = v[i]; !(top & 0x80); top <<= 1)
        bits--;
    return bits;
}

static int truncated(const char *type, const char *what)
{
    return bn_err_set(BREV_EINVAL, "SSH key: the %s key data is truncated (%s missing)", type, what);
}

/* The rest of the blob after the type string, per key type. A public key
 * that is cut short (a bad copy and paste) or padded must be refused here:
 * sshd would silently ignore it and the instance would be unreachable. */
static int check_key_body(reader *r, const char *type)
{
    const unsigned char *a, *b;
    size_t alen, blen;
    int sk = strncmp(type, "sk-", 3) == 0;

    if (strcmp(type, "ssh-ed25519") == 0 || strcmp(type, "sk-ssh-ed25519@openssh.com") == 0) {
        if (!read_string(r, &a, &alen))
            return truncated(type, "the 32-byte public key");
        if (alen != ED25519_KEY_LEN)
            return bn_err_set(BREV_EINVAL, "SSH key: the %s public key is %zu bytes, not %d", type, alen,
                              ED25519_KEY_LEN);
    } else if (strcmp(type, "ssh-rsa") == 0) {
        long ebits, nbits;

        if (!read_string(r, &a, &alen))
            return truncated(type, "the exponent");
        if (!read_string(r, &b, &blen))
            return truncated(type, "the modulus");
        ebits = mpint_bits(a, alen);
        nbits = mpint_bits(b, blen);
        if (ebits < 2 || !(a[alen - 1] & 1))
            return bn_err_set(BREV_EINVAL, "SSH key: the ssh-rsa public exponent is not an odd number above 1");
        if (nbits < RSA_MIN_BITS || nbits > RSA_MAX_BITS)
            return bn_err_set(BREV_EINVAL, "SSH key: the ssh-rsa modulus has %ld bits; it must have %d..%d (use "
                                           "3072 or more)",
                              nbits < 0 ? 0 : nbits, RSA_MIN_BITS, RSA_MAX_BITS);
    } else { /* ecdsa-sha2-nistpNNN, sk-ecdsa-sha2-nistp256@openssh.com */
        const char *curve = strstr(type, "nistp");
        size_t curve_len = strcspn(curve, "@");
        size_t coord = strncmp(curve, "nistp256", 8) == 0 ? 32 : strncmp(curve, "nistp384", 8) == 0 ? 48 : 66;

        if (!read_string(r, &a, &alen))
            return truncated(type, "the curve name");
        if (alen != curve_len || memcmp(a, curve, curve_len) != 0)
            return bn_err_set(BREV_EINVAL, "SSH key: the %s key data names another curve than %.*s", type,
                              (int)curve_len, curve);
        if (!read_string(r, &b, &blen))
            return truncated(type, "the public point");
        if (blen != 1 + 2 * coord || b[0] != 0x04)
            return bn_err_set(BREV_EINVAL, "SSH key: the %s public point is %zu bytes, not an uncompressed point of "
                                           "%zu bytes",
                              type, blen, 1 + 2 * coord);
    }
    if (sk && (!read_string(r, &a, &alen) || alen == 0))
        return truncated(type, "the security key's application");
    if (r->n != 0)
        return bn_err_set(BREV_EINVAL, "SSH key: the %s key data has %zu stray bytes after the key (corrupted or "
                                       "two keys run together)",
                          type, r->n);
    return BREV_OK;
}

/* Decodes the blob, checks its leading string is the declared type and that
 * the rest is exactly one key of that type. */
static int check_blob(const char *b64, size_t len, const char *type, size_t type_len)
{
    unsigned char *raw;
    char type_z[64];
    const unsigned char *inner;
    size_t inner_len;
    reader r;
    int n;
    size_t pad = 0;
    int rc;

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
    /* known_type() let only the listed names (all shorter than type_z) through */
    memcpy(type_z, type, type_len);
    type_z[type_len] = '\0';
    r.p = raw;
    r.n = (size_t)n;
    if (n < 4)
        rc = bn_err_set(BREV_EINVAL, "SSH key: the key data is too short to be a public key");
    else if (!read_string(&r, &inner, &inner_len) || inner_len != type_len || memcmp(inner, type, type_len) != 0)
        rc = bn_err_set(BREV_EINVAL, "SSH key: the key data does not encode a %s key", type_z);
    else
        rc = check_key_body(&r, type_z);
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
