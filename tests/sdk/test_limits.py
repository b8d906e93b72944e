"""Request limits (README: Limits): per-principal and per-address rate limits answered as
Databricks does (429, `Retry-After`, REQUEST_LIMIT_EXCEEDED, the SDK's TooManyRequests), body
and header sizes, slow clients, and the connection limit. Each test starts a backend with low
limits of its own.

Rate limits and the connection limit hold per process, as a load balancer's or Envoy's local
rate limits do (README: Limits): against a replica group (IRONBRICK_TEST_STORE=replicas) those
tests address one replica directly, where the limit is exactly what one process enforces, and
check that the other replicas keep their own budgets."""

from __future__ import annotations

import socket
import time
import uuid

import pytest
import requests
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.core import Config
from databricks.sdk.errors import TooManyRequests
from databricks.sdk.service import iam

from conftest import make_workspace
from support.server import Backend, new_backend, remove

LIMITED = "REQUEST_LIMIT_EXCEEDED"


@pytest.fixture
def started(request):
    """A backend started with the test's arguments: `started(*args)`, removed afterwards."""
    made: list[Backend] = []

    def start(*args: str) -> Backend:
        b = new_backend(*args)
        made.append(b)
        return b

    yield start
    for b in made:
        remove(b)


def account_get(b: Backend, token: str, path: str = "/workspaces") -> requests.Response:
    return requests.get(f"{b.host}/api/2.0/accounts/{b.account_id}{path}",
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def until_throttled(b: Backend, token: str, most: int = 100) -> requests.Response:
    for _ in range(most):
        r = account_get(b, token)
        if r.status_code == 429:
            return r
        assert r.status_code == 200, r.text
    pytest.fail(f"no 429 after {most} requests")


def assert_throttled(r: requests.Response) -> int:
    assert r.status_code == 429, r.text
    wait = r.headers.get("Retry-After")
    assert wait is not None and wait.isdigit() and int(wait) >= 1, r.headers
    body = r.json()
    assert body["error_code"] == LIMITED, body
    assert isinstance(body["message"], str) and body["message"], body
    return int(wait)


def metric(b: Backend, line_prefix: str) -> float:
    text = requests.get(f"{b.host}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.split()[-1])
    pytest.fail(f"{line_prefix} missing from /metrics:\n{text}")


def test_a_principal_over_its_rate_gets_429_and_another_principal_does_not(started):
    group = started("--rate-limit", "1", "--rate-limit-burst", "15")
    b = group.one_replica()
    acct = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
    # A second principal: a service principal with the account admin role, signed in with
    # OAuth client credentials.
    sp = acct.service_principals.create(display_name=f"bot-{uuid.uuid4().hex[:6]}",
                                        roles=[iam.ComplexValue(value="account_admin")])
    secret = acct.service_principal_secrets.create(sp.id)
    bot = AccountClient(host=b.host, account_id=b.account_id, client_id=sp.application_id,
                        client_secret=secret.secret)
    bot_token = bot.config.oauth_token().access_token

    assert_throttled(until_throttled(b, b.token))
    # Per process: every other replica holds its own bucket for the principal.
    for other in group.each_replica()[1:]:
        assert account_get(other, b.token).status_code == 200
    # The bot's bucket is its own.
    for _ in range(5):
        assert account_get(b, bot_token).status_code == 200

    # The SDK raises its typed error (after retrying for as long as it is allowed to).
    impatient = AccountClient(config=Config(host=b.host, account_id=b.account_id, token=b.token,
                                            retry_timeout_seconds=1))
    with pytest.raises(TimeoutError) as timed_out:
        list(impatient.workspaces.list())
    cause = timed_out.value.__cause__
    assert isinstance(cause, TooManyRequests), repr(cause)
    assert cause.error_code == LIMITED and cause.retry_after_secs >= 1

    # With its default retry budget the SDK waits as told and succeeds.
    assert_throttled(until_throttled(b, b.token))
    assert isinstance(list(acct.workspaces.list()), list)

    # Throttled requests are audited with their principal, and counted.
    entries = acct.api_client.do("GET", f"/api/2.0/accounts/{b.account_id}/audit-logs",
                                 query={"limit": 1000})["entries"]
    throttled = [e for e in entries if e.get("status") == 429]
    assert throttled and all(e["principal"] == "admin@ironbrick.local" for e in throttled), throttled[:3]
    assert all(e.get("error_code") == LIMITED for e in throttled)
    assert metric(b, 'ironbrick_rate_limited_total{key="principal"}') >= 3


def test_failed_authentication_is_limited_per_address(started):
    group = started("--ip-rate-limit", "1", "--ip-rate-limit-burst", "5")
    b = group.one_replica()
    statuses = [account_get(b, "dapi" + "0" * 32).status_code for _ in range(5)]
    assert statuses == [401] * 5
    wait = assert_throttled(account_get(b, "dapi" + "0" * 32))
    # Per process: the other replicas have not counted this address's failures.
    for other in group.each_replica()[1:]:
        assert account_get(other, b.token).status_code == 200
    # While the address is over its limit, nothing from it is served (a credential-guessing
    # flood is shed before any work), the OAuth token endpoint included.
    assert_throttled(account_get(b, b.token))
    r = requests.post(f"{b.host}/oidc/accounts/{b.account_id}/v1/token",
                      data={"grant_type": "client_credentials", "scope": "all-apis"},
                      auth=("nobody", "wrong"), timeout=10)
    assert r.status_code == 429 and r.headers["Retry-After"].isdigit(), r.text
    assert metric(b, 'ironbrick_rate_limited_total{key="client_ip"}') >= 3
    time.sleep(wait)
    assert account_get(b, b.token).status_code == 200


def test_the_default_limits_do_not_throttle_a_busy_client(started):
    b = started()
    acct = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
    ws = make_workspace(acct)
    w = WorkspaceClient(host=b.ws_url(ws.workspace_id), token=b.token)
    with requests.Session() as s:
        s.headers["Authorization"] = f"Bearer {b.token}"
        for _ in range(300):
            r = s.get(f"{b.ws_url(ws.workspace_id)}/api/2.0/token/list", timeout=10)
            assert r.status_code == 200, r.text
    assert w.current_user.me().user_name == "admin@ironbrick.local"
    assert metric(b, 'ironbrick_rate_limited_total{key="principal"}') == 0


def test_bodies_over_the_limit_are_413_in_databricks_form(started):
    b = started("--max-body-bytes", "65536")
    acct = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
    ws = make_workspace(acct)
    url = f"{b.ws_url(ws.workspace_id)}/api/2.0/workspace/import"
    auth = {"Authorization": f"Bearer {b.token}", "Content-Type": "application/json"}
    big = b'{"path": "/Shared/big", "format": "SOURCE", "language": "PYTHON", "content": "' + b"A" * 100_000 + b'"}'
    # With a Content-Length, refused before the body is read; chunked, once it grows past it.
    for body in (big, iter([big[i:i + 8192] for i in range(0, len(big), 8192)])):
        r = requests.post(url, data=body, headers=auth, timeout=10)
        assert r.status_code == 413, r.text
        assert r.json()["error_code"] == LIMITED and r.json()["message"], r.text
    # Under the limit the same import works.
    small = b'{"path": "/Shared/small", "format": "SOURCE", "language": "PYTHON", "content": "cHJpbnQoMSk="}'
    assert requests.post(url, data=small, headers=auth, timeout=10).status_code == 200


def raw(port: int, head: bytes, timeout: float = 10) -> tuple[int, bytes]:
    """Sends a request head on a fresh connection; the status and body of the answer (0 and
    b"" when the server closed the connection without one)."""
    import http.client

    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            sock.sendall(head)
        except (BrokenPipeError, ConnectionResetError):
            pass
        resp = http.client.HTTPResponse(sock)
        try:
            resp.begin()
        except (http.client.RemoteDisconnected, ConnectionResetError):
            return 0, b""
        return resp.status, resp.read()
    finally:
        sock.close()


def test_oversized_headers_are_refused(started):
    b = started("--max-header-bytes", "4096")
    def head(extra: int) -> bytes:
        return (b"GET /api/2.0/accounts/%s/workspaces HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Authorization: Bearer %s\r\nX-Padding: %s\r\nConnection: close\r\n\r\n"
                % (b.account_id.encode(), b.token.encode(), b"p" * extra))
    assert raw(b.port, head(100))[0] == 200
    # Over the limit: the application's 431 in Databricks' form.
    status, body = raw(b.port, head(6000))
    assert status == 431, body
    import json
    assert json.loads(body)["error_code"] == LIMITED
    # Far over it (past twice the limit plus a request line): hyper refuses the head itself,
    # 431 with an empty body, before the application sees it.
    status, body = raw(b.port, head(200_000))
    assert status in (431, 0) and body == b"", (status, body[:200])
    # The server keeps serving.
    assert requests.get(f"{b.host}/healthz", timeout=10).text == "ok"


def test_a_slowloris_client_is_disconnected_while_others_are_served(started):
    b = started("--header-read-timeout", "2s")
    slow = socket.create_connection(("127.0.0.1", b.port), timeout=15)
    idle = socket.create_connection(("127.0.0.1", b.port), timeout=15)
    start = time.monotonic()
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    closed_after = None
    served = 0
    while time.monotonic() - start < 12:
        try:
            slow.sendall(b"a")  # one byte a second, never finishing the head
        except (BrokenPipeError, ConnectionResetError):
            closed_after = time.monotonic() - start
            break
        slow.settimeout(1.0)
        try:
            if slow.recv(1024) == b"":
                closed_after = time.monotonic() - start
                break
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed_after = time.monotonic() - start
            break
        # Meanwhile other clients are answered at once.
        assert requests.get(f"{b.host}/healthz", timeout=5).text == "ok"
        served += 1
    assert closed_after is not None, "the slow client was never disconnected"
    assert 1.5 <= closed_after <= 8, closed_after
    assert served >= 1
    # A connection that never sends a byte is closed by the same timeout.
    idle.settimeout(8)
    try:
        assert idle.recv(1024) == b""
    except ConnectionResetError:
        pass
    slow.close()
    idle.close()


def test_connections_beyond_the_maximum_wait_until_one_closes(started):
    group = started("--max-connections", "4", "--header-read-timeout", "60s")
    b = group.one_replica()
    held = [socket.create_connection(("127.0.0.1", b.port), timeout=10) for _ in range(4)]
    time.sleep(0.5)
    # A fifth connection is not accepted (it waits in the listen backlog): no answer.
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{b.host}/healthz", timeout=(5, 1.5))
    # Per process: the other replicas still have their own connections to give.
    for other in group.each_replica()[1:]:
        assert requests.get(f"{other.host}/healthz", timeout=5).text == "ok"
    held.pop().close()
    time.sleep(0.3)
    # One slot free again: served (the timed-out request's connection may take it first and
    # close at once, so allow a retry).
    for attempt in range(3):
        try:
            assert requests.get(f"{b.host}/healthz", timeout=5).text == "ok"
            break
        except requests.exceptions.RequestException:
            if attempt == 2:
                raise
    for s in held:
        s.close()
