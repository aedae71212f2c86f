/* brev-nebius: entry point — global options, command dispatch, help, the
 * client built from the merged configuration, exit codes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "progress.h"
#include "util.h"

static const arg_spec global_options[] = {
    {"help", ARG_FLAG, NULL, "show help (also -h)"},
    {"version", ARG_FLAG, NULL, "print the version and exit"},
    {"json", ARG_FLAG, NULL, "print one JSON document on stdout instead of tables"},
    {"quiet", ARG_FLAG, NULL, "no progress line, no warnings"},
    {"verbose", ARG_FLAG, NULL, "library debug log on stderr"},
    {"config", ARG_VALUE, "FILE", "Nebius CLI profile file (default $NEBIUS_CONFIG or ~/.nebius/config.yaml)"},
    {"profile", ARG_VALUE, "NAME", "profile of that file (default: its 'default')"},
    {"credentials", ARG_VALUE, "FILE|JSON", "service-account credentials JSON file (or the JSON text)"},
    {"project", ARG_VALUE, "ID", "project (parent) id of every resource"},
    {"tenant", ARG_VALUE, "ID", "tenant id (the project is then found by region)"},
    {"region", ARG_VALUE, "NAME", "region, e.g. eu-north1"},
    {"endpoint", ARG_VALUE, "HOST:PORT", "one API address for every service"},
    {"domain", ARG_VALUE, "DOMAIN:PORT", "API domain; services are {service}.{domain}"},
    {"ca-file", ARG_VALUE, "FILE", "PEM CA roots instead of the system's"},
    {"tls-name", ARG_VALUE, "NAME", "TLS server name to verify (tests)"},
    {"poll-interval", ARG_VALUE, "MS", "state polling interval in milliseconds (default 1000)"},
    {NULL, 0, NULL, NULL},
};

static const cli_command *const command_tables[] = {
    cli_auth_commands,     cli_instance_commands, cli_catalog_commands, cli_firewall_commands,
    cli_cluster_commands,  cli_policy_commands,   cli_config_commands,
};

#define FOR_EACH_COMMAND(c)                                                                                        \
    for (size_t t_ = 0; t_ < sizeof command_tables / sizeof command_tables[0]; t_++)                               \
        for (const cli_command *c = command_tables[t_]; c->group; c++)

/* ---- errors and exit codes ---------------------------------------------- */

int cli_exit_code(int status)
{
    switch (status) {
    case BREV_OK:
        return CLI_EXIT_OK;
    case BREV_EINVAL:
    case BREV_EPOLICY:
        return CLI_EXIT_USAGE;
    case BREV_EAUTH:
    case BREV_ECREDENTIALS:
    case BREV_EPERM:
        return CLI_EXIT_AUTH;
    case BREV_ENOTFOUND:
        return CLI_EXIT_NOTFOUND;
    case BREV_ETIMEOUT:
        return CLI_EXIT_TIMEOUT;
    case BREV_ECANCELLED:
        return CLI_EXIT_CANCELLED;
    default:
        return CLI_EXIT_ERROR;
    }
}

void cli_errorf(const char *fmt, ...)
{
    cli_progress_clear();
    va_list ap;
    va_start(ap, fmt);
    fputs("brev-nebius: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_fail(int status)
{
    const brev_error *e = brev_error_last();
    const char *msg = e->message[0] ? e->message : brev_strerror(status);
    if (e->request_id[0])
        cli_errorf("%s (request id %s)", msg, e->request_id);
    else
        cli_errorf("%s", msg);
    return cli_exit_code(status);
}

int cli_usage_error(const cli_ctx *ctx, const char *fmt, ...)
{
    cli_progress_clear();
    va_list ap;
    va_start(ap, fmt);
    fputs("brev-nebius: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fprintf(stderr, "Try 'brev-nebius %s%s--help'.\n", ctx && ctx->command_name ? ctx->command_name : "",
            ctx && ctx->command_name ? " " : "");
    return CLI_EXIT_USAGE;
}

long long cli_timeout_ms(const cli_ctx *ctx)
{
    const char *v = args_value(ctx->args, "timeout");
    if (!v)
        return 0;
    char *end = NULL;
    double s = strtod(v, &end);
    if (end == v || *end != '\0' || !(s > 0) || s > 7 * 24 * 3600.0) {
        cli_usage_error(ctx, "--timeout %s: expected seconds, a positive number up to a week", v);
        return -1;
    }
    long long ms = (long long)(s * 1000.0 + 0.5);
    return ms > 0 ? ms : 1;
}

/* ---- the client --------------------------------------------------------- */

static void log_to_stderr(brev_log_level level, const char *message, void *payload)
{
    (void)payload;
    static const char *const names[] = {"debug", "info", "warning", "error"};
    cli_progress_clear();
    fprintf(stderr, "brev-nebius: %s: %s\n", level <= BREV_LOG_ERROR ? names[level] : "log", message);
}

brev_client *cli_client(cli_ctx *ctx, int *exit_code)
{
    if (ctx->client)
        return ctx->client;
    brev_client_options opts;
    int rc = cli_config_to_options(&ctx->config, &opts);
    if (rc != BREV_OK) {
        *exit_code = cli_fail(rc);
        return NULL;
    }
    const char *poll = args_value(ctx->args, "poll-interval");
    if (poll) {
        char *end = NULL;
        long ms = strtol(poll, &end, 10);
        if (end == poll || *end || ms < 1 || ms > 600000) {
            *exit_code = cli_usage_error(ctx, "--poll-interval %s: expected milliseconds, 1..600000", poll);
            return NULL;
        }
        opts.poll_interval_ms = (unsigned)ms;
    }
    if (!ctx->quiet || ctx->verbose) {
        opts.log = log_to_stderr;
        opts.log_level = ctx->verbose ? BREV_LOG_DEBUG : BREV_LOG_WARN;
    }
    opts.progress = cli_progress_report;
    rc = brev_client_new(&ctx->client, &opts);
    if (rc != BREV_OK) {
        ctx->client = NULL;
        *exit_code = cli_fail(rc);
        return NULL;
    }
    return ctx->client;
}

/* ---- help --------------------------------------------------------------- */

static void print_options(FILE *out, const arg_spec *specs)
{
    for (const arg_spec *s = specs; s->name; s++) {
        char left[64];
        if (s->kind == ARG_FLAG)
            snprintf(left, sizeof left, "--%s", s->name);
        else
            snprintf(left, sizeof left, "--%s %s", s->name, s->metavar ? s->metavar : "VALUE");
        fprintf(out, "  %-28s %s%s\n", left, s->help, s->kind == ARG_LIST ? " (repeatable)" : "");
    }
}

static void print_tool_help(FILE *out)
{
    fprintf(out, "Usage: brev-nebius [global options] COMMAND [options]\n\n"
                 "Runs instances on Nebius AI Cloud over its native gRPC API, the way Brev does.\n\n"
                 "Commands:\n");
    FOR_EACH_COMMAND(c)
    {
        char name[64];
        snprintf(name, sizeof name, "%s%s%s", c->group, c->name ? " " : "", c->name ? c->name : "");
        fprintf(out, "  %-22s %s\n", name, c->summary);
    }
    fprintf(out, "\nGlobal options (before or after the command):\n");
    print_options(out, global_options);
    fprintf(out, "\nSettings come from flags, then NEBIUS_* variables, then the profile file.\n"
                 "Exit codes: 0 ok, 1 API/other error, 2 usage, 3 auth/credentials/config, 4 not found,\n"
                 "5 timeout, 6 policy findings, 7 cancelled. See docs/cli.md.\n");
}

static void print_group_help(FILE *out, const char *group)
{
    fprintf(out, "Usage: brev-nebius %s SUBCOMMAND [options]\n\nSubcommands:\n", group);
    FOR_EACH_COMMAND(c)
    {
        if (strcmp(c->group, group) == 0 && c->name)
            fprintf(out, "  %-12s %s\n", c->name, c->summary);
    }
    fprintf(out, "\nRun 'brev-nebius %s SUBCOMMAND --help' for its options.\n", group);
}

static void print_command_help(FILE *out, const cli_command *c)
{
    fprintf(out, "Usage: brev-nebius %s%s%s [options]%s%s\n\n%s\n", c->group, c->name ? " " : "",
            c->name ? c->name : "", c->positional ? " " : "", c->positional ? c->positional : "", c->summary);
    if (c->details)
        fprintf(out, "\n%s\n", c->details);
    if (c->options && c->options->name) {
        fprintf(out, "\nOptions:\n");
        print_options(out, c->options);
    }
    fprintf(out, "\nGlobal options:\n");
    print_options(out, global_options);
}

/* ---- dispatch ----------------------------------------------------------- */

static int group_exists(const char *group, int *has_subcommands)
{
    int found = 0;
    *has_subcommands = 0;
    FOR_EACH_COMMAND(c)
    {
        if (strcmp(c->group, group) == 0) {
            found = 1;
            if (c->name)
                *has_subcommands = 1;
        }
    }
    return found;
}

static const cli_command *find_command(const char *group, const char *name)
{
    FOR_EACH_COMMAND(c)
    {
        if (strcmp(c->group, group) == 0 &&
            ((c->name == NULL && name == NULL) || (c->name && name && strcmp(c->name, name) == 0)))
            return c;
    }
    return NULL;
}

static int run(int argc, char **argv, parsed_args *pa, cli_ctx *ctx)
{
    char err[512];
    if (args_add_specs(pa, global_options) < 0)
        return CLI_EXIT_ERROR;
    int i = args_parse_leading(pa, argc, argv, err, sizeof err);
    if (i < 0)
        return cli_usage_error(NULL, "%s", err);
    if (i == argc) {
        if (args_flag(pa, "version")) {
            printf("brev-nebius %s\n", brev_version());
            return CLI_EXIT_OK;
        }
        if (args_flag(pa, "help")) {
            print_tool_help(stdout);
            return CLI_EXIT_OK;
        }
        print_tool_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *group = argv[i++];
    int has_sub = 0;
    if (strcmp(group, "help") == 0) {
        print_tool_help(stdout);
        return CLI_EXIT_OK;
    }
    if (!group_exists(group, &has_sub))
        return cli_usage_error(NULL, "unknown command '%s'", group);
    const char *name = NULL;
    if (has_sub) {
        if (i == argc || argv[i][0] == '-') {
            int asked = args_flag(pa, "help") ||
                        (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0));
            print_group_help(asked ? stdout : stderr, group);
            return asked ? CLI_EXIT_OK : CLI_EXIT_USAGE;
        }
        name = argv[i++];
    }
    const cli_command *cmd = find_command(group, name);
    if (!cmd) {
        fprintf(stderr, "brev-nebius: unknown command '%s %s'\n", group, name);
        print_group_help(stderr, group);
        return CLI_EXIT_USAGE;
    }
    static char command_name[64];
    snprintf(command_name, sizeof command_name, "%s%s%s", group, name ? " " : "", name ? name : "");
    ctx->command_name = command_name;
    ctx->args = pa;
    if (args_add_specs(pa, cmd->options) < 0)
        return CLI_EXIT_ERROR;
    if (args_parse(pa, argc - i, argv + i, err, sizeof err) < 0)
        return cli_usage_error(ctx, "%s", err);
    if (args_flag(pa, "help")) {
        print_command_help(stdout, cmd);
        return CLI_EXIT_OK;
    }
    if (args_flag(pa, "version")) {
        printf("brev-nebius %s\n", brev_version());
        return CLI_EXIT_OK;
    }
    if (pa->positional_count < cmd->min_positional)
        return cli_usage_error(ctx, "missing argument: %s", cmd->positional ? cmd->positional : "?");
    if (pa->positional_count > cmd->max_positional)
        return cli_usage_error(ctx, "unexpected argument '%s'", pa->positional[cmd->max_positional]);

    ctx->json = args_flag(pa, "json");
    ctx->quiet = args_flag(pa, "quiet");
    ctx->verbose = args_flag(pa, "verbose");
    cli_flags flags = {
        .config = args_value(pa, "config"),
        .profile = args_value(pa, "profile"),
        .credentials = args_value(pa, "credentials"),
        .project = args_value(pa, "project"),
        .tenant = args_value(pa, "tenant"),
        .region = args_value(pa, "region"),
        .endpoint = args_value(pa, "endpoint"),
        .domain = args_value(pa, "domain"),
        .ca_file = args_value(pa, "ca-file"),
        .tls_name = args_value(pa, "tls-name"),
    };
    if (cli_config_load(&ctx->config, &flags, err, sizeof err) < 0) {
        cli_errorf("%s", err);
        return CLI_EXIT_AUTH;
    }
    cli_progress_init(!ctx->quiet);
    int rc = cmd->run(ctx);
    cli_progress_clear();
    if (rc == CLI_EXIT_OK && cli_cancel_pending()) {
        /* A Ctrl-C no wait could act on (it came during the last poll): the
         * command ran to its end. Its output above is what exists; the exit
         * status still says the user asked to stop. */
        cli_errorf("cancelled too late: %s had finished, and what it printed stands", ctx->command_name);
        rc = CLI_EXIT_CANCELLED;
    }
    return rc;
}

int main(int argc, char **argv)
{
    cli_json_secure_alloc();
    cli_signals_install();
    parsed_args pa;
    memset(&pa, 0, sizeof pa);
    cli_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    int rc = run(argc - 1, argv + 1, &pa, &ctx);
    fflush(stdout);
    brev_client_free(ctx.client);
    cli_config_release(&ctx.config);
    args_release(&pa);
    return rc;
}
