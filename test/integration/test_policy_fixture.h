/* Shared by the policy and cluster suites: a sim per test case, a fresh
 * client per test, and clusters of instances planted in the sim (Mutate), so
 * the security model is tested on its own, independent of instance creation.
 * Header-only (static functions): each suite is one binary. */
#ifndef TEST_POLICY_FIXTURE_H
#define TEST_POLICY_FIXTURE_H

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brev/nebius.h>
#include "sim_harness.h"

#define FX_PROJECT "project-sim0000000001"
#define FX_SUBNET "vpcsubnet-sim0000000001"
#define FX_EXTERNAL_IP "198.51.100.7"

static bn_test_sim fx_sim;
static brev_client *fx_client;

static __attribute__((unused)) void fx_sim_up(void)
{
    bn_test_sim_options o = {0};
    o.op_delay = 0.01;
    o.state_delay = 0.01;
    ck_assert_int_eq(bn_test_sim_start(&fx_sim, &o), 0);
}

static __attribute__((unused)) void fx_sim_down(void)
{
    bn_test_sim_stop(&fx_sim);
}

static __attribute__((unused)) void fx_client_up(void)
{
    if (fx_sim.live)
        return;
    fx_client = bn_test_client(&fx_sim);
    bn_test_reset(fx_client);
}

static __attribute__((unused)) void fx_client_down(void)
{
    brev_client_free(fx_client);
    fx_client = NULL;
}

/* Every test here plants state through the admin service: sim only. */
#define FX_SIM_ONLY()                                                                                                  \
    do {                                                                                                               \
        BN_SIM_ONLY(fx_sim);                                                                                              \
    } while (0)

static __attribute__((unused)) TCase *fx_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_unchecked_fixture(tc, fx_sim_up, fx_sim_down);
    tcase_add_checked_fixture(tc, fx_client_up, fx_client_down);
    tcase_set_timeout(tc, 120);
    return tc;
}

/* A boot disk, encrypted at rest (managed) unless told otherwise. */
static __attribute__((unused)) char *fx_disk(const char *name, int encrypted)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"metadata\":{\"parent_id\":\"%s\",\"name\":\"%s\"},"
             "\"spec\":{\"size_gibibytes\":\"64\",\"type\":\"NETWORK_SSD\"%s},"
             "\"status\":{\"state\":\"READY\"}}",
             FX_PROJECT, name, encrypted ? ",\"disk_encryption\":{\"type\":\"DISK_ENCRYPTION_MANAGED\"}" : "");
    return bn_test_mutate(fx_client, NULL, NULL, 0, "disk", json);
}

/* The "network_interfaces" JSON of an instance on the given groups
 * (groups_json: e.g. "[{\"id\":\"g\"}]", or "[]" for none). */
static __attribute__((unused)) void fx_nics_json(char *out, size_t cap, const char *ip, const char *groups_json)
{
    snprintf(out, cap,
             "{\"spec\":{\"network_interfaces\":[{\"subnet_id\":\"%s\",\"name\":\"eth0\",\"ip_address\":{},"
             "\"security_groups\":%s}]},"
             "\"status\":{\"network_interfaces\":[{\"index\":0,\"name\":\"eth0\","
             "\"ip_address\":{\"address\":\"%s/32\"},\"security_groups\":%s}]}}",
             FX_SUBNET, groups_json, ip, groups_json);
}

/* A RUNNING instance of the cluster on its group, with an encrypted boot disk and a public IP
 * (203.0.113.<last octet of ip>), so external flows reach it and the rules decide. */
static __attribute__((unused)) char *fx_instance(const char *name, const char *cluster_id, const char *group_id, const char *ip)
{
    char disk_name[96], json[2048];
    const char *last_octet = strrchr(ip, '.');
    char *disk;
    char *id;

    snprintf(disk_name, sizeof disk_name, "%s-boot", name);
    disk = fx_disk(disk_name, 1);
    snprintf(json, sizeof json,
             "{\"metadata\":{\"parent_id\":\"%s\",\"name\":\"%s\",\"labels\":{\"brev-cluster-id\":\"%s\","
             "\"brev-managed\":\"true\"}},"
             "\"spec\":{\"resources\":{\"platform\":\"cpu-d3\",\"preset\":\"4vcpu-16gb\"},"
             "\"network_interfaces\":[{\"subnet_id\":\"%s\",\"name\":\"eth0\",\"ip_address\":{},"
             "\"public_ip_address\":{},\"security_groups\":[{\"id\":\"%s\"}]}],"
             "\"boot_disk\":{\"attach_mode\":\"READ_WRITE\",\"existing_disk\":{\"id\":\"%s\"}}},"
             "\"status\":{\"state\":\"RUNNING\",\"network_interfaces\":[{\"index\":0,\"name\":\"eth0\","
             "\"ip_address\":{\"address\":\"%s/32\"},\"public_ip_address\":{\"address\":\"203.0.113%s/32\"},"
             "\"security_groups\":[{\"id\":\"%s\"}]}]}}",
             FX_PROJECT, name, cluster_id, FX_SUBNET, group_id, disk, ip, last_octet ? last_octet : ".1", group_id);
    id = bn_test_mutate(fx_client, NULL, NULL, 0, "instance", json);
    free(disk);
    return id;
}

/* A cluster (its group via brev_cluster_ensure) with two instances. */
typedef struct fx_cluster {
    brev_cluster *cluster;
    char *instances[2];
} fx_cluster;

static __attribute__((unused)) void fx_cluster_make(fx_cluster *fc, const char *cluster_id, const char *ip1, const char *ip2)
{
    char name[96];
    ck_assert_msg(brev_cluster_ensure(fx_client, cluster_id, &fc->cluster) == BREV_OK, "ensure %s: %s", cluster_id,
                  brev_error_message());
    snprintf(name, sizeof name, "%s-1", cluster_id);
    fc->instances[0] = fx_instance(name, cluster_id, fc->cluster->security_group_id, ip1);
    snprintf(name, sizeof name, "%s-2", cluster_id);
    fc->instances[1] = fx_instance(name, cluster_id, fc->cluster->security_group_id, ip2);
}

static __attribute__((unused)) void fx_cluster_free(fx_cluster *fc)
{
    brev_cluster_free(fc->cluster);
    free(fc->instances[0]);
    free(fc->instances[1]);
    memset(fc, 0, sizeof *fc);
}

static __attribute__((unused)) int fx_flow(const char *src_inst, const char *src_ip, const char *dst_inst, const char *dst_ip,
                   const char *proto, int port)
{
    return bn_test_flow(fx_client, src_inst, src_ip, dst_inst, dst_ip, proto, port, NULL);
}

/* Resources of a kind in the sim whose metadata.parent_id is parent (NULL = any). */
static __attribute__((unused)) int fx_count(const char *kind, const char *parent)
{
    json_t *state = bn_test_state(fx_client);
    json_t *resources = json_object_get(state, "resources");
    const char *id;
    json_t *entry;
    int n = 0;

    json_object_foreach(resources, id, entry) {
        const char *k = json_string_value(json_object_get(entry, "kind"));
        json_t *md = json_object_get(json_object_get(entry, "resource"), "metadata");
        const char *p = json_string_value(json_object_get(md, "parent_id"));
        if (k && strcmp(k, kind) == 0 && (!parent || (p && strcmp(p, parent) == 0)))
            n++;
    }
    json_decref(state);
    return n;
}

/* The id of the rule named name in group, or NULL (malloc'd). */
static __attribute__((unused)) char *fx_rule_named(const char *group_id, const char *name)
{
    json_t *state = bn_test_state(fx_client);
    json_t *resources = json_object_get(state, "resources");
    const char *id;
    json_t *entry;
    char *found = NULL;

    json_object_foreach(resources, id, entry) {
        const char *k = json_string_value(json_object_get(entry, "kind"));
        json_t *md = json_object_get(json_object_get(entry, "resource"), "metadata");
        const char *p = json_string_value(json_object_get(md, "parent_id"));
        const char *n = json_string_value(json_object_get(md, "name"));
        if (k && strcmp(k, "security_rule") == 0 && p && strcmp(p, group_id) == 0 && n && strcmp(n, name) == 0)
            found = strdup(id);
    }
    json_decref(state);
    return found;
}

#endif
