"""Log delivery configurations through the official SDK (`AccountClient.log_delivery`): create
(wrapped), get, list with its filters, status-only PATCH, Databricks' limits per log type, the
credential and storage configurations they hold, and every refusal."""

from __future__ import annotations

import uuid

import pytest
import requests
from databricks.sdk import AccountClient
from databricks.sdk.errors import BadRequest, InvalidParameterValue, InvalidState, NotFound
from databricks.sdk.service import billing

from conftest import account_objects, make_workspace
from support.server import new_backend, remove

AUDIT, USAGE = billing.LogType.AUDIT_LOGS, billing.LogType.BILLABLE_USAGE
JSON, CSV = billing.OutputFormat.JSON, billing.OutputFormat.CSV
ENABLED, DISABLED = billing.LogDeliveryConfigStatus.ENABLED, billing.LogDeliveryConfigStatus.DISABLED


def params(cred: str, storage: str, log_type=AUDIT, output_format=None, **kw):
    return billing.CreateLogDeliveryConfigurationParams(
        log_type=log_type, output_format=output_format or (JSON if log_type == AUDIT else CSV),
        credentials_id=cred, storage_configuration_id=storage, **kw)


def create(acct: AccountClient, cred: str, storage: str, **kw) -> billing.LogDeliveryConfiguration:
    return acct.log_delivery.create(params(cred, storage, **kw)).log_delivery_configuration


def raw(acct: AccountClient, method: str, rest: str = "", body=None) -> requests.Response:
    return requests.request(method, f"{acct.config.host}/api/2.0/accounts/{acct.config.account_id}/log-delivery{rest}",
                            json=body, headers={"Authorization": f"Bearer {acct.config.token}"})


def test_create_get_list_and_status_only_update(acct):
    cred, storage = account_objects(acct)
    ws = make_workspace(acct)
    c = create(acct, cred, storage, config_name="audit to s3", delivery_path_prefix="audit/logs",
               delivery_start_time="2024-01-02", workspace_ids_filter=[ws.workspace_id])
    assert c.config_id and c.account_id == acct.config.account_id
    assert (c.config_name, c.log_type, c.output_format, c.status) == ("audit to s3", AUDIT, JSON, ENABLED)
    assert (c.credentials_id, c.storage_configuration_id) == (cred, storage)
    assert (c.delivery_path_prefix, c.delivery_start_time) == ("audit/logs", "2024-01-02")
    assert c.workspace_ids_filter == [ws.workspace_id]
    assert c.creation_time > 0 and c.update_time == c.creation_time
    assert c.log_delivery_status.status == billing.DeliveryStatus.CREATED and c.log_delivery_status.message

    got = acct.log_delivery.get(c.config_id).log_delivery_configuration
    assert got == c

    # Defaults: ENABLED, start day = today (UTC), empty name; a disabled one may be created.
    usage = create(acct, cred, storage, log_type=USAGE, status=DISABLED, workspace_ids_filter=[ws.workspace_id])
    assert usage.output_format == CSV and usage.status == DISABLED and len(usage.delivery_start_time) == 10

    ids = lambda **kw: {x.config_id for x in acct.log_delivery.list(**kw)}  # noqa: E731
    assert {c.config_id, usage.config_id} <= ids()
    assert ids(status=DISABLED) >= {usage.config_id} and c.config_id not in ids(status=DISABLED)
    assert c.config_id in ids(status=ENABLED) and usage.config_id not in ids(status=ENABLED)
    other_cred, other_storage = account_objects(acct)
    assert c.config_id in ids(credentials_id=cred) and not ids(credentials_id=other_cred)
    assert c.config_id in ids(storage_configuration_id=storage) and not ids(storage_configuration_id=other_storage)
    assert raw(acct, "GET", "?status=ON").json()["error_code"] == "INVALID_PARAMETER_VALUE"

    acct.log_delivery.patch_status(c.config_id, DISABLED)
    after = acct.log_delivery.get(c.config_id).log_delivery_configuration
    assert after.status == DISABLED and after.update_time >= c.update_time
    assert (after.config_name, after.delivery_path_prefix, after.workspace_ids_filter) == (
        c.config_name, c.delivery_path_prefix, c.workspace_ids_filter)
    acct.log_delivery.patch_status(c.config_id, ENABLED)
    assert acct.log_delivery.get(c.config_id).log_delivery_configuration.status == ENABLED

    # After creation only status may change; configurations are never deleted.
    for body, message in [({"status": "ENABLED", "config_name": "x"}, "config_name cannot be changed"),
                          ({"delivery_path_prefix": "y"}, "only status may change"),
                          ({}, "status is required"),
                          ({"status": "PAUSED"}, "ENABLED")]:
        r = raw(acct, "PATCH", f"/{c.config_id}", body)
        assert (r.status_code, r.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), body
        assert message in r.json()["message"]
    r = raw(acct, "DELETE", f"/{c.config_id}")
    assert r.status_code == 405 and r.json()["error_code"] == "METHOD_NOT_ALLOWED"
    with pytest.raises(NotFound, match="does not exist"):
        acct.log_delivery.get(str(uuid.uuid4()))
    with pytest.raises(NotFound):
        acct.log_delivery.patch_status(str(uuid.uuid4()), DISABLED)


def test_every_bad_input_is_refused(acct):
    cred, storage = account_objects(acct)
    ws = make_workspace(acct)
    w = [ws.workspace_id]
    cases = [
        (dict(log_type=AUDIT, output_format=CSV), "output_format CSV is not supported for log_type AUDIT_LOGS"),
        (dict(log_type=USAGE, output_format=JSON), "output_format JSON is not supported for log_type BILLABLE_USAGE"),
        (dict(delivery_path_prefix="/audit"), "delivery_path_prefix"),
        (dict(delivery_path_prefix="audit/"), "delivery_path_prefix"),
        (dict(delivery_path_prefix="a//b"), "delivery_path_prefix"),
        (dict(delivery_path_prefix="a b"), "delivery_path_prefix"),
        (dict(delivery_start_time="2024-02-30"), "delivery_start_time"),
        (dict(delivery_start_time="01/02/2024"), "delivery_start_time"),
        (dict(delivery_start_time="2018-12-01"), "2019-03-01"),
        (dict(workspace_ids_filter=[987654321]), "workspace 987654321 does not exist"),
        (dict(workspace_ids_filter=w + w), "twice"),
        (dict(config_name="n" * 256), "config_name is longer than 255"),
    ]
    for kw, message in cases:
        kw.setdefault("workspace_ids_filter", w)
        with pytest.raises(InvalidParameterValue, match=message):
            create(acct, cred, storage, **kw)
    with pytest.raises(InvalidParameterValue, match=f"credentials_id: Credential configuration nope does not exist"):
        create(acct, "nope", storage, workspace_ids_filter=w)
    with pytest.raises(InvalidParameterValue, match="storage_configuration_id: Storage configuration nope"):
        create(acct, cred, "nope", workspace_ids_filter=w)
    # What the SDK's types would not let through, sent raw.
    for body, message in [({}, "log_delivery_configuration is required"),
                          ({"log_delivery_configuration": {"output_format": "JSON"}}, "log_type is required"),
                          ({"log_delivery_configuration": {"log_type": "AUDIT_LOGS"}}, "output_format is required"),
                          ({"log_delivery_configuration": {"log_type": "AUDIT", "output_format": "JSON"}},
                           "AUDIT_LOGS, BILLABLE_USAGE"),
                          ({"log_delivery_configuration": {"log_type": "AUDIT_LOGS", "output_format": "JSON",
                                                           "storage_configuration_id": storage}},
                           "credentials_id is required"),
                          ({"log_delivery_configuration": {"log_type": "AUDIT_LOGS", "output_format": "JSON",
                                                           "credentials_id": cred}},
                           "storage_configuration_id is required")]:
        r = raw(acct, "POST", "", body)
        assert (r.status_code, r.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), body
        assert message in r.json()["message"], r.json()
    assert not [c for c in acct.log_delivery.list() if c.credentials_id == cred], "nothing was created"


def test_limits_per_log_type_and_references():
    b = new_backend()
    try:
        acct = AccountClient(host=b.host, account_id=b.account_id, token=b.token)
        cred, storage = account_objects(acct)
        w1, w2 = make_workspace(acct).workspace_id, make_workspace(acct).workspace_id
        # Two enabled account-level configurations per log type.
        a1, a2 = create(acct, cred, storage), create(acct, cred, storage)
        with pytest.raises(BadRequest, match="At most 2 enabled account-level") as e:
            create(acct, cred, storage)
        assert e.value.error_code == "QUOTA_EXCEEDED"
        third = create(acct, cred, storage, status=DISABLED)
        with pytest.raises(BadRequest, match="At most 2 enabled account-level"):
            acct.log_delivery.patch_status(third.config_id, ENABLED)
        create(acct, cred, storage, log_type=USAGE)  # the other type has its own limit
        acct.log_delivery.patch_status(a1.config_id, DISABLED)
        acct.log_delivery.patch_status(third.config_id, ENABLED)
        with pytest.raises(BadRequest, match="At most 2"):
            acct.log_delivery.patch_status(a1.config_id, ENABLED)
        acct.log_delivery.patch_status(a2.config_id, ENABLED)  # already enabled: no change, no refusal

        # A workspace in the filters of two enabled configurations per log type.
        create(acct, cred, storage, workspace_ids_filter=[w1])
        create(acct, cred, storage, workspace_ids_filter=[w1, w2])
        with pytest.raises(BadRequest, match=f"Workspace {w1} is already in the workspace filter of 2"):
            create(acct, cred, storage, workspace_ids_filter=[w2, w1])
        create(acct, cred, storage, workspace_ids_filter=[w2])
        create(acct, cred, storage, workspace_ids_filter=[w1], status=DISABLED)
        create(acct, cred, storage, workspace_ids_filter=[w1], log_type=USAGE)

        # Credentials and storage used by an enabled configuration cannot be deleted.
        c2, s2 = account_objects(acct)
        held = create(acct, c2, s2, workspace_ids_filter=[w2], log_type=USAGE)
        with pytest.raises(InvalidState, match=f"in use by log delivery configuration {held.config_id}"):
            acct.credentials.delete(c2)
        with pytest.raises(InvalidState, match=f"in use by log delivery configuration {held.config_id}"):
            acct.storage.delete(s2)
        # Disabled, it holds them no longer (that is how Terraform destroys one), and cannot
        # be enabled again without them.
        acct.log_delivery.patch_status(held.config_id, DISABLED)
        acct.credentials.delete(c2)
        acct.storage.delete(s2)
        with pytest.raises(InvalidParameterValue, match=f"Credential configuration {c2} does not exist"):
            acct.log_delivery.patch_status(held.config_id, ENABLED)
    finally:
        remove(b)


def test_only_account_admins(backend, acct):
    ws = make_workspace(acct)
    w = AccountClient(host=backend.host, account_id=backend.account_id, token=backend.token)
    user_token = None
    # A workspace-scoped token (even the admin's own) is refused by the account API.
    from databricks.sdk import WorkspaceClient

    user_token = WorkspaceClient(host=backend.ws_url(ws.workspace_id), token=backend.token).tokens.create(
        comment="ws", lifetime_seconds=600).token_value
    r = requests.get(f"{backend.host}/api/2.0/accounts/{backend.account_id}/log-delivery",
                     headers={"Authorization": f"Bearer {user_token}"})
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
    r = requests.get(f"{backend.host}/api/2.0/accounts/{backend.account_id}/log-delivery")
    assert r.status_code == 401
    assert isinstance(list(w.log_delivery.list()), list)
