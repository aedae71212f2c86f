#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "util.h"

const char *cli_source_name(cli_source source)
{
    switch (source) {
    case CLI_SOURCE_FILE:
        return "file";
    case CLI_SOURCE_ENV:
        return "env";
    case CLI_SOURCE_FLAG:
        return "flag";
    default:
        return "default";
    }
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Sets s from the first source that has a value: flag, then env, then file. */
static int pick(cli_setting *s, const char *flag, const char *flag_name, const char *env_name, const char *file_value,
                const cli_profile *profile)
{
    const char *v = NULL;
    if (flag && *flag) {
        v = flag;
        s->source = CLI_SOURCE_FLAG;
        snprintf(s->origin, sizeof s->origin, "--%s", flag_name);
    } else if (env_name && env(env_name)) {
        v = env(env_name);
        s->source = CLI_SOURCE_ENV;
        snprintf(s->origin, sizeof s->origin, "%s", env_name);
    } else if (file_value && *file_value) {
        v = file_value;
        s->source = CLI_SOURCE_FILE;
        snprintf(s->origin, sizeof s->origin, "%s profile %s", profile->path, profile->name);
    }
    if (!v)
        return 0;
    s->value = strdup(v);
    return s->value ? 0 : -1;
}

static int set_from(cli_setting *s, const char *value, cli_source source, const char *origin)
{
    s->value = strdup(value);
    s->source = source;
    snprintf(s->origin, sizeof s->origin, "%s", origin);
    return s->value ? 0 : -1;
}

static int looks_like_json(const char *v)
{
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    return *v == '{';
}

/* The Nebius CLI's key-file form (service-account-id, public-key-id,
 * private-key-file-path): handed to the library as it is; only the library
 * reads the key. */
static int use_key_file_credentials(cli_config *cfg, const cli_profile *p, char *err, size_t errlen)
{
    if (!p->service_account_id || !p->public_key_id) {
        snprintf(err, errlen, "%s profile %s: private-key-file-path needs service-account-id and public-key-id (or key-id)",
                 p->path, p->name);
        return -1;
    }
    cfg->credentials.value = strdup(p->private_key_file);
    cfg->key_service_account_id = strdup(p->service_account_id);
    cfg->key_public_key_id = strdup(p->public_key_id);
    if (!cfg->credentials.value || !cfg->key_service_account_id || !cfg->key_public_key_id) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    cfg->credentials.source = CLI_SOURCE_FILE;
    snprintf(cfg->credentials.origin, sizeof cfg->credentials.origin, "%s profile %s", p->path, p->name);
    return 0;
}

/* Credentials: the highest layer that names any credential wins as a whole. */
static int pick_credentials(cli_config *cfg, const cli_flags *flags, const cli_profile *profile, char *err,
                            size_t errlen)
{
    cli_setting *s = &cfg->credentials;
    int rc = 0;
    if (flags->credentials && *flags->credentials) {
        cfg->cred_kind = looks_like_json(flags->credentials) ? CLI_CRED_JSON : CLI_CRED_FILE;
        rc = set_from(s, flags->credentials, CLI_SOURCE_FLAG, "--credentials");
    } else if (env("NEBIUS_IAM_TOKEN")) {
        cfg->cred_kind = CLI_CRED_TOKEN;
        rc = set_from(s, env("NEBIUS_IAM_TOKEN"), CLI_SOURCE_ENV, "NEBIUS_IAM_TOKEN");
    } else if (env("NEBIUS_SERVICE_ACCOUNT_JSON")) {
        const char *v = env("NEBIUS_SERVICE_ACCOUNT_JSON");
        cfg->cred_kind = looks_like_json(v) ? CLI_CRED_JSON : CLI_CRED_FILE;
        rc = set_from(s, v, CLI_SOURCE_ENV, "NEBIUS_SERVICE_ACCOUNT_JSON");
    } else if (env("NEBIUS_SERVICE_ACCOUNT_CREDENTIALS_FILE")) {
        cfg->cred_kind = CLI_CRED_FILE;
        rc = set_from(s, env("NEBIUS_SERVICE_ACCOUNT_CREDENTIALS_FILE"), CLI_SOURCE_ENV,
                      "NEBIUS_SERVICE_ACCOUNT_CREDENTIALS_FILE");
    } else if (profile->credentials_file) {
        cfg->cred_kind = CLI_CRED_FILE;
        rc = pick(s, NULL, NULL, NULL, profile->credentials_file, profile);
    } else if (profile->private_key_file) {
        cfg->cred_kind = CLI_CRED_KEY_FILE;
        return use_key_file_credentials(cfg, profile, err, errlen);
    }
    if (rc < 0)
        snprintf(err, errlen, "out of memory");
    return rc;
}

/* The profile's endpoint: "host:port" is one address for every service, a
 * bare domain ("api.nebius.cloud") gets the services' names in front of it. */
static int has_port(const char *address)
{
    const char *colon = strrchr(address, ':');
    return colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1);
}

/* Endpoint and domain together: the highest layer that sets either wins. */
static int pick_address(cli_config *cfg, const cli_flags *flags, const cli_profile *profile)
{
    if ((flags->endpoint && *flags->endpoint) || (flags->domain && *flags->domain)) {
        return pick(&cfg->endpoint, flags->endpoint, "endpoint", NULL, NULL, profile) |
               pick(&cfg->domain, flags->domain, "domain", NULL, NULL, profile);
    }
    if (env("NEBIUS_ENDPOINT") || env("NEBIUS_DOMAIN")) {
        return pick(&cfg->endpoint, NULL, NULL, "NEBIUS_ENDPOINT", NULL, profile) |
               pick(&cfg->domain, NULL, NULL, "NEBIUS_DOMAIN", NULL, profile);
    }
    const char *e = profile->endpoint;
    if (!e || !*e)
        return 0;
    if (has_port(e))
        return pick(&cfg->endpoint, NULL, NULL, NULL, e, profile);
    size_t n = strlen(e) + sizeof ":443";
    char *domain = malloc(n);
    if (!domain)
        return -1;
    snprintf(domain, n, "%s:443", e);
    int rc = pick(&cfg->domain, NULL, NULL, NULL, domain, profile);
    free(domain);
    return rc;
}

static char *default_config_path(void)
{
    const char *over = env("NEBIUS_CONFIG");
    if (over)
        return strdup(over);
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    size_t n = strlen(home) + sizeof "/.nebius/config.yaml";
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/.nebius/config.yaml", home);
    return p;
}

int cli_config_load(cli_config *cfg, const cli_flags *flags, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    cli_profile profile;
    memset(&profile, 0, sizeof profile);
    int explicit_file = (flags->config && *flags->config) || env("NEBIUS_CONFIG");
    cfg->config_path = flags->config && *flags->config ? strdup(flags->config) : default_config_path();
    if (cfg->config_path) {
        int rc = cli_profile_load(cfg->config_path, flags->profile, &profile, err, errlen);
        if (rc == CLI_PROFILE_ERROR)
            goto fail;
        cfg->config_present = rc == CLI_PROFILE_OK;
        if (rc == CLI_PROFILE_NO_FILE && (explicit_file || flags->profile)) {
            snprintf(err, errlen, "config file %s does not exist%s%s%s", cfg->config_path,
                     flags->profile ? " (needed for --profile " : "", flags->profile ? flags->profile : "",
                     flags->profile ? ")" : "");
            goto fail;
        }
    } else if (flags->profile) {
        snprintf(err, errlen, "--profile %s: no config file (HOME is not set; use --config FILE)", flags->profile);
        goto fail;
    }
    if (profile.name && !(cfg->profile_name = strdup(profile.name)))
        goto oom;
    if (pick_credentials(cfg, flags, &profile, err, errlen) < 0)
        goto fail;
    if (cfg->cred_kind == CLI_CRED_NONE && profile.auth_type && strcmp(profile.auth_type, "federation") == 0) {
        /* Browser login belongs to the Nebius CLI; say what works instead of failing later. */
        snprintf(err, errlen,
                 "%s profile %s uses federation (browser) login, which brev-nebius cannot do: set NEBIUS_IAM_TOKEN to "
                 "an access token (the Nebius CLI prints one) or use a service-account profile",
                 profile.path, profile.name);
        goto fail;
    }
    if (pick(&cfg->project_id, flags->project, "project", "NEBIUS_PROJECT_ID", profile.parent_id, &profile) < 0 ||
        pick(&cfg->tenant_id, flags->tenant, "tenant", "NEBIUS_TENANT_ID", profile.tenant_id, &profile) < 0 ||
        pick(&cfg->region, flags->region, "region", "NEBIUS_REGION", profile.region, &profile) < 0 ||
        pick(&cfg->ca_file, flags->ca_file, "ca-file", "NEBIUS_CA_FILE", profile.ca_file, &profile) < 0 ||
        pick(&cfg->tls_name, flags->tls_name, "tls-name", NULL, NULL, &profile) < 0 ||
        pick_address(cfg, flags, &profile) < 0)
        goto oom;
    cli_profile_release(&profile);
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    cli_profile_release(&profile);
    return -1;
}

int cli_config_to_options(const cli_config *cfg, brev_client_options *opts)
{
    int rc = brev_client_options_init(opts, BREV_CLIENT_OPTIONS_VERSION);
    if (rc != BREV_OK)
        return rc;
    opts->use_env = 0; /* precedence is the CLI's: everything is merged above */
    switch (cfg->cred_kind) {
    case CLI_CRED_FILE:
        opts->credentials_file = cfg->credentials.value;
        break;
    case CLI_CRED_JSON:
        opts->credentials_json = cfg->credentials.value;
        break;
    case CLI_CRED_TOKEN:
        opts->iam_token = cfg->credentials.value;
        break;
    case CLI_CRED_KEY_FILE:
        opts->private_key_file = cfg->credentials.value;
        opts->service_account_id = cfg->key_service_account_id;
        opts->public_key_id = cfg->key_public_key_id;
        break;
    case CLI_CRED_NONE:
        break;
    }
    opts->project_id = cfg->project_id.value;
    opts->tenant_id = cfg->tenant_id.value;
    opts->region = cfg->region.value;
    opts->endpoint = cfg->endpoint.value;
    opts->domain = cfg->domain.value;
    opts->ca_file = cfg->ca_file.value;
    opts->tls_target_name = cfg->tls_name.value;
    return BREV_OK;
}

void cli_config_release(cli_config *cfg)
{
    free(cfg->config_path);
    free(cfg->profile_name);
    cli_wipe_free(cfg->credentials.value);
    free(cfg->key_service_account_id);
    free(cfg->key_public_key_id);
    cli_setting *plain[] = {&cfg->project_id, &cfg->tenant_id, &cfg->region, &cfg->endpoint,
                            &cfg->domain,     &cfg->ca_file,   &cfg->tls_name};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        free(plain[i]->value);
    memset(cfg, 0, sizeof *cfg);
}
