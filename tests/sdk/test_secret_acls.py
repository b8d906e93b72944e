"""Secret scope ACLs (w.secrets.put_acl/get_acl/list_acls/delete_acl) with the official SDK, and what
they allow non-admin callers (service principals) to do."""

import base64
import uuid

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, PermissionDenied, ResourceDoesNotExist
from databricks.sdk.service.workspace import AclPermission


def service_principal(backend, workspace, ws_admin: WorkspaceClient, name: str) -> tuple[str, WorkspaceClient]:
    """A new service principal of the workspace (SCIM) and a client authenticated as it (OBO token)."""
    sp = ws_admin.service_principals.create(display_name=f"{name}-{uuid.uuid4().hex[:6]}")
    token = ws_admin.token_management.create_obo_token(application_id=sp.application_id).token_value
    return sp.application_id, WorkspaceClient(host=backend.ws_url(workspace.workspace_id), token=token)


def acls(w: WorkspaceClient, scope: str) -> dict:
    return {a.principal: a.permission for a in w.secrets.list_acls(scope)}


def test_secret_acls_as_owner_reader_and_writer(backend, workspace, ws_admin):
    owner, owner_client = service_principal(backend, workspace, ws_admin, "owner")
    other, other_client = service_principal(backend, workspace, ws_admin, "other")
    owner_client.secrets.create_scope("acl-app")
    owner_client.secrets.put_secret("acl-app", "db", string_value="hunter2")
    assert acls(owner_client, "acl-app") == {owner: AclPermission.MANAGE}

    with pytest.raises(PermissionDenied, match="READ permission on secret scope acl-app"):
        other_client.secrets.get_secret("acl-app", "db")
    with pytest.raises(PermissionDenied):
        list(other_client.secrets.list_secrets("acl-app"))
    assert "acl-app" not in [s.name for s in other_client.secrets.list_scopes()]
    with pytest.raises(PermissionDenied, match="MANAGE"):
        list(other_client.secrets.list_acls("acl-app"))

    owner_client.secrets.put_acl("acl-app", other, AclPermission.READ)
    assert owner_client.secrets.get_acl("acl-app", other).permission == AclPermission.READ
    assert base64.b64decode(other_client.secrets.get_secret("acl-app", "db").value) == b"hunter2"
    assert [s.key for s in other_client.secrets.list_secrets("acl-app")] == ["db"]
    assert "acl-app" in [s.name for s in other_client.secrets.list_scopes()]
    with pytest.raises(PermissionDenied, match="WRITE"):
        other_client.secrets.put_secret("acl-app", "x", string_value="y")

    owner_client.secrets.put_acl("acl-app", other, AclPermission.WRITE)
    other_client.secrets.put_secret("acl-app", "x", string_value="y")
    other_client.secrets.delete_secret("acl-app", "x")
    with pytest.raises(PermissionDenied, match="MANAGE"):
        other_client.secrets.delete_scope("acl-app")

    owner_client.secrets.put_acl("acl-app", "users", AclPermission.READ)
    assert acls(owner_client, "acl-app") == {owner: AclPermission.MANAGE, other: AclPermission.WRITE,
                                             "users": AclPermission.READ}
    owner_client.secrets.delete_acl("acl-app", other)
    owner_client.secrets.delete_acl("acl-app", "users")
    with pytest.raises(PermissionDenied):
        other_client.secrets.get_secret("acl-app", "db")
    # workspace admins always manage
    assert acls(ws_admin, "acl-app") == {owner: AclPermission.MANAGE}
    assert ws_admin.secrets.get_secret("acl-app", "db").value
    ws_admin.secrets.delete_scope("acl-app")


def test_initial_manage_principal_users(backend, workspace, ws_admin):
    _, member = service_principal(backend, workspace, ws_admin, "member")
    ws_admin.secrets.create_scope("everyone", initial_manage_principal="users")
    assert acls(ws_admin, "everyone")["users"] == AclPermission.MANAGE
    member.secrets.put_secret("everyone", "k", string_value="v")
    member.secrets.delete_scope("everyone")
    with pytest.raises(InvalidParameterValue, match="initial_manage_principal"):
        ws_admin.secrets.create_scope("odd", initial_manage_principal="admins")


def test_secret_acl_errors(ws_admin):
    ws_admin.secrets.create_scope("acl-errors")
    with pytest.raises(ResourceDoesNotExist):
        ws_admin.secrets.put_acl("no-such-scope", "users", AclPermission.READ)
    with pytest.raises(ResourceDoesNotExist):
        ws_admin.secrets.get_acl("acl-errors", "users")
    with pytest.raises(ResourceDoesNotExist):
        ws_admin.secrets.delete_acl("acl-errors", "users")
    with pytest.raises(ResourceDoesNotExist):
        ws_admin.secrets.put_acl("acl-errors", "nobody-at-all", AclPermission.READ)


def test_bad_permission_is_invalid_parameter(backend, workspace, ws_admin):
    ws_admin.secrets.create_scope("acl-bad")
    r = requests.post(f"{backend.ws_url(workspace.workspace_id)}/api/2.0/secrets/acls/put",
                      headers={"Authorization": f"Bearer {backend.token}"},
                      json={"scope": "acl-bad", "principal": "users", "permission": "OWN"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "READ, WRITE, MANAGE" in r.json()["message"]


def test_denied_requests_are_audited_with_the_caller(backend, workspace, ws_admin):
    sp, client = service_principal(backend, workspace, ws_admin, "snoop")
    ws_admin.secrets.create_scope("audited")
    with pytest.raises(PermissionDenied):
        list(client.secrets.list_secrets("audited"))
    base = f"{backend.host}/api/2.0/accounts/{backend.account_id}"
    entries = requests.get(f"{base}/audit-logs", headers={"Authorization": f"Bearer {backend.token}"}).json()["entries"]
    denied = [e for e in entries if e["status"] == 403 and e["path"].endswith("/secrets/list")]
    assert denied and denied[-1]["principal"] == sp and denied[-1]["error_code"] == "PERMISSION_DENIED"
