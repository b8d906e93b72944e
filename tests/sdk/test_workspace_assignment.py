"""Workspace permission assignments (a.workspace_assignment) with the official SDK."""

import uuid

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound, PermissionDenied
from databricks.sdk.service import iam


def test_permissions_on_offer(acct, workspace):
    levels = {p.permission_level for p in acct.workspace_assignment.get(workspace.workspace_id).permissions}
    assert levels == {iam.WorkspacePermission.USER, iam.WorkspacePermission.ADMIN}


def test_assign_promote_and_remove_a_service_principal(backend, acct, workspace, ws_admin):
    ws = workspace.workspace_id
    sp = acct.service_principals.create(display_name="assigned bot")
    with pytest.raises(NotFound):
        ws_admin.service_principals.get(sp.id)
    got = acct.workspace_assignment.update(ws, int(sp.id), permissions=[iam.WorkspacePermission.USER])
    assert got.permissions == [iam.WorkspacePermission.USER]
    assert got.principal.service_principal_name == sp.application_id
    listed = {a.principal.principal_id: a for a in acct.workspace_assignment.list(ws)}
    assert listed[int(sp.id)].permissions == [iam.WorkspacePermission.USER]
    assert ws_admin.service_principals.get(sp.id).application_id == sp.application_id

    token = ws_admin.token_management.create_obo_token(application_id=sp.application_id).token_value
    bot = WorkspaceClient(host=backend.ws_url(ws), token=token)
    with pytest.raises(PermissionDenied):
        list(bot.token_management.list())
    acct.workspace_assignment.update(ws, int(sp.id),
                                     permissions=[iam.WorkspacePermission.USER, iam.WorkspacePermission.ADMIN])
    assert list(bot.token_management.list())
    assert "admins" in {g.display for g in bot.current_user.me().groups}
    admins = next(g for g in ws_admin.groups.list() if g.display_name == "admins")
    assert sp.id in [m.value for m in ws_admin.groups.get(admins.id).members]

    acct.workspace_assignment.delete(ws, int(sp.id))
    with pytest.raises(PermissionDenied, match="not a member"):
        bot.current_user.me()
    assert int(sp.id) not in {a.principal.principal_id for a in acct.workspace_assignment.list(ws)}
    with pytest.raises(NotFound):
        acct.workspace_assignment.delete(ws, int(sp.id))


def test_assigning_a_group_gives_its_nested_members_access(backend, acct, workspace, ws_admin):
    ws = workspace.workspace_id
    sp = acct.service_principals.create(display_name="group bot")
    inner = acct.groups.create(display_name=f"inner-{uuid.uuid4().hex[:6]}", members=[iam.ComplexValue(value=sp.id)])
    outer = acct.groups.create(display_name=f"outer-{uuid.uuid4().hex[:6]}",
                               members=[iam.ComplexValue(value=inner.id)])
    acct.workspace_assignment.update(ws, int(outer.id), permissions=[iam.WorkspacePermission.USER])
    listed = {a.principal.principal_id: a.principal for a in acct.workspace_assignment.list(ws)}
    assert listed[int(outer.id)].group_name == outer.display_name
    assert sp.id in [s.id for s in ws_admin.service_principals.list()]
    shown = {g.display_name: g for g in ws_admin.groups.list()}
    assert shown[outer.display_name].meta.resource_type == "Group"
    assert inner.display_name not in shown

    token = ws_admin.token_management.create_obo_token(application_id=sp.application_id).token_value
    bot = WorkspaceClient(host=backend.ws_url(ws), token=token)
    assert bot.current_user.me().id == sp.id
    # An account group's entitlements can be set in the workspace, not its members.
    ws_admin.groups.patch(outer.id, operations=[iam.Patch(op=iam.PatchOp.ADD, path="entitlements",
                                                          value=[{"value": "workspace-access"}])])
    assert [e.value for e in ws_admin.groups.get(outer.id).entitlements] == ["workspace-access"]
    with pytest.raises(Exception, match="account group"):
        ws_admin.groups.patch(outer.id, operations=[iam.Patch(op=iam.PatchOp.REMOVE, path="members")])
    # The service principal cannot be removed from the workspace while the group keeps it in.
    with pytest.raises(Exception, match="through group"):
        ws_admin.service_principals.delete(sp.id)

    acct.workspace_assignment.update(ws, int(outer.id), permissions=[])
    with pytest.raises(PermissionDenied, match="not a member"):
        bot.current_user.me()
    with pytest.raises(NotFound):
        ws_admin.groups.get(outer.id)


def test_unknown_targets_are_not_found(acct, workspace):
    with pytest.raises(NotFound):
        acct.workspace_assignment.update(workspace.workspace_id, 1234567890123456,
                                         permissions=[iam.WorkspacePermission.USER])
    with pytest.raises(NotFound):
        list(acct.workspace_assignment.list(424242))
    with pytest.raises(NotFound):
        acct.workspace_assignment.get(424242)
