"""Error bodies, limits, host metadata and the audit log."""

import requests

from support.server import Backend


def auth(backend: Backend) -> dict:
    return {"Authorization": f"Bearer {backend.token}"}


def test_malformed_json(backend):
    r = requests.post(f"{backend.host}/api/2.0/accounts/{backend.account_id}/credentials",
                      data="{not json", headers={**auth(backend), "Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error_code"] == "MALFORMED_REQUEST"


def test_wrong_shape_is_invalid_parameter(backend):
    r = requests.post(f"{backend.host}/api/2.0/accounts/{backend.account_id}/workspaces",
                      json={"workspace_name": 5}, headers=auth(backend))
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_oversized_body(backend):
    # one byte over the default --max-body-bytes (16 MiB)
    r = requests.post(f"{backend.host}/api/2.0/accounts/{backend.account_id}/credentials",
                      data="x" * (16 * 1024 * 1024 + 1), headers={**auth(backend), "Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"


def test_unknown_endpoint_and_method(backend):
    r = requests.get(f"{backend.host}/api/2.0/nothing-here", headers=auth(backend))
    assert r.status_code == 404 and r.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    r = requests.put(f"{backend.host}/api/2.0/accounts/{backend.account_id}/credentials", headers=auth(backend))
    assert r.status_code == 405 and r.json()["error_code"] == "METHOD_NOT_ALLOWED"


def test_unknown_workspace_and_foreign_account(backend):
    r = requests.get(f"{backend.host}/w/123/api/2.0/preview/scim/v2/Me", headers=auth(backend))
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = requests.get(f"{backend.host}/api/2.0/accounts/00000000-0000-0000-0000-000000000000/workspaces",
                     headers=auth(backend))
    assert r.status_code == 403


def test_host_metadata(backend):
    root = requests.get(f"{backend.host}/.well-known/databricks-config").json()
    assert root["account_id"] == backend.account_id
    ws = requests.get(f"{backend.host}/w/42/.well-known/databricks-config").json()
    assert ws["workspace_id"] == "42"


def test_audit_log_records_writes_and_denials(backend):
    base = f"{backend.host}/api/2.0/accounts/{backend.account_id}"
    before = requests.get(f"{base}/audit-logs", headers=auth(backend)).json()["entries"]
    requests.post(f"{base}/credentials", json={"credentials_name": "audited", "aws_credentials": {
        "sts_role": {"role_arn": "arn:aws:iam::123456789012:role/a"}}}, headers=auth(backend))
    requests.get(f"{base}/workspaces", headers={"Authorization": "Bearer dapiwrong"})
    since = before[-1]["seq"] + 1 if before else 0
    entries = requests.get(f"{base}/audit-logs", params={"since": since}, headers=auth(backend)).json()["entries"]
    write = [e for e in entries if e["method"] == "POST" and e["path"].endswith("/credentials")]
    assert write and write[0]["status"] == 200 and write[0]["principal"] == "admin@ironbrick.local"
    assert write[0]["source_ip"] == "127.0.0.1"
    denied = [e for e in entries if e["status"] == 401]
    assert denied and denied[0]["error_code"] == "UNAUTHENTICATED" and denied[0]["principal"] is None
    assert all("dapi" not in str(e) for e in entries), "tokens never reach the audit log"


def test_extractor_rejections_are_databricks_errors(backend):
    """Found by the HTTP fuzzer: a path segment that is not a number (and a query string that
    does not parse) were answered by axum in plain text, not as a Databricks error."""
    base = f"{backend.host}/api/2.0/accounts/{backend.account_id}"
    for url in (f"{base}/workspaces/abc", f"{base}/audit-logs?since=abc"):
        r = requests.get(url, headers=auth(backend))
        assert r.status_code == 400, (url, r.status_code, r.text)
        body = r.json()
        assert body["error_code"] == "INVALID_PARAMETER_VALUE" and body["message"], (url, body)
