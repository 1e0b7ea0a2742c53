"""The repository documents itself: no file links or points outside it, and no link is dead."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# Markdown links and images: [text](target) with a relative target.
_LINK = re.compile(r"\]\(([^)\s]+)\)")
# A Markdown document named in prose, code or comments: `docs/contract.md`, README.md, ….
_MD_NAME = re.compile(r"(?<![\w/.<-])((?:\.\.?/)*(?:[\w.-]+/)*[\w-]+\.md)\b")
#: `*.md` names that are not documents of the repository: a file a test writes in its tmp_path.
_NOT_DOCUMENTS = frozenset({"notes.md"})
_OUTSIDE = re.compile(r"\.\./shared|/work/|shared/(?:CONTRACT|DOMAIN|PERFORMANCE|CRAFT)")


@cache
def tracked() -> tuple[Path, ...]:
    """The repository's files as git sees them (committed or staged), text only."""
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    files = []
    for name in names:
        path = ROOT / name
        if path.is_file() and path.suffix not in {".lock", ".png", ".svg", ".ttf", ".xlsx"}:
            files.append(path)
    return tuple(files)


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""


def _inside(target: Path) -> bool:
    return target.resolve().is_relative_to(ROOT)


def test_no_file_points_outside_the_repository():
    offenders = [
        f"{p.relative_to(ROOT)}: {m.group(0)}"
        for p in tracked()
        if p != Path(__file__)
        for m in _OUTSIDE.finditer(_text(p))
    ]
    assert offenders == []


@pytest.mark.parametrize("path", [p for p in tracked() if p.suffix == ".md"], ids=str)
def test_every_relative_markdown_link_resolves_inside_the_repository(path):
    dead = []
    for match in _LINK.finditer(_text(path)):
        target = match.group(1).split("#", 1)[0]
        if not target or re.match(r"[a-z][a-z0-9+.-]*:", target):
            continue  # an anchor in the same page, or a URL
        resolved = path.parent / target
        if not (_inside(resolved) and resolved.exists()):
            dead.append(match.group(1))
    assert dead == []


def test_every_markdown_document_named_anywhere_exists():
    """A `*.md` named in a docstring, comment or README is a file of the repository."""
    names = {p.relative_to(ROOT).as_posix() for p in tracked()}
    basenames = {Path(n).name for n in names}
    missing = []
    for path in tracked():
        if path == Path(__file__):
            continue
        for match in _MD_NAME.finditer(_text(path)):
            name = match.group(1)
            here = (path.parent / name).resolve()
            found = (
                name in names
                or (_inside(here) and here.relative_to(ROOT).as_posix() in names)
                or ("/" not in name and name in basenames)
            )
            if not found and name not in _NOT_DOCUMENTS:
                missing.append(f"{path.relative_to(ROOT)}: {name}")
    assert missing == []
