"""Waiting as people and programs see it: a progress line on a terminal, silence
otherwise (or with --quiet), and Ctrl-C that stops the wait, names what exists
and exits 7."""
import json
import os
import pty
import signal
import subprocess
import threading
import time

import simadmin
from clitest import CLI, CPU_TYPE, CliTestCase, clean_env


class PtyReader:
    """Collects everything written to the slave side of a pseudo-terminal."""

    def __init__(self):
        self.master, self.slave = pty.openpty()
        self.chunks = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return
            if not data:
                return
            self.chunks.append(data)

    def text(self):
        return b"".join(self.chunks).decode(errors="replace")

    def close(self):
        os.close(self.slave)
        self.thread.join(5)
        os.close(self.master)


class ProgressTest(CliTestCase):
    sim_args = {"op_delay": "0.5", "state_delay": "0.5"}

    def create_args(self, name, *extra):
        return ["instance", "create", "--name", name, "--type", CPU_TYPE, "--ssh-key", self.ssh_key_file()] + \
            list(extra) + self.connection_flags()

    def run_on_tty(self, args):
        reader = PtyReader()
        try:
            proc = subprocess.run([CLI] + args, stdout=subprocess.PIPE, stderr=reader.slave, text=True,
                                  env=clean_env(self.home), stdin=subprocess.DEVNULL, timeout=60)
        finally:
            time.sleep(0.1)
            reader.close()
        return proc, reader.text()

    def test_progress_line_on_a_terminal(self):
        proc, err = self.run_on_tty(self.create_args("tty-1"))
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("\r\x1b[K", err)          # updated in place
        self.assertRegex(err, r"\(\d+s\)")      # elapsed seconds
        self.assertTrue(err.endswith("\r\x1b[K"), repr(err[-200:]))  # and cleared at the end
        self.assertIn("tty-1", proc.stdout)
        self.cli("instance", "terminate", "tty-1")

    def test_quiet_on_a_terminal_with_quiet(self):
        proc, err = self.run_on_tty(self.create_args("tty-2", "--quiet"))
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(err, "")
        self.cli("instance", "terminate", "tty-2", "--quiet")

    def test_quiet_when_not_a_terminal(self):
        r = self.run_cli(self.create_args("pipe-1"))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, "")
        r = self.run_cli(["--json", "instance", "terminate", "pipe-1"] + self.connection_flags())
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, "")
        self.assertEqual(r.json()[0]["status"], "terminated")

    def test_ctrl_c_while_creating_exits_7_and_names_what_exists(self):
        proc = subprocess.Popen([CLI] + self.create_args("cancel-1"), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=clean_env(self.home),
                                stdin=subprocess.DEVNULL)
        # Interrupt once the create is under way (the boot disk or the instance exists).
        seen_disks = set()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            disks = self.boot_disks("cancel-1")
            seen_disks.update(disks)
            names = [r["metadata"]["name"] for r in self.instances().values()]
            if disks or any(n.startswith("cancel-1") for n in names):
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 7, err)
        self.assertEqual(out, "")
        self.assertTrue(err.startswith("brev-nebius: "), err)
        # The boot disk is made first, so the create was interrupted with one: whether it was deleted or is
        # left, the message names it, and every disk still there is named with it.
        self.assertTrue(seen_disks, "the create was interrupted before its boot disk existed")
        left_disks = self.boot_disks("cancel-1")
        for disk in seen_disks | set(left_disks):
            self.assertIn(disk, err)
        for disk in left_disks:  # no CLI command deletes a bare disk: clean up through the sim
            self.sim.admin.mutate(resource_id=disk, delete=True)
        left = [i for i in self.instances().values() if i["metadata"]["name"] == "cancel-1"]
        for inst in left:  # whatever was left is named, with the way to remove it
            self.assertIn(inst["metadata"]["id"], err)
            self.cli("instance", "terminate", inst["metadata"]["id"])
        if not left:
            self.assertIn("no instance named cancel-1 exists", err)
        # The cluster's security group, if it is still there, is named too.
        groups = self.cluster_groups("cancel-1")
        for group in groups:
            self.assertIn(group["metadata"]["id"], err)
            self.cli("cluster", "delete", "cancel-1")

    def test_ctrl_c_while_the_cluster_group_is_made_names_the_group(self):
        proc = subprocess.Popen([CLI] + self.create_args("cancel-2", "--cluster", "cancel-grp"),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=clean_env(self.home), stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not self.cluster_groups("cancel-grp"):
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 7, err)
        self.assertEqual(out, "")
        groups = self.cluster_groups("cancel-grp")
        for group in groups:
            self.assertIn(group["metadata"]["id"], err)
            self.assertIn("brev-nebius cluster delete cancel-grp", err)
        if groups:
            self.cli("cluster", "delete", "cancel-grp")
        self.assertEqual(self.cluster_groups("cancel-grp"), [])
        self.assertEqual([i for i in self.instances().values() if i["metadata"]["name"] == "cancel-2"], [])

    def boot_disks(self, name):
        """Ids of the disks the create of instance `name` makes (named "<name>-boot")."""
        return [rid for rid, d in self.sim.admin.resources("disk").items()
                if d["metadata"]["name"] == name + "-boot"]

    def cluster_groups(self, cluster):
        return [g for g in self.sim.admin.resources("security_group").values()
                if g["metadata"].get("labels", {}).get("brev-cluster-id") == cluster]

    def test_ctrl_c_during_a_read_only_command_ends_it_at_once(self):
        # Nothing to clean up: Ctrl-C ends the process the usual way (killed by SIGINT).
        self.sim.admin.inject_fault(method="/nebius.compute.v1.InstanceService/List", latency_ms=5000, count=1)
        proc = subprocess.Popen([CLI, "instance", "list"] + self.connection_flags(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=clean_env(self.home),
                                stdin=subprocess.DEVNULL)
        time.sleep(1.0)  # the call is held 5 s by the fault; whenever the signal lands, it must end the CLI
        proc.send_signal(signal.SIGINT)
        out, _err = proc.communicate(timeout=30)
        self.sim.admin.call("ClearFaults", simadmin.admin_pb2.ClearFaultsRequest())
        self.assertEqual(proc.returncode, -signal.SIGINT)
        self.assertEqual(out, "")

    def test_wait_for_a_missing_instance_is_not_found(self):
        proc = subprocess.Popen([CLI, "instance", "wait", "no-such-thing", "--status", "running"]
                                + self.connection_flags(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=clean_env(self.home), stdin=subprocess.DEVNULL)
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 4, err)
        self.assertEqual(out, "")


class LateCtrlCTest(CliTestCase):
    """Ctrl-C that lands while the library sleeps before an operation's last
    poll: the next report is that operation's "done", which cannot stop it.
    The cancel must not be used up there: the next operation is not sent, or,
    when nothing follows, the command still exits 7 and names what exists.
    Operations take 1 s and are polled every 2 s, so a Ctrl-C sent just after
    an operation starts is always answered by its "done" report."""
    sim_args = {"op_delay": "1", "state_delay": "0.5"}

    def slow_poll_flags(self):
        flags = self.connection_flags()
        flags[flags.index("--poll-interval") + 1] = "2000"
        return flags

    def group_of(self, cluster):
        groups = [g for g in self.sim.admin.resources("security_group").values()
                  if g["metadata"].get("labels", {}).get("brev-cluster-id") == cluster]
        self.assertEqual(len(groups), 1, groups)
        return groups[0]["metadata"]["id"]

    def firewall_rules(self, group, ports):
        return [r for r in self.sim.admin.resources("security_rule").values()
                if r["metadata"]["parent_id"] == group
                and r["metadata"].get("labels", {}).get("brev-firewall-ports") == ports]

    def requests(self, method, clear=False):
        reply = self.sim.admin.call("GetRequests",
                                    simadmin.admin_pb2.GetRequestsRequest(method_filter=method, clear=clear))
        return json.loads(reply.json)["requests"]

    def interrupt_when(self, args, ready, settle=0.3):
        """Runs the CLI with stderr on a terminal, sends SIGINT `settle` s after ready() is true."""
        reader = PtyReader()
        try:
            proc = subprocess.Popen([CLI] + args, stdout=subprocess.PIPE, stderr=reader.slave, text=True,
                                    env=clean_env(self.home), stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not ready():
                time.sleep(0.02)
            self.assertTrue(ready(), "the command never reached the point to interrupt")
            time.sleep(settle)
            proc.send_signal(signal.SIGINT)
            out, _ = proc.communicate(timeout=60)
        finally:
            time.sleep(0.1)
            reader.close()
        return proc.returncode, out, reader.text()

    def test_ctrl_c_in_the_last_poll_of_firewall_add_exits_7_and_names_the_rule(self):
        self.cli("firewall", "add", "--cluster", "late-fw", "--ports", "80", "--protocol", "tcp")
        group = self.group_of("late-fw")
        rc, out, err = self.interrupt_when(
            ["--json", "firewall", "add", "--cluster", "late-fw", "--ports", "22", "--protocol", "tcp",
             "--cidr", "203.0.113.0/24"] + self.slow_poll_flags(),
            lambda: self.firewall_rules(group, "22"))
        self.assertEqual(rc, 7, err)
        # Too late to stop: the rule is in place, and the user is told so and how to undo it.
        rules = self.firewall_rules(group, "22")
        self.assertEqual(len(rules), 1, rules)
        fw_id = rules[0]["metadata"]["labels"]["brev-firewall-id"]
        self.assertIn("cancelled too late", err)
        self.assertIn("brev-nebius firewall revoke --cluster late-fw %s" % fw_id, err)
        self.assertIn(group, err)
        self.assertEqual(json.loads(out)["id"], fw_id)  # the output describes what exists
        self.cli("firewall", "revoke", "--cluster", "late-fw", fw_id)

    def test_ctrl_c_between_the_operations_of_firewall_add_sends_no_more(self):
        self.cli("firewall", "add", "--cluster", "mid-fw", "--ports", "80", "--protocol", "tcp")
        group = self.group_of("mid-fw")
        self.requests("", clear=True)  # count only what the interrupted command sends
        # tcp+udp is two security rules: Ctrl-C during the first one's wait.
        rc, out, err = self.interrupt_when(
            ["firewall", "add", "--cluster", "mid-fw", "--ports", "22", "--cidr", "203.0.113.0/24"]
            + self.slow_poll_flags(),
            lambda: self.firewall_rules(group, "22"))
        self.assertEqual(rc, 7, err)
        self.assertEqual(out, "")
        self.assertIn("cancelled before it was sent", err)
        # The second rule was never sent, the first was taken back: nothing of the rule is left, and the
        # message says so and names the cluster's group, which stays.
        self.assertEqual(self.firewall_rules(group, "22"), [])
        creates = self.requests("SecurityRuleService/Create")
        self.assertEqual(len(creates), 1, creates)  # the first rule for port 22 only
        self.assertIn("nothing of it was left", err)
        self.assertIn(group, err)

    def test_ctrl_c_in_the_last_poll_of_cluster_delete_exits_7(self):
        self.cli("firewall", "add", "--cluster", "late-del", "--ports", "80", "--protocol", "tcp")
        group = self.group_of("late-del")
        self.requests("", clear=True)
        rc, out, err = self.interrupt_when(
            ["cluster", "delete", "late-del"] + self.slow_poll_flags(),
            lambda: self.requests("SecurityGroupService/Delete"))
        self.assertEqual(rc, 7, err)
        self.assertIn("deleted cluster late-del", out)
        self.assertIn("cancelled too late", err)
        self.assertIn("nothing of it is left", err)
        self.assertNotIn(group, self.sim.admin.resources("security_group"))
