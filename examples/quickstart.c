/* quickstart: the smallest complete use of libbrev-nebius.
 *
 *   cc -std=c11 quickstart.c -lbrev-nebius -o quickstart
 *   NEBIUS_SERVICE_ACCOUNT_CREDENTIALS_FILE=~/.nebius/sa.json NEBIUS_PROJECT_ID=project-... \
 *       ./quickstart ~/.ssh/id_ed25519.pub [instance-type]
 *
 * Creates a client from the environment, creates one instance (public IP, the
 * given SSH key), lists the project's instances, and terminates it again.
 * Every failure prints the library's message and exits non-zero; an instance
 * that was created is always terminated before exiting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brev/nebius.h>

static int fail(const char *step, int rc)
{
    fprintf(stderr, "quickstart: %s failed: %s (%s)\n", step, brev_error_message(), brev_strerror(rc));
    return 1;
}

/* The first line of a .pub file, without its newline. */
static char *read_key(const char *path)
{
    char line[16384];
    FILE *f = fopen(path, "r");

    if (!f || !fgets(line, sizeof line, f)) {
        if (f)
            fclose(f);
        fprintf(stderr, "quickstart: cannot read an SSH public key from %s\n", path);
        return NULL;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    char *copy = malloc(strlen(line) + 1);
    if (copy)
        memcpy(copy, line, strlen(line) + 1);
    return copy;
}

int main(int argc, char **argv)
{
    brev_client_options copts;
    brev_create_instance_options iopts;
    brev_client *client = NULL;
    brev_instance *instance = NULL;
    brev_instance_list *list = NULL;
    const char *keys[1];
    char *key;
    int rc, status = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: %s SSH_PUBLIC_KEY_FILE [INSTANCE_TYPE]\n", argv[0]);
        return 2;
    }
    if (!(key = read_key(argv[1])))
        return 1;

    /* Credentials, project and endpoint come from NEBIUS_* variables. */
    brev_client_options_init(&copts, BREV_CLIENT_OPTIONS_VERSION);
    if ((rc = brev_client_new(&client, &copts)) != BREV_OK) {
        free(key);
        return fail("brev_client_new", rc);
    }
    printf("libbrev-nebius %s, region %s\n", brev_version(), brev_client_region(client));

    brev_create_instance_options_init(&iopts, BREV_CREATE_INSTANCE_OPTIONS_VERSION);
    keys[0] = key;
    iopts.name = "quickstart-1";
    iopts.ref_id = "quickstart-1"; /* creating again with this ref_id returns the same instance */
    iopts.instance_type = argc > 2 ? argv[2] : "cpu-d3.4vcpu-16gb";
    iopts.ssh_keys = keys;
    iopts.ssh_key_count = 1;
    iopts.public_ip = 1;
    if ((rc = brev_instance_create(client, &iopts, &instance)) != BREV_OK) {
        status = fail("brev_instance_create", rc);
        goto out;
    }
    printf("created %s (%s): %s, ssh %s@%s -p %d, disk %lld GiB%s\n", instance->name, instance->id,
           brev_lifecycle_name(instance->status), instance->ssh_user, instance->public_ip, instance->ssh_port,
           (long long)(instance->disk_size_bytes >> 30), instance->disk_encrypted ? " encrypted" : "");

    if ((rc = brev_instances_list(client, NULL, &list)) != BREV_OK) {
        status = fail("brev_instances_list", rc);
    } else {
        printf("instances in the project: %zu\n", list->count);
        for (size_t i = 0; i < list->count; i++)
            printf("  %s  %-12s %-10s %s\n", list->items[i].id, list->items[i].name,
                   brev_lifecycle_name(list->items[i].status), list->items[i].instance_type);
        brev_instance_list_free(list);
    }

    if ((rc = brev_instance_terminate(client, instance->id, 0)) != BREV_OK)
        status = fail("brev_instance_terminate", rc);
    else
        printf("terminated %s\n", instance->id);
out:
    brev_instance_free(instance);
    brev_client_free(client);
    free(key);
    return status;
}
