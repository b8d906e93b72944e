"""Notebooks and secrets through the SDK, sealed under the workspace's key."""

import base64

import pytest
from databricks.sdk.errors import (BadRequest, InvalidParameterValue, NotFound, ResourceAlreadyExists,
                                   ResourceDoesNotExist)
from databricks.sdk.service.workspace import ExportFormat, ImportFormat, Language, ObjectType

from conftest import make_key, make_workspace

MARK = "IRONBRICK-PLAINTEXT-MARKER"


def b64(s: bytes) -> str:
    return base64.b64encode(s).decode()


def files_containing(root, needle: bytes) -> list:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_notebook_round_trip(ws_admin):
    src = f"print('{MARK}')\n".encode()
    ws_admin.workspace.mkdirs("/Shared/team/etl")
    ws_admin.workspace.import_(path="/Shared/team/etl/job", format=ImportFormat.SOURCE, language=Language.PYTHON,
                               content=b64(src))
    status = ws_admin.workspace.get_status("/Shared/team/etl/job")
    assert (status.object_type, status.language, status.size) == (ObjectType.NOTEBOOK, Language.PYTHON, len(src))
    exported = ws_admin.workspace.export("/Shared/team/etl/job", format=ExportFormat.SOURCE)
    assert base64.b64decode(exported.content) == src
    assert ws_admin.workspace.download("/Shared/team/etl/job").read() == src
    listed = {o.path: o.object_type for o in ws_admin.workspace.list("/Shared/team")}
    assert listed == {"/Shared/team/etl": ObjectType.DIRECTORY}
    with pytest.raises(ResourceAlreadyExists):
        ws_admin.workspace.import_(path="/Shared/team/etl/job", language=Language.PYTHON, content=b64(b"x"))
    ws_admin.workspace.import_(path="/Shared/team/etl/job", language=Language.SCALA, content=b64(b"println(1)"),
                               overwrite=True)
    assert ws_admin.workspace.get_status("/Shared/team/etl/job").language == Language.SCALA
    ws_admin.workspace.upload("/Shared/team/report.sql", b"select 1", format=ImportFormat.AUTO)
    assert ws_admin.workspace.get_status("/Shared/team/report").language == Language.SQL


def test_notebook_errors(ws_admin):
    with pytest.raises(ResourceDoesNotExist):
        ws_admin.workspace.import_(path="/Shared/missing/nb", language=Language.PYTHON, content=b64(b"1"))
    with pytest.raises(InvalidParameterValue):
        ws_admin.workspace.import_(path="/Shared/nb", format=ImportFormat.SOURCE, content=b64(b"1"))
    with pytest.raises(InvalidParameterValue):
        ws_admin.workspace.import_(path="relative/nb", language=Language.PYTHON, content=b64(b"1"))
    with pytest.raises(NotFound):
        ws_admin.workspace.get_status("/Shared/nope")
    ws_admin.workspace.mkdirs("/Shared/full")
    ws_admin.workspace.import_(path="/Shared/full/nb", language=Language.R, content=b64(b"1"))
    with pytest.raises(BadRequest):
        ws_admin.workspace.delete("/Shared/full")
    ws_admin.workspace.delete("/Shared/full", recursive=True)
    with pytest.raises(NotFound):
        ws_admin.workspace.get_status("/Shared/full/nb")
    with pytest.raises(InvalidParameterValue):
        ws_admin.workspace.delete("/Shared")


def test_secrets(ws_admin):
    ws_admin.secrets.create_scope("team")
    with pytest.raises(ResourceAlreadyExists):
        ws_admin.secrets.create_scope("team")
    ws_admin.secrets.put_secret("team", "db-password", string_value=MARK)
    ws_admin.secrets.put_secret("team", "blob", bytes_value=b64(b"\x00\x01binary"))
    keys = [s.key for s in ws_admin.secrets.list_secrets("team")]
    assert sorted(keys) == ["blob", "db-password"]
    assert base64.b64decode(ws_admin.secrets.get_secret("team", "db-password").value).decode() == MARK
    assert base64.b64decode(ws_admin.secrets.get_secret("team", "blob").value) == b"\x00\x01binary"
    assert "team" in [s.name for s in ws_admin.secrets.list_scopes()]
    with pytest.raises(InvalidParameterValue):
        ws_admin.secrets.put_secret("team", "bad key!", string_value="x")
    with pytest.raises(ResourceDoesNotExist):
        ws_admin.secrets.put_secret("nope", "k", string_value="x")
    ws_admin.secrets.delete_secret("team", "blob")
    with pytest.raises(NotFound):
        ws_admin.secrets.get_secret("team", "blob")
    ws_admin.secrets.delete_scope("team")
    with pytest.raises(NotFound):
        list(ws_admin.secrets.list_secrets("team"))


def test_no_plaintext_on_disk(backend, acct):
    from databricks.sdk import WorkspaceClient
    key = make_key(acct)
    ws = make_workspace(acct, managed_services_customer_managed_key_id=key.customer_managed_key_id)
    w = WorkspaceClient(host=backend.ws_url(ws.workspace_id), token=backend.token)
    w.workspace.import_(path="/Shared/secret-nb", language=Language.PYTHON, content=b64(f"# {MARK}-NB".encode()))
    w.secrets.create_scope("s")
    w.secrets.put_secret("s", "k", string_value=f"{MARK}-SECRET")
    plain_plus_platform = make_workspace(acct)
    w2 = WorkspaceClient(host=backend.ws_url(plain_plus_platform.workspace_id), token=backend.token)
    w2.workspace.import_(path="/Shared/platform-nb", language=Language.PYTHON, content=b64(f"# {MARK}-PLATFORM".encode()))
    for needle in [f"{MARK}-NB", f"{MARK}-SECRET", f"{MARK}-PLATFORM"]:
        assert files_containing(backend.data_dir, needle.encode()) == [], needle
    assert base64.b64decode(w.workspace.export("/Shared/secret-nb").content).decode() == f"# {MARK}-NB"
