"""Compile the portal format's parser and translator with mypyc, beside their sources.

Run by ``make install`` whenever a source changed: ``ingest/domain/dvcqg.py`` and
``ingest/domain/dvcqg_translate.py`` become extension modules in ``services/ingest/src`` (with
mypyc's shared library at its top), and ``ingest/domain/native.json`` records the SHA-256 of each
source compiled, so that an edited source is imported from source until it is compiled again
(``ingest/native.py``). Needs a C compiler and Python's headers; fails loudly without them.
"""

from __future__ import annotations

import json
import os
import sys
import sysconfig
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parent / "src"
sys.path.insert(0, str(SRC))

from ingest.native import DOMAIN, MANIFEST, MODULES, source_digest  # noqa: E402


def _remove_previous() -> None:
    MANIFEST.unlink(missing_ok=True)
    for old in [*DOMAIN.glob("*.so"), *SRC.glob("*__mypyc*.so")]:
        old.unlink()


def main() -> None:
    """Compile both modules in one group, in place, then record their sources."""
    from mypyc.build import mypycify
    from setuptools import setup

    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.exists():
        sys.exit(f"build_native: no {headers}: install Python's headers (Debian: python3-dev)")
    _remove_previous()
    digests = {source: source_digest(DOMAIN / source) for source in MODULES.values()}
    os.chdir(SRC)
    with tempfile.TemporaryDirectory(prefix="ingest-native-") as tmp:
        paths = [f"ingest/domain/{source}" for source in MODULES.values()]
        extensions = mypycify(paths, opt_level="3", target_dir=f"{tmp}/c")
        setup(
            name="ingest-native",
            ext_modules=extensions,
            script_args=["-q", "build_ext", "--inplace", "-t", f"{tmp}/o", "-b", f"{tmp}/l"],
        )
    MANIFEST.write_text(json.dumps({"compiler": "mypyc", "sources": digests}, indent=1) + "\n")
    print(f"compiled {', '.join(MODULES)} (mypyc)")


if __name__ == "__main__":
    main()
