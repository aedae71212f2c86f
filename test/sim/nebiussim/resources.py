"""Checks and helpers every resource kind shares: metadata on Create/Update,
Get/GetByName/List handlers, and the X-ResetMask "full replace" rule.

Update semantics (README of the API): a field changes only when the request
carries a non-default value for it, or when the field's path is named in the
`x-resetmask` header (then it is reset to its default). Mask syntax handled:
comma-separated dotted paths, `*` for any element, numeric list indexes, and
one level of `a.(b,c).d` grouping.
"""
import re

from . import errors, protos
from .operations import ts
from .paging import page

VPC_NAME_RE = re.compile(r"^[a-zA-Z0-9][-_./a-zA-Z0-9]{1,254}$")


def require_project(st, service, parent_id, field="metadata.parent_id"):
    if not parent_id:
        raise errors.invalid(service, field, "required (the project id)")
    if st.get(parent_id, "project") is None:
        raise errors.not_found(service, parent_id, "project %s not found" % parent_id)
    return parent_id


def check_create_metadata(st, service, kind, md, vpc=False, parent_kind="project", name_required=True):
    """Validates metadata of a Create request; returns the parent record."""
    if md.id:
        raise errors.invalid(service, "metadata.id", "must not be set on Create")
    if parent_kind == "project":
        require_project(st, service, md.parent_id)
    if len(md.name.encode()) > 1024:
        raise errors.invalid(service, "metadata.name", "at most 1024 bytes")
    if vpc:
        if not VPC_NAME_RE.match(md.name):
            raise errors.invalid(service, "metadata.name",
                                 "must match ^[a-zA-Z0-9][-_./a-zA-Z0-9]{1,254}$ (got %r)" % md.name)
    elif name_required and not md.name:
        raise errors.invalid(service, "metadata.name", "required")
    if md.name:
        other = st.by_name(kind, md.parent_id, md.name)
        if other is not None:
            raise errors.already_exists(service, other.id, "%s named %r already exists in %s: %s"
                                        % (kind.replace("_", " "), md.name, md.parent_id, other.id))


def new_metadata(st, prefix, md, rid=None):
    out = protos.msg("nebius.common.v1.ResourceMetadata")()
    out.CopyFrom(md)
    out.id = rid or st.new_id(prefix)
    now = ts(st.now())
    out.created_at.CopyFrom(now)
    out.updated_at.CopyFrom(now)
    out.resource_version = 1
    return out


def touch(rec):
    rec.msg.metadata.resource_version += 1
    rec.msg.metadata.updated_at.GetCurrentTime()


def get_or_404(st, service, kind, rid, what=None):
    if not rid:
        raise errors.invalid(service, "id", "required")
    rec = st.get(rid, kind)
    if rec is None:
        raise errors.not_found(service, rid, "%s %s not found" % (what or kind.replace("_", " "), rid))
    return rec


def check_update_metadata(st, service, kind, md):
    """Resolves the record an Update names and checks parent and resource_version."""
    if not md.id:
        raise errors.invalid(service, "metadata.id", "required on Update")
    rec = get_or_404(st, service, kind, md.id)
    if md.parent_id and md.parent_id != rec.msg.metadata.parent_id:
        raise errors.invalid(service, "metadata.parent_id", "is immutable (resource is in %s)"
                             % rec.msg.metadata.parent_id)
    if md.resource_version and md.resource_version != rec.msg.metadata.resource_version:
        raise errors.version_conflict(service, rec.id, "resource_version %d is stale (current %d)"
                                      % (md.resource_version, rec.msg.metadata.resource_version))
    return rec


def update_name_and_labels(st, service, kind, rec, md, mask, vpc=False):
    if md.name and md.name != rec.msg.metadata.name:
        if vpc and not VPC_NAME_RE.match(md.name):
            raise errors.invalid(service, "metadata.name", "must match ^[a-zA-Z0-9][-_./a-zA-Z0-9]{1,254}$")
        other = st.by_name(kind, rec.msg.metadata.parent_id, md.name)
        if other is not None and other.id != rec.id:
            raise errors.already_exists(service, other.id, "name %r already used by %s" % (md.name, other.id))
        rec.msg.metadata.name = md.name
    if md.labels:
        rec.msg.metadata.ClearField("labels")
        rec.msg.metadata.labels.update(dict(md.labels))
    elif is_reset(mask, "metadata.labels"):
        rec.msg.metadata.ClearField("labels")


# --- reset mask ---------------------------------------------------------------------------------

def _split_top(text):
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [p.strip() for p in out if p.strip()]


def _expand(path):
    m = re.match(r"^(.*?)\(([^()]*)\)(.*)$", path)
    if not m:
        return [path]
    head, inner, tail = m.groups()
    res = []
    for alt in _split_top(inner):
        res.extend(_expand(head + alt + tail))
    return res


def parse_mask(mask):
    paths = []
    for part in _split_top(mask or ""):
        for p in _expand(part):
            paths.append([s for s in p.replace(" ", "").split(".") if s])
    return paths


def is_reset(mask, path):
    """True if `path` (dotted, list indexes as numbers) or one of its ancestors is in the mask."""
    want = path.split(".")
    for p in parse_mask(mask) if isinstance(mask, str) else mask:
        if len(p) <= len(want) and all(a == "*" or a == b for a, b in zip(p, want)):
            return True
    return False


# --- generic read handlers ----------------------------------------------------------------------

def get_handler(service, kind):
    def handler(st, call):
        return get_or_404(st, service, kind, call.request.id).msg
    return handler


def get_by_name_handler(service, kind):
    def handler(st, call):
        req = call.request
        if not req.parent_id:
            raise errors.invalid(service, "parent_id", "required")
        if not req.name:
            raise errors.invalid(service, "name", "required")
        rec = st.by_name(kind, req.parent_id, req.name)
        if rec is None:
            raise errors.not_found(service, req.name, "%s %r not found in %s"
                                   % (kind.replace("_", " "), req.name, req.parent_id))
        return rec.msg
    return handler


def list_handler(service, kind, resp_name, parent_field="parent_id", match=None, check_parent=None):
    """List RPC over one kind: items whose metadata.parent_id (or match(rec, value)) equals the request field."""
    def handler(st, call):
        req = call.request
        value = getattr(req, parent_field)
        if not value:
            raise errors.invalid(service, parent_field, "required")
        if check_parent is not None:
            check_parent(st, value)
        if match is None:
            items = [r.msg for r in st.of_kind(kind, lambda r: r.msg.metadata.parent_id == value)]
        else:
            items = [r.msg for r in st.of_kind(kind, lambda r: match(r, value))]
        chunk, token = page(st, items, req.page_size, req.page_token)
        resp = protos.msg(resp_name)(next_page_token=token)
        resp.items.extend(chunk)
        return resp
    return handler


def project_exists_check(service):
    def check(st, parent_id):
        if st.get(parent_id, "project") is None:
            raise errors.not_found(service, parent_id, "project %s not found" % parent_id)
    return check
