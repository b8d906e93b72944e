"""Terraform acceptance: `databricks_cluster_policy` (own definition with libraries, and a policy
of the Personal Compute family), the `databricks_node_type`, `databricks_spark_version` and
`databricks_cluster_policy` data sources, and `databricks_permissions` with `cluster_policy_id`.

apply → no-op plan → what was made, seen through the API → the same rules written differently
(heredoc, other key order and whitespace) plan nothing → an edited definition and new family
overrides apply in place → a malformed rule fails naming its path, and changes nothing →
`terraform import` of the policies and the grants by the official ids → no-op plan → destroy
leaves no policy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import requests

from support.inventory import create_workspace, delete_workspace
from support.terraform import copy_example

FIXTURE = Path(__file__).parent / "fixtures" / "cluster_policies"


class Api:
    """The workspace REST API as the account admin."""

    def __init__(self, backend, ws: int) -> None:
        self.base = f"{backend.ws_url(ws)}/api/2.0"
        self.h = {"Authorization": f"Bearer {backend.token}"}

    def get(self, path: str, **params) -> dict:
        r = requests.get(f"{self.base}/{path}", params=params, headers=self.h, timeout=10)
        assert r.ok, f"GET {path}: {r.status_code} {r.text}"
        return r.json()

    def policies(self) -> dict[str, dict]:
        return {p["name"]: p for p in self.get("policies/clusters/list").get("policies", [])}

    def grants(self, policy_id: str) -> dict[str, str]:
        """Principal → level of the policy's direct grants, admins left out."""
        acl = self.get(f"permissions/cluster-policies/{policy_id}")["access_control_list"]
        out = {}
        for e in acl:
            who = e.get("user_name") or e.get("group_name") or e.get("service_principal_name")
            for p in e.get("all_permissions", []):
                if not p.get("inherited") and who != "admins":
                    out[who] = p["permission_level"]
        return out


def planned(out: str) -> dict[str, str]:
    """Managed resource address → planned action (data sources read during apply left out)."""
    return {m.group(1): m.group(2) for m in re.finditer(r"^  # (\S+) (?:will be|must be) (.+)$", out, re.M)
            if not m.group(1).startswith("data.")}


def flat(text: str) -> str:
    return " ".join(text.split())


def test_cluster_policies_lifecycle(tf_factory, fresh_backend, tmp_path):
    made = create_workspace(fresh_backend)
    ws = int(made["workspace_id"])
    api = Api(fresh_backend, ws)
    tf = tf_factory(copy_example(FIXTURE, tmp_path / "cluster_policies"))
    v1 = [f"-var=workspace_id={ws}"]

    # apply, then nothing left to do
    tf.apply(*v1)
    plan = tf.plan(*v1)
    assert plan.code == 0, plan.out
    out = tf.outputs()
    assert out["node_types"] == {"small": "m5d.large", "memory": "r5d.xlarge", "gpu": "g4dn.xlarge"}
    assert out["spark_versions"] == {"lts": "16.4.x-scala2.12", "ml": "13.3.x-cpu-ml-scala2.12"}
    res = tf.resources()
    team, personal = res["databricks_cluster_policy.team"], res["databricks_cluster_policy.personal"]
    assert team["id"] == team["policy_id"] and personal["id"] == personal["policy_id"]

    # what was made, through the API
    policies = api.policies()
    assert set(policies) == {"data team", "Personal Compute"}
    stored = policies["data team"]
    assert stored["policy_id"] == team["id"]
    assert stored["definition"] == team["definition"], "sent as configured"
    rules = json.loads(stored["definition"])
    assert rules["autotermination_minutes"] == {"type": "range", "maxValue": 60, "defaultValue": 30}
    assert rules["node_type_id"]["values"] == ["m5d.large", "r5d.xlarge"]
    assert rules["spark_version"] == {"type": "fixed", "value": "16.4.x-scala2.12"}
    assert stored["max_clusters_per_user"] == 3 and stored["description"] == "Clusters of the data team"
    assert sorted(json.dumps(lib, sort_keys=True) for lib in stored["libraries"]) == sorted(json.dumps(x, sort_keys=True) for x in [
        {"pypi": {"package": "databricks-sdk==0.12.0"}},
        {"maven": {"coordinates": "org.jsoup:jsoup:1.7.2", "exclusions": ["slf4j:slf4j"]}},
        {"whl": "/Volumes/main/default/libs/team.whl"},
    ])
    family = json.loads(personal["definition"])
    assert family["autotermination_minutes"] == {"type": "fixed", "value": 220, "hidden": True}
    assert family["num_workers"] == {"type": "fixed", "value": 0, "hidden": True}, "inherited from the family"
    assert api.grants(team["id"]) == {"Data Team": "CAN_USE",
                                      res["databricks_service_principal.etl"]["application_id"]: "CAN_USE"}
    perm = res["databricks_permissions.team_policy"]
    assert perm["id"] == f"/cluster-policies/{team['id']}" and perm["object_type"] == "cluster-policy"
    # the data sources read the policies back
    assert out["personal_by_name"]["id"] == personal["id"]
    assert json.loads(out["personal_by_name"]["definition"]) == family
    assert out["personal_by_name"]["policy_family_id"] == "personal-vm"
    assert out["personal_by_name"]["is_default"] is False
    assert out["team_by_id"] == {"name": "data team", "definition": stored["definition"],
                                 "description": "Clusters of the data team", "max_clusters_per_user": 3}

    # the same rules written differently are the same definition: nothing to do
    heredoc = [*v1, "-var=heredoc=true"]
    plan = tf.plan(*heredoc)
    assert plan.code == 0, plan.out

    # edit the definition and the family overrides: both policies update in place
    v2 = [*heredoc, "-var=max_minutes=120", "-var=personal_minutes=60"]
    plan = tf.plan(*v2)
    assert planned(plan.out) == {"databricks_cluster_policy.team": "updated in-place",
                                 "databricks_cluster_policy.personal": "updated in-place"}, plan.out
    tf.apply(*v2)
    assert tf.plan(*v2).code == 0
    policies = api.policies()
    assert json.loads(policies["data team"]["definition"])["autotermination_minutes"]["maxValue"] == 120
    assert policies["data team"]["policy_id"] == team["id"], "edited, not replaced"
    family = json.loads(tf.resources()["databricks_cluster_policy.personal"]["definition"])
    assert family["autotermination_minutes"]["value"] == 60
    assert json.loads(tf.outputs()["personal_by_name"]["definition"]) == family

    # a malformed rule fails the apply, naming the rule and why; the policy stays as it was
    r = tf.run("apply", "-auto-approve", "-input=false", "-no-color", *v2, "-var=broken=true", check=False)
    assert r.code == 1, r.out
    text = flat(r.err + r.out)
    assert "Cannot update the cluster policy" in text, text
    assert 'autotermination_minutes: "maxValue" must be a number' in text, text
    assert json.loads(api.policies()["data team"]["definition"])["autotermination_minutes"]["maxValue"] == 120
    assert tf.plan(*v2).code == 0

    # import the policies and the grants by the official ids (the workspace in front)
    imports = {
        "databricks_cluster_policy.team": f"{ws}/{team['id']}",
        "databricks_cluster_policy.personal": f"{ws}/{personal['id']}",
        "databricks_permissions.team_policy": f"{ws}//cluster-policies/{team['id']}",
    }
    before = tf.resources()
    tf.run("state", "rm", *imports)
    for addr, import_id in imports.items():
        tf.run("import", "-input=false", "-no-color", *v2, addr, import_id)
    after = tf.resources()
    for addr in imports:
        assert after[addr]["provider_config"] == before[addr]["provider_config"], addr
    assert after["databricks_permissions.team_policy"]["cluster_policy_id"] == team["id"]
    plan = tf.plan(*v2)
    # nothing to change (Terraform 1.0's import leaves the outputs of data sources that depend
    # on imported resources empty: the plan may offer to fill them in, and the apply does)
    assert planned(plan.out) == {}, plan.out
    assert plan.code == 0 or "Terraform will perform the following actions" not in plan.out, plan.out
    tf.apply(*v2)
    assert tf.plan(*v2).code == 0

    tf.destroy(*v2)
    assert api.policies() == {}
    delete_workspace(fresh_backend, made)
