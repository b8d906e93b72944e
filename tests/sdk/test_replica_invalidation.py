"""Three replicas (A, B, C) on one PostgreSQL database: what A changes, B and C enforce within a
second, whatever they cached before (the store's change feed: NOTIFY in the writing transaction,
a LISTEN session per replica, and a per-tree version check behind it). A revoked token, an IP
access list BLOCK (and its removal), a user deactivated through SCIM, failed password sign-ins
(the throttle's counts) and workspace settings are checked, then the fallbacks: a replica
whose LISTEN session is cut, and a change whose notice was never sent at all (only its version
moved).

Times are measured from the moment A answered the change; run with -s to see them."""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, PermissionDenied, Unauthenticated
from databricks.sdk.service import iam

from conftest import make_workspace
from support import replicas
from support.loopback import session_from
from support.server import Backend, remove

BOUND = 1.0
PATCH = [iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP]
REFUSED = (401, 403)


@pytest.fixture(scope="module")
def trio(pg):
    url = pg.database()
    started = replicas.start_many(url, 3)
    yield url, started
    for r in started:
        remove(r)


@pytest.fixture
def ws(trio):
    _, (a, _, _) = trio
    return make_workspace(AccountClient(host=a.host, account_id=a.account_id, token=a.token))


def me(r: Backend, ws, token: str | None = None, auth: tuple[str, str] | None = None,
       session: requests.Session | None = None) -> int:
    """The status of GET .../scim/v2/Me on replica `r`."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = (session or requests).get(f"{r.ws_url(ws.workspace_id)}/api/2.0/preview/scim/v2/Me", headers=headers,
                                     auth=auth, timeout=10)
    return resp.status_code


def converge(what: str, checks: dict, bound: float = BOUND) -> dict[str, float]:
    """Polls every check until each has held; returns how many seconds each took from now.
    Fails when one has not held within `bound` seconds."""
    start, took = time.monotonic(), {}
    while True:
        for name, check in checks.items():
            if name not in took and check():
                took[name] = time.monotonic() - start
        if len(took) == len(checks):
            break
        assert time.monotonic() - start <= bound, \
            f"{what}: {sorted(set(checks) - set(took))} not within {bound}s (done: {took})"
        time.sleep(0.01)
    print(f"\n{what}: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in took.items()))
    return took


def admin(r: Backend, ws) -> WorkspaceClient:
    return WorkspaceClient(host=r.ws_url(ws.workspace_id), token=r.token)


def conf(r: Backend, ws, key: str) -> str:
    return admin(r, ws).workspace_conf.get_status(keys=key)[key]


def test_a_token_revoked_on_a_is_refused_on_b_and_c(trio, ws):
    _, (a, b, c) = trio
    created = admin(a, ws).tokens.create(comment="revoke me", lifetime_seconds=3600)
    pat = created.token_value
    for r in (b, c):
        assert me(r, ws, pat) == 200, "the token works on every replica (and warms their caches)"
    admin(a, ws).tokens.delete(created.token_info.token_id)
    assert me(a, ws, pat) in REFUSED
    converge("revoked token refused", {"B": lambda: me(b, ws, pat) in REFUSED,
                                       "C": lambda: me(c, ws, pat) in REFUSED})
    with pytest.raises((Unauthenticated, PermissionDenied)):
        WorkspaceClient(host=b.ws_url(ws.workspace_id), token=pat).current_user.me()


def test_a_block_list_created_on_a_is_enforced_on_b_and_c(trio, ws):
    """The SDK calls from 127.0.0.1; the admin managing the list calls from 127.0.0.2 (a
    list that blocks its own caller is refused)."""
    _, (a, b, c) = trio
    admin(a, ws).workspace_conf.set_status({"enableIpAccessLists": "true"})
    sdk = {label: admin(r, ws) for label, r in (("B", b), ("C", c))}
    for w in sdk.values():
        assert w.current_user.me().user_name, "enforced, nothing listed: allowed (and cached)"
    other = session_from("127.0.0.2")
    other.headers["Authorization"] = f"Bearer {a.token}"
    lists = f"{a.ws_url(ws.workspace_id)}/api/2.0/ip-access-lists"
    created = other.post(lists, json={"label": "block 127.0.0.1", "list_type": "BLOCK",
                                      "ip_addresses": ["127.0.0.1/32"]}, timeout=10)
    assert created.status_code == 200, created.text
    assert me(a, ws, a.token) == 403
    converge("BLOCK 127.0.0.1/32 enforced", {"B": lambda: me(b, ws, a.token) == 403,
                                             "C": lambda: me(c, ws, a.token) == 403})
    with pytest.raises(PermissionDenied, match="127.0.0.1"):
        sdk["B"].current_user.me()
    assert me(b, ws, a.token, session=other) == 200, "other addresses still pass"

    list_id = created.json()["ip_access_list"]["list_id"]
    assert other.delete(f"{lists}/{list_id}", timeout=10).status_code == 200
    converge("BLOCK removed", {"B": lambda: me(b, ws, a.token) == 200, "C": lambda: me(c, ws, a.token) == 200})
    for w in sdk.values():
        assert w.current_user.me().user_name


def user_with_password(a, ws):
    """A new account user with a password, assigned to `ws` as a user, made through replica `a`:
    (the account client, the user's SCIM document, its user name, its password)."""
    acct = AccountClient(host=a.host, account_id=a.account_id, token=a.token)
    name, password = f"{uuid.uuid4().hex[:8]}@corp.example", f"pw-{uuid.uuid4().hex}"
    doc = acct.api_client.do("POST", f"/api/2.0/accounts/{a.account_id}/scim/v2/Users",
                             body={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
                                   "password": password})
    acct.workspace_assignment.update(ws.workspace_id, int(doc["id"]), permissions=[iam.WorkspacePermission.USER])
    return acct, doc, name, password


def test_a_user_deactivated_on_a_is_refused_on_b_and_c(trio, ws):
    _, (a, b, c) = trio
    acct, doc, name, password = user_with_password(a, ws)
    user = WorkspaceClient(host=a.ws_url(ws.workspace_id), username=name, password=password)
    pat = user.tokens.create(comment="mine", lifetime_seconds=3600).token_value
    for r in (b, c):
        assert me(r, ws, pat) == 200
        assert me(r, ws, auth=(name, password)) == 200, "its password verifies (and is cached) everywhere"

    acct.users.patch(doc["id"], schemas=PATCH,
                     operations=[iam.Patch(op=iam.PatchOp.REPLACE, path="active", value=False)])
    converge("deactivated user refused", {
        "B token": lambda: me(b, ws, pat) in REFUSED, "B password": lambda: me(b, ws, auth=(name, password)) in REFUSED,
        "C token": lambda: me(c, ws, pat) in REFUSED, "C password": lambda: me(c, ws, auth=(name, password)) in REFUSED,
    })
    with pytest.raises(PermissionDenied, match="deactivated"):
        WorkspaceClient(host=c.ws_url(ws.workspace_id), username=name, password=password).current_user.me()


def test_wrong_passwords_spread_over_a_b_and_c_are_counted_together(trio, ws):
    """The password sign-in throttle counts in the database: one wrong password through each
    replica uses up the (user, address) pair's three free failures on all of them, although
    each replica had just cached the pair's (empty) count by signing the user in."""
    _, (a, b, c) = trio
    _, _, name, password = user_with_password(a, ws)
    for r in (a, b, c):
        assert me(r, ws, auth=(name, password)) == 200
    for r in (a, b, c):
        assert me(r, ws, auth=(name, "a wrong guess here")) == 401
    waits = []
    for r in (a, b, c):
        resp = requests.get(f"{r.ws_url(ws.workspace_id)}/api/2.0/preview/scim/v2/Me", auth=(name, password),
                            timeout=10)
        assert resp.status_code == 429 and resp.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED", (r.host, resp.text)
        waits.append(int(resp.headers["Retry-After"]))
    assert all(1 <= w <= 2 for w in waits), waits
    time.sleep(max(waits))
    # The back-off over, the right password signs in (clearing the pair) and works everywhere.
    for r in (b, a, c):
        assert me(r, ws, auth=(name, password)) == 200


def test_workspace_settings_changed_on_a_are_seen_on_b_and_c(trio, ws):
    _, (a, b, c) = trio
    for r in (b, c):
        assert conf(r, ws, "maxTokenLifetimeDays") != "7"
        admin(r, ws).tokens.create(comment="long", lifetime_seconds=30 * 86400)
    admin(a, ws).workspace_conf.set_status({"maxTokenLifetimeDays": "7"})
    converge("maxTokenLifetimeDays", {"B": lambda: conf(b, ws, "maxTokenLifetimeDays") == "7",
                                      "C": lambda: conf(c, ws, "maxTokenLifetimeDays") == "7"})
    for r in (b, c):
        with pytest.raises(InvalidParameterValue, match="maximum token lifetime"):
            admin(r, ws).tokens.create(comment="too long", lifetime_seconds=30 * 86400)


def test_a_replica_whose_listen_session_is_cut_still_converges(pg, trio, ws):
    url, (a, b, c) = trio
    for r in (b, c):
        conf(r, ws, "maxTokenLifetimeDays")
    session = replicas.change_feed_session(b)
    replicas.wait_for("B's change feed session", lambda: replicas.sql(
        pg, url, f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{session}'") == "1", timeout=10)
    killed = replicas.sql(pg, url, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   f"WHERE application_name = '{session}'")
    assert killed == "1"
    admin(a, ws).workspace_conf.set_status({"maxTokenLifetimeDays": "5"})
    converge("change right after B's session was cut", {
        "B": lambda: conf(b, ws, "maxTokenLifetimeDays") == "5",
        "C": lambda: conf(c, ws, "maxTokenLifetimeDays") == "5"})
    replicas.wait_for("B listening again", lambda: replicas.sql(
        pg, url, f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{session}'") == "1", timeout=10)
    admin(a, ws).workspace_conf.set_status({"maxTokenLifetimeDays": "6"})
    converge("change after B listens again", {"B": lambda: conf(b, ws, "maxTokenLifetimeDays") == "6"})


def test_a_change_whose_notice_never_came_is_caught_by_the_version_check(pg, trio, ws):
    """A row changed in the database with its tree's version bumped but no NOTIFY: only the
    replicas' periodic version check can find it."""
    url, (a, b, c) = trio
    admin(a, ws).workspace_conf.set_status({"maxTokenLifetimeDays": "10"})
    converge("maxTokenLifetimeDays 10", {"B": lambda: conf(b, ws, "maxTokenLifetimeDays") == "10",
                                         "C": lambda: conf(c, ws, "maxTokenLifetimeDays") == "10"})
    key = f"convert_to('w{ws.workspace_id:020d}/', 'UTF8')"
    stored = replicas.sql(pg, url, "SELECT convert_from(substring(value from 2), 'UTF8') FROM ironbrick_kv "
                                   f"WHERE tree = 'workspace_conf' AND key = {key}")
    assert '"maxTokenLifetimeDays":"10"' in stored, stored
    edited = stored.replace('"maxTokenLifetimeDays":"10"', '"maxTokenLifetimeDays":"3"').replace("'", "''")
    replicas.sql(pg, url, f"UPDATE ironbrick_kv SET value = '\\x01'::bytea || convert_to('{edited}', 'UTF8') "
                          f"WHERE tree = 'workspace_conf' AND key = {key}; "
                          "UPDATE ironbrick_tree_versions SET version = version + 1 WHERE tree = 'workspace_conf'")
    converge("unannounced change", {"A": lambda: conf(a, ws, "maxTokenLifetimeDays") == "3",
                                    "B": lambda: conf(b, ws, "maxTokenLifetimeDays") == "3",
                                    "C": lambda: conf(c, ws, "maxTokenLifetimeDays") == "3"})
