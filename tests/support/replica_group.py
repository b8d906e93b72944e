"""Several `ironbrick serve` replicas on one PostgreSQL database behind a round-robin proxy
(support.rr_proxy), acting together as one test Backend.

With IRONBRICK_TEST_STORE=replicas, every Backend the harness starts without its own `--store`
is such a group: three replicas, each with its own port and data dir, on a fresh database of
the harness's PostgreSQL server, and a proxy whose port is the Backend's. Every replica gets the
test's flags plus `--public-url` of the proxy, so the URLs the backend hands out (workspace
URLs, bootstrap.json's host) lead to the proxy too. The first replica starts alone and mints the
admin token into the Backend's own data dir (bootstrap.json); the others start after it.

The group stands in for the one process of the sled harness: `Backend.stop(sig)` signals every
replica and stops the proxy, `Backend.start()` brings the whole group back on the same proxy
port, and `Backend.proc.poll()` reports the first replica that exited. Tests that need one
replica (kill one, talk to one) use `Backend.proc` (a ReplicaGroup)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from support.rr_proxy import RoundRobinProxy

if TYPE_CHECKING:
    from support.server import Backend

REPLICAS = 3


def wanted() -> bool:
    """Whether backends should be replica groups (IRONBRICK_TEST_STORE=replicas)."""
    return os.environ.get("IRONBRICK_TEST_STORE", "sled") == "replicas"


class Replica:
    """One `ironbrick serve` process of a group."""

    def __init__(self, index: int, port: int, data_dir: Path, log: Path) -> None:
        self.index, self.port, self.data_dir, self.log = index, port, data_dir, log
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class ReplicaGroup:
    """Replicas of one Backend; create with `ReplicaGroup(backend)` and `start()`."""

    def __init__(self, backend: "Backend", replicas: int = REPLICAS) -> None:
        from support.server import free_port

        self.backend = backend
        root = backend.data_dir.parent
        self.replicas = []
        for i in range(replicas):
            port = free_port()
            # logs as the single-process harness names them: ironbrick-<port>.log (the first
            # replica's under the Backend's port, the proxy's)
            self.replicas.append(Replica(i, port, backend.data_dir if i == 0 else root / f"replica-{i}",
                                         root / f"ironbrick-{port}.log"))
        self.proxy: RoundRobinProxy | None = None

    # --- the Popen-like surface the harness and tests use ---------------------------------

    def poll(self) -> int | None:
        """None while every replica runs, else the exit code of the first that stopped."""
        for r in self.replicas:
            if r.proc is not None and r.proc.poll() is not None:
                return r.proc.returncode
        return None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> "ReplicaGroup":
        b = self.backend
        self.proxy = RoundRobinProxy([], port=b.port)
        b.port = self.proxy.port
        self.replicas[0].log = b.data_dir.parent / f"ironbrick-{b.port}.log"
        extra = [] if "--public-url" in b.args else ["--public-url", self.proxy.url]
        self._launch(self.replicas[0], extra)
        for r in self.replicas[1:]:
            self._launch(r, extra, wait=False)
        for r in self.replicas[1:]:
            self._wait(r)
        self.proxy.set_targets([r.port for r in self.replicas])
        return self

    def _command(self, r: Replica, extra: list[str]) -> list[str]:
        from support.server import binary

        b = self.backend
        return [str(binary("ironbrick", "IRONBRICK_BIN")), "serve", "--listen", f"127.0.0.1:{r.port}",
                "--data-dir", str(r.data_dir), "--store", b.store_url, *extra, *b.args]

    def _launch(self, r: Replica, extra: list[str], wait: bool = True) -> None:
        log = open(r.log, "ab")
        r.proc = subprocess.Popen(self._command(r, extra), stdout=log, stderr=log,
                                  env={**os.environ, **self.backend.env})
        log.close()
        if wait:
            self._wait(r)

    def _wait(self, r: Replica, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if r.proc is not None and r.proc.poll() is not None:
                raise RuntimeError(f"replica {r.index} exited with {r.proc.returncode} (log: {r.log})")
            try:
                if requests.get(f"{r.url}/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"replica {r.index} did not become healthy on port {r.port} (log: {r.log})")

    def restart_replica(self, index: int) -> None:
        """Starts a stopped replica again on its port (the proxy sends it traffic again)."""
        extra = [] if "--public-url" in self.backend.args else ["--public-url", self.proxy.url]
        self._launch(self.replicas[index], extra)

    def kill(self, index: int, sig: int = signal.SIGKILL) -> None:
        """Signals one replica (by PID) and waits for it to exit."""
        from support.server import stop

        r = self.replicas[index]
        if r.proc is not None:
            stop(r.proc, sig)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Signals every replica (by PID), waits for them, then stops the proxy."""
        from support.server import stop

        for r in self.replicas:
            if r.proc is not None and r.proc.poll() is None:
                try:
                    os.kill(r.proc.pid, sig)
                except ProcessLookupError:
                    pass
        for r in self.replicas:
            if r.proc is not None:
                stop(r.proc, sig)
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
