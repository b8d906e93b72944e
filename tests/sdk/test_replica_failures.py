"""Three replicas on one PostgreSQL database behind a round-robin proxy, under failures:

- a replica killed with SIGKILL while several threads write (secrets, notebooks, tokens) through
  all replicas loses no acknowledged write: each is then read back through the survivors with
  its exact content;
- PostgreSQL stopped in the middle of a load: while it is down every request answers 503
  TEMPORARILY_UNAVAILABLE (in Databricks' error format, nothing else), and once it is back the
  same replica processes answer again within a bounded time, with every acknowledged write
  present.

Each test has its own PostgreSQL server (one is stopped on purpose)."""

from __future__ import annotations

import base64
import json
import signal
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from databricks.sdk import AccountClient

from conftest import make_workspace
from support import postgres
from support.replica_group import ReplicaGroup
from support.server import Backend, remove

WRITERS = 6
RECOVERY_BOUND = 30.0


@pytest.fixture
def pg():
    server = postgres.Postgres()
    yield server
    server.remove()


@pytest.fixture
def group(pg):
    root = Path(tempfile.mkdtemp(prefix="ironbrick-failures-"))
    b = Backend(data_dir=root / "data", store_url=pg.database(), replicas=3).start()
    yield b
    remove(b)


@dataclass
class Acked:
    """Writes the backend acknowledged (2xx), and every answer that was not a 2xx."""

    secrets: dict[str, str] = field(default_factory=dict)
    notebooks: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # token_id -> value
    refusals: list[tuple[float, int, str]] = field(default_factory=list)  # (time, status, body)
    unanswered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        return len(self.secrets) + len(self.notebooks) + len(self.tokens)


def write_one(ws_url: str, headers: dict, kind: int, name: str, acked: Acked) -> None:
    """One write on a fresh connection (so the proxy spreads them), recorded when acknowledged."""
    content = f"{name} {uuid.uuid4().hex}"
    try:
        if kind == 0:
            r = requests.post(f"{ws_url}/api/2.0/secrets/put", headers=headers, timeout=60,
                              json={"scope": "load", "key": name, "string_value": content})
        elif kind == 1:
            r = requests.post(f"{ws_url}/api/2.0/workspace/import", headers=headers, timeout=60,
                              json={"path": f"/Shared/{name}", "format": "SOURCE", "language": "PYTHON",
                                    "content": base64.b64encode(f"# {content}".encode()).decode()})
        else:
            r = requests.post(f"{ws_url}/api/2.0/token/create", headers=headers, timeout=60,
                              json={"comment": name, "lifetime_seconds": 3600})
    except requests.RequestException:
        with acked.lock:
            acked.unanswered += 1
        return
    with acked.lock:
        if r.status_code != 200:
            acked.refusals.append((time.time(), r.status_code, r.text))
        elif kind == 0:
            acked.secrets[name] = content
        elif kind == 1:
            acked.notebooks[f"/Shared/{name}"] = f"# {content}"
        else:
            body = r.json()
            acked.tokens[body["token_info"]["token_id"]] = body["token_value"]


def load(ws_url: str, headers: dict, acked: Acked, stop: threading.Event, tag: str) -> list[threading.Thread]:
    def writer(t: int) -> None:
        i = 0
        while not stop.is_set():
            write_one(ws_url, headers, (t + i) % 3, f"{tag}-{t}-{i}", acked)
            i += 1

    threads = [threading.Thread(target=writer, args=(t,), daemon=True) for t in range(WRITERS)]
    for th in threads:
        th.start()
    return threads


def check_everything_acknowledged(ws_url: str, headers: dict, acked: Acked) -> None:
    with requests.Session() as s:
        for key, content in acked.secrets.items():
            r = s.get(f"{ws_url}/api/2.0/secrets/get", headers=headers, params={"scope": "load", "key": key},
                      timeout=30)
            assert r.status_code == 200, (key, r.text)
            assert base64.b64decode(r.json()["value"]).decode() == content, key
        for path, content in acked.notebooks.items():
            r = s.get(f"{ws_url}/api/2.0/workspace/export", headers=headers,
                      params={"path": path, "format": "SOURCE"}, timeout=30)
            assert r.status_code == 200, (path, r.text)
            assert base64.b64decode(r.json()["content"]).decode() == content, path
        listed = s.get(f"{ws_url}/api/2.0/token/list", headers=headers, timeout=30)
        assert listed.status_code == 200, listed.text
        ids = {t["token_id"] for t in listed.json().get("token_infos", [])}
        assert set(acked.tokens) <= ids, f"tokens missing: {sorted(set(acked.tokens) - ids)[:5]}"
        for token_id, value in list(acked.tokens.items())[:50]:
            me = s.get(f"{ws_url}/api/2.0/preview/scim/v2/Me", headers={"Authorization": f"Bearer {value}"},
                       timeout=30)
            assert me.status_code == 200, (token_id, me.text)


def prepare(b: Backend) -> tuple[str, dict]:
    acct = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
    ws = make_workspace(acct)
    ws_url, headers = b.ws_url(ws.workspace_id), {"Authorization": f"Bearer {b.token}"}
    r = requests.post(f"{ws_url}/api/2.0/secrets/scopes/create", headers=headers, json={"scope": "load"},
                      timeout=30)
    assert r.status_code == 200, r.text
    return ws_url, headers


def test_a_replica_killed_mid_write_loses_no_acknowledged_write(group: Backend):
    replicas: ReplicaGroup = group.proc
    ws_url, headers = prepare(group)
    acked, stop = Acked(), threading.Event()
    threads = load(ws_url, headers, acked, stop, "kill")
    time.sleep(3)
    before = acked.count()
    victim = replicas.replicas[1]
    served_before = replicas.proxy.relayed.get(victim.port, 0)
    replicas.kill(1, signal.SIGKILL)
    time.sleep(3)
    stop.set()
    for th in threads:
        th.join(timeout=120)
    assert served_before > 0, "the killed replica was taking traffic"
    assert before > 0 and acked.count() > before, "writes went on through the survivors"
    assert replicas.replicas[0].alive() and replicas.replicas[2].alive()
    # a request cut by the kill has no answer; any answer that came was a success
    assert not acked.refusals, acked.refusals[:3]
    print(f"\nacknowledged {acked.count()} writes ({before} before the kill), "
          f"{acked.unanswered} cut by the kill; relayed per replica: {replicas.proxy.relayed}")
    check_everything_acknowledged(ws_url, headers, acked)


def test_postgres_down_answers_503_then_recovers_without_restarts(pg, group: Backend):
    replicas: ReplicaGroup = group.proc
    ws_url, headers = prepare(group)
    pids = [r.proc.pid for r in replicas.replicas]
    acked, stop = Acked(), threading.Event()
    threads = load(ws_url, headers, acked, stop, "outage")
    time.sleep(2)
    pg.stop()
    down_from = time.time()
    time.sleep(4)
    down_until = time.time()
    # what every replica answers while the database is down: reads and writes alike
    probes = []
    for r in replicas.replicas:
        probes.append(requests.get(f"{r.url}/w/{ws_url.rsplit('/', 1)[1]}/api/2.0/secrets/list",
                                   params={"scope": "load"}, headers=headers, timeout=60))
        probes.append(requests.post(f"{r.url}/w/{ws_url.rsplit('/', 1)[1]}/api/2.0/secrets/put",
                                    json={"scope": "load", "key": "while-down", "string_value": "x"},
                                    headers=headers, timeout=60))
    pg.start()
    restarted = time.time()
    recovered = None
    while time.time() - restarted < RECOVERY_BOUND:
        if all(requests.get(f"{r.url}/w/{ws_url.rsplit('/', 1)[1]}/api/2.0/secrets/list",
                            params={"scope": "load"}, headers=headers, timeout=60).status_code == 200
               for r in replicas.replicas):
            recovered = time.time() - restarted
            break
        time.sleep(0.2)
    time.sleep(2)
    stop.set()
    for th in threads:
        th.join(timeout=120)

    for p in probes:
        assert p.status_code == 503, p.text
        assert p.json()["error_code"] == "TEMPORARILY_UNAVAILABLE", p.text
        assert p.json()["message"], p.text
    assert recovered is not None, f"not every replica answered within {RECOVERY_BOUND}s of the restart"
    assert [r.proc.pid for r in replicas.replicas] == pids and replicas.poll() is None, \
        "the same processes recovered (none restarted)"
    assert acked.unanswered == 0, "every request got an answer"
    during = [x for x in acked.refusals if down_from <= x[0] <= down_until]
    assert during, "requests were refused while the database was down"
    for _, status, body in acked.refusals:
        assert status == 503, (status, body)
        assert json.loads(body)["error_code"] == "TEMPORARILY_UNAVAILABLE", body
    after = [x for x in acked.refusals if x[0] > restarted + recovered + 1]
    assert not after, f"refusals after recovery: {after[:3]}"
    print(f"\nacknowledged {acked.count()} writes, {len(acked.refusals)} answered 503 during the outage; "
          f"every replica answered {recovered:.2f}s after PostgreSQL restarted")
    check_everything_acknowledged(ws_url, headers, acked)
