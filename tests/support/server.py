"""Start and stop the ironbrick backend (and moto's KMS server) for tests, by PID."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from support import postgres, replica_group

REPO = Path(__file__).resolve().parents[2]


def binary(name: str, env_var: str) -> Path:
    override = os.environ.get(env_var)
    path = Path(override) if override else REPO / "target" / "debug" / name
    if not path.exists():
        raise RuntimeError(
            f"{path} does not exist: build it with `cargo build -p {name}` "
            f"(or point {env_var} at a binary)"
        )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port}")


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    if proc.poll() is not None:
        return
    os.kill(proc.pid, sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


@dataclass
class Backend:
    """A running backend: its URL, account, admin token and data dir."""

    data_dir: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: "subprocess.Popen | replica_group.ReplicaGroup | None" = None
    host: str = ""
    account_id: str = ""
    token: str = ""
    # the account admin's generated password (empty when --admin-password set one)
    password: str = ""
    # with IRONBRICK_TEST_STORE=postgres: this backend's own database, kept across restarts
    store_url: str = ""
    # replicas on `store_url` behind a round-robin proxy (0: as IRONBRICK_TEST_STORE says,
    # which is 3 with `replicas` unless the test passed its own --store); see replica_group
    replicas: int = 0

    def start(self) -> "Backend":
        self.port = self.port or free_port()
        replicas = self.replicas or (replica_group.REPLICAS if replica_group.wanted() and "--store" not in self.args
                                     else 0)
        if replicas:
            self.store_url = self.store_url or postgres.shared().database()
            self.proc = replica_group.ReplicaGroup(self, replicas).start()
            return self._read_bootstrap()
        log = open(self.data_dir.parent / f"ironbrick-{self.port}.log", "ab")
        store = []
        if postgres.wanted() and "--store" not in self.args:
            self.store_url = self.store_url or postgres.shared().database()
            store = ["--store", self.store_url]
        cmd = [str(binary("ironbrick", "IRONBRICK_BIN")), "serve", "--listen", f"127.0.0.1:{self.port}",
               "--data-dir", str(self.data_dir), *store, *self.args]
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, env={**os.environ, **self.env})
        wait_port(self.port, self.proc, "ironbrick")
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        return self._read_bootstrap()

    def _read_bootstrap(self) -> "Backend":
        boot = json.loads((self.data_dir / "bootstrap.json").read_text())
        # a replica whose admin token another replica minted writes no token (see bootstrap.rs)
        self.host, self.account_id = boot["host"], boot["account_id"]
        self.token = boot.get("token", self.token)
        self.password = boot.get("password", "")
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if isinstance(self.proc, replica_group.ReplicaGroup):
            self.proc.stop(sig)
            self.proc = None
        elif self.proc is not None:
            stop(self.proc, sig)
            self.proc = None

    def restart(self) -> "Backend":
        self.stop()
        return self.start()

    def ws_url(self, workspace_id: int) -> str:
        return f"{self.host}/w/{workspace_id}"

    def each_replica(self) -> "list[Backend]":
        """This backend as each of its processes serves it: for a replica group, one view per
        replica whose host and port reach that replica directly (not through the proxy);
        otherwise just this backend. A view shares the group's account, token and data dir;
        stop or remove the backend itself, never a view."""
        if not isinstance(self.proc, replica_group.ReplicaGroup):
            return [self]
        return [dataclasses.replace(self, host=r.url, port=r.port) for r in self.proc.replicas]

    def one_replica(self, index: int = 0) -> "Backend":
        """One process of this backend, addressed directly (see `each_replica`): what is per
        process (rate limits, connections, cached data keys) is observed there."""
        return self.each_replica()[index]


def new_backend(*args: str, env: dict[str, str] | None = None) -> Backend:
    root = Path(tempfile.mkdtemp(prefix="ironbrick-test-"))
    return Backend(data_dir=root / "data", args=list(args), env=env or {}).start()


def remove(backend: Backend) -> None:
    backend.stop()
    shutil.rmtree(backend.data_dir.parent, ignore_errors=True)


def venv_tool(name: str, install_hint: str) -> Path:
    """A tool from the test venv (the one running pytest), or a clear failure."""
    candidates = [Path(os.environ.get("VIRTUAL_ENV", "")) / "bin" / name, REPO / ".venv" / "bin" / name,
                  Path(shutil.which(name) or "/nonexistent")]
    for c in candidates:
        if c.exists():
            return c
    raise RuntimeError(f"{name} not found: {install_hint}")


class Moto:
    """moto's server on 127.0.0.1 (KMS, S3, STS, ...), stopped by PID. `stop()` then `start()`
    brings it back on the same port, with none of its former state (moto keeps it in memory)."""

    def __init__(self, port: int | None = None) -> None:
        self.exe = venv_tool("moto_server", "run `.venv/bin/pip install 'moto[server]'` (scripts/test does)")
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> "Moto":
        self.proc = subprocess.Popen([str(self.exe), "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc, "moto_server")
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None


def delivery_backend(moto: Moto, interval: str = "1s", *args: str) -> Backend:
    """A backend delivering logs to moto's S3 (roles assumed through moto's STS) every
    `interval`, with moto's test credentials for its own AWS calls."""
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    return new_backend("--s3-endpoint", moto.url, "--sts-endpoint", moto.url,
                       "--log-delivery-interval", interval, *args, env=env)
