"""The package installs on its own: runtime dependencies only, in a fresh virtualenv.

The dev extra pulls in test and lint tools (and used to hide a runtime import that was
only a dev dependency); the image installs the package without it. So: build a new venv,
`pip install` the same files the Dockerfile copies (pip resolves the dependencies, from
its cache or index as a user's install would), then import every module.
"""

import shutil
import subprocess
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("pyproject.toml", "README.md", "contracts", "shared", "services")

IMPORT_ALL = """
import importlib, pkgutil, sys
failed, imported = [], 0
for top in ("contracts", "shared", "services"):
    package = importlib.import_module(top)
    if "site-packages" not in package.__file__:
        sys.exit(f"{top} imported from {package.__file__}, not the installed package")
    for info in pkgutil.walk_packages(package.__path__, prefix=top + "."):
        try:
            importlib.import_module(info.name)
            imported += 1
        except Exception as exc:
            failed.append(f"{info.name}: {type(exc).__name__}: {exc}")
print(imported, "modules imported")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_every_module_imports_with_runtime_dependencies_only(tmp_path: Path) -> None:
    source = tmp_path / "src"
    for name in SHIPPED:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(path, source / name)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-compile", str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    installed = subprocess.run(
        [python, "-m", "pip", "list", "--format=freeze"], capture_output=True, text=True
    ).stdout
    assert "pytest==" not in installed, "the dev extra was installed"
    imports = subprocess.run(
        [python, "-c", IMPORT_ALL], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert imports.returncode == 0, imports.stdout[-3000:] + imports.stderr[-3000:]
