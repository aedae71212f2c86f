/* Command-line options: long options only ("--name VALUE", "--name=VALUE",
 * "--flag"), accepted anywhere after the command words; "--" ends options. */
#ifndef BREV_CLI_ARGS_H
#define BREV_CLI_ARGS_H

#include <stddef.h>

typedef enum arg_kind {
    ARG_FLAG,  /* --flag */
    ARG_VALUE, /* --name VALUE, the last one wins */
    ARG_LIST   /* --name VALUE, repeatable, every value kept */
} arg_kind;

typedef struct arg_spec {
    const char *name;    /* without the leading "--"; NULL ends a table */
    arg_kind kind;
    const char *metavar; /* "ID", "FILE", ... for help */
    const char *help;
} arg_spec;

/* Upper bound of option tables merged in one parse. */
#define ARGS_MAX_SPECS 64

typedef struct parsed_args {
    const arg_spec *specs[ARGS_MAX_SPECS];
    size_t spec_count;
    /* Per spec: how often it was given, the last value, every value. */
    size_t counts[ARGS_MAX_SPECS];
    const char *values[ARGS_MAX_SPECS];
    const char **lists[ARGS_MAX_SPECS];
    const char **positional;
    size_t positional_count;
} parsed_args;

/* Adds a table of options (terminated by {NULL}). Returns -1 when
 * ARGS_MAX_SPECS would be exceeded (a programming error). */
int args_add_specs(parsed_args *pa, const arg_spec *table);

/* Parses argv[0..argc) against the added specs. Strings point into argv.
 * On a bad option writes a message into err and returns -1. Free with
 * args_release. */
int args_parse(parsed_args *pa, int argc, char **argv, char *err, size_t errlen);

/* Parses global options that come before the command words: stops at the
 * first argument that is not an option known to pa. Returns the number of
 * argv entries consumed, or -1 with err set. */
int args_parse_leading(parsed_args *pa, int argc, char **argv, char *err, size_t errlen);

void args_release(parsed_args *pa);

/* Lookups by option name (without "--"); a name not in any table is a
 * programming error and reads as unset. */
int args_flag(const parsed_args *pa, const char *name);
const char *args_value(const parsed_args *pa, const char *name);
size_t args_list(const parsed_args *pa, const char *name, const char *const **values);

#endif
