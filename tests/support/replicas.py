"""Replicas of one control plane on one PostgreSQL database, for the multi-replica suites:
starting them (each with its own data dir and port), waiting on conditions, SQL on their
database, and finding a replica's sessions."""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from support import postgres
from support.server import Backend


def start(url: str, token: str = "", args: list[str] | None = None, env: dict[str, str] | None = None) -> Backend:
    """A replica on the database at `url`. The first replica mints the admin token; pass it to
    the others (`token`), which find it already minted and write none of their own."""
    root = Path(tempfile.mkdtemp(prefix="ironbrick-replica-"))
    return Backend(data_dir=root / "data", args=["--store", url, *(args or [])], env=env or {}, token=token).start()


def start_many(url: str, count: int, args: list[str] | None = None,
               env: dict[str, str] | None = None) -> list[Backend]:
    """`count` replicas on `url`, sharing the first one's admin token (all stopped again when
    one fails to start)."""
    started: list[Backend] = []
    try:
        while len(started) < count:
            started.append(start(url, token=started[0].token if started else "", args=args, env=env))
    except BaseException:
        for r in started:
            r.stop()
        raise
    return started


def wait_for(what: str, check, timeout: float = 30, every: float = 0.25):
    """Polls `check` until it returns something true (returned), failing after `timeout` s."""
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def sql(pg: postgres.Postgres, url: str, query: str) -> str:
    """Runs `query` with psql (as the superuser `ironbrick`) in the database of `url`; its
    unaligned output."""
    out = subprocess.run([str(pg.bin / "psql"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "ironbrick", "-X",
                          "-q", "-t", "-A", "-d", url.rsplit("/", 1)[1], "-c", query],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def change_feed_session(backend: Backend) -> str:
    """The `application_name` of `backend`'s change feed session (see the store's
    pg/follow.rs): `ironbrick changes <pid>`."""
    assert backend.proc is not None, "the replica is not running"
    return f"ironbrick changes {backend.proc.pid}"
