"""Entry point: `python -m dunghan_province <command>`."""

from dunghan_province.cli import main

main()
