/* The Nebius CLI profile file (~/.nebius/config.yaml), read with libyaml:
 *
 *   default: prod
 *   profiles:
 *     prod:
 *       endpoint: api.nebius.cloud
 *       parent-id: project-...
 *       ...
 *
 * Only the keys listed in docs/cli.md are read; other keys are ignored so a
 * file written by the Nebius CLI loads as it is. */
#ifndef BREV_CLI_PROFILE_H
#define BREV_CLI_PROFILE_H

#include <stddef.h>

typedef struct cli_profile {
    char *path;  /* the file read */
    char *name;  /* the profile used */
    char *endpoint;
    char *parent_id;
    char *tenant_id;
    char *region;
    char *credentials_file;   /* service-account-file / credentials-file / service-account-credentials-file-path */
    char *ca_file;
    char *auth_type;
    char *service_account_id; /* the key-file form: these three together */
    char *public_key_id;      /* public-key-id or key-id */
    char *private_key_file;   /* private-key-file-path */
} cli_profile;

enum { CLI_PROFILE_OK = 0, CLI_PROFILE_NO_FILE = 1, CLI_PROFILE_ERROR = -1 };

/* Loads profile `name` (NULL: the file's `default`, or its only profile) from
 * the file at path. Relative paths inside the profile are resolved against the
 * file's directory and "~/" against $HOME. Returns CLI_PROFILE_NO_FILE when the
 * file does not exist, CLI_PROFILE_ERROR with err set when it cannot be read,
 * is not valid YAML of that shape, or lacks the profile. Release with
 * cli_profile_release (also after a failure). */
int cli_profile_load(const char *path, const char *name, cli_profile *out, char *err, size_t errlen);

void cli_profile_release(cli_profile *profile);

#endif
