/* auth check: exchange the credentials for an IAM token and say for whom and
 * until when. */
#include <stdio.h>

#include "cli.h"
#include "output.h"

static const arg_spec auth_check_options[] = {
    {"show-token", ARG_FLAG, NULL, "also print the IAM token (a secret: mind your terminal and logs)"},
    {NULL, 0, NULL, NULL},
};

static int auth_check(cli_ctx *ctx)
{
    int exit_code = 0;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    int show_token = args_flag(ctx->args, "show-token");
    brev_auth_info *info = NULL;
    int rc = brev_auth_check(client, show_token, &info);
    if (rc != BREV_OK)
        return cli_fail(rc);
    char until[32], rel[48];
    cli_format_time(info->expires_at, until, sizeof until);
    cli_format_relative(info->expires_at, rel, sizeof rel);
    if (ctx->json) {
        json_t *doc = json_pack("{s:o, s:o, s:I, s:o}", "subject", cli_json_str(info->subject), "key_id",
                                cli_json_str(info->key_id), "expires_at", (json_int_t)info->expires_at,
                                "expires", cli_json_str(until));
        if (doc && show_token)
            json_object_set_new(doc, "token", cli_json_str(info->token));
        if (cli_json_emit(doc) < 0)
            rc = BREV_ENOMEM;
    } else {
        const char *who = info->subject && *info->subject ? info->subject : "the IAM token given";
        printf("authenticated as %s", who);
        if (info->key_id && *info->key_id)
            printf(" (key %s)", info->key_id);
        if (info->expires_at > 0)
            printf(", token valid until %s (%s)", until, rel);
        printf("\n");
        if (show_token)
            printf("token: %s\n", info->token ? info->token : "");
    }
    brev_auth_info_free(info);
    return rc == BREV_OK ? CLI_EXIT_OK : CLI_EXIT_ERROR;
}

const cli_command cli_auth_commands[] = {
    {"auth", "check", NULL, 0, 0, "Exchange the credentials for an IAM token; print who and until when",
     "Makes one token exchange (service account) or uses the token given (NEBIUS_IAM_TOKEN).\n"
     "Exit 3 when the credentials are missing, unreadable or refused.",
     auth_check_options, auth_check},
    {NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
