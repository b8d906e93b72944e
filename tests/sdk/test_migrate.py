"""`ironbrick migrate`: a sled installation populated through the SDK (workspace, users, notebook,
secret, tokens) moves to PostgreSQL, and a backend started there on an empty data dir serves all
of it: notebooks export and secrets read (sealed data still opens: the local key store moved with
the data), and the old tokens still work. A running server's sled store and a non-empty target
are refused."""

from __future__ import annotations

import base64
import subprocess
import tempfile
import uuid
from pathlib import Path

from databricks.sdk import AccountClient, WorkspaceClient
from databricks.sdk.service.workspace import ExportFormat, ImportFormat, Language

from conftest import make_workspace
from support import postgres
from support.server import Backend, binary, new_backend, remove


def migrate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary("ironbrick", "IRONBRICK_BIN")), "migrate", *args],
                          capture_output=True, text=True, timeout=300)


def test_a_sled_installation_moves_to_postgres_and_keeps_working():
    old = new_backend("--store", "sled")
    target = postgres.shared().database()
    moved = None
    try:
        acct = AccountClient(host=old.host, account_id=old.account_id, token=old.token)
        ws = make_workspace(acct)
        user = acct.users.create(user_name=f"mover-{uuid.uuid4().hex[:6]}@example.com", display_name="Mover")
        w = WorkspaceClient(host=old.ws_url(ws.workspace_id), token=old.token)
        mark = uuid.uuid4().hex
        w.secrets.create_scope(scope="moving")
        w.secrets.put_secret("moving", "key", string_value=f"secret {mark}")
        source = f"# notebook {mark}\nprint(1)\n"
        w.workspace.import_(path="/Shared/moving", format=ImportFormat.SOURCE, language=Language.PYTHON,
                            content=base64.b64encode(source.encode()).decode())
        pat = w.tokens.create(comment="survives the move", lifetime_seconds=3600)
        assert WorkspaceClient(host=old.ws_url(ws.workspace_id), token=pat.token_value).current_user.me()

        busy = migrate("--from", str(old.data_dir), "--to", target)
        assert busy.returncode != 0 and "in use" in busy.stderr, busy.stderr

        old.stop()
        done = migrate("--from", f"sled:{old.data_dir}", "--to", target)
        assert done.returncode == 0, done.stderr
        report = done.stdout
        assert "verified" in report, report
        for tree in ("workspaces", "secrets", "tokens", "shared", "meta"):
            line = next((l for l in report.splitlines() if l.startswith(f"{tree} ")), None)
            assert line, f"no line for {tree}: {report}"
            source_n, target_n = line.split()[1:3]
            assert int(source_n) > 0 and source_n == target_n, line
        assert old.password not in report and old.token not in report and pat.token_value not in report and mark not in report

        again = migrate("--from", str(old.data_dir), "--to", target)
        assert again.returncode != 0 and "--overwrite" in again.stderr, again.stderr

        # a backend on PostgreSQL with an empty data dir: everything comes from the database
        root = Path(tempfile.mkdtemp(prefix="ironbrick-migrated-"))
        moved = Backend(data_dir=root / "data", args=["--store", target]).start()
        assert moved.account_id == old.account_id
        assert not moved.token, "no new admin token is minted for a migrated installation"
        acct2 = AccountClient(host=moved.host, account_id=moved.account_id, token=old.token)
        assert acct2.workspaces.get(ws.workspace_id).workspace_name == ws.workspace_name
        assert acct2.users.get(user.id).user_name == user.user_name
        w2 = WorkspaceClient(host=moved.ws_url(ws.workspace_id), token=old.token)
        exported = w2.workspace.export("/Shared/moving", format=ExportFormat.SOURCE)
        assert base64.b64decode(exported.content).decode() == source
        secret = w2.secrets.get_secret("moving", "key")
        assert base64.b64decode(secret.value).decode() == f"secret {mark}"
        me = WorkspaceClient(host=moved.ws_url(ws.workspace_id), token=pat.token_value).current_user.me()
        assert me.user_name == "admin@ironbrick.local"
        assert any(t.comment == "survives the move" for t in w2.token_management.list())
    finally:
        remove(old)
        if moved is not None:
            remove(moved)
