"""Terraform acceptance: `databricks_permissions` (tokens, a notebook by path, a folder by id) and
`databricks_secret_acl`, with a group, a user and a service principal.

apply → no-op plan → the ACLs seen through the API → update (a level changes, a principal is
added, a secret permission changes) → out-of-band changes made with the REST API show up in the
plan and the next apply reverts them → `terraform import` by the official ids → destroying the
grants leaves the objects with no direct grants → destroy. Mistakes are refused at plan time.
"""

from __future__ import annotations

import re
from pathlib import Path

import requests

from support.inventory import create_workspace, delete_workspace
from support.terraform import copy_example

FIXTURE = Path(__file__).parent / "fixtures" / "permissions"
GRANTS = ["databricks_permissions.tokens", "databricks_permissions.notebook", "databricks_permissions.folder",
          "databricks_secret_acl.eng"]


class Api:
    """The workspace REST API as the account admin."""

    def __init__(self, backend, ws: int) -> None:
        self.base = f"{backend.ws_url(ws)}/api/2.0"
        self.h = {"Authorization": f"Bearer {backend.token}"}

    def call(self, method: str, path: str, **kw) -> dict:
        r = requests.request(method, f"{self.base}/{path}", headers=self.h, timeout=10, **kw)
        assert r.ok, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.text.strip() else {}

    def direct(self, obj: str) -> dict[str, str]:
        """Principal → level of the object's direct grants, admins left out."""
        acl = self.call("GET", f"permissions/{obj}")["access_control_list"]
        out = {}
        for e in acl:
            who = e.get("user_name") or e.get("group_name") or e.get("service_principal_name")
            for p in e.get("all_permissions", []):
                if not p.get("inherited") and who != "admins":
                    out[who] = p["permission_level"]
        return out

    def secret_acls(self, scope: str) -> dict[str, str]:
        items = self.call("GET", "secrets/acls/list", params={"scope": scope}).get("items", [])
        return {i["principal"]: i["permission"] for i in items}


def planned(out: str) -> dict[str, str]:
    """Resource address → planned action ('created', 'updated in-place', 'replaced', ...)."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^  # (\S+) (?:will be|must be) (.+)$", out, re.M)}


def test_permissions_and_secret_acls_lifecycle(tf_factory, fresh_backend, tmp_path):
    made = create_workspace(fresh_backend)
    ws = int(made["workspace_id"])
    api = Api(fresh_backend, ws)
    tf = tf_factory(copy_example(FIXTURE, tmp_path / "permissions"))
    v1 = [f"-var=workspace_id={ws}"]

    # apply, then nothing left to do
    tf.apply(*v1)
    plan = tf.plan(*v1)
    assert plan.code == 0, plan.out
    res = tf.resources()
    sp = res["databricks_service_principal.ci"]["application_id"]
    nb_id = res["databricks_notebook.etl"]["object_id"]
    dir_id = res["databricks_directory.team"]["object_id"]
    assert res["databricks_permissions.tokens"]["id"] == "/authorization/tokens"
    assert res["databricks_permissions.tokens"]["object_type"] == "tokens"
    assert res["databricks_permissions.notebook"]["id"] == f"/notebooks/{nb_id}"
    assert res["databricks_permissions.notebook"]["notebook_id"] is None, "named by path, as configured"
    assert res["databricks_permissions.folder"]["id"] == f"/directories/{dir_id}"
    assert res["databricks_secret_acl.eng"]["id"] == "acl-app|||Engineering"
    assert api.direct("authorization/tokens") == {"Engineering": "CAN_USE", sp: "CAN_USE"}
    assert api.direct(f"notebooks/{nb_id}") == {"users": "CAN_READ"}
    assert api.direct(f"directories/{dir_id}") == {"Engineering": "CAN_RUN"}
    assert api.secret_acls("acl-app")["Engineering"] == "READ"
    # the admins' grants are neither in state nor needed in the configuration
    assert all("admins" not in str(res[a]["access_control"]) for a in GRANTS[:3])

    # update: a level changes and a user is added in place; a new secret permission replaces the grant
    v2 = [*v1, "-var=notebook_level=CAN_RUN", "-var=ann_edits=true", "-var=secret_permission=WRITE"]
    plan = tf.plan(*v2)
    assert planned(plan.out) == {"databricks_permissions.notebook": "updated in-place",
                                 "databricks_secret_acl.eng": "replaced"}, plan.out
    tf.apply(*v2)
    assert tf.plan(*v2).code == 0
    assert api.direct(f"notebooks/{nb_id}") == {"users": "CAN_RUN", "ann@example.com": "CAN_EDIT"}
    assert api.secret_acls("acl-app")["Engineering"] == "WRITE"

    # out-of-band changes are drift: the plan shows them and the apply puts the configuration back
    api.call("PATCH", "permissions/authorization/tokens",
             json={"access_control_list": [{"group_name": "users", "permission_level": "CAN_USE"}]})
    api.call("PUT", f"permissions/notebooks/{nb_id}",
             json={"access_control_list": [{"group_name": "users", "permission_level": "CAN_EDIT"}]})
    api.call("POST", "secrets/acls/put", json={"scope": "acl-app", "principal": "Engineering", "permission": "MANAGE"})
    plan = tf.plan(*v2)
    assert planned(plan.out) == {"databricks_permissions.tokens": "updated in-place",
                                 "databricks_permissions.notebook": "updated in-place",
                                 "databricks_secret_acl.eng": "replaced"}, plan.out
    assert '"users"' in plan.out and "CAN_EDIT" in plan.out, plan.out
    tf.apply(*v2)
    assert tf.plan(*v2).code == 0
    assert api.direct("authorization/tokens") == {"Engineering": "CAN_USE", sp: "CAN_USE"}
    assert api.direct(f"notebooks/{nb_id}") == {"users": "CAN_RUN", "ann@example.com": "CAN_EDIT"}
    assert api.secret_acls("acl-app")["Engineering"] == "WRITE"

    # import by the official ids (with the workspace in front, for an account-level provider)
    imports = {
        "databricks_permissions.tokens": f"{ws}//authorization/tokens",
        "databricks_permissions.folder": f"{ws}//directories/{dir_id}",
        "databricks_secret_acl.eng": f"{ws}/acl-app|||Engineering",
    }
    before = tf.resources()
    tf.run("state", "rm", *imports)
    for addr, import_id in imports.items():
        tf.run("import", "-input=false", "-no-color", *v2, addr, import_id)
    after = tf.resources()
    for addr in imports:
        assert after[addr]["provider_config"] == before[addr]["provider_config"], addr
    plan = tf.plan(*v2)
    assert plan.code == 0, plan.out
    # as upstream, an import fills in notebook_id, never notebook_path: a configuration naming
    # the notebook by path then plans a replacement, which sets the same grants again
    tf.run("state", "rm", "databricks_permissions.notebook")
    tf.run("import", "-input=false", "-no-color", *v2, "databricks_permissions.notebook", f"{ws}//notebooks/{nb_id}")
    assert tf.resources()["databricks_permissions.notebook"]["notebook_id"] == str(nb_id)
    plan = tf.plan(*v2)
    assert planned(plan.out) == {"databricks_permissions.notebook": "replaced"}, plan.out
    tf.apply(*v2)
    assert tf.plan(*v2).code == 0
    assert api.direct(f"notebooks/{nb_id}") == {"users": "CAN_RUN", "ann@example.com": "CAN_EDIT"}

    # destroying the grants leaves no direct grant behind; the objects stay
    targets = [f"-target={a}" for a in GRANTS]
    tf.destroy(*v2, *targets)
    assert api.direct("authorization/tokens") == {}
    assert api.direct(f"notebooks/{nb_id}") == {}
    assert api.direct(f"directories/{dir_id}") == {}
    assert "Engineering" not in api.secret_acls("acl-app")
    plan = tf.plan(*v2)
    assert planned(plan.out) == {a: "created" for a in GRANTS}, plan.out

    tf.destroy(*v2)
    delete_workspace(fresh_backend, made)


MISTAKES = """
terraform {
  required_providers {
    databricks = {
      source = "ironbrick/databricks"
    }
  }
}

provider "databricks" {}

resource "databricks_permissions" "job" {
  provider_config {
    workspace_id = "1234"
  }
  job_id = "123456789"
  access_control {
    group_name       = "users"
    permission_level = "CAN_MANAGE_RUN"
  }
}

resource "databricks_permissions" "passwords" {
  provider_config {
    workspace_id = "1234"
  }
  authorization = "passwords"
  access_control {
    group_name       = "users"
    permission_level = "CAN_MANAGE"
  }
}

resource "databricks_permissions" "tokens" {
  provider_config {
    workspace_id = "1234"
  }
  authorization = "tokens"
  access_control {
    group_name       = "users"
    permission_level = "CAN_READ"
  }
  access_control {
    group_name       = "admins"
    permission_level = "CAN_MANAGE"
  }
}

resource "databricks_permissions" "two" {
  provider_config {
    workspace_id = "1234"
  }
  notebook_id  = "1"
  directory_id = "2"
  access_control {
    user_name        = "ann@example.com"
    group_name       = "users"
    permission_level = "CAN_READ"
  }
}

resource "databricks_secret_acl" "bad" {
  provider_config {
    workspace_id = "1234"
  }
  scope      = "app"
  principal  = "users"
  permission = "OWN"
}
"""


def test_permission_mistakes_fail_at_plan_time(tf_factory, tmp_path):
    work = tmp_path / "mistakes"
    work.mkdir()
    (work / "main.tf").write_text(MISTAKES)
    tf = tf_factory(work)
    r = tf.run("plan", "-input=false", "-no-color", check=False)
    assert r.code == 1
    text = " ".join((r.err + r.out).split())
    for expected in (
        "Permissions on job_id are not supported by Ironbrick yet",
        'permission_level CAN_MANAGE is not supported with authorization = "passwords" objects; '
        "allowed levels: CAN_USE",
        'permission_level CAN_READ is not supported with authorization = "tokens" objects; '
        "allowed levels: CAN_MANAGE, CAN_USE",
        "It is not possible to modify admin permissions",
        "Conflicting object selectors",
        "Each access_control block names exactly one of",
        "Invalid permission",
    ):
        assert expected in text, f"{expected!r} missing from:\n{r.err}{r.out}"
