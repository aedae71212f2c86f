/* brev-nebius: what every command file shares — the parsed command line, the
 * resolved settings, the client, and the exit codes the CLI documents.
 *
 * The CLI sees the library only through <brev/nebius.h>: it links the shared
 * library, whose only exported symbols are brev_*. */
#ifndef BREV_CLI_H
#define BREV_CLI_H

#include <brev/nebius.h>

#include "args.h"
#include "config.h"

/* Exit codes (docs/cli.md lists them; tests assert them). */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_ERROR = 1,     /* API or other failure */
    CLI_EXIT_USAGE = 2,     /* bad command line, or a value the library refused (BREV_EINVAL) */
    CLI_EXIT_AUTH = 3,      /* credentials, configuration, authentication, permission */
    CLI_EXIT_NOTFOUND = 4,
    CLI_EXIT_TIMEOUT = 5,
    CLI_EXIT_FINDINGS = 6,  /* policy check found deviations */
    CLI_EXIT_CANCELLED = 7  /* Ctrl-C */
};

/* State of one run of the tool. */
typedef struct cli_ctx {
    const parsed_args *args;  /* global + command options, positionals */
    const char *command_name; /* "instance create", for messages */
    int json;                 /* --json: one JSON document on stdout */
    int quiet;                /* --quiet: no progress, no warnings */
    int verbose;              /* --verbose: library debug log on stderr */
    cli_config config;        /* merged flags > env > file */
    brev_client *client;      /* created on demand by cli_client() */
} cli_ctx;

/* Creates the client from the merged configuration on first use; prints the
 * error and returns NULL (with *exit_code set) when that fails. */
brev_client *cli_client(cli_ctx *ctx, int *exit_code);

/* Maps a brev_status to the documented exit code. */
int cli_exit_code(int status);

/* Prints "brev-nebius: <library message>" on stderr and returns the exit code
 * for status. */
int cli_fail(int status);

/* Prints "brev-nebius: <formatted message>" on stderr. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a usage error and a pointer to the command's help; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Milliseconds from a --timeout value in seconds ("90", "1.5"); 0 when unset.
 * Returns -1 (after a usage error message) when the value is not a positive number. */
long long cli_timeout_ms(const cli_ctx *ctx);

/* One command: "group name" (name NULL for single-word commands). */
typedef struct cli_command {
    const char *group;
    const char *name;
    const char *positional; /* usage text of positional arguments, or NULL for none */
    size_t min_positional;
    size_t max_positional;  /* (size_t)-1: unbounded */
    const char *summary;
    const char *details;    /* extra help text, or NULL */
    const arg_spec *options;/* terminated by a {NULL} entry */
    int (*run)(cli_ctx *ctx);
} cli_command;

extern const cli_command cli_auth_commands[];
extern const cli_command cli_instance_commands[];
extern const cli_command cli_catalog_commands[];
extern const cli_command cli_firewall_commands[];
extern const cli_command cli_cluster_commands[];
extern const cli_command cli_policy_commands[];
extern const cli_command cli_config_commands[];

#endif
