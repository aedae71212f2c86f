/* libFuzzer target: the SSH public key validator and the cloud-config that
 * carries an accepted key. A refused key needs BREV_EINVAL and a message; an
 * accepted key must be one line with a known type, and must come back
 * byte-for-byte from ssh_authorized_keys when libyaml parses the #cloud-config
 * we build (a key that breaks or changes the YAML would leave the instance
 * without SSH access). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include <brev/errors.h>
#include "cloud/instance_internal.h"

/* The first item of the top-level ssh_authorized_keys sequence (malloc'd),
 * or NULL when the document does not parse or has no such item. */
static char *first_authorized_key(const char *doc)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    char *found = NULL;
    int depth = 0, in_keys = 0, want_value_for_keys = 0, is_key = 1, done = 0;

    if (!yaml_parser_initialize(&parser))
        return NULL;
    yaml_parser_set_input_string(&parser, (const unsigned char *)doc, strlen(doc));
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            free(found);
            found = NULL;
            break;
        }
        switch (ev.type) {
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (depth == 1 && want_value_for_keys && ev.type == YAML_SEQUENCE_START_EVENT)
                in_keys = 1;
            want_value_for_keys = 0;
            if (depth == 1)
                is_key = 1;
            depth++;
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            depth--;
            if (depth == 1)
                in_keys = 0;
            break;
        case YAML_SCALAR_EVENT:
            if (depth == 2 && in_keys && !found) {
                found = strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            } else if (depth == 1) {
                want_value_for_keys = is_key && strcmp((const char *)ev.data.scalar.value, "ssh_authorized_keys") == 0;
                is_key = !is_key;
            }
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *key = malloc(size + 1);
    char *doc = NULL, *back;
    const char *keys[1];
    int rc;

    if (!key)
        return 0;
    memcpy(key, data, size);
    key[size] = '\0';
    rc = bn_validate_ssh_key(key);
    if (rc != BREV_OK) {
        if ((rc != BREV_EINVAL && rc != BREV_ENOMEM) || brev_error_message()[0] == '\0')
            abort();
        free(key);
        return 0;
    }
    if (strchr(key, '\n') || strchr(key, '\r') || strstr(key, "PRIVATE KEY"))
        abort();
    if (strncmp(key, "ssh-", 4) != 0 && strncmp(key, "ecdsa-", 6) != 0 && strncmp(key, "sk-", 3) != 0)
        abort();
    keys[0] = key;
    if (bn_cloud_init_build(keys, 1, 0, NULL, &doc) != BREV_OK)
        abort();
    back = first_authorized_key(doc);
    if (!back || strcmp(back, key) != 0)
        abort();
    free(back);
    free(doc);
    free(key);
    return 0;
}
