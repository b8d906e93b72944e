"""Host-based workspace URLs (`--workspace-domain`), deployment names, and the AWS fields of the
workspace request, through the official SDK.

Names under the test domain do not resolve on this machine: `resolve_test_domain` makes this
process resolve them to 127.0.0.1 for the duration of one test (as a wildcard DNS record would).
"""

from __future__ import annotations

import re
import socket
import urllib.parse
import uuid

import pytest
import requests
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, InvalidState, NotFound, ResourceAlreadyExists
from databricks.sdk.service import provisioning

from conftest import account_objects, make_workspace
from support.server import Backend, new_backend, remove

DOMAIN = "ironbrick.test"


@pytest.fixture(scope="module")
def host_backend() -> Backend:
    b = new_backend("--workspace-domain", DOMAIN)
    yield b
    remove(b)


@pytest.fixture(scope="module")
def host_acct(host_backend: Backend) -> AccountClient:
    return AccountClient(host=host_backend.host, account_id=host_backend.account_id, token=host_backend.token)


@pytest.fixture
def resolve_test_domain(monkeypatch):
    """Resolves <anything>.ironbrick.test to 127.0.0.1 in this process, for this test only."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.rstrip(".").endswith("." + DOMAIN):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def scheme_and_host(url: str) -> str:
    """What clients that keep only the scheme and host of a workspace URL make of it."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_workspace_urls_are_hosts_and_sdk_clients_work_there(host_acct, host_backend, resolve_test_domain):
    name = f"team-{uuid.uuid4().hex[:6]}"
    ws = make_workspace(host_acct, deployment_name=name)
    url = f"http://{name}.{DOMAIN}:{host_backend.port}"
    assert ws.deployment_name == name
    assert host_acct.workspaces.get(ws.workspace_id).deployment_name == name
    raw = requests.get(f"{host_backend.host}/api/2.0/accounts/{host_backend.account_id}/workspaces/{ws.workspace_id}",
                       headers={"Authorization": f"Bearer {host_backend.token}"}, timeout=10).json()
    assert raw["workspace_url"] == url
    # a client that keeps only scheme and host of the URL reaches the same workspace
    assert scheme_and_host(raw["workspace_url"]) == url

    w = WorkspaceClient(host=url, token=host_backend.token)
    me = w.current_user.me()
    assert me.user_name
    created = w.tokens.create(comment="via-host", lifetime_seconds=600)
    # the path form keeps working and sees the same workspace
    by_path = WorkspaceClient(host=f"{host_backend.host}/w/{ws.workspace_id}", token=host_backend.token)
    assert created.token_info.token_id in [t.token_id for t in by_path.tokens.list()]
    # the workspace's own PAT works at its host too
    mine = WorkspaceClient(host=url, token=created.token_value)
    assert mine.current_user.me().user_name == me.user_name
    # the account API stays on the public host
    assert requests.get(f"{url}/api/2.0/accounts/{host_backend.account_id}/workspaces",
                        headers={"Authorization": f"Bearer {host_backend.token}"}, timeout=10).status_code == 404


def test_unknown_and_deleted_workspace_hosts_are_not_found(host_acct, host_backend, resolve_test_domain):
    nobody = f"http://nobody-{uuid.uuid4().hex[:6]}.{DOMAIN}:{host_backend.port}"
    r = requests.get(f"{nobody}/api/2.0/preview/scim/v2/Me", headers={"Authorization": f"Bearer {host_backend.token}"},
                     timeout=10)
    assert r.status_code == 404
    assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "deployment name" in r.json()["message"]
    with pytest.raises(NotFound):
        WorkspaceClient(host=nobody, token=host_backend.token).current_user.me()

    ws = make_workspace(host_acct)
    url = f"http://{ws.deployment_name}.{DOMAIN}:{host_backend.port}"
    w = WorkspaceClient(host=url, token=host_backend.token)
    assert w.current_user.me().user_name
    host_acct.workspaces.delete(ws.workspace_id)
    with pytest.raises(NotFound):
        w.current_user.me()


def test_deployment_names_are_defaulted_unique_and_validated(acct, backend):
    ws = make_workspace(acct)
    assert re.fullmatch(r"dbc-[0-9a-f]{8}-[0-9a-f]{4}", ws.deployment_name), ws.deployment_name
    # without a workspace domain the URL keeps the zero-setup path form
    raw = requests.get(f"{backend.host}/api/2.0/accounts/{backend.account_id}/workspaces/{ws.workspace_id}",
                       headers={"Authorization": f"Bearer {backend.token}"}, timeout=10).json()
    assert raw["workspace_url"] == f"{backend.host}/w/{ws.workspace_id}"

    name = f"unique-{uuid.uuid4().hex[:6]}"
    make_workspace(acct, deployment_name=name)
    with pytest.raises(ResourceAlreadyExists):
        make_workspace(acct, deployment_name=name)
    for bad in ["Upper", "under_score", "-lead", "trail-", "dot.ted", "x" * 64, "EMPTY"]:
        with pytest.raises(InvalidParameterValue, match="deployment_name"):
            make_workspace(acct, deployment_name=bad)


def test_aws_fields_round_trip_and_custom_tags_update(acct, backend):
    ws = make_workspace(acct, custom_tags={"team": "data", "note": ""}, pricing_tier=provisioning.PricingTier.PREMIUM,
                        network_connectivity_config_id="ncc-one")
    got = acct.workspaces.get(ws.workspace_id)
    assert got.custom_tags == {"team": "data", "note": ""}
    assert got.pricing_tier == provisioning.PricingTier.PREMIUM
    assert got.compute_mode == provisioning.CustomerFacingComputeMode.HYBRID
    assert got.storage_mode == provisioning.CustomerFacingStorageMode.CUSTOMER_HOSTED
    assert got.cloud == "aws"
    assert got.network_connectivity_config_id == "ncc-one"

    updated = acct.workspaces.update(ws.workspace_id, customer_facing_workspace=provisioning.Workspace(
        custom_tags={"team": "ml"}, network_connectivity_config_id="ncc-two"),
        update_mask="custom_tags,network_connectivity_config_id").result()
    assert updated.custom_tags == {"team": "ml"}
    assert updated.network_connectivity_config_id == "ncc-two"
    r = requests.patch(f"{backend.host}/api/2.0/accounts/{backend.account_id}/workspaces/{ws.workspace_id}",
                       json={"custom_tags": {"cost-center": "42"}},
                       headers={"Authorization": f"Bearer {backend.token}"}, timeout=10)
    assert r.status_code == 200, r.text
    assert acct.workspaces.get(ws.workspace_id).custom_tags == {"cost-center": "42"}
    with pytest.raises(InvalidParameterValue, match="custom_tags"):
        acct.workspaces.update(ws.workspace_id, customer_facing_workspace=provisioning.Workspace(
            custom_tags={"k" * 128: "v"}), update_mask="custom_tags")

    serverless = acct.workspaces.create_and_wait(workspace_name="sl", aws_region="us-east-1",
                                                 compute_mode=provisioning.CustomerFacingComputeMode.SERVERLESS)
    assert serverless.compute_mode == provisioning.CustomerFacingComputeMode.SERVERLESS
    assert serverless.storage_mode == provisioning.CustomerFacingStorageMode.DEFAULT_STORAGE
    assert serverless.credentials_id is None
    cred, storage = account_objects(acct)
    with pytest.raises(InvalidParameterValue, match="SERVERLESS"):
        acct.workspaces.create(workspace_name="bad", aws_region="us-east-1", credentials_id=cred,
                               storage_configuration_id=storage,
                               compute_mode=provisioning.CustomerFacingComputeMode.SERVERLESS)


def test_expected_status_provisioning_holds_until_running_is_asked(acct):
    cred, storage = account_objects(acct)
    r = acct.api_client.do("POST", f"/api/2.0/accounts/{acct.config.account_id}/workspaces", body={
        "workspace_name": "held", "aws_region": "us-east-1", "credentials_id": cred,
        "storage_configuration_id": storage, "expected_workspace_status": "PROVISIONING"})
    ws_id = r["workspace_id"]
    assert acct.workspaces.get(ws_id).workspace_status == provisioning.WorkspaceStatus.PROVISIONING
    running = acct.workspaces.update_and_wait(ws_id, customer_facing_workspace=provisioning.Workspace(
        expected_workspace_status=provisioning.WorkspaceStatus.RUNNING), update_mask="expected_workspace_status")
    assert running.workspace_status == provisioning.WorkspaceStatus.RUNNING
    with pytest.raises(InvalidState):
        acct.workspaces.update(ws_id, customer_facing_workspace=provisioning.Workspace(
            expected_workspace_status=provisioning.WorkspaceStatus.PROVISIONING),
            update_mask="expected_workspace_status")


@pytest.mark.parametrize("field,value", [
    ("location", "us-east4"),
    ("cloud_resource_container", provisioning.CloudResourceContainer(
        gcp=provisioning.CustomerFacingGcpCloudResourceContainer(project_id="p"))),
    ("gcp_managed_network_config", provisioning.GcpManagedNetworkConfig(subnet_cidr="10.0.0.0/16")),
    ("gke_config", provisioning.GkeConfig(master_ip_range="10.3.0.0/28")),
])
def test_other_clouds_workspace_fields_are_refused(acct, field, value):
    with pytest.raises(InvalidParameterValue, match=f"{field} not supported: Ironbrick serves AWS workspaces"):
        make_workspace(acct, **{field: value})


def test_other_clouds_network_and_key_fields_are_refused(acct):
    with pytest.raises(InvalidParameterValue, match="gcp_network_info not supported"):
        acct.networks.create(network_name="gcp", gcp_network_info=provisioning.GcpNetworkInfo(
            network_project_id="p", vpc_id="v", subnet_id="s", subnet_region="us-east4",
            pod_ip_range_name="pods", service_ip_range_name="svc"))
    with pytest.raises(InvalidParameterValue, match="gcp_key_info not supported"):
        acct.encryption_keys.create(use_cases=[provisioning.KeyUseCase.STORAGE],
                                    gcp_key_info=provisioning.CreateGcpKeyInfo(kms_key_id="projects/p/keys/k"))
