"""Customer-managed keys through AWS KMS (moto's server) and the local KMS: revocation fails
closed once the cached key expires and recovers without a restart; KMS down fails closed."""

import base64
import subprocess
import time

import boto3
import pytest
import requests
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.errors import PermissionDenied
from databricks.sdk.service.workspace import Language

from conftest import make_key, make_workspace
from support.server import Moto, binary, new_backend, remove

TTL = 1.0
# Long enough to warm and check every replica of a group within it on a busy machine.
AWS_TTL = 2.0
CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


def export_status(backend, ws_id, path="/Shared/nb"):
    r = requests.get(f"{backend.ws_url(ws_id)}/api/2.0/workspace/export", params={"path": path},
                     headers={"Authorization": f"Bearer {backend.token}"})
    return r.status_code, r.json()


def put_status(backend, ws_id):
    r = requests.post(f"{backend.ws_url(ws_id)}/api/2.0/secrets/put",
                      json={"scope": "s", "key": "new", "string_value": "v"},
                      headers={"Authorization": f"Bearer {backend.token}"})
    return r.status_code, r.json()


@pytest.fixture
def moto():
    m = Moto()
    yield m
    m.stop()


def setup_workspace(b, arn):
    a = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
    key = make_key(a, arn=arn)
    ws = make_workspace(a, managed_services_customer_managed_key_id=key.customer_managed_key_id)
    w = WorkspaceClient(host=b.ws_url(ws.workspace_id), token=b.token)
    w.workspace.import_(path="/Shared/nb", language=Language.PYTHON, content=base64.b64encode(b"1+1").decode())
    w.secrets.create_scope("s")
    return ws.workspace_id


def test_aws_kms_revocation_and_outage(moto):
    """A disabled key keeps serving where its data key is cached, until the cache's TTL, and
    nowhere after it. The cache is per process: against a replica group each replica is warmed
    and checked directly (a replica that never cached the key refuses at once, which is
    stricter), and every replica must refuse once the TTL is over."""
    kms = boto3.client("kms", endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    meta = kms.create_key()["KeyMetadata"]
    ttl = AWS_TTL
    b = new_backend("--kms", "aws", "--kms-endpoint", moto.url, "--dek-cache-ttl", f"{ttl}s", env=CREDS)
    each = b.each_replica()
    try:
        ws_id = setup_workspace(b, meta["Arn"])
        time.sleep(ttl + 0.3)  # what setup cached has expired: every replica's cache starts now
        for r in each:
            assert export_status(r, ws_id)[0] == 200
        kms.disable_key(KeyId=meta["KeyId"])
        for r in each:
            assert export_status(r, ws_id)[0] == 200, f"the cached key serves until the TTL ends ({r.host})"
        time.sleep(ttl + 0.3)
        for r in each:
            status, body = export_status(r, ws_id)
            assert status == 403 and body["error_code"] == "PERMISSION_DENIED" and "no data is lost" in body["message"], \
                (r.host, status, body)
            assert put_status(r, ws_id)[0] == 403
        kms.enable_key(KeyId=meta["KeyId"])
        for r in each:
            assert export_status(r, ws_id) == (200, {"content": base64.b64encode(b"1+1").decode(), "file_type": "py"})
            assert put_status(r, ws_id)[0] == 200
        moto.stop()
        time.sleep(ttl + 0.3)
        for r in each:
            status, body = export_status(r, ws_id)
            assert status == 503 and body["error_code"] == "TEMPORARILY_UNAVAILABLE", (r.host, status, body)
            metrics = requests.get(f"{r.host}/metrics").text
            assert 'ironbrick_kms_requests_total{op="unwrap",result="error"}' in metrics
    finally:
        remove(b)


def test_unusable_aws_key_is_refused_at_workspace_creation(moto):
    b = new_backend("--kms", "aws", "--kms-endpoint", moto.url, env=CREDS)
    try:
        a = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
        key = make_key(a, arn="arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000")
        from databricks.sdk.errors import InvalidParameterValue
        with pytest.raises(InvalidParameterValue):
            make_workspace(a, managed_services_customer_managed_key_id=key.customer_managed_key_id)
    finally:
        remove(b)


def test_local_kms_revocation_with_the_cli():
    b = new_backend("--dek-cache-ttl", f"{TTL}s")
    try:
        # on PostgreSQL the local key store lives in the database: the CLI goes there too
        kms = [str(binary("ironbrick", "IRONBRICK_BIN")), "kms", "--data-dir", str(b.data_dir),
               *(["--store", b.store_url] if b.store_url else [])]
        arn = subprocess.run([*kms, "create-key", "--region", "us-east-1"], check=True, capture_output=True,
                             text=True).stdout.strip()
        ws_id = setup_workspace(b, arn)
        subprocess.run([*kms, "disable", arn], check=True, capture_output=True)
        time.sleep(TTL + 0.3)
        w = WorkspaceClient(host=b.ws_url(ws_id), token=b.token)
        with pytest.raises(PermissionDenied):
            w.workspace.export("/Shared/nb")
        listing = subprocess.run([*kms, "list"], check=True, capture_output=True, text=True).stdout
        assert f"{arn}\tdisabled" in listing
        subprocess.run([*kms, "enable", arn], check=True, capture_output=True)
        assert base64.b64decode(w.workspace.export("/Shared/nb").content) == b"1+1"
    finally:
        remove(b)
