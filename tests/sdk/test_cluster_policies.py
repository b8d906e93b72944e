"""Cluster policies through the official SDK: the policy API, malformed definitions refused
with each rule's path, built-in families with overrides, and the node-type / Spark-version
catalogue. Clusters under policies are tests/sdk/test_clusters.py."""

import json
import uuid

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound, PermissionDenied
from databricks.sdk.service.compute import ListSortColumn, ListSortOrder

DEFINITION = {
    "spark_version": {"type": "regex", "pattern": "1[45]\\..*", "defaultValue": "15.4.x-scala2.12"},
    "node_type_id": {"type": "allowlist", "values": ["i3.xlarge", "m5d.large"], "defaultValue": "m5d.large"},
    "autoscale.max_workers": {"type": "range", "maxValue": 10, "defaultValue": 4},
    "custom_tags.team": {"type": "fixed", "value": "data", "hidden": True},
    "instance_pool_id": {"type": "forbidden"},
    "dbus_per_hour": {"type": "range", "maxValue": 20},
}


def test_policy_lifecycle(ws_admin):
    created = ws_admin.cluster_policies.create(
        name="data-team", description="for the data team", definition=json.dumps(DEFINITION),
        max_clusters_per_user=2)
    got = ws_admin.cluster_policies.get(created.policy_id)
    assert (got.name, got.description, got.max_clusters_per_user) == ("data-team", "for the data team", 2)
    assert json.loads(got.definition) == DEFINITION
    assert got.creator_user_name == "admin@ironbrick.local" and got.created_at_timestamp > 0

    second = ws_admin.cluster_policies.create(name="another", definition="{}")
    names = [p.name for p in ws_admin.cluster_policies.list(sort_column=ListSortColumn.POLICY_NAME,
                                                            sort_order=ListSortOrder.ASC)]
    assert names == ["another", "data-team"]
    newest_first = [p.policy_id for p in ws_admin.cluster_policies.list()]
    assert newest_first == [second.policy_id, created.policy_id]

    edited = {**DEFINITION, "autoscale.max_workers": {"type": "range", "maxValue": 20}}
    ws_admin.cluster_policies.edit(created.policy_id, name="data-team", definition=json.dumps(edited))
    assert json.loads(ws_admin.cluster_policies.get(created.policy_id).definition) == edited

    with pytest.raises(InvalidParameterValue, match="already exists"):
        ws_admin.cluster_policies.create(name="another", definition="{}")
    ws_admin.cluster_policies.delete(second.policy_id)
    with pytest.raises(NotFound):
        ws_admin.cluster_policies.get(second.policy_id)
    with pytest.raises(NotFound):
        ws_admin.cluster_policies.edit("0000000000000000", name="x", definition="{}")
    ws_admin.cluster_policies.delete(created.policy_id)


@pytest.mark.parametrize("definition, message", [
    ('{"num_workers": {"type": "range"}}', 'num_workers: a range rule needs "minValue" or "maxValue"'),
    ('{"spark_version": {"type": "regex", "pattern": "("}}', 'spark_version: "pattern" is not a valid'),
    ('{"node_type_id": {"type": "sometimes"}}', 'node_type_id: unknown rule type "sometimes"'),
    ('{"autoscale.max_workers": {"type": "range", "maxValue": 4, "defaultValue": 8}}',
     'autoscale.max_workers: "defaultValue" breaks the rule itself: 8 is above the maximum 4'),
    ('{"custom_tags.x": {"type": "fixed"}}', 'custom_tags.x: a fixed rule needs "value"'),
    ('["not", "an", "object"]', "must be a JSON object"),
    ('{"a": ', "not valid JSON"),
])
def test_malformed_definitions_are_refused_with_the_path_and_reason(ws_admin, definition, message):
    with pytest.raises(InvalidParameterValue) as e:
        ws_admin.cluster_policies.create(name="bad", definition=definition)
    assert message in str(e.value)


def test_families_and_overrides(ws_admin):
    families = {f.policy_family_id: f for f in ws_admin.policy_families.list()}
    assert {"personal-vm", "shared-compute", "power-user", "job-cluster"} <= set(families)
    assert families["personal-vm"].name == "Personal Compute"
    assert ws_admin.policy_families.get("job-cluster").name == "Job Compute"
    with pytest.raises(NotFound):
        ws_admin.policy_families.get("no-such-family")

    overrides = {"autotermination_minutes": {"type": "fixed", "value": 60}}
    p = ws_admin.cluster_policies.create(name="personal", policy_family_id="personal-vm",
                                         policy_family_definition_overrides=json.dumps(overrides))
    effective = json.loads(ws_admin.cluster_policies.get(p.policy_id).definition)
    assert effective["autotermination_minutes"] == {"type": "fixed", "value": 60}
    assert effective["num_workers"] == json.loads(families["personal-vm"].definition)["num_workers"]
    with pytest.raises(InvalidParameterValue, match="not a policy family"):
        ws_admin.cluster_policies.create(name="x", policy_family_id="nope")
    with pytest.raises(InvalidParameterValue, match="not definition"):
        ws_admin.cluster_policies.create(name="x", policy_family_id="personal-vm", definition="{}")
    ws_admin.cluster_policies.delete(p.policy_id)


def test_catalogue(ws_admin):
    nodes = {n.node_type_id: n for n in ws_admin.clusters.list_node_types().node_types}
    assert nodes["i3.xlarge"].num_cores == 4 and nodes["i3.xlarge"].memory_mb == 31232
    assert nodes["g4dn.xlarge"].num_gpus == 1
    versions = [v.key for v in ws_admin.clusters.spark_versions().versions]
    assert "15.4.x-scala2.12" in versions
    assert ws_admin.clusters.select_spark_version(latest=True, long_term_support=True) == "16.4.x-scala2.12"


def test_only_admins_write_policies(backend, workspace, ws_admin):
    sp = ws_admin.service_principals.create(display_name=f"member-{uuid.uuid4().hex[:6]}")
    token = ws_admin.token_management.create_obo_token(application_id=sp.application_id).token_value
    user = WorkspaceClient(host=backend.ws_url(workspace.workspace_id), token=token)
    with pytest.raises(PermissionDenied, match="cluster policies"):
        user.cluster_policies.create(name="mine", definition="{}")
    p = ws_admin.cluster_policies.create(name="readable", definition="{}")
    assert user.cluster_policies.get(p.policy_id).name == "readable"
    assert "readable" in [x.name for x in user.cluster_policies.list()]
    ws_admin.cluster_policies.delete(p.policy_id)


def test_policy_permissions_grant_can_use(backend, workspace, ws_admin):
    from databricks.sdk.errors import BadRequest
    from databricks.sdk.service.compute import ClusterPolicyAccessControlRequest, ClusterPolicyPermissionLevel
    sp = ws_admin.service_principals.create(display_name=f"policy-user-{uuid.uuid4().hex[:6]}")
    p = ws_admin.cluster_policies.create(name=f"shared-{uuid.uuid4().hex[:6]}", definition="{}")
    levels = ws_admin.cluster_policies.get_permission_levels(p.policy_id).permission_levels
    assert [lv.permission_level.value for lv in levels] == ["CAN_USE"]

    acl = ws_admin.cluster_policies.set_permissions(p.policy_id, access_control_list=[
        ClusterPolicyAccessControlRequest(service_principal_name=sp.application_id,
                                          permission_level=ClusterPolicyPermissionLevel.CAN_USE)])
    assert acl.object_id == f"/cluster-policies/{p.policy_id}"
    granted = {(e.service_principal_name or e.group_name): [x.permission_level.value for x in e.all_permissions]
               for e in ws_admin.cluster_policies.get_permissions(p.policy_id).access_control_list}
    assert granted[sp.application_id] == ["CAN_USE"] and granted["admins"] == ["CAN_USE"]

    # the SDK's enum has only CAN_USE: send another level through its API client
    with pytest.raises((InvalidParameterValue, BadRequest)):
        ws_admin.api_client.do("PUT", f"/api/2.0/permissions/cluster-policies/{p.policy_id}", body={
            "access_control_list": [{"group_name": "users", "permission_level": "CAN_MANAGE"}]})
    ws_admin.cluster_policies.delete(p.policy_id)
    with pytest.raises(NotFound):
        ws_admin.cluster_policies.get_permissions(p.policy_id)
