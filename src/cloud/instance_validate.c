/* Checks of brev_instance_create's options, all made before any call so a
 * bad option never leaves anything behind. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/instance_internal.h"
#include "util/error.h"
#include "util/str.h"

#define NAME_MAX_LEN 63
#define REF_MAX_LEN 63
#define LABEL_MAX_LEN 63
#define LABEL_VALUE_MAX_LEN 256
#define BREV_TYPE_MARK "-noSub-"

/* Also a valid hostname label (RFC 1123), since the name becomes the hostname. */
int bn_validate_instance_name(const char *name)
{
    size_t len = name ? strlen(name) : 0;

    if (len == 0)
        return bn_err_set(BREV_EINVAL, "instance name must not be empty");
    if (len > NAME_MAX_LEN)
        return bn_err_set(BREV_EINVAL, "instance name is %zu characters long (at most %d)", len, NAME_MAX_LEN);
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return bn_err_set(BREV_EINVAL,
                              "instance name '%s' has '%c' at %zu: only lowercase letters, digits and '-' are "
                              "allowed",
                              name, isprint((unsigned char)c) ? c : '?', i);
    }
    if (name[0] == '-' || name[len - 1] == '-')
        return bn_err_set(BREV_EINVAL, "instance name '%s' must not start or end with '-'", name);
    return BREV_OK;
}

int bn_validate_ref_id(const char *ref_id)
{
    size_t len = ref_id ? strlen(ref_id) : 0;

    if (len == 0)
        return bn_err_set(BREV_EINVAL, "ref_id is required (it makes create idempotent)");
    if (len > REF_MAX_LEN)
        return bn_err_set(BREV_EINVAL, "ref_id is %zu characters long (at most %d)", len, REF_MAX_LEN);
    for (size_t i = 0; i < len; i++) {
        char c = ref_id[i];
        if (!(isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.'))
            return bn_err_set(BREV_EINVAL, "ref_id has an invalid character at %zu (allowed: A-Z a-z 0-9 - _ .)", i);
    }
    return BREV_OK;
}

int bn_validate_user_labels(const brev_label *labels, size_t count)
{
    if (count && !labels)
        return bn_err_set(BREV_EINVAL, "label_count is %zu but labels is NULL", count);
    for (size_t i = 0; i < count; i++) {
        const char *k = labels[i].key;
        const char *v = labels[i].value;
        size_t klen = k ? strlen(k) : 0;

        if (klen == 0)
            return bn_err_set(BREV_EINVAL, "label %zu has an empty key", i);
        if (klen > LABEL_MAX_LEN)
            return bn_err_set(BREV_EINVAL, "label key '%.20s...' is longer than %d", k, LABEL_MAX_LEN);
        if (bn_str_starts_with(k, BN_LABEL_RESERVED_PREFIX))
            return bn_err_set(BREV_EINVAL, "label key '%s' is reserved (keys starting with '%s' belong to the library)",
                              k, BN_LABEL_RESERVED_PREFIX);
        if (!v)
            return bn_err_set(BREV_EINVAL, "label '%s' has a NULL value", k);
        if (strlen(v) > LABEL_VALUE_MAX_LEN)
            return bn_err_set(BREV_EINVAL, "label '%s' value is longer than %d", k, LABEL_VALUE_MAX_LEN);
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels[j].key, k) == 0)
                return bn_err_set(BREV_EINVAL, "label '%s' is given twice", k);
    }
    return BREV_OK;
}

static int valid_part(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

int bn_parse_instance_type(const char *type, const char *region, char **platform, char **preset)
{
    const char *body = type;
    const char *mark, *dot;

    *platform = *preset = NULL;
    if (!type || !*type)
        return bn_err_set(BREV_EINVAL, "instance_type is required (\"{platform}.{preset}\", e.g. "
                                       "\"cpu-d3.4vcpu-16gb\")");
    mark = strstr(type, BREV_TYPE_MARK);
    if (mark) {
        size_t rlen = (size_t)(mark - type);
        if (!region || strlen(region) != rlen || strncmp(type, region, rlen) != 0)
            return bn_err_set(BREV_EINVAL, "instance type '%s' is for region '%.*s', but the client's region is '%s'",
                              type, (int)rlen, type, region ? region : "");
        body = mark + strlen(BREV_TYPE_MARK);
    }
    dot = strchr(body, '.');
    if (!dot || strchr(dot + 1, '.') || !valid_part(body, (size_t)(dot - body)) ||
        !valid_part(dot + 1, strlen(dot + 1)))
        return bn_err_set(BREV_EINVAL,
                          "instance type '%s' is malformed: expected \"{platform}.{preset}\" (e.g. "
                          "\"cpu-d3.4vcpu-16gb\") or \"{region}-noSub-{platform}.{preset}\"",
                          type);
    *platform = strndup(body, (size_t)(dot - body));
    *preset = strdup(dot + 1);
    if (!*platform || !*preset) {
        free(*platform);
        free(*preset);
        *platform = *preset = NULL;
        return bn_err_set(BREV_ENOMEM, "out of memory");
    }
    return BREV_OK;
}

static const struct {
    const char *name;
    Nebius__Compute__V1__DiskSpec__DiskType type;
} disk_types[] = {
    {"network-ssd", NEBIUS__COMPUTE__V1__DISK_SPEC__DISK_TYPE__NETWORK_SSD},
    {"network-hdd", NEBIUS__COMPUTE__V1__DISK_SPEC__DISK_TYPE__NETWORK_HDD},
    {"network-ssd-nonreplicated", NEBIUS__COMPUTE__V1__DISK_SPEC__DISK_TYPE__NETWORK_SSD_NON_REPLICATED},
    {"network-ssd-io-m3", NEBIUS__COMPUTE__V1__DISK_SPEC__DISK_TYPE__NETWORK_SSD_IO_M3},
};

int bn_parse_disk_type(const char *name, Nebius__Compute__V1__DiskSpec__DiskType *out)
{
    if (!name || !*name)
        name = "network-ssd";
    for (size_t i = 0; i < sizeof disk_types / sizeof disk_types[0]; i++) {
        if (strcmp(name, disk_types[i].name) == 0) {
            *out = disk_types[i].type;
            return BREV_OK;
        }
    }
    return bn_err_set(BREV_EINVAL,
                      "unknown disk type '%s' (expected network-ssd, network-hdd, network-ssd-nonreplicated or "
                      "network-ssd-io-m3)",
                      name);
}
