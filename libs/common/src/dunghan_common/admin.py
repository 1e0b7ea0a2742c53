"""Operator commands of the shared library: ``python -m dunghan_common.admin ensure-topics``."""

from __future__ import annotations

import argparse
import asyncio
import sys

from dunghan_common.kafka.topics import contract_topics, ensure_topics
from dunghan_common.settings import KafkaSettings


def main(argv: list[str] | None = None) -> int:
    """Create the contract topics that are missing."""
    parser = argparse.ArgumentParser(prog="dunghan_common.admin")
    sub = parser.add_subparsers(dest="command", required=True)
    topics = sub.add_parser("ensure-topics", help="create the docs/contract.md topics if missing")
    topics.add_argument("--partitions", type=int, default=6)
    args = parser.parse_args(argv)
    if args.command == "ensure-topics":
        bootstrap = KafkaSettings().bootstrap_servers
        created = asyncio.run(ensure_topics(bootstrap, contract_topics(args.partitions)))
        print(f"topics created: {', '.join(created) if created else 'none (all present)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
