"""The portal format's parser and translator as compiled modules, used only while they are current.

`make install` compiles `ingest.domain.dvcqg` and `ingest.domain.dvcqg_translate` with mypyc into
extension modules beside their sources (``services/ingest/build_native.py``) and writes
``ingest/domain/native.json`` with the SHA-256 of each source it compiled. Python imports an
extension module before a source of the same name, so a compiled module would outlive an edit of
its source; `prefer_current` (called as ``ingest.domain`` is imported, before either module) keeps
the compiled pair only while both sources are the ones compiled and ``DUNGHAN_INGEST_NATIVE`` is
not ``off``, and else imports both from source. Both or neither: compiled code reads the compiled
classes of the other module by their native layout.

The compiled modules are the same source, so they behave the same; mypyc also checks every
declared type at run time. ``tests/unit/ingest/test_dvcqg_native.py`` replays histories through
both and compares what they derive (docs/performance.md, G10).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Final

#: The compiled modules, by the name of their source file in ``ingest/domain``.
MODULES: Final = {
    "ingest.domain.dvcqg": "dvcqg.py",
    "ingest.domain.dvcqg_translate": "dvcqg_translate.py",
}
DOMAIN: Final = Path(__file__).resolve().parent / "domain"
MANIFEST: Final = DOMAIN / "native.json"
SWITCH: Final = "DUNGHAN_INGEST_NATIVE"


def source_digest(path: Path) -> str:
    """The SHA-256 of a source file, as the manifest records it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compiled_current() -> bool:
    """Whether every compiled module exists and was compiled from its present source."""
    try:
        recorded = json.loads(MANIFEST.read_text())["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    for source in MODULES.values():
        stem = source.removesuffix(".py")
        if not any((DOMAIN / (stem + suffix)).exists() for suffix in suffixes):
            return False
        if recorded.get(source) != source_digest(DOMAIN / source):
            return False
    return True


class _FromSource(importlib.abc.MetaPathFinder):
    """Finds the compiled modules' names in their source files."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        source = MODULES.get(fullname)
        if source is None:
            return None
        return importlib.util.spec_from_file_location(fullname, DOMAIN / source)


_FINDER: Final = _FromSource()


def prefer_current() -> None:
    """Import the modules from source unless the compiled ones are current and not switched off."""
    wanted = os.environ.get(SWITCH, "on").strip().lower() not in ("off", "0", "false", "no")
    if wanted and compiled_current():
        return
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def active() -> bool:
    """Whether the imported modules are the compiled ones."""
    return all(
        (module := sys.modules.get(name)) is not None
        and str(getattr(module, "__file__", "")).endswith(
            tuple(importlib.machinery.EXTENSION_SUFFIXES)
        )
        for name in MODULES
    )
