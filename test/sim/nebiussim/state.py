"""Every piece of simulator state, behind one re-entrant lock.

Time-driven changes (operation completion, instance state transitions) are
kept as scheduled events and applied lazily: whoever takes the lock calls
advance() first, so the state always reflects the wall clock without any
timer threads.
"""
import collections
import heapq
import itertools
import secrets
import string
import threading
import time

_ID_ALPHABET = string.ascii_lowercase + string.digits

TENANT_ID = "tenant-sim0000000000"
PROJECT_ID = "project-sim0000000001"
PROJECT_NAME = "default-project-eu-north1"
REGION = "eu-north1"
PUBLIC_IMAGES_PROJECT = "project-e00public-images"
SERVICE_ACCOUNT_ID = "serviceaccount-sim0000000001"
PUBLIC_KEY_ID = "publickey-sim0000000001"


class Config:
    def __init__(self, token_ttl=3600, op_delay=0.2, state_delay=0.3, page_size_max=100):
        self.token_ttl = token_ttl
        self.op_delay = op_delay
        self.state_delay = state_delay
        self.page_size_max = page_size_max


class Record:
    """One stored resource: its kind, its proto message and simulator-only bookkeeping."""
    __slots__ = ("id", "kind", "msg", "seq", "extra")

    def __init__(self, rid, kind, msg, seq):
        self.id = rid
        self.kind = kind
        self.msg = msg
        self.seq = seq
        self.extra = {}


class OpRecord:
    __slots__ = ("id", "msg", "service", "parent_id", "seq")

    def __init__(self, op_id, msg, service, parent_id, seq):
        self.id = op_id
        self.msg = msg            # nebius.common.v1.Operation
        self.service = service    # e.g. "nebius.compute.v1.InstanceService"
        self.parent_id = parent_id
        self.seq = seq


class State:
    def __init__(self, config):
        self.lock = threading.RLock()
        self.config = config
        self._seq = itertools.count(1)
        self._events = []
        self.resources = collections.OrderedDict()   # id -> Record, creation order
        self.operations = collections.OrderedDict()  # id -> OpRecord
        self.idempotency = {}                          # (method, key) -> op id
        self.requests = []                             # request log for GetRequests
        self.request_counts = collections.Counter()
        self.service_accounts = collections.OrderedDict()  # id -> {"name", "keys": {kid: public key}}
        self.tokens = {}                               # token -> {"sa": id, "expires": t}
        self.tokens_issued = 0
        self.token_cutoffs = []                        # heap of times every token issued before expires
        self.exchange_count = 0
        self.faults = []                               # faults.Fault, in injection order
        self.pools = {}                                # VPC pool id -> {"cidr", "public": bool}
        self.pool_cursors = {}                         # pool id -> next host index to try
        self.shutting_down = threading.Event()

    # --- ids and time ------------------------------------------------------------------------

    def next_seq(self):
        return next(self._seq)

    def new_id(self, prefix):
        while True:
            rid = "%s-e00%s" % (prefix, "".join(secrets.choice(_ID_ALPHABET) for _ in range(17)))
            if rid not in self.resources and rid not in self.operations:
                return rid

    @staticmethod
    def now():
        return time.time()

    def schedule(self, due, fn):
        """Runs fn(due) once the wall clock passes `due` (at the next advance())."""
        heapq.heappush(self._events, (due, self.next_seq(), fn))

    def advance(self):
        now = time.time()
        while self.token_cutoffs and self.token_cutoffs[0] <= now:
            heapq.heappop(self.token_cutoffs)
            self.expire_tokens()
        while self._events and self._events[0][0] <= now:
            due, _seq, fn = heapq.heappop(self._events)
            fn(due)

    def clear_events(self):
        self._events = []

    # --- resources ---------------------------------------------------------------------------

    def add(self, kind, msg, rid=None):
        rid = rid or msg.metadata.id
        rec = Record(rid, kind, msg, self.next_seq())
        self.resources[rid] = rec
        return rec

    def get(self, rid, kind=None):
        rec = self.resources.get(rid)
        if rec is None or (kind is not None and rec.kind != kind):
            return None
        return rec

    def remove(self, rid):
        return self.resources.pop(rid, None)

    def of_kind(self, kind, pred=None):
        return [r for r in self.resources.values() if r.kind == kind and (pred is None or pred(r))]

    def by_name(self, kind, parent_id, name):
        for r in self.resources.values():
            if r.kind == kind and r.msg.metadata.parent_id == parent_id and r.msg.metadata.name == name:
                return r
        return None

    # --- tokens ------------------------------------------------------------------------------

    def issue_token(self, sa_id):
        token = "v1.sim." + secrets.token_urlsafe(32)
        self.tokens[token] = {"sa": sa_id, "expires": time.time() + self.config.token_ttl}
        self.tokens_issued += 1
        return token

    def token_principal(self, token):
        t = self.tokens.get(token)
        if t is None:
            return None
        if t["expires"] <= time.time():
            del self.tokens[token]
            return None
        return t["sa"]

    def expire_tokens(self):
        self.tokens.clear()

    def expire_tokens_at(self, when):
        """At wall-clock time `when` every token issued until then stops being valid
        (--expire-tokens-after; admin Reset keeps it, as it keeps the tokens)."""
        heapq.heappush(self.token_cutoffs, when)
