/*
 * Independent wire check of the hand-written protos against protoc itself.
 *
 *   wire_test pack  CASE OUT.bin   build the case's message with protobuf-c and pack it
 *   wire_test check CASE IN.bin    unpack bytes (made by `protoc --encode`) and assert
 *                                  every field the case's text sets, one by one
 *   wire_test list                 print the case names
 *
 * test/wire/run.sh drives both directions against test/wire/cases/CASE.txt.
 * The builders and the checkers are written separately on purpose: a checker
 * that compared against the builder's output would not notice a field both get
 * wrong in the same way.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "google/rpc/status.pb-c.h"
#include "nebius/common/v1/error.pb-c.h"
#include "nebius/common/v1/operation.pb-c.h"
#include "nebius/compute/v1/instance.pb-c.h"
#include "nebius/compute/v1/instance_service.pb-c.h"
#include "nebius/iam/v1/token_service.pb-c.h"
#include "nebius/vpc/v1/security_rule.pb-c.h"
#include "nebius/vpc/v1/security_rule_service.pb-c.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char SERVICE_ERROR_TYPE_URL[] = "type.googleapis.com/nebius.common.v1.ServiceError";

static const char CLOUD_INIT[] =
    "#cloud-config\n"
    "users:\n"
    "  - name: ubuntu\n"
    "    ssh_authorized_keys:\n"
    "      - \"ssh-ed25519 AAAAC3Nz user@host\"\n";

/* ---------------------------------------------------------------- expectations */

static unsigned g_checks;
static unsigned g_failures;

static void expect_true(int ok, const char *what, int line)
{
    g_checks++;
    if (!ok) {
        g_failures++;
        fprintf(stderr, "wire_test.c:%d: expectation failed: %s\n", line, what);
    }
}

static void expect_str(const char *got, const char *want, const char *what, int line)
{
    g_checks++;
    if (got == NULL || strcmp(got, want) != 0) {
        g_failures++;
        fprintf(stderr, "wire_test.c:%d: %s: got \"%s\", want \"%s\"\n", line, what,
                got ? got : "(null)", want);
    }
}

static void expect_int(long long got, long long want, const char *what, int line)
{
    g_checks++;
    if (got != want) {
        g_failures++;
        fprintf(stderr, "wire_test.c:%d: %s: got %lld, want %lld\n", line, what, got, want);
    }
}

#define EXPECT(cond) expect_true((cond) != 0, #cond, __LINE__)
#define EXPECT_STR(got, want) expect_str((got), (want), #got, __LINE__)
#define EXPECT_INT(got, want) expect_int((long long)(got), (long long)(want), #got, __LINE__)
/* Stops the checker when a sub-message it is about to dereference is absent. */
#define REQUIRE(cond)                                                                               \
    do {                                                                                            \
        expect_true((cond) != 0, #cond, __LINE__);                                                  \
        if (!(cond))                                                                                \
            return;                                                                                 \
    } while (0)

/* ---------------------------------------------------------------- builders */

/* Packs msg into a fresh heap buffer owned by the caller. */
static uint8_t *pack_message(const ProtobufCMessage *msg, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (buf == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    size_t written = protobuf_c_message_pack(msg, buf);
    if (written != *len) {
        fprintf(stderr, "pack wrote %zu bytes, get_packed_size said %zu\n", written, *len);
        exit(2);
    }
    return buf;
}

static uint8_t *build_create_instance(size_t *len)
{
    Nebius__Common__V1__ResourceMetadata__LabelsEntry label =
        NEBIUS__COMMON__V1__RESOURCE_METADATA__LABELS_ENTRY__INIT;
    label.key = "brev-cluster";
    label.value = "c-42";
    Nebius__Common__V1__ResourceMetadata__LabelsEntry *labels[] = {&label};

    Nebius__Common__V1__ResourceMetadata metadata = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    metadata.parent_id = "project-e00wiretest0001";
    metadata.name = "brev-gpu-01";
    metadata.n_labels = ARRAY_LEN(labels);
    metadata.labels = labels;

    Nebius__Compute__V1__ResourcesSpec resources = NEBIUS__COMPUTE__V1__RESOURCES_SPEC__INIT;
    resources.platform = "gpu-h100-sxm";
    resources.size_case = NEBIUS__COMPUTE__V1__RESOURCES_SPEC__SIZE_PRESET;
    resources.preset = "1gpu-16vcpu-200gb";

    /* Both addresses empty but present: "assign one for me". */
    Nebius__Compute__V1__IPAddress private_ip = NEBIUS__COMPUTE__V1__IPADDRESS__INIT;
    Nebius__Compute__V1__PublicIPAddress public_ip = NEBIUS__COMPUTE__V1__PUBLIC_IPADDRESS__INIT;
    Nebius__Compute__V1__SecurityGroup sg = NEBIUS__COMPUTE__V1__SECURITY_GROUP__INIT;
    sg.id = "vpcsecuritygroup-e00wire0001";
    Nebius__Compute__V1__SecurityGroup *sgs[] = {&sg};

    Nebius__Compute__V1__NetworkInterfaceSpec nic = NEBIUS__COMPUTE__V1__NETWORK_INTERFACE_SPEC__INIT;
    nic.subnet_id = "vpcsubnet-e00wire0001";
    nic.name = "eth0";
    nic.ip_address = &private_ip;
    nic.public_ip_address = &public_ip;
    nic.n_security_groups = ARRAY_LEN(sgs);
    nic.security_groups = sgs;
    Nebius__Compute__V1__NetworkInterfaceSpec *nics[] = {&nic};

    Nebius__Compute__V1__SourceImageFamily family = NEBIUS__COMPUTE__V1__SOURCE_IMAGE_FAMILY__INIT;
    family.image_family = "ubuntu22.04-cuda12";
    Nebius__Compute__V1__DiskSpec disk_spec = NEBIUS__COMPUTE__V1__DISK_SPEC__INIT;
    disk_spec.size_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_GIBIBYTES;
    disk_spec.size_gibibytes = 200;
    disk_spec.type = NEBIUS__COMPUTE__V1__DISK_SPEC__DISK_TYPE__NETWORK_SSD;
    disk_spec.source_case = NEBIUS__COMPUTE__V1__DISK_SPEC__SOURCE_SOURCE_IMAGE_FAMILY;
    disk_spec.source_image_family = &family;

    Nebius__Compute__V1__ManagedDisk managed = NEBIUS__COMPUTE__V1__MANAGED_DISK__INIT;
    managed.name = "brev-gpu-01-boot";
    managed.spec = &disk_spec;
    Nebius__Compute__V1__AttachedDiskSpec boot = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__INIT;
    boot.attach_mode = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__ATTACH_MODE__READ_WRITE;
    boot.type_case = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__TYPE_MANAGED_DISK;
    boot.managed_disk = &managed;

    Nebius__Compute__V1__InstanceSpec spec = NEBIUS__COMPUTE__V1__INSTANCE_SPEC__INIT;
    spec.service_account_id = "serviceaccount-e00wire0001";
    spec.resources = &resources;
    spec.n_network_interfaces = ARRAY_LEN(nics);
    spec.network_interfaces = nics;
    spec.boot_disk = &boot;
    spec.cloud_init_user_data = (char *)CLOUD_INIT;
    spec.hostname = "brev-gpu-01";

    Nebius__Compute__V1__CreateInstanceRequest req = NEBIUS__COMPUTE__V1__CREATE_INSTANCE_REQUEST__INIT;
    req.metadata = &metadata;
    req.spec = &spec;
    return pack_message(&req.base, len);
}

static uint8_t *build_instance_spec_existing(size_t *len)
{
    Nebius__Compute__V1__ResourcesSpec resources = NEBIUS__COMPUTE__V1__RESOURCES_SPEC__INIT;
    resources.platform = "cpu-d3";
    resources.size_case = NEBIUS__COMPUTE__V1__RESOURCES_SPEC__SIZE_PRESET;
    resources.preset = "4vcpu-16gb";

    Nebius__Compute__V1__IPAddress private_ip = NEBIUS__COMPUTE__V1__IPADDRESS__INIT;
    private_ip.allocation_id = "vpcallocation-e00priv0001";
    Nebius__Compute__V1__PublicIPAddress public_ip = NEBIUS__COMPUTE__V1__PUBLIC_IPADDRESS__INIT;
    public_ip.allocation_case = NEBIUS__COMPUTE__V1__PUBLIC_IPADDRESS__ALLOCATION_ALLOCATION_ID;
    public_ip.allocation_id = "vpcallocation-e00pub00001";
    public_ip.static_ = 1;

    Nebius__Compute__V1__NetworkInterfaceSpec nic = NEBIUS__COMPUTE__V1__NETWORK_INTERFACE_SPEC__INIT;
    nic.subnet_id = "vpcsubnet-e00wire0002";
    nic.name = "eth0";
    nic.ip_address = &private_ip;
    nic.public_ip_address = &public_ip;
    Nebius__Compute__V1__NetworkInterfaceSpec *nics[] = {&nic};

    Nebius__Compute__V1__ExistingDisk boot_disk = NEBIUS__COMPUTE__V1__EXISTING_DISK__INIT;
    boot_disk.id = "computedisk-e00wire0001";
    Nebius__Compute__V1__AttachedDiskSpec boot = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__INIT;
    boot.attach_mode = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__ATTACH_MODE__READ_WRITE;
    boot.type_case = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__TYPE_EXISTING_DISK;
    boot.existing_disk = &boot_disk;
    boot.device_id = "boot";

    Nebius__Compute__V1__ExistingDisk data_disk = NEBIUS__COMPUTE__V1__EXISTING_DISK__INIT;
    data_disk.id = "computedisk-e00wire0002";
    Nebius__Compute__V1__AttachedDiskSpec data = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__INIT;
    data.attach_mode = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__ATTACH_MODE__READ_ONLY;
    data.type_case = NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__TYPE_EXISTING_DISK;
    data.existing_disk = &data_disk;
    Nebius__Compute__V1__AttachedDiskSpec *secondary[] = {&data};

    Nebius__Compute__V1__PreemptibleSpec preemptible = NEBIUS__COMPUTE__V1__PREEMPTIBLE_SPEC__INIT;
    preemptible.on_preemption = NEBIUS__COMPUTE__V1__PREEMPTIBLE_SPEC__PREEMPTION_POLICY__STOP;

    Nebius__Compute__V1__InstanceSpec spec = NEBIUS__COMPUTE__V1__INSTANCE_SPEC__INIT;
    spec.resources = &resources;
    spec.n_network_interfaces = ARRAY_LEN(nics);
    spec.network_interfaces = nics;
    spec.boot_disk = &boot;
    spec.n_secondary_disks = ARRAY_LEN(secondary);
    spec.secondary_disks = secondary;
    spec.stopped = 1;
    spec.recovery_policy = NEBIUS__COMPUTE__V1__INSTANCE_RECOVERY_POLICY__FAIL;
    spec.preemptible = &preemptible;
    return pack_message(&spec.base, len);
}

static uint8_t *build_instance(size_t *len)
{
    Google__Protobuf__Timestamp created = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    created.seconds = 1767225600;
    created.nanos = 500000000;
    Nebius__Common__V1__ResourceMetadata metadata = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    metadata.id = "computeinstance-e00wire0001";
    metadata.parent_id = "project-e00wiretest0001";
    metadata.name = "brev-gpu-01";
    metadata.resource_version = 3;
    metadata.created_at = &created;

    Nebius__Compute__V1__ResourcesSpec resources = NEBIUS__COMPUTE__V1__RESOURCES_SPEC__INIT;
    resources.platform = "gpu-h100-sxm";
    resources.size_case = NEBIUS__COMPUTE__V1__RESOURCES_SPEC__SIZE_PRESET;
    resources.preset = "1gpu-16vcpu-200gb";
    Nebius__Compute__V1__InstanceSpec spec = NEBIUS__COMPUTE__V1__INSTANCE_SPEC__INIT;
    spec.resources = &resources;

    Nebius__Compute__V1__IPAddressStatus private_ip = NEBIUS__COMPUTE__V1__IPADDRESS_STATUS__INIT;
    private_ip.address = "10.0.0.5/32";
    private_ip.allocation_id = "vpcallocation-e00priv0001";
    Nebius__Compute__V1__PublicIPAddressStatus public_ip =
        NEBIUS__COMPUTE__V1__PUBLIC_IPADDRESS_STATUS__INIT;
    public_ip.address = "203.0.113.7/32";
    public_ip.allocation_id = "vpcallocation-e00pub00001";
    Nebius__Compute__V1__SecurityGroupStatus sg = NEBIUS__COMPUTE__V1__SECURITY_GROUP_STATUS__INIT;
    sg.id = "vpcsecuritygroup-e00wire0001";
    Nebius__Compute__V1__SecurityGroupStatus *sgs[] = {&sg};
    Nebius__Compute__V1__NetworkInterfaceStatus nic = NEBIUS__COMPUTE__V1__NETWORK_INTERFACE_STATUS__INIT;
    nic.name = "eth0";
    nic.ip_address = &private_ip;
    nic.public_ip_address = &public_ip;
    nic.mac_address = "52:54:00:12:34:56";
    nic.n_security_groups = ARRAY_LEN(sgs);
    nic.security_groups = sgs;
    Nebius__Compute__V1__NetworkInterfaceStatus *nics[] = {&nic};

    char *path[] = {"fabric-2", "leaf-17"};
    Nebius__Compute__V1__InstanceStatusInfinibandTopologyPath topology =
        NEBIUS__COMPUTE__V1__INSTANCE_STATUS_INFINIBAND_TOPOLOGY_PATH__INIT;
    topology.n_path = ARRAY_LEN(path);
    topology.path = path;

    Nebius__Compute__V1__DiskAttachmentStatus attachment = NEBIUS__COMPUTE__V1__DISK_ATTACHMENT_STATUS__INIT;
    attachment.id = "computedisk-e00wire0003";
    attachment.name = "brev-gpu-01-boot";
    attachment.is_managed = 1;
    Nebius__Compute__V1__DiskAttachmentStatus *attachments[] = {&attachment};

    Nebius__Compute__V1__InstanceStatus status = NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INIT;
    status.state = NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__RUNNING;
    status.n_network_interfaces = ARRAY_LEN(nics);
    status.network_interfaces = nics;
    status.reconciling = 1;
    status.gpu_cluster_topology_case =
        NEBIUS__COMPUTE__V1__INSTANCE_STATUS__GPU_CLUSTER_TOPOLOGY_INFINIBAND_TOPOLOGY_PATH;
    status.infiniband_topology_path = &topology;
    status.n_disk_attachments = ARRAY_LEN(attachments);
    status.disk_attachments = attachments;

    Nebius__Compute__V1__Instance instance = NEBIUS__COMPUTE__V1__INSTANCE__INIT;
    instance.metadata = &metadata;
    instance.spec = &spec;
    instance.status = &status;
    return pack_message(&instance.base, len);
}

static uint8_t *build_create_security_rule(size_t *len)
{
    Nebius__Common__V1__ResourceMetadata metadata = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    metadata.parent_id = "vpcsecuritygroup-e00wire0001";
    metadata.name = "brev-ingress-ssh";

    char *cidrs[] = {"10.0.0.0/8", "203.0.113.0/24"};
    int32_t ports[] = {22, 443, 8080};
    Nebius__Vpc__V1__RuleIngress ingress = NEBIUS__VPC__V1__RULE_INGRESS__INIT;
    ingress.n_source_cidrs = ARRAY_LEN(cidrs);
    ingress.source_cidrs = cidrs;
    ingress.n_destination_ports = ARRAY_LEN(ports);
    ingress.destination_ports = ports;

    Nebius__Vpc__V1__SecurityRuleSpec spec = NEBIUS__VPC__V1__SECURITY_RULE_SPEC__INIT;
    spec.access = NEBIUS__VPC__V1__RULE_ACCESS_ACTION__ALLOW;
    spec.priority = 100;
    spec.protocol = NEBIUS__VPC__V1__RULE_PROTOCOL__TCP;
    spec.match_case = NEBIUS__VPC__V1__SECURITY_RULE_SPEC__MATCH_INGRESS;
    spec.ingress = &ingress;
    spec.type = NEBIUS__VPC__V1__RULE_TYPE__STATEFUL;

    Nebius__Vpc__V1__CreateSecurityRuleRequest req = NEBIUS__VPC__V1__CREATE_SECURITY_RULE_REQUEST__INIT;
    req.metadata = &metadata;
    req.spec = &spec;
    return pack_message(&req.base, len);
}

static uint8_t *build_security_rule_egress(size_t *len)
{
    Nebius__Common__V1__ResourceMetadata metadata = NEBIUS__COMMON__V1__RESOURCE_METADATA__INIT;
    metadata.id = "vpcsecurityrule-e00wire0002";
    metadata.parent_id = "vpcsecuritygroup-e00wire0001";
    metadata.name = "brev-egress-dns";

    char *cidrs[] = {"0.0.0.0/0"};
    int32_t ports[] = {53};
    Nebius__Vpc__V1__RuleEgress egress = NEBIUS__VPC__V1__RULE_EGRESS__INIT;
    egress.destination_security_group_id = "vpcsecuritygroup-e00wire0009";
    egress.n_destination_cidrs = ARRAY_LEN(cidrs);
    egress.destination_cidrs = cidrs;
    egress.n_destination_ports = ARRAY_LEN(ports);
    egress.destination_ports = ports;

    Nebius__Vpc__V1__SecurityRuleSpec spec = NEBIUS__VPC__V1__SECURITY_RULE_SPEC__INIT;
    spec.access = NEBIUS__VPC__V1__RULE_ACCESS_ACTION__DENY;
    spec.priority = 900;
    spec.protocol = NEBIUS__VPC__V1__RULE_PROTOCOL__UDP;
    spec.match_case = NEBIUS__VPC__V1__SECURITY_RULE_SPEC__MATCH_EGRESS;
    spec.egress = &egress;
    spec.type = NEBIUS__VPC__V1__RULE_TYPE__STATELESS;

    Nebius__Vpc__V1__RuleMatchStatus destination = NEBIUS__VPC__V1__RULE_MATCH_STATUS__INIT;
    destination.n_cidrs = ARRAY_LEN(cidrs);
    destination.cidrs = cidrs;
    destination.n_ports = ARRAY_LEN(ports);
    destination.ports = ports;
    Nebius__Vpc__V1__SecurityRuleStatus status = NEBIUS__VPC__V1__SECURITY_RULE_STATUS__INIT;
    status.state = NEBIUS__VPC__V1__SECURITY_RULE_STATUS__STATE__READY;
    status.effective_priority = 900;
    status.direction = NEBIUS__VPC__V1__RULE_DIRECTION__EGRESS;
    status.destination = &destination;

    Nebius__Vpc__V1__SecurityRule rule = NEBIUS__VPC__V1__SECURITY_RULE__INIT;
    rule.metadata = &metadata;
    rule.spec = &spec;
    rule.status = &status;
    return pack_message(&rule.base, len);
}

static uint8_t *build_service_error(size_t *len)
{
    Nebius__Common__V1__NotEnoughResources__Violation violation =
        NEBIUS__COMMON__V1__NOT_ENOUGH_RESOURCES__VIOLATION__INIT;
    violation.resource_type = "gpu-h100-sxm";
    violation.message = "no capacity in eu-north1";
    violation.requested = "8";
    Nebius__Common__V1__NotEnoughResources__Violation *violations[] = {&violation};
    Nebius__Common__V1__NotEnoughResources detail = NEBIUS__COMMON__V1__NOT_ENOUGH_RESOURCES__INIT;
    detail.n_violations = ARRAY_LEN(violations);
    detail.violations = violations;

    Nebius__Common__V1__ServiceError err = NEBIUS__COMMON__V1__SERVICE_ERROR__INIT;
    err.service = "compute";
    err.code = "NotEnoughResources";
    err.details_case = NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_NOT_ENOUGH_RESOURCES;
    err.not_enough_resources = &detail;
    err.retry_type = NEBIUS__COMMON__V1__SERVICE_ERROR__RETRY_TYPE__CALL;
    return pack_message(&err.base, len);
}

static uint8_t *build_operation(size_t *len)
{
    size_t detail_len = 0;
    uint8_t *detail_bytes = build_service_error(&detail_len);
    Google__Protobuf__Any detail = GOOGLE__PROTOBUF__ANY__INIT;
    detail.type_url = (char *)SERVICE_ERROR_TYPE_URL;
    detail.value.data = detail_bytes;
    detail.value.len = detail_len;
    Google__Protobuf__Any *details[] = {&detail};

    Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
    status.code = 8; /* RESOURCE_EXHAUSTED */
    status.message = "not enough resources: gpu-h100-sxm";
    status.n_details = ARRAY_LEN(details);
    status.details = details;

    char *key_values[] = {"6f1c2d3e-0000-4000-8000-000000000001"};
    Nebius__Common__V1__Operation__RequestHeader header =
        NEBIUS__COMMON__V1__OPERATION__REQUEST_HEADER__INIT;
    header.n_values = ARRAY_LEN(key_values);
    header.values = key_values;
    Nebius__Common__V1__Operation__RequestHeadersEntry header_entry =
        NEBIUS__COMMON__V1__OPERATION__REQUEST_HEADERS_ENTRY__INIT;
    header_entry.key = "x-idempotency-key";
    header_entry.value = &header;
    Nebius__Common__V1__Operation__RequestHeadersEntry *headers[] = {&header_entry};

    Google__Protobuf__Timestamp created = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    created.seconds = 1767225600;
    Google__Protobuf__Timestamp finished = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    finished.seconds = 1767225660;
    finished.nanos = 250000000;

    Nebius__Common__V1__Operation op = NEBIUS__COMMON__V1__OPERATION__INIT;
    op.id = "computeoperation-e00wire0001";
    op.description = "Create instance";
    op.created_at = &created;
    op.created_by = "serviceaccount-e00wire0001";
    op.finished_at = &finished;
    op.resource_id = "computeinstance-e00wire0001";
    op.status = &status;
    op.n_request_headers = ARRAY_LEN(headers);
    op.request_headers = headers;
    uint8_t *out = pack_message(&op.base, len);
    free(detail_bytes);
    return out;
}

static uint8_t *build_token_response(size_t *len)
{
    Nebius__Iam__V1__CreateTokenResponse resp = NEBIUS__IAM__V1__CREATE_TOKEN_RESPONSE__INIT;
    resp.access_token = "ne1CrBmZXdG9rZW4tZm9yLXdpcmUtdGVzdA";
    resp.issued_token_type = "urn:ietf:params:oauth:token-type:access_token";
    resp.token_type = "Bearer";
    resp.expires_in = 43200;
    return pack_message(&resp.base, len);
}

static uint8_t *build_exchange_request(size_t *len)
{
    Nebius__Iam__V1__ExchangeTokenRequest req = NEBIUS__IAM__V1__EXCHANGE_TOKEN_REQUEST__INIT;
    req.grant_type = "urn:ietf:params:oauth:grant-type:token-exchange";
    req.requested_token_type = "urn:ietf:params:oauth:token-type:access_token";
    req.subject_token = "eyJhbGciOiJSUzI1NiIsImtpZCI6InB1YmxpY2tleS1lMDB3aXJlIn0.e30.c2ln";
    req.subject_token_type = "urn:ietf:params:oauth:token-type:jwt";
    return pack_message(&req.base, len);
}

/* ---------------------------------------------------------------- checkers */

static void check_create_instance(const ProtobufCMessage *msg)
{
    const Nebius__Compute__V1__CreateInstanceRequest *req =
        (const Nebius__Compute__V1__CreateInstanceRequest *)msg;
    REQUIRE(req->metadata != NULL);
    EXPECT_STR(req->metadata->id, "");
    EXPECT_STR(req->metadata->parent_id, "project-e00wiretest0001");
    EXPECT_STR(req->metadata->name, "brev-gpu-01");
    REQUIRE(req->metadata->n_labels == 1);
    EXPECT_STR(req->metadata->labels[0]->key, "brev-cluster");
    EXPECT_STR(req->metadata->labels[0]->value, "c-42");

    const Nebius__Compute__V1__InstanceSpec *spec = req->spec;
    REQUIRE(spec != NULL);
    EXPECT_STR(spec->service_account_id, "serviceaccount-e00wire0001");
    REQUIRE(spec->resources != NULL);
    EXPECT_STR(spec->resources->platform, "gpu-h100-sxm");
    EXPECT_INT(spec->resources->size_case, NEBIUS__COMPUTE__V1__RESOURCES_SPEC__SIZE_PRESET);
    EXPECT_STR(spec->resources->preset, "1gpu-16vcpu-200gb");
    EXPECT(spec->gpu_cluster == NULL);

    REQUIRE(spec->n_network_interfaces == 1);
    const Nebius__Compute__V1__NetworkInterfaceSpec *nic = spec->network_interfaces[0];
    EXPECT_STR(nic->subnet_id, "vpcsubnet-e00wire0001");
    EXPECT_STR(nic->name, "eth0");
    /* Empty but present: the presence itself is the request for an address. */
    REQUIRE(nic->ip_address != NULL);
    EXPECT_STR(nic->ip_address->allocation_id, "");
    REQUIRE(nic->public_ip_address != NULL);
    EXPECT_INT(nic->public_ip_address->allocation_case,
               NEBIUS__COMPUTE__V1__PUBLIC_IPADDRESS__ALLOCATION__NOT_SET);
    EXPECT(!nic->public_ip_address->static_);
    EXPECT_INT(nic->n_aliases, 0);
    REQUIRE(nic->n_security_groups == 1);
    EXPECT_STR(nic->security_groups[0]->id, "vpcsecuritygroup-e00wire0001");

    const Nebius__Compute__V1__AttachedDiskSpec *boot = spec->boot_disk;
    REQUIRE(boot != NULL);
    EXPECT_INT(boot->attach_mode, NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__ATTACH_MODE__READ_WRITE);
    EXPECT_STR(boot->device_id, "");
    REQUIRE(boot->type_case == NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__TYPE_MANAGED_DISK);
    REQUIRE(boot->managed_disk != NULL);
    EXPECT_STR(boot->managed_disk->name, "brev-gpu-01-boot");
    EXPECT_INT(boot->managed_disk->n_labels, 0);
    const Nebius__Compute__V1__DiskSpec *disk = boot->managed_disk->spec;
    REQUIRE(disk != NULL);
    EXPECT_INT(disk->size_case, NEBIUS__COMPUTE__V1__DISK_SPEC__SIZE_SIZE_GIBIBYTES);
    EXPECT_INT(disk->size_gibibytes, 200);
    EXPECT_INT(disk->type, NEBIUS__COMPUTE__V1__DISK_SPEC__DISK_TYPE__NETWORK_SSD);
    EXPECT_INT(disk->block_size_bytes, 0);
    REQUIRE(disk->source_case == NEBIUS__COMPUTE__V1__DISK_SPEC__SOURCE_SOURCE_IMAGE_FAMILY);
    REQUIRE(disk->source_image_family != NULL);
    EXPECT_STR(disk->source_image_family->image_family, "ubuntu22.04-cuda12");
    EXPECT_STR(disk->source_image_family->parent_id, "");

    EXPECT_INT(spec->n_secondary_disks, 0);
    EXPECT_STR(spec->cloud_init_user_data, CLOUD_INIT);
    EXPECT(!spec->stopped);
    EXPECT_INT(spec->recovery_policy, NEBIUS__COMPUTE__V1__INSTANCE_RECOVERY_POLICY__RECOVER);
    EXPECT(spec->preemptible == NULL);
    EXPECT_STR(spec->hostname, "brev-gpu-01");
}

static void check_instance_spec_existing(const ProtobufCMessage *msg)
{
    const Nebius__Compute__V1__InstanceSpec *spec = (const Nebius__Compute__V1__InstanceSpec *)msg;
    EXPECT_STR(spec->service_account_id, "");
    REQUIRE(spec->resources != NULL);
    EXPECT_STR(spec->resources->platform, "cpu-d3");
    EXPECT_INT(spec->resources->size_case, NEBIUS__COMPUTE__V1__RESOURCES_SPEC__SIZE_PRESET);
    EXPECT_STR(spec->resources->preset, "4vcpu-16gb");

    REQUIRE(spec->n_network_interfaces == 1);
    const Nebius__Compute__V1__NetworkInterfaceSpec *nic = spec->network_interfaces[0];
    EXPECT_STR(nic->subnet_id, "vpcsubnet-e00wire0002");
    EXPECT_STR(nic->name, "eth0");
    REQUIRE(nic->ip_address != NULL);
    EXPECT_STR(nic->ip_address->allocation_id, "vpcallocation-e00priv0001");
    REQUIRE(nic->public_ip_address != NULL);
    EXPECT_INT(nic->public_ip_address->allocation_case,
               NEBIUS__COMPUTE__V1__PUBLIC_IPADDRESS__ALLOCATION_ALLOCATION_ID);
    EXPECT_STR(nic->public_ip_address->allocation_id, "vpcallocation-e00pub00001");
    EXPECT(nic->public_ip_address->static_);
    EXPECT_INT(nic->n_security_groups, 0);

    const Nebius__Compute__V1__AttachedDiskSpec *boot = spec->boot_disk;
    REQUIRE(boot != NULL);
    EXPECT_INT(boot->attach_mode, NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__ATTACH_MODE__READ_WRITE);
    REQUIRE(boot->type_case == NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__TYPE_EXISTING_DISK);
    REQUIRE(boot->existing_disk != NULL);
    EXPECT_STR(boot->existing_disk->id, "computedisk-e00wire0001");
    EXPECT_STR(boot->device_id, "boot");

    REQUIRE(spec->n_secondary_disks == 1);
    const Nebius__Compute__V1__AttachedDiskSpec *data = spec->secondary_disks[0];
    EXPECT_INT(data->attach_mode, NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__ATTACH_MODE__READ_ONLY);
    REQUIRE(data->type_case == NEBIUS__COMPUTE__V1__ATTACHED_DISK_SPEC__TYPE_EXISTING_DISK);
    EXPECT_STR(data->existing_disk->id, "computedisk-e00wire0002");

    EXPECT_STR(spec->cloud_init_user_data, "");
    EXPECT(spec->stopped);
    EXPECT_INT(spec->recovery_policy, NEBIUS__COMPUTE__V1__INSTANCE_RECOVERY_POLICY__FAIL);
    REQUIRE(spec->preemptible != NULL);
    EXPECT_INT(spec->preemptible->on_preemption,
               NEBIUS__COMPUTE__V1__PREEMPTIBLE_SPEC__PREEMPTION_POLICY__STOP);
}

static void check_instance(const ProtobufCMessage *msg)
{
    const Nebius__Compute__V1__Instance *inst = (const Nebius__Compute__V1__Instance *)msg;
    REQUIRE(inst->metadata != NULL);
    EXPECT_STR(inst->metadata->id, "computeinstance-e00wire0001");
    EXPECT_STR(inst->metadata->parent_id, "project-e00wiretest0001");
    EXPECT_STR(inst->metadata->name, "brev-gpu-01");
    EXPECT_INT(inst->metadata->resource_version, 3);
    REQUIRE(inst->metadata->created_at != NULL);
    EXPECT_INT(inst->metadata->created_at->seconds, 1767225600);
    EXPECT_INT(inst->metadata->created_at->nanos, 500000000);
    EXPECT(inst->metadata->updated_at == NULL);

    REQUIRE(inst->spec != NULL && inst->spec->resources != NULL);
    EXPECT_STR(inst->spec->resources->platform, "gpu-h100-sxm");
    EXPECT_STR(inst->spec->resources->preset, "1gpu-16vcpu-200gb");

    const Nebius__Compute__V1__InstanceStatus *st = inst->status;
    REQUIRE(st != NULL);
    EXPECT_INT(st->state, NEBIUS__COMPUTE__V1__INSTANCE_STATUS__INSTANCE_STATE__RUNNING);
    EXPECT(st->reconciling);
    EXPECT_STR(st->maintenance_event_id, "");
    REQUIRE(st->n_network_interfaces == 1);
    const Nebius__Compute__V1__NetworkInterfaceStatus *nic = st->network_interfaces[0];
    EXPECT_INT(nic->index, 0);
    EXPECT_STR(nic->name, "eth0");
    REQUIRE(nic->ip_address != NULL);
    EXPECT_STR(nic->ip_address->address, "10.0.0.5/32");
    EXPECT_STR(nic->ip_address->allocation_id, "vpcallocation-e00priv0001");
    REQUIRE(nic->public_ip_address != NULL);
    EXPECT_STR(nic->public_ip_address->address, "203.0.113.7/32");
    EXPECT_STR(nic->public_ip_address->allocation_id, "vpcallocation-e00pub00001");
    EXPECT(!nic->public_ip_address->static_);
    EXPECT(nic->aliases == NULL);
    EXPECT_STR(nic->mac_address, "52:54:00:12:34:56");
    EXPECT_STR(nic->fqdn, "");
    REQUIRE(nic->n_security_groups == 1);
    EXPECT_STR(nic->security_groups[0]->id, "vpcsecuritygroup-e00wire0001");

    REQUIRE(st->gpu_cluster_topology_case ==
            NEBIUS__COMPUTE__V1__INSTANCE_STATUS__GPU_CLUSTER_TOPOLOGY_INFINIBAND_TOPOLOGY_PATH);
    REQUIRE(st->infiniband_topology_path->n_path == 2);
    EXPECT_STR(st->infiniband_topology_path->path[0], "fabric-2");
    EXPECT_STR(st->infiniband_topology_path->path[1], "leaf-17");

    REQUIRE(st->n_disk_attachments == 1);
    EXPECT_STR(st->disk_attachments[0]->id, "computedisk-e00wire0003");
    EXPECT_STR(st->disk_attachments[0]->name, "brev-gpu-01-boot");
    EXPECT(st->disk_attachments[0]->is_managed);
}

static void check_create_security_rule(const ProtobufCMessage *msg)
{
    const Nebius__Vpc__V1__CreateSecurityRuleRequest *req =
        (const Nebius__Vpc__V1__CreateSecurityRuleRequest *)msg;
    REQUIRE(req->metadata != NULL);
    EXPECT_STR(req->metadata->parent_id, "vpcsecuritygroup-e00wire0001");
    EXPECT_STR(req->metadata->name, "brev-ingress-ssh");
    const Nebius__Vpc__V1__SecurityRuleSpec *spec = req->spec;
    REQUIRE(spec != NULL);
    EXPECT_INT(spec->access, NEBIUS__VPC__V1__RULE_ACCESS_ACTION__ALLOW);
    EXPECT_INT(spec->priority, 100);
    EXPECT_INT(spec->protocol, NEBIUS__VPC__V1__RULE_PROTOCOL__TCP);
    EXPECT_INT(spec->type, NEBIUS__VPC__V1__RULE_TYPE__STATEFUL);
    REQUIRE(spec->match_case == NEBIUS__VPC__V1__SECURITY_RULE_SPEC__MATCH_INGRESS);
    const Nebius__Vpc__V1__RuleIngress *in = spec->ingress;
    REQUIRE(in != NULL);
    EXPECT_STR(in->source_security_group_id, "");
    REQUIRE(in->n_source_cidrs == 2);
    EXPECT_STR(in->source_cidrs[0], "10.0.0.0/8");
    EXPECT_STR(in->source_cidrs[1], "203.0.113.0/24");
    REQUIRE(in->n_destination_ports == 3);
    EXPECT_INT(in->destination_ports[0], 22);
    EXPECT_INT(in->destination_ports[1], 443);
    EXPECT_INT(in->destination_ports[2], 8080);
}

static void check_security_rule_egress(const ProtobufCMessage *msg)
{
    const Nebius__Vpc__V1__SecurityRule *rule = (const Nebius__Vpc__V1__SecurityRule *)msg;
    REQUIRE(rule->metadata != NULL);
    EXPECT_STR(rule->metadata->id, "vpcsecurityrule-e00wire0002");
    EXPECT_STR(rule->metadata->parent_id, "vpcsecuritygroup-e00wire0001");
    EXPECT_STR(rule->metadata->name, "brev-egress-dns");
    const Nebius__Vpc__V1__SecurityRuleSpec *spec = rule->spec;
    REQUIRE(spec != NULL);
    EXPECT_INT(spec->access, NEBIUS__VPC__V1__RULE_ACCESS_ACTION__DENY);
    EXPECT_INT(spec->priority, 900);
    EXPECT_INT(spec->protocol, NEBIUS__VPC__V1__RULE_PROTOCOL__UDP);
    EXPECT_INT(spec->type, NEBIUS__VPC__V1__RULE_TYPE__STATELESS);
    REQUIRE(spec->match_case == NEBIUS__VPC__V1__SECURITY_RULE_SPEC__MATCH_EGRESS);
    const Nebius__Vpc__V1__RuleEgress *out = spec->egress;
    EXPECT_STR(out->destination_security_group_id, "vpcsecuritygroup-e00wire0009");
    REQUIRE(out->n_destination_cidrs == 1);
    EXPECT_STR(out->destination_cidrs[0], "0.0.0.0/0");
    REQUIRE(out->n_destination_ports == 1);
    EXPECT_INT(out->destination_ports[0], 53);

    const Nebius__Vpc__V1__SecurityRuleStatus *st = rule->status;
    REQUIRE(st != NULL);
    EXPECT_INT(st->state, NEBIUS__VPC__V1__SECURITY_RULE_STATUS__STATE__READY);
    EXPECT_INT(st->effective_priority, 900);
    EXPECT_INT(st->direction, NEBIUS__VPC__V1__RULE_DIRECTION__EGRESS);
    EXPECT(st->source == NULL);
    REQUIRE(st->destination != NULL);
    EXPECT_STR(st->destination->security_group_id, "");
    REQUIRE(st->destination->n_cidrs == 1);
    EXPECT_STR(st->destination->cidrs[0], "0.0.0.0/0");
    REQUIRE(st->destination->n_ports == 1);
    EXPECT_INT(st->destination->ports[0], 53);
}

static void check_service_error(const ProtobufCMessage *msg)
{
    const Nebius__Common__V1__ServiceError *err = (const Nebius__Common__V1__ServiceError *)msg;
    EXPECT_STR(err->service, "compute");
    EXPECT_STR(err->code, "NotEnoughResources");
    EXPECT_INT(err->retry_type, NEBIUS__COMMON__V1__SERVICE_ERROR__RETRY_TYPE__CALL);
    REQUIRE(err->details_case == NEBIUS__COMMON__V1__SERVICE_ERROR__DETAILS_NOT_ENOUGH_RESOURCES);
    REQUIRE(err->not_enough_resources != NULL);
    REQUIRE(err->not_enough_resources->n_violations == 1);
    const Nebius__Common__V1__NotEnoughResources__Violation *v = err->not_enough_resources->violations[0];
    EXPECT_STR(v->resource_type, "gpu-h100-sxm");
    EXPECT_STR(v->message, "no capacity in eu-north1");
    EXPECT_STR(v->requested, "8");
}

static void check_operation(const ProtobufCMessage *msg)
{
    const Nebius__Common__V1__Operation *op = (const Nebius__Common__V1__Operation *)msg;
    EXPECT_STR(op->id, "computeoperation-e00wire0001");
    EXPECT_STR(op->description, "Create instance");
    REQUIRE(op->created_at != NULL);
    EXPECT_INT(op->created_at->seconds, 1767225600);
    EXPECT_INT(op->created_at->nanos, 0);
    EXPECT_STR(op->created_by, "serviceaccount-e00wire0001");
    REQUIRE(op->finished_at != NULL);
    EXPECT_INT(op->finished_at->seconds, 1767225660);
    EXPECT_INT(op->finished_at->nanos, 250000000);
    EXPECT(op->request == NULL);
    EXPECT_STR(op->resource_id, "computeinstance-e00wire0001");
    EXPECT(op->progress_tracker == NULL);
    EXPECT(op->progress_data == NULL);

    REQUIRE(op->n_request_headers == 1);
    EXPECT_STR(op->request_headers[0]->key, "x-idempotency-key");
    REQUIRE(op->request_headers[0]->value != NULL);
    REQUIRE(op->request_headers[0]->value->n_values == 1);
    EXPECT_STR(op->request_headers[0]->value->values[0], "6f1c2d3e-0000-4000-8000-000000000001");

    REQUIRE(op->status != NULL);
    EXPECT_INT(op->status->code, 8);
    EXPECT_STR(op->status->message, "not enough resources: gpu-h100-sxm");
    REQUIRE(op->status->n_details == 1);
    const Google__Protobuf__Any *any = op->status->details[0];
    EXPECT_STR(any->type_url, SERVICE_ERROR_TYPE_URL);
    Nebius__Common__V1__ServiceError *err =
        nebius__common__v1__service_error__unpack(NULL, any->value.len, any->value.data);
    REQUIRE(err != NULL);
    check_service_error(&err->base);
    nebius__common__v1__service_error__free_unpacked(err, NULL);
}

static void check_token_response(const ProtobufCMessage *msg)
{
    const Nebius__Iam__V1__CreateTokenResponse *resp = (const Nebius__Iam__V1__CreateTokenResponse *)msg;
    EXPECT_STR(resp->access_token, "ne1CrBmZXdG9rZW4tZm9yLXdpcmUtdGVzdA");
    EXPECT_STR(resp->issued_token_type, "urn:ietf:params:oauth:token-type:access_token");
    EXPECT_STR(resp->token_type, "Bearer");
    EXPECT_INT(resp->expires_in, 43200);
    EXPECT_INT(resp->n_scopes, 0);
}

static void check_exchange_request(const ProtobufCMessage *msg)
{
    const Nebius__Iam__V1__ExchangeTokenRequest *req = (const Nebius__Iam__V1__ExchangeTokenRequest *)msg;
    EXPECT_STR(req->grant_type, "urn:ietf:params:oauth:grant-type:token-exchange");
    EXPECT_STR(req->requested_token_type, "urn:ietf:params:oauth:token-type:access_token");
    EXPECT_STR(req->subject_token, "eyJhbGciOiJSUzI1NiIsImtpZCI6InB1YmxpY2tleS1lMDB3aXJlIn0.e30.c2ln");
    EXPECT_STR(req->subject_token_type, "urn:ietf:params:oauth:token-type:jwt");
    EXPECT_INT(req->n_scopes, 0);
    EXPECT_STR(req->audience, "");
    EXPECT_STR(req->actor_token, "");
    EXPECT_STR(req->actor_token_type, "");
    EXPECT_INT(req->n_resource, 0);
}

/* ---------------------------------------------------------------- case table */

typedef struct {
    const char *name;
    const ProtobufCMessageDescriptor *descriptor;
    uint8_t *(*build)(size_t *len);
    void (*check)(const ProtobufCMessage *msg);
} wire_case;

static const wire_case CASES[] = {
    {"create_instance", &nebius__compute__v1__create_instance_request__descriptor,
     build_create_instance, check_create_instance},
    {"instance_spec_existing", &nebius__compute__v1__instance_spec__descriptor,
     build_instance_spec_existing, check_instance_spec_existing},
    {"instance", &nebius__compute__v1__instance__descriptor, build_instance, check_instance},
    {"create_security_rule", &nebius__vpc__v1__create_security_rule_request__descriptor,
     build_create_security_rule, check_create_security_rule},
    {"security_rule_egress", &nebius__vpc__v1__security_rule__descriptor,
     build_security_rule_egress, check_security_rule_egress},
    {"service_error", &nebius__common__v1__service_error__descriptor, build_service_error,
     check_service_error},
    {"operation", &nebius__common__v1__operation__descriptor, build_operation, check_operation},
    {"token_response", &nebius__iam__v1__create_token_response__descriptor, build_token_response,
     check_token_response},
    {"exchange_request", &nebius__iam__v1__exchange_token_request__descriptor,
     build_exchange_request, check_exchange_request},
};

static const wire_case *find_case(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(CASES); i++)
        if (strcmp(CASES[i].name, name) == 0)
            return &CASES[i];
    return NULL;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, used = 0;
    uint8_t *buf = malloc(cap);
    while (buf != NULL) {
        used += fread(buf + used, 1, cap - used, f);
        if (used < cap)
            break;
        cap *= 2;
        uint8_t *bigger = realloc(buf, cap);
        if (bigger == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
    }
    int failed = buf == NULL || ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return NULL;
    }
    *len = used;
    return buf;
}

static int cmd_pack(const wire_case *c, const char *path)
{
    size_t len = 0;
    uint8_t *bytes = c->build(&len);
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(bytes, 1, len, f) == len;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    free(bytes);
    if (!ok) {
        fprintf(stderr, "cannot write %s\n", path);
        return 2;
    }
    return 0;
}

static int cmd_check(const wire_case *c, const char *path)
{
    size_t len = 0;
    uint8_t *bytes = read_file(path, &len);
    if (bytes == NULL) {
        fprintf(stderr, "cannot read %s\n", path);
        return 2;
    }
    ProtobufCMessage *msg = protobuf_c_message_unpack(c->descriptor, NULL, len, bytes);
    free(bytes);
    if (msg == NULL) {
        fprintf(stderr, "%s: protobuf-c could not unpack %zu bytes as %s\n", c->name, len,
                c->descriptor->name);
        return 1;
    }
    c->check(msg);
    protobuf_c_message_free_unpacked(msg, NULL);
    fprintf(stderr, "%s: %u field checks, %u failed\n", c->name, g_checks, g_failures);
    return g_failures == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (size_t i = 0; i < ARRAY_LEN(CASES); i++)
            printf("%s %s\n", CASES[i].name, CASES[i].descriptor->name);
        return 0;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: %s pack|check CASE FILE | %s list\n", argv[0], argv[0]);
        return 2;
    }
    const wire_case *c = find_case(argv[2]);
    if (c == NULL) {
        fprintf(stderr, "unknown case %s\n", argv[2]);
        return 2;
    }
    if (strcmp(argv[1], "pack") == 0)
        return cmd_pack(c, argv[3]);
    if (strcmp(argv[1], "check") == 0)
        return cmd_check(c, argv[3]);
    fprintf(stderr, "unknown command %s\n", argv[1]);
    return 2;
}
