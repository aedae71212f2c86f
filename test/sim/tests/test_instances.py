"""Compute: instance create validation, lifecycle, disks, images, platforms."""
import json

import grpc

from simclient import DEFAULT_SG, M, PROJECT, SUBNET, SimTestCase

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
PRECOND = grpc.StatusCode.FAILED_PRECONDITION
CREATE = "/nebius.compute.v1.InstanceService/Create"
GIB = 1 << 30


def disk_request(name, size_gib=30, family="ubuntu24.04-driverless"):
    req = M("nebius.compute.v1.CreateDiskRequest")()
    req.metadata.parent_id = PROJECT
    req.metadata.name = name
    req.spec.size_gibibytes = size_gib
    req.spec.type = M("nebius.compute.v1.DiskSpec").NETWORK_SSD
    if family:
        req.spec.source_image_family.image_family = family
    return req


class InstanceValidationTest(SimTestCase):
    def setUp(self):
        self.sim.admin("Reset")

    def refused(self, req, code=INVALID, field=None):
        err, ses = self.assertRpcError(code, self.sim.call, CREATE, req)
        if field is not None:
            self.assertEqual(ses[0].WhichOneof("details"), "bad_request", err.details())
            self.assertEqual(ses[0].bad_request.violations[0].field, field)
        # nothing half-created
        kinds = [r["kind"] for r in self.sim.state()["resources"].values()]
        self.assertNotIn("instance", kinds)
        self.assertNotIn("disk", kinds)
        return err, ses

    def req(self, **kw):
        return self.sim.instance_request("vm", **kw)

    def test_metadata(self):
        r = self.req()
        r.metadata.parent_id = ""
        self.refused(r, field="metadata.parent_id")
        r = self.req()
        r.metadata.parent_id = "project-e00doesnotexist"
        _, ses = self.refused(r, NOT_FOUND)
        self.assertEqual(ses[0].resource_not_found.resource_id, "project-e00doesnotexist")
        r = self.req()
        r.metadata.name = ""
        self.refused(r, field="metadata.name")
        r = self.req()
        r.metadata.id = "computeinstance-x"
        self.refused(r, field="metadata.id")

    def test_duplicate_name(self):
        self.sim.create_instance("vm")
        _, ses = self.assertRpcError(grpc.StatusCode.ALREADY_EXISTS, self.sim.call, CREATE,
                                     self.sim.instance_request("vm"))
        self.assertEqual(ses[0].WhichOneof("details"), "resource_already_exists")

    def test_platform_and_preset(self):
        self.refused(self.req(platform="gpu-x1000"), field="spec.resources.platform")
        self.refused(self.req(preset="3vcpu-7gb"), field="spec.resources.preset")
        self.refused(self.req(platform="cpu-e2", preset="16vcpu-64gb"), field="spec.resources.preset")

    def test_boot_disk(self):
        r = self.req()
        r.spec.ClearField("boot_disk")
        self.refused(r, field="spec.boot_disk")
        r = self.req()
        r.spec.boot_disk.attach_mode = 0
        self.refused(r, field="spec.boot_disk.attach_mode")
        r = self.req()
        r.spec.boot_disk.managed_disk.spec.size_gibibytes = 10
        self.refused(r, field="spec.boot_disk.managed_disk.spec.size_gibibytes")
        r = self.req()
        r.spec.boot_disk.managed_disk.spec.source_image_family.image_family = "windows95"
        self.refused(r, NOT_FOUND)
        r = self.req()
        r.spec.boot_disk.managed_disk.spec.type = 0
        self.refused(r, field="spec.boot_disk.managed_disk.spec.type")
        boot = M("nebius.compute.v1.AttachedDiskSpec")(attach_mode=2)
        boot.existing_disk.id = "computedisk-missing"
        self.refused(self.req(boot=boot), NOT_FOUND)

    def test_existing_disk_attached_elsewhere(self):
        disk_id = self.sim.wait_ok(self.sim.call("/nebius.compute.v1.DiskService/Create",
                                                 disk_request("d1"))).resource_id
        boot = M("nebius.compute.v1.AttachedDiskSpec")(attach_mode=2)
        boot.existing_disk.id = disk_id
        op = self.sim.wait_ok(self.sim.call(CREATE, self.sim.instance_request("a", boot=boot)))
        _, ses = self.assertRpcError(PRECOND, self.sim.call, CREATE, self.sim.instance_request("b", boot=boot))
        d = self.sim.call("/nebius.compute.v1.DiskService/Get", M("nebius.compute.v1.GetDiskRequest")(id=disk_id))
        self.assertEqual(d.status.read_write_attachment, op.resource_id)
        self.assertRpcError(PRECOND, self.sim.call, "/nebius.compute.v1.DiskService/Delete",
                            M("nebius.compute.v1.DeleteDiskRequest")(id=disk_id))
        self.sim.wait_ok(self.sim.call("/nebius.compute.v1.InstanceService/Delete",
                                       M("nebius.compute.v1.DeleteInstanceRequest")(id=op.resource_id)))
        d = self.sim.call("/nebius.compute.v1.DiskService/Get", M("nebius.compute.v1.GetDiskRequest")(id=disk_id))
        self.assertEqual(d.status.read_write_attachment, "")  # an existing disk survives its instance
        self.sim.wait_ok(self.sim.call("/nebius.compute.v1.DiskService/Delete",
                                       M("nebius.compute.v1.DeleteDiskRequest")(id=disk_id)))

    OTHER_PROJECT = "project-e00someoneelse0001"

    def test_boot_disk_in_another_project(self):
        # A disk that would be a fine boot disk (READY, from an image, unattached) but lives elsewhere.
        image = self.sim.call("/nebius.compute.v1.ImageService/GetLatestByFamily",
                              M("nebius.compute.v1.GetImageLatestByFamilyRequest")(
                                  image_family="ubuntu24.04-driverless")).metadata.id
        disk_id = self.sim.admin("Mutate", create_kind="disk", create_json=json.dumps({
            "metadata": {"parent_id": self.OTHER_PROJECT, "name": "foreign-boot"},
            "spec": {"size_gibibytes": 50, "type": "NETWORK_SSD", "source_image_id": image},
            "status": {"state": "READY", "size_bytes": 50 * GIB, "block_size_bytes": 4096,
                       "source_image_id": image}})).resource_id
        boot = M("nebius.compute.v1.AttachedDiskSpec")(attach_mode=2)
        boot.existing_disk.id = disk_id
        err, ses = self.assertRpcError(INVALID, self.sim.call, CREATE, self.sim.instance_request("vm", boot=boot))
        self.assertEqual(ses[0].bad_request.violations[0].field, "spec.boot_disk.existing_disk.id")
        self.assertIn("another project", err.details())
        st = self.sim.state()["resources"]
        self.assertNotIn("instance", [r["kind"] for r in st.values()])
        self.assertNotIn("read_write_attachment", st[disk_id]["resource"]["status"])  # left untouched

    def test_subnet_in_another_project(self):
        subnet_id = self.sim.admin("Mutate", create_kind="subnet", create_json=json.dumps({
            "metadata": {"parent_id": self.OTHER_PROJECT, "name": "foreign-subnet"},
            "spec": {"network_id": "vpcnetwork-sim0000000001"},
            "status": {"state": "READY", "ipv4_private_cidrs": ["10.99.0.0/16"]}})).resource_id
        err, _ = self.refused(self.req(subnet=subnet_id), field="spec.network_interfaces[0].subnet_id")
        self.assertIn("another project", err.details())
        # The same request on the project's own subnet is accepted: only the project differed.
        self.sim.create_instance("vm")

    def test_network_interfaces(self):
        r = self.req()
        del r.spec.network_interfaces[:]
        self.refused(r, field="spec.network_interfaces")
        r = self.req()
        for i in range(8):
            n = r.spec.network_interfaces.add(subnet_id=SUBNET, name="eth%d" % (i + 1))
            n.ip_address.SetInParent()
        self.refused(r, field="spec.network_interfaces")
        for bad in ("Eth0", "-eth", "eth_0", "", "e" * 61):
            r = self.req()
            r.spec.network_interfaces[0].name = bad
            self.refused(r, field="spec.network_interfaces[0].name")
        r = self.req()
        r.spec.network_interfaces[0].ClearField("ip_address")
        self.refused(r, field="spec.network_interfaces[0].ip_address")
        self.refused(self.req(subnet="vpcsubnet-missing"), NOT_FOUND)
        r = self.req()
        r.spec.network_interfaces[0].subnet_id = ""
        self.refused(r, field="spec.network_interfaces[0].subnet_id")
        self.refused(self.req(groups=["vpcsecuritygroup-missing"]),
                     field="spec.network_interfaces[0].security_groups[0].id")
        nreq = M("nebius.vpc.v1.CreateNetworkRequest")()
        nreq.metadata.parent_id = PROJECT
        nreq.metadata.name = "other-net"
        other_net = self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.NetworkService/Create", nreq)).resource_id
        foreign = self.sim.create_group("foreign", network=other_net)
        self.refused(self.req(groups=[foreign]), field="spec.network_interfaces[0].security_groups[0].id")

    def test_cloud_init_limits_and_kept(self):
        self.refused(self.req(cloud_init_user_data="#cloud-config\n" + "x" * 32768),
                     field="spec.cloud_init_user_data")
        text = "#cloud-config\nruncmd: [echo hi]\n"
        inst = self.sim.create_instance("vm", cloud_init_user_data=text)
        st = self.sim.state()["resources"][inst.metadata.id]["resource"]
        self.assertEqual(st["spec"]["cloud_init_user_data"], text)


class InstanceLifecycleTest(SimTestCase):
    SIM_KW = {"op_delay": "0.2", "state_delay": "0.2"}

    def setUp(self):
        self.sim.admin("Reset")

    def get(self, iid):
        return self.sim.call("/nebius.compute.v1.InstanceService/Get", M("nebius.compute.v1.GetInstanceRequest")(id=iid))

    def test_create_states_addresses_and_default_group(self):
        op = self.sim.call(CREATE, self.sim.instance_request("vm", public=True))
        self.assertFalse(op.HasField("status"))
        self.assertTrue(op.id.startswith("op-"))
        inst = self.get(op.resource_id)
        self.assertEqual(inst.status.state, M("nebius.compute.v1.InstanceStatus").CREATING)
        self.assertTrue(inst.status.reconciling)
        op = self.sim.wait_ok(op)
        self.assertTrue(op.HasField("finished_at"))
        self.assertEqual(op.status.code, 0)
        inst = self.sim.wait_instance(op.resource_id, "RUNNING")
        self.assertFalse(inst.status.reconciling)
        nic = inst.status.network_interfaces[0]
        self.assertEqual(nic.ip_address.address, "10.0.0.5/32")
        self.assertTrue(nic.public_ip_address.address.startswith("203.0.113."))
        self.assertTrue(nic.public_ip_address.address.endswith("/32"))
        self.assertEqual([g.id for g in nic.security_groups], [DEFAULT_SG])
        second = self.sim.create_instance("vm2")
        self.assertEqual(second.status.network_interfaces[0].ip_address.address, "10.0.0.6/32")
        disks = self.sim.call("/nebius.compute.v1.DiskService/List", M("nebius.compute.v1.ListDisksRequest")(
            parent_id=PROJECT))
        boot = [d for d in disks.items if d.metadata.name == "vm-boot"][0]
        self.assertEqual(boot.status.state, M("nebius.compute.v1.DiskStatus").READY)
        self.assertEqual(boot.status.read_write_attachment, op.resource_id)
        self.assertEqual(boot.status.size_bytes, 50 * GIB)

    def test_stop_start_delete(self):
        inst = self.sim.create_instance("vm", public=True)
        iid = inst.metadata.id
        old_public = inst.status.network_interfaces[0].public_ip_address.address
        op = self.sim.call("/nebius.compute.v1.InstanceService/Stop", M("nebius.compute.v1.StopInstanceRequest")(id=iid))
        self.assertEqual(self.get(iid).status.state, M("nebius.compute.v1.InstanceStatus").STOPPING)
        self.assertRpcError(PRECOND, self.sim.call, "/nebius.compute.v1.InstanceService/Start",
                            M("nebius.compute.v1.StartInstanceRequest")(id=iid))  # operation conflict
        self.sim.wait_ok(op)
        stopped = self.sim.wait_instance(iid, "STOPPED")
        self.assertFalse(stopped.status.network_interfaces[0].HasField("public_ip_address"))
        # Stop of a stopped instance succeeds without change
        self.sim.wait_ok(self.sim.call("/nebius.compute.v1.InstanceService/Stop",
                                       M("nebius.compute.v1.StopInstanceRequest")(id=iid)))
        self.sim.wait_ok(self.sim.call("/nebius.compute.v1.InstanceService/Start",
                                       M("nebius.compute.v1.StartInstanceRequest")(id=iid)))
        running = self.sim.wait_instance(iid, "RUNNING")
        self.assertNotEqual(running.status.network_interfaces[0].public_ip_address.address, old_public)
        op = self.sim.call("/nebius.compute.v1.InstanceService/Delete", M("nebius.compute.v1.DeleteInstanceRequest")(id=iid))
        self.assertEqual(self.get(iid).status.state, M("nebius.compute.v1.InstanceStatus").DELETING)
        self.sim.wait_ok(op)
        self.assertRpcError(NOT_FOUND, self.get, iid)
        kinds = [r["kind"] for r in self.sim.state()["resources"].values()]
        self.assertNotIn("disk", kinds)        # managed boot disk deleted with the instance
        self.assertNotIn("allocation", kinds)  # auto public IP freed

    def test_unknown_ids(self):
        for m, cls in (("Get", "GetInstanceRequest"), ("Delete", "DeleteInstanceRequest"),
                       ("Start", "StartInstanceRequest"), ("Stop", "StopInstanceRequest")):
            _, ses = self.assertRpcError(NOT_FOUND, self.sim.call, "/nebius.compute.v1.InstanceService/" + m,
                                         M("nebius.compute.v1." + cls)(id="computeinstance-nope"))
            self.assertEqual(ses[0].resource_not_found.resource_id, "computeinstance-nope")

    def test_update(self):
        inst = self.sim.create_instance("vm")
        sg = self.sim.create_group("upd")
        upd = M("nebius.compute.v1.UpdateInstanceRequest")()
        upd.metadata.CopyFrom(inst.metadata)
        upd.spec.CopyFrom(inst.spec)
        upd.spec.resources.platform = "cpu-e2"
        self.assertRpcError(INVALID, self.sim.call, "/nebius.compute.v1.InstanceService/Update", upd)
        upd.spec.CopyFrom(inst.spec)
        upd.spec.network_interfaces[0].subnet_id = "vpcsubnet-other"
        self.assertRpcError(INVALID, self.sim.call, "/nebius.compute.v1.InstanceService/Update", upd)
        upd.spec.CopyFrom(inst.spec)
        upd.spec.network_interfaces[0].security_groups.add(id=sg)
        upd.metadata.labels["env"] = "test"
        self.sim.wait_ok(self.sim.call("/nebius.compute.v1.InstanceService/Update", upd))
        got = self.get(inst.metadata.id)
        self.assertEqual([g.id for g in got.status.network_interfaces[0].security_groups], [sg])
        self.assertEqual(got.metadata.labels["env"], "test")
        # Full replace: an empty label map keeps labels unless the reset mask names them.
        upd2 = M("nebius.compute.v1.UpdateInstanceRequest")()
        upd2.metadata.id = inst.metadata.id
        self.sim.wait_ok(self.sim.call("/nebius.compute.v1.InstanceService/Update", upd2))
        self.assertEqual(self.get(inst.metadata.id).metadata.labels["env"], "test")
        self.sim.wait_ok(self.sim.call("/nebius.compute.v1.InstanceService/Update", upd2,
                                       metadata=[("x-resetmask", "metadata.labels")]))
        self.assertEqual(dict(self.get(inst.metadata.id).metadata.labels), {})


class AddressTest(SimTestCase):
    """Private and public addresses handed out to the interfaces of one Create request."""

    def setUp(self):
        self.sim.admin("Reset")

    def small_subnet(self, name="tiny"):
        # A /29: the sim hands out .5 and .6 (from .5, below the broadcast address).
        req = M("nebius.vpc.v1.CreateSubnetRequest")()
        req.metadata.parent_id = PROJECT
        req.metadata.name = name
        req.spec.network_id = "vpcnetwork-sim0000000001"
        req.spec.ipv4_private_pools.pools.add().cidrs.add(cidr="/29")
        return self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.SubnetService/Create", req)).resource_id

    def nics_request(self, name, subnet, n, public=False):
        req = self.sim.instance_request(name, subnet=subnet, public=public)
        for i in range(1, n):
            nic = req.spec.network_interfaces.add(subnet_id=subnet, name="eth%d" % i)
            nic.ip_address.SetInParent()
            if public:
                nic.public_ip_address.SetInParent()
        return req

    def assert_nothing_created(self):
        kinds = [r["kind"] for r in self.sim.state()["resources"].values()]
        self.assertNotIn("instance", kinds)
        self.assertNotIn("disk", kinds)
        return kinds

    def test_interfaces_of_one_request_never_share_a_private_address(self):
        sub = self.small_subnet()
        # Three interfaces, two addresses: the third must not get one of the first two again.
        err, ses = self.assertRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, self.sim.call, CREATE,
                                       self.nics_request("three", sub, 3))
        self.assertEqual(ses[0].WhichOneof("details"), "not_enough_resources")
        self.assertEqual(ses[0].service, "nebius.compute.v1.InstanceService")
        self.assertIn(sub, err.details())
        self.assert_nothing_created()
        # Two fit, on distinct addresses; then the subnet is full for a single interface too.
        op = self.sim.wait_ok(self.sim.call(CREATE, self.nics_request("two", sub, 2)))
        inst = self.sim.wait_instance(op.resource_id, "RUNNING")
        self.assertEqual(sorted(n.ip_address.address for n in inst.status.network_interfaces),
                         ["10.1.0.5/32", "10.1.0.6/32"])
        self.assertRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, self.sim.call, CREATE,
                            self.nics_request("one", sub, 1))

    def fill_public_pool(self, leave):
        """Allocates public addresses until only `leave` are free; returns how many it took."""
        n = 0
        while True:
            req = M("nebius.vpc.v1.CreateAllocationRequest")()
            req.metadata.parent_id = PROJECT
            req.metadata.name = "fill-%d" % n
            req.spec.ipv4_public.subnet_id = SUBNET
            try:
                self.sim.call("/nebius.vpc.v1.AllocationService/Create", req)
            except grpc.RpcError as e:
                self.assertEqual(e.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
                break
            n += 1
        for i in range(leave):  # give back the last ones
            aid = self.sim.call("/nebius.vpc.v1.AllocationService/GetByName", M("nebius.common.v1.GetByNameRequest")(
                parent_id=PROJECT, name="fill-%d" % (n - 1 - i))).metadata.id
            self.sim.wait_ok(self.sim.call("/nebius.vpc.v1.AllocationService/Delete",
                                           M("nebius.vpc.v1.DeleteAllocationRequest")(id=aid)))
        return n

    def test_public_pool_exhausted_on_create_is_a_quota_failure(self):
        self.assertEqual(self.fill_public_pool(leave=1), 245)  # 203.0.113.10 .. .254
        # Two public interfaces, one free address.
        err, ses = self.assertRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, self.sim.call, CREATE,
                                       self.nics_request("pub2", SUBNET, 2, public=True))
        self.assertEqual(err.details(), "public IP pool exhausted")
        self.assertEqual(len(ses), 1)
        self.assertEqual(ses[0].WhichOneof("details"), "quota_failure")
        self.assertEqual(ses[0].service, "nebius.compute.v1.InstanceService")
        self.assertEqual(ses[0].retry_type, 3)  # NOTHING, as AllocationService/Create says it
        self.assertTrue(ses[0].quota_failure.violations[0].quota)
        kinds = self.assert_nothing_created()
        self.assertEqual(kinds.count("allocation"), 244)
        # One public interface takes the last address.
        op = self.sim.wait_ok(self.sim.call(CREATE, self.nics_request("pub1", SUBNET, 1, public=True)))
        inst = self.sim.wait_instance(op.resource_id, "RUNNING")
        self.assertTrue(inst.status.network_interfaces[0].public_ip_address.address.startswith("203.0.113."))


class NotReadyTest(SimTestCase):
    """Subnets and security groups are usable once their Create operation is done, not before."""
    SIM_KW = {"op_delay": "0.6", "state_delay": "0.05"}

    def setUp(self):
        self.sim.admin("Reset")

    def group_op(self, name):
        req = M("nebius.vpc.v1.CreateSecurityGroupRequest")()
        req.metadata.parent_id = PROJECT
        req.metadata.name = name
        req.spec.network_id = "vpcnetwork-sim0000000001"
        return self.sim.call("/nebius.vpc.v1.SecurityGroupService/Create", req)

    def get_group(self, gid):
        return self.sim.call("/nebius.vpc.v1.SecurityGroupService/Get",
                             M("nebius.vpc.v1.GetSecurityGroupRequest")(id=gid))

    def refused_not_ready(self, req, resource_id):
        err, ses = self.assertRpcError(PRECOND, self.sim.call, CREATE, req)
        self.assertEqual(ses[0].WhichOneof("details"), "bad_resource_state", err.details())
        self.assertEqual(ses[0].bad_resource_state.resource_id, resource_id)
        self.assertIn("not READY", err.details())
        kinds = [r["kind"] for r in self.sim.state()["resources"].values()]
        self.assertNotIn("instance", kinds)
        self.assertNotIn("disk", kinds)

    def test_security_group_state_while_created(self):
        # SecurityGroupStatus.State has no CREATING (the API has STATE_UNSPECIFIED=0, READY=2): a group is
        # STATE_UNSPECIFIED while its Create operation runs, READY once it is done.
        op = self.group_op("slow")
        self.assertEqual(self.get_group(op.resource_id).status.state, 0)
        self.sim.wait_ok(op)
        self.assertEqual(self.get_group(op.resource_id).status.state,
                         M("nebius.vpc.v1.SecurityGroupStatus").READY)

    def test_instance_with_a_group_not_ready_is_refused(self):
        op = self.group_op("slow")
        self.refused_not_ready(self.sim.instance_request("vm", groups=[op.resource_id]), op.resource_id)
        self.sim.wait_ok(op)
        inst = self.sim.create_instance("vm", groups=[op.resource_id])
        self.assertEqual([g.id for g in inst.status.network_interfaces[0].security_groups], [op.resource_id])

    def test_update_onto_a_group_not_ready_is_refused(self):
        inst = self.sim.create_instance("vm")
        op = self.group_op("slow")
        upd = M("nebius.compute.v1.UpdateInstanceRequest")()
        upd.metadata.CopyFrom(inst.metadata)
        upd.spec.CopyFrom(inst.spec)
        upd.spec.network_interfaces[0].security_groups.add(id=op.resource_id)
        _, ses = self.assertRpcError(PRECOND, self.sim.call, "/nebius.compute.v1.InstanceService/Update", upd)
        self.assertEqual(ses[0].bad_resource_state.resource_id, op.resource_id)
        self.sim.wait_ok(op)
        self.sim.wait_ok(self.sim.call("/nebius.compute.v1.InstanceService/Update", upd))

    def test_instance_on_a_subnet_not_ready_is_refused(self):
        req = M("nebius.vpc.v1.CreateSubnetRequest")()
        req.metadata.parent_id = PROJECT
        req.metadata.name = "slow-subnet"
        req.spec.network_id = "vpcnetwork-sim0000000001"
        op = self.sim.call("/nebius.vpc.v1.SubnetService/Create", req)
        sub = self.sim.call("/nebius.vpc.v1.SubnetService/Get", M("nebius.vpc.v1.GetSubnetRequest")(id=op.resource_id))
        self.assertEqual(sub.status.state, M("nebius.vpc.v1.SubnetStatus").CREATING)
        self.refused_not_ready(self.sim.instance_request("vm", subnet=op.resource_id), op.resource_id)
        self.sim.wait_ok(op)
        self.sim.create_instance("vm", subnet=op.resource_id)
        # A subnet being deleted is not READY either.
        self.sim.admin("Mutate", resource_id=op.resource_id, json_patch=json.dumps({"status": {"state": "DELETING"}}))
        err, ses = self.assertRpcError(PRECOND, self.sim.call, CREATE,
                                       self.sim.instance_request("vm2", subnet=op.resource_id))
        self.assertEqual(ses[0].bad_resource_state.resource_id, op.resource_id)
        self.assertIn("DELETING", err.details())


class CatalogueTest(SimTestCase):
    def test_platforms(self):
        resp = self.sim.call("/nebius.compute.v1.PlatformService/List",
                             M("nebius.compute.v1.ListPlatformsRequest")(parent_id=PROJECT))
        names = [p.metadata.name for p in resp.items]
        self.assertEqual(names, ["cpu-d3", "cpu-e2", "gpu-h100-sxm", "gpu-l40s-a", "gpu-h200-sxm"])
        h100 = self.sim.call("/nebius.compute.v1.PlatformService/GetByName",
                             M("nebius.common.v1.GetByNameRequest")(parent_id=PROJECT, name="gpu-h100-sxm"))
        p8 = [p for p in h100.spec.presets if p.name == "8gpu-128vcpu-1600gb"][0]
        self.assertEqual((p8.resources.gpu_count, p8.resources.vcpu_count, p8.resources.memory_gibibytes),
                         (8, 128, 1600))
        self.assertEqual(h100.spec.gpu_memory_gigabytes, 80)
        self.assertRpcError(NOT_FOUND, self.sim.call, "/nebius.compute.v1.PlatformService/List",
                            M("nebius.compute.v1.ListPlatformsRequest")(parent_id="project-missing"))

    def test_images(self):
        latest = self.sim.call("/nebius.compute.v1.ImageService/GetLatestByFamily",
                               M("nebius.compute.v1.GetImageLatestByFamilyRequest")(image_family="ubuntu22.04-cuda12"))
        self.assertEqual(latest.spec.version, "20250701")
        self.assertEqual(latest.metadata.parent_id, "project-e00public-images")
        self.assertEqual(latest.metadata.labels["os_version"], "22.04")
        pub = self.sim.call("/nebius.compute.v1.ImageService/ListPublic",
                            M("nebius.compute.v1.ListPublicRequest")(region="eu-north1"))
        self.assertEqual(len(pub.items), 8)
        self.assertRpcError(NOT_FOUND, self.sim.call, "/nebius.compute.v1.ImageService/GetLatestByFamily",
                            M("nebius.compute.v1.GetImageLatestByFamilyRequest")(image_family="nope"))

    def test_disk_validation(self):
        r = disk_request("small", size_gib=5)
        self.assertRpcError(INVALID, self.sim.call, "/nebius.compute.v1.DiskService/Create", r)
        r = disk_request("nosize")
        r.spec.ClearField("size_gibibytes")
        self.assertRpcError(INVALID, self.sim.call, "/nebius.compute.v1.DiskService/Create", r)
        r = disk_request("data", family="")
        r.spec.disk_encryption.type = 1
        disk_id = self.sim.wait_ok(self.sim.call("/nebius.compute.v1.DiskService/Create", r)).resource_id
        d = self.sim.call("/nebius.compute.v1.DiskService/Get", M("nebius.compute.v1.GetDiskRequest")(id=disk_id))
        self.assertEqual(d.spec.disk_encryption.type, 1)
        self.assertEqual(d.status.state, M("nebius.compute.v1.DiskStatus").READY)
