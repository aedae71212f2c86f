"""Base of the CLI tests: one nebius-sim per test class, the built CLI
(build/brev-nebius) run as a subprocess with a clean environment."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import simadmin

CLI = simadmin.CLI
PROJECT = simadmin.PROJECT
CPU_TYPE = "cpu-d3.2vcpu-8gb"
# A public key (no secret): made once with ssh-keygen -t ed25519.
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBA0ga+q3V9ih9C9haEYN55PbtpUidzqf1V8DFFttiIG test@cli"
NEBIUS_VARS = ("NEBIUS_IAM_TOKEN", "NEBIUS_SERVICE_ACCOUNT_JSON", "NEBIUS_SERVICE_ACCOUNT_CREDENTIALS_FILE",
               "NEBIUS_PROJECT_ID", "NEBIUS_TENANT_ID", "NEBIUS_REGION", "NEBIUS_ENDPOINT", "NEBIUS_DOMAIN",
               "NEBIUS_CA_FILE", "NEBIUS_CONFIG")


def clean_env(home, **extra):
    """The caller's environment without NEBIUS_*, HOME pointing at an empty directory."""
    env = {k: v for k, v in os.environ.items() if k not in NEBIUS_VARS}
    env["HOME"] = home
    # The CLI is not built with ASan, but keep any inherited sanitizer options harmless.
    env.update(extra)
    return env


class CliResult:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "exit %d\nstdout: %s\nstderr: %s" % (self.rc, self.out, self.err)


class CliTestCase(unittest.TestCase):
    """Starts a sim for the class; self.cli(...) runs the CLI against it."""
    sim_args = {}

    @classmethod
    def setUpClass(cls):
        if not os.access(CLI, os.X_OK):
            raise unittest.SkipTest("%s not built (make cli)" % CLI)
        cls.sim = simadmin.Sim(**cls.sim_args)
        cls.home = tempfile.mkdtemp(prefix="brev-cli-home-")

    @classmethod
    def tearDownClass(cls):
        cls.sim.close()
        shutil.rmtree(cls.home, ignore_errors=True)
        shutil.rmtree(cls.sim.tmp, ignore_errors=True)

    def connection_flags(self, credentials=None, project=PROJECT):
        flags = ["--endpoint", self.sim.endpoint, "--ca-file", self.sim.ca_file,
                 "--credentials", credentials or self.sim.key_file, "--poll-interval", "50"]
        if project:
            flags += ["--project", project]
        return flags

    def run_cli(self, args, env=None, timeout=60, stdin=None):
        proc = subprocess.run([CLI] + list(args), capture_output=True, text=True, timeout=timeout,
                              env=env if env is not None else clean_env(self.home), stdin=stdin or subprocess.DEVNULL)
        return CliResult(proc)

    def cli(self, *args, expect=0, env=None, **conn):
        """Runs the CLI with the sim's connection flags; asserts the exit code."""
        r = self.run_cli(list(args) + self.connection_flags(**conn), env=env)
        if expect is not None:
            self.assertEqual(r.rc, expect, r)
        return r

    def cli_json(self, *args, **kw):
        r = self.cli("--json", *args, **kw)
        return r.json()

    def ssh_key_file(self):
        path = os.path.join(self.sim.tmp, "id.pub")
        if not os.path.exists(path):
            with open(path, "w") as fh:
                fh.write(SSH_KEY + "\n")
        return path

    def create(self, name, *extra, cluster=None, expect=0, **conn):
        args = ["instance", "create", "--name", name, "--type", CPU_TYPE, "--ssh-key", self.ssh_key_file()]
        if cluster:
            args += ["--cluster", cluster]
        return self.cli("--json", *args, *extra, expect=expect, **conn)

    def instances(self):
        return self.sim.admin.resources("instance")
