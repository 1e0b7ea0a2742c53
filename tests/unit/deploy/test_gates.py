"""The gates that keep the code clean: `make test` lints first, mypy is strict, hooks agree."""

from __future__ import annotations

import re
import subprocess
import tomllib

import yaml

from tests.unit.deploy.observability import ROOT


def test_make_test_lints_before_it_starts_anything():
    makefile = (ROOT / "Makefile").read_text()
    prerequisites = re.search(r"^test: (?!export)([^#\n]*)", makefile, re.M)
    assert prerequisites is not None
    assert prerequisites.group(1).split()[0] == "lint"


def test_mypy_is_strict_everywhere():
    mypy = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert mypy["strict"] is True
    assert not mypy.get("overrides"), "no module is let off strict"


def test_pre_commit_runs_ruff_and_mypy_from_the_project_environment():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert all(repo["repo"] == "local" for repo in config["repos"])
    assert {"ruff", "ruff-format", "mypy"} <= set(hooks)
    assert all(".venv/bin/" in hook["entry"] for hook in hooks.values())
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "pre-commit"), "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_checks_docstrings_and_logging():
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert {"D", "LOG", "G"} <= set(lint["select"])
    assert lint["pydocstyle"]["convention"]
