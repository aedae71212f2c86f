/* Shared by the instance and catalogue suites: a sim per test case (fast
 * delays), a fresh client per test, valid SSH keys, a create-options helper
 * and counters over the sim's state. Header-only (static functions): each
 * suite is one binary. */
#ifndef TEST_INSTANCE_FIXTURE_H
#define TEST_INSTANCE_FIXTURE_H

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brev/nebius.h>
#include "sim_harness.h"

#define IX_PROJECT "project-sim0000000001"
#define IX_CPU_TYPE "cpu-d3.4vcpu-16gb"

static const char IX_KEY_ED25519[] =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK+g1Lmh3eaGj3//NRrSIu2Mlj83T9EKobauZ0g9TV9z alice@test";
static const char IX_KEY_RSA[] =
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC5h+D0Iyoms4FQBU6h6PGalDflcxSxkdzA7SxV9+QeoRcI/MEjgaApTyDLKqVLt208eSe4mndC"
    "KFaaE0qaSZImGQeZ7iVlQN05suE64xXuYCJq+lTJCHqNfe/y8qi59fYpwbk3N6uVzYwFnhZcLGAnIaZYXJB4FSGaq0LqKUTwBYVE3MM+sDWkat9z"
    "HKLs3c0Oqaghxb+Qxkh+FB7Bs8wN8ua/uuiM+4q+zLiz6xZ6V45XSeHphj1i+C3Bqa//VKCsZKrLqrjIoAaNA0Dha0HuVOyBZs50Mqa2CGiER4Pw"
    "MM0/Khp7KxBLX6T0NC4Jp+5r+KkwPVCbUdE1xHgI7Lhl bob@test";
static const char IX_KEY_ECDSA[] =
    "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBF1e8NRz5DCQ/tKl7IHzf049JyNFXuz+9rjMl+npBxRtp"
    "wdC5O6zSFlcVwCiF2Q72AZ0iZ43XKDuyzan1iIIs8I= carol@test";

static const char *const ix_keys[] = {IX_KEY_ED25519, IX_KEY_RSA};

static bn_test_sim ix_sim;
static brev_client *ix_client;
static int ix_page_size_max; /* set before the fixture runs for paging suites */

static inline void ix_sim_up(void)
{
    bn_test_sim_options o = {0};
    o.op_delay = 0.05;
    o.state_delay = 0.05;
    o.page_size_max = ix_page_size_max;
    ck_assert_int_eq(bn_test_sim_start(&ix_sim, &o), 0);
}

static inline void ix_sim_down(void)
{
    bn_test_sim_stop(&ix_sim);
}

static inline void ix_client_up(void)
{
    if (ix_sim.live)
        return;
    ix_client = bn_test_client(&ix_sim);
    bn_test_reset(ix_client);
}

static inline void ix_client_down(void)
{
    brev_client_free(ix_client);
    ix_client = NULL;
}

#define IX_SIM_ONLY()                                                                                                  \
    do {                                                                                                               \
        BN_SIM_ONLY(ix_sim);                                                                                              \
    } while (0)

static inline TCase *ix_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_add_unchecked_fixture(tc, ix_sim_up, ix_sim_down);
    tcase_add_checked_fixture(tc, ix_client_up, ix_client_down);
    tcase_set_timeout(tc, 120);
    return tc;
}

/* Options for a small CPU instance named name/ref with both test keys. */
static inline void ix_opts(brev_create_instance_options *o, const char *name, const char *ref)
{
    ck_assert_int_eq(brev_create_instance_options_init(o, BREV_CREATE_INSTANCE_OPTIONS_VERSION), 0);
    o->name = name;
    o->ref_id = ref;
    o->instance_type = IX_CPU_TYPE;
    o->ssh_keys = ix_keys;
    o->ssh_key_count = 2;
    o->timeout_ms = 60000;
}

/* Resources of a kind in the sim right now. */
static inline int ix_count(const char *kind)
{
    json_t *st = bn_test_state(ix_client);
    int n = bn_test_count_resources(st, kind);
    json_decref(st);
    return n;
}

/* The stored resource (proto-JSON) with that id, or NULL; json_decref the state. */
static inline json_t *ix_resource(json_t *state, const char *id)
{
    json_t *rec = json_object_get(json_object_get(state, "resources"), id);
    return rec ? json_object_get(rec, "resource") : NULL;
}

typedef struct ix_counts {
    int instances, disks, allocations, groups;
} ix_counts;

static inline ix_counts ix_snapshot(void)
{
    json_t *st = bn_test_state(ix_client);
    ix_counts c = {bn_test_count_resources(st, "instance"), bn_test_count_resources(st, "disk"),
                   bn_test_count_resources(st, "allocation"), bn_test_count_resources(st, "security_group")};
    json_decref(st);
    return c;
}

/* Nothing the failed create made is left: instances, disks, allocations and
 * security groups are as before. */
static inline void ix_assert_nothing_left(ix_counts before)
{
    ix_counts after = ix_snapshot();
    ck_assert_int_eq(after.instances, before.instances);
    ck_assert_int_eq(after.disks, before.disks);
    ck_assert_int_eq(after.allocations, before.allocations);
    ck_assert_int_eq(after.groups, before.groups);
}

static inline void ix_fault(const char *method, int code, const char *service_error, int count, int op_failure,
                     int late, int after_effect)
{
    Nebiussim__V1__InjectFaultRequest f = NEBIUSSIM__V1__INJECT_FAULT_REQUEST__INIT;
    f.method = (char *)method;
    f.code = code;
    f.service_error = (char *)(service_error ? service_error : "");
    f.count = count;
    f.operation_failure = op_failure;
    f.late_capacity_failure = late;
    f.after_effect = after_effect;
    ck_assert_int_eq(bn_test_fault(ix_client, &f), 0);
}

#endif
