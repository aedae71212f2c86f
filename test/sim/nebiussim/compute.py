"""Compute v1: instances, disks, images, platforms.

Behaviour where the API text is silent, chosen to be plausible and fixed so
tests can rely on it:
* Addresses in InstanceStatus.network_interfaces (ip_address.address and
  public_ip_address.address) are CIDR strings, "10.0.0.5/32": clients must
  strip the prefix length.
* Timeline: Create -> CREATING (reconciling) until the operation completes
  (--op-delay), then STARTING, then RUNNING after --state-delay (or STOPPED if
  spec.stopped). Stop -> STOPPING now, STOPPED --state-delay after its operation
  completes; Start -> STARTING now, RUNNING likewise. Delete -> DELETING now,
  gone (with its managed disks and auto-allocated public IPs) when the
  operation completes. So an operation can be done while the instance is still
  STARTING/STOPPING: wait for the state, not just the operation.
* Stop of a STOPPED/STOPPING instance and Start of a RUNNING/STARTING one succeed
  without a change (the operation completes OK). Start/Stop/Update while another
  operation on the instance runs -> FAILED_PRECONDITION (operation_conflict).
  Delete is accepted in any state except while another Delete runs.
* Stop/Start set spec.stopped accordingly.
* An auto-allocated public IP (public_ip_address present, no allocation_id,
  static=false) is released on Stop and a new one is allocated on Start, so the
  public address changes; static=true keeps it until the instance is deleted.
* Update changes labels, name, cloud_init_user_data, hostname, stopped,
  resources.preset (only while STOPPED) and, per interface, security_groups and
  public_ip_address. Changing an immutable field (platform, boot_disk,
  service_account_id, interface subnet/name/ip_address, ...) -> INVALID_ARGUMENT.
  Changing secondary_disks is not supported by the simulator (INVALID_ARGUMENT).
"""
import functools
import ipaddress
import re

from . import errors, operations, protos, resources, vpc
from .paging import page
from .state import PROJECT_ID, PUBLIC_IMAGES_PROJECT, REGION, TENANT_ID

INST = "nebius.compute.v1.InstanceService"
DISK = "nebius.compute.v1.DiskService"
IMAGE = "nebius.compute.v1.ImageService"
PLATFORM = "nebius.compute.v1.PlatformService"

GIB = 1 << 30
NIC_NAME_RE = re.compile(r"^[0-9a-z][0-9a-z-]*$")
HOSTNAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")
CLOUD_INIT_MAX = 32768
MAX_NICS = 8


def M(name):
    return protos.msg("nebius.compute.v1." + name)


@functools.lru_cache(maxsize=None)
def _enum(msg_name, value):
    return getattr(M(msg_name), value)


def IS(name):
    return _enum("InstanceStatus", name)


def DS(name):
    return _enum("DiskStatus", name)


# --- presets: platforms and public images -------------------------------------------------------

PLATFORMS = [
    # name, human readable, gpu memory GB, quota type, presets
    ("cpu-d3", "Non-GPU AMD EPYC Genoa", 0, "",
     ["2vcpu-8gb", "4vcpu-16gb", "8vcpu-32gb", "16vcpu-64gb"]),
    ("cpu-e2", "Non-GPU Intel Ice Lake", 0, "", ["2vcpu-8gb", "4vcpu-16gb"]),
    ("gpu-h100-sxm", "NVIDIA H100 NVLink with Intel Sapphire Rapids", 80, "gpu-h100",
     ["1gpu-16vcpu-200gb", "8gpu-128vcpu-1600gb"]),
    ("gpu-l40s-a", "NVIDIA L40S PCIe with Intel Sapphire Rapids", 48, "gpu-l40s",
     ["1gpu-8vcpu-32gb", "1gpu-16vcpu-64gb", "1gpu-24vcpu-96gb", "1gpu-32vcpu-128gb", "1gpu-40vcpu-160gb"]),
    ("gpu-h200-sxm", "NVIDIA H200 NVLink with Intel Sapphire Rapids", 141, "gpu-h200",
     ["1gpu-16vcpu-200gb", "8gpu-128vcpu-1600gb"]),
]

IMAGE_FAMILIES = [
    # family, human readable, os version, versions (oldest first)
    ("ubuntu24.04-driverless", "Ubuntu 24.04 LTS", "24.04", ["20250210", "20250512", "20250818"]),
    ("ubuntu24.04-cuda13.0", "Ubuntu 24.04 LTS for NVIDIA GPUs (CUDA 13)", "24.04", ["20250820", "20250915"]),
    ("ubuntu22.04-cuda12", "Ubuntu 22.04 LTS for NVIDIA GPUs (CUDA 12)", "22.04", ["20241105", "20250303", "20250701"]),
]
IMAGE_MIN_DISK = 20 * GIB


def _preset_resources(name):
    m = re.match(r"^(?:(\d+)gpu-)?(\d+)vcpu-(\d+)gb$", name)
    gpus, vcpu, mem = m.groups()
    return int(gpus or 0), int(vcpu), int(mem)


def install_presets(st):
    md = protos.msg("nebius.common.v1.ResourceMetadata")
    for i, (name, human, gpu_mem, quota, presets) in enumerate(PLATFORMS, 1):
        p = M("Platform")()
        p.metadata.CopyFrom(resources.new_metadata(st, "computeplatform", md(parent_id=PROJECT_ID, name=name),
                                                   "computeplatform-sim%010d" % i))
        p.spec.human_readable_name = human
        p.spec.short_human_readable_name = name.split("-")[1].upper() if gpu_mem else name
        p.spec.gpu_memory_gigabytes = gpu_mem
        p.spec.gpu_count_quota_type = quota
        p.spec.allow_preset_change = gpu_mem == 0
        p.status.allowed_for_preemptibles = gpu_mem != 0
        for pr in presets:
            gpus, vcpu, mem = _preset_resources(pr)
            x = p.spec.presets.add(name=pr, allow_gpu_clustering=gpus == 8)
            x.resources.vcpu_count = vcpu
            x.resources.memory_gibibytes = mem
            x.resources.gpu_count = gpus
        st.add("platform", p)
    n = 0
    base = st.now() - 400 * 86400
    for family, human, osv, versions in IMAGE_FAMILIES:
        for k, version in enumerate(versions):
            n += 1
            img = M("Image")()
            img.metadata.CopyFrom(resources.new_metadata(
                st, "computeimage", md(parent_id=PUBLIC_IMAGES_PROJECT, name="%s-%s" % (family, version),
                                       labels={"os_name": "ubuntu", "os_version": osv}),
                "computeimage-sim%010d" % n))
            img.metadata.created_at.FromSeconds(int(base + n * 86400 + k * 3600))
            img.metadata.updated_at.CopyFrom(img.metadata.created_at)
            img.spec.description = "%s, build %s" % (human, version)
            img.spec.image_family = family
            img.spec.version = version
            img.spec.cpu_architecture = M("ImageSpec").AMD64
            img.spec.image_family_human_readable = human
            if "cuda" in family:
                img.spec.recommended_platforms.extend(["gpu-h100-sxm", "gpu-h200-sxm", "gpu-l40s-a"])
            else:
                img.spec.recommended_platforms.extend(["cpu-d3", "cpu-e2"])
            img.status.state = _enum("ImageStatus", "READY")
            img.status.storage_size_bytes = 6 * GIB if "cuda" in family else 2 * GIB
            img.status.min_disk_size_bytes = IMAGE_MIN_DISK
            st.add("image", img).extra["public"] = True


def platform_by_name(st, name):
    for r in st.of_kind("platform"):
        if r.msg.metadata.name == name:
            return r
    return None


def latest_image(st, family, parent_id):
    """GetLatestByFamily semantics: newest READY image of the family under parent (default: public images)."""
    if parent_id in ("", PUBLIC_IMAGES_PROJECT, TENANT_ID):
        pred = lambda r: r.extra.get("public")  # noqa: E731
    else:
        pred = lambda r: r.msg.metadata.parent_id == parent_id  # noqa: E731
    best = None
    for r in st.of_kind("image"):
        if r.msg.spec.image_family == family and pred(r) and r.msg.status.state == _enum("ImageStatus", "READY"):
            key = (r.msg.metadata.created_at.seconds, r.msg.spec.version, r.seq)
            if best is None or key > best[0]:
                best = (key, r)
    return best[1] if best else None


# --- disks --------------------------------------------------------------------------------------

def _disk_size(spec, field):
    which = spec.WhichOneof("size")
    if which is None:
        raise errors.invalid(DISK, field + ".size", "one of size_bytes, size_kibibytes, size_mebibytes, "
                             "size_gibibytes is required")
    value = getattr(spec, which)
    if value <= 0:
        raise errors.invalid(DISK, "%s.%s" % (field, which), "must be positive")
    mult = {"size_bytes": 1, "size_kibibytes": 1 << 10, "size_mebibytes": 1 << 20, "size_gibibytes": GIB}[which]
    return value * mult, which


def validate_disk_spec(st, spec, parent_id, field, service=DISK, boot=False):
    """Checks a DiskSpec; returns (size_bytes, block_size, source image record or None)."""
    size, which = _disk_size(spec, field)
    if spec.type == 0:
        raise errors.invalid(service, field + ".type", "required (e.g. NETWORK_SSD)")
    if spec.type not in M("DiskSpec").DiskType.values():
        raise errors.invalid(service, field + ".type", "unknown disk type %d" % spec.type)
    block = spec.block_size_bytes or 4096
    if block < 4096 or block > 131072 or block & (block - 1):
        raise errors.invalid(service, field + ".block_size_bytes", "must be a power of two in 4096..131072")
    if size % block:
        raise errors.invalid(service, "%s.%s" % (field, which), "must be a multiple of the block size %d" % block)
    src = spec.WhichOneof("source")
    image = None
    if src == "source_image_id":
        image = st.get(spec.source_image_id, "image")
        if image is None:
            raise errors.not_found(service, spec.source_image_id, "image %s not found" % spec.source_image_id)
    elif src == "source_image_family":
        fam = spec.source_image_family
        if not fam.image_family:
            raise errors.invalid(service, field + ".source_image_family.image_family", "required")
        image = latest_image(st, fam.image_family, fam.parent_id)
        if image is None:
            raise errors.not_found(service, fam.image_family, "image family %r not found in %s"
                                   % (fam.image_family, fam.parent_id or PUBLIC_IMAGES_PROJECT))
    elif src == "source_snapshot_id":
        raise errors.not_found(service, spec.source_snapshot_id, "snapshot %s not found" % spec.source_snapshot_id)
    elif boot:
        raise errors.invalid(service, field + ".source", "a boot disk must be created from an image")
    if image is not None:
        if image.msg.status.state != _enum("ImageStatus", "READY"):
            raise errors.bad_state(service, image.id, "image %s is not READY" % image.id)
        if size < image.msg.status.min_disk_size_bytes:
            raise errors.invalid(service, "%s.%s" % (field, which), "disk size %d bytes is smaller than the image's "
                                 "minimum %d bytes" % (size, image.msg.status.min_disk_size_bytes))
    if spec.HasField("disk_encryption") and spec.disk_encryption.type not in (0, 1):
        raise errors.invalid(service, field + ".disk_encryption.type", "unknown encryption type")
    return size, block, image


def _new_disk(st, parent_id, name, labels, spec, size, block, image, managed_by=""):
    d = M("Disk")()
    d.metadata.CopyFrom(resources.new_metadata(st, "computedisk", protos.msg("nebius.common.v1.ResourceMetadata")(
        parent_id=parent_id, name=name, labels=labels)))
    d.spec.CopyFrom(spec)
    d.status.state = DS("CREATING")
    d.status.size_bytes = size
    d.status.block_size_bytes = block
    if image is not None:
        d.status.source_image_id = image.id
        d.status.source_image_cpu_architecture = image.msg.spec.cpu_architecture
    d.status.managed_by = managed_by
    return st.add("disk", d)


def disk_create(st, call):
    req = call.request
    resources.check_create_metadata(st, DISK, "disk", req.metadata)
    if not req.HasField("spec"):
        raise errors.invalid(DISK, "spec", "required")
    size, block, image = validate_disk_spec(st, req.spec, req.metadata.parent_id, "spec")
    rec = _new_disk(st, req.metadata.parent_id, req.metadata.name, dict(req.metadata.labels), req.spec, size,
                    block, image)
    rec.msg.metadata.CopyFrom(resources.new_metadata(st, "computedisk", req.metadata, rec.id))

    def done(_due):
        if st.get(rec.id) is rec and rec.msg.status.state == DS("CREATING"):
            rec.msg.status.state = DS("READY")

    def fail(_due):
        if st.get(rec.id) is rec:
            st.remove(rec.id)
    return operations.start(st, call, rec.id, "Create disk", rec.msg.metadata.parent_id, done, fail)


def disk_update(st, call):
    req = call.request
    rec = resources.check_update_metadata(st, DISK, "disk", req.metadata)
    _no_conflict(st, DISK, rec.id)
    cur = rec.msg
    new_size = None
    if req.spec.WhichOneof("size") is not None:
        new_size, which = _disk_size(req.spec, "spec")
        if new_size < cur.status.size_bytes:
            raise errors.invalid(DISK, "spec." + which, "disks cannot shrink (current %d bytes)" % cur.status.size_bytes)
        if new_size % cur.status.block_size_bytes:
            raise errors.invalid(DISK, "spec." + which, "must be a multiple of the block size")
    for f in ("type", "block_size_bytes", "source_image_id", "source_snapshot_id"):
        v = getattr(req.spec, f)
        if v and v != getattr(cur.spec, f):
            raise errors.invalid(DISK, "spec." + f, "is immutable")
    for f in ("source_image_family", "disk_encryption"):
        if req.spec.HasField(f) and getattr(req.spec, f) != getattr(cur.spec, f):
            raise errors.invalid(DISK, "spec." + f, "is immutable")
    resources.update_name_and_labels(st, DISK, "disk", vpc._Scratch(rec), req.metadata, "")
    mask = call.reset_mask

    def apply():
        resources.update_name_and_labels(st, DISK, "disk", rec, req.metadata, mask)
        if new_size is not None and new_size != cur.status.size_bytes:
            which = req.spec.WhichOneof("size")
            setattr(cur.spec, which, getattr(req.spec, which))
            cur.status.size_bytes = new_size
        if req.spec.forbid_deletion or resources.is_reset(mask, "spec.forbid_deletion"):
            cur.spec.forbid_deletion = req.spec.forbid_deletion
    return vpc._update_op(st, call, rec, "disk", apply)


def disk_delete(st, call):
    rec = resources.get_or_404(st, DISK, "disk", call.request.id)
    s = rec.msg.status
    if s.read_write_attachment or len(s.read_only_attachments):
        raise errors.bad_state(DISK, rec.id, "disk %s is attached to %s" %
                               (rec.id, s.read_write_attachment or ", ".join(s.read_only_attachments)))
    if s.managed_by:
        raise errors.bad_state(DISK, rec.id, "disk %s is managed by instance %s" % (rec.id, s.managed_by))
    if rec.msg.spec.forbid_deletion:
        raise errors.bad_state(DISK, rec.id, "disk %s has forbid_deletion set" % rec.id)
    if operations.pending_op(st, rec.id) and s.state == DS("DELETING"):
        raise errors.operation_conflict(DISK, rec.id, operations.pending_op(st, rec.id))
    return vpc._delete_op(st, call, rec, "disk", DS("DELETING"))


# --- instances: validation ----------------------------------------------------------------------

def _no_conflict(st, service, rid):
    op = operations.pending_op(st, rid)
    if op is not None:
        raise errors.operation_conflict(service, rid, op)


class _DiskPlan:
    def __init__(self, field, spec, existing=None, managed=None, size=0, block=0, image=None):
        self.field = field
        self.spec = spec            # AttachedDiskSpec
        self.existing = existing    # disk record
        self.managed = managed      # ManagedDisk message
        self.size, self.block, self.image = size, block, image


def _plan_disk(st, parent_id, ad, field, boot, seen):
    if ad.attach_mode not in (M("AttachedDiskSpec").READ_ONLY, M("AttachedDiskSpec").READ_WRITE):
        raise errors.invalid(INST, field + ".attach_mode", "required: READ_WRITE or READ_ONLY")
    if len(ad.device_id) > 20:
        raise errors.invalid(INST, field + ".device_id", "at most 20 characters")
    which = ad.WhichOneof("type")
    if which is None:
        raise errors.invalid(INST, field + ".type", "one of existing_disk or managed_disk is required")
    if which == "existing_disk":
        did = ad.existing_disk.id
        if not did:
            raise errors.invalid(INST, field + ".existing_disk.id", "required")
        d = st.get(did, "disk")
        if d is None:
            raise errors.not_found(INST, did, "disk %s not found" % did)
        if d.msg.metadata.parent_id != parent_id:
            raise errors.invalid(INST, field + ".existing_disk.id", "disk %s is in another project" % did)
        if did in seen:
            raise errors.invalid(INST, field + ".existing_disk.id", "disk %s is attached twice" % did)
        if d.msg.status.read_write_attachment or len(d.msg.status.read_only_attachments):
            raise errors.bad_state(INST, did, "disk %s is already attached to %s"
                                   % (did, d.msg.status.read_write_attachment or
                                      ", ".join(d.msg.status.read_only_attachments)))
        if d.msg.status.state != DS("READY"):
            raise errors.bad_state(INST, did, "disk %s is not READY (state %s)"
                                   % (did, M("DiskStatus").State.Name(d.msg.status.state)))
        if boot and not d.msg.status.source_image_id:
            raise errors.invalid(INST, field + ".existing_disk.id", "a boot disk must be created from an image")
        seen.add(did)
        return _DiskPlan(field, ad, existing=d)
    md = ad.managed_disk
    if not md.name:
        raise errors.invalid(INST, field + ".managed_disk.name", "required")
    if not md.HasField("spec"):
        raise errors.invalid(INST, field + ".managed_disk.spec", "required")
    if st.by_name("disk", parent_id, md.name) is not None or ("name:" + md.name) in seen:
        raise errors.already_exists(INST, md.name, "disk named %r already exists in %s" % (md.name, parent_id))
    seen.add("name:" + md.name)
    size, block, image = validate_disk_spec(st, md.spec, parent_id, field + ".managed_disk.spec", INST, boot)
    return _DiskPlan(field, ad, managed=md, size=size, block=block, image=image)


class _NicPlan:
    def __init__(self, spec, subnet, private_addr, private_alloc, public_alloc, public_addr, groups, aliases):
        self.spec, self.subnet = spec, subnet
        self.private_addr, self.private_alloc = private_addr, private_alloc
        self.public_alloc, self.public_addr = public_alloc, public_addr
        self.groups, self.aliases = groups, aliases


def _check_groups(st, nic, field, network_id):
    groups = []
    for j, g in enumerate(nic.security_groups):
        sg = st.get(g.id, "security_group")
        if not g.id or sg is None:
            raise errors.invalid(INST, "%s.security_groups[%d].id" % (field, j), "security group %r not found" % g.id)
        if sg.msg.spec.network_id != network_id:
            raise errors.invalid(INST, "%s.security_groups[%d].id" % (field, j),
                                 "security group %s belongs to network %s, the subnet to %s"
                                 % (g.id, sg.msg.spec.network_id, network_id))
        if sg.msg.status.state != vpc._state_enum("SecurityGroupStatus", "READY"):
            # Still being created (its Create operation has not finished): not usable yet.
            raise errors.bad_state(INST, g.id, "security group %s is not READY (state %s)" % (
                g.id, protos.msg("nebius.vpc.v1.SecurityGroupStatus").State.Name(sg.msg.status.state)))
        groups.append(g.id)
    if not groups:
        d = vpc.default_group_of(st, network_id)
        if d is not None:
            groups.append(d.id)
    return groups


def _check_public_allocation(st, alloc_id, field, parent_id):
    a = st.get(alloc_id, "allocation")
    if a is None:
        raise errors.not_found(INST, alloc_id, "allocation %s not found" % alloc_id)
    if not a.msg.spec.HasField("ipv4_public"):
        raise errors.invalid(INST, field, "allocation %s is not a public IPv4 allocation" % alloc_id)
    if a.msg.metadata.parent_id != parent_id:
        raise errors.invalid(INST, field, "allocation %s is in another project" % alloc_id)
    if a.msg.status.state != vpc._state_enum("AllocationStatus", "ALLOCATED"):
        raise errors.bad_state(INST, alloc_id, "allocation %s is not free (state %s)" % (
            alloc_id, protos.msg("nebius.vpc.v1.AllocationStatus").State.Name(a.msg.status.state)))
    return a


def _plan_nics(st, parent_id, nics):
    if not nics:
        raise errors.invalid(INST, "spec.network_interfaces", "at least one network interface is required")
    if len(nics) > MAX_NICS:
        raise errors.invalid(INST, "spec.network_interfaces", "at most %d network interfaces" % MAX_NICS)
    plans, names, extra_private, extra_public, used_allocs = [], set(), {}, set(), set()
    for i, nic in enumerate(nics):
        field = "spec.network_interfaces[%d]" % i
        if not nic.name:
            raise errors.invalid(INST, field + ".name", "required (e.g. eth0)")
        if len(nic.name) > 60 or not NIC_NAME_RE.match(nic.name):
            raise errors.invalid(INST, field + ".name", "must match ^[0-9a-z][0-9a-z-]*$, 1..60 chars (got %r)"
                                 % nic.name)
        if nic.name in names:
            raise errors.invalid(INST, field + ".name", "duplicate interface name %r" % nic.name)
        names.add(nic.name)
        if not nic.subnet_id:
            raise errors.invalid(INST, field + ".subnet_id", "required")
        sub = st.get(nic.subnet_id, "subnet")
        if sub is None:
            raise errors.not_found(INST, nic.subnet_id, "subnet %s not found" % nic.subnet_id)
        if sub.msg.metadata.parent_id != parent_id:
            raise errors.invalid(INST, field + ".subnet_id", "subnet %s is in another project" % nic.subnet_id)
        if sub.msg.status.state != vpc._state_enum("SubnetStatus", "READY"):
            raise errors.bad_state(INST, sub.id, "subnet %s is not READY (state %s)" % (
                sub.id, protos.msg("nebius.vpc.v1.SubnetStatus").State.Name(sub.msg.status.state)))
        if not nic.HasField("ip_address"):
            raise errors.invalid(INST, field + ".ip_address",
                                 "required (send an empty IPAddress to auto-assign a private address)")
        private_alloc = None
        if nic.ip_address.allocation_id:
            a = st.get(nic.ip_address.allocation_id, "allocation")
            if a is None:
                raise errors.not_found(INST, nic.ip_address.allocation_id,
                                       "allocation %s not found" % nic.ip_address.allocation_id)
            if not a.msg.spec.HasField("ipv4_private") or a.msg.status.details.subnet_id != sub.id:
                raise errors.invalid(INST, field + ".ip_address.allocation_id",
                                     "allocation %s is not a private allocation of subnet %s" % (a.id, sub.id))
            if a.msg.status.state != vpc._state_enum("AllocationStatus", "ALLOCATED") or a.id in used_allocs:
                raise errors.bad_state(INST, a.id, "allocation %s is not free" % a.id)
            used_allocs.add(a.id)
            private_alloc = a
            private_addr = vpc._bare(a.msg.status.details.allocated_cidr)
        else:
            taken = extra_private.setdefault(sub.id, set())
            private_addr = _allocate_private_excluding(st, sub, taken)
            taken.add(private_addr)
        public_alloc, public_addr = None, None
        if nic.HasField("public_ip_address"):
            if nic.public_ip_address.allocation_id:
                public_alloc = _check_public_allocation(st, nic.public_ip_address.allocation_id,
                                                        field + ".public_ip_address.allocation_id", parent_id)
                if public_alloc.id in used_allocs:
                    raise errors.bad_state(INST, public_alloc.id, "allocation %s used twice" % public_alloc.id)
                used_allocs.add(public_alloc.id)
            else:
                public_addr = _allocate_public_excluding(st, extra_public)
                extra_public.add(public_addr)
        groups = _check_groups(st, nic, field, sub.msg.spec.network_id)
        aliases = []
        for j, al in enumerate(nic.aliases):
            a = st.get(al.allocation_id, "allocation")
            if a is None:
                raise errors.not_found(INST, al.allocation_id, "allocation %s not found" % al.allocation_id)
            if a.msg.status.state != vpc._state_enum("AllocationStatus", "ALLOCATED") or a.id in used_allocs:
                raise errors.bad_state(INST, a.id, "allocation %s is not free" % a.id)
            used_allocs.add(a.id)
            aliases.append(a)
        plans.append(_NicPlan(nic, sub, private_addr, private_alloc, public_alloc, public_addr, groups, aliases))
    return plans


def _allocate_private_excluding(st, sub, taken):
    # `taken`: addresses already promised to other interfaces of this request. When the subnet is full
    # apart from those, this is RESOURCE_EXHAUSTED (not_enough_resources), never one of them again.
    return vpc.allocate_private(st, sub, taken, INST)


def _allocate_public_excluding(st, taken):
    # RESOURCE_EXHAUSTED with a quota_failure detail when the pool is used up, as AllocationService says it.
    return vpc.allocate_public(st, taken, INST)


def _mac(seq, index):
    return "02:00:%02x:%02x:%02x:%02x" % ((seq >> 16) & 0xFF, (seq >> 8) & 0xFF, seq & 0xFF, index)


# --- instances: effects -------------------------------------------------------------------------

def _attach_public(st, rec, i, nic_spec, alloc=None, addr=None):
    """Gives interface i a public address: an existing allocation, or a new auto allocation."""
    ns = rec.msg.status.network_interfaces[i]
    if alloc is None:
        alloc = vpc.new_allocation(st, rec.msg.metadata.parent_id, "", True, nic_spec.subnet_id,
                                   addr or vpc.allocate_public(st), nic_spec.public_ip_address.static)
        alloc.extra["auto_for"] = rec.id
    vpc.assign_allocation(alloc, rec.id, nic_spec.name, True)
    ns.public_ip_address.address = alloc.msg.status.details.allocated_cidr
    ns.public_ip_address.allocation_id = alloc.id
    ns.public_ip_address.static = alloc.msg.status.static


def _release_public(st, rec, i, only_dynamic=False):
    ns = rec.msg.status.network_interfaces[i]
    if not ns.HasField("public_ip_address"):
        return
    a = st.get(ns.public_ip_address.allocation_id, "allocation")
    if a is not None:
        if a.extra.get("auto_for") == rec.id:
            if only_dynamic and a.msg.status.static:
                return
            st.remove(a.id)
        elif only_dynamic:
            return
        else:
            vpc.unassign_allocation(a)
    ns.ClearField("public_ip_address")


def _release_all(st, rec, keep_existing_disks=True):
    """Undo everything an instance holds: disks, allocations. Used on delete and on failed create."""
    for i in range(len(rec.msg.status.network_interfaces)):
        _release_public(st, rec, i)
        ns = rec.msg.status.network_interfaces[i]
        for aid in [ns.ip_address.allocation_id] + list(rec.extra.get("alias_allocs", {}).get(i, [])):
            a = st.get(aid, "allocation") if aid else None
            if a is not None:
                vpc.unassign_allocation(a)
    for att in rec.msg.status.disk_attachments:
        d = st.get(att.id, "disk")
        if d is None:
            continue
        if att.is_managed:
            st.remove(d.id)
        else:
            if d.msg.status.read_write_attachment == rec.id:
                d.msg.status.read_write_attachment = ""
            ro = [x for x in d.msg.status.read_only_attachments if x != rec.id]
            del d.msg.status.read_only_attachments[:]
            d.msg.status.read_only_attachments.extend(ro)


def _set_state(st, rec, want_from, to):
    if st.get(rec.id) is rec and rec.msg.status.state in want_from:
        rec.msg.status.state = to
        return True
    return False


def _start_public_ips(st, rec):
    """Re-allocates dynamic public IPs released by a stop."""
    for i, nic in enumerate(rec.msg.spec.network_interfaces):
        ns = rec.msg.status.network_interfaces[i]
        if nic.HasField("public_ip_address") and not ns.HasField("public_ip_address"):
            alloc = None
            if nic.public_ip_address.allocation_id:
                alloc = st.get(nic.public_ip_address.allocation_id, "allocation")
                if alloc is None:
                    continue
            _attach_public(st, rec, i, nic, alloc)


def _stop_public_ips(st, rec):
    for i in range(len(rec.msg.status.network_interfaces)):
        _release_public(st, rec, i, only_dynamic=True)


def _schedule_running(st, rec, due):
    def run(_d):
        _set_state(st, rec, (IS("STARTING"),), IS("RUNNING"))
    st.schedule(due + st.config.state_delay, run)


def _schedule_stopped(st, rec, due):
    def stop(_d):
        if _set_state(st, rec, (IS("STOPPING"),), IS("STOPPED")):
            _stop_public_ips(st, rec)
    st.schedule(due + st.config.state_delay, stop)


def instance_create(st, call):
    req = call.request
    md, spec = req.metadata, req.spec
    resources.check_create_metadata(st, INST, "instance", md)
    if not req.HasField("spec"):
        raise errors.invalid(INST, "spec", "required")
    if not spec.HasField("resources"):
        raise errors.invalid(INST, "spec.resources", "required (platform and preset)")
    if not spec.resources.platform:
        raise errors.invalid(INST, "spec.resources.platform", "required")
    plat = platform_by_name(st, spec.resources.platform)
    if plat is None:
        raise errors.invalid(INST, "spec.resources.platform", "unknown platform %r (known: %s)" % (
            spec.resources.platform, ", ".join(r.msg.metadata.name for r in st.of_kind("platform"))))
    if spec.resources.WhichOneof("size") is None or not spec.resources.preset:
        raise errors.invalid(INST, "spec.resources.preset", "required")
    if spec.resources.preset not in [p.name for p in plat.msg.spec.presets]:
        raise errors.invalid(INST, "spec.resources.preset", "platform %s has no preset %r (known: %s)" % (
            plat.msg.metadata.name, spec.resources.preset, ", ".join(p.name for p in plat.msg.spec.presets)))
    if spec.service_account_id and spec.service_account_id not in st.service_accounts:
        raise errors.not_found(INST, spec.service_account_id, "service account %s not found" % spec.service_account_id)
    if len(spec.cloud_init_user_data) > CLOUD_INIT_MAX:
        raise errors.invalid(INST, "spec.cloud_init_user_data", "at most %d characters (got %d)"
                             % (CLOUD_INIT_MAX, len(spec.cloud_init_user_data)))
    if spec.hostname and not HOSTNAME_RE.match(spec.hostname):
        raise errors.invalid(INST, "spec.hostname", "must match ^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")
    if spec.HasField("preemptible"):
        if spec.preemptible.on_preemption != M("PreemptibleSpec").STOP:
            raise errors.invalid(INST, "spec.preemptible.on_preemption", "required: STOP")
        if not plat.msg.status.allowed_for_preemptibles:
            raise errors.invalid(INST, "spec.preemptible", "platform %s does not allow preemptible instances"
                                 % plat.msg.metadata.name)
    if spec.recovery_policy not in (0, 1, 2):  # RECOVER, FAIL, ALWAYS
        raise errors.invalid(INST, "spec.recovery_policy", "unknown value %d" % spec.recovery_policy)
    if not spec.HasField("boot_disk"):
        raise errors.invalid(INST, "spec.boot_disk", "required")
    seen = set()
    disk_plans = [_plan_disk(st, md.parent_id, spec.boot_disk, "spec.boot_disk", True, seen)]
    for i, ad in enumerate(spec.secondary_disks):
        disk_plans.append(_plan_disk(st, md.parent_id, ad, "spec.secondary_disks[%d]" % i, False, seen))
    nic_plans = _plan_nics(st, md.parent_id, spec.network_interfaces)

    # Everything is valid: create the instance and what it owns.
    inst = M("Instance")()
    inst.metadata.CopyFrom(resources.new_metadata(st, "computeinstance", md))
    inst.spec.CopyFrom(spec)
    inst.status.state = IS("CREATING")
    rec = st.add("instance", inst)
    managed = []
    for plan in disk_plans:
        if plan.existing is not None:
            d = plan.existing
            if plan.spec.attach_mode == M("AttachedDiskSpec").READ_WRITE:
                d.msg.status.read_write_attachment = rec.id
            else:
                d.msg.status.read_only_attachments.append(rec.id)
            inst.status.disk_attachments.add(id=d.id, name=d.msg.metadata.name, is_managed=False)
        else:
            d = _new_disk(st, md.parent_id, plan.managed.name, dict(plan.managed.labels), plan.managed.spec,
                          plan.size, plan.block, plan.image, managed_by=rec.id)
            d.msg.status.read_write_attachment = rec.id
            managed.append(d)
            inst.status.disk_attachments.add(id=d.id, name=plan.managed.name, is_managed=True)
    alias_allocs = {}
    for i, plan in enumerate(nic_plans):
        ns = inst.status.network_interfaces.add(index=i, name=plan.spec.name, mac_address=_mac(rec.seq, i))
        ns.ip_address.address = plan.private_addr + "/32"
        if plan.private_alloc is not None:
            ns.ip_address.allocation_id = plan.private_alloc.id
            vpc.assign_allocation(plan.private_alloc, rec.id, plan.spec.name, False)
        for g in plan.groups:
            ns.security_groups.add(id=g)
        for a in plan.aliases:
            ns.aliases.cidrs.append(a.msg.status.details.allocated_cidr)
            vpc.assign_allocation(a, rec.id, plan.spec.name, False)
            a.msg.status.assignment.network_interface.type = protos.msg(
                "nebius.vpc.v1.NetworkInterfaceAssignment").ALIAS
            alias_allocs.setdefault(i, []).append(a.id)
        if plan.public_alloc is not None or plan.public_addr is not None:
            _attach_public(st, rec, i, plan.spec, plan.public_alloc, plan.public_addr)
        ns.fqdn = "%s.%s.compute.internal" % (spec.hostname or md.name, REGION)
    rec.extra["alias_allocs"] = alias_allocs
    late = call.fault is not None and call.fault.late_capacity_failure

    def done(due):
        for d in managed:
            if st.get(d.id) is d:
                d.msg.status.state = DS("READY")
        if st.get(rec.id) is not rec or inst.status.state != IS("CREATING"):
            return
        if late:
            # The API accepted the instance, then the region had no capacity for it.
            def fallback(_d):
                _set_state(st, rec, (IS("CREATING"),), IS("STOPPED"))
                _stop_public_ips(st, rec)
            st.schedule(due + st.config.state_delay, fallback)
            return
        if spec.stopped:
            inst.status.state = IS("STOPPED")
            _stop_public_ips(st, rec)
        else:
            inst.status.state = IS("STARTING")
            _schedule_running(st, rec, due)

    def fail(_due):
        if st.get(rec.id) is rec:
            _release_all(st, rec)
            st.remove(rec.id)
    return operations.start(st, call, rec.id, "Create instance", md.parent_id, done, fail)


def instance_delete(st, call):
    rec = resources.get_or_404(st, INST, "instance", call.request.id)
    if rec.msg.status.state == IS("DELETING") and operations.pending_op(st, rec.id):
        raise errors.operation_conflict(INST, rec.id, operations.pending_op(st, rec.id))
    old = rec.msg.status.state
    rec.msg.status.state = IS("DELETING")

    def done(_due):
        if st.get(rec.id) is rec:
            _release_all(st, rec)
            st.remove(rec.id)

    def fail(_due):
        if st.get(rec.id) is rec:
            rec.msg.status.state = old
    return operations.start(st, call, rec.id, "Delete instance", rec.msg.metadata.parent_id, done, fail)


def instance_stop(st, call):
    rec = resources.get_or_404(st, INST, "instance", call.request.id)
    _no_conflict(st, INST, rec.id)
    state = rec.msg.status.state
    old_stopped = rec.msg.spec.stopped
    if state in (IS("STOPPED"), IS("STOPPING")):
        rec.msg.spec.stopped = True
        return operations.start(st, call, rec.id, "Stop instance", rec.msg.metadata.parent_id)
    if state not in (IS("RUNNING"), IS("STARTING")):
        raise errors.bad_state(INST, rec.id, "instance %s cannot be stopped in state %s"
                               % (rec.id, M("InstanceStatus").InstanceState.Name(state)))
    rec.msg.status.state = IS("STOPPING")
    rec.msg.spec.stopped = True

    def done(due):
        _schedule_stopped(st, rec, due)

    def fail(_due):
        _set_state(st, rec, (IS("STOPPING"),), state)
        rec.msg.spec.stopped = old_stopped
    return operations.start(st, call, rec.id, "Stop instance", rec.msg.metadata.parent_id, done, fail)


def instance_start(st, call):
    rec = resources.get_or_404(st, INST, "instance", call.request.id)
    _no_conflict(st, INST, rec.id)
    state = rec.msg.status.state
    old_stopped = rec.msg.spec.stopped
    if state in (IS("RUNNING"), IS("STARTING")):
        rec.msg.spec.stopped = False
        return operations.start(st, call, rec.id, "Start instance", rec.msg.metadata.parent_id)
    if state not in (IS("STOPPED"), IS("STOPPING")):
        raise errors.bad_state(INST, rec.id, "instance %s cannot be started in state %s"
                               % (rec.id, M("InstanceStatus").InstanceState.Name(state)))
    rec.msg.status.state = IS("STARTING")
    rec.msg.spec.stopped = False
    _start_public_ips(st, rec)
    late = call.fault is not None and call.fault.late_capacity_failure

    def done(due):
        if late:
            # Start accepted and its operation OK, but no capacity: the instance is
            # back to STOPPED by the time the operation is done.
            if _set_state(st, rec, (IS("STARTING"),), IS("STOPPED")):
                _stop_public_ips(st, rec)
            return
        _schedule_running(st, rec, due)

    def fail(_due):
        if _set_state(st, rec, (IS("STARTING"),), IS("STOPPED")):
            _stop_public_ips(st, rec)
        rec.msg.spec.stopped = old_stopped
    return operations.start(st, call, rec.id, "Start instance", rec.msg.metadata.parent_id, done, fail)


def instance_update(st, call):
    req = call.request
    rec = resources.check_update_metadata(st, INST, "instance", req.metadata)
    _no_conflict(st, INST, rec.id)
    cur, new, mask = rec.msg.spec, req.spec, call.reset_mask
    state = rec.msg.status.state
    if state in (IS("DELETING"), IS("CREATING")):
        raise errors.bad_state(INST, rec.id, "instance %s cannot be updated while %s"
                               % (rec.id, M("InstanceStatus").InstanceState.Name(state)))
    if new.service_account_id and new.service_account_id != cur.service_account_id:
        raise errors.invalid(INST, "spec.service_account_id", "is immutable")
    if new.resources.platform and new.resources.platform != cur.resources.platform:
        raise errors.invalid(INST, "spec.resources.platform", "is immutable")
    preset = None
    if new.resources.preset and new.resources.preset != cur.resources.preset:
        plat = platform_by_name(st, cur.resources.platform)
        if new.resources.preset not in [p.name for p in plat.msg.spec.presets]:
            raise errors.invalid(INST, "spec.resources.preset", "platform %s has no preset %r"
                                 % (cur.resources.platform, new.resources.preset))
        if state != IS("STOPPED"):
            raise errors.bad_state(INST, rec.id, "the preset can only change while the instance is STOPPED")
        preset = new.resources.preset
    for f in ("boot_disk", "gpu_cluster", "preemptible", "local_disks"):
        if f in new.DESCRIPTOR.fields_by_name and new.HasField(f) and getattr(new, f) != getattr(cur, f):
            raise errors.invalid(INST, "spec." + f, "is immutable")
    if new.recovery_policy and new.recovery_policy != cur.recovery_policy:
        raise errors.invalid(INST, "spec.recovery_policy", "is immutable")
    if len(new.secondary_disks) and list(new.secondary_disks) != list(cur.secondary_disks):
        raise errors.invalid(INST, "spec.secondary_disks", "changing secondary disks is not supported by nebius-sim")
    if len(new.cloud_init_user_data) > CLOUD_INIT_MAX:
        raise errors.invalid(INST, "spec.cloud_init_user_data", "at most %d characters" % CLOUD_INIT_MAX)
    if new.hostname and not HOSTNAME_RE.match(new.hostname):
        raise errors.invalid(INST, "spec.hostname", "must match ^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")
    nic_changes = []
    if len(new.network_interfaces):
        if len(new.network_interfaces) != len(cur.network_interfaces):
            raise errors.invalid(INST, "spec.network_interfaces", "adding or removing interfaces is not supported")
        for i, (n, c) in enumerate(zip(new.network_interfaces, cur.network_interfaces)):
            field = "spec.network_interfaces[%d]" % i
            for f in ("subnet_id", "name"):
                if getattr(n, f) and getattr(n, f) != getattr(c, f):
                    raise errors.invalid(INST, "%s.%s" % (field, f), "is immutable")
            if n.HasField("ip_address") and n.ip_address != c.ip_address:
                raise errors.invalid(INST, field + ".ip_address", "is immutable")
            net_id = vpc.network_of_subnet(st, c.subnet_id)
            groups = None
            if len(n.security_groups):
                groups = _check_groups(st, n, field, net_id)
            elif resources.is_reset(mask, "spec.network_interfaces.%d.security_groups" % i):
                groups = _check_groups(st, n, field, net_id)
            public = "keep"
            if n.HasField("public_ip_address"):
                if not c.HasField("public_ip_address") or n.public_ip_address != c.public_ip_address:
                    if n.public_ip_address.allocation_id:
                        _check_public_allocation(st, n.public_ip_address.allocation_id,
                                                 field + ".public_ip_address.allocation_id",
                                                 rec.msg.metadata.parent_id)
                    public = "set"
            elif c.HasField("public_ip_address") and resources.is_reset(
                    mask, "spec.network_interfaces.%d.public_ip_address" % i):
                public = "clear"
            nic_changes.append((i, n, groups, public))
    resources.update_name_and_labels(st, INST, "instance", vpc._Scratch(rec), req.metadata, "")
    stop_change = None
    if new.stopped != cur.stopped and (new.stopped or resources.is_reset(mask, "spec.stopped")):
        stop_change = new.stopped

    def apply_now_or_later():
        resources.update_name_and_labels(st, INST, "instance", rec, req.metadata, mask)
        for f in ("cloud_init_user_data", "hostname"):
            if getattr(new, f):
                setattr(cur, f, getattr(new, f))
            elif resources.is_reset(mask, "spec." + f):
                setattr(cur, f, "")
        if preset:
            cur.resources.preset = preset
        for i, n, groups, public in nic_changes:
            c = cur.network_interfaces[i]
            ns = rec.msg.status.network_interfaces[i]
            if groups is not None:
                del c.security_groups[:]
                c.security_groups.extend(n.security_groups)
                del ns.security_groups[:]
                for g in groups:
                    ns.security_groups.add(id=g)
            if public == "set":
                _release_public(st, rec, i)
                c.public_ip_address.CopyFrom(n.public_ip_address)
                if rec.msg.status.state != IS("STOPPED") or n.public_ip_address.static or \
                        n.public_ip_address.allocation_id:
                    alloc = st.get(n.public_ip_address.allocation_id, "allocation") \
                        if n.public_ip_address.allocation_id else None
                    _attach_public(st, rec, i, c, alloc)
            elif public == "clear":
                _release_public(st, rec, i)
                c.ClearField("public_ip_address")

    def done(due):
        if st.get(rec.id) is not rec:
            return
        apply_now_or_later()
        resources.touch(rec)
        if stop_change is True and rec.msg.status.state in (IS("RUNNING"), IS("STARTING")):
            cur.stopped = True
            rec.msg.status.state = IS("STOPPING")
            _schedule_stopped(st, rec, due)
        elif stop_change is False and rec.msg.status.state in (IS("STOPPED"), IS("STOPPING")):
            cur.stopped = False
            rec.msg.status.state = IS("STARTING")
            _start_public_ips(st, rec)
            _schedule_running(st, rec, due)
    return operations.start(st, call, rec.id, "Update instance", rec.msg.metadata.parent_id, done)


def instance_batch_get(st, call):
    resp = M("BatchGetResponse")()
    if not len(call.request.instance_ids):
        raise errors.invalid(INST, "instance_ids", "required")
    for iid in call.request.instance_ids:
        rec = st.get(iid, "instance")
        item = resp.items[iid]
        if rec is None:
            item.error.CopyFrom(errors.not_found(INST, iid, "instance %s not found" % iid).status_proto())
        else:
            item.instance.CopyFrom(rec.msg)
    return resp


# --- images -------------------------------------------------------------------------------------

def image_get_latest(st, call):
    req = call.request
    if not req.image_family:
        raise errors.invalid(IMAGE, "image_family", "required")
    rec = latest_image(st, req.image_family, req.parent_id)
    if rec is None:
        raise errors.not_found(IMAGE, req.image_family, "image family %r not found in %s"
                               % (req.image_family, req.parent_id or PUBLIC_IMAGES_PROJECT))
    return rec.msg


def image_get_by_name(st, call):
    req = call.request
    if not req.name:
        raise errors.invalid(IMAGE, "name", "required")
    parent = req.parent_id or PUBLIC_IMAGES_PROJECT
    for r in st.of_kind("image"):
        if r.msg.metadata.name == req.name and r.msg.metadata.parent_id == parent:
            return r.msg
    raise errors.not_found(IMAGE, req.name, "image %r not found in %s" % (req.name, req.parent_id))


def _image_list(st, parent_id):
    return [r.msg for r in st.of_kind("image", lambda r: r.msg.metadata.parent_id == parent_id)]


def image_list(st, call):
    req = call.request
    if not req.parent_id:
        raise errors.invalid(IMAGE, "parent_id", "required")
    if req.parent_id != PUBLIC_IMAGES_PROJECT and st.get(req.parent_id, "project") is None:
        raise errors.not_found(IMAGE, req.parent_id, "project %s not found" % req.parent_id)
    chunk, token = page(st, _image_list(st, req.parent_id), req.page_size, req.page_token)
    resp = M("ListImagesResponse")(next_page_token=token)
    resp.items.extend(chunk)
    return resp


def image_list_public(st, call):
    req = call.request
    if not req.region:
        raise errors.invalid(IMAGE, "region", "required (e.g. eu-north1)")
    items = _image_list(st, PUBLIC_IMAGES_PROJECT) if req.region == REGION else []
    chunk, token = page(st, items, req.page_size, req.page_token)
    resp = M("ListImagesResponse")(next_page_token=token)
    resp.items.extend(chunk)
    return resp


def image_create(st, call):
    req = call.request
    resources.check_create_metadata(st, IMAGE, "image", req.metadata)
    src = req.spec.WhichOneof("source")
    if src is None:
        raise errors.invalid(IMAGE, "spec.source", "one of source_disk_id, source_storage, "
                             "source_disk_snapshot_id is required")
    if src != "source_disk_id":
        raise errors.not_found(IMAGE, src, "source %s not found" % src)
    disk = st.get(req.spec.source_disk_id, "disk")
    if disk is None:
        raise errors.not_found(IMAGE, req.spec.source_disk_id, "disk %s not found" % req.spec.source_disk_id)
    if disk.msg.metadata.parent_id != req.metadata.parent_id:
        raise errors.invalid(IMAGE, "spec.source_disk_id", "disk is in another project")
    if disk.msg.status.state != DS("READY"):
        raise errors.bad_state(IMAGE, disk.id, "disk %s is not READY" % disk.id)
    img = M("Image")()
    img.metadata.CopyFrom(resources.new_metadata(st, "computeimage", req.metadata))
    img.spec.CopyFrom(req.spec)
    if not img.spec.cpu_architecture:
        img.spec.cpu_architecture = M("ImageSpec").AMD64
    img.status.state = _enum("ImageStatus", "CREATING")
    img.status.min_disk_size_bytes = disk.msg.status.size_bytes
    img.status.storage_size_bytes = disk.msg.status.size_bytes // 4
    rec = st.add("image", img)
    disk.msg.status.lock_state.images.append(rec.id)

    def done(_due):
        if st.get(rec.id) is rec:
            img.status.state = _enum("ImageStatus", "READY")
        if st.get(disk.id) is disk and rec.id in disk.msg.status.lock_state.images:
            disk.msg.status.lock_state.images.remove(rec.id)

    def fail(_due):
        if st.get(rec.id) is rec:
            st.remove(rec.id)
        if st.get(disk.id) is disk and rec.id in disk.msg.status.lock_state.images:
            disk.msg.status.lock_state.images.remove(rec.id)
    return operations.start(st, call, rec.id, "Create image", req.metadata.parent_id, done, fail)


def image_update(st, call):
    req = call.request
    rec = resources.check_update_metadata(st, IMAGE, "image", req.metadata)
    if rec.extra.get("public"):
        raise errors.permission_denied(IMAGE, rec.id, "public images cannot be changed")
    _no_conflict(st, IMAGE, rec.id)
    for f in ("image_family", "version", "source_disk_id", "source_disk_snapshot_id", "cpu_architecture",
              "image_family_human_readable"):
        v = getattr(req.spec, f)
        if v and v != getattr(rec.msg.spec, f):
            raise errors.invalid(IMAGE, "spec." + f, "is immutable")
    resources.update_name_and_labels(st, IMAGE, "image", vpc._Scratch(rec), req.metadata, "")
    mask = call.reset_mask

    def apply():
        resources.update_name_and_labels(st, IMAGE, "image", rec, req.metadata, mask)
        if req.spec.description or resources.is_reset(mask, "spec.description"):
            rec.msg.spec.description = req.spec.description
        if len(req.spec.recommended_platforms) or resources.is_reset(mask, "spec.recommended_platforms"):
            del rec.msg.spec.recommended_platforms[:]
            rec.msg.spec.recommended_platforms.extend(req.spec.recommended_platforms)
    return vpc._update_op(st, call, rec, "image", apply)


def image_delete(st, call):
    rec = resources.get_or_404(st, IMAGE, "image", call.request.id)
    if rec.extra.get("public"):
        raise errors.permission_denied(IMAGE, rec.id, "public images cannot be deleted")
    _no_conflict(st, IMAGE, rec.id)
    return vpc._delete_op(st, call, rec, "image", _enum("ImageStatus", "DELETING"))


# --- platforms ----------------------------------------------------------------------------------

def platform_get_by_name(st, call):
    req = call.request
    if not req.name:
        raise errors.invalid(PLATFORM, "name", "required")
    if req.parent_id and st.get(req.parent_id, "project") is None:
        raise errors.not_found(PLATFORM, req.parent_id, "project %s not found" % req.parent_id)
    rec = platform_by_name(st, req.name)
    if rec is None:
        raise errors.not_found(PLATFORM, req.name, "platform %r not found" % req.name)
    return rec.msg


def platform_list(st, call):
    req = call.request
    if not req.parent_id:
        raise errors.invalid(PLATFORM, "parent_id", "required (the project id)")
    if st.get(req.parent_id, "project") is None:
        raise errors.not_found(PLATFORM, req.parent_id, "project %s not found" % req.parent_id)
    chunk, token = page(st, [r.msg for r in st.of_kind("platform")], req.page_size, req.page_token)
    resp = M("ListPlatformsResponse")(next_page_token=token)
    resp.items.extend(chunk)
    return resp


def _project_check(service):
    return resources.project_exists_check(service)


HANDLERS = {
    "/nebius.compute.v1.InstanceService/Get": resources.get_handler(INST, "instance"),
    "/nebius.compute.v1.InstanceService/GetByName": resources.get_by_name_handler(INST, "instance"),
    "/nebius.compute.v1.InstanceService/BatchGet": instance_batch_get,
    "/nebius.compute.v1.InstanceService/List": resources.list_handler(
        INST, "instance", "nebius.compute.v1.ListInstancesResponse", check_parent=_project_check(INST)),
    "/nebius.compute.v1.InstanceService/ListInstancesByNVLInstanceGroup": resources.list_handler(
        INST, "instance", "nebius.compute.v1.ListInstancesResponse", "nvl_instance_group_id",
        lambda r, v: r.msg.spec.nvl_instance_group_id == v),
    "/nebius.compute.v1.InstanceService/Create": instance_create,
    "/nebius.compute.v1.InstanceService/Update": instance_update,
    "/nebius.compute.v1.InstanceService/Delete": instance_delete,
    "/nebius.compute.v1.InstanceService/Start": instance_start,
    "/nebius.compute.v1.InstanceService/Stop": instance_stop,
    "/nebius.compute.v1.InstanceService/ListOperationsByParent": operations.list_by_parent(INST),

    "/nebius.compute.v1.DiskService/Get": resources.get_handler(DISK, "disk"),
    "/nebius.compute.v1.DiskService/GetByName": resources.get_by_name_handler(DISK, "disk"),
    "/nebius.compute.v1.DiskService/List": resources.list_handler(
        DISK, "disk", "nebius.compute.v1.ListDisksResponse", check_parent=_project_check(DISK)),
    "/nebius.compute.v1.DiskService/Create": disk_create,
    "/nebius.compute.v1.DiskService/Update": disk_update,
    "/nebius.compute.v1.DiskService/Delete": disk_delete,
    "/nebius.compute.v1.DiskService/ListOperationsByParent": operations.list_by_parent(DISK),

    "/nebius.compute.v1.ImageService/Get": resources.get_handler(IMAGE, "image"),
    "/nebius.compute.v1.ImageService/GetByName": image_get_by_name,
    "/nebius.compute.v1.ImageService/GetLatestByFamily": image_get_latest,
    "/nebius.compute.v1.ImageService/List": image_list,
    "/nebius.compute.v1.ImageService/ListPublic": image_list_public,
    "/nebius.compute.v1.ImageService/Create": image_create,
    "/nebius.compute.v1.ImageService/Update": image_update,
    "/nebius.compute.v1.ImageService/Delete": image_delete,
    "/nebius.compute.v1.ImageService/ListOperationsByParent": operations.list_by_parent(IMAGE),

    "/nebius.compute.v1.PlatformService/GetByName": platform_get_by_name,
    "/nebius.compute.v1.PlatformService/List": platform_list,
}
