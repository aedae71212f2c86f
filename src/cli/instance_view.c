#include "instance_view.h"

#include <stdio.h>
#include <string.h>

#include "output.h"

json_t *cli_instance_json(const brev_instance *in)
{
    json_t *labels = json_object();
    for (size_t i = 0; labels && i < in->label_count; i++)
        json_object_set_new(labels, in->labels[i].key ? in->labels[i].key : "", cli_json_str(in->labels[i].value));
    char created[32];
    cli_format_time(in->created_at, created, sizeof created);
    json_t *doc = json_object();
    if (!doc || !labels) {
        json_decref(doc);
        json_decref(labels);
        return NULL;
    }
    struct {
        const char *key;
        const char *value;
    } strings[] = {
        {"id", in->id},
        {"name", in->name},
        {"ref_id", in->ref_id},
        {"cluster_id", in->cluster_id},
        {"status", brev_lifecycle_name(in->status)},
        {"nebius_state", in->nebius_state},
        {"project_id", in->project_id},
        {"region", in->region},
        {"instance_type", in->instance_type},
        {"platform", in->platform},
        {"preset", in->preset},
        {"image_id", in->image_id},
        {"image_family", in->image_family},
        {"boot_disk_id", in->boot_disk_id},
        {"subnet_id", in->subnet_id},
        {"security_group_id", in->security_group_id},
        {"private_ip", in->private_ip},
        {"public_ip", in->public_ip},
        {"ssh_user", in->ssh_user},
        {"created", created},
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        json_object_set_new(doc, strings[i].key, cli_json_str(strings[i].value));
    json_object_set_new(doc, "ssh_port", json_integer(in->ssh_port));
    json_object_set_new(doc, "created_at", json_integer((json_int_t)in->created_at));
    json_object_set_new(doc, "disk_size_bytes", json_integer((json_int_t)in->disk_size_bytes));
    json_object_set_new(doc, "disk_encrypted", json_boolean(in->disk_encrypted));
    json_object_set_new(doc, "labels", labels);
    return doc;
}

json_t *cli_instance_list_json(const brev_instance_list *list)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < list->count; i++) {
        json_t *item = cli_instance_json(&list->items[i]);
        if (!item || json_array_append_new(arr, item) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

void cli_instance_print(const brev_instance *in, FILE *out)
{
    char created[32], disk[32];
    cli_format_time(in->created_at, created, sizeof created);
    cli_format_bytes(in->disk_size_bytes, disk, sizeof disk);
    const char *dash = "-";
#define FIELD(label, v) fprintf(out, "%-18s %s\n", label, (v) && *(v) ? (v) : dash)
    FIELD("id", in->id);
    FIELD("name", in->name);
    FIELD("ref id", in->ref_id);
    FIELD("cluster", in->cluster_id);
    fprintf(out, "%-18s %s (%s)\n", "status", brev_lifecycle_name(in->status),
            in->nebius_state && *in->nebius_state ? in->nebius_state : dash);
    FIELD("type", in->instance_type);
    FIELD("project", in->project_id);
    FIELD("region", in->region);
    FIELD("image", in->image_id);
    FIELD("image family", in->image_family);
    fprintf(out, "%-18s %s %s (%s)\n", "boot disk", in->boot_disk_id && *in->boot_disk_id ? in->boot_disk_id : dash,
            disk, in->disk_encrypted ? "encrypted" : "not encrypted");
    FIELD("subnet", in->subnet_id);
    FIELD("security group", in->security_group_id);
    FIELD("private ip", in->private_ip);
    FIELD("public ip", in->public_ip);
    if (in->public_ip && *in->public_ip)
        fprintf(out, "%-18s ssh -p %d %s@%s\n", "ssh", in->ssh_port, in->ssh_user && *in->ssh_user ? in->ssh_user : "ubuntu",
                in->public_ip);
    fprintf(out, "%-18s %s\n", "created", created);
#undef FIELD
    for (size_t i = 0; i < in->label_count; i++)
        fprintf(out, "%-18s %s=%s\n", i == 0 ? "labels" : "", in->labels[i].key, in->labels[i].value);
}

int cli_instance_table(const brev_instance_list *list, FILE *out)
{
    static const char *const headers[] = {"ID", "NAME", "CLUSTER", "TYPE", "STATUS", "PRIVATE IP", "PUBLIC IP",
                                          "CREATED", NULL};
    cli_table *t = cli_table_new(headers);
    if (!t)
        return -1;
    for (size_t i = 0; i < list->count; i++) {
        const brev_instance *in = &list->items[i];
        char created[32];
        cli_format_time(in->created_at, created, sizeof created);
        const char *row[] = {in->id,         in->name,       in->cluster_id,
                             in->instance_type, brev_lifecycle_name(in->status), in->private_ip,
                             in->public_ip,  created};
        if (cli_table_add(t, row) < 0) {
            cli_table_free(t);
            return -1;
        }
    }
    cli_table_print(t, out);
    cli_table_free(t);
    return 0;
}
