"""Loads the protoc --python_out classes from build/py and looks them up by full name.

build/py/google/rpc/status_pb2.py shares the top-level `google` package with
python3-protobuf. Both are implicit namespace packages on Debian, so putting
build/py on sys.path makes Python merge them; if some other `google` package
was imported first with a fixed __path__, we extend that path explicitly.
"""
import importlib
import os
import sys

from google.protobuf import descriptor_pool, symbol_database

_loaded = False
_services = []


def load(pydir):
    """Imports every *_pb2.py under pydir so all messages and services are registered."""
    global _loaded
    if _loaded:
        return
    pydir = os.path.abspath(pydir)
    if not os.path.isdir(pydir):
        raise RuntimeError("python proto dir %s missing (run `make pyproto`)" % pydir)
    if pydir not in sys.path:
        sys.path.insert(0, pydir)
    # Top-level packages of the generated code may already exist: `google` (python3-protobuf,
    # a namespace package) and `nebiussim` (this simulator, a regular package whose name the
    # admin proto package nebiussim.v1 shares). Extending their __path__ merges the trees.
    for top in os.listdir(pydir):
        extra = os.path.join(pydir, top)
        if not os.path.isdir(extra):
            continue
        pkg = sys.modules.get(top)
        if pkg is None:
            try:
                pkg = importlib.import_module(top)
            except ImportError:
                continue
        path = getattr(pkg, "__path__", None)
        if path is not None and extra not in list(path):
            try:
                path.append(extra)
            except AttributeError:  # a _NamespacePath without append recomputes from sys.path itself
                pass
    modules = []
    for root, _dirs, files in os.walk(pydir):
        for name in files:
            if name.endswith("_pb2.py"):
                rel = os.path.relpath(os.path.join(root, name[:-3]), pydir)
                modules.append(rel.replace(os.sep, "."))
    # Dependencies are imported by the generated modules themselves; sorting only makes errors reproducible.
    for mod in sorted(modules):
        m = importlib.import_module(mod)
        _services.extend(m.DESCRIPTOR.services_by_name.values())
    _loaded = True


def msg(full_name):
    """Message class for a fully-qualified proto name, e.g. 'nebius.compute.v1.Instance'."""
    return symbol_database.Default().GetSymbol(full_name)


def services():
    """Every service declared in the loaded .proto files."""
    return list(_services)


def pool():
    return descriptor_pool.Default()


def service(full_name):
    return descriptor_pool.Default().FindServiceByName(full_name)


def enum_value(enum_full_name, value_name):
    return descriptor_pool.Default().FindEnumTypeByName(enum_full_name).values_by_name[value_name].number
