/* instance create|list|get|stop|start|reboot|terminate|wait */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "instance_view.h"
#include "output.h"
#include "progress.h"
#include "util.h"

#define MAX_SSH_KEY_FILE_BYTES (256 * 1024)
#define MAX_USER_DATA_BYTES (1024 * 1024)
#define INSTANCE_ID_PREFIX "computeinstance-"

/* ---- argument helpers --------------------------------------------------- */

typedef struct string_vec {
    char **items;
    size_t count, cap;
} string_vec;

static int vec_push(string_vec *v, char *s)
{
    if (!s)
        return -1;
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 4;
        char **grown = realloc(v->items, cap * sizeof *grown);
        if (!grown) {
            free(s);
            return -1;
        }
        v->items = grown;
        v->cap = cap;
    }
    v->items[v->count++] = s;
    return 0;
}

static void vec_free(string_vec *v)
{
    for (size_t i = 0; i < v->count; i++)
        free(v->items[i]);
    free(v->items);
    memset(v, 0, sizeof *v);
}

static int looks_like_key_text(const char *v)
{
    static const char *const prefixes[] = {"ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (strncmp(v, prefixes[i], strlen(prefixes[i])) == 0)
            return 1;
    return 0;
}

/* --ssh-key FILE|TEXT: key text as given, or every key line of the file. */
static int collect_ssh_keys(cli_ctx *ctx, string_vec *keys)
{
    const char *const *values;
    size_t n = args_list(ctx->args, "ssh-key", &values);
    for (size_t i = 0; i < n; i++) {
        if (looks_like_key_text(values[i])) {
            char *k = strdup(values[i]);
            if (vec_push(keys, k ? cli_trim(k) : NULL) < 0)
                return cli_usage_error(ctx, "out of memory");
            continue;
        }
        char *text = NULL, err[512];
        if (cli_read_file(values[i], MAX_SSH_KEY_FILE_BYTES, &text, NULL, err, sizeof err) < 0)
            return cli_usage_error(ctx, "--ssh-key %s: not an OpenSSH public key and %s", values[i], err);
        size_t before = keys->count;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            cli_trim(line);
            if (!*line || line[0] == '#')
                continue;
            if (vec_push(keys, strdup(line)) < 0) {
                free(text);
                return cli_usage_error(ctx, "out of memory");
            }
        }
        free(text);
        if (keys->count == before)
            return cli_usage_error(ctx, "--ssh-key %s: the file holds no key", values[i]);
    }
    return 0;
}

/* --label k=v (repeatable). labels[] point into argv. */
static int collect_labels(cli_ctx *ctx, brev_label **out, size_t *count, string_vec *storage)
{
    const char *const *values;
    size_t n = args_list(ctx->args, "label", &values);
    *out = NULL;
    *count = 0;
    if (n == 0)
        return 0;
    brev_label *labels = calloc(n, sizeof *labels);
    if (!labels)
        return cli_usage_error(ctx, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(values[i], '=');
        if (!eq || eq == values[i]) {
            free(labels);
            return cli_usage_error(ctx, "--label %s: expected KEY=VALUE", values[i]);
        }
        char *key = strndup(values[i], (size_t)(eq - values[i]));
        if (vec_push(storage, key) < 0) {
            free(labels);
            return cli_usage_error(ctx, "out of memory");
        }
        labels[i].key = key;
        labels[i].value = eq + 1;
    }
    *out = labels;
    *count = n;
    return 0;
}

static int is_instance_id(const char *s)
{
    return strncmp(s, INSTANCE_ID_PREFIX, strlen(INSTANCE_ID_PREFIX)) == 0;
}

/* An instance id, or a name looked up in the project. *id_out: free(). */
static int resolve_instance(brev_client *client, const char *id_or_name, char **id_out)
{
    *id_out = NULL;
    if (is_instance_id(id_or_name)) {
        *id_out = strdup(id_or_name);
        return *id_out ? BREV_OK : BREV_ENOMEM;
    }
    brev_instance *in = NULL;
    int rc = brev_instance_get_by_name(client, id_or_name, &in);
    if (rc != BREV_OK)
        return rc;
    *id_out = strdup(in->id);
    brev_instance_free(in);
    return *id_out ? BREV_OK : BREV_ENOMEM;
}

static int emit_instance(const cli_ctx *ctx, const brev_instance *in)
{
    if (ctx->json)
        return cli_json_emit(cli_instance_json(in)) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    cli_instance_print(in, stdout);
    return CLI_EXIT_OK;
}

/* ---- create ------------------------------------------------------------- */

static const arg_spec create_options[] = {
    {"name", ARG_VALUE, "NAME", "instance name, 1..63 of [a-z0-9-] (required)"},
    {"ref-id", ARG_VALUE, "ID", "idempotency handle: creating twice with one ref id makes one instance (default: the name)"},
    {"type", ARG_VALUE, "TYPE", "instance type, \"platform.preset\" or the Brev id (required; see instance-types)"},
    {"image-id", ARG_VALUE, "ID", "boot image id"},
    {"image-family", ARG_VALUE, "FAMILY", "boot image family, its latest image (default by type: CPU or CUDA Ubuntu)"},
    {"disk-gib", ARG_VALUE, "N", "boot disk size in GiB (default 64)"},
    {"disk-type", ARG_VALUE, "TYPE", "network-ssd (default), network-hdd, network-ssd-nonreplicated, network-ssd-io-m3"},
    {"ssh-key", ARG_LIST, "FILE|KEY", "OpenSSH public key, or a .pub file of keys (at least one)"},
    {"cluster", ARG_VALUE, "ID", "cluster whose security group the instance joins (default: its own)"},
    {"public-ip", ARG_FLAG, NULL, "give the instance a public IPv4 address"},
    {"label", ARG_LIST, "KEY=VALUE", "extra label (keys starting with brev- are reserved)"},
    {"user-data", ARG_VALUE, "FILE", "extra #cloud-config (or a script) merged after the tool's"},
    {"host-firewall", ARG_FLAG, NULL, "also deny inbound on the VM itself (ufw + DOCKER-USER)"},
    {"no-wait", ARG_FLAG, NULL, "return when the create operation is done, not when RUNNING"},
    {"timeout", ARG_VALUE, "SECONDS", "whole create including the wait (default 1200)"},
    {NULL, 0, NULL, NULL},
};

/* After Ctrl-C the library stops waiting and cleans up what it can; say what
 * exists: the instance by that name, and the cluster's security group. */
static void report_left_behind(brev_client *client, const char *name, const char *cluster_id)
{
    brev_instance *in = NULL;
    if (brev_instance_get_by_name(client, name, &in) == BREV_OK) {
        fprintf(stderr, "brev-nebius: instance %s (%s) exists in state %s; terminate it with: brev-nebius instance terminate %s\n",
                in->name, in->id, in->nebius_state, in->id);
        brev_instance_free(in);
    } else {
        fprintf(stderr, "brev-nebius: no instance named %s exists\n", name);
    }
    brev_cluster_list *clusters = NULL;
    if (brev_clusters_list(client, &clusters) != BREV_OK)
        return;
    for (size_t i = 0; i < clusters->count; i++) {
        const brev_cluster *c = &clusters->items[i];
        if (strcmp(c->id, cluster_id) == 0)
            fprintf(stderr, "brev-nebius: cluster %s exists (security group %s, %zu instance%s)%s%s\n", c->id,
                    c->security_group_id, c->instance_count, c->instance_count == 1 ? "" : "s",
                    c->instance_count ? "" : "; delete it with: brev-nebius cluster delete ",
                    c->instance_count ? "" : c->id);
    }
    brev_cluster_list_free(clusters);
}

static int instance_create(cli_ctx *ctx)
{
    const char *name = args_value(ctx->args, "name");
    const char *type = args_value(ctx->args, "type");
    if (!name)
        return cli_usage_error(ctx, "--name is required");
    if (!type)
        return cli_usage_error(ctx, "--type is required (see 'brev-nebius instance-types')");
    if (args_value(ctx->args, "image-id") && args_value(ctx->args, "image-family"))
        return cli_usage_error(ctx, "give --image-id or --image-family, not both");
    long long timeout = cli_timeout_ms(ctx);
    if (timeout < 0)
        return CLI_EXIT_USAGE;

    brev_create_instance_options opts;
    brev_create_instance_options_init(&opts, BREV_CREATE_INSTANCE_OPTIONS_VERSION);
    opts.name = name;
    opts.ref_id = args_value(ctx->args, "ref-id") ? args_value(ctx->args, "ref-id") : name;
    opts.instance_type = type;
    opts.image_id = args_value(ctx->args, "image-id");
    opts.image_family = args_value(ctx->args, "image-family");
    opts.disk_type = args_value(ctx->args, "disk-type");
    opts.cluster_id = args_value(ctx->args, "cluster");
    opts.public_ip = args_flag(ctx->args, "public-ip");
    opts.host_firewall = args_flag(ctx->args, "host-firewall");
    opts.no_wait = args_flag(ctx->args, "no-wait");
    opts.timeout_ms = timeout > 0xFFFFFFFFLL ? 0xFFFFFFFFu : (unsigned)timeout;
    const char *disk = args_value(ctx->args, "disk-gib");
    if (disk) {
        char *end = NULL;
        long long gib = strtoll(disk, &end, 10);
        if (end == disk || *end || gib < 1 || gib > 1024 * 1024)
            return cli_usage_error(ctx, "--disk-gib %s: expected a whole number of GiB", disk);
        opts.disk_size_gib = gib;
    }

    int exit_code = CLI_EXIT_OK;
    string_vec keys = {0}, label_keys = {0};
    brev_label *labels = NULL;
    char *user_data = NULL;
    if ((exit_code = collect_ssh_keys(ctx, &keys)) != 0 ||
        (exit_code = collect_labels(ctx, &labels, &opts.label_count, &label_keys)) != 0)
        goto done;
    const char *ud_path = args_value(ctx->args, "user-data");
    if (ud_path) {
        char err[512];
        if (cli_read_file(ud_path, MAX_USER_DATA_BYTES, &user_data, NULL, err, sizeof err) < 0) {
            exit_code = cli_usage_error(ctx, "--user-data: %s", err);
            goto done;
        }
    }
    opts.ssh_keys = (const char *const *)keys.items;
    opts.ssh_key_count = keys.count;
    opts.labels = labels;
    opts.user_data = user_data;

    cli_guard_ctrl_c();
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        goto done;
    brev_instance *in = NULL;
    int rc = brev_instance_create(client, &opts, &in);
    if (rc != BREV_OK) {
        exit_code = cli_fail(rc);
        if (rc == BREV_ECANCELLED)
            report_left_behind(client, name, opts.cluster_id ? opts.cluster_id : opts.ref_id);
        goto done;
    }
    exit_code = emit_instance(ctx, in);
    brev_instance_free(in);
done:
    vec_free(&keys);
    vec_free(&label_keys);
    free(labels);
    free(user_data);
    return exit_code;
}

/* ---- list / get --------------------------------------------------------- */

static const arg_spec list_options[] = {
    {"cluster", ARG_VALUE, "ID", "only instances of this cluster"},
    {"label", ARG_LIST, "KEY=VALUE", "only instances with this label"},
    {"managed", ARG_FLAG, NULL, "only instances this tool (the library) created"},
    {NULL, 0, NULL, NULL},
};

static int instance_list(cli_ctx *ctx)
{
    int exit_code = CLI_EXIT_OK;
    brev_instance_filter filter;
    memset(&filter, 0, sizeof filter);
    string_vec label_keys = {0};
    brev_label *labels = NULL;
    if ((exit_code = collect_labels(ctx, &labels, &filter.label_count, &label_keys)) != 0)
        goto done;
    filter.labels = labels;
    filter.cluster_id = args_value(ctx->args, "cluster");
    filter.managed_only = args_flag(ctx->args, "managed");
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        goto done;
    brev_instance_list *list = NULL;
    int rc = brev_instances_list(client, &filter, &list);
    if (rc != BREV_OK) {
        exit_code = cli_fail(rc);
        goto done;
    }
    if (ctx->json)
        exit_code = cli_json_emit(cli_instance_list_json(list)) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    else if (list->count == 0)
        printf("no instances\n");
    else
        exit_code = cli_instance_table(list, stdout) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    brev_instance_list_free(list);
done:
    vec_free(&label_keys);
    free(labels);
    return exit_code;
}

static const arg_spec no_options[] = {
    {NULL, 0, NULL, NULL},
};

static int instance_get(cli_ctx *ctx)
{
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    const char *arg = ctx->args->positional[0];
    brev_instance *in = NULL;
    int rc = is_instance_id(arg) ? brev_instance_get(client, arg, &in) : brev_instance_get_by_name(client, arg, &in);
    if (rc != BREV_OK)
        return cli_fail(rc);
    exit_code = emit_instance(ctx, in);
    brev_instance_free(in);
    return exit_code;
}

/* ---- stop / start / reboot / terminate ---------------------------------- */

static const arg_spec action_options[] = {
    {"timeout", ARG_VALUE, "SECONDS", "wait at most this long per instance (default 600 stop, 1200 start)"},
    {NULL, 0, NULL, NULL},
};

static const arg_spec terminate_options[] = {
    {"timeout", ARG_VALUE, "SECONDS", "wait at most this long per instance (default 1200)"},
    {"cluster", ARG_VALUE, "ID", "terminate every instance of this cluster"},
    {NULL, 0, NULL, NULL},
};

typedef int (*instance_action_fn)(brev_client *, const char *, unsigned);

/* Runs the action on every target in turn; a failure does not stop the
 * others. Output: a JSON array of {id, action, ok, status | error}. */
static int run_action(cli_ctx *ctx, const char *verb, const char *past, instance_action_fn action, int fetch_after,
                      const char *const *targets, size_t target_count)
{
    long long timeout = cli_timeout_ms(ctx);
    if (timeout < 0)
        return CLI_EXIT_USAGE;
    unsigned timeout_ms = timeout > 0xFFFFFFFFLL ? 0xFFFFFFFFu : (unsigned)timeout;
    cli_guard_ctrl_c();
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    json_t *results = json_array();
    int first_failure = CLI_EXIT_OK;
    for (size_t i = 0; i < target_count; i++) {
        if (cli_cancelled()) {
            cli_errorf("cancelled before %s %s", verb, targets[i]);
            if (first_failure == CLI_EXIT_OK)
                first_failure = CLI_EXIT_CANCELLED;
            break;
        }
        char *id = NULL;
        int rc = resolve_instance(client, targets[i], &id);
        if (rc == BREV_OK)
            rc = action(client, id, timeout_ms);
        json_t *item = json_pack("{s:s, s:s, s:b}", "id", id ? id : targets[i], "action", verb, "ok", rc == BREV_OK);
        if (rc != BREV_OK) {
            int code = cli_fail(rc);
            if (first_failure == CLI_EXIT_OK)
                first_failure = code;
            if (item)
                json_object_set_new(item, "error", cli_json_str(brev_error_message()));
        } else {
            brev_instance *in = NULL;
            const char *status = "terminated";
            if (fetch_after && brev_instance_get(client, id, &in) == BREV_OK)
                status = brev_lifecycle_name(in->status);
            if (item)
                json_object_set_new(item, "status", cli_json_str(status));
            if (!ctx->json)
                printf("%s %s: %s\n", past, id, status);
            brev_instance_free(in);
        }
        if (item)
            json_array_append_new(results, item);
        free(id);
    }
    if (ctx->json && cli_json_emit(results) < 0 && first_failure == CLI_EXIT_OK)
        first_failure = CLI_EXIT_ERROR;
    if (!ctx->json)
        json_decref(results);
    return first_failure;
}

static int instance_stop(cli_ctx *ctx)
{
    return run_action(ctx, "stop", "stopped", brev_instance_stop, 1, ctx->args->positional,
                      ctx->args->positional_count);
}

static int instance_start(cli_ctx *ctx)
{
    return run_action(ctx, "start", "started", brev_instance_start, 1, ctx->args->positional,
                      ctx->args->positional_count);
}

static int instance_reboot(cli_ctx *ctx)
{
    return run_action(ctx, "reboot", "rebooted", brev_instance_reboot, 1, ctx->args->positional,
                      ctx->args->positional_count);
}

static int instance_terminate(cli_ctx *ctx)
{
    const char *cluster = args_value(ctx->args, "cluster");
    if (!cluster && ctx->args->positional_count == 0)
        return cli_usage_error(ctx, "name the instances (ID or NAME ...) or give --cluster ID");
    if (!cluster)
        return run_action(ctx, "terminate", "terminated", brev_instance_terminate, 0, ctx->args->positional,
                          ctx->args->positional_count);
    if (ctx->args->positional_count)
        return cli_usage_error(ctx, "give instances or --cluster, not both");
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    brev_instance_filter filter;
    memset(&filter, 0, sizeof filter);
    filter.cluster_id = cluster;
    brev_instance_list *list = NULL;
    int rc = brev_instances_list(client, &filter, &list);
    if (rc != BREV_OK)
        return cli_fail(rc);
    const char **ids = calloc(list->count + 1, sizeof *ids);
    if (!ids) {
        brev_instance_list_free(list);
        cli_errorf("out of memory");
        return CLI_EXIT_ERROR;
    }
    for (size_t i = 0; i < list->count; i++)
        ids[i] = list->items[i].id;
    exit_code = run_action(ctx, "terminate", "terminated", brev_instance_terminate, 0, ids, list->count);
    free(ids);
    brev_instance_list_free(list);
    return exit_code;
}

/* ---- wait --------------------------------------------------------------- */

static const arg_spec wait_options[] = {
    {"status", ARG_VALUE, "STATUS", "running (default), stopped, terminated, ..."},
    {"timeout", ARG_VALUE, "SECONDS", "give up after this long (default 1200)"},
    {NULL, 0, NULL, NULL},
};

static int instance_wait(cli_ctx *ctx)
{
    const char *status_name = args_value(ctx->args, "status") ? args_value(ctx->args, "status") : "running";
    brev_lifecycle status;
    if (brev_lifecycle_parse(status_name, &status) != BREV_OK)
        return cli_usage_error(ctx, "--status %s: expected running, stopped, terminated, pending, stopping, "
                                    "terminating or failed",
                               status_name);
    long long timeout = cli_timeout_ms(ctx);
    if (timeout < 0)
        return CLI_EXIT_USAGE;
    cli_guard_ctrl_c();
    int exit_code = CLI_EXIT_OK;
    brev_client *client = cli_client(ctx, &exit_code);
    if (!client)
        return exit_code;
    char *id = NULL;
    int rc = resolve_instance(client, ctx->args->positional[0], &id);
    if (rc != BREV_OK)
        return cli_fail(rc);
    brev_instance *in = NULL;
    rc = brev_instance_wait(client, id, status, timeout > 0xFFFFFFFFLL ? 0xFFFFFFFFu : (unsigned)timeout, &in);
    if (rc != BREV_OK) {
        exit_code = cli_fail(rc);
    } else if (ctx->json) {
        json_t *doc = in ? cli_instance_json(in) : json_pack("{s:s, s:s}", "id", id, "status", status_name);
        exit_code = cli_json_emit(doc) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
    } else {
        printf("%s: %s\n", id, in ? brev_lifecycle_name(in->status) : status_name);
    }
    brev_instance_free(in);
    free(id);
    return exit_code;
}

#define UNBOUNDED ((size_t)-1)

const cli_command cli_instance_commands[] = {
    {"instance", "create", NULL, 0, 0, "Create an instance (boot disk, cluster security group, SSH keys) and wait until it runs",
     "On any failure nothing is left behind. Ctrl-C stops the wait and names what exists (exit 7).",
     create_options, instance_create},
    {"instance", "list", NULL, 0, 0, "List the project's instances", NULL, list_options, instance_list},
    {"instance", "get", "ID|NAME", 1, 1, "Show one instance", NULL, no_options, instance_get},
    {"instance", "stop", "ID|NAME...", 1, UNBOUNDED, "Stop instances and wait until they are stopped", NULL,
     action_options, instance_stop},
    {"instance", "start", "ID|NAME...", 1, UNBOUNDED, "Start instances and wait until they run", NULL,
     action_options, instance_start},
    {"instance", "reboot", "ID|NAME...", 1, UNBOUNDED, "Stop then start instances (compute v1 has no reboot)", NULL,
     action_options, instance_reboot},
    {"instance", "terminate", "[ID|NAME...]", 0, UNBOUNDED,
     "Delete instances with their boot disks (and the cluster group with the last one)", NULL, terminate_options,
     instance_terminate},
    {"instance", "wait", "ID|NAME", 1, 1, "Wait until an instance reaches a status", NULL, wait_options,
     instance_wait},
    {NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL},
};
