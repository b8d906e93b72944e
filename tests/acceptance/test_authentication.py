"""Terraform acceptance: providers that authenticate without a personal access token.

- OAuth M2M: the account-level provider creates a service principal, makes it admin of a
  workspace and creates its OAuth secret; a second, workspace-level provider authenticates with
  that client id and secret (in the same configuration) and manages objects as the service
  principal. apply → no-op plan (refreshed over OAuth) → destroy.
- Basic: a provider configured only by DATABRICKS_USERNAME / DATABRICKS_PASSWORD manages
  workspace objects, including `authorization = "passwords"` permissions. A wrong password fails
  plan with the server's message; apply → no-op plan → destroy.
"""

from __future__ import annotations

from pathlib import Path

import requests

from support.inventory import create_workspace
from support.terraform import copy_example

FIXTURES = Path(__file__).parent / "fixtures"


def admin_get(backend, url: str, **params) -> requests.Response:
    return requests.get(url, params=params, headers={"Authorization": f"Bearer {backend.token}"}, timeout=10)


def test_workspace_provider_authenticated_by_a_service_principal_created_in_the_same_config(
        tf_factory, fresh_backend, tmp_path):
    ws = int(create_workspace(fresh_backend)["workspace_id"])
    ws_api = f"{fresh_backend.ws_url(ws)}/api/2.0"
    tf = tf_factory(copy_example(FIXTURES / "auth_m2m", tmp_path / "m2m"))
    args = (f"-var=workspace_id={ws}", f"-var=workspace_url={fresh_backend.ws_url(ws)}")

    tf.apply(*args)
    out = tf.outputs()
    assert out["current_user"] == out["client_id"], "the workspace provider acts as the service principal"
    # The scope's creator (who gets MANAGE on it) is the service principal, not the admin.
    acls = admin_get(fresh_backend, f"{ws_api}/secrets/acls/list", scope="automation-app").json()["items"]
    assert {"principal": out["client_id"], "permission": "MANAGE"} in acls, acls
    tokens = admin_get(fresh_backend, f"{ws_api}/token-management/tokens").json().get("token_infos", [])
    assert [t["created_by_username"] for t in tokens if t.get("comment") == "ci"] == [out["client_id"]], tokens
    state = tf.resources()
    secret = state["databricks_service_principal_secret.automation"]
    assert secret["secret"].startswith("dose") and secret["status"] == "ACTIVE", secret

    # Refreshing everything (the workspace objects over OAuth) finds nothing to change.
    plan = tf.plan(*args)
    assert plan.code == 0, plan.out

    tf.destroy(*args)
    assert admin_get(fresh_backend, f"{ws_api}/secrets/scopes/list").json().get("scopes", []) == []
    sps = admin_get(fresh_backend,
                    f"{fresh_backend.host}/api/2.0/accounts/{fresh_backend.account_id}/scim/v2/ServicePrincipals")
    # disable_as_user_deletion defaults to true at account level: deactivated, not deleted
    assert [sp["active"] for sp in sps.json()["Resources"]] == [False], sps.text


def test_provider_authenticated_by_user_name_and_password(tf_factory, fresh_backend, tmp_path):
    assert fresh_backend.password, "bootstrap.json has the admin's generated password"
    ws = int(create_workspace(fresh_backend)["workspace_id"])
    ws_api = f"{fresh_backend.ws_url(ws)}/api/2.0"
    tf = tf_factory(copy_example(FIXTURES / "auth_basic", tmp_path / "basic"))
    del tf.env["DATABRICKS_TOKEN"]
    tf.env["DATABRICKS_USERNAME"] = "admin@ironbrick.local"
    arg = f"-var=workspace_id={ws}"

    tf.env["DATABRICKS_PASSWORD"] = "not-the-admin-password"
    wrong = tf.run("plan", "-input=false", "-no-color", arg, check=False)
    assert wrong.code == 1
    assert "Invalid user name or password" in wrong.err, wrong.err
    assert "not-the-admin-password" not in wrong.out + wrong.err

    tf.env["DATABRICKS_PASSWORD"] = fresh_backend.password
    tf.apply(arg)
    assert tf.outputs()["current_user"] == "admin@ironbrick.local"
    acl = admin_get(fresh_backend, f"{ws_api}/permissions/authorization/passwords").json()
    direct = {e.get("group_name"): [p["permission_level"] for p in e["all_permissions"]]
              for e in acl["access_control_list"]}
    assert direct.get("Password users") == ["CAN_USE"], acl
    plan = tf.plan(arg)
    assert plan.code == 0, plan.out

    tf.destroy(arg)
    assert admin_get(fresh_backend, f"{ws_api}/secrets/scopes/list").json().get("scopes", []) == []
