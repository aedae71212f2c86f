/* Where the CLI's settings come from, merged by the CLI itself with the
 * precedence flags > environment (NEBIUS_*) > profile file, and turned into
 * brev_client_options with use_env = 0 (so the library adds nothing of its own). */
#ifndef BREV_CLI_CONFIG_H
#define BREV_CLI_CONFIG_H

#include <brev/nebius.h>
#include <stddef.h>

typedef enum cli_source {
    CLI_SOURCE_NONE = 0, /* unset: the library default applies */
    CLI_SOURCE_FILE,
    CLI_SOURCE_ENV,
    CLI_SOURCE_FLAG
} cli_source;

typedef struct cli_setting {
    char *value;
    cli_source source;
    char origin[160]; /* "--project", "NEBIUS_PROJECT_ID", "/path/config.yaml profile prod" */
} cli_setting;

typedef enum cli_cred_kind {
    CLI_CRED_NONE = 0,
    CLI_CRED_FILE,  /* value: path of the credentials JSON */
    CLI_CRED_JSON,  /* value: the credentials JSON (wiped on release) */
    CLI_CRED_TOKEN, /* value: a ready IAM token (wiped on release) */
    CLI_CRED_KEY_FILE /* value: path of the private key PEM; ids in key_service_account_id, key_public_key_id */
} cli_cred_kind;

/* The command-line values (NULL when not given). */
typedef struct cli_flags {
    const char *config;
    const char *profile;
    const char *credentials;
    const char *project;
    const char *tenant;
    const char *region;
    const char *endpoint;
    const char *domain;
    const char *ca_file;
    const char *tls_name;
} cli_flags;

typedef struct cli_config {
    char *config_path;  /* the profile file consulted (may not exist) */
    int config_present; /* the file exists and was read */
    char *profile_name; /* the profile used, or NULL */
    cli_cred_kind cred_kind;
    cli_setting credentials;
    char *key_service_account_id; /* CLI_CRED_KEY_FILE only */
    char *key_public_key_id;
    cli_setting project_id;
    cli_setting tenant_id;
    cli_setting region;
    cli_setting endpoint; /* one address for every service */
    cli_setting domain;   /* "{service}.{domain}" */
    cli_setting ca_file;
    cli_setting tls_name;
} cli_config;

/* Merges flags, the NEBIUS_* environment and the profile file. Returns 0, or
 * -1 with err set (unreadable or malformed file, unknown profile, an
 * incomplete key-file profile). Release with cli_config_release either way. */
int cli_config_load(cli_config *cfg, const cli_flags *flags, char *err, size_t errlen);

/* Fills opts (initialised here) from cfg. The strings stay owned by cfg. */
int cli_config_to_options(const cli_config *cfg, brev_client_options *opts);

/* Frees every string; wipes credential material first. */
void cli_config_release(cli_config *cfg);

const char *cli_source_name(cli_source source);

#endif
