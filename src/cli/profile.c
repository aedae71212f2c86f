#include "profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

static const char *scalar(yaml_node_t *node)
{
    return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

/* The value node of key in a mapping node, or NULL. */
static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = scalar(yaml_document_get_node(doc, p->key));
        if (k && strcmp(k, key) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

/* "a, b, c": the profile names, for the error naming what exists. */
static void profile_names(yaml_document_t *doc, yaml_node_t *profiles, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    if (!profiles || profiles->type != YAML_MAPPING_NODE)
        return;
    for (yaml_node_pair_t *p = profiles->data.mapping.pairs.start; p < profiles->data.mapping.pairs.top; p++) {
        const char *k = scalar(yaml_document_get_node(doc, p->key));
        if (!k)
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", k);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
}

static size_t mapping_size(yaml_node_t *map)
{
    return map && map->type == YAML_MAPPING_NODE ? (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start)
                                                 : 0;
}

/* "~/x" -> "$HOME/x"; "x" -> "<dir of the config file>/x"; "/x" as is. */
static char *resolve_path(const char *value, const char *config_path)
{
    if (!value || !*value)
        return NULL;
    if (value[0] == '/')
        return strdup(value);
    const char *home = getenv("HOME");
    if (value[0] == '~' && value[1] == '/' && home && *home) {
        size_t n = strlen(home) + strlen(value);
        char *out = malloc(n);
        if (out)
            snprintf(out, n, "%s%s", home, value + 1);
        return out;
    }
    const char *slash = strrchr(config_path, '/');
    if (!slash)
        return strdup(value);
    size_t dirlen = (size_t)(slash - config_path);
    size_t n = dirlen + 1 + strlen(value) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%.*s/%s", (int)dirlen, config_path, value);
    return out;
}

/* Reads one string key of the profile; a non-scalar value is an error. */
static int read_key(yaml_document_t *doc, yaml_node_t *profile, const char *key, char **out, int is_path,
                    const char *config_path, char *err, size_t errlen)
{
    yaml_node_t *node = map_get(doc, profile, key);
    if (!node)
        return 0;
    const char *v = scalar(node);
    if (!v) {
        snprintf(err, errlen, "%s: key '%s' must be a plain value", config_path, key);
        return -1;
    }
    if (!*v || *out) /* empty means unset; the first alias found wins */
        return 0;
    *out = is_path ? resolve_path(v, config_path) : strdup(v);
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int read_profile(yaml_document_t *doc, yaml_node_t *node, cli_profile *out, char *err, size_t errlen)
{
    const char *path = out->path;
    if (node->type != YAML_MAPPING_NODE) {
        snprintf(err, errlen, "%s: profile '%s' must be a mapping of keys", path, out->name);
        return -1;
    }
    struct {
        const char *key;
        char **field;
        int is_path;
    } keys[] = {
        {"endpoint", &out->endpoint, 0},
        {"parent-id", &out->parent_id, 0},
        {"tenant-id", &out->tenant_id, 0},
        {"region", &out->region, 0},
        {"service-account-file", &out->credentials_file, 1},
        {"credentials-file", &out->credentials_file, 1},
        {"service-account-credentials-file-path", &out->credentials_file, 1},
        {"ca-file", &out->ca_file, 1},
        {"auth-type", &out->auth_type, 0},
        {"service-account-id", &out->service_account_id, 0},
        {"public-key-id", &out->public_key_id, 0},
        {"key-id", &out->public_key_id, 0},
        {"private-key-file-path", &out->private_key_file, 1},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (read_key(doc, node, keys[i].key, keys[i].field, keys[i].is_path, path, err, errlen) < 0)
            return -1;
    return 0;
}

static int load_document(const char *path, yaml_document_t *doc, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (errno == ENOENT)
            return CLI_PROFILE_NO_FILE;
        snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
        return CLI_PROFILE_ERROR;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        fclose(fp);
        snprintf(err, errlen, "out of memory");
        return CLI_PROFILE_ERROR;
    }
    yaml_parser_set_input_file(&parser, fp);
    int ok = yaml_parser_load(&parser, doc);
    if (!ok)
        snprintf(err, errlen, "%s: not valid YAML: %s at line %lu", path, parser.problem ? parser.problem : "parse error",
                 (unsigned long)parser.problem_mark.line + 1);
    yaml_parser_delete(&parser);
    fclose(fp);
    return ok ? CLI_PROFILE_OK : CLI_PROFILE_ERROR;
}

int cli_profile_load(const char *path, const char *name, cli_profile *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    yaml_document_t doc;
    int rc = load_document(path, &doc, err, errlen);
    if (rc != CLI_PROFILE_OK)
        return rc;
    out->path = strdup(path);
    rc = CLI_PROFILE_ERROR;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && root->type != YAML_MAPPING_NODE) {
        snprintf(err, errlen, "%s: expected a mapping with 'profiles' at the top", path);
        goto done;
    }
    yaml_node_t *profiles = map_get(&doc, root, "profiles");
    if (profiles && profiles->type != YAML_MAPPING_NODE) {
        snprintf(err, errlen, "%s: 'profiles' must be a mapping of profile names", path);
        goto done;
    }
    const char *wanted = name;
    if (!wanted) {
        yaml_node_t *def = map_get(&doc, root, "default");
        wanted = scalar(def);
        if (def && !wanted) {
            snprintf(err, errlen, "%s: 'default' must name a profile", path);
            goto done;
        }
    }
    if (!wanted) {
        if (mapping_size(profiles) == 0) {
            rc = CLI_PROFILE_OK; /* a file without profiles adds nothing */
            goto done;
        }
        if (mapping_size(profiles) > 1) {
            char names[512];
            profile_names(&doc, profiles, names, sizeof names);
            snprintf(err, errlen, "%s: several profiles (%s) and no 'default': choose one with --profile", path,
                     names);
            goto done;
        }
        yaml_node_pair_t *only = profiles->data.mapping.pairs.start;
        wanted = scalar(yaml_document_get_node(&doc, only->key));
        if (!wanted) {
            snprintf(err, errlen, "%s: profile names must be plain strings", path);
            goto done;
        }
    }
    out->name = dup_str(wanted);
    yaml_node_t *profile = map_get(&doc, profiles, wanted);
    if (!profile) {
        char names[512];
        profile_names(&doc, profiles, names, sizeof names);
        snprintf(err, errlen, "%s: no profile '%s' (profiles: %s)", path, wanted, names[0] ? names : "none");
        goto done;
    }
    if (!out->path || !out->name) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (read_profile(&doc, profile, out, err, errlen) < 0)
        goto done;
    rc = CLI_PROFILE_OK;
done:
    yaml_document_delete(&doc);
    return rc;
}

void cli_profile_release(cli_profile *p)
{
    char **fields[] = {&p->path, &p->name, &p->endpoint, &p->parent_id, &p->tenant_id, &p->region,
                       &p->credentials_file, &p->ca_file, &p->auth_type, &p->service_account_id, &p->public_key_id,
                       &p->private_key_file};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
}
