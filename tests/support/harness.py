"""What `scripts/crash-test` and `scripts/soak` share: building and running the backend on a
fixed loopback port and data dir (restarted, killed, sampled), and the local KMS commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import requests

from support.server import free_port

REPO = Path(__file__).resolve().parents[2]


def log(tag: str, msg: str) -> None:
    print(f"[{tag}] {msg}", flush=True)


def build(release: bool) -> Path:
    """`cargo build -p ironbrick` (debug, or --release) and the binary's path."""
    cmd = ["cargo", "build", "-p", "ironbrick", *(["--release"] if release else [])]
    subprocess.run(cmd, cwd=REPO, check=True)
    return binary(release)


def binary(release: bool) -> Path:
    """target/{debug,release}/ironbrick, or $IRONBRICK_BIN when set."""
    override = os.environ.get("IRONBRICK_BIN")
    path = Path(override) if override else REPO / "target" / ("release" if release else "debug") / "ironbrick"
    if not path.exists():
        raise SystemExit(f"{path} does not exist: build it with `cargo build -p ironbrick"
                         f"{' --release' if release else ''}` (or drop --no-build)")
    return path


class Server:
    """`ironbrick serve` on 127.0.0.1:<port> with one data dir, kept across restarts. The log
    goes to `log_path` (outside the data dir, which may be a small file system)."""

    def __init__(self, exe: Path, data_dir: Path, log_path: Path, args: list[str] | None = None) -> None:
        self.exe, self.data_dir, self.log_path = exe, data_dir, log_path
        self.args = list(args or [])
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.host = self.account_id = self.token = ""

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def start(self, timeout: float = 60) -> float:
        """Starts it and waits for /healthz; answers the seconds from spawn to ready."""
        t0 = time.monotonic()
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                [str(self.exe), "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", str(self.data_dir),
                 "--store", "sled", *self.args],
                stdout=out, stderr=out)
        deadline = t0 + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ironbrick exited with {self.proc.returncode} while starting; "
                                   f"see {self.log_path}")
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"ironbrick was not ready within {timeout}s; see {self.log_path}")
            time.sleep(0.02)
        ready = time.monotonic() - t0
        boot = json.loads((self.data_dir / "bootstrap.json").read_text())
        self.host, self.account_id = boot["host"], boot["account_id"]
        self.token = boot.get("token", self.token)
        return ready

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        """Sends `sig` to its PID and waits (SIGKILL after `timeout`)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def rss_kib(self) -> int | None:
        """VmRSS of the running process, in KiB."""
        pid = self.pid
        if pid is None:
            return None
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None


def kms(exe: Path, data_dir: Path, *args: str) -> str:
    """`ironbrick kms --data-dir D ...` (the local key store in the data dir)."""
    r = subprocess.run([str(exe), "kms", "--data-dir", str(data_dir), *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"ironbrick kms {' '.join(args)} failed: {r.stderr.strip()}")
    return r.stdout.strip()


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]
