"""Three replicas on one PostgreSQL database: changes to a workspace's access policy (settings
through `workspace-conf`, IP access lists) read the stored policy, check the change and write
it back, so concurrent changes through different replicas must take turns (the store lease of
`AppState::policy_writes`, as identity writes do). Without it, two settings written at once
would each store a document lacking the other's key, and two lists with one label could both
pass the uniqueness check.

Each round starts one change per replica at the same moment (a barrier) and then checks that
none was lost."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests
from databricks.sdk import AccountClient

from conftest import make_workspace
from support import replicas
from support.server import Backend, remove

ROUNDS = 12


@pytest.fixture(scope="module")
def trio(pg):
    started = replicas.start_many(pg.database(), 3)
    yield started
    for r in started:
        remove(r)


@pytest.fixture
def ws(trio):
    a = trio[0]
    return make_workspace(AccountClient(host=a.host, account_id=a.account_id, token=a.token))


def session(r: Backend) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {r.token}"
    return s


def at_once(calls: list) -> list:
    """Runs every call on its own thread, all released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as e:  # noqa: BLE001 - reported by the assertions below
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_settings_written_at_once_through_three_replicas_are_all_kept(trio, ws):
    sessions = [session(r) for r in trio]
    urls = [f"{r.ws_url(ws.workspace_id)}/api/2.0/workspace-conf" for r in trio]
    keys = ["maxTokenLifetimeDays", "enableTokensConfig", "enableIpAccessLists"]
    for s, url in zip(sessions, urls):  # connections open before the first round
        assert s.get(url, params={"keys": ",".join(keys)}, timeout=10).status_code == 200
    for round_ in range(ROUNDS):
        # Every key changes every round, each through its own replica.
        wanted = {"maxTokenLifetimeDays": str(round_ + 1),
                  "enableTokensConfig": "true" if round_ % 2 else "false",
                  "enableIpAccessLists": "false" if round_ % 2 else "true"}
        results = at_once([lambda s=s, url=url, k=k: s.patch(url, json={k: wanted[k]}, timeout=30)
                           for s, url, k in zip(sessions, urls, keys)])
        assert [getattr(r, "status_code", r) for r in results] == [204] * 3, \
            [getattr(r, "text", r) for r in results]
        for s, url in zip(sessions, urls):
            got = s.get(url, params={"keys": ",".join(keys)}, timeout=10).json()
            assert got == wanted, f"round {round_}: a setting written at once was lost: {got} != {wanted}"


def test_one_label_created_at_once_through_three_replicas_is_created_once(trio, ws):
    sessions = [session(r) for r in trio]
    urls = [f"{r.ws_url(ws.workspace_id)}/api/2.0/ip-access-lists" for r in trio]
    for s, url in zip(sessions, urls):
        assert s.get(url, timeout=10).status_code == 200
    for round_ in range(ROUNDS):
        label = f"office-{round_}-{uuid.uuid4().hex[:6]}"
        results = at_once([lambda s=s, url=url, i=i: s.post(url, json={
            "label": label, "list_type": "ALLOW", "ip_addresses": [f"10.{round_}.{i}.0/24"]}, timeout=30)
            for i, (s, url) in enumerate(zip(sessions, urls))])
        statuses = [getattr(r, "status_code", repr(r)) for r in results]
        assert sorted(statuses) == [200, 409, 409], (round_, [getattr(r, "text", r) for r in results])
        refused = [r.json() for r in results if r.status_code != 200]
        assert all(e["error_code"] == "RESOURCE_ALREADY_EXISTS" for e in refused), refused
        # Read back where it was created (a replica reads its own writes at once).
        creator = statuses.index(200)
        lists = sessions[creator].get(urls[creator], timeout=10).json().get("ip_access_lists", [])
        assert [entry["label"] for entry in lists].count(label) == 1, (round_, lists)
