#include "args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int args_add_specs(parsed_args *pa, const arg_spec *table)
{
    for (const arg_spec *s = table; s && s->name; s++) {
        if (pa->spec_count >= ARGS_MAX_SPECS)
            return -1;
        pa->specs[pa->spec_count++] = s;
    }
    return 0;
}

static int find_spec(const parsed_args *pa, const char *name, size_t len)
{
    for (size_t i = 0; i < pa->spec_count; i++)
        if (strlen(pa->specs[i]->name) == len && strncmp(pa->specs[i]->name, name, len) == 0)
            return (int)i;
    return -1;
}

static int store(parsed_args *pa, int idx, const char *value, char *err, size_t errlen)
{
    const arg_spec *s = pa->specs[idx];
    if (s->kind == ARG_LIST) {
        const char **grown = realloc(pa->lists[idx], (pa->counts[idx] + 1) * sizeof *grown);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        grown[pa->counts[idx]] = value;
        pa->lists[idx] = grown;
    }
    pa->values[idx] = value;
    pa->counts[idx]++;
    return 0;
}

/* Consumes the option at argv[*i] (which starts with "--"). Returns 1 when it
 * was consumed, 0 when it is not a known option, -1 on error. */
static int take_option(parsed_args *pa, int argc, char **argv, int *i, char *err, size_t errlen)
{
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    int idx = find_spec(pa, arg, len);
    if (idx < 0)
        return 0;
    const arg_spec *s = pa->specs[idx];
    if (s->kind == ARG_FLAG) {
        if (eq) {
            snprintf(err, errlen, "option --%s takes no value", s->name);
            return -1;
        }
        return store(pa, idx, "1", err, errlen) < 0 ? -1 : 1;
    }
    const char *value;
    if (eq) {
        value = eq + 1;
    } else {
        if (*i + 1 >= argc) {
            snprintf(err, errlen, "option --%s needs a value (%s)", s->name, s->metavar ? s->metavar : "VALUE");
            return -1;
        }
        value = argv[++*i];
    }
    return store(pa, idx, value, err, errlen) < 0 ? -1 : 1;
}

static int is_help_alias(const char *arg)
{
    return strcmp(arg, "-h") == 0;
}

int args_parse_leading(parsed_args *pa, int argc, char **argv, char *err, size_t errlen)
{
    int i = 0;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (is_help_alias(arg))
            arg = "--help";
        if (strncmp(arg, "--", 2) != 0 || strcmp(arg, "--") == 0)
            break;
        if (arg != argv[i]) {
            int idx = find_spec(pa, "help", 4);
            if (idx >= 0 && store(pa, idx, "1", err, errlen) < 0)
                return -1;
            continue;
        }
        int r = take_option(pa, argc, argv, &i, err, errlen);
        if (r < 0)
            return -1;
        if (r == 0) {
            snprintf(err, errlen, "unknown option %s", argv[i]);
            return -1;
        }
    }
    return i;
}

int args_parse(parsed_args *pa, int argc, char **argv, char *err, size_t errlen)
{
    free(pa->positional);
    pa->positional = calloc((size_t)argc + 1, sizeof *pa->positional);
    pa->positional_count = 0;
    if (!pa->positional) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int options_done = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (!options_done && is_help_alias(arg)) {
            int idx = find_spec(pa, "help", 4);
            if (idx >= 0 && store(pa, idx, "1", err, errlen) < 0)
                return -1;
            continue;
        }
        if (!options_done && strncmp(arg, "--", 2) == 0) {
            int r = take_option(pa, argc, argv, &i, err, errlen);
            if (r < 0)
                return -1;
            if (r == 0) {
                snprintf(err, errlen, "unknown option %s", arg);
                return -1;
            }
            continue;
        }
        if (!options_done && arg[0] == '-' && arg[1] != '\0') {
            snprintf(err, errlen, "unknown option %s (options are long: --name)", arg);
            return -1;
        }
        pa->positional[pa->positional_count++] = arg;
    }
    return 0;
}

void args_release(parsed_args *pa)
{
    for (size_t i = 0; i < ARGS_MAX_SPECS; i++) {
        free(pa->lists[i]);
        pa->lists[i] = NULL;
    }
    free(pa->positional);
    pa->positional = NULL;
    pa->positional_count = 0;
}

static int index_of(const parsed_args *pa, const char *name)
{
    return find_spec(pa, name, strlen(name));
}

int args_flag(const parsed_args *pa, const char *name)
{
    int idx = index_of(pa, name);
    return idx >= 0 && pa->counts[idx] > 0;
}

const char *args_value(const parsed_args *pa, const char *name)
{
    int idx = index_of(pa, name);
    return idx >= 0 && pa->counts[idx] > 0 ? pa->values[idx] : NULL;
}

size_t args_list(const parsed_args *pa, const char *name, const char *const **values)
{
    int idx = index_of(pa, name);
    if (idx < 0 || pa->counts[idx] == 0) {
        *values = NULL;
        return 0;
    }
    *values = pa->lists[idx];
    return pa->counts[idx];
}
