"""--help, --version, usage errors (exit 2), and what needs no simulator."""
import os
import shutil
import subprocess
import tempfile
import unittest

from clitest import CLI, clean_env

COMMANDS = [
    ["auth", "check"], ["instance", "create"], ["instance", "list"], ["instance", "get"], ["instance", "stop"],
    ["instance", "start"], ["instance", "reboot"], ["instance", "terminate"], ["instance", "wait"],
    ["instance-types"], ["images"], ["regions"], ["firewall", "add"], ["firewall", "list"], ["firewall", "revoke"],
    ["cluster", "list"], ["cluster", "delete"], ["policy", "check"], ["config", "show"],
]


@unittest.skipUnless(os.access(CLI, os.X_OK), "brev-nebius not built (make cli)")
class UsageTest(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="brev-cli-home-")

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def run_cli(self, *args):
        return subprocess.run([CLI] + list(args), capture_output=True, text=True, timeout=30,
                              env=clean_env(self.home), stdin=subprocess.DEVNULL)

    def test_version(self):
        r = self.run_cli("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^brev-nebius \d+\.\d+\.\d+\n$")
        self.assertEqual(r.stderr, "")

    def test_tool_help_lists_every_command_and_exit_codes(self):
        r = self.run_cli("--help")
        self.assertEqual(r.returncode, 0)
        for cmd in COMMANDS:
            self.assertIn(" ".join(cmd), r.stdout)
        self.assertIn("Exit codes", r.stdout)
        self.assertEqual(self.run_cli("-h").stdout, r.stdout)

    def test_every_command_has_help(self):
        for cmd in COMMANDS:
            with self.subTest(cmd=cmd):
                r = self.run_cli(*cmd, "--help")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertIn("Usage: brev-nebius %s" % " ".join(cmd), r.stdout)
                self.assertIn("--json", r.stdout)

    def test_create_help_names_its_flags(self):
        out = self.run_cli("instance", "create", "--help").stdout
        for flag in ("--name", "--ref-id", "--type", "--image-id", "--image-family", "--disk-gib", "--disk-type",
                     "--ssh-key", "--cluster", "--public-ip", "--label", "--user-data", "--host-firewall",
                     "--no-wait", "--timeout"):
            self.assertIn(flag, out)

    def test_group_help(self):
        r = self.run_cli("instance", "--help")
        self.assertEqual(r.returncode, 0)
        for sub in ("create", "list", "get", "stop", "start", "reboot", "terminate", "wait"):
            self.assertIn(sub, r.stdout)

    def assertUsage(self, r, fragment):
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertIn(fragment, r.stderr)
        self.assertTrue(r.stderr.startswith("brev-nebius: ") or "Usage:" in r.stderr, r.stderr)

    def test_usage_errors_exit_2(self):
        self.assertUsage(self.run_cli(), "Usage:")
        self.assertUsage(self.run_cli("frobnicate"), "unknown command 'frobnicate'")
        self.assertUsage(self.run_cli("instance"), "Usage: brev-nebius instance SUBCOMMAND")
        self.assertUsage(self.run_cli("instance", "explode"), "unknown command 'instance explode'")
        self.assertUsage(self.run_cli("instance", "list", "--bogus"), "unknown option --bogus")
        self.assertUsage(self.run_cli("instance", "get"), "missing argument")
        self.assertUsage(self.run_cli("instance", "get", "a", "b"), "unexpected argument 'b'")
        self.assertUsage(self.run_cli("instance", "list", "--cluster"), "--cluster needs a value")
        self.assertUsage(self.run_cli("instance", "list", "--managed=yes"), "takes no value")
        self.assertUsage(self.run_cli("instance", "create", "--type", "x"), "--name is required")
        self.assertUsage(self.run_cli("instance", "create", "--name", "x"), "--type is required")
        self.assertUsage(self.run_cli("instance", "create", "--name", "x", "--type", "t", "--image-id", "a",
                                      "--image-family", "b"), "not both")
        self.assertUsage(self.run_cli("instance", "create", "--name", "x", "--type", "t", "--disk-gib", "ten"),
                         "--disk-gib ten")
        self.assertUsage(self.run_cli("instance", "create", "--name", "x", "--type", "t", "--timeout", "-1"),
                         "--timeout -1")
        self.assertUsage(self.run_cli("instance", "create", "--name", "x", "--type", "t", "--ssh-key",
                                      "/nonexistent/key.pub"), "--ssh-key /nonexistent/key.pub")
        self.assertUsage(self.run_cli("instance", "create", "--name", "x", "--type", "t", "--label", "novalue"),
                         "KEY=VALUE")
        self.assertUsage(self.run_cli("instance", "wait", "x", "--status", "dancing"), "--status dancing")
        self.assertUsage(self.run_cli("firewall", "add", "--ports", "22"), "--cluster is required")
        self.assertUsage(self.run_cli("firewall", "add", "--cluster", "c"), "--ports is required")
        for bad in ("0", "65536", "22-21", "x", "22-", "1-2-3"):
            self.assertUsage(self.run_cli("firewall", "add", "--cluster", "c", "--ports", bad), "--ports " + bad)
        self.assertUsage(self.run_cli("firewall", "add", "--cluster", "c", "--ports", "22", "--protocol", "sctp"),
                         "--protocol sctp")
        self.assertUsage(self.run_cli("policy", "check"), "--cluster is required")
        self.assertUsage(self.run_cli("instance", "terminate"), "--cluster ID")
        self.assertUsage(self.run_cli("images", "--latest"), "--latest needs --family")
        self.assertUsage(self.run_cli("instance-types", "--gpu", "--cpu"), "exclude each other")
        self.assertUsage(self.run_cli("regions", "--poll-interval", "0", "--credentials", "/x"), "--poll-interval 0")

    def test_missing_credentials_is_an_auth_error(self):
        r = self.run_cli("auth", "check", "--endpoint", "localhost:1", "--credentials", "/nonexistent/sa.json")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("/nonexistent/sa.json", r.stderr)
        self.assertTrue(r.stderr.startswith("brev-nebius: "))

    def test_no_credentials_at_all_is_an_auth_error(self):
        r = self.run_cli("auth", "check", "--endpoint", "localhost:1")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertTrue(r.stderr.startswith("brev-nebius: "))


if __name__ == "__main__":
    unittest.main()
