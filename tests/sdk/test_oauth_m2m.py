"""OAuth M2M for service principals with the unmodified SDK: secrets, token endpoints,
discovery, and the refusals (deleted secret, deleted or disabled principal, expired token,
wrong workspace, wrong secret)."""

from __future__ import annotations

import socket
import time
import uuid

import pytest
import requests
from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied, Unauthenticated
from databricks.sdk.service import iam

from conftest import make_workspace
from support.server import new_backend, remove

PATCH = [iam.PatchSchema.URN_IETF_PARAMS_SCIM_API_MESSAGES_2_0_PATCH_OP]


def sp_with_secret(acct, workspace=None, admin=False, lifetime=None):
    roles = [iam.ComplexValue(value="account_admin")] if admin else None
    sp = acct.service_principals.create(display_name=f"bot-{uuid.uuid4().hex[:6]}", roles=roles)
    if workspace is not None:
        acct.workspace_assignment.update(workspace.workspace_id, int(sp.id),
                                         permissions=[iam.WorkspacePermission.USER])
    secret = acct.service_principal_secrets.create(sp.id, lifetime=lifetime)
    return sp, secret


def ws_client(backend, workspace, sp, secret) -> WorkspaceClient:
    return WorkspaceClient(host=backend.ws_url(workspace.workspace_id), client_id=sp.application_id,
                           client_secret=secret.secret)


def token_request(url, client_id, secret, **form):
    data = {"grant_type": "client_credentials", "scope": "all-apis", **form}
    return requests.post(url, data=data, auth=(client_id, secret))


def ws_token_url(backend, workspace) -> str:
    return f"{backend.ws_url(workspace.workspace_id)}/oidc/v1/token"


def test_secrets_are_shown_once_listed_and_deleted(acct):
    sp, secret = sp_with_secret(acct, lifetime="3600s")
    assert secret.secret.startswith("dose") and len(secret.secret) == 68
    assert secret.status == "ACTIVE" and secret.id and len(secret.secret_hash) == 64
    assert secret.create_time.endswith("Z") and secret.expire_time > secret.create_time
    listed = list(acct.service_principal_secrets.list(sp.id))
    assert [s.id for s in listed] == [secret.id]
    assert listed[0].secret_hash == secret.secret_hash and listed[0].expire_time == secret.expire_time
    assert "secret" not in listed[0].as_dict()
    default = acct.service_principal_secrets.create(sp.id)
    days = (time.mktime(time.strptime(default.expire_time, "%Y-%m-%dT%H:%M:%SZ"))
            - time.mktime(time.strptime(default.create_time, "%Y-%m-%dT%H:%M:%SZ"))) / 86400
    assert round(days) == 730
    acct.service_principal_secrets.delete(sp.id, secret.id)
    assert [s.id for s in acct.service_principal_secrets.list(sp.id)] == [default.id]
    with pytest.raises(NotFound):
        acct.service_principal_secrets.delete(sp.id, secret.id)


def test_secret_api_refusals(acct):
    sp = acct.service_principals.create(display_name="refusals")
    for bad in ["0s", "-1s", "soon", "63072001s"]:
        with pytest.raises(BadRequest, match="lifetime"):
            acct.service_principal_secrets.create(sp.id, lifetime=bad)
    with pytest.raises(NotFound):
        acct.service_principal_secrets.create("123456789")
    user = acct.users.create(user_name=f"{uuid.uuid4().hex[:6]}@corp.example")
    with pytest.raises(NotFound):
        acct.service_principal_secrets.list(user.id).__next__()
    for _ in range(5):
        acct.service_principal_secrets.create(sp.id)
    with pytest.raises(BadRequest, match="5 OAuth secrets"):
        acct.service_principal_secrets.create(sp.id)


def test_workspace_client_with_client_credentials(backend, acct, workspace, ws_admin):
    sp, secret = sp_with_secret(acct, workspace)
    w = ws_client(backend, workspace, sp, secret)
    me = w.current_user.me()
    assert me.id == sp.id and me.user_name == sp.application_id
    assert w.config.auth_type == "oauth-m2m"
    scope = f"oauth-{uuid.uuid4().hex[:6]}"
    w.secrets.create_scope(scope)
    w.secrets.put_secret(scope, "k", string_value="v")
    assert [s.key for s in w.secrets.list_secrets(scope)] == ["k"]
    # OAuth access tokens are not personal access tokens: no list shows them
    assert list(w.tokens.list()) == []
    assert [t for t in ws_admin.token_management.list() if t.owner_id == int(sp.id)] == []


def test_account_client_with_client_credentials(backend, acct, workspace):
    sp, secret = sp_with_secret(acct, admin=True)
    a = AccountClient(host=backend.host, account_id=backend.account_id, client_id=sp.application_id,
                      client_secret=secret.secret)
    assert workspace.workspace_id in [w.workspace_id for w in a.workspaces.list()]
    assert a.config.auth_type == "oauth-m2m"
    # an account admin's account token also works in every workspace
    w = WorkspaceClient(host=backend.ws_url(workspace.workspace_id),
                        token=a.config.oauth_token().access_token)
    assert w.current_user.me().id == sp.id


def test_account_token_needs_the_account_admin_role(backend, acct, workspace):
    sp, secret = sp_with_secret(acct, workspace)
    r = token_request(f"{backend.host}/oidc/accounts/{backend.account_id}/v1/token", sp.application_id,
                      secret.secret)
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client"
    with pytest.raises(ValueError, match="unauthorized_client"):
        AccountClient(host=backend.host, account_id=backend.account_id, client_id=sp.application_id,
                      client_secret=secret.secret).workspaces.list()


def test_discovery_documents(backend, workspace):
    ws = backend.ws_url(workspace.workspace_id)
    meta = requests.get(f"{ws}/.well-known/databricks-config").json()
    assert meta["oidc_endpoint"] == f"{ws}/oidc"
    doc = requests.get(f"{ws}/oidc/.well-known/oauth-authorization-server").json()
    assert doc["token_endpoint"] == f"{ws}/oidc/v1/token" and doc["issuer"] == f"{ws}/oidc"
    root = f"{backend.host}/oidc/accounts/{backend.account_id}"
    assert requests.get(f"{backend.host}/.well-known/databricks-config").json()["oidc_endpoint"] == root
    doc = requests.get(f"{root}/.well-known/oauth-authorization-server").json()
    assert doc["token_endpoint"] == f"{root}/v1/token"
    assert requests.get(f"{backend.host}/oidc/accounts/{uuid.uuid4()}/.well-known/oauth-authorization-server"
                        ).status_code == 404


def test_token_endpoint_answers_in_oauth_format(backend, acct, workspace):
    sp, secret = sp_with_secret(acct, workspace)
    url = ws_token_url(backend, workspace)
    r = requests.post(url, data={"grant_type": "client_credentials", "scope": "all-apis",
                                 "client_id": sp.application_id, "client_secret": secret.secret})
    body = r.json()
    assert r.status_code == 200 and body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "all-apis" and r.headers["Cache-Control"] == "no-store"
    me = requests.get(f"{backend.ws_url(workspace.workspace_id)}/api/2.0/preview/scim/v2/Me",
                      headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["id"] == sp.id
    r = token_request(url, sp.application_id, secret.secret, scope="sql")
    assert (r.status_code, r.json()["error"]) == (400, "invalid_scope")
    r = token_request(url, sp.application_id, secret.secret, grant_type="password")
    assert (r.status_code, r.json()["error"]) == (400, "unsupported_grant_type")
    r = requests.post(url, data={"grant_type": "client_credentials"})
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")


def test_wrong_secret_is_refused(backend, acct, workspace):
    sp, secret = sp_with_secret(acct, workspace)
    last = "1" if secret.secret.endswith("0") else "0"  # a secret ending in "0" stayed right
    r = token_request(ws_token_url(backend, workspace), sp.application_id, secret.secret[:-1] + last)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert secret.secret not in r.text and r.headers["WWW-Authenticate"].startswith("Basic")
    r = token_request(ws_token_url(backend, workspace), str(uuid.uuid4()), secret.secret)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    with pytest.raises(ValueError, match="invalid_client"):
        WorkspaceClient(host=backend.ws_url(workspace.workspace_id), client_id=sp.application_id,
                        client_secret="dose" + "0" * 64).current_user.me()


def test_deleted_secret_stops_issued_tokens_at_once(backend, acct, workspace):
    sp, secret = sp_with_secret(acct, workspace)
    w = ws_client(backend, workspace, sp, secret)
    assert w.current_user.me().id == sp.id
    acct.service_principal_secrets.delete(sp.id, secret.id)
    with pytest.raises(Unauthenticated, match="deleted"):
        w.current_user.me()
    r = token_request(ws_token_url(backend, workspace), sp.application_id, secret.secret)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_deleted_service_principal_stops_at_once(backend, acct, workspace):
    sp, secret = sp_with_secret(acct, workspace)
    w = ws_client(backend, workspace, sp, secret)
    assert w.current_user.me().id == sp.id
    acct.service_principals.delete(sp.id)
    with pytest.raises(Unauthenticated):
        w.current_user.me()
    r = token_request(ws_token_url(backend, workspace), sp.application_id, secret.secret)
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_disabled_service_principal_stops_at_once(backend, acct, workspace):
    sp, secret = sp_with_secret(acct, workspace)
    w = ws_client(backend, workspace, sp, secret)
    assert w.current_user.me().id == sp.id
    acct.service_principals.patch(sp.id, schemas=PATCH, operations=[
        iam.Patch(op=iam.PatchOp.REPLACE, path="active", value=False)])
    with pytest.raises(PermissionDenied, match="deactivated"):
        w.current_user.me()
    r = token_request(ws_token_url(backend, workspace), sp.application_id, secret.secret)
    assert r.status_code == 401 and "deactivated" in r.json()["error_description"]


def test_workspace_token_is_refused_in_other_workspaces(backend, acct, workspace):
    other = make_workspace(acct)
    sp, secret = sp_with_secret(acct, workspace)
    acct.workspace_assignment.update(other.workspace_id, int(sp.id), permissions=[iam.WorkspacePermission.USER])
    token = token_request(ws_token_url(backend, workspace), sp.application_id, secret.secret).json()["access_token"]
    w = WorkspaceClient(host=backend.ws_url(other.workspace_id), token=token)
    with pytest.raises(Unauthenticated, match="this workspace"):
        w.current_user.me()
    # and a principal not in the workspace gets no token for it
    lone, lone_secret = sp_with_secret(acct)
    r = token_request(ws_token_url(backend, workspace), lone.application_id, lone_secret.secret)
    assert r.status_code == 400 and r.json()["error"] == "unauthorized_client"


def test_workspace_proxy_manages_secrets_of_its_principals(backend, acct, workspace, ws_admin):
    sp = acct.service_principals.create(display_name="proxied")
    with pytest.raises(NotFound):
        ws_admin.service_principal_secrets_proxy.create(sp.id)
    acct.workspace_assignment.update(workspace.workspace_id, int(sp.id), permissions=[iam.WorkspacePermission.USER])
    secret = ws_admin.service_principal_secrets_proxy.create(sp.id, lifetime="600s")
    assert [s.id for s in ws_admin.service_principal_secrets_proxy.list(sp.id)] == [secret.id]
    assert ws_client(backend, workspace, sp, secret).current_user.me().id == sp.id
    ws_admin.service_principal_secrets_proxy.delete(sp.id, secret.id)
    assert list(acct.service_principal_secrets.list(sp.id)) == []


@pytest.fixture(scope="module")
def short_lived():
    b = new_backend("--oauth-token-ttl", "1s")
    yield b
    remove(b)


def test_expired_access_token_is_refused(short_lived):
    a = AccountClient(host=short_lived.host, account_id=short_lived.account_id, token=short_lived.token)
    ws = make_workspace(a)
    sp, secret = sp_with_secret(a, ws)
    r = token_request(ws_token_url(short_lived, ws), sp.application_id, secret.secret)
    assert r.json()["expires_in"] == 1
    url = f"{short_lived.ws_url(ws.workspace_id)}/api/2.0/preview/scim/v2/Me"
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert requests.get(url, headers=headers).status_code == 200
    time.sleep(1.2)
    r = requests.get(url, headers=headers)
    assert r.status_code == 401 and "expired" in r.json()["message"]
    # the SDK simply fetches a fresh token
    assert ws_client(short_lived, ws, sp, secret).current_user.me().id == sp.id


HOST_DOMAIN = "oauth.test"


@pytest.fixture
def host_form(monkeypatch):
    """A backend with a workspace domain; <anything>.oauth.test resolves to 127.0.0.1 here."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.rstrip(".").endswith("." + HOST_DOMAIN):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    b = new_backend("--workspace-domain", HOST_DOMAIN)
    yield b
    remove(b)


def test_workspace_client_at_a_workspace_host(host_form):
    a = AccountClient(host=host_form.host, account_id=host_form.account_id, token=host_form.token)
    name = f"m2m-{uuid.uuid4().hex[:6]}"
    ws = make_workspace(a, deployment_name=name)
    url = f"http://{name}.{HOST_DOMAIN}:{host_form.port}"
    sp, secret = sp_with_secret(a, ws)
    meta = requests.get(f"{url}/.well-known/databricks-config").json()
    assert meta["oidc_endpoint"] == f"{url}/oidc"
    doc = requests.get(f"{url}/oidc/.well-known/oauth-authorization-server").json()
    assert doc["token_endpoint"] == f"{url}/oidc/v1/token"
    w = WorkspaceClient(host=url, client_id=sp.application_id, client_secret=secret.secret)
    assert w.current_user.me().id == sp.id
    # the path form's token endpoint issues tokens for the same workspace
    r = token_request(ws_token_url(host_form, ws), sp.application_id, secret.secret)
    assert r.status_code == 200
