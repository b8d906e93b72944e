"""The Permissions API (w.permissions.get/set/update/get_permission_levels) with the official SDK:
token permissions, notebooks and folders, as the admin and as service principals (non-admins)."""

import base64
import uuid

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound, PermissionDenied, ResourceDoesNotExist
from databricks.sdk.service import iam
from databricks.sdk.service.workspace import Language


def b64(s: bytes) -> str:
    return base64.b64encode(s).decode()


def service_principal(backend, workspace, ws_admin: WorkspaceClient, name: str) -> tuple[str, WorkspaceClient]:
    """A new service principal of the workspace (SCIM) and a client authenticated as it (OBO token)."""
    sp = ws_admin.service_principals.create(display_name=f"{name}-{uuid.uuid4().hex[:6]}")
    token = ws_admin.token_management.create_obo_token(application_id=sp.application_id).token_value
    return sp.application_id, WorkspaceClient(host=backend.ws_url(workspace.workspace_id), token=token)


def levels(acl: iam.ObjectPermissions) -> dict:
    """(principal, inherited) → level of every permission of an answer."""
    out = {}
    for e in acl.access_control_list:
        who = e.user_name or e.group_name or e.service_principal_name
        for p in e.all_permissions:
            out[(who, p.inherited)] = p.permission_level
    return out


def grant(level: str, user=None, group=None, sp=None) -> iam.AccessControlRequest:
    return iam.AccessControlRequest(user_name=user, group_name=group, service_principal_name=sp,
                                    permission_level=iam.PermissionLevel(level))


def test_token_permissions(backend, workspace, ws_admin):
    default = ws_admin.permissions.get("authorization", "tokens")
    assert (default.object_id, default.object_type) == ("/authorization/tokens", "tokens")
    assert levels(default) == {("admins", False): iam.PermissionLevel.CAN_MANAGE,
                               ("users", False): iam.PermissionLevel.CAN_USE}
    got = ws_admin.permissions.get_permission_levels("authorization", "tokens")
    assert [l.permission_level for l in got.permission_levels] == [iam.PermissionLevel.CAN_USE,
                                                                   iam.PermissionLevel.CAN_MANAGE]
    allowed, allowed_client = service_principal(backend, workspace, ws_admin, "allowed")
    _, other_client = service_principal(backend, workspace, ws_admin, "other")
    assert other_client.tokens.create(comment="before").token_value

    ws_admin.permissions.set("authorization", "tokens", access_control_list=[grant("CAN_USE", sp=allowed)])
    assert allowed_client.tokens.create(comment="still").token_value
    with pytest.raises(PermissionDenied, match="CAN_USE"):
        other_client.tokens.create(comment="refused")
    with pytest.raises(PermissionDenied):
        other_client.current_user.me()
    assert ws_admin.tokens.create(comment="admins always can").token_value
    with pytest.raises(PermissionDenied, match="Only workspace admins"):
        allowed_client.permissions.get("authorization", "tokens")

    with pytest.raises(InvalidParameterValue, match="allowed levels: CAN_USE, CAN_MANAGE"):
        ws_admin.permissions.update("authorization", "tokens", access_control_list=[grant("CAN_READ", group="users")])
    with pytest.raises(InvalidParameterValue, match="admins always keep CAN_MANAGE"):
        ws_admin.permissions.update("authorization", "tokens", access_control_list=[grant("CAN_USE", group="admins")])
    with pytest.raises(InvalidParameterValue, match="ghost@example.com"):
        ws_admin.permissions.update("authorization", "tokens",
                                    access_control_list=[grant("CAN_USE", user="ghost@example.com")])

    updated = ws_admin.permissions.update("authorization", "tokens", access_control_list=[grant("CAN_USE", group="users")])
    assert levels(updated)[(allowed, False)] == iam.PermissionLevel.CAN_USE
    assert other_client.current_user.me().user_name


def test_notebook_and_folder_permissions(backend, workspace, ws_admin):
    owner, owner_client = service_principal(backend, workspace, ws_admin, "owner")
    reader, reader_client = service_principal(backend, workspace, ws_admin, "reader")
    folder = f"/Shared/perm-{uuid.uuid4().hex[:6]}"
    owner_client.workspace.mkdirs(folder)
    owner_client.workspace.import_(path=f"{folder}/nb", language=Language.PYTHON, content=b64(b"print(1)"))
    folder_id = owner_client.workspace.get_status(folder).object_id
    nb_id = owner_client.workspace.get_status(f"{folder}/nb").object_id

    nb = owner_client.permissions.get("notebooks", str(nb_id))
    assert (nb.object_id, nb.object_type) == (f"/notebooks/{nb_id}", "notebook")
    assert levels(nb)[(owner, False)] == iam.PermissionLevel.CAN_MANAGE
    admins = next(e for e in nb.access_control_list if e.group_name == "admins").all_permissions[0]
    assert admins.inherited and admins.inherited_from_object == ["/directories/0"]
    got = owner_client.permissions.get_permission_levels("notebooks", str(nb_id))
    assert [l.permission_level.value for l in got.permission_levels] == ["CAN_READ", "CAN_RUN", "CAN_EDIT",
                                                                        "CAN_MANAGE"]

    # everyone manages /Shared, so restrict the folder to its owner first: the reader sees nothing
    ws_admin.workspace.mkdirs(f"/Users/{reader}")
    private = f"/Users/{owner}"
    ws_admin.workspace.mkdirs(private)
    owner_client.workspace.import_(path=f"{private}/nb", language=Language.PYTHON, content=b64(b"secret = 1"))
    private_nb = owner_client.workspace.get_status(f"{private}/nb").object_id
    with pytest.raises(PermissionDenied, match=f"does not have CAN_READ permission on notebook {private}/nb"):
        reader_client.workspace.export(f"{private}/nb")
    assert [o.path for o in reader_client.workspace.list("/Users")] == [f"/Users/{reader}"]

    # a folder grant is inherited by what is in it
    private_id = owner_client.workspace.get_status(private).object_id
    owner_client.permissions.update("directories", str(private_id),
                                    access_control_list=[grant("CAN_READ", sp=reader)])
    inherited = owner_client.permissions.get("notebooks", str(private_nb))
    entry = next(e for e in inherited.access_control_list if e.service_principal_name == reader)
    assert entry.all_permissions[0].inherited_from_object == [f"/directories/{private_id}"]
    assert reader_client.workspace.export(f"{private}/nb").content == b64(b"secret = 1")
    with pytest.raises(PermissionDenied, match="CAN_EDIT"):
        reader_client.workspace.import_(path=f"{private}/nb", language=Language.PYTHON, content=b64(b"x"),
                                        overwrite=True)
    with pytest.raises(PermissionDenied, match="CAN_MANAGE"):
        reader_client.workspace.delete(f"{private}/nb")
    with pytest.raises(PermissionDenied):
        reader_client.permissions.set("notebooks", str(private_nb), access_control_list=[])

    # set replaces the direct grants; update merges
    after = owner_client.permissions.set("notebooks", str(nb_id), access_control_list=[grant("CAN_RUN", group="users")])
    direct = {k: v for k, v in levels(after).items() if not k[1]}
    assert direct == {("users", False): iam.PermissionLevel.CAN_RUN}
    after = owner_client.permissions.update("notebooks", str(nb_id), access_control_list=[grant("CAN_EDIT", sp=reader)])
    direct = {k[0]: v for k, v in levels(after).items() if not k[1]}
    assert direct == {"users": iam.PermissionLevel.CAN_RUN, reader: iam.PermissionLevel.CAN_EDIT}
    assert levels(owner_client.permissions.get("directories", str(folder_id)))[(owner, False)] == \
        iam.PermissionLevel.CAN_MANAGE

    with pytest.raises(InvalidParameterValue, match="allowed levels: CAN_READ, CAN_RUN, CAN_EDIT, CAN_MANAGE"):
        owner_client.permissions.update("notebooks", str(nb_id), access_control_list=[grant("CAN_USE", sp=reader)])
    with pytest.raises(InvalidParameterValue, match="admins always keep CAN_MANAGE"):
        ws_admin.permissions.set("directories", str(folder_id), access_control_list=[grant("CAN_READ", group="admins")])
    with pytest.raises(ResourceDoesNotExist):
        ws_admin.permissions.get("notebooks", "123456789")
    with pytest.raises(NotFound):
        ws_admin.permissions.get("directories", str(nb_id))
