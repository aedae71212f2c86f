"""Configuration: the Nebius CLI profile file, the NEBIUS_* environment and the
flags, with the precedence flags > env > file — checked both by `config show`
and by where an instance really lands in the simulator."""
import json
import os
import tempfile

from clitest import CPU_TYPE, PROJECT, CliTestCase, clean_env

WRONG_PROJECT = "project-wrong00000000000"


def read(path):
    with open(path) as fh:
        return fh.read()


class ConfigTest(CliTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="brev-cli-config-", dir=self.sim.tmp)

    def write_config(self, text, name="config.yaml"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as fh:
            fh.write(text)
        return path

    def profile(self, name="sim", project=PROJECT, endpoint=None, extra=""):
        return ("  %s:\n    endpoint: %s\n    parent-id: %s\n    service-account-file: %s\n    ca-file: %s\n%s"
                % (name, endpoint or self.sim.endpoint, project, self.sim.key_file, self.sim.ca_file, extra))

    def env(self, **extra):
        return clean_env(self.home, **extra)

    def show(self, *args, env=None):
        r = self.run_cli(["--json", "config", "show"] + list(args), env=env or self.env())
        self.assertEqual(r.rc, 0, r)
        return r.json()

    def create_with(self, name, args, env):
        return self.run_cli(["--json", "instance", "create", "--name", name, "--type", CPU_TYPE, "--ssh-key",
                             self.ssh_key_file(), "--poll-interval", "50"] + list(args), env=env)

    def landed(self, name):
        """Projects of the sim's instances with that name."""
        return [i["metadata"]["parent_id"] for i in self.instances().values() if i["metadata"]["name"] == name]

    def terminate(self, result):
        if result.rc == 0:
            self.cli("instance", "terminate", result.json()["id"])

    # --- the file -----------------------------------------------------------

    def test_profile_file_alone_drives_a_lifecycle(self):
        path = self.write_config("default: sim\nprofiles:\n" + self.profile())
        env = self.env(NEBIUS_CONFIG=path)
        r = self.run_cli(["--json", "auth", "check"], env=env)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json()["subject"], "serviceaccount-sim0000000001")
        c = self.create_with("from-file", [], env)
        self.assertEqual(c.rc, 0, c)
        self.assertEqual(self.landed("from-file"), [PROJECT])
        self.terminate(c)

    def test_default_location_is_home_dot_nebius(self):
        home = tempfile.mkdtemp(prefix="home-", dir=self.dir)
        os.makedirs(os.path.join(home, ".nebius"))
        with open(os.path.join(home, ".nebius", "config.yaml"), "w") as fh:
            fh.write("default: sim\nprofiles:\n" + self.profile())
        d = self.show(env=clean_env(home))
        self.assertEqual(d["config_file"], os.path.join(home, ".nebius", "config.yaml"))
        self.assertTrue(d["config_file_present"])
        self.assertEqual(d["project"]["value"], PROJECT)
        r = self.run_cli(["auth", "check"], env=clean_env(home))
        self.assertEqual(r.rc, 0, r)

    def test_profile_selection(self):
        path = self.write_config("default: b\nprofiles:\n" + self.profile("a", project="project-aaaa")
                                 + self.profile("b", project="project-bbbb"))
        self.assertEqual(self.show("--config", path)["profile"], "b")
        self.assertEqual(self.show("--config", path)["project"]["value"], "project-bbbb")
        self.assertEqual(self.show("--config", path, "--profile", "a")["project"]["value"], "project-aaaa")
        r = self.run_cli(["config", "show", "--config", path, "--profile", "zz"], env=self.env())
        self.assertEqual(r.rc, 3, r)
        self.assertIn("no profile 'zz' (profiles: a, b)", r.err)

    def test_single_profile_without_default_is_used(self):
        path = self.write_config("profiles:\n" + self.profile("only"))
        self.assertEqual(self.show("--config", path)["profile"], "only")

    def test_several_profiles_without_default_need_a_choice(self):
        path = self.write_config("profiles:\n" + self.profile("a") + self.profile("b"))
        r = self.run_cli(["config", "show", "--config", path], env=self.env())
        self.assertEqual(r.rc, 3, r)
        self.assertIn("--profile", r.err)
        self.assertEqual(self.show("--config", path, "--profile", "b")["profile"], "b")

    def test_bad_files_are_config_errors(self):
        cases = {
            "profiles: [unclosed\n": "not valid YAML",
            "- a\n- b\n": "expected a mapping",
            "profiles:\n  - x\n": "'profiles' must be a mapping",
            "default: p\nprofiles:\n  p: just-a-string\n": "must be a mapping of keys",
            "default: p\nprofiles:\n  p:\n    parent-id: [a, b]\n": "key 'parent-id' must be a plain value",
        }
        for text, message in cases.items():
            with self.subTest(text=text):
                path = self.write_config(text, "bad.yaml")
                r = self.run_cli(["config", "show", "--config", path], env=self.env())
                self.assertEqual(r.rc, 3, r)
                self.assertIn(message, r.err)
                self.assertTrue(r.err.startswith("brev-nebius: "))

    def test_explicit_missing_file_is_an_error_but_a_missing_default_is_not(self):
        r = self.run_cli(["config", "show", "--config", os.path.join(self.dir, "absent.yaml")], env=self.env())
        self.assertEqual(r.rc, 3, r)
        self.assertIn("does not exist", r.err)
        d = self.show()
        self.assertFalse(d["config_file_present"])
        r = self.run_cli(["config", "show", "--profile", "x"], env=self.env())
        self.assertEqual(r.rc, 3, r)

    def test_relative_paths_resolve_against_the_file(self):
        with open(self.sim.key_file) as src, open(os.path.join(self.dir, "key.json"), "w") as dst:
            dst.write(src.read())
        path = self.write_config("default: p\nprofiles:\n  p:\n    endpoint: %s\n    parent-id: %s\n"
                                 "    credentials-file: key.json\n    ca-file: %s\n"
                                 % (self.sim.endpoint, PROJECT, self.sim.ca_file))
        d = self.show("--config", path)
        self.assertEqual(d["credentials"]["value"], os.path.join(self.dir, "key.json"))
        r = self.run_cli(["auth", "check", "--config", path], env=self.env())
        self.assertEqual(r.rc, 0, r)

    def test_key_file_form_of_the_nebius_cli(self):
        with open(self.sim.key_file) as fh:
            sc = json.load(fh)["subject-credentials"]
        pem = os.path.join(self.dir, "private.pem")
        with open(pem, "w") as fh:
            fh.write(sc["private-key"])
        path = self.write_config(
            "default: p\nprofiles:\n  p:\n    endpoint: %s\n    auth-type: service account\n"
            "    service-account-id: %s\n    public-key-id: %s\n    private-key-file-path: %s\n"
            "    parent-id: %s\n    ca-file: %s\n" % (self.sim.endpoint, sc["sub"], sc["kid"], pem, PROJECT,
                                                     self.sim.ca_file))
        r = self.run_cli(["--json", "auth", "check", "--config", path], env=self.env())
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json()["subject"], sc["sub"])
        d = self.show("--config", path)
        # The CLI hands the key file to the library, which alone reads it.
        self.assertEqual(d["credentials"]["kind"], "private key file")
        self.assertEqual(d["credentials"]["value"], pem)
        self.assertNotIn("PRIVATE", json.dumps(d))
        # key-id is accepted for public-key-id; a missing id is a config error.
        path2 = self.write_config(read(path).replace("public-key-id", "key-id"), "alt.yaml")
        self.assertEqual(self.run_cli(["auth", "check", "--config", path2], env=self.env()).rc, 0)
        path3 = self.write_config(read(path).replace("    public-key-id: %s\n" % sc["kid"], ""), "x.yaml")
        r = self.run_cli(["auth", "check", "--config", path3], env=self.env())
        self.assertEqual(r.rc, 3, r)
        self.assertIn("public-key-id", r.err)

    def test_federation_profile_asks_for_a_token(self):
        path = self.write_config("default: fed\nprofiles:\n  fed:\n    endpoint: %s\n    auth-type: federation\n"
                                 "    parent-id: %s\n    ca-file: %s\n" % (self.sim.endpoint, PROJECT, self.sim.ca_file))
        r = self.run_cli(["auth", "check", "--config", path], env=self.env())
        self.assertEqual(r.rc, 3, r)
        self.assertIn("NEBIUS_IAM_TOKEN", r.err)
        token = self.cli_json("auth", "check", "--show-token")["token"]
        r = self.run_cli(["auth", "check", "--config", path], env=self.env(NEBIUS_IAM_TOKEN=token))
        self.assertEqual(r.rc, 0, r)

    def test_domain_form_of_the_endpoint(self):
        path = self.write_config("default: p\nprofiles:\n  p:\n    endpoint: api.nebius.cloud\n")
        d = self.show("--config", path)
        self.assertEqual(d["domain"]["value"], "api.nebius.cloud:443")
        self.assertIsNone(d["endpoint"]["value"])

    # --- precedence ---------------------------------------------------------

    def test_precedence_in_config_show(self):
        path = self.write_config("default: sim\nprofiles:\n" + self.profile(
            extra="    tenant-id: tenant-file\n    region: eu-west1\n"))
        base = self.show("--config", path)
        for key in ("project", "tenant", "region", "endpoint", "ca-file", "credentials"):
            self.assertEqual(base[key]["source"], "file", key)
        env = self.env(NEBIUS_PROJECT_ID="project-env", NEBIUS_TENANT_ID="tenant-env", NEBIUS_REGION="eu-west2",
                       NEBIUS_ENDPOINT="localhost:2", NEBIUS_CA_FILE="/env/ca.pem",
                       NEBIUS_SERVICE_ACCOUNT_JSON="/env/sa.json")
        mid = self.show("--config", path, env=env)
        expect_env = {"project": "project-env", "tenant": "tenant-env", "region": "eu-west2",
                      "endpoint": "localhost:2", "ca-file": "/env/ca.pem", "credentials": "/env/sa.json"}
        for key, value in expect_env.items():
            self.assertEqual((mid[key]["source"], mid[key]["value"]), ("env", value), key)
        top = self.show("--config", path, "--project", "project-flag", "--tenant", "tenant-flag", "--region",
                        "us-east1", "--endpoint", "localhost:3", "--ca-file", "/flag/ca.pem", "--credentials",
                        "/flag/sa.json", env=env)
        expect_flag = {"project": "project-flag", "tenant": "tenant-flag", "region": "us-east1",
                       "endpoint": "localhost:3", "ca-file": "/flag/ca.pem", "credentials": "/flag/sa.json"}
        for key, value in expect_flag.items():
            self.assertEqual((top[key]["source"], top[key]["value"]), ("flag", value), key)

    def test_env_domain_overrides_file_endpoint_as_a_whole(self):
        path = self.write_config("default: sim\nprofiles:\n" + self.profile())
        d = self.show("--config", path, env=self.env(NEBIUS_DOMAIN="example.test:443"))
        self.assertEqual(d["domain"]["value"], "example.test:443")
        self.assertIsNone(d["endpoint"]["value"])

    def test_project_precedence_decides_where_the_instance_lands(self):
        # The file names a wrong project; the environment overrides it.
        path = self.write_config("default: sim\nprofiles:\n" + self.profile(project=WRONG_PROJECT))
        env = self.env(NEBIUS_CONFIG=path, NEBIUS_PROJECT_ID=PROJECT)
        c = self.create_with("prec-env", [], env)
        self.assertEqual(c.rc, 0, c)
        self.assertEqual(c.json()["project_id"], PROJECT)
        self.assertEqual(self.landed("prec-env"), [PROJECT])
        self.terminate(c)

        # The environment names a wrong project; the flag overrides it.
        env = self.env(NEBIUS_CONFIG=path, NEBIUS_PROJECT_ID=WRONG_PROJECT)
        c = self.create_with("prec-flag", ["--project", PROJECT], env)
        self.assertEqual(c.rc, 0, c)
        self.assertEqual(self.landed("prec-flag"), [PROJECT])
        self.terminate(c)

        # And the other way round: a wrong env beats a right file, a wrong flag beats a right env.
        good = self.write_config("default: sim\nprofiles:\n" + self.profile(), "good.yaml")
        c = self.create_with("prec-bad-env", [], self.env(NEBIUS_CONFIG=good, NEBIUS_PROJECT_ID=WRONG_PROJECT))
        self.assertNotEqual(c.rc, 0, c)
        self.assertIn(WRONG_PROJECT, c.err)
        c = self.create_with("prec-bad-flag", ["--project", WRONG_PROJECT],
                             self.env(NEBIUS_CONFIG=good, NEBIUS_PROJECT_ID=PROJECT))
        self.assertNotEqual(c.rc, 0, c)
        self.assertEqual(self.landed("prec-bad-env") + self.landed("prec-bad-flag"), [])

    def test_credentials_precedence(self):
        token = self.cli_json("auth", "check", "--show-token")["token"]
        path = self.write_config("default: sim\nprofiles:\n" + self.profile())
        # A ready token from the environment beats the file's key: no subject.
        r = self.run_cli(["--json", "auth", "check"], env=self.env(NEBIUS_CONFIG=path, NEBIUS_IAM_TOKEN=token))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json()["subject"], "")
        # A broken token in the environment loses to --credentials.
        r = self.run_cli(["--json", "auth", "check", "--credentials", self.sim.key_file],
                         env=self.env(NEBIUS_CONFIG=path, NEBIUS_IAM_TOKEN="not-a-token"))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json()["subject"], "serviceaccount-sim0000000001")
        r = self.run_cli(["instance", "list"], env=self.env(NEBIUS_CONFIG=path, NEBIUS_IAM_TOKEN="not-a-token"))
        self.assertEqual(r.rc, 3, r)
        # NEBIUS_SERVICE_ACCOUNT_JSON: a path, or the JSON itself.
        with open(self.sim.key_file) as fh:
            text = fh.read()
        for value in (self.sim.key_file, text):
            r = self.run_cli(["--json", "auth", "check"], env=self.env(NEBIUS_CONFIG=path,
                                                                       NEBIUS_SERVICE_ACCOUNT_JSON=value))
            self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.show(env=self.env(NEBIUS_SERVICE_ACCOUNT_JSON=text))["credentials"]["kind"],
                         "credentials JSON")

    def test_endpoint_precedence_reaches_the_right_server(self):
        # The file points nowhere; the environment points at the sim.
        path = self.write_config("default: sim\nprofiles:\n" + self.profile(endpoint="localhost:1"))
        r = self.run_cli(["auth", "check"], env=self.env(NEBIUS_CONFIG=path, NEBIUS_ENDPOINT=self.sim.endpoint))
        self.assertEqual(r.rc, 0, r)
        r = self.run_cli(["auth", "check", "--endpoint", "localhost:1"],
                         env=self.env(NEBIUS_CONFIG=path, NEBIUS_ENDPOINT=self.sim.endpoint))
        self.assertEqual(r.rc, 1, r)

    def test_tls_name_flag(self):
        ip_endpoint = "127.0.0.1:%d" % self.sim.port
        r = self.run_cli(["auth", "check", "--endpoint", ip_endpoint, "--tls-name", "localhost", "--ca-file",
                          self.sim.ca_file, "--credentials", self.sim.key_file], env=self.env())
        self.assertEqual(r.rc, 0, r)
        r = self.run_cli(["auth", "check", "--endpoint", ip_endpoint, "--tls-name", "wrong.example.com",
                          "--ca-file", self.sim.ca_file, "--credentials", self.sim.key_file], env=self.env())
        self.assertNotEqual(r.rc, 0, r)

    def test_config_show_never_prints_secrets(self):
        token = "secret-token-value-123"
        r = self.run_cli(["config", "show"], env=self.env(NEBIUS_IAM_TOKEN=token))
        self.assertEqual(r.rc, 0, r)
        self.assertNotIn(token, r.out + r.err)
        self.assertIn("IAM token", r.out)
