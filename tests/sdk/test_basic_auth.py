"""Native authentication with the unmodified SDK: username/password (HTTP Basic) clients at the
account and in a workspace, passwords set through SCIM, password permissions, and the refusals
(wrong password, no CAN_USE on passwords, deactivated user, throttled attempts).

The SDK retries 429 itself (sleeping Retry-After, for up to its retry timeout), so the
throttling test sends its attempts with plain `requests` to see each answer, then signs in with
the SDK once the back-off is over."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import requests
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.errors import PermissionDenied, Unauthenticated
from databricks.sdk.service import iam

from conftest import make_workspace

PATCH = [iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP]
ADMIN = "admin@ironbrick.local"


def admin_password(backend) -> str:
    return json.loads((backend.data_dir / "bootstrap.json").read_text())["password"]


@pytest.fixture(scope="module")
def ws(acct):
    return make_workspace(acct)


def new_user(backend, acct, ws, password: str | None = None) -> tuple[iam.User, str]:
    """A user of `ws` created through the account SCIM API with a password (the SDK's User
    has no password field, so the body goes through the SDK's own API client)."""
    name = f"{uuid.uuid4().hex[:8]}@corp.example"
    password = password or f"pw-{uuid.uuid4().hex}"
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
            "password": password}
    doc = acct.api_client.do("POST", f"/api/2.0/accounts/{backend.account_id}/scim/v2/Users", body=body)
    assert "password" not in doc and password not in json.dumps(doc)
    user = acct.users.get(doc["id"])
    acct.workspace_assignment.update(ws.workspace_id, int(user.id), permissions=[iam.WorkspacePermission.USER])
    return user, password


def basic_ws(backend, ws, user: str, password: str) -> WorkspaceClient:
    return WorkspaceClient(host=backend.ws_url(ws.workspace_id), username=user, password=password)


def test_account_client_with_the_generated_admin_password(backend):
    a = AccountClient(host=backend.host, account_id=backend.account_id, username=ADMIN,
                      password=admin_password(backend))
    assert a.config.auth_type == "basic"
    names = [w.workspace_name for w in a.workspaces.list()]
    assert isinstance(names, list)
    assert a.users.get("1").user_name == ADMIN


def test_workspace_client_with_basic_calls_real_endpoints(backend, acct, ws):
    user, password = new_user(backend, acct, ws)
    w = basic_ws(backend, ws, user.user_name, password)
    assert w.config.auth_type == "basic"
    assert w.current_user.me().user_name == user.user_name
    created = w.tokens.create(comment="from basic", lifetime_seconds=600)
    pat = WorkspaceClient(host=backend.ws_url(ws.workspace_id), token=created.token_value)
    assert pat.current_user.me().user_name == user.user_name
    # The admin, with the generated password, in the workspace too.
    admin = basic_ws(backend, ws, ADMIN, admin_password(backend))
    assert admin.current_user.me().user_name == ADMIN


def test_password_changed_through_scim_patch(backend, acct, ws):
    user, password = new_user(backend, acct, ws)
    w = basic_ws(backend, ws, user.user_name, password)
    assert w.current_user.me().user_name == user.user_name
    acct.users.patch(user.id, schemas=PATCH, operations=[
        iam.Patch(op=iam.PatchOp.REPLACE, path="password", value="a brand new password")])
    with pytest.raises(Unauthenticated):
        w.current_user.me()
    assert basic_ws(backend, ws, user.user_name, "a brand new password").current_user.me().user_name == user.user_name


def test_wrong_password_is_401(backend, acct, ws):
    user, _ = new_user(backend, acct, ws)
    with pytest.raises(Unauthenticated):
        basic_ws(backend, ws, user.user_name, "certainly not the password").current_user.me()
    with pytest.raises(Unauthenticated):
        AccountClient(host=backend.host, account_id=backend.account_id, username=ADMIN,
                      password="certainly not the password").workspaces.list()


def test_weak_passwords_are_refused(backend, acct):
    url = f"/api/2.0/accounts/{backend.account_id}/scim/v2/Users"
    with pytest.raises(Exception, match="at least 12") as e:
        acct.api_client.do("POST", url, body={"userName": "weak@corp.example", "password": "short"})
    assert "short\"" not in str(e.value)


def test_user_without_can_use_on_passwords_is_403_and_keeps_tokens(backend, acct):
    ws = make_workspace(acct)
    user, password = new_user(backend, acct, ws)
    w = basic_ws(backend, ws, user.user_name, password)
    pat = w.tokens.create(comment="before", lifetime_seconds=600).token_value
    admin = WorkspaceClient(host=backend.ws_url(ws.workspace_id), token=backend.token)
    admin.users.set_permissions(access_control_list=[])
    with pytest.raises(PermissionDenied, match="Password sign-in is not permitted for"):
        w.current_user.me()
    tokens = WorkspaceClient(host=backend.ws_url(ws.workspace_id), token=pat)
    assert tokens.current_user.me().user_name == user.user_name
    # Admins always may; CAN_USE through `users` brings everyone back.
    assert basic_ws(backend, ws, ADMIN, admin_password(backend)).current_user.me().user_name == ADMIN
    admin.users.set_permissions(access_control_list=[
        iam.PasswordAccessControlRequest(group_name="users", permission_level=iam.PasswordPermissionLevel.CAN_USE)])
    assert w.current_user.me().user_name == user.user_name


def test_deactivated_user_is_refused(backend, acct, ws):
    user, password = new_user(backend, acct, ws)
    w = basic_ws(backend, ws, user.user_name, password)
    assert w.current_user.me().user_name == user.user_name
    acct.users.patch(user.id, schemas=PATCH, operations=[iam.Patch(op=iam.PatchOp.REPLACE, path="active", value=False)])
    with pytest.raises(PermissionDenied, match="deactivated"):
        w.current_user.me()


def test_throttled_attempts_then_the_right_password_after_the_back_off(backend, acct, ws):
    user, password = new_user(backend, acct, ws)
    url = f"{backend.ws_url(ws.workspace_id)}/api/2.0/preview/scim/v2/Me"
    for _ in range(3):
        r = requests.get(url, auth=(user.user_name, "a wrong guess here"))
        assert r.status_code == 401, r.text
    r = requests.get(url, auth=(user.user_name, password))
    assert r.status_code == 429, r.text
    assert r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 2
    time.sleep(wait)
    assert basic_ws(backend, ws, user.user_name, password).current_user.me().user_name == user.user_name
    # Each failure is audited under the attempted user name.
    log = acct.api_client.do("GET", f"/api/2.0/accounts/{backend.account_id}/audit-logs")
    mine = [e for e in log["entries"] if e.get("principal") == user.user_name and e["status"] in (401, 429)]
    assert [e["status"] for e in mine] == [401, 401, 401, 429]
    assert "a wrong guess" not in json.dumps(log) and password not in json.dumps(log)
