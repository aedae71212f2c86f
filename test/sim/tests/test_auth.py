"""Token exchange and bearer-token checks."""
import json
import time

import grpc

from simclient import M, PROJECT, SimTestCase, b64url, make_jwt

UNAUTH = grpc.StatusCode.UNAUTHENTICATED
GET_PROJECT = "/nebius.iam.v1.ProjectService/Get"


class TokenExchangeTest(SimTestCase):
    SIM_KW = {"token_ttl": "2"}

    def exchange_fails(self, jwt, code=UNAUTH, **fields):
        err, _ = self.assertRpcError(code, self.sim.exchange, jwt, **fields)
        return err.details()

    def test_good_jwt_gives_bearer_token(self):
        resp = self.sim.exchange(make_jwt(self.sim.creds))
        self.assertEqual(resp.token_type, "Bearer")
        self.assertEqual(resp.issued_token_type, "urn:ietf:params:oauth:token-type:access_token")
        self.assertEqual(resp.expires_in, 2)
        self.assertTrue(resp.access_token)
        proj = self.sim.call(GET_PROJECT, M("nebius.iam.v1.GetProjectRequest")(id=PROJECT),
                             metadata=[("authorization", "Bearer " + resp.access_token)], auth=False)
        self.assertEqual(proj.metadata.name, "default-project-eu-north1")
        self.assertEqual(proj.spec.region, "eu-north1")

    def test_wrong_type_strings_are_invalid_argument(self):
        jwt = make_jwt(self.sim.creds)
        for field in ("grant_type", "requested_token_type", "subject_token_type"):
            msg = self.exchange_fails(jwt, grpc.StatusCode.INVALID_ARGUMENT, **{field: "urn:wrong"})
            self.assertIn(field, msg)

    def test_bad_signature(self):
        jwt = make_jwt(self.sim.creds)
        head, body, sig = jwt.split(".")
        forged = head + "." + b64url(json.dumps({"iss": "x"}).encode()) + "." + sig
        self.assertIn("signature", self.exchange_fails(forged))
        other = self.sim.admin("CreateServiceAccount", name="other")
        creds = json.loads(other.credentials_json)
        # Signed by another account's key but naming ours: the kid decides, the signature fails.
        creds["subject-credentials"]["kid"] = self.sim.creds["subject-credentials"]["kid"]
        self.assertIn("signature", self.exchange_fails(make_jwt(creds)))

    def test_hs256_and_none_are_refused(self):
        for alg in ("HS256", "none"):
            self.assertIn("alg", self.exchange_fails(make_jwt(self.sim.creds, h_alg=alg)))

    def test_wrong_kid(self):
        self.assertIn("public key", self.exchange_fails(make_jwt(self.sim.creds, h_kid="publickey-unknown")))
        self.assertIn("kid", self.exchange_fails(make_jwt(self.sim.creds, h_kid=None)))

    def test_iss_differs_from_sub(self):
        self.assertIn("iss", self.exchange_fails(make_jwt(self.sim.creds, iss="serviceaccount-someone-else")))

    def test_claims_of_another_account_with_our_key(self):
        other = self.sim.admin("CreateServiceAccount", name="third")
        jwt = make_jwt(self.sim.creds, iss=other.service_account_id, sub=other.service_account_id)
        self.assertIn("does not belong", self.exchange_fails(jwt))

    def test_expired_and_future_tokens(self):
        now = int(time.time())
        self.assertIn("expired", self.exchange_fails(make_jwt(self.sim.creds, now=now - 3600)))
        # No grace period: a JWT that expired seconds ago is as dead as one from an hour ago.
        self.assertIn("expired", self.exchange_fails(make_jwt(self.sim.creds, exp=now - 5)))
        self.assertIn("far in the future", self.exchange_fails(make_jwt(self.sim.creds, exp=now + 7200)))
        self.assertIn("iat", self.exchange_fails(make_jwt(self.sim.creds, iat=now + 600)))
        self.assertIn("iat", self.exchange_fails(make_jwt(self.sim.creds, iat=None)))

    def test_planted_token_response(self):
        exchange = "/nebius.iam.v1.TokenExchangeService/Exchange"
        self.sim.admin("InjectFault", method=exchange, count=1, override_token_response=True, token_type="MAC",
                       expires_in=-7, access_token="planted-token-value")
        # While the fault waits, the state shows it without the planted token.
        waiting = self.sim.admin("GetState").json
        self.assertIn("override_token_response", waiting)
        self.assertNotIn("planted-token-value", waiting)
        resp = self.sim.exchange(make_jwt(self.sim.creds))
        self.assertEqual((resp.token_type, resp.expires_in, resp.access_token), ("MAC", -7, "planted-token-value"))
        self.assertNotIn("planted-token-value", self.sim.admin("GetState").json)
        # count=1: the next answer is a real one again
        resp = self.sim.exchange(make_jwt(self.sim.creds))
        self.assertEqual((resp.token_type, resp.expires_in), ("Bearer", 2))
        # the JWT is still checked first
        self.sim.admin("InjectFault", method=exchange, count=1, override_token_response=True, token_type="Bearer")
        self.exchange_fails(make_jwt(self.sim.creds, h_alg="HS256"))
        err, _ = self.assertRpcError(grpc.StatusCode.INVALID_ARGUMENT, self.sim.admin, "InjectFault",
                                     method=GET_PROJECT, override_token_response=True)
        self.assertIn("override_token_response", err.details())

    def test_wrong_audience(self):
        self.assertIn("aud", self.exchange_fails(make_jwt(self.sim.creds, aud="https://example.com")))

    def test_garbage_token(self):
        self.assertIn("JWS", self.exchange_fails("not-a-jwt"))
        self.assertIn("base64", self.exchange_fails("a.b.c"))

    def test_missing_or_bad_authorization(self):
        req = M("nebius.iam.v1.GetProjectRequest")(id=PROJECT)
        err, _ = self.assertRpcError(UNAUTH, self.sim.call, GET_PROJECT, req, auth=False)
        self.assertIn("missing authorization", err.details())
        self.assertRpcError(UNAUTH, self.sim.call, GET_PROJECT, req, auth=False,
                            metadata=[("authorization", "Bearer v1.sim.madeup")])
        self.assertRpcError(UNAUTH, self.sim.call, GET_PROJECT, req, auth=False,
                            metadata=[("authorization", "Basic dXNlcjpwYXNz")])

    def test_token_expires_after_ttl_and_on_expire_tokens(self):
        token = self.sim.exchange(make_jwt(self.sim.creds)).access_token
        md = [("authorization", "Bearer " + token)]
        req = M("nebius.iam.v1.GetProjectRequest")(id=PROJECT)
        self.sim.call(GET_PROJECT, req, metadata=md, auth=False)
        time.sleep(2.2)
        self.assertRpcError(UNAUTH, self.sim.call, GET_PROJECT, req, metadata=md, auth=False)
        token = self.sim.exchange(make_jwt(self.sim.creds)).access_token
        md = [("authorization", "Bearer " + token)]
        self.sim.call(GET_PROJECT, req, metadata=md, auth=False)
        self.sim.admin("ExpireTokens")
        self.assertRpcError(UNAUTH, self.sim.call, GET_PROJECT, req, metadata=md, auth=False)

    def test_tokens_never_logged(self):
        token = self.sim.exchange(make_jwt(self.sim.creds)).access_token
        self.sim.call(GET_PROJECT, M("nebius.iam.v1.GetProjectRequest")(id=PROJECT),
                      metadata=[("authorization", "Bearer " + token)], auth=False)
        log = self.sim.requests(GET_PROJECT)
        text = json.dumps(log) + self.sim.admin("GetState").json
        self.assertNotIn(token, text)
        self.assertIn("Bearer <redacted:len %d>" % len(token), text)
