"""Audit log delivery to moto's S3, the role assumed through moto's STS, every second:
lines in Databricks' audit schema under the right keys; the workspace filter; no secret or
token value in any delivered object; nothing lost while S3 is down, across a SIGKILL of the
backend mid-delivery, or while a configuration is disabled (duplicates are counted)."""

from __future__ import annotations

import base64
import json
import re
import secrets
import signal
import threading
import time
import uuid
from datetime import datetime, timezone

import boto3
import pytest
import requests
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.service import billing, provisioning

from conftest import make_workspace
from support.server import Backend, Moto, delivery_backend, remove

INTERVAL = 1.0
KEY = re.compile(r"^(?P<prefix>.+/)?workspaceId=(?P<ws>\d+)/date=(?P<date>\d{4}-\d{2}-\d{2})/auditlogs_[^/]+\.json$")
FIELDS = {"version", "timestamp", "workspaceId", "serviceName", "actionName", "requestId", "requestParams",
          "response", "userIdentity", "sourceIPAddress", "userAgent"}


@pytest.fixture(scope="module")
def moto():
    m = Moto()
    yield m
    m.stop()


@pytest.fixture(scope="module")
def b(moto):
    backend = delivery_backend(moto, f"{INTERVAL}s")
    yield backend
    remove(backend)


@pytest.fixture(scope="module")
def a(b) -> AccountClient:
    return AccountClient(host=b.host, account_id=b.account_id, token=b.token)


def s3(moto: Moto):
    return boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def bucket(moto: Moto, name: str | None = None) -> str:
    name = name or f"logs-{uuid.uuid4().hex[:10]}"
    s3(moto).create_bucket(Bucket=name)
    return name


def configure(a: AccountClient, bucket_name: str, prefix: str | None = "audit", **kw) -> billing.LogDeliveryConfiguration:
    cred = a.credentials.create(
        credentials_name=f"logs-{uuid.uuid4().hex[:6]}",
        aws_credentials=provisioning.CreateCredentialAwsCredentials(
            sts_role=provisioning.CreateCredentialStsRole(role_arn="arn:aws:iam::123456789012:role/log-delivery")))
    storage = a.storage.create(storage_configuration_name=f"logs-{uuid.uuid4().hex[:6]}",
                               root_bucket_info=provisioning.RootBucketInfo(bucket_name=bucket_name))
    return a.log_delivery.create(billing.CreateLogDeliveryConfigurationParams(
        log_type=billing.LogType.AUDIT_LOGS, output_format=billing.OutputFormat.JSON,
        credentials_id=cred.credentials_id, storage_configuration_id=storage.storage_configuration_id,
        delivery_path_prefix=prefix, **kw)).log_delivery_configuration


def objects(moto: Moto, bucket_name: str) -> dict[str, bytes]:
    client, out, token = s3(moto), {}, None
    while True:
        page = client.list_objects_v2(Bucket=bucket_name, **({"ContinuationToken": token} if token else {}))
        for o in page.get("Contents", []):
            out[o["Key"]] = client.get_object(Bucket=bucket_name, Key=o["Key"])["Body"].read()
        if not page.get("IsTruncated"):
            return out
        token = page["NextContinuationToken"]


def lines(objs: dict[str, bytes]) -> list[tuple[str, dict]]:
    return [(k, json.loads(line)) for k, body in sorted(objs.items()) for line in body.decode().splitlines()]


def audit_entries(b: Backend) -> list[dict]:
    r = requests.get(f"{b.host}/api/2.0/accounts/{b.account_id}/audit-logs", params={"since": 0, "limit": 10000},
                     headers={"Authorization": f"Bearer {b.token}"})
    r.raise_for_status()
    return r.json()["entries"]


def request_id(e: dict) -> str:
    return e.get("request_id") or f"ironbrick-audit-{e['seq']}"


def wait_for(what: str, check, timeout: float = 20 * INTERVAL):
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        last = check()
        if last:
            return last
        time.sleep(INTERVAL / 4)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def delivered_ids(moto, bucket_name) -> list[str]:
    return [line["requestId"] for _, line in lines(objects(moto, bucket_name))]


def test_lines_appear_under_the_right_keys_and_parse(moto, b, a):
    name = bucket(moto)
    config = configure(a, name, prefix="audit/logs")
    ws = make_workspace(a)
    w = WorkspaceClient(host=b.ws_url(ws.workspace_id), token=b.token)
    w.secrets.create_scope(scope="delivery")
    requests.post(f"{b.ws_url(ws.workspace_id)}/api/2.0/secrets/scopes/create", json={"scope": "x"})  # 401
    started = time.time()
    wanted = {request_id(e) for e in audit_entries(b)}
    got = wait_for("every audit entry delivered", lambda: wanted <= set(delivered_ids(moto, name)))
    elapsed = time.time() - started
    # One interval, plus room for a loaded machine (a debug build, shared cores).
    assert elapsed < 8 * INTERVAL, f"delivered after {elapsed:.1f}s with a {INTERVAL}s interval"
    assert got
    by_id = {request_id(e): e for e in audit_entries(b)}
    seen_ws = set()
    for key, line in lines(objects(moto, name)):
        m = KEY.match(key)
        assert m and m["prefix"] == "audit/logs/", key
        assert FIELDS <= set(line), sorted(FIELDS - set(line))
        assert line["version"] == "2.0" and int(m["ws"]) == line["workspaceId"]
        day = datetime.fromtimestamp(line["timestamp"] / 1000, timezone.utc).strftime("%Y-%m-%d")
        assert m["date"] == day
        assert config.config_id in key
        entry = by_id[line["requestId"]]
        assert line["response"]["statusCode"] == entry["status"]
        assert line["sourceIPAddress"] == "127.0.0.1"
        assert line["workspaceId"] == (entry["workspace_id"] or 0)
        if entry["status"] >= 400:
            assert line["response"]["errorMessage"] == entry["error_code"]
        else:
            assert line["response"]["errorMessage"] is None
        seen_ws.add(line["workspaceId"])
    scope = [l for _, l in lines(objects(moto, name)) if l["actionName"] == "create" and l["serviceName"] == "secrets"]
    assert {s["response"]["statusCode"] for s in scope} == {200, 401}
    ok = next(s for s in scope if s["response"]["statusCode"] == 200)
    assert ok["userIdentity"]["email"] == "admin@ironbrick.local" and "databricks-sdk-py/" in ok["userAgent"]
    assert ok["workspaceId"] == ws.workspace_id
    assert {0, ws.workspace_id} <= seen_ws, "account-level events go to workspaceId=0"
    status = a.log_delivery.get(config.config_id).log_delivery_configuration.log_delivery_status
    assert status.status == billing.DeliveryStatus.SUCCEEDED and status.last_successful_attempt_time


def test_workspace_filter_and_disable_enable(moto, b, a):
    w1, w2 = make_workspace(a), make_workspace(a)
    name = bucket(moto)
    config = configure(a, name, prefix="filtered", workspace_ids_filter=[w1.workspace_id])
    for ws in (w1, w2):
        WorkspaceClient(host=b.ws_url(ws.workspace_id), token=b.token).secrets.create_scope(scope="f")
    mine = lambda: {request_id(e) for e in audit_entries(b) if e["workspace_id"] == w1.workspace_id}  # noqa: E731
    wait_for("workspace 1's entries", lambda: mine() <= set(delivered_ids(moto, name)))
    delivered = lines(objects(moto, name))
    assert delivered and {l["workspaceId"] for _, l in delivered} == {w1.workspace_id}
    assert all(k.startswith(f"filtered/workspaceId={w1.workspace_id}/") for k, _ in delivered)

    # Disabled: nothing delivered, the cursor kept; enabled again: it catches up.
    a.log_delivery.patch_status(config.config_id, billing.LogDeliveryConfigStatus.DISABLED)
    time.sleep(INTERVAL * 1.5)
    before = set(delivered_ids(moto, name))
    WorkspaceClient(host=b.ws_url(w1.workspace_id), token=b.token).secrets.create_scope(scope="while-disabled")
    time.sleep(INTERVAL * 3)
    assert set(delivered_ids(moto, name)) == before
    a.log_delivery.patch_status(config.config_id, billing.LogDeliveryConfigStatus.ENABLED)
    wait_for("catch-up after enabling", lambda: mine() <= set(delivered_ids(moto, name)))
    ids = delivered_ids(moto, name)
    assert len(ids) == len(set(ids)), "no line delivered twice"


def test_no_secret_or_token_value_is_delivered(moto, b, a):
    name = bucket(moto)
    configure(a, name, prefix=None)
    ws = make_workspace(a)
    w = WorkspaceClient(host=b.ws_url(ws.workspace_id), token=b.token)
    pat = w.tokens.create(comment="leak?", lifetime_seconds=600).token_value
    value = "s3cr3t-" + secrets.token_hex(16)
    w.secrets.create_scope(scope="vault")
    w.secrets.put_secret(scope="vault", key="k", string_value=value)
    w.secrets.put_secret(scope="vault", key="b", bytes_value=base64.b64encode(value.encode()).decode())
    password = "pw-" + secrets.token_hex(12)
    url = b.ws_url(ws.workspace_id)
    # Secrets where they do not belong: in the query string, the user agent, a wrong header.
    requests.post(f"{url}/api/2.0/secrets/put", params={"token": pat, "string_value": value, "note": pat},
                  json={"scope": "vault", "key": "q", "string_value": value},
                  headers={"Authorization": f"Bearer {pat}", "User-Agent": f"leaky/{pat}"})
    requests.post(f"{url}/api/2.0/token/create", auth=("admin@ironbrick.local", password), json={})
    requests.post(f"{url}/api/2.0/secrets/delete", headers={"Authorization": f"Bearer {pat}x"})
    wanted = {request_id(e) for e in audit_entries(b)}
    wait_for("everything delivered", lambda: wanted <= set(delivered_ids(moto, name)))
    objs = objects(moto, name)
    assert objs
    forbidden = {"PAT": pat, "secret value": value, "secret value (base64)": base64.b64encode(value.encode()).decode(),
                 "password": password, "admin token": b.token}
    if b.password:
        forbidden["admin password"] = b.password
    for key, body in objs.items():
        text = body.decode()
        for what, v in forbidden.items():
            assert v not in text, f"{what} found in s3://{name}/{key}"
    puts = [l for _, l in lines(objs) if l["actionName"] == "put" and l["workspaceId"] == ws.workspace_id]
    assert len(puts) >= 3, "the secret writes themselves are delivered"
    leaky = next(l for l in puts if "token" in l["requestParams"])
    assert leaky["requestParams"]["token"] == "**REDACTED**" and "**REDACTED**" in leaky["userAgent"]


def test_nothing_is_lost_while_s3_is_down():
    moto = Moto()
    b = delivery_backend(moto, f"{INTERVAL}s")
    try:
        a = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
        name = bucket(moto)
        config = configure(a, name)
        ws = make_workspace(a)
        w = WorkspaceClient(host=b.ws_url(ws.workspace_id), token=b.token)
        w.secrets.create_scope(scope="before")
        before = {request_id(e) for e in audit_entries(b)}
        wait_for("delivery before the outage", lambda: before <= set(delivered_ids(moto, name)))
        last_before = max(e["seq"] for e in audit_entries(b))
        ok_time = a.log_delivery.get(config.config_id).log_delivery_configuration.log_delivery_status \
            .last_successful_attempt_time

        moto.stop()
        for i in range(5):
            w.secrets.create_scope(scope=f"during-{i}")
        during = [e for e in audit_entries(b) if e["seq"] > last_before]
        assert len(during) >= 5

        def failed():
            s = a.log_delivery.get(config.config_id).log_delivery_configuration.log_delivery_status
            return s if s.status == billing.DeliveryStatus.SYSTEM_FAILURE else None

        status = wait_for("SYSTEM_FAILURE while S3 is down", failed)
        assert "S3 PutObject" in status.message and "cannot be reached" in status.message
        assert "testing" not in status.message and "AKIA" not in status.message
        # A pass with nothing to deliver may have succeeded between the read of `ok_time` and
        # the stop; none succeeds while S3 is down, and attempts go on.
        assert status.last_attempt_time and status.last_successful_attempt_time >= ok_time
        time.sleep(INTERVAL * 3)
        later = failed()
        assert later, "still failing while S3 is down"
        assert later.last_successful_attempt_time == status.last_successful_attempt_time
        assert later.last_attempt_time != status.last_attempt_time

        # moto comes back empty (it keeps its state in memory): the bucket is created again,
        # and what it receives is exactly what was recorded since the last delivery before
        # the outage — proof that the cursor did not move while S3 was down, and that
        # nothing delivered before is sent again.
        moto.start()
        bucket(moto, name)
        for i in range(3):
            w.secrets.create_scope(scope=f"after-{i}")
        expected = {request_id(e) for e in audit_entries(b) if e["seq"] > last_before}
        wait_for("catch-up after the outage", lambda: expected <= set(delivered_ids(moto, name)))
        got = delivered_ids(moto, name)
        assert set(got) == expected, "neither lost nor sent again"
        assert len(got) == len(set(got))
        assert {request_id(e) for e in during} <= set(got)
        status = a.log_delivery.get(config.config_id).log_delivery_configuration.log_delivery_status
        assert status.status == billing.DeliveryStatus.SUCCEEDED
    finally:
        remove(b)
        moto.stop()


def test_sigkill_mid_delivery_loses_nothing(moto):
    """A backlog across several workspaces (several objects per step, several steps) is
    building up while the configuration is disabled; once it is enabled, the backend is killed
    as soon as the first objects land, under continuous load. The bucket is versioned, so an
    object written again after the restart (a step redelivered) is seen as such."""
    b = delivery_backend(moto, f"{INTERVAL}s")
    stop = threading.Event()
    sent = {"ok": 0, "refused": 0}

    def post(s: requests.Session, ws_id: int) -> None:
        # A mutating request to an unknown endpoint: cheap, and audited.
        s.post(f"{b.ws_url(ws_id)}/api/2.0/nothing-here", headers={"Authorization": f"Bearer {b.token}"}, timeout=2)

    def load(ws_ids: list[int]) -> None:
        with requests.Session() as s:
            i = 0
            while not stop.is_set():
                try:
                    post(s, ws_ids[i % len(ws_ids)])
                    sent["ok"] += 1
                except requests.RequestException:
                    sent["refused"] += 1
                    time.sleep(0.05)
                i += 1

    try:
        a = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
        name = bucket(moto)
        client = s3(moto)
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        config = configure(a, name, prefix="crash", status=billing.LogDeliveryConfigStatus.DISABLED)
        ws_ids = [make_workspace(a).workspace_id for _ in range(6)]
        with requests.Session() as s:
            for i in range(2500):
                post(s, ws_ids[i % len(ws_ids)])
        thread = threading.Thread(target=load, args=(ws_ids,), daemon=True)
        thread.start()
        a.log_delivery.patch_status(config.config_id, billing.LogDeliveryConfigStatus.ENABLED)
        wait_for("first objects", lambda: client.list_objects_v2(Bucket=name).get("KeyCount", 0) >= 3,
                 timeout=30)
        b.stop(signal.SIGKILL)
        at_kill = client.list_objects_v2(Bucket=name).get("KeyCount", 0)
        b.start()  # same data dir, same port
        time.sleep(INTERVAL * 2)
        stop.set()
        thread.join()
        survivors = {request_id(e) for e in audit_entries(b)}
        wait_for("catch-up after the restart", lambda: survivors <= set(delivered_ids(moto, name)), timeout=60)
        got = delivered_ids(moto, name)
        duplicates = len(got) - len(set(got))
        versions = client.list_object_versions(Bucket=name).get("Versions", [])
        rewritten = len(versions) - len({v["Key"] for v in versions})
        print(f"\nSIGKILL test: {sent['ok']} requests answered under load, {len(survivors)} audit entries in the "
              f"store after the restart, {len(set(got))} delivered; {at_kill} objects written when killed, "
              f"{len(objects(moto, name))} in the end, {rewritten} rewritten after the restart "
              f"(a step redelivered to the same key); {duplicates} duplicate line(s)")
        assert survivors - set(got) == set(), "every stored audit entry is delivered"
        assert set(got) - survivors == set(), "nothing is delivered that the store does not hold"
        assert duplicates == 0, f"{duplicates} duplicate lines"
    finally:
        stop.set()
        remove(b)
