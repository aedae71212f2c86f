"""IAM: service accounts and their keys, the JWT -> access token exchange, and projects.

The exchange checks exactly what the real service documents: the three RFC 8693
type strings, an RS256 JWT whose kid is a registered public key, iss == sub ==
that key's service account, aud == the token service, exp in the future (at
most ~1 h ahead; a JWT whose exp has passed is refused, with no grace) and iat
not in the future (60 s skew). The signature is
verified here with python3-cryptography. Tokens and JWTs are never logged.
"""
import base64
import json
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from . import errors, protos
from .operations import ts
from .paging import page
from .state import PROJECT_ID, PROJECT_NAME, REGION, TENANT_ID

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
AUDIENCE = "token-service.iam.new.nebiuscloud.net"
CLOCK_SKEW = 60
MAX_JWT_LIFETIME = 3600 + CLOCK_SKEW

EXCHANGE_SERVICE = "nebius.iam.v1.TokenExchangeService"
PROJECT_SERVICE = "nebius.iam.v1.ProjectService"


# --- service accounts ---------------------------------------------------------------------------

def generate_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def create_service_account(st, name, sa_id=None, kid=None, key=None):
    """Registers a service account with an RSA key (fresh unless given); returns (sa_id, kid, credentials JSON)."""
    key = key or generate_key()
    sa_id = sa_id or st.new_id("serviceaccount")
    kid = kid or st.new_id("publickey")
    st.service_accounts[sa_id] = {"name": name, "keys": {kid: key.public_key()}}
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    creds = {"subject-credentials": {"type": "JWT", "alg": "RS256", "private-key": pem,
                                     "kid": kid, "iss": sa_id, "sub": sa_id}}
    return sa_id, kid, json.dumps(creds, indent=2) + "\n"


def _key_owner(st, kid):
    for sa_id, sa in st.service_accounts.items():
        if kid in sa["keys"]:
            return sa_id, sa["keys"][kid]
    return None, None


# --- token exchange -----------------------------------------------------------------------------

def _b64url(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _unauth(message):
    return errors.unauthenticated("invalid subject token: " + message)


def verify_jwt(st, jwt):
    """Returns the service account id the JWT proves, or raises UNAUTHENTICATED."""
    parts = jwt.split(".")
    if len(parts) != 3:
        raise _unauth("not a JWS compact token (want header.payload.signature)")
    try:
        header = json.loads(_b64url(parts[0]))
        claims = json.loads(_b64url(parts[1]))
        signature = _b64url(parts[2])
    except (ValueError, UnicodeDecodeError):
        raise _unauth("malformed base64url or JSON") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise _unauth("header and claims must be JSON objects")
    alg = header.get("alg")
    if alg != "RS256":
        raise _unauth("unsupported alg %r (only RS256 is accepted)" % (alg,))
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _unauth("kid header missing")
    sa_id, public_key = _key_owner(st, kid)
    if public_key is None:
        raise _unauth("unknown public key id %r" % kid)
    try:
        public_key.verify(signature, (parts[0] + "." + parts[1]).encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise _unauth("signature verification failed") from None
    iss, sub = claims.get("iss"), claims.get("sub")
    if iss != sub:
        raise _unauth("iss and sub must both be the service account id")
    if iss != sa_id:
        raise _unauth("key %s does not belong to %r" % (kid, iss))
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if AUDIENCE not in auds:
        raise _unauth("aud must be %r" % AUDIENCE)
    now = time.time()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise _unauth("exp claim missing")
    # No grace on exp: the client signs with exp = now + 1 min, so a refused
    # JWT means a stale or replayed one, which a skew allowance would let in.
    if exp <= now:
        raise _unauth("token expired")
    if exp > now + MAX_JWT_LIFETIME:
        raise _unauth("exp is too far in the future (at most 1 h)")
    if not isinstance(iat, (int, float)) or isinstance(iat, bool):
        raise _unauth("iat claim missing")
    if iat > now + CLOCK_SKEW:
        raise _unauth("iat is in the future")
    return sa_id


def exchange(st, call):
    req = call.request
    st.exchange_count += 1
    checks = (("grant_type", req.grant_type, GRANT_TYPE),
              ("requested_token_type", req.requested_token_type, ACCESS_TOKEN_TYPE),
              ("subject_token_type", req.subject_token_type, JWT_TOKEN_TYPE))
    for field, got, want in checks:
        if got != want:
            raise errors.invalid(EXCHANGE_SERVICE, field, "must be %r" % want)
    if not req.subject_token:
        raise errors.invalid(EXCHANGE_SERVICE, "subject_token", "required")
    sa_id = verify_jwt(st, req.subject_token)
    Response = protos.msg("nebius.iam.v1.CreateTokenResponse")
    f = call.fault
    if f is not None and f.override_token_response:
        # A planted answer (admin InjectFault): tests of the client's checks.
        token_type, expires_in, access_token = f.token_response_fields()
        return Response(access_token=access_token, issued_token_type=ACCESS_TOKEN_TYPE, token_type=token_type,
                        expires_in=expires_in)
    token = st.issue_token(sa_id)
    return Response(access_token=token, issued_token_type=ACCESS_TOKEN_TYPE, token_type="Bearer",
                    expires_in=int(st.config.token_ttl))


def authenticate(st, metadata):
    """Service account behind `authorization: Bearer <token>`, or UNAUTHENTICATED."""
    value = metadata.get("authorization")
    if not value:
        raise errors.unauthenticated("missing authorization header (want 'Bearer <IAM token>')")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.unauthenticated("authorization header must be 'Bearer <IAM token>'")
    sa_id = st.token_principal(token.strip())
    if sa_id is None:
        raise errors.unauthenticated("access token is invalid or expired")
    return sa_id


# --- projects -----------------------------------------------------------------------------------

def install_presets(st):
    Container = protos.msg("nebius.iam.v1.Container")
    p = Container()
    p.metadata.id = PROJECT_ID
    p.metadata.parent_id = TENANT_ID
    p.metadata.name = PROJECT_NAME
    p.metadata.resource_version = 1
    p.metadata.created_at.CopyFrom(ts(st.now()))
    p.spec.region = REGION
    p.status.region = REGION
    p.status.container_state = protos.enum_value("nebius.iam.v1.State", "ACTIVE")
    p.status.suspension_state = protos.enum_value("nebius.iam.v1.SuspensionState", "NONE")
    st.add("project", p)


def _project_get(st, call):
    rec = st.get(call.request.id, "project")
    if rec is None:
        raise errors.not_found(PROJECT_SERVICE, call.request.id, "project %s not found" % call.request.id)
    return rec.msg


def _project_get_by_name(st, call):
    rec = st.by_name("project", call.request.parent_id, call.request.name)
    if rec is None:
        raise errors.not_found(PROJECT_SERVICE, call.request.name,
                               "project %r not found in %s" % (call.request.name, call.request.parent_id))
    return rec.msg


def _project_list(st, call):
    req = call.request
    if not req.parent_id:
        raise errors.invalid(PROJECT_SERVICE, "parent_id", "required (the tenant id)")
    items = [r.msg for r in st.of_kind("project", lambda r: r.msg.metadata.parent_id == req.parent_id)]
    chunk, token = page(st, items, req.page_size, req.page_token)
    resp = protos.msg("nebius.iam.v1.ListProjectsResponse")(next_page_token=token)
    resp.items.extend(chunk)
    return resp


def _project_denied(st, call):
    # The simulated service account is a project editor, not a tenant admin.
    raise errors.permission_denied(PROJECT_SERVICE, TENANT_ID,
                                   "permission denied: service account may not manage projects")


HANDLERS = {
    "/nebius.iam.v1.TokenExchangeService/Exchange": exchange,
    "/nebius.iam.v1.ProjectService/Get": _project_get,
    "/nebius.iam.v1.ProjectService/GetByName": _project_get_by_name,
    "/nebius.iam.v1.ProjectService/List": _project_list,
    "/nebius.iam.v1.ProjectService/Create": _project_denied,
    "/nebius.iam.v1.ProjectService/Update": _project_denied,
}
