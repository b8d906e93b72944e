"""Terraform acceptance: users, groups, memberships, service principals, entitlements and
workspace assignments, at account level and in a workspace.

For each level: apply → no-op plan → in-place update (display name, an entitlement, a new
member) → a change made through the REST API shows as drift in `terraform plan` → `terraform
state rm` and `terraform import` of every object by the official id (`<workspace_id>/<id>` for
workspace objects through an account-level provider) → no-op plan → destroy, with the backend's
view checked through the SCIM and assignment APIs after each step.
"""

from __future__ import annotations

import re
from pathlib import Path

import requests

from support.inventory import create_workspace, delete_workspace
from support.terraform import copy_example

FIXTURES = Path(__file__).parent / "fixtures" / "identity"


class Scim:
    """A SCIM API (account or one workspace) through the REST API, as an admin."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.h = base, {"Authorization": f"Bearer {token}"}

    def get(self, path: str, missing_ok: bool = False) -> dict | None:
        r = requests.get(f"{self.base}/{path}", headers=self.h, timeout=10)
        if missing_ok and r.status_code == 404:
            return None
        r.raise_for_status()
        return r.json()

    def patch(self, path: str, *operations: dict) -> None:
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": list(operations)}
        requests.patch(f"{self.base}/{path}", json=body, headers=self.h, timeout=10).raise_for_status()


def account_scim(b) -> Scim:
    return Scim(f"{b.host}/api/2.0/accounts/{b.account_id}/scim/v2", b.token)


def workspace_scim(b, ws: int) -> Scim:
    return Scim(f"{b.ws_url(ws)}/api/2.0/preview/scim/v2", b.token)


def members(scim: Scim, group_id: str) -> set[str]:
    return {m["value"] for m in scim.get(f"Groups/{group_id}").get("members", [])}


def entitlements(scim: Scim, path: str) -> set[str]:
    return {e["value"] for e in scim.get(path).get("entitlements", [])}


def assignments(b, ws: int) -> dict[int, list[str]]:
    r = requests.get(f"{b.host}/api/2.0/accounts/{b.account_id}/workspaces/{ws}/permissionassignments",
                     headers={"Authorization": f"Bearer {b.token}"}, timeout=10)
    r.raise_for_status()
    return {a["principal"]["principal_id"]: a["permissions"] for a in r.json().get("permission_assignments", [])}


def assert_no_changes(tf) -> None:
    plan = tf.plan(*tf.vars)
    assert plan.code == 0, plan.out


def reimport(tf, ids: dict[str, str]) -> None:
    tf.run("state", "rm", *ids)
    for addr, import_id in ids.items():
        tf.run("import", "-input=false", "-no-color", *tf.vars, addr, import_id)


def test_identity_at_account_level(tf_factory, fresh_backend, tmp_path):
    b = fresh_backend
    made = create_workspace(b, "identity")
    ws = int(made["workspace_id"])
    tf = tf_factory(copy_example(FIXTURES / "account", tmp_path / "account"))
    tf.vars = [f"-var=workspace_id={ws}"]
    scim = account_scim(b)

    # apply, then nothing left to do
    tf.apply(*tf.vars)
    assert_no_changes(tf)
    res = tf.resources()
    ann, dee = res["databricks_user.ann"], res["databricks_user.dee"]
    bot, eng = res["databricks_service_principal.bot"], res["databricks_group.eng"]
    assert ann["acl_principal_id"] == "users/ann@example.com" and ann["home"] == "/Users/ann@example.com"
    assert ann["repos"] == "/Repos/ann@example.com" and ann["active"] is True
    assert dee["display_name"] == "dee@example.com", "the server names a user by its user name"
    assert bot["application_id"] and bot["acl_principal_id"] == f"servicePrincipals/{bot['application_id']}"
    assert eng["acl_principal_id"] == "groups/engineers"
    assert eng["url"] == f"{b.host}/users/groups/{eng['id']}/information"
    assert res["databricks_mws_permission_assignment.eng"]["id"] == f"{ws}|{eng['id']}"
    assert scim.get(f"Users/{ann['id']}")["displayName"] == "Ann Lee"
    assert members(scim, eng["id"]) == {ann["id"]}
    assert assignments(b, ws).get(int(eng["id"])) == ["USER"]

    # in-place update: a new display name and a new member
    tf.vars += ["-var=display_name=Ann Lee-Smith", "-var=add_bot=true"]
    plan = tf.plan(*tf.vars)
    assert "1 to add, 1 to change, 0 to destroy" in plan.out, plan.out
    tf.apply(*tf.vars)
    assert_no_changes(tf)
    assert scim.get(f"Users/{ann['id']}")["displayName"] == "Ann Lee-Smith"
    assert members(scim, eng["id"]) == {ann["id"], bot["id"]}
    assert res["databricks_user.ann"]["id"] == tf.resources()["databricks_user.ann"]["id"], "not replaced"

    # drift: a deactivated user and a removed member, changed through the REST API
    scim.patch(f"Users/{ann['id']}", {"op": "replace", "path": "active", "value": False})
    scim.patch(f"Groups/{eng['id']}", {"op": "remove", "path": f'members[value eq "{bot["id"]}"]'})
    plan = tf.plan(*tf.vars)
    assert plan.code == 2, plan.out
    assert "databricks_group_member.bot[0] will be created" in plan.out, plan.out
    assert "~ active" in plan.out and "false -> true" in plan.out, plan.out
    tf.apply(*tf.vars)
    assert scim.get(f"Users/{ann['id']}")["active"] is True
    assert members(scim, eng["id"]) == {ann["id"], bot["id"]}

    # import by the official ids
    ids = {
        "databricks_user.ann": ann["id"],
        "databricks_user.dee": dee["id"],
        "databricks_service_principal.bot": bot["id"],
        "databricks_group.eng": eng["id"],
        "databricks_group_member.ann": f"{eng['id']}|{ann['id']}",
        "databricks_group_member.bot[0]": f"{eng['id']}|{bot['id']}",
        "databricks_mws_permission_assignment.eng": f"{ws}|{eng['id']}",
    }
    reimport(tf, ids)
    plan = tf.plan(*tf.vars)
    # disable_as_user_deletion is configuration only: not read back, so an import plans it in
    assert plan.code == 2 and "0 to add, 2 to change, 0 to destroy" in plan.out, plan.out
    assert len(re.findall(r"\+ disable_as_user_deletion\s+= false", plan.out)) == 2, plan.out
    tf.apply(*tf.vars)
    assert_no_changes(tf)

    # destroy: ann and the bot are deleted; dee, at account level, is deactivated
    tf.destroy(*tf.vars)
    assert scim.get(f"Users/{ann['id']}", missing_ok=True) is None
    assert scim.get(f"ServicePrincipals/{bot['id']}", missing_ok=True) is None
    assert scim.get(f"Groups/{eng['id']}", missing_ok=True) is None
    assert scim.get(f"Users/{dee['id']}")["active"] is False
    assert int(eng["id"]) not in assignments(b, ws)
    delete_workspace(b, made)


def test_identity_in_a_workspace(tf_factory, fresh_backend, tmp_path):
    b = fresh_backend
    made = create_workspace(b, "identity-ws")
    ws = int(made["workspace_id"])
    tf = tf_factory(copy_example(FIXTURES / "workspace", tmp_path / "workspace"))
    tf.vars = [f"-var=workspace_id={ws}", f"-var=workspace_url={b.ws_url(ws)}"]
    scim = workspace_scim(b, ws)

    tf.apply(*tf.vars)
    assert_no_changes(tf)
    res = tf.resources()
    wes, local, wsp = res["databricks_user.wes"], res["databricks_group.local"], res["databricks_service_principal.wsp"]
    hosted = res["databricks_user.hosted"]
    users = res["data.databricks_group.users"]
    assert users["acl_principal_id"] == "groups/users" and users["id"], users
    assert local["url"] == f"{b.ws_url(ws)}/#setting/accounts/groups/{local['id']}"
    assert res["databricks_entitlements.users"]["id"] == f"group/{users['id']}"
    assert entitlements(scim, f"Users/{wes['id']}") == {"workspace-access"}
    assert entitlements(scim, f"Groups/{users['id']}") == {"workspace-access", "databricks-sql-access"}
    assert members(scim, local["id"]) == {wes["id"]}
    assert scim.get(f"Users/{hosted['id']}")["userName"] == "hosted@example.com", "made through the workspace host"

    # in-place update: entitlements toggled on the user and through databricks_entitlements
    tf.vars += ["-var=allow_cluster_create=true", "-var=sql_access=false"]
    plan = tf.plan(*tf.vars)
    assert "0 to add, 2 to change, 0 to destroy" in plan.out, plan.out
    tf.apply(*tf.vars)
    assert_no_changes(tf)
    assert entitlements(scim, f"Users/{wes['id']}") == {"workspace-access", "allow-cluster-create"}
    assert entitlements(scim, f"Groups/{users['id']}") == {"workspace-access"}

    # drift: an entitlement granted and a display name changed through the REST API
    scim.patch(f"Users/{wes['id']}", {"op": "add", "path": "entitlements", "value": [{"value": "databricks-sql-access"}]})
    scim.patch(f"Groups/{local['id']}", {"op": "replace", "path": "displayName", "value": "renamed"})
    plan = tf.plan(*tf.vars)
    assert plan.code == 2 and "0 to add, 2 to change, 0 to destroy" in plan.out, plan.out
    assert '"renamed" -> "local-team"' in plan.out, plan.out
    assert "databricks_sql_access" in plan.out and "true -> false" in plan.out, plan.out
    tf.apply(*tf.vars)
    assert entitlements(scim, f"Users/{wes['id']}") == {"workspace-access", "allow-cluster-create"}
    assert scim.get(f"Groups/{local['id']}")["displayName"] == "local-team"

    # import: <workspace_id>/<official id> through the account-level provider, the official id
    # through the workspace host
    ids = {
        "databricks_user.wes": f"{ws}/{wes['id']}",
        "databricks_group.local": f"{ws}/{local['id']}",
        "databricks_group_member.wes": f"{ws}/{local['id']}|{wes['id']}",
        "databricks_service_principal.wsp": f"{ws}/{wsp['id']}",
        "databricks_entitlements.users": f"{ws}/group/{users['id']}",
        "databricks_user.hosted": hosted["id"],
    }
    reimport(tf, ids)
    imported = tf.resources()
    for addr in ids:
        assert imported[addr].get("provider_config") == res[addr].get("provider_config"), addr
    assert_no_changes(tf)

    # destroy: workspace users are deleted from the workspace
    tf.destroy(*tf.vars)
    for path in (f"Users/{wes['id']}", f"Users/{hosted['id']}", f"Groups/{local['id']}",
                 f"ServicePrincipals/{wsp['id']}"):
        assert scim.get(path, missing_ok=True) is None, path
    delete_workspace(b, made)
