"""``python -m dunghan_common.units``: import the directory from CSV, or check a directory file.

python -m dunghan_common.units import units.csv [--officials officials.csv] [-o units.toml]
python -m dunghan_common.units check config/units.toml
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dunghan_common.units.importer import read_csv, to_toml
from dunghan_common.units.loader import UnitDirectoryError, load_units


def main(argv: list[str] | None = None) -> int:
    """Run one command; 2 on a directory that does not validate."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "import":
            text = to_toml(read_csv(args.units_csv, args.officials))
            if args.output is None:
                sys.stdout.write(text)
            else:
                args.output.write_text(text, encoding="utf-8")
            return 0
        directory = load_units(args.path)
    except UnitDirectoryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    missing = directory.incomplete()
    print(f"{len(directory)} units, {len(missing)} without the head's title and name")
    for code in missing:
        print(f"  incomplete: {code}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dunghan_common.units", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="write the directory TOML from the province's CSV")
    imp.add_argument("units_csv", type=Path)
    imp.add_argument("--officials", type=Path, help="unit_code,id,name,email,phone")
    imp.add_argument("-o", "--output", type=Path, help="the TOML to write (default: stdout)")
    chk = sub.add_parser("check", help="validate a directory file and list incomplete entries")
    chk.add_argument("path", type=Path)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
