"""A throwaway PostgreSQL server for the test harness: initdb + pg_ctl in a temporary directory,
listening on a free loopback port, stopped by PID at exit.

With IRONBRICK_TEST_STORE=postgres, every backend the harness starts gets a fresh database on
this one server (see server.Backend). Missing binaries fail loudly with an install hint."""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

INSTALL_HINT = ("PostgreSQL server binaries (initdb, pg_ctl) were not found: install them "
                "(Debian/Ubuntu: `apt-get install -y postgresql`), put them on PATH, or point "
                "IRONBRICK_PG_BIN at their directory")


def wanted() -> bool:
    """Whether backends should use PostgreSQL (IRONBRICK_TEST_STORE=postgres)."""
    store = os.environ.get("IRONBRICK_TEST_STORE", "sled")
    if store not in ("sled", "postgres", "replicas"):
        raise RuntimeError(f"IRONBRICK_TEST_STORE must be sled, postgres or replicas, not {store!r}")
    return store == "postgres"


def bindir() -> Path:
    def has(d: Path) -> bool:
        return (d / "initdb").is_file() and (d / "pg_ctl").is_file()

    override = os.environ.get("IRONBRICK_PG_BIN")
    if override:
        if has(Path(override)):
            return Path(override)
        raise RuntimeError(f"IRONBRICK_PG_BIN={override} has no initdb/pg_ctl. {INSTALL_HINT}")
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        if has(Path(out.stdout.strip())):
            return Path(out.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        pass
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                      if Path(p).parent.name.isdigit() else 0)
    for d in reversed(versions):
        if has(Path(d)):
            return Path(d)
    found = shutil.which("initdb")
    if found and has(Path(found).parent):
        return Path(found).parent
    raise RuntimeError(INSTALL_HINT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return not stat.rsplit(") ", 1)[-1].startswith("Z")


class Postgres:
    """One server; `database()` hands out fresh, empty databases."""

    def __init__(self) -> None:
        self.bin = bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="ironbrick-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.pid: int | None = None
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.run_as:
            shutil.chown(self.dir, user="postgres")
        self._run("initdb", "-D", str(self.data), "-U", "ironbrick", "-A", "trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        # run in our directory: postgres may not be allowed into the caller's working directory
        out = subprocess.run([*self.run_as, str(self.bin / tool), *args], capture_output=True, text=True,
                             cwd=self.dir)
        if out.returncode != 0:
            log = (self.dir / "server.log").read_text() if (self.dir / "server.log").exists() else ""
            raise RuntimeError(f"{tool} failed: {out.stdout}{out.stderr}\n{log}")

    def start(self) -> None:
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} "
                   "-c max_connections=500")
        self._run("pg_ctl", "start", "-D", str(self.data), "-l", str(self.dir / "server.log"),
                  "-w", "-t", "60", "-o", options)
        self.pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def stop(self, sig: int = signal.SIGINT, timeout: float = 20) -> None:
        """Stops the server by PID (fast shutdown; SIGKILL after `timeout`)."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.time() + timeout
        while _alive(pid):
            if time.time() > deadline:
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.05)

    def url(self, db: str) -> str:
        return f"postgres://ironbrick@127.0.0.1:{self.port}/{db}"

    def database(self) -> str:
        """Creates an empty database; returns its URL."""
        db = f"ib_{uuid.uuid4().hex[:12]}"
        out = subprocess.run([str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "ironbrick",
                              "-X", "-q", "-d", "postgres", "-c", f"CREATE DATABASE {db}"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"creating database {db}: {out.stderr}")
        return self.url(db)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


_server: Postgres | None = None


def shared() -> Postgres:
    """The harness's one server, started on first use and stopped at exit."""
    global _server
    if _server is None:
        _server = Postgres()
        atexit.register(_server.remove)
    return _server
