"""Terraform acceptance for the account-level types as the official provider documents them:
host-form workspace URLs (--workspace-domain), deployment names, expected_workspace_status,
timeouts, custom tags updated in place, serverless workspaces, imports, and plan-time refusals.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from support.inventory import assert_account_empty
from support.server import Backend, new_backend, remove
from support.terraform import Terraform, copy_example

FIXTURES = Path(__file__).parent / "fixtures"
DOMAIN = "ironbrick.test"


@pytest.fixture
def domain_backend() -> Backend:
    b = new_backend("--provisioning-delay", "200ms", "--workspace-domain", DOMAIN)
    yield b
    remove(b)


def account_get(backend: Backend, path: str) -> dict:
    r = requests.get(f"{backend.host}/api/2.0/accounts/{backend.account_id}/{path}",
                     headers={"Authorization": f"Bearer {backend.token}"}, timeout=10)
    assert r.ok, r.text
    return r.json()


def test_workspace_arguments_lifecycle(terraform_exe, domain_backend, tmp_path):
    tf = Terraform(terraform_exe, copy_example(FIXTURES / "workspace_arguments", tmp_path / "args"), domain_backend)

    # created and held in PROVISIONING, at its own host
    tf.apply()
    assert tf.plan().code == 0
    res = tf.resources()
    ws = res["databricks_mws_workspaces.this"]
    assert ws["workspace_status"] == "PROVISIONING"
    assert ws["deployment_name"] == "team-args"
    assert ws["workspace_url"] == f"http://team-args.{DOMAIN}:{domain_backend.port}"
    assert ws["pricing_tier"] == "PREMIUM"
    assert ws["effective_compute_mode"] == "HYBRID"
    assert ws["timeouts"][0]["update"] == "1m30s"
    assert res["databricks_mws_credentials.this"]["external_id"] == "args-external-id"
    assert res["databricks_mws_storage_configurations.this"]["role_arn"] == "arn:aws:iam::111122223333:role/args-data"
    assert res["databricks_mws_customer_managed_keys.this"]["aws_key_info"][0]["key_alias"] == "alias/args"
    assert res["databricks_mws_networks.this"]["vpc_endpoints"][0]["rest_api"] == [
        res["databricks_mws_vpc_endpoint.rest_api"]["vpc_endpoint_id"]]
    serverless = res["databricks_mws_workspaces.serverless"]
    assert serverless["effective_compute_mode"] == "SERVERLESS" and serverless["credentials_id"] is None
    assert tf.outputs()["ids"] == {"args": ws["workspace_id"], "args-serverless": serverless["workspace_id"]}
    api = account_get(domain_backend, f"workspaces/{ws['workspace_id']}")
    assert api["custom_tags"] == {"team": "data"} and api["network_connectivity_config_id"] == "ncc-args"
    assert api["storage_customer_managed_key_id"] == res["databricks_mws_customer_managed_keys.this"][
        "customer_managed_key_id"]

    # released to RUNNING and retagged in place
    running = ["-var=expected_status=RUNNING", '-var=tags={"team":"ml","cost-center":"42"}']
    plan = tf.plan(*running)
    assert "0 to add, 1 to change, 0 to destroy" in plan.out, plan.out
    tf.apply(*running)
    assert tf.plan(*running).code == 0
    ws = tf.resources()["databricks_mws_workspaces.this"]
    assert ws["workspace_status"] == "RUNNING"
    api = account_get(domain_backend, f"workspaces/{ws['workspace_id']}")
    assert api["custom_tags"] == {"team": "ml", "cost-center": "42"}

    # imports: the serverless workspace comes back whole; the other lacks only what the API does
    # not return (expected_workspace_status, timeouts), planned in place without replacement
    tf.run("state", "rm", "databricks_mws_workspaces.this", "databricks_mws_workspaces.serverless")
    for addr, wid in [("databricks_mws_workspaces.this", ws["workspace_id"]),
                      ("databricks_mws_workspaces.serverless", serverless["workspace_id"])]:
        tf.run("import", "-input=false", "-no-color", *running, addr, f"{domain_backend.account_id}/{wid}")
    plan = tf.plan(*running)
    assert "0 to add, 1 to change, 0 to destroy" in plan.out, plan.out
    assert "databricks_mws_workspaces.this will be updated in-place" in plan.out, plan.out
    tf.apply(*running)
    assert tf.plan(*running).code == 0

    # a new deployment name (a new host) is a new workspace
    plan = tf.plan(*running, "-var=deployment_name=team-renamed")
    assert "databricks_mws_workspaces.this must be replaced" in plan.out, plan.out
    assert "forces replacement" in plan.out
    tf.destroy(*running)
    assert_account_empty(domain_backend)


def test_workspace_mistakes_fail_at_plan_time(terraform_exe, fresh_backend, tmp_path):
    tf = Terraform(terraform_exe, copy_example(FIXTURES / "workspace_mistakes", tmp_path / "mistakes"), fresh_backend)
    r = tf.run("plan", "-input=false", "-no-color", check=False)
    assert r.code == 1
    text = " ".join((r.err + r.out).split())
    for expected in (
        "location is not supported: Ironbrick serves AWS workspaces",
        "cloud_resource_container is not supported: Ironbrick serves AWS workspaces",
        "gke_config is not supported: Ironbrick serves AWS workspaces",
        'cloud "gcp" is not supported',
        "aws_region is required",
        "gcp_network_info is not supported",
        "gcp_key_info is not supported",
        "An aws_key_info block (key_arn) is required",
        "Invalid deployment_name",
        "credentials_id must not be set when compute_mode is SERVERLESS",
        "Invalid expected_workspace_status",
        "workspace_url is set by the server",
        "Invalid custom_tags",
        "Invalid timeouts.create",
        "vpc_id is required",
        "token.token_value is set by the provider",
    ):
        assert expected in text, f"{expected!r} missing from:\n{text}"
    assert_account_empty(fresh_backend)
