"""Alembic environment of ingest."""

from dunghan_common.db.migrations import run_env

from ingest.adapters.sql import metadata

run_env(metadata)
