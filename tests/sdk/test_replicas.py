"""Two backends (replicas) on one PostgreSQL database, each with its own data dir and port:
objects, workspace secrets and notebooks written through one are read (and decrypted) through
the other, one admin token is minted and works on both, audit entries from both get distinct
sequence numbers, and log delivery runs on one leader, taken over with nothing lost when the
leader is killed."""

from __future__ import annotations

import base64
import re
import signal
import time
import uuid

import pytest
import requests
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.service import billing, provisioning
from databricks.sdk.service.workspace import ExportFormat, ImportFormat, Language

from conftest import make_workspace
from support import replicas
from support.replicas import sql, wait_for
from support.server import Backend, Moto, remove

INTERVAL = 1.0
ANSI = re.compile(r"\x1b\[[0-9;]*m")
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def moto():
    m = Moto()
    yield m
    m.stop()


def replica(url: str, moto: Moto, token: str = "") -> Backend:
    args = ["--s3-endpoint", moto.url, "--sts-endpoint", moto.url, "--log-delivery-interval", f"{INTERVAL}s"]
    return replicas.start(url, token=token, args=args, env=AWS_ENV)


def log_of(b: Backend) -> str:
    return ANSI.sub("", (b.data_dir.parent / f"ironbrick-{b.port}.log").read_text(errors="replace"))


def leads(b: Backend) -> bool:
    """Whether `b` last reported leading log delivery."""
    changes = re.findall(r"log delivery leadership changed leading=(true|false)", log_of(b))
    return bool(changes) and changes[-1] == "true"


def audit_entries(b: Backend) -> list[dict]:
    r = requests.get(f"{b.host}/api/2.0/accounts/{b.account_id}/audit-logs", params={"since": 0, "limit": 100000},
                     headers={"Authorization": f"Bearer {b.token}"}, timeout=30)
    r.raise_for_status()
    return r.json()["entries"]


def delivered_ids(moto: Moto, bucket: str) -> list[str]:
    import boto3
    import json
    client = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    out, token = [], None
    while True:
        page = client.list_objects_v2(Bucket=bucket, **({"ContinuationToken": token} if token else {}))
        for o in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode()
            out += [json.loads(line)["requestId"] for line in body.splitlines()]
        if not page.get("IsTruncated"):
            return out
        token = page["NextContinuationToken"]


def request_id(e: dict) -> str:
    return e.get("request_id") or f"ironbrick-audit-{e['seq']}"


def test_two_replicas_share_one_control_plane(pg, moto):
    url = pg.database()
    a_b = replica(url, moto)
    b_b = replica(url, moto, token=a_b.token)
    try:
        assert a_b.token and "token" not in (b_b.data_dir / "bootstrap.json").read_text(), \
            "only the first replica minted (and wrote) an admin token"
        assert a_b.account_id == b_b.account_id
        # the admin token works on both, and only one was minted
        for b in (a_b, b_b):
            r = requests.get(f"{b.host}/api/2.0/accounts/{b.account_id}/credentials",
                             headers={"Authorization": f"Bearer {a_b.token}"}, timeout=30)
            assert r.status_code == 200, r.text
        minted = sql(pg, url, "SELECT count(*) FROM ironbrick_kv WHERE tree = 'tokens' "
                              "AND position(convert_to('admin token (bootstrap)', 'UTF8') in value) > 0")
        assert minted == "1", minted

        acct_a = AccountClient(host=a_b.host, account_id=a_b.account_id, token=a_b.token)
        acct_b = AccountClient(host=b_b.host, account_id=b_b.account_id, token=a_b.token)
        # an object created through A is readable through B
        cred = acct_a.credentials.create(
            credentials_name="through-a",
            aws_credentials=provisioning.CreateCredentialAwsCredentials(
                sts_role=provisioning.CreateCredentialStsRole(role_arn="arn:aws:iam::123456789012:role/x")))
        assert acct_b.credentials.get(cred.credentials_id).credentials_name == "through-a"

        # secrets and notebooks sealed through A open through B (one shared key store)
        ws = make_workspace(acct_a)
        w_a = WorkspaceClient(host=a_b.ws_url(ws.workspace_id), token=a_b.token)
        w_b = WorkspaceClient(host=b_b.ws_url(ws.workspace_id), token=a_b.token)
        mark = uuid.uuid4().hex
        w_a.secrets.create_scope(scope="shared")
        w_a.secrets.put_secret("shared", "k", string_value=mark)
        assert base64.b64decode(w_b.secrets.get_secret("shared", "k").value).decode() == mark
        w_a.workspace.import_(path="/Shared/nb", format=ImportFormat.SOURCE, language=Language.PYTHON,
                              content=base64.b64encode(f"# {mark}".encode()).decode())
        exported = w_b.workspace.export("/Shared/nb", format=ExportFormat.SOURCE)
        assert base64.b64decode(exported.content).decode() == f"# {mark}"
        w_b.secrets.put_secret("shared", "k2", string_value=mark + "-b")
        assert base64.b64decode(w_a.secrets.get_secret("shared", "k2").value).decode() == mark + "-b"

        # audit entries written through both replicas, interleaved: all present, distinct numbers
        sent = []
        with requests.Session() as s:
            for i in range(60):
                b = (a_b, b_b)[i % 2]
                rid = f"/api/2.0/nothing-here-{i}"
                s.post(f"{b.ws_url(ws.workspace_id)}{rid}", headers={"Authorization": f"Bearer {a_b.token}"},
                       timeout=10)
                sent.append(rid)
        entries = audit_entries(b_b)
        seqs = [e["seq"] for e in entries]
        assert len(seqs) == len(set(seqs)), "no sequence number is used twice"
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "numbers are contiguous"
        paths = {e["path"] for e in entries}
        missing = {f"/w/{ws.workspace_id}{p}" for p in sent} - paths
        assert not missing, f"every entry is present; missing {sorted(missing)[:5]}"
        assert len(audit_entries(a_b)) >= len(entries)

        # log delivery: exactly one leader delivers; killing it hands delivery over
        import boto3
        bucket = f"logs-{uuid.uuid4().hex[:10]}"
        boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="testing",
                     aws_secret_access_key="testing").create_bucket(Bucket=bucket)
        c = acct_a.credentials.create(
            credentials_name="logs",
            aws_credentials=provisioning.CreateCredentialAwsCredentials(
                sts_role=provisioning.CreateCredentialStsRole(role_arn="arn:aws:iam::123456789012:role/logs")))
        st = acct_a.storage.create(storage_configuration_name="logs",
                                   root_bucket_info=provisioning.RootBucketInfo(bucket_name=bucket))
        acct_a.log_delivery.create(billing.CreateLogDeliveryConfigurationParams(
            log_type=billing.LogType.AUDIT_LOGS, output_format=billing.OutputFormat.JSON,
            credentials_id=c.credentials_id, storage_configuration_id=st.storage_configuration_id,
            delivery_path_prefix="audit"))
        wait_for("a leader", lambda: leads(a_b) or leads(b_b))
        time.sleep(3 * INTERVAL)
        assert leads(a_b) != leads(b_b), "exactly one replica leads log delivery"
        leader, follower = (a_b, b_b) if leads(a_b) else (b_b, a_b)
        wanted = {request_id(e) for e in audit_entries(follower)}
        wait_for("delivery by the leader", lambda: wanted <= set(delivered_ids(moto, bucket)))

        leader.stop(signal.SIGKILL)
        with requests.Session() as s:
            for i in range(40):
                s.post(f"{follower.ws_url(ws.workspace_id)}/api/2.0/after-kill-{i}",
                       headers={"Authorization": f"Bearer {a_b.token}"}, timeout=10)
        wait_for("the follower taking over", lambda: leads(follower), timeout=60)
        everything = {request_id(e) for e in audit_entries(follower)}
        wait_for("every entry delivered after the takeover",
                 lambda: everything <= set(delivered_ids(moto, bucket)), timeout=60)
        got = delivered_ids(moto, bucket)
        assert set(got) == everything, "nothing lost, nothing invented"
    finally:
        remove(a_b)
        remove(b_b)
