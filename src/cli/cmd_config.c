/* config show: which value each setting has and where it came from (flag,
 * environment, profile file). Never prints credential material. */
#include <stdio.h>

#include "cli.h"
#include "output.h"

static const arg_spec no_options[] = {
    {NULL, 0, NULL, NULL},
};

static const char *cred_kind_name(cli_cred_kind kind)
{
    switch (kind) {
    case CLI_CRED_FILE:
        return "credentials file";
    case CLI_CRED_JSON:
        return "credentials JSON";
    case CLI_CRED_TOKEN:
        return "IAM token";
    case CLI_CRED_KEY_FILE:
        return "private key file";
    default:
        return "none";
    }
}

static int config_show(cli_ctx *ctx)
{
    const cli_config *c = &ctx->config;
    struct {
        const char *key;
        const cli_setting *s;
    } rows[] = {
        {"project", &c->project_id}, {"tenant", &c->tenant_id}, {"region", &c->region},
        {"endpoint", &c->endpoint},  {"domain", &c->domain},    {"ca-file", &c->ca_file},
        {"tls-name", &c->tls_name},
    };
    /* Only a file path is shown; JSON text and tokens are secrets. */
    const char *cred_value =
        c->cred_kind == CLI_CRED_FILE || c->cred_kind == CLI_CRED_KEY_FILE ? c->credentials.value : NULL;
    if (ctx->json) {
        json_t *doc = json_object();
        json_object_set_new(doc, "config_file", cli_json_str(c->config_path));
        json_object_set_new(doc, "config_file_present", json_boolean(c->config_present));
        json_object_set_new(doc, "profile", c->profile_name ? json_string(c->profile_name) : json_null());
        json_t *cred = json_pack("{s:s, s:o, s:s, s:o}", "kind", cred_kind_name(c->cred_kind), "value",
                                 cred_value ? json_string(cred_value) : json_null(), "source",
                                 cli_source_name(c->credentials.source), "origin", cli_json_str(c->credentials.origin));
        json_object_set_new(doc, "credentials", cred);
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
            json_object_set_new(doc, rows[i].key,
                                json_pack("{s:o, s:s, s:o}", "value",
                                          rows[i].s->value ? json_string(rows[i].s->value) : json_null(), "source",
                                          cli_source_name(rows[i].s->source), "origin",
                                          cli_json_str(rows[i].s->origin)));
        return cli_json_emit(doc) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    }
    printf("config file  %s%s\n", c->config_path ? c->config_path : "-",
           c->config_path && !c->config_present ? " (not present)" : "");
    printf("profile      %s\n", c->profile_name ? c->profile_name : "-");
    printf("credentials  %s%s%s%s%s\n", cred_kind_name(c->cred_kind), cred_value ? " " : "", cred_value ? cred_value : "",
           c->credentials.source ? "  <- " : "", c->credentials.source ? c->credentials.origin : "");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        printf("%-12s %s%s%s\n", rows[i].key, rows[i].s->value ? rows[i].s->value : "(default)",
               rows[i].s->source ? "  <- " : "", rows[i].s->source ? rows[i].s->origin : "");
    return CLI_EXIT_OK;
}

const cli_command cli_config_commands[] = {
    {"config", "show", NULL, 0, 0, "Show the merged settings and where each comes from (no network)",
     "Precedence: flags > NEBIUS_* environment > profile file. Credential contents are never shown.", no_options,
     config_show},
    {NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
