"""Workspaces: lifecycle, status, the two update forms, fixed CMKs, references."""

import time

import pytest
import requests
from databricks.sdk.errors import BadRequest, InvalidParameterValue, InvalidState, NotFound
from databricks.sdk.service import provisioning

from conftest import account_objects, make_key, make_workspace
from support.server import new_backend, remove


def test_lifecycle_and_workspace_url(acct, backend):
    ws = make_workspace(acct, workspace_name="alpha", deployment_name="alpha-dep")
    assert ws.workspace_status == provisioning.WorkspaceStatus.RUNNING
    raw = requests.get(f"{backend.host}/api/2.0/accounts/{backend.account_id}/workspaces/{ws.workspace_id}",
                       headers={"Authorization": f"Bearer {backend.token}"}).json()
    assert raw["workspace_url"] == f"{backend.host}/w/{ws.workspace_id}"
    assert ws.workspace_id in [w.workspace_id for w in acct.workspaces.list()]
    acct.workspaces.delete(ws.workspace_id)
    with pytest.raises(NotFound):
        acct.workspaces.get(ws.workspace_id)


def test_provisioning_then_running_with_a_delay():
    b = new_backend("--provisioning-delay", "1500ms")
    try:
        from databricks.sdk import AccountClient
        a = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
        cred, storage = account_objects(a)
        waiter = a.workspaces.create(workspace_name="slow", aws_region="us-east-1", credentials_id=cred,
                                     storage_configuration_id=storage)
        assert waiter.response.workspace_status == provisioning.WorkspaceStatus.PROVISIONING
        started = time.time()
        assert waiter.result().workspace_status == provisioning.WorkspaceStatus.RUNNING
        assert time.time() - started > 0.5
    finally:
        remove(b)


def test_both_update_forms(acct, backend):
    ws = make_workspace(acct, workspace_name="before")
    updated = acct.workspaces.update(ws.workspace_id, customer_facing_workspace=provisioning.Workspace(
        workspace_name="after"), update_mask="workspace_name").result()
    assert updated.workspace_name == "after"
    _, other_storage = account_objects(acct)
    r = requests.patch(f"{backend.host}/api/2.0/accounts/{backend.account_id}/workspaces/{ws.workspace_id}",
                       json={"storage_configuration_id": other_storage},
                       headers={"Authorization": f"Bearer {backend.token}"})
    assert r.status_code == 200, r.text
    assert acct.workspaces.get(ws.workspace_id).storage_configuration_id == other_storage
    with pytest.raises(InvalidParameterValue):
        acct.workspaces.update(ws.workspace_id, customer_facing_workspace=provisioning.Workspace(
            aws_region="us-west-2"), update_mask="aws_region")


def test_cmk_ids_are_fixed_at_creation(acct, backend):
    key = make_key(acct)
    other = make_key(acct)
    ws = make_workspace(acct, managed_services_customer_managed_key_id=key.customer_managed_key_id)
    with pytest.raises(InvalidParameterValue):
        acct.workspaces.update(ws.workspace_id, customer_facing_workspace=provisioning.Workspace(
            managed_services_customer_managed_key_id=other.customer_managed_key_id),
            update_mask="managed_services_customer_managed_key_id")
    storage_key = make_key(acct, use_cases=("STORAGE",))
    r = requests.patch(f"{backend.host}/api/2.0/accounts/{backend.account_id}/workspaces/{ws.workspace_id}",
                       json={"storage_customer_managed_key_id": storage_key.customer_managed_key_id},
                       headers={"Authorization": f"Bearer {backend.token}"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert acct.workspaces.get(ws.workspace_id).storage_customer_managed_key_id is None
    with pytest.raises(InvalidState):
        acct.encryption_keys.delete(key.customer_managed_key_id)
    acct.workspaces.delete(ws.workspace_id)
    acct.encryption_keys.delete(key.customer_managed_key_id)


def test_key_rules_and_unknown_references(acct):
    eu = make_key(acct, region="eu-west-1")
    with pytest.raises(InvalidParameterValue, match="us-east-1"):
        make_workspace(acct, aws_region="eu-west-1", managed_services_customer_managed_key_id=eu.customer_managed_key_id)
    west = make_key(acct, region="us-west-2")
    with pytest.raises(InvalidParameterValue):
        make_workspace(acct, aws_region="us-east-1", managed_services_customer_managed_key_id=west.customer_managed_key_id)
    storage_only = make_key(acct, use_cases=("STORAGE",))
    with pytest.raises(InvalidParameterValue):
        make_workspace(acct, managed_services_customer_managed_key_id=storage_only.customer_managed_key_id)
    for field in ["network_id", "managed_services_customer_managed_key_id", "storage_customer_managed_key_id"]:
        with pytest.raises(BadRequest):
            make_workspace(acct, **{field: "00000000-0000-0000-0000-000000000000"})
    with pytest.raises(InvalidParameterValue):
        acct.workspaces.create(workspace_name="x", aws_region="mars-1", credentials_id="nope",
                               storage_configuration_id="nope")
