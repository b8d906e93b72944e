"""Private access enforced: a backend behind a (simulated) AWS Network Load Balancer that sends
PROXY protocol v2 headers with the VPC endpoint TLV. The test client writes the headers itself
from 127.0.0.x source addresses: 127.0.0.2 is the trusted load balancer, 127.0.0.3 is not."""

from __future__ import annotations

import http.client
import json
import secrets
import socket
import struct
import uuid

import pytest
import requests
from databricks.sdk import AccountClient
from databricks.sdk.service import provisioning

from conftest import make_workspace
from support.server import new_backend, remove

LB, STRANGER = "127.0.0.2", "127.0.0.3"
SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


@pytest.fixture(scope="module")
def backend():
    b = new_backend("--proxy-protocol", "--trusted-proxy", f"{LB}/32")
    yield b
    remove(b)


def proxy_v2(client: str, vpce: str | None = None) -> bytes:
    tlvs = b""
    if vpce:
        value = b"\x01" + vpce.encode()
        tlvs = struct.pack("!BH", 0xEA, len(value)) + value
    addresses = socket.inet_aton(client) + socket.inet_aton("10.0.0.1") + struct.pack("!HH", 51000, 443)
    return SIGNATURE + bytes([0x21, 0x11]) + struct.pack("!H", len(addresses) + len(tlvs)) + addresses + tlvs


def call(backend, ws: int, source: str = "127.0.0.1", header: bytes = b"", path: str = "/preview/scim/v2/Me"):
    """GET a workspace endpoint over a fresh connection from `source`, after `header`."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.connect(("127.0.0.1", backend.port))
    s.sendall(header)
    conn = http.client.HTTPConnection("127.0.0.1", backend.port, timeout=10)
    conn.sock = s
    conn.request("GET", f"/w/{ws}/api/2.0{path}", headers={"Authorization": f"Bearer {backend.token}"})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, json.loads(body or b"{}")


def vpce() -> str:
    return "vpce-" + secrets.token_hex(9)[:17]


@pytest.fixture(scope="module")
def account(backend) -> AccountClient:
    return AccountClient(host=backend.host, account_id=backend.account_id, token=backend.token)


def register(acct, region="us-east-1"):
    aws = vpce()
    return acct.vpc_endpoints.create(vpc_endpoint_name=f"ep-{uuid.uuid4().hex[:6]}", aws_vpc_endpoint_id=aws,
                                     region=region), aws


def audit(backend, since: int) -> list[dict]:
    base = f"{backend.host}/api/2.0/accounts/{backend.account_id}"
    return requests.get(f"{base}/audit-logs", params={"since": since},
                        headers={"Authorization": f"Bearer {backend.token}"}, timeout=10).json()["entries"]


def test_public_access_disabled_takes_allowed_endpoints_only(backend, account):
    (a, a_aws), (b, b_aws), (w, w_aws) = register(account), register(account), register(account, "us-west-2")
    pas = account.private_access.create(private_access_settings_name="closed", region="us-east-1",
                                        public_access_enabled=False)
    ws = make_workspace(account, private_access_settings_id=pas.private_access_settings_id).workspace_id
    since = (audit(backend, 0) or [{"seq": -1}])[-1]["seq"] + 1

    status, body = call(backend, ws)
    assert status == 403 and "Public access is disabled" in body["message"], body
    assert body["error_code"] == "PERMISSION_DENIED"
    assert call(backend, ws, LB, proxy_v2("198.51.100.7", a_aws))[0] == 200
    assert call(backend, ws, LB, proxy_v2("198.51.100.7", b_aws))[0] == 200, "ACCOUNT: any endpoint of the region"
    status, body = call(backend, ws, LB, proxy_v2("198.51.100.7", w_aws))
    assert status == 403 and "us-west-2" in body["message"]
    assert call(backend, ws, LB, proxy_v2("198.51.100.7", vpce()))[0] == 403, "an unregistered endpoint"
    assert call(backend, ws, LB, proxy_v2("198.51.100.7"))[0] == 403, "through the balancer, but no endpoint"

    denied = [e for e in audit(backend, since) if e["status"] == 403 and e["path"].startswith(f"/w/{ws}/")]
    assert len(denied) == 4 and {e["source_ip"] for e in denied} == {"127.0.0.1", "198.51.100.7"}

    account.private_access.replace(pas.private_access_settings_id, provisioning.PrivateAccessSettings(
        private_access_settings_name="closed", region="us-east-1", public_access_enabled=False,
        private_access_level=provisioning.PrivateAccessLevel.ENDPOINT, allowed_vpc_endpoint_ids=[a.vpc_endpoint_id]))
    assert call(backend, ws, LB, proxy_v2("198.51.100.7", a_aws))[0] == 200
    status, body = call(backend, ws, LB, proxy_v2("198.51.100.7", b_aws))
    assert status == 403 and "is not allowed" in body["message"], "ENDPOINT: only the listed ones"

    account.private_access.replace(pas.private_access_settings_id, provisioning.PrivateAccessSettings(
        private_access_settings_name="closed", region="us-east-1", public_access_enabled=True))
    assert call(backend, ws)[0] == 200, "public access enabled again"
    # the account API is not affected by private access settings
    assert requests.get(f"{backend.host}/api/2.0/accounts/{backend.account_id}/workspaces",
                        headers={"Authorization": f"Bearer {backend.token}"}, timeout=10).status_code == 200


def test_proxy_headers_only_from_trusted_proxies(backend, account):
    ws = make_workspace(account).workspace_id
    assert call(backend, ws)[0] == 200, "direct traffic without a header"
    assert call(backend, ws, LB, proxy_v2("198.51.100.9"))[0] == 200
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        call(backend, ws, STRANGER, proxy_v2("198.51.100.9"))
    v1 = b"PROXY TCP4 198.51.100.10 10.0.0.1 51000 443\r\n"
    assert call(backend, ws, LB, v1)[0] == 200
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        call(backend, ws, STRANGER, v1)


def test_ip_access_lists_apply_to_public_traffic_only(backend, account):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.settings import ListType
    _, aws = register(account)
    ws = make_workspace(account).workspace_id
    w = WorkspaceClient(host=backend.ws_url(ws), token=backend.token)
    # allow the test machine and 10.0.0.0/8 only
    w.ip_access_lists.create(label="office", list_type=ListType.ALLOW, ip_addresses=["127.0.0.1/32", "10.0.0.0/8"])
    w.workspace_conf.set_status({"enableIpAccessLists": "true"})
    assert call(backend, ws, LB, proxy_v2("10.1.2.3"))[0] == 200, "public, from an allowed address"
    status, body = call(backend, ws, LB, proxy_v2("198.51.100.7"))
    assert status == 403 and "IP ACL" in body["message"], "public, from a blocked address"
    assert call(backend, ws, LB, proxy_v2("198.51.100.7", aws))[0] == 200, "private traffic skips the IP lists"
