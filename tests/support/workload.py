"""A mixed workload of acknowledged mutations, and the checker that proves them after a crash.

Used by `scripts/crash-test` and `scripts/soak` (importable from both: `tests/` on sys.path).

Model
-----
Every object the workload touches has a *key* (its natural name: a notebook's path, a token's
comment, a policy's name, ...) and a *state* as read back through the API (a notebook's exact
content, a secret's exact value, a group's full member list, ...; ``ABSENT`` when it does not
exist). The model holds, per key, the states it accepts:

* after a write answered 2xx (acknowledged), exactly the new state;
* after a write whose outcome is unknown (the connection broke: the backend was killed while
  it was in flight; or a 5xx), the old state or the new one, and nothing else: either the whole
  write happened or none of it. The next check sees which one, and the model keeps that;
* a 4xx refusal changes nothing (the write must not have happened).

Each worker thread owns one workspace and its objects and mutates them one request at a time,
so per key the order of writes is the order the worker sent them. The checker reads every key
back through the API (every notebook exports and every secret reads back: the encrypted objects
open), also lists each kind to find objects that should not exist (a half-applied or phantom
write), and checks that every acknowledged write has its audit log entry (each request carries a
unique User-Agent, which the audit log records).

Everything goes through the real HTTP API with `requests`, with the account admin's token.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

import requests

ABSENT = "<absent>"
PREFIX = "crash"

#: Write kinds and their weights in the mix.
KINDS = {
    "workspace.create": 1,
    "token.create": 6,
    "token.revoke": 4,
    "ip_list.create": 4,
    "ip_list.update": 3,
    "ip_list.delete": 3,
    "notebook.import": 6,
    "notebook.overwrite": 5,
    "notebook.delete": 3,
    "secret_scope.create": 2,
    "secret.put": 8,
    "secret.delete": 3,
    "user.create": 2,
    "service_principal.create": 2,
    "group.create": 2,
    "group.add_member": 3,
    "permissions.set": 4,
    "policy.create": 3,
    "policy.edit": 3,
    "policy.delete": 2,
    "workspace_conf.set": 3,
}

#: How many objects of a kind a worker keeps at most (beyond it, creations are skipped).
CAP = 40


class Violation(AssertionError):
    """A broken promise: an acknowledged write missing or altered, a half-applied write, an
    encrypted object that no longer opens, a missing audit entry."""


class Unreachable(Exception):
    """The backend did not answer (killed, restarting)."""


class DiskFull(Exception):
    """A read refused with 503 "disk is full", where the harness allows it (`Api.full_disk_refuses`)."""


@dataclass
class Answer:
    status: int
    body: dict
    seconds: float


@dataclass
class Stats:
    """Figures of one workload, shared by its workers (under `lock`)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: int = 0
    refused: int = 0
    uncertain: int = 0
    latencies: dict = field(default_factory=lambda: defaultdict(list))
    errors: dict = field(default_factory=lambda: defaultdict(int))
    unexpected: list = field(default_factory=list)

    def note(self, kind: str, outcome: str, seconds: float | None = None, error: str | None = None,
             expected: bool = True) -> None:
        with self.lock:
            if outcome == "ack":
                self.acknowledged += 1
                if seconds is not None:
                    self.latencies[kind].append(seconds)
            elif outcome == "refused":
                self.refused += 1
            else:
                self.uncertain += 1
            if error is not None:
                self.errors[error] += 1
                if not expected:
                    self.unexpected.append(f"{kind}: {error}")


class Api:
    """HTTP to one backend with the admin token. `host` changes when the backend restarts on
    another port (it keeps its port in these harnesses)."""

    def __init__(self, host: str, account_id: str, token: str) -> None:
        self.host, self.account_id, self.token = host, account_id, token
        self.session = requests.Session()
        # While set, an answer 503 "disk is full" raises DiskFull instead of being returned.
        self.full_disk_refuses = False

    def call(self, method: str, path: str, *, json_body=None, params=None, agent: str = "crash-check",
             token: str | None = None, timeout: float = 60) -> Answer:
        t0 = time.monotonic()
        for attempt in range(30):
            try:
                r = self.session.request(method, self.host + path, json=json_body, params=params, timeout=timeout,
                                         headers={"Authorization": f"Bearer {token or self.token}",
                                                  "User-Agent": agent})
            except requests.RequestException as e:
                raise Unreachable(f"{method} {path}: {type(e).__name__}") from e
            # 429 is refused before any work (the checker's probes of revoked tokens are failed
            # authentications, which the server limits per client address): wait as told, retry.
            if r.status_code != 429 or attempt == 29:
                break
            time.sleep(min(float(r.headers.get("Retry-After") or 1), 5.0))
        try:
            body = r.json() if r.content else {}
        except ValueError:
            body = {"raw": r.text[:200]}
        if (self.full_disk_refuses and r.status_code == 503 and isinstance(body, dict)
                and "disk is full" in str(body.get("message"))):
            raise DiskFull(f"{method} {path}")
        return Answer(r.status_code, body if isinstance(body, dict) else {"value": body}, time.monotonic() - t0)

    def ok(self, method: str, path: str, **kw) -> dict:
        """A read (or set-up call) that must succeed."""
        a = self.call(method, path, **kw)
        if a.status // 100 != 2:
            raise Violation(f"{method} {path} answered {a.status} {a.body}")
        return a.body

    def account(self, rest: str) -> str:
        return f"/api/2.0/accounts/{self.account_id}{rest}"


class Model:
    """Accepted states per key, and what the checks found."""

    def __init__(self) -> None:
        self.accept: dict[tuple, list] = {}
        # how many keys were found in their old / new state after an uncertain write
        self.uncertain_present = 0
        self.uncertain_absent = 0
        # keys whose one accepted state is what a check found after a write with an unknown
        # outcome (not an acknowledgement)
        self.found_only: set[tuple] = set()

    def state(self, key: tuple):
        return self.accept.get(key, [ABSENT])

    def settled(self, key: tuple) -> bool:
        return len(self.state(key)) == 1

    def set(self, key: tuple, state) -> None:
        self.accept[key] = [state]
        self.found_only.discard(key)

    def either(self, key: tuple, old: list, new) -> None:
        states = list(old)
        if new not in states:
            states.append(new)
        self.accept[key] = states

    def verify(self, key: tuple, found, settle: bool = True) -> None:
        """Raises unless `found` is an accepted state; with `settle`, it becomes the only one.
        (Not settled: what a server shows before a crash or a store reopen may be state it never
        made durable, when it never acknowledged it.)"""
        states = self.state(key)
        if found not in states:
            if len(states) == 1:
                how = ("found by an earlier check after a write with an unknown outcome"
                       if key in self.found_only else "acknowledged")
                raise Violation(f"{key}: expected {short(states[0])} ({how}), found {short(found)}")
            raise Violation(f"{key}: half-applied write: found {short(found)}, "
                            f"neither the state before ({short(states[0])}) nor after ({short(states[-1])})")
        if not settle:
            return
        if len(states) > 1:
            if found == states[-1]:
                self.uncertain_present += 1
            else:
                self.uncertain_absent += 1
            self.found_only.add(key)
        self.accept[key] = [found]


def short(v) -> str:
    s = repr(v)
    return s if len(s) <= 120 else s[:117] + "..."


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Worker:
    """One thread's share of the workload: a workspace and the objects in it."""

    def __init__(self, index: int, api: Api, stats: Stats, rng: random.Random, cmk_arn: str | None = None) -> None:
        self.index, self.api, self.stats, self.rng = index, api, stats, rng
        # this worker's keys only (threads never share a model)
        self.model = Model()
        self.name = f"{PREFIX}{index}"
        self.cmk_arn = cmk_arn
        self.lock = threading.Lock()
        self.seq = 0
        self.ws_id: int | None = None
        self.cmk_id: str | None = None
        self.cred_id: str | None = None
        self.storage_id: str | None = None
        # ids of settled objects, by key
        self.ids: dict[tuple, object] = {}
        # token values, by comment (the checker uses them: they must open, or be refused once revoked)
        self.token_values: dict[str, str] = {}
        # acknowledged writes' User-Agents not yet found in the audit log
        self.audit_pending: list[str] = []
        self.in_flight: str | None = None
        self.last_refusal: Answer | None = None
        self.perm_nb = f"/Shared/{self.name}/acl-target"
        # refusals classified as expected (e.g. during a KMS outage): callable(kind, answer) -> bool
        self.expected_refusal = lambda kind, answer: False
        self.counter = 0

    # -- helpers -----------------------------------------------------------------------------

    def ws(self, rest: str) -> str:
        return f"/w/{self.ws_id}{rest}"

    def fresh(self, what: str) -> str:
        self.counter += 1
        return f"{self.name}-{what}-{self.counter}-{self.rng.randrange(1 << 30):x}"

    def keys(self, kind: str, settled_state=None) -> list[tuple]:
        """Settled keys of a kind that exist (optionally in one state)."""
        out = []
        for key, states in self.model.accept.items():
            if key[0] != kind or key[1] != self.name or len(states) != 1 or states[0] == ABSENT:
                continue
            if settled_state is not None and states[0] != settled_state:
                continue
            out.append(key)
        out.sort()
        return out

    def write(self, kind: str, key: tuple | None, new, method: str, path: str, body=None,
              params=None) -> Answer | None:
        """One mutation. Returns the answer when it was acknowledged (2xx), else None.
        Raises Unreachable when the backend did not answer (the write is then uncertain)."""
        old = self.model.state(key) if key else [ABSENT]
        self.seq += 1
        agent = f"crash-{self.name}-{self.seq}"
        self.in_flight = kind
        try:
            a = self.api.call(method, path, json_body=body, params=params, agent=agent)
        except Unreachable:
            if key:
                self.model.either(key, old, new)
            self.stats.note(kind, "uncertain")
            raise
        finally:
            self.in_flight = None
        if a.status // 100 == 2:
            if key:
                self.model.set(key, new)
            self.audit_pending.append(agent)
            self.stats.note(kind, "ack", a.seconds)
            return a
        code = a.body.get("error_code", str(a.status))
        label = f"{a.status} {code}"
        expected = self.expected_refusal(kind, a)
        if a.status >= 500:
            if key:
                self.model.either(key, old, new)
            self.stats.note(kind, "uncertain", error=label, expected=expected)
        else:
            self.stats.note(kind, "refused", error=label, expected=expected)
        self.last_refusal = a
        return None

    # -- set-up ------------------------------------------------------------------------------

    def setup(self) -> None:
        """The worker's workspace (with the customer-managed key when one is given), a folder,
        the notebook whose permissions it sets, and a first secret scope. Settled at once."""
        if self.ws_id is None:
            self.ws_id = self.create_workspace(f"{self.name}-home")
            if self.ws_id is None:
                raise Violation(f"{self.name}: could not create its workspace: {self.last_refusal.body}")
        self.api.ok("POST", self.ws("/api/2.0/workspace/mkdirs"), json_body={"path": f"/Shared/{self.name}"})
        nb = ("nb", self.name, self.perm_nb)
        if not self.model.settled(nb) or self.model.state(nb) == [ABSENT]:
            self.write("notebook.import", nb, b64(b"# permissions target\n"), "POST",
                       self.ws("/api/2.0/workspace/import"),
                       {"path": self.perm_nb, "language": "PYTHON", "format": "SOURCE", "overwrite": True,
                        "content": b64(b"# permissions target\n")})
        if self.model.settled(nb) and self.model.state(nb) != [ABSENT]:
            status = self.api.ok("GET", self.ws("/api/2.0/workspace/get-status"), params={"path": self.perm_nb})
            self.ids[nb] = status["object_id"]
        conf = ("conf", self.name, "maxTokenLifetimeDays")
        if conf not in self.model.accept:
            got = self.api.ok("GET", self.ws("/api/2.0/workspace-conf"), params={"keys": "maxTokenLifetimeDays"})
            self.model.set(conf, got.get("maxTokenLifetimeDays"))

    def create_workspace(self, name: str) -> int | None:
        """Credentials, storage and (with a CMK) key registrations, then the workspace; waits
        until it is RUNNING. Each request is a write of its own."""
        if self.cred_id is None:
            cname = self.fresh("cred")
            a = self.write("workspace.create", ("cred", self.name, cname), "present", "POST",
                           self.api.account("/credentials"),
                           {"credentials_name": cname,
                            "aws_credentials": {"sts_role": {"role_arn": "arn:aws:iam::123456789012:role/crash"}}})
            if a is None:
                return None
            self.cred_id = a.body["credentials_id"]
        if self.storage_id is None:
            sname = self.fresh("storage")
            a = self.write("workspace.create", ("storage", self.name, sname), "present", "POST",
                           self.api.account("/storage-configurations"),
                           {"storage_configuration_name": sname, "root_bucket_info": {"bucket_name": "crash-root"}})
            if a is None:
                return None
            self.storage_id = a.body["storage_configuration_id"]
        if self.cmk_arn and self.cmk_id is None:
            a = self.write("workspace.create", ("cmk", self.name, self.cmk_arn), "present", "POST",
                           self.api.account("/customer-managed-keys"),
                           {"aws_key_info": {"key_arn": self.cmk_arn}, "use_cases": ["MANAGED_SERVICES"]})
            if a is None:
                return None
            self.cmk_id = a.body["customer_managed_key_id"]
        body = {"workspace_name": name, "aws_region": "us-east-1", "credentials_id": self.cred_id,
                "storage_configuration_id": self.storage_id}
        if self.cmk_id:
            body["managed_services_customer_managed_key_id"] = self.cmk_id
        a = self.write("workspace.create", ("workspace", self.name, name), ("us-east-1", self.cmk_id), "POST",
                       self.api.account("/workspaces"), body)
        if a is None:
            return None
        ws_id = a.body["workspace_id"]
        self.ids[("workspace", self.name, name)] = ws_id
        self.wait_running(ws_id)
        return ws_id

    def wait_running(self, ws_id: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.api.ok("GET", self.api.account(f"/workspaces/{ws_id}")).get("workspace_status") == "RUNNING":
                return
            time.sleep(0.1)
        raise Violation(f"workspace {ws_id} never became RUNNING")

    # -- the mix -----------------------------------------------------------------------------

    def step(self) -> None:
        """One write chosen at random (a kind whose preconditions do not hold is skipped)."""
        kinds, weights = zip(*KINDS.items())
        kind = self.rng.choices(kinds, weights)[0]
        getattr(self, "op_" + kind.replace(".", "_"))()

    def pick(self, kind: str):
        keys = self.keys(kind)
        return self.rng.choice(keys) if keys else None

    def op_workspace_create(self) -> None:
        if len(self.keys("workspace")) < 4:
            self.create_workspace(self.fresh("ws"))

    def op_token_create(self) -> None:
        if len(self.keys("token", "present")) >= CAP:
            return
        comment = self.fresh("tok")
        a = self.write("token.create", ("token", self.name, comment), "present", "POST",
                       self.ws("/api/2.0/token/create"), {"comment": comment, "lifetime_seconds": 86400})
        if a:
            self.ids[("token", self.name, comment)] = a.body["token_info"]["token_id"]
            self.token_values[comment] = a.body["token_value"]

    def op_token_revoke(self) -> None:
        key = self.pick("token")
        if key and key in self.ids:
            self.write("token.revoke", key, ABSENT, "POST", self.ws("/api/2.0/token/delete"),
                       {"token_id": self.ids[key]})

    def ip_state(self, list_type: str, addresses: list[str], enabled: bool):
        return (list_type, tuple(sorted(addresses)), enabled)

    def addresses(self) -> list[str]:
        # TEST-NET-2 (198.51.100.0/24) never holds a real client: the lists cannot lock anyone out
        return sorted({f"198.51.100.{self.rng.randrange(1, 255)}" for _ in range(self.rng.randrange(1, 5))})

    def op_ip_list_create(self) -> None:
        if len(self.keys("ipl")) >= CAP:
            return
        label = self.fresh("ipl")
        ips = self.addresses()
        a = self.write("ip_list.create", ("ipl", self.name, label), self.ip_state("BLOCK", ips, True), "POST",
                       self.ws("/api/2.0/ip-access-lists"), {"label": label, "list_type": "BLOCK", "ip_addresses": ips})
        if a:
            self.ids[("ipl", self.name, label)] = a.body["ip_access_list"]["list_id"]

    def op_ip_list_update(self) -> None:
        key = self.pick("ipl")
        if key and key in self.ids:
            ips, enabled = self.addresses(), self.rng.random() < 0.5
            self.write("ip_list.update", key, self.ip_state("BLOCK", ips, enabled), "PUT",
                       self.ws(f"/api/2.0/ip-access-lists/{self.ids[key]}"),
                       {"label": key[2], "list_type": "BLOCK", "ip_addresses": ips, "enabled": enabled})

    def op_ip_list_delete(self) -> None:
        key = self.pick("ipl")
        if key and key in self.ids:
            self.write("ip_list.delete", key, ABSENT, "DELETE", self.ws(f"/api/2.0/ip-access-lists/{self.ids[key]}"))

    def content(self) -> str:
        size = self.rng.choice([16, 300, 4000, 30000])
        return b64(f"# {self.name}\n".encode() + self.rng.randbytes(size).hex().encode()[:size])

    def op_notebook_import(self) -> None:
        if len(self.keys("nb")) >= CAP:
            return
        path = f"/Shared/{self.name}/{self.fresh('nb')}"
        c = self.content()
        self.write("notebook.import", ("nb", self.name, path), c, "POST", self.ws("/api/2.0/workspace/import"),
                   {"path": path, "language": "PYTHON", "format": "SOURCE", "content": c})

    def op_notebook_overwrite(self) -> None:
        key = self.pick("nb")
        if key:
            c = self.content()
            self.write("notebook.overwrite", key, c, "POST", self.ws("/api/2.0/workspace/import"),
                       {"path": key[2], "language": "PYTHON", "format": "SOURCE", "content": c, "overwrite": True})

    def op_notebook_delete(self) -> None:
        key = self.pick("nb")
        if key and key[2] != self.perm_nb:
            self.write("notebook.delete", key, ABSENT, "POST", self.ws("/api/2.0/workspace/delete"), {"path": key[2]})

    def op_secret_scope_create(self) -> None:
        if len(self.keys("scope")) >= 5:
            return
        scope = self.fresh("scope")
        self.write("secret_scope.create", ("scope", self.name, scope), "present", "POST",
                   self.ws("/api/2.0/secrets/scopes/create"), {"scope": scope})

    def op_secret_put(self) -> None:
        scope = self.pick("scope")
        if not scope:
            return self.op_secret_scope_create()
        existing = [k for k in self.keys("secret") if k[2] == scope[2]]
        if existing and (len(existing) >= CAP or self.rng.random() < 0.4):
            key = self.rng.choice(existing)
        else:
            key = ("secret", self.name, scope[2], self.fresh("key"))
        value = f"v-{self.rng.randbytes(self.rng.choice([4, 64, 2000])).hex()}"
        self.write("secret.put", key, value, "POST", self.ws("/api/2.0/secrets/put"),
                   {"scope": key[2], "key": key[3], "string_value": value})

    def op_secret_delete(self) -> None:
        key = self.pick("secret")
        if key:
            self.write("secret.delete", key, ABSENT, "POST", self.ws("/api/2.0/secrets/delete"),
                       {"scope": key[2], "key": key[3]})

    def op_user_create(self) -> None:
        if len(self.keys("user")) >= 10:
            return
        name = f"{self.fresh('user')}@example.com"
        a = self.write("user.create", ("user", self.name, name), "present", "POST",
                       self.ws("/api/2.0/preview/scim/v2/Users"),
                       {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name})
        if a:
            self.ids[("user", self.name, name)] = a.body["id"]

    def op_service_principal_create(self) -> None:
        if len(self.keys("sp")) >= 10:
            return
        name = self.fresh("sp")
        a = self.write("service_principal.create", ("sp", self.name, name), "present", "POST",
                       self.ws("/api/2.0/preview/scim/v2/ServicePrincipals"),
                       {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"], "displayName": name})
        if a:
            self.ids[("sp", self.name, name)] = a.body["id"]

    def members(self) -> list[str]:
        pool = [self.ids[k] for k in self.keys("user") + self.keys("sp") if k in self.ids]
        return sorted(self.rng.sample(pool, min(len(pool), self.rng.randrange(0, 4))))

    def op_group_create(self) -> None:
        if len(self.keys("group")) >= 8:
            return
        name = self.fresh("group")
        members = self.members()
        a = self.write("group.create", ("group", self.name, name), tuple(members), "POST",
                       self.ws("/api/2.0/preview/scim/v2/Groups"),
                       {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name,
                        "members": [{"value": m} for m in members]})
        if a:
            self.ids[("group", self.name, name)] = a.body["id"]

    def op_group_add_member(self) -> None:
        key = self.pick("group")
        if not key or key not in self.ids:
            return
        (current,) = self.model.state(key)
        extra = [m for m in self.members() if m not in current]
        if not extra:
            return
        self.write("group.add_member", key, tuple(sorted(set(current) | set(extra))), "PATCH",
                   self.ws(f"/api/2.0/preview/scim/v2/Groups/{self.ids[key]}"),
                   {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                    "Operations": [{"op": "add", "path": "members", "value": [{"value": m} for m in extra]}]})

    def op_permissions_set(self) -> None:
        nb = ("nb", self.name, self.perm_nb)
        if not self.model.settled(nb) or nb not in self.ids:
            return
        groups = [k[2] for k in self.keys("group")]
        grants = sorted({(g, self.rng.choice(["CAN_READ", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"]))
                         for g in self.rng.sample(groups, min(len(groups), self.rng.randrange(0, 3)))})
        grants = sorted(dict(grants).items())
        self.write("permissions.set", ("perm", self.name, self.perm_nb), tuple(grants), "PUT",
                   self.ws(f"/api/2.0/permissions/notebooks/{self.ids[nb]}"),
                   {"access_control_list": [{"group_name": g, "permission_level": p} for g, p in grants]})

    def definition(self) -> str:
        return json.dumps({
            "spark_version": {"type": "fixed", "value": "15.4.x-scala2.12"},
            "autotermination_minutes": {"type": "range", "maxValue": self.rng.randrange(10, 500)},
            "custom_tags.team": {"type": "fixed", "value": self.fresh("team")},
        })

    def op_policy_create(self) -> None:
        if len(self.keys("policy")) >= CAP:
            return
        name = self.fresh("policy")
        d = self.definition()
        a = self.write("policy.create", ("policy", self.name, name), canonical(d), "POST",
                       self.ws("/api/2.0/policies/clusters/create"), {"name": name, "definition": d})
        if a:
            self.ids[("policy", self.name, name)] = a.body["policy_id"]

    def op_policy_edit(self) -> None:
        key = self.pick("policy")
        if key and key in self.ids:
            d = self.definition()
            self.write("policy.edit", key, canonical(d), "POST", self.ws("/api/2.0/policies/clusters/edit"),
                       {"policy_id": self.ids[key], "name": key[2], "definition": d})

    def op_policy_delete(self) -> None:
        key = self.pick("policy")
        if key and key in self.ids:
            self.write("policy.delete", key, ABSENT, "POST", self.ws("/api/2.0/policies/clusters/delete"),
                       {"policy_id": self.ids[key]})

    def op_workspace_conf_set(self) -> None:
        key = ("conf", self.name, "maxTokenLifetimeDays")
        if not self.model.settled(key):
            return
        value = str(self.rng.randrange(2, 731))
        self.write("workspace_conf.set", key, value, "PATCH", self.ws("/api/2.0/workspace-conf"),
                   {"maxTokenLifetimeDays": value})


def canonical(definition: str) -> str:
    return json.dumps(json.loads(definition), sort_keys=True)


# -- the checker ------------------------------------------------------------------------------


@dataclass
class CheckReport:
    keys: int = 0
    acknowledged_keys: int = 0
    encrypted_opened: int = 0
    audit_entries_matched: int = 0


class Checker:
    """Reads every key of every worker back and compares it with the model."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.audit_since = 0
        self.settle = True

    def check(self, workers: list[Worker], settle: bool = True) -> CheckReport:
        """Checks every worker's keys. With `settle=False` the states found are accepted but not
        made the model's (writes with an unknown outcome stay unknown)."""
        self.settle = settle
        report = CheckReport()
        # The audit log first: the checker's own requests add entries (a revoked token's refusal
        # is audited), which are not flushed before their answer and may be renumbered after the
        # next crash. Read before them, the cursor only passes entries recovered from disk.
        self.check_audit(workers, report)
        for w in workers:
            self.check_worker(w, report)
        return report

    def found(self, w: Worker, key: tuple, state, report: CheckReport, obj_id=None) -> None:
        settled = w.model.settled(key)
        w.model.verify(key, state, self.settle)
        report.keys += 1
        report.acknowledged_keys += settled
        if not self.settle:
            return
        if obj_id is not None and state != ABSENT:
            w.ids[key] = obj_id
        elif state == ABSENT:
            w.ids.pop(key, None)

    def mine(self, w: Worker, kind: str) -> list[tuple]:
        return sorted(k for k in w.model.accept if k[0] == kind and k[1] == w.name)

    def listed(self, w: Worker, kind: str, names: set, report_unknown: bool = True) -> None:
        """Objects listed by the API with the worker's prefix must be known to the model."""
        known = {k[2] for k in self.mine(w, kind)}
        for n in names:
            if n.startswith(f"{w.name}-") and n not in known and report_unknown:
                raise Violation(f"{kind} {n!r} exists but no write created it")

    def check_worker(self, w: Worker, report: CheckReport) -> None:
        api, acct = self.api, self.api.account
        # account objects and workspaces
        creds = {c["credentials_name"]: c["credentials_id"] for c in as_list(api.ok("GET", acct("/credentials")))}
        for key in self.mine(w, "cred"):
            self.found(w, key, "present" if key[2] in creds else ABSENT, report)
            if key[2] in creds and w.cred_id is None:
                w.cred_id = creds[key[2]]
        storages = {s["storage_configuration_name"]: s["storage_configuration_id"]
                    for s in as_list(api.ok("GET", acct("/storage-configurations")))}
        for key in self.mine(w, "storage"):
            self.found(w, key, "present" if key[2] in storages else ABSENT, report)
            if key[2] in storages and w.storage_id is None:
                w.storage_id = storages[key[2]]
        keys = {k["aws_key_info"]["key_arn"]: k["customer_managed_key_id"]
                for k in as_list(api.ok("GET", acct("/customer-managed-keys")))}
        for key in self.mine(w, "cmk"):
            self.found(w, key, "present" if key[2] in keys else ABSENT, report)
            if key[2] in keys and w.cmk_id is None:
                w.cmk_id = keys[key[2]]
        workspaces = {x["workspace_name"]: x for x in as_list(api.ok("GET", acct("/workspaces")))}
        for key in self.mine(w, "workspace"):
            x = workspaces.get(key[2])
            state = (x["aws_region"], x.get("managed_services_customer_managed_key_id")) if x else ABSENT
            self.found(w, key, state, report, x["workspace_id"] if x else None)
        self.listed(w, "workspace", set(workspaces))
        if w.ws_id is None:
            home = workspaces.get(f"{w.name}-home")
            if home is None:
                return
            w.ws_id = home["workspace_id"]
        w.wait_running(w.ws_id)

        # tokens: listed, and each known value authenticates until revoked
        tokens = {t.get("comment"): t["token_id"] for t in api.ok("GET", w.ws("/api/2.0/token/list")).get("token_infos", [])}
        for key in self.mine(w, "token"):
            present = key[2] in tokens
            self.found(w, key, "present" if present else ABSENT, report, tokens.get(key[2]))
            value = w.token_values.get(key[2])
            if value:
                status = api.call("GET", w.ws("/api/2.0/preview/scim/v2/Me"), token=value).status
                if present and status != 200:
                    raise Violation(f"token {key[2]!r} is listed but its value is refused ({status})")
                if not present and status not in (401, 403):
                    raise Violation(f"token {key[2]!r} was revoked but its value still works ({status})")
        self.listed(w, "token", set(filter(None, tokens)))

        lists = {x["label"]: x for x in api.ok("GET", w.ws("/api/2.0/ip-access-lists")).get("ip_access_lists", [])}
        for key in self.mine(w, "ipl"):
            x = lists.get(key[2])
            state = (x["list_type"], tuple(sorted(x.get("ip_addresses", []))), x.get("enabled", True)) if x else ABSENT
            self.found(w, key, state, report, x["list_id"] if x else None)
        self.listed(w, "ipl", set(lists))

        # notebooks: each exports with exactly its content (decrypts)
        objects = api.ok("GET", w.ws("/api/2.0/workspace/list"), params={"path": f"/Shared/{w.name}"}).get("objects", [])
        paths = {o["path"]: o.get("object_id") for o in objects if o.get("object_type") == "NOTEBOOK"}
        for key in self.mine(w, "nb"):
            if key[2] in paths:
                e = api.call("GET", w.ws("/api/2.0/workspace/export"), params={"path": key[2], "format": "SOURCE"})
                if e.status != 200:
                    raise Violation(f"notebook {key[2]} is listed but does not export: {e.status} {e.body}")
                report.encrypted_opened += 1
                self.found(w, key, e.body["content"], report, paths[key[2]])
            else:
                self.found(w, key, ABSENT, report)
        for p in paths:
            if p not in {k[2] for k in self.mine(w, "nb")}:
                raise Violation(f"notebook {p} exists but no write created it")

        scopes = {s["name"] for s in api.ok("GET", w.ws("/api/2.0/secrets/scopes/list")).get("scopes", [])}
        for key in self.mine(w, "scope"):
            self.found(w, key, "present" if key[2] in scopes else ABSENT, report)
        self.listed(w, "scope", scopes)
        for scope in sorted(s for s in scopes if s.startswith(f"{w.name}-")):
            listed = {s["key"] for s in api.ok("GET", w.ws("/api/2.0/secrets/list"), params={"scope": scope}).get("secrets", [])}
            mine = [k for k in self.mine(w, "secret") if k[2] == scope]
            for key in mine:
                if key[3] in listed:
                    g = api.call("GET", w.ws("/api/2.0/secrets/get"), params={"scope": scope, "key": key[3]})
                    if g.status != 200:
                        raise Violation(f"secret {scope}/{key[3]} is listed but does not read: {g.status} {g.body}")
                    report.encrypted_opened += 1
                    self.found(w, key, base64.b64decode(g.body["value"]).decode(), report)
                else:
                    self.found(w, key, ABSENT, report)
            unknown = listed - {k[3] for k in mine}
            if unknown:
                raise Violation(f"secrets {sorted(unknown)} in {scope} exist but no write created them")
        for key in self.mine(w, "secret"):
            if key[2] not in scopes:
                self.found(w, key, ABSENT, report)

        def scim(kind: str, attr: str, name: str):
            r = api.ok("GET", w.ws(f"/api/2.0/preview/scim/v2/{kind}"), params={"filter": f'{attr} eq "{name}"'})
            return (r.get("Resources") or [None])[0]

        for kind, resource, attr in (("user", "Users", "userName"), ("sp", "ServicePrincipals", "displayName")):
            for key in self.mine(w, kind):
                x = scim(resource, attr, key[2])
                self.found(w, key, "present" if x else ABSENT, report, x["id"] if x else None)
        for key in self.mine(w, "group"):
            x = scim("Groups", "displayName", key[2])
            state = tuple(sorted(m["value"] for m in x.get("members", []))) if x else ABSENT
            self.found(w, key, state, report, x["id"] if x else None)

        nb_id = w.ids.get(("nb", w.name, w.perm_nb))
        for key in self.mine(w, "perm"):
            if nb_id is None:
                raise Violation(f"permissions of {key[2]} recorded but the notebook is gone")
            acl = api.ok("GET", w.ws(f"/api/2.0/permissions/notebooks/{nb_id}")).get("access_control_list", [])
            mine = []
            for entry in acl:
                g = entry.get("group_name") or ""
                if g.startswith(f"{w.name}-"):
                    for p in entry.get("all_permissions", []):
                        if not p.get("inherited"):
                            mine.append((g, p["permission_level"]))
            self.found(w, key, tuple(sorted(mine)), report)

        policies = {p["name"]: p for p in api.ok("GET", w.ws("/api/2.0/policies/clusters/list")).get("policies", [])}
        for key in self.mine(w, "policy"):
            p = policies.get(key[2])
            self.found(w, key, canonical(p["definition"]) if p else ABSENT, report, p["policy_id"] if p else None)
        self.listed(w, "policy", set(policies))

        conf = ("conf", w.name, "maxTokenLifetimeDays")
        got = api.ok("GET", w.ws("/api/2.0/workspace-conf"), params={"keys": "maxTokenLifetimeDays"})
        value = got.get("maxTokenLifetimeDays")
        if conf in w.model.accept:
            self.found(w, conf, value, report)
        else:
            w.model.set(conf, value)

    def check_audit(self, workers: list[Worker], report: CheckReport) -> None:
        """Every acknowledged write has its audit entry (matched by its unique User-Agent)."""
        seen = set()
        while True:
            entries = self.api.ok("GET", self.api.account("/audit-logs"),
                                  params={"since": self.audit_since, "limit": 10000}).get("entries", [])
            if not entries:
                break
            for e in entries:
                if 200 <= e.get("status", 0) < 300 and e.get("user_agent"):
                    seen.add(e["user_agent"])
            self.audit_since = entries[-1]["seq"] + 1
        for w in workers:
            still = [a for a in w.audit_pending if a not in seen]
            report.audit_entries_matched += len(w.audit_pending) - len(still)
            if still:
                raise Violation(f"{len(still)} acknowledged writes have no audit entry, e.g. {still[:3]}")
            w.audit_pending = []


def as_list(body) -> list:
    """Account list endpoints answer a bare JSON array (Api wraps it as {"value": [...]})."""
    if isinstance(body, dict) and "value" in body:
        return body["value"]
    return body if isinstance(body, list) else []


# -- driving workers --------------------------------------------------------------------------


class Runner:
    """Runs workers in threads until told to stop (or until the backend stops answering)."""

    def __init__(self, workers: list[Worker], pause: float = 0.0) -> None:
        self.workers = workers
        self.pause = pause
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.failures: list[str] = []

    def start(self) -> None:
        self.stop.clear()
        self.threads = [threading.Thread(target=self.loop, args=(w,), daemon=True) for w in self.workers]
        for t in self.threads:
            t.start()

    def loop(self, w: Worker) -> None:
        try:
            while not self.stop.is_set():
                w.step()
                if self.pause:
                    time.sleep(self.pause * (0.5 + w.rng.random()))
        except Unreachable:
            return
        except Exception as e:  # a harness bug or a violation: reported by the caller
            self.failures.append(f"{w.name}: {type(e).__name__}: {e}")

    def join(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)
