"""What an account holds, read through the account API."""

from __future__ import annotations

import requests

from .server import Backend


def account_inventory(b: Backend) -> dict[str, list]:
    """Everything the account holds, by kind."""
    base = f"{b.host}/api/2.0/accounts/{b.account_id}"
    h = {"Authorization": f"Bearer {b.token}"}
    out = {}
    for kind in ("workspaces", "credentials", "storage-configurations", "networks", "customer-managed-keys",
                 "vpc-endpoints", "private-access-settings"):
        r = requests.get(f"{base}/{kind}", headers=h, timeout=10)
        r.raise_for_status()
        out[kind] = r.json()
    return out


def assert_account_empty(b: Backend) -> None:
    inv = account_inventory(b)
    assert all(v == [] for v in inv.values()), inv


def log_delivery_configs(b: Backend) -> list[dict]:
    """The account's log delivery configurations, enabled or not (Databricks never deletes one:
    destroying it disables it)."""
    r = requests.get(f"{b.host}/api/2.0/accounts/{b.account_id}/log-delivery",
                     headers={"Authorization": f"Bearer {b.token}"}, timeout=10)
    r.raise_for_status()
    return r.json().get("log_delivery_configurations", [])


def assert_log_delivery_disabled(b: Backend) -> None:
    """What a destroy leaves of log delivery: configurations, every one disabled."""
    enabled = [c for c in log_delivery_configs(b) if c["status"] != "DISABLED"]
    assert enabled == [], enabled


def create_workspace(b: Backend, name: str = "fixture") -> dict[str, str | int]:
    """A RUNNING workspace with its credentials and storage, made through the account API (for
    tests whose Terraform configuration only manages workspace-level objects)."""
    import time

    base = f"{b.host}/api/2.0/accounts/{b.account_id}"
    h = {"Authorization": f"Bearer {b.token}"}

    def post(path: str, body: dict) -> dict:
        r = requests.post(f"{base}/{path}", json=body, headers=h, timeout=10)
        r.raise_for_status()
        return r.json()

    creds = post("credentials", {"credentials_name": f"{name}-role", "aws_credentials": {"sts_role": {
        "role_arn": "arn:aws:iam::111122223333:role/fixture"}}})["credentials_id"]
    storage = post("storage-configurations", {"storage_configuration_name": f"{name}-root",
                                              "root_bucket_info": {"bucket_name": f"{name}-root"}})
    ws = post("workspaces", {"workspace_name": name, "aws_region": "us-east-1", "credentials_id": creds,
                             "storage_configuration_id": storage["storage_configuration_id"]})["workspace_id"]
    deadline = time.monotonic() + 30
    while requests.get(f"{base}/workspaces/{ws}", headers=h, timeout=10).json()["workspace_status"] != "RUNNING":
        assert time.monotonic() < deadline, "workspace never became RUNNING"
        time.sleep(0.1)
    return {"workspace_id": ws, "credentials_id": creds,
            "storage_configuration_id": storage["storage_configuration_id"]}


def delete_workspace(b: Backend, made: dict[str, str | int]) -> None:
    """Deletes what `create_workspace` made."""
    base = f"{b.host}/api/2.0/accounts/{b.account_id}"
    h = {"Authorization": f"Bearer {b.token}"}
    for path in (f"workspaces/{made['workspace_id']}", f"credentials/{made['credentials_id']}",
                 f"storage-configurations/{made['storage_configuration_id']}"):
        requests.delete(f"{base}/{path}", headers=h, timeout=10).raise_for_status()
