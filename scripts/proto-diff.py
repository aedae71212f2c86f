#!/usr/bin/python3
"""Compare two compiled schemas (protoc --include_imports --descriptor_set_out).

    proto-diff.py OLD.pb NEW.pb [PACKAGE_PREFIX]   (default prefix: "nebius.")

Prints one line per difference in messages, fields, enums, enum values,
services and rpcs of packages under PACKAGE_PREFIX, then a summary line.
Changes that break the wire or the gRPC contract are ERRORs:
  - a field keeps its name but gets another number (renumbered),
  - a field number keeps living but changes type, message/enum type or label,
  - an enum value keeps its name but gets another number,
  - an rpc changes its request or response type.
Exit status: 0 without errors, 3 with errors, 2 on bad input.
"""
import sys

from google.protobuf import descriptor_pb2

FDP = descriptor_pb2.FieldDescriptorProto
TYPE_NAMES = {v: k[len("TYPE_"):].lower() for k, v in FDP.Type.items()}
LABEL_NAMES = {v: k[len("LABEL_"):].lower() for k, v in FDP.Label.items()}


def load(path):
    fds = descriptor_pb2.FileDescriptorSet()
    with open(path, "rb") as f:
        fds.ParseFromString(f.read())
    return fds


def field_type(f):
    if f.type in (FDP.TYPE_MESSAGE, FDP.TYPE_ENUM):
        return f.type_name.lstrip(".")
    return TYPE_NAMES[f.type]


def field_shape(f):
    return (LABEL_NAMES[f.label], field_type(f))


def collect(fds, prefix):
    """Flatten a descriptor set into dicts keyed by full name."""
    messages, enums, services = {}, {}, {}

    def walk(scope, msgs, enum_types):
        for e in enum_types:
            enums[scope + e.name] = {v.name: v.number for v in e.value}
        for m in msgs:
            full = scope + m.name
            oneofs = [o.name for o in m.oneof_decl]
            messages[full] = {
                f.number: {
                    "name": f.name,
                    "shape": field_shape(f),
                    "oneof": oneofs[f.oneof_index] if f.HasField("oneof_index") else None,
                }
                for f in m.field
            }
            walk(full + ".", m.nested_type, m.enum_type)

    for fd in fds.file:
        if not (fd.package + ".").startswith(prefix):
            continue
        walk(fd.package + ".", fd.message_type, fd.enum_type)
        for s in fd.service:
            services[fd.package + "." + s.name] = {
                m.name: (m.input_type.lstrip("."), m.output_type.lstrip(".")) for m in s.method
            }
    return messages, enums, services


def shape_text(shape):
    label, typ = shape
    return typ if label == "optional" else "%s %s" % (label, typ)


def diff(old, new):
    """Return (lines, counts) describing old -> new."""
    lines = []
    counts = {"added": 0, "removed": 0, "changed": 0, "errors": 0}

    def emit(kind, text):
        key = {"+": "added", "-": "removed", "~": "changed", "ERROR": "errors"}[kind]
        counts[key] += 1
        lines.append(("ERROR: " if kind == "ERROR" else kind + " ") + text)

    old_msgs, old_enums, old_svcs = old
    new_msgs, new_enums, new_svcs = new

    for name in sorted(set(old_msgs) | set(new_msgs)):
        if name not in old_msgs:
            emit("+", "message %s" % name)
            for num, f in sorted(new_msgs[name].items()):
                emit("+", "field %s.%s = %d (%s)" % (name, f["name"], num, shape_text(f["shape"])))
            continue
        if name not in new_msgs:
            emit("-", "message %s" % name)
            continue
        before, after = old_msgs[name], new_msgs[name]
        before_by_name = {f["name"]: n for n, f in before.items()}
        after_by_name = {f["name"]: n for n, f in after.items()}
        renumbered = set()
        for fname, old_num in before_by_name.items():
            new_num = after_by_name.get(fname)
            if new_num is not None and new_num != old_num:
                emit("ERROR", "field %s.%s renumbered %d -> %d" % (name, fname, old_num, new_num))
                renumbered.update({old_num, new_num})
        for num in sorted(set(before) | set(after)):
            if num in renumbered:
                continue
            if num not in before:
                f = after[num]
                emit("+", "field %s.%s = %d (%s)" % (name, f["name"], num, shape_text(f["shape"])))
            elif num not in after:
                emit("-", "field %s.%s = %d" % (name, before[num]["name"], num))
            else:
                b, a = before[num], after[num]
                if b["shape"] != a["shape"]:
                    emit("ERROR", "field %s.%s = %d changed %s -> %s"
                         % (name, a["name"], num, shape_text(b["shape"]), shape_text(a["shape"])))
                if b["name"] != a["name"]:
                    emit("~", "field %s = %d renamed %s -> %s" % (name, num, b["name"], a["name"]))
                if b["oneof"] != a["oneof"]:
                    emit("~", "field %s.%s = %d oneof %s -> %s"
                         % (name, a["name"], num, b["oneof"] or "(none)", a["oneof"] or "(none)"))

    for name in sorted(set(old_enums) | set(new_enums)):
        if name not in old_enums:
            emit("+", "enum %s" % name)
            continue
        if name not in new_enums:
            emit("-", "enum %s" % name)
            continue
        before, after = old_enums[name], new_enums[name]
        for value in sorted(set(before) | set(after), key=lambda v: (after.get(v, before.get(v)), v)):
            if value not in before:
                emit("+", "enum value %s.%s = %d" % (name, value, after[value]))
            elif value not in after:
                emit("-", "enum value %s.%s = %d" % (name, value, before[value]))
            elif before[value] != after[value]:
                emit("ERROR", "enum value %s.%s renumbered %d -> %d"
                     % (name, value, before[value], after[value]))

    for name in sorted(set(old_svcs) | set(new_svcs)):
        if name not in old_svcs:
            emit("+", "service %s" % name)
        elif name not in new_svcs:
            emit("-", "service %s" % name)
            continue
        before, after = old_svcs.get(name, {}), new_svcs[name]
        for rpc in sorted(set(before) | set(after)):
            if rpc not in before:
                emit("+", "rpc %s.%s(%s) returns (%s)" % ((name, rpc) + after[rpc]))
            elif rpc not in after:
                emit("-", "rpc %s.%s" % (name, rpc))
            elif before[rpc] != after[rpc]:
                emit("ERROR", "rpc %s.%s changed (%s) returns (%s) -> (%s) returns (%s)"
                     % ((name, rpc) + before[rpc] + after[rpc]))
    return lines, counts


def main(argv):
    if len(argv) not in (3, 4):
        print("usage: proto-diff.py OLD.pb NEW.pb [PACKAGE_PREFIX]", file=sys.stderr)
        return 2
    prefix = argv[3] if len(argv) == 4 else "nebius."
    try:
        old = collect(load(argv[1]), prefix)
        new = collect(load(argv[2]), prefix)
    except Exception as e:  # a truncated or foreign file: report, don't trace back
        print("proto-diff: cannot read descriptor sets: %s" % e, file=sys.stderr)
        return 2
    lines, counts = diff(old, new)
    for line in lines:
        print("  " + line)
    print("schema diff: %(added)d added, %(removed)d removed, %(changed)d changed, %(errors)d errors"
          % counts)
    return 3 if counts["errors"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
